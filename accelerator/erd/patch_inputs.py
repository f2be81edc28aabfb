"""The inputs every format's patcher takes, and Databricks types spelled back in a source family.

Edits carry Databricks types (`TIMESTAMP`, `DECIMAL(10,2)`); a file keeps its own dialect, so the
type is written the way that file's family spells it (`timestamptz` in PostgreSQL) and checked to
map back to exactly the intended type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from accelerator.erd.text_edits import TextEdit
from accelerator.erd.types import map_type
from accelerator.errors import UnknownTypeError, UnsupportedEditError
from accelerator.model import Table


@dataclass(frozen=True)
class TableTarget:
    """A model table (with its spans) and the schema holding it."""

    schema: str
    table: Table

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.table.name}"


@dataclass(frozen=True)
class NewColumn:
    name: str
    type: str  # a Databricks SQL type
    not_null: bool = False
    default: str | None = None  # a Databricks SQL expression
    comment: str | None = None
    source_type: str | None = (
        None  # the type as the user wrote it (`varchar(20)`), kept where it means `type`
    )


class ErdPatcher(Protocol):
    """What each format's patcher plans: the text edits that make its file say one change."""

    def rename_table(self, target: TableTarget, new_name: str) -> list[TextEdit]: ...
    def rename_column(self, target: TableTarget, column: str, new_name: str) -> list[TextEdit]: ...
    def add_column(self, target: TableTarget, column: NewColumn) -> list[TextEdit]: ...
    def drop_column(self, target: TableTarget, column: str) -> list[TextEdit]: ...
    def change_type(
        self, target: TableTarget, column: str, new_type: str, source_type: str | None = None
    ) -> list[TextEdit]: ...
    def set_not_null(self, target: TableTarget, column: str, not_null: bool) -> list[TextEdit]: ...
    def set_comment(self, target: TableTarget, column: str | None, comment: str | None) -> list[TextEdit]: ...
    def add_foreign_key(
        self, target: TableTarget, columns: list[str], ref_schema: str, ref_table: str, ref_columns: list[str]
    ) -> list[TextEdit]: ...
    def drop_foreign_key(self, target: TableTarget, columns: list[str]) -> list[TextEdit]: ...
    def move_table(self, target: TableTarget, schema: str) -> list[TextEdit]: ...


# Preferred spelling per family; anything missing falls back to the lower-cased Databricks type.
_COMMON_SPELLING = {
    "STRING": "varchar",
    "INT": "int",
    "DOUBLE": "double",
    "FLOAT": "real",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP_NTZ": "timestamp_ntz",
}
_FAMILY_SPELLING: dict[str, dict[str, str]] = {
    "mermaid": {"STRING": "string"},
    "postgres": {
        "STRING": "text",
        "INT": "integer",
        "DOUBLE": "double precision",
        "TIMESTAMP": "timestamptz",
        "TIMESTAMP_NTZ": "timestamp",
        "BINARY": "bytea",
    },
    "mysql": {"STRING": "text", "TIMESTAMP_NTZ": "datetime", "DOUBLE": "double"},
    "tsql": {"STRING": "nvarchar(max)", "TIMESTAMP": "datetimeoffset", "TIMESTAMP_NTZ": "datetime2"},
}
_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")
_ARRAY = re.compile(r"^ARRAY<(.+)>$")


def _spelled(databricks_type: str, family: str) -> str:
    if family == "databricks":
        return databricks_type
    spelling = {**_COMMON_SPELLING, **_FAMILY_SPELLING.get(family, {})}
    if databricks_type in spelling:
        return spelling[databricks_type]
    decimal = _DECIMAL.match(databricks_type)
    if decimal:
        name = "numeric" if family == "postgres" else "decimal"
        separator = ", " if family in ("postgres", "mysql", "tsql") else ","
        return f"{name}({decimal.group(1)}{separator}{decimal.group(2)})"
    array = _ARRAY.match(databricks_type)
    if array and family == "postgres" and "<" not in array.group(1):
        return _spelled(array.group(1), family) + "[]"
    return databricks_type.lower()


def written_type(databricks_type: str, family: str, spelling: str | None) -> str:
    """The user's `spelling` of the type when `family` reads it back as exactly `databricks_type`,
    else `source_type(databricks_type, family)`."""
    if spelling:
        try:
            if map_type(spelling, family=family).type == databricks_type:
                return spelling
        except UnknownTypeError:
            pass
    return source_type(databricks_type, family)


def source_type(databricks_type: str, family: str) -> str:
    """`databricks_type` as `family` (dbml, mermaid, postgres, mysql, ...) writes it.

    Raise `UnsupportedEditError` when no spelling maps back to exactly that type.
    """
    for candidate in (_spelled(databricks_type, family), databricks_type):
        try:
            if map_type(candidate, family=family).type == databricks_type:
                return candidate
        except UnknownTypeError:
            continue
    raise UnsupportedEditError(
        f"cannot write type {databricks_type} in a {family} ERD",
        hint=f"use a type that {family} can express, or keep this table in another ERD format",
    )
