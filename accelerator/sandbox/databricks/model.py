"""What the in-memory Unity Catalog holds: a metastore of catalogs, schemas, tables (with their rows),
functions, tags, masks, grants and owners. Names of catalogs, schemas, tables and functions are kept
lower-case as Unity Catalog keeps them; column names keep their case and match without it."""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import BaseModel, Field

ACCOUNT_USERS = "account users"


def now_ms() -> int:
    return int(time.time() * 1000)


class Securable(BaseModel):
    name: str
    owner: str
    comment: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    grants: dict[str, list[str]] = Field(default_factory=dict)  # principal -> privileges (USE_SCHEMA form)
    created_at: int = Field(default_factory=now_ms)
    created_by: str = ""
    updated_at: int = Field(default_factory=now_ms)
    updated_by: str = ""


class Identity(BaseModel):
    always: bool
    start: int = 1
    increment: int = 1


class Mask(BaseModel):
    function: str  # catalog.schema.function, lower-case
    using: list[str] = Field(default_factory=list)


class Column(BaseModel):
    name: str
    type: str
    nullable: bool = True
    default: str | None = None
    comment: str | None = None
    identity: Identity | None = None
    generated: str | None = None  # GENERATED ALWAYS AS (expression)
    tags: dict[str, str] = Field(default_factory=dict)
    mask: Mask | None = None


class Constraint(BaseModel):
    name: str
    kind: Literal["PRIMARY KEY", "FOREIGN KEY", "CHECK"]
    columns: list[str] = Field(default_factory=list)
    ref_table: str | None = None  # catalog.schema.table, lower-case
    ref_columns: list[str] = Field(default_factory=list)
    expression: str | None = None  # CHECK


class RowFilter(BaseModel):
    function: str
    columns: list[str] = Field(default_factory=list)


class Table(Securable):
    columns: list[Column] = Field(default_factory=list)
    constraints: list[Constraint] = Field(default_factory=list)
    properties: dict[str, str] = Field(default_factory=dict)
    cluster_by: list[str] = Field(default_factory=list)
    cluster_auto: bool = False
    row_filter: RowFilter | None = None
    rows: list[dict[str, Any]] = Field(default_factory=list)  # keyed by column name, lower-case
    identity_next: dict[str, int] = Field(default_factory=dict)

    def column(self, name: str) -> Column | None:
        wanted = name.lower()
        return next((column for column in self.columns if column.name.lower() == wanted), None)

    def constraint(self, name: str) -> Constraint | None:
        wanted = name.lower()
        return next((found for found in self.constraints if found.name.lower() == wanted), None)

    def primary_key(self) -> Constraint | None:
        return next((found for found in self.constraints if found.kind == "PRIMARY KEY"), None)

    @property
    def column_mapping(self) -> bool:
        return self.properties.get("delta.columnMapping.mode", "none").lower() in ("name", "id")

    @property
    def type_widening(self) -> bool:
        return self.properties.get("delta.enableTypeWidening", "false").lower() == "true"


class Function(Securable):
    parameters: list[tuple[str, str]] = Field(default_factory=list)
    returns: str = "STRING"
    body: str = ""


class Schema(Securable):
    tables: dict[str, Table] = Field(default_factory=dict)
    functions: dict[str, Function] = Field(default_factory=dict)


class Catalog(Securable):
    storage_root: str | None = None
    schemas: dict[str, Schema] = Field(default_factory=dict)


class Metastore(BaseModel):
    catalogs: dict[str, Catalog] = Field(default_factory=dict)
    # Privileges on the metastore itself; by default every user may create catalogs.
    grants: dict[str, list[str]] = Field(default_factory=lambda: {ACCOUNT_USERS: ["CREATE_CATALOG"]})
    admins: list[str] = Field(default_factory=list)  # metastore admins: every privilege
    groups: dict[str, list[str]] = Field(default_factory=dict)  # group -> member users
