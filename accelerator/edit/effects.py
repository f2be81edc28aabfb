"""Apply an edit to the model: `apply_edit(project, op)` returns a new Project.

This is the meaning of an edit. A later step patches the ERD/policy source text instead, then
checks that re-parsing the patched source gives exactly `apply_edit`'s model. The input project is
never mutated (the copy is deep). An edit that would leave the model invalid or unchanged raises a
typed `EditError` saying why, so every applied edit changes something and keeps the model valid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from accelerator.edit.grant_lists import grant_privileges, revoke_privileges
from accelerator.edit.operations import (
    AddColumn,
    ChangeType,
    Classify,
    DropColumn,
    EditBase,
    Grant,
    RenameColumn,
    RenameTable,
    Revoke,
    SetComment,
    SetNotNull,
    SetOwner,
    SetTag,
)
from accelerator.edit.resolve import ModelNames, ResolvedOp, resolve
from accelerator.errors import EditConflictError
from accelerator.model.elements import Catalog, Column, ForeignKey, Project, Schema, Table
from accelerator.policy.copying import copy_project, deep_copied

__all__ = ["ResolvedOp", "apply_edit", "resolve"]


def apply_edit(project: Project, op: EditBase) -> Project:
    """A copy of `project` with `op` applied; raise `EditError` if it does not fit the model."""
    resolved = resolve(op, project)
    updated = _copied_for(project, resolved)
    _APPLIERS[type(resolved.op)](_Target.locate(updated, resolved))
    return updated


def _copied_for(project: Project, resolved: ResolvedOp) -> Project:
    """A copy that `resolved` may change in place: fresh containers down to every table (see
    `copy_project`), and deep copies of the tables it can touch, the target and, in its catalog,
    the tables whose foreign keys reference it. The other tables' columns and keys stay shared."""
    updated = copy_project(project)
    if resolved.table is None or resolved.schema is None:
        return updated  # catalog and schema edits assign new values to the copied objects
    catalog = updated.catalog(resolved.catalog)
    assert catalog is not None  # resolved against this project
    schema_name, table_name = resolved.schema.lower(), resolved.table.lower()
    for schema in catalog.schemas:
        schema.tables = [
            deep_copied(table)
            if (schema.name.lower() == schema_name and table.name.lower() == table_name)
            or any(_references_table(fk, schema_name, table_name) for fk in table.foreign_keys)
            else table
            for table in schema.tables
        ]
    return updated


@dataclass
class _Target:
    """The objects of the copied project that a resolved edit changes."""

    project: Project
    resolved: ResolvedOp
    catalog: Catalog
    schema: Schema | None
    table: Table | None
    column: Column | None

    @classmethod
    def locate(cls, project: Project, resolved: ResolvedOp) -> _Target:
        catalog = project.catalog(resolved.catalog)
        assert catalog is not None  # resolved against an equal project
        schema = catalog.schema(resolved.schema) if resolved.schema else None
        table = schema.table(resolved.table) if schema and resolved.table else None
        column = table.column(resolved.column) if table and resolved.column else None
        return cls(project, resolved, catalog, schema, table, column)

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


def _unchanged(target: _Target, what: str) -> EditConflictError:
    return EditConflictError(f"nothing to change: {target.where} {what}", hint="the edit was not applied")


def _references(target: _Target) -> list[tuple[Table, int]]:
    """Foreign keys of the catalog (any table) that reference the target table: (table, fk index)."""
    table, schema = target.require_table(), target.schema
    assert schema is not None
    return [
        (other, index)
        for other_schema in target.catalog.schemas
        for other in other_schema.tables
        for index, fk in enumerate(other.foreign_keys)
        if _references_table(fk, schema.name.lower(), table.name.lower())
    ]


def _references_table(fk: ForeignKey, schema: str, table: str) -> bool:
    """Whether `fk` references `schema.table` (both lower-case)."""
    return fk.ref_schema.lower() == schema and fk.ref_table.lower() == table


def _rename_table(target: _Target) -> None:
    op, table, schema = target.resolved.op, target.require_table(), target.schema
    assert isinstance(op, RenameTable) and schema is not None
    if op.new_name == table.name:
        raise _unchanged(target, f"is already named `{op.new_name}`")
    clash = schema.table(op.new_name)
    if clash is not None and clash is not table:
        raise EditConflictError(
            f"cannot rename {target.where} to `{op.new_name}`: {schema.name}.{clash.name} exists",
            hint="choose another name; Unity Catalog names are case-insensitive",
        )
    for other, index in _references(target):
        other.foreign_keys[index].ref_table = op.new_name
    table.name = op.new_name


def _rename_in(names: list[str], old: str, new: str) -> list[str]:
    return [new if name.lower() == old.lower() else name for name in names]


def _rename_column(target: _Target) -> None:
    op, table, column = target.resolved.op, target.require_table(), target.require_column()
    assert isinstance(op, RenameColumn)
    if op.new_name == column.name:
        raise _unchanged(target, f"is already named `{op.new_name}`")
    clash = table.column(op.new_name)
    if clash is not None and clash is not column:
        raise EditConflictError(
            f"cannot rename {target.where} to `{op.new_name}`: the table already has a column `{clash.name}`",
            hint="choose another name; Unity Catalog names are case-insensitive",
        )
    old = column.name
    if table.primary_key:
        table.primary_key.columns = _rename_in(table.primary_key.columns, old, op.new_name)
    for unique in table.unique_keys:
        unique.columns = _rename_in(unique.columns, old, op.new_name)
    for fk in table.foreign_keys:
        fk.columns = _rename_in(fk.columns, old, op.new_name)
    table.cluster_by = _rename_in(table.cluster_by, old, op.new_name)
    for other, index in _references(target):
        fk = other.foreign_keys[index]
        fk.ref_columns = _rename_in(fk.ref_columns, old, op.new_name)
    column.name = op.new_name


def _add_column(target: _Target) -> None:
    op, table = target.resolved.op, target.require_table()
    assert isinstance(op, AddColumn)
    existing = table.column(op.column)
    if existing is not None:
        raise EditConflictError(
            f"{target.where} already has a column `{existing.name}`",
            hint="choose another name, or change the existing column's type",
        )
    table.columns.append(
        Column(
            name=op.column,
            type=op.type,
            source_type=op.type,
            nullable=not op.not_null,
            default=op.default,
            comment=op.comment,
        )
    )


def _drop_column(target: _Target) -> None:
    table, column = target.require_table(), target.require_column()
    name = column.name.lower()

    def uses(columns: list[str]) -> bool:
        return name in (c.lower() for c in columns)

    blockers: list[str] = []
    if table.primary_key and uses(table.primary_key.columns):
        blockers.append("the primary key")
    blockers += [
        "a multi-column unique key" for u in table.unique_keys if uses(u.columns) and len(u.columns) > 1
    ]
    blockers += [
        "a multi-column foreign key" for fk in table.foreign_keys if uses(fk.columns) and len(fk.columns) > 1
    ]
    if uses(table.cluster_by):
        blockers.append("the clustering keys")
    for other, index in _references(target):
        if uses(other.foreign_keys[index].ref_columns):
            blockers.append(f"a foreign key of {other.name}")
    if len(table.columns) == 1:
        blockers.append("the table (its only column)")
    if blockers:
        raise EditConflictError(
            f"cannot drop {target.where}: it is used by {', '.join(dict.fromkeys(blockers))}",
            hint="change or remove what uses it first",
        )
    # its own single-column unique key and foreign key go with it, as they do in the ERD's column line
    table.unique_keys = [u for u in table.unique_keys if not uses(u.columns)]
    table.foreign_keys = [fk for fk in table.foreign_keys if not uses(fk.columns)]
    table.columns = [c for c in table.columns if c is not column]


def _change_type(target: _Target) -> None:
    op, column = target.resolved.op, target.require_column()
    assert isinstance(op, ChangeType)
    if op.type == column.type and column.allowed_values is None:  # else: the enum's values go
        raise _unchanged(target, f"is already {op.type}")
    if column.identity is not None and op.type != "BIGINT":
        raise EditConflictError(
            f"cannot change {target.where} to {op.type}: it is an identity column, which must be BIGINT",
            hint="keep it BIGINT, or add a new column",
        )
    column.type = column.source_type = op.type
    column.allowed_values = None  # the enum's values belonged to the old type


def _set_not_null(target: _Target) -> None:
    op, table, column = target.resolved.op, target.require_table(), target.require_column()
    assert isinstance(op, SetNotNull)
    if column.nullable != op.not_null:
        raise _unchanged(target, "is already " + ("NOT NULL" if op.not_null else "nullable"))
    in_primary_key = table.primary_key and column.name.lower() in (
        c.lower() for c in table.primary_key.columns
    )
    if not op.not_null and in_primary_key:
        raise EditConflictError(
            f"cannot drop NOT NULL on {target.where}: primary key columns are always NOT NULL",
            hint="remove the column from the primary key first",
        )
    column.nullable = not op.not_null


def _set_comment(target: _Target) -> None:
    op = target.resolved.op
    assert isinstance(op, SetComment)
    element: Table | Column = target.column or target.require_table()
    comment = op.comment or None  # an empty comment removes it
    if element.comment == comment:
        raise _unchanged(target, "already has that comment" if comment else "has no comment")
    element.comment = comment


def _set_tag(target: _Target) -> None:
    op = target.resolved.op
    assert isinstance(op, SetTag)
    element: Table | Column = target.column or target.require_table()
    if element.tags.get(op.key) == op.value:
        raise _unchanged(target, f"already has the tag {op.key}={op.value}")
    element.tags[op.key] = op.value


def _classify(target: _Target) -> None:
    op, column = target.resolved.op, target.require_column()
    assert isinstance(op, Classify)
    if column.classification == op.classification:
        raise _unchanged(target, f"is already classified as {op.classification}")
    column.classification = op.classification


def _securable(target: _Target) -> Catalog | Schema | Table:
    return target.table or target.schema or target.catalog


def _grant(target: _Target) -> None:
    op, securable = target.resolved.op, _securable(target)
    assert isinstance(op, Grant)
    where = f"{op.securable_kind} {target.where}"
    securable.grants = grant_privileges(securable.grants, op.principal, op.privileges, op.environment, where)


def _revoke(target: _Target) -> None:
    op, securable = target.resolved.op, _securable(target)
    assert isinstance(op, Revoke)
    where = f"{op.securable_kind} {target.where}"
    environments = [e.name for e in target.project.environments]
    securable.grants = revoke_privileges(
        securable.grants, op.principal, op.privileges, op.environment, where, environments
    )


def _set_owner(target: _Target) -> None:
    op, securable = target.resolved.op, _securable(target)
    assert isinstance(op, SetOwner)
    if securable.owner == op.principal:
        raise _unchanged(target, f"is already owned by `{op.principal}`")
    securable.owner = op.principal


_APPLIERS: dict[type[EditBase], Callable[[_Target], None]] = {
    RenameTable: _rename_table,
    RenameColumn: _rename_column,
    AddColumn: _add_column,
    DropColumn: _drop_column,
    ChangeType: _change_type,
    SetNotNull: _set_not_null,
    SetComment: _set_comment,
    SetTag: _set_tag,
    Classify: _classify,
    Grant: _grant,
    Revoke: _revoke,
    SetOwner: _set_owner,
}
