"""The governance policy file format, as pydantic models (every mapping forbids unknown keys).

Every key is documented in `POLICY.md` next to this file and in the comments of `default.yaml`;
the shape, in short:

    version: 1
    rules:
      naming: {reserved_words: [...], catalog|schema|table|column: {case, pattern, prefix, suffix,
               max_length, forbid_reserved_words}}
      metadata: {required_tags: {catalog: [...], schema: [...], table: [...]}}
      types: {forbidden: [{name, columns, types, replacement}]}
      grants: {implied_use: add|error, broad_principals: [...], powerful_privileges: [...],
               restricted_privileges: {<env>: [...]}}
      governance: {confirm_weakening: [<env>, ...]}
      migrations: {allow_destructive: {<env>: [<code>, ...] | all}}
    severity: {<rule id or prefix.*>: error|warn|info|off}
    classification: [{name, match: {names, regex, tags}, tags, mask: {strategy, exempt_groups}}]
    classified_columns: {<schema>.<table>.<column>: <class>}
    objects: {<catalog>|<schema>|<schema>.<table>[.<column>] (catalog-qualified or not): {owner, tags}}
    environments: {<env>: {catalog: '{env}_{domain}', storage_root: 's3://.../{domain}', isolation_mode: OPEN|ISOLATED,
                   grants: [...]}}
    grants: [{on, name, principal, privileges, environments}]
    catalog_defaults / schema_defaults: {owner, tags}
    table_defaults: {owner, tags, properties, cluster_by}
    deployment: {grants_in, tables_in, masks_schema}

Checks that need the whole document (a grant naming an undefined environment, a severity for an
unknown rule) run after validation, in `loader.py`, so they can be located too.
"""

from __future__ import annotations

import difflib
import re
import string
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from accelerator.model.elements import Deployment
from accelerator.policy.privileges import ALL_KNOWN, OWNERSHIP, normalize_privilege

CaseStyle = Literal["snake_case", "camelCase", "PascalCase", "UPPER_SNAKE", "kebab-case"]
SeverityOrOff = Literal["error", "warn", "info", "off"]
MaskStrategy = Literal["redact", "hash", "partial", "null"]

TEMPLATE_FIELDS = {"catalog", "schema", "table"}  # placeholders allowed in default owners and tags
CATALOG_TEMPLATE_FIELDS = {"env", "domain", "catalog"}
_DATABRICKS_TYPE = re.compile(r"^[A-Z][A-Z_]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?$|^(ARRAY|MAP|STRUCT)<.+>$")
_RULE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_CLASS_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")


def _scalar_to_text(value: Any) -> Any:
    """YAML `true`/`1` where a string is meant (`delta.enableChangeDataFeed: true`) -> 'true'/'1'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _text_values(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _scalar_to_text(item) for key, item in value.items()}
    return value


TextMap = Annotated[dict[str, str], BeforeValidator(_text_values)]


def check_regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as bad:
            raise ValueError(f"invalid regular expression {value!r}: {bad}") from None
    return value


def check_template(value: str | None, allowed: set[str]) -> str | None:
    """Reject `{placeholders}` the template cannot fill, and malformed braces."""
    if value is None:
        return None
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as bad:
        raise ValueError(f"invalid template {value!r}: {bad}") from None
    unknown = sorted(fields - allowed)
    if unknown:
        known = ", ".join("{" + name + "}" for name in sorted(allowed))
        raise ValueError(f"unknown placeholder {{{unknown[0]}}} in {value!r}; use {known}")
    return value


class PolicyModel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class NameRules(PolicyModel):
    case: CaseStyle | None = None
    pattern: str | None = None  # a regular expression the whole name must match
    prefix: str | None = None
    suffix: str | None = None
    max_length: int | None = Field(default=None, ge=1, le=255)
    forbid_reserved_words: bool = True

    _check_pattern = field_validator("pattern")(check_regex)


class NamingRules(PolicyModel):
    reserved_words: list[str] | None = None  # replaces the built-in list (see identifiers.py)
    catalog: NameRules = Field(default_factory=NameRules)
    schema_: NameRules = Field(default_factory=NameRules, alias="schema")
    table: NameRules = Field(default_factory=NameRules)
    column: NameRules = Field(default_factory=NameRules)


class RequiredTags(PolicyModel):
    catalog: list[str] = Field(default_factory=list)
    schema_: list[str] = Field(default_factory=list, alias="schema")
    table: list[str] = Field(default_factory=list)


class MetadataRules(PolicyModel):
    required_tags: RequiredTags = Field(default_factory=RequiredTags)


class ForbiddenTypes(PolicyModel):
    """Columns whose name matches `columns` must not have one of `types` (rule id `types.<name>`)."""

    name: str
    columns: str  # regular expression, searched case-insensitively in the column name
    types: list[str] = Field(min_length=1)  # base names (FLOAT) or full types (DECIMAL(38,18))
    replacement: str | None = None  # the safe fix, e.g. DECIMAL(18,2)

    _check_columns = field_validator("columns")(check_regex)

    @field_validator("name")
    @classmethod
    def _rule_name(cls, value: str) -> str:
        if not _RULE_NAME.match(value):
            raise ValueError(f"{value!r} is not a rule name: use lower-case letters, digits and _")
        return value

    @field_validator("types")
    @classmethod
    def _upper_types(cls, value: list[str]) -> list[str]:
        return [item.strip().upper() for item in value]

    @field_validator("replacement")
    @classmethod
    def _databricks_type(cls, value: str | None) -> str | None:
        if value is None:
            return None
        normalized = value.strip().upper()
        if not _DATABRICKS_TYPE.match(normalized):
            raise ValueError(f"{value!r} is not a Databricks SQL type such as DECIMAL(18,2)")
        return normalized


class TypeRules(PolicyModel):
    forbidden: list[ForbiddenTypes] = Field(default_factory=list)


def _known_privilege(written: str) -> str:
    """A normalized privilege (`all privileges` -> `ALL_PRIVILEGES`) known to Unity Catalog, or
    OWNERSHIP (who owns the securable)."""
    privilege = normalize_privilege(written)
    if privilege != OWNERSHIP and privilege not in ALL_KNOWN:
        close = difflib.get_close_matches(privilege, [*sorted(ALL_KNOWN), OWNERSHIP], n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else "; use a Unity Catalog privilege or OWNERSHIP"
        raise ValueError(f"unknown privilege {written!r}{hint}")
    return privilege


PrivilegeList = list[Annotated[str, AfterValidator(_known_privilege)]]
POWERFUL_PRIVILEGES = ["ALL_PRIVILEGES", "MANAGE", OWNERSHIP]


class GrantRules(PolicyModel):
    """How grants are judged: the USE privileges other privileges need, and what broad principals
    (everybody in the account or workspace) may hold."""

    implied_use: Literal["add", "error"] = "add"  # add the missing USE CATALOG/USE SCHEMA, or report them
    broad_principals: list[str] = Field(default_factory=list)  # in addition to `account users`, `users`
    powerful_privileges: PrivilegeList = Field(default_factory=lambda: list(POWERFUL_PRIVILEGES))
    restricted_privileges: dict[str, PrivilegeList] = Field(
        default_factory=lambda: {"prod": list(POWERFUL_PRIVILEGES)}
    )  # environment -> privileges a broad principal must not hold there


class GovernanceRules(PolicyModel):
    """How a change that weakens protection (a lost mask or tag, a grant to everybody) is treated."""

    # environments where such a change is an error until confirmed (elsewhere a warning)
    confirm_weakening: list[str] = Field(default_factory=list)


_CHANGE_CODE = re.compile(r"^[A-Z]{2}\d{3}$")


def _change_codes(value: Any) -> Any:
    if value == "all" or not isinstance(value, list):
        return value
    for code in value:
        if not isinstance(code, str) or not _CHANGE_CODE.fullmatch(code.upper()):
            raise ValueError(f"{code!r} is not a change code such as DS103 (see plan/CHANGES.md)")
    return [code.upper() for code in value]


class MigrationRules(PolicyModel):
    """Which destructive changes a migration may hold without an approval, per environment."""

    # environment -> destructive change codes allowed there (or `all`); elsewhere each needs approval
    allow_destructive: dict[str, Annotated[Literal["all"] | list[str], BeforeValidator(_change_codes)]] = (
        Field(default_factory=dict)
    )


class Rules(PolicyModel):
    naming: NamingRules = Field(default_factory=NamingRules)
    metadata: MetadataRules = Field(default_factory=MetadataRules)
    types: TypeRules = Field(default_factory=TypeRules)
    grants: GrantRules = Field(default_factory=GrantRules)
    governance: GovernanceRules = Field(default_factory=GovernanceRules)
    migrations: MigrationRules = Field(default_factory=MigrationRules)


class ClassMatch(PolicyModel):
    """A column matches when its name is in `names` or matches `regex` (if either is given) and it
    carries every tag in `tags` (if given)."""

    names: list[str] = Field(default_factory=list)
    regex: str | None = None  # searched case-insensitively in the column name
    tags: TextMap = Field(default_factory=dict)

    _check_regex = field_validator("regex")(check_regex)

    @model_validator(mode="after")
    def _something_to_match(self) -> ClassMatch:
        if not (self.names or self.regex or self.tags):
            raise ValueError("give at least one of names, regex or tags")
        return self


def _null_strategy(value: Any) -> Any:
    return "null" if value is None else value  # `strategy: null` unquoted is YAML's null


class MaskSpec(PolicyModel):
    strategy: Annotated[MaskStrategy, BeforeValidator(_null_strategy)] = "redact"
    exempt_groups: list[str] = Field(default_factory=list)


class ClassificationRule(PolicyModel):
    name: str  # e.g. pii.email; becomes Column.classification
    match: ClassMatch
    tags: TextMap = Field(default_factory=dict)  # merged into the column's tags (ERD tags win)
    mask: MaskSpec | None = None

    @field_validator("name")
    @classmethod
    def _class_name(cls, value: str) -> str:
        if not _CLASS_NAME.match(value):
            raise ValueError(f"{value!r} is not a class name such as pii.email")
        return value


def _column_key(value: str) -> str:
    """`schema.table.column` or `catalog.schema.table.column`, compared case-insensitively."""
    parts = value.split(".")
    if len(parts) not in (3, 4) or not all(part.strip() for part in parts):
        raise ValueError(
            f"{value!r} is not a column such as sales.orders.email (schema.table.column, "
            "or catalog.schema.table.column)"
        )
    return value


def _class_reference(value: str) -> str:
    if not _CLASS_NAME.match(value):
        raise ValueError(f"{value!r} is not a class name such as pii.email")
    return value


ClassifiedColumns = Annotated[
    dict[Annotated[str, AfterValidator(_column_key)], Annotated[str, AfterValidator(_class_reference)]],
    BeforeValidator(lambda value: {} if value is None else value),  # `classified_columns:` left empty
]


class GrantSpec(PolicyModel):
    on: Literal["catalog", "schema", "table"]
    name: str = "*"  # catalog: <catalog>|*; schema: <schema>|*; table: <schema>.<table>|<schema>.*|*
    principal: str = Field(min_length=1)
    privileges: list[str] = Field(min_length=1)  # checked against Unity Catalog in governance


class PolicyGrant(GrantSpec):
    environments: list[str] = Field(default_factory=list)  # empty: every environment


# A managed location: a cloud storage URL (S3, ADLS Gen2, GCS, Cloudflare R2), nothing that could
# end the SQL string or the Terraform value it is written in.
STORAGE_ROOT = re.compile(r"(s3|abfss|gs|r2)://[^\s'\"`\\;]+")


class EnvironmentSpec(PolicyModel):
    catalog: str = "{env}_{domain}"
    grants: list[GrantSpec] = Field(default_factory=list)
    # the managed location of each catalog, e.g. 's3://bucket/{env}/{domain}' (None: the metastore's)
    storage_root: str | None = None
    isolation_mode: Literal["OPEN", "ISOLATED"] | None = None  # ISOLATED: bound to its workspaces

    @field_validator("catalog")
    @classmethod
    def _catalog_template(cls, value: str) -> str:
        check_template(value, CATALOG_TEMPLATE_FIELDS)
        return value

    @field_validator("storage_root")
    @classmethod
    def _storage_root(cls, value: str | None) -> str | None:
        if value is None:
            return None
        check_template(value, CATALOG_TEMPLATE_FIELDS)
        filled = value.format(**dict.fromkeys(CATALOG_TEMPLATE_FIELDS, "x"))
        if not STORAGE_ROOT.fullmatch(filled):
            raise ValueError(
                f"{value!r} is not a cloud storage location: write s3://, abfss://, gs:// or r2:// "
                "and a path, e.g. 's3://my-bucket/{env}/{domain}'"
            )
        return value


class OwnerAndTags(PolicyModel):
    owner: str | None = None
    tags: TextMap = Field(default_factory=dict)

    @field_validator("owner")
    @classmethod
    def _owner_template(cls, value: str | None) -> str | None:
        return check_template(value, TEMPLATE_FIELDS)

    @field_validator("tags")
    @classmethod
    def _tag_templates(cls, value: dict[str, str]) -> dict[str, str]:
        for item in value.values():
            check_template(item, TEMPLATE_FIELDS)
        return value


class TableDefaults(OwnerAndTags):
    properties: TextMap = Field(default_factory=dict)
    cluster_by: Literal["auto", "none", "primary_key"] = "none"


class ObjectSettings(PolicyModel):
    """One object's owner and tags (`objects`), written as they are: no templates."""

    owner: str | None = Field(default=None, min_length=1)
    tags: TextMap = Field(default_factory=dict)


def _object_key(value: str) -> str:
    parts = value.split(".")
    if not 1 <= len(parts) <= 4 or not all(part.strip() for part in parts):
        raise ValueError(
            f"{value!r} is not an object such as retail, sales, sales.orders or sales.orders.status"
        )
    return value


Objects = Annotated[
    dict[Annotated[str, AfterValidator(_object_key)], ObjectSettings],
    BeforeValidator(lambda value: {} if value is None else value),  # `objects:` left empty
]


class PolicySpec(PolicyModel):
    version: Literal[1] = 1
    rules: Rules = Field(default_factory=Rules)
    severity: dict[str, SeverityOrOff] = Field(default_factory=dict)
    classification: list[ClassificationRule] = Field(default_factory=list)
    # column -> class, decided once (by `classify`, or kept through a rename); wins over the matches
    classified_columns: ClassifiedColumns = Field(default_factory=dict)
    # one object's owner and tags (by `set owner of`, `tag`); wins over the defaults and the ERD
    objects: Objects = Field(default_factory=dict)
    environments: dict[str, EnvironmentSpec] | None = None  # None: keep the project's environments
    grants: list[PolicyGrant] = Field(default_factory=list)
    catalog_defaults: OwnerAndTags = Field(default_factory=OwnerAndTags)
    schema_defaults: OwnerAndTags = Field(default_factory=OwnerAndTags)
    table_defaults: TableDefaults = Field(default_factory=TableDefaults)
    deployment: Deployment | None = None  # None: keep the project's deployment
