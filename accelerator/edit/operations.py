"""Typed edits of the model, and the conversation's other commands.

A reviewer's comment is parsed into these (`commands.py`); an LLM produces the same ones as tool
calls (their JSON schemas, docstrings included, are the tool schemas). `apply.py` checks them
against a model and applies them. Values are normalized on construction, whatever produced them:
privileges to UPPER_SNAKE (`use schema` -> `USE_SCHEMA`), types to Databricks SQL types
(`varchar(20)` -> `STRING`), classifications to lower case.
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from accelerator.erd.types import map_type
from accelerator.errors import UnknownTypeError

SecurableKind = Literal["catalog", "schema", "table"]

# Unity Catalog privileges that can be granted on each kind of securable we model.
PRIVILEGES_BY_SECURABLE: dict[str, tuple[str, ...]] = {
    "catalog": (
        *("ALL_PRIVILEGES", "APPLY_TAG", "BROWSE", "CREATE_FUNCTION", "CREATE_MATERIALIZED_VIEW"),
        *("CREATE_MODEL", "CREATE_SCHEMA", "CREATE_TABLE", "CREATE_VOLUME", "EXECUTE"),
        *("EXTERNAL_USE_SCHEMA", "MANAGE", "MODIFY", "READ_VOLUME", "REFRESH", "SELECT"),
        *("USE_CATALOG", "USE_SCHEMA", "WRITE_VOLUME"),
    ),
    "schema": (
        *("ALL_PRIVILEGES", "APPLY_TAG", "CREATE_FUNCTION", "CREATE_MATERIALIZED_VIEW", "CREATE_MODEL"),
        *("CREATE_TABLE", "CREATE_VOLUME", "EXECUTE", "EXTERNAL_USE_SCHEMA", "MANAGE", "MODIFY"),
        *("READ_VOLUME", "REFRESH", "SELECT", "USE_SCHEMA", "WRITE_VOLUME"),
    ),
    "table": ("ALL_PRIVILEGES", "APPLY_TAG", "MANAGE", "MODIFY", "SELECT"),
}
KNOWN_PRIVILEGES: tuple[str, ...] = PRIVILEGES_BY_SECURABLE["catalog"]

_FORBIDDEN_IN_NAME = re.compile(r"[./\x00-\x1f\x7f]")
_CLASSIFICATION = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")


def normalize_privilege(text: str) -> str:
    """`use schema`, `use_schema`, `Use-Schema` -> `USE_SCHEMA`; raise ValueError if unknown."""
    privilege = re.sub(r"[\s\-_]+", "_", text.strip()).upper()
    if privilege not in KNOWN_PRIVILEGES:
        close = difflib.get_close_matches(privilege, KNOWN_PRIVILEGES, n=1)
        guess = f"did you mean {close[0]}? " if close else ""
        raise ValueError(f"unknown privilege {text.strip()!r}; {guess}known: {', '.join(KNOWN_PRIVILEGES)}")
    return privilege


def normalize_type(text: str) -> str:
    """A source or Databricks type -> the Databricks type; raise ValueError if unknown.

    The databricks family is a fixed point on Databricks types, so a normalized type stays as is.
    """
    try:
        mapped = map_type(text, family="databricks")
    except UnknownTypeError as error:
        raise ValueError(f"{error.message} ({error.hint})" if error.hint else error.message) from None
    if mapped.identity:
        raise ValueError(f"{text.strip()!r} makes an identity column; use int or bigint instead")
    return mapped.type


def _identifier(value: str) -> str:
    value = value.strip()
    if not value or len(value) > 255 or _FORBIDDEN_IN_NAME.search(value):
        raise ValueError(
            f"{value!r} is not a valid name: 1-255 characters, no '.', '/' or control characters"
        )
    return value


def _qualified(max_parts: int) -> AfterValidator:
    def check(value: str) -> str:
        parts = value.strip().split(".")
        if len(parts) > max_parts:
            raise ValueError(f"{value!r} has more than {max_parts} dot-separated parts")
        return ".".join(_identifier(part) for part in parts)

    return AfterValidator(check)


def _classification(value: str) -> str:
    value = value.strip().lower()
    if not _CLASSIFICATION.match(value):
        raise ValueError(f"{value!r} is not a classification such as 'pii' or 'pii.email'")
    return value


TableName = Annotated[
    str,
    _qualified(3),
    Field(description="The table: `table`, `schema.table` or `catalog.schema.table`."),
]
ColumnName = Annotated[str, AfterValidator(_identifier), Field(description="The column name.")]
NewName = Annotated[
    str, AfterValidator(_identifier), Field(description="The new name: one identifier, unqualified.")
]
DatabricksType = Annotated[
    str,
    AfterValidator(normalize_type),
    Field(
        description="The column type: a Databricks SQL type such as STRING, BIGINT, DECIMAL(10,2), "
        "TIMESTAMP or ARRAY<STRING>; source types such as varchar(20) are mapped to one."
    ),
]
SecurableName = Annotated[
    str,
    _qualified(3),
    Field(description="The securable: `catalog`; `schema` or `catalog.schema`; a table name."),
]
Principal = Annotated[
    str,
    AfterValidator(str.strip),
    Field(min_length=1, description="A group, user (e-mail) or service principal, e.g. `analysts`."),
]
Environment = Annotated[
    str | None,
    Field(description="Only in this environment (e.g. `prod`); null means every environment."),
]


class EditBase(BaseModel):
    """Base of every edit of the model."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RenameTable(EditBase):
    """Rename a table (it stays in its schema). References to it are updated."""

    op: Literal["rename_table"] = "rename_table"
    table: TableName
    new_name: NewName


class RenameColumn(EditBase):
    """Rename a column of a table. Keys and foreign keys naming it are updated."""

    op: Literal["rename_column"] = "rename_column"
    table: TableName
    column: ColumnName
    new_name: NewName


class AddColumn(EditBase):
    """Add a column at the end of a table."""

    op: Literal["add_column"] = "add_column"
    table: TableName
    column: Annotated[str, AfterValidator(_identifier), Field(description="The new column's name.")]
    type: DatabricksType
    not_null: bool = Field(default=False, description="True for NOT NULL.")
    default: str | None = Field(
        default=None, description="A Databricks SQL default expression, e.g. 0, 'new' or current_timestamp()."
    )
    comment: str | None = Field(default=None, description="The column's description.")


class DropColumn(EditBase):
    """Drop a column from a table (destructive: its data is lost)."""

    op: Literal["drop_column"] = "drop_column"
    table: TableName
    column: ColumnName


class ChangeType(EditBase):
    """Change the type of a column."""

    op: Literal["change_type"] = "change_type"
    table: TableName
    column: ColumnName
    type: DatabricksType


class SetNotNull(EditBase):
    """Make a column NOT NULL (not_null=true) or nullable again (not_null=false)."""

    op: Literal["set_not_null"] = "set_not_null"
    table: TableName
    column: ColumnName
    not_null: bool = Field(description="True adds NOT NULL, false drops it.")


class SetComment(EditBase):
    """Set the comment (description) of a table, or of a column when `column` is given.

    An empty comment removes it.
    """

    op: Literal["set_comment"] = "set_comment"
    table: TableName
    column: str | None = Field(default=None, description="The column; null for the table itself.")
    comment: str = Field(description="The new comment; empty to remove it.")


class SetTag(EditBase):
    """Set a governance tag `key=value` on a table, or on a column when `column` is given."""

    op: Literal["set_tag"] = "set_tag"
    table: TableName
    column: str | None = Field(default=None, description="The column; null for the table itself.")
    key: str = Field(min_length=1, description="The tag key, e.g. `domain`.")
    value: str = Field(description="The tag value, e.g. `sales`.")


class Classify(EditBase):
    """Classify a column, e.g. as `pii` or `pii.email`; the policy then masks and tags it."""

    op: Literal["classify"] = "classify"
    table: TableName
    column: ColumnName
    classification: Annotated[
        str,
        AfterValidator(_classification),
        Field(description="Dotted lower-case class, e.g. `pii`, `pii.email`, `confidential`."),
    ]


class _PrivilegeChange(EditBase):
    privileges: Annotated[
        list[Annotated[str, AfterValidator(normalize_privilege)]],
        AfterValidator(lambda privileges: list(dict.fromkeys(privileges))),
        Field(
            min_length=1,
            description="Unity Catalog privileges, e.g. SELECT, MODIFY, USE_SCHEMA, ALL_PRIVILEGES.",
        ),
    ]
    securable_kind: SecurableKind = Field(description="What kind of object `securable` names.")
    securable: SecurableName
    principal: Principal
    environment: Environment = None

    @model_validator(mode="after")
    def _check_privileges(self) -> _PrivilegeChange:
        allowed = PRIVILEGES_BY_SECURABLE[self.securable_kind]
        wrong = [p for p in self.privileges if p not in allowed]
        if wrong:
            raise ValueError(
                f"{', '.join(wrong)} cannot be granted on a {self.securable_kind}; "
                f"privileges on a {self.securable_kind}: {', '.join(allowed)}"
            )
        return self


class Grant(_PrivilegeChange):
    """Grant privileges on a catalog, schema or table to a principal, in one or every environment."""

    op: Literal["grant"] = "grant"


class Revoke(_PrivilegeChange):
    """Revoke privileges on a catalog, schema or table from a principal, in one or every environment."""

    op: Literal["revoke"] = "revoke"


class SetOwner(EditBase):
    """Make a principal the owner of a catalog, schema or table."""

    op: Literal["set_owner"] = "set_owner"
    securable_kind: SecurableKind | None = Field(
        default=None, description="What `securable` names; null to infer it from the model."
    )
    securable: SecurableName
    principal: Principal


class CommandBase(BaseModel):
    """Base of the conversation's commands that do not edit the model."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Undo(CommandBase):
    """Undo the edits of the last turn."""

    op: Literal["undo"] = "undo"


class Explain(CommandBase):
    """Explain an object (table, column, ...) or a finding; with no target, the last change."""

    op: Literal["explain"] = "explain"
    target: str | None = Field(default=None, description="What to explain, e.g. `crm.customers.email`.")


class Status(CommandBase):
    """Show the state of the pull request's workflow."""

    op: Literal["status"] = "status"


class Help(CommandBase):
    """List the commands."""

    op: Literal["help"] = "help"


EditOp = Annotated[
    RenameTable
    | RenameColumn
    | AddColumn
    | DropColumn
    | ChangeType
    | SetNotNull
    | SetComment
    | SetTag
    | Classify
    | Grant
    | Revoke
    | SetOwner,
    Field(discriminator="op"),
]
Command = Annotated[Undo | Explain | Status | Help, Field(discriminator="op")]
# What one parsed statement is; one discriminated union, so a turn's commands serialize as a list.
ParsedCommand = Annotated[
    RenameTable
    | RenameColumn
    | AddColumn
    | DropColumn
    | ChangeType
    | SetNotNull
    | SetComment
    | SetTag
    | Classify
    | Grant
    | Revoke
    | SetOwner
    | Undo
    | Explain
    | Status
    | Help,
    Field(discriminator="op"),
]
