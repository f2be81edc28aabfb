"""The objects of a copied model that a resolved edit changes, and what every edit's effect checks.

`effects.apply_edit` copies the model and locates the edit's objects in the copy; the edit's own
`apply_to` then changes them in place (see the operation modules).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from accelerator.edit.names import ModelNames
from accelerator.errors import EditConflictError
from accelerator.model.copying import copy_for_tables, copy_project
from accelerator.model.elements import Catalog, Column, ForeignKey, Project, Schema, Table


class Address(Protocol):
    """Where a resolved edit points (`operation.ResolvedOp`), by the model's names."""

    @property
    def catalog(self) -> str: ...
    @property
    def schema(self) -> str | None: ...
    @property
    def table(self) -> str | None: ...
    @property
    def column(self) -> str | None: ...


@dataclass
class Located:
    """The objects of the copied project that a resolved edit changes."""

    project: Project
    catalog: Catalog
    schema: Schema | None
    table: Table | None
    column: Column | None

    @classmethod
    def of(cls, project: Project, resolved: Address) -> Located:
        catalog = project.catalog(resolved.catalog)
        assert catalog is not None  # resolved against an equal project
        schema = catalog.schema(resolved.schema) if resolved.schema else None
        table = schema.table(resolved.table) if schema and resolved.table else None
        column = table.column(resolved.column) if table and resolved.column else None
        return cls(project, catalog, schema, table, column)

    @property
    def where(self) -> str:
        """The object's name for messages, e.g. `crm.customers.email`."""
        names = ModelNames(self.project)
        if self.table is not None and self.schema is not None:
            qualified = names.qualified_table((self.catalog, self.schema, self.table))
            return f"{qualified}.{self.column.name}" if self.column else qualified
        if self.schema is not None:
            return names.qualified_schema(self.catalog, self.schema)
        return self.catalog.name

    def require_table(self) -> Table:
        assert self.table is not None
        return self.table

    def require_column(self) -> Column:
        assert self.column is not None
        return self.column

    def securable(self) -> Catalog | Schema | Table:
        return self.table or self.schema or self.catalog

    def unchanged(self, what: str) -> EditConflictError:
        """The error of an edit that would change nothing (every applied edit changes something)."""
        return EditConflictError(f"nothing to change: {self.where} {what}", hint="the edit was not applied")

    def references(self) -> list[tuple[Table, int]]:
        """Foreign keys of the catalog (any table) that reference the table: (table, fk index)."""
        table, schema = self.require_table(), self.schema
        assert schema is not None
        return [
            (other, index)
            for other_schema in self.catalog.schemas
            for other in other_schema.tables
            for index, fk in enumerate(other.foreign_keys)
            if references_table(fk, schema.name.lower(), table.name.lower())
        ]


def references_table(fk: ForeignKey, schema: str, table: str) -> bool:
    """Whether `fk` references `schema.table` (both lower-case)."""
    return fk.ref_schema.lower() == schema and fk.ref_table.lower() == table


def copied_for(project: Project, resolved: Address) -> Project:
    """A copy that `resolved` may change in place: fresh containers down to every table (see
    `copy_project`) for a catalog or schema edit; for a table's, fresh containers down to the
    schemas of its catalog and deep copies of the tables it can touch, the target and, in its
    catalog, the tables whose foreign keys reference it (`copy_for_tables`). The other tables are
    shared: an edit changes no other (tests/agent/test_apply.py checks every edit's input)."""
    if resolved.table is None or resolved.schema is None:
        return copy_project(project)  # catalog and schema edits assign new values to the copied objects
    schema_name, table_name = resolved.schema.lower(), resolved.table.lower()

    def touched(schema: Schema, table: Table) -> bool:
        return (schema.name.lower() == schema_name and table.name.lower() == table_name) or any(
            references_table(fk, schema_name, table_name) for fk in table.foreign_keys
        )

    assert project.catalog(resolved.catalog) is not None  # resolved against this project
    return copy_for_tables(project, touched, resolved.catalog)
