"""Apply an edit to the model: `apply_edit(project, op)` returns a new Project.

This is the meaning of an edit (each operation's `apply_to` says what it changes). A later step
patches the ERD/policy source text instead, then checks that re-parsing the patched source gives
exactly `apply_edit`'s model. The input project is
never mutated (the copy is deep). An edit that would leave the model invalid or unchanged raises a
typed `EditError` saying why, so every applied edit changes something and keeps the model valid.
"""

from __future__ import annotations

from accelerator.edit.located import Located, references_table
from accelerator.edit.operation import EditBase, ResolvedOp, resolve
from accelerator.model.copying import copy_project, deep_copied
from accelerator.model.elements import Project

__all__ = ["ResolvedOp", "apply_edit", "resolve"]


def apply_edit(project: Project, op: EditBase) -> Project:
    """A copy of `project` with `op` applied; raise `EditError` if it does not fit the model."""
    resolved = resolve(op, project)
    updated = _copied_for(project, resolved)
    resolved.op.apply_to(Located.of(updated, resolved))
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
            or any(references_table(fk, schema_name, table_name) for fk in table.foreign_keys)
            else table
            for table in schema.tables
        ]
    return updated
