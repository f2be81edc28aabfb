"""Where a change applies: a catalog, a schema, a table or a column, by its logical names."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ObjectPath:
    """An object of the model; `catalog` empty means the project itself (its environments)."""

    catalog: str = ""
    schema: str | None = None
    table: str | None = None
    column: str | None = None

    @property
    def kind(self) -> str:
        if not self.catalog:
            return "project"
        if self.schema is None:
            return "catalog"
        if self.table is None:
            return "schema"
        return "table" if self.column is None else "column"

    @property
    def parts(self) -> tuple[str, ...]:
        names = (self.catalog, self.schema, self.table, self.column)
        return tuple(name for name in names if name)

    def sort_key(self) -> tuple[str, ...]:
        return tuple(part.lower() for part in self.parts)

    def table_path(self) -> ObjectPath:
        return ObjectPath(self.catalog, self.schema, self.table)

    def with_table(self, table: str) -> ObjectPath:
        return ObjectPath(self.catalog, self.schema, table, self.column)

    def with_column(self, column: str) -> ObjectPath:
        return ObjectPath(self.catalog, self.schema, self.table, column)

    def __str__(self) -> str:
        return ".".join(self.parts) or "project"
