"""The canonical model: Project -> Catalog -> Schema -> Table -> Column.

Every ERD parser produces it, the policy governs it, every renderer reads it. Each element keeps its
source span (where it was written) and the span of its name token, so errors point at it and edits
can patch the source in place; spans are excluded from the canonical JSON (see `canonical.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


# Not a pydantic model, and not frozen (a frozen dataclass pays object.__setattr__ per field): parsers
# build 100,000s of these. Treat a Span as immutable; it hashes by value.
@dataclass(slots=True, unsafe_hash=True)
class Span:
    """A range in a source file. Lines and columns are 1-based; the end is exclusive."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class Located(BaseModel):
    """Base of every model element: carries where it was written, outside the canonical JSON."""

    model_config = ConfigDict(validate_assignment=False, extra="forbid")

    span: Span | None = Field(default=None, exclude=True, repr=False)
    name_span: Span | None = Field(default=None, exclude=True, repr=False)


class Grant(Located):
    """`principal` gets `privileges` on the securable that holds this grant.

    `environments` empty means every environment.
    """

    principal: str
    privileges: list[str]
    environments: list[str] = Field(default_factory=list)


class Identity(Located):
    """An identity column: `GENERATED ALWAYS|BY DEFAULT AS IDENTITY (START WITH s INCREMENT BY i)`."""

    always: bool = False
    start: int | None = None
    increment: int | None = None


class Mask(Located):
    """A column mask: `function` returns clear values only to members of `exempt_groups`."""

    function: str
    strategy: Literal["redact", "hash", "partial", "null"] = "redact"
    exempt_groups: list[str] = Field(default_factory=list)


class Column(Located):
    name: str
    type: str  # Databricks SQL type, upper-case, e.g. STRING, DECIMAL(10,2), ARRAY<STRING>
    source_type: str = Field(default="", exclude=True)  # the type as written, for messages
    nullable: bool = True
    default: str | None = None  # a Databricks SQL expression
    identity: Identity | None = None
    comment: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    classification: str | None = None  # e.g. "pii.email"; set by the ERD or by the policy
    mask: Mask | None = None
    allowed_values: list[str] | None = None  # from an enum type: rendered as a CHECK constraint


class PrimaryKey(Located):
    name: str | None = None
    columns: list[str]


class UniqueKey(Located):
    name: str | None = None
    columns: list[str]


class ForeignKey(Located):
    """Informational in Unity Catalog (not enforced), but rendered and checked."""

    name: str | None = None
    columns: list[str]
    ref_schema: str
    ref_table: str
    ref_columns: list[str]
    label: str | None = Field(default=None, exclude=True)  # relationship label, for diagrams


class Check(Located):
    """A CHECK constraint: a boolean Databricks SQL expression every row must satisfy."""

    name: str | None = None
    expression: str


def _empty(value: list[Check]) -> bool:
    return not value


class Table(Located):
    name: str
    columns: list[Column] = Field(default_factory=list)
    primary_key: PrimaryKey | None = None
    foreign_keys: list[ForeignKey] = Field(default_factory=list)
    unique_keys: list[UniqueKey] = Field(default_factory=list)
    # left out of the JSON when empty, so that model.json stays as it was for tables without one
    checks: list[Check] = Field(default_factory=list, exclude_if=_empty)
    comment: str | None = None
    owner: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    properties: dict[str, str] = Field(default_factory=dict)  # TBLPROPERTIES
    cluster_by: list[str] = Field(default_factory=list)  # liquid clustering keys
    cluster_by_auto: bool = False  # CLUSTER BY AUTO (set by the policy's table_defaults.cluster_by)
    grants: list[Grant] = Field(default_factory=list)

    def column(self, name: str) -> Column | None:
        lowered = name.lower()
        return next((c for c in self.columns if c.name.lower() == lowered), None)


class Schema(Located):
    name: str
    tables: list[Table] = Field(default_factory=list)
    comment: str | None = None
    owner: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    grants: list[Grant] = Field(default_factory=list)

    def table(self, name: str) -> Table | None:
        lowered = name.lower()
        return next((t for t in self.tables if t.name.lower() == lowered), None)


class Catalog(Located):
    """A logical catalog (a domain). Its physical name per environment comes from the policy's
    catalog naming template, e.g. `{env}_{domain}` -> `prod_retail`."""

    name: str
    schemas: list[Schema] = Field(default_factory=list)
    comment: str | None = None
    owner: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    grants: list[Grant] = Field(default_factory=list)

    def schema(self, name: str) -> Schema | None:  # type: ignore[override]  # shadows pydantic v1's deprecated .schema()
        lowered = name.lower()
        return next((s for s in self.schemas if s.name.lower() == lowered), None)


def _unset(value: str | None) -> bool:
    return value is None


class Environment(Located):
    name: str
    catalog_template: str = "{env}_{domain}"
    # The managed location of the environment's catalogs, a template like `catalog_template`
    # (None: the metastore's root), and who may reach them (None: Unity Catalog's default, OPEN).
    # Left out of model.json when unset, so a model without them is unchanged.
    storage_root: str | None = Field(default=None, exclude_if=_unset)
    isolation_mode: Literal["OPEN", "ISOLATED"] | None = Field(default=None, exclude_if=_unset)

    def catalog_name(self, catalog: Catalog | str) -> str:
        domain = catalog if isinstance(catalog, str) else catalog.name
        return self.catalog_template.format(env=self.name, domain=domain, catalog=domain)

    def catalog_storage_root(self, catalog: Catalog | str) -> str | None:
        """The catalog's managed location in this environment, or None when none is declared."""
        if self.storage_root is None:
            return None
        domain = catalog if isinstance(catalog, str) else catalog.name
        return self.storage_root.format(env=self.name, domain=domain, catalog=domain)


class Deployment(BaseModel):
    """Where each kind of object is managed: SQL migrations or Terraform."""

    model_config = ConfigDict(extra="forbid")

    grants_in: Literal["sql", "terraform", "both"] = "terraform"
    tables_in: Literal["sql", "terraform"] = "sql"
    masks_schema: str | None = None  # schema holding mask functions; None = the table's own


class Project(Located):
    name: str
    catalogs: list[Catalog] = Field(default_factory=list)
    environments: list[Environment] = Field(default_factory=lambda: [Environment(name="dev")])
    deployment: Deployment = Field(default_factory=Deployment)

    def catalog(self, name: str) -> Catalog | None:
        lowered = name.lower()
        return next((c for c in self.catalogs if c.name.lower() == lowered), None)

    def environment(self, name: str) -> Environment | None:
        return next((e for e in self.environments if e.name == name), None)

    def iter_tables(self) -> list[tuple[Catalog, Schema, Table]]:
        return [(c, s, t) for c in self.catalogs for s in c.schemas for t in s.tables]
