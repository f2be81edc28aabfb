"""Copies of a project that governance may change without touching its input.

Copy-on-write below the table: catalogs, schemas and tables are shallow-copied with fresh
containers; columns are shared until a step changes one, which then replaces it in its table
with `copied(column)`. Keys, grants and masks are never mutated, only replaced. This is ~20x
faster than a deep copy, which matters at 1,000 tables. `deep_copied` is the deep copy, for the
agent's edits, which change nested objects in place.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from accelerator.model.elements import Catalog, Project, Schema, Table

ModelT = TypeVar("ModelT", bound=BaseModel)


def copied(model: ModelT, **update: Any) -> ModelT:
    """A shallow copy of a model with `update` applied, without re-validation.

    What `model_copy(update=...)` does, minus its generic overhead (it dominated governance time).
    """
    clone = model.__class__.__new__(model.__class__)
    values = dict(model.__dict__)
    values.update(update)
    object.__setattr__(clone, "__dict__", values)
    object.__setattr__(clone, "__pydantic_fields_set__", set(model.__pydantic_fields_set__) | set(update))
    object.__setattr__(clone, "__pydantic_extra__", None)
    object.__setattr__(clone, "__pydantic_private__", None)
    return clone


def deep_copied(model: ModelT) -> ModelT:
    """A deep copy of a model tree, what `model_copy(deep=True)` gives, ~5x faster: no validation
    and no `copy.deepcopy` memo. Spans, strings and numbers are shared (they are never mutated)."""
    clone = model.__class__.__new__(model.__class__)
    object.__setattr__(clone, "__dict__", {name: _deep(value) for name, value in model.__dict__.items()})
    object.__setattr__(clone, "__pydantic_fields_set__", set(model.__pydantic_fields_set__))
    object.__setattr__(clone, "__pydantic_extra__", None)
    object.__setattr__(clone, "__pydantic_private__", None)
    return clone


def _deep(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return deep_copied(value)
    if isinstance(value, list):
        return [_deep(item) for item in value]
    if isinstance(value, dict):
        return {key: _deep(item) for key, item in value.items()}
    return value


def copy_project(project: Project) -> Project:
    return copied(
        project,
        catalogs=[_copy_catalog(c) for c in project.catalogs],
        environments=list(project.environments),
    )


def _copy_catalog(catalog: Catalog) -> Catalog:
    return copied(
        catalog,
        schemas=[_copy_schema(s) for s in catalog.schemas],
        tags=dict(catalog.tags),
        grants=list(catalog.grants),
    )


def _copy_schema(schema: Schema) -> Schema:
    return copied(
        schema,
        tables=[_copy_table(t) for t in schema.tables],
        tags=dict(schema.tags),
        grants=list(schema.grants),
    )


def _copy_table(table: Table) -> Table:
    return copied(
        table,
        columns=list(table.columns),
        foreign_keys=list(table.foreign_keys),
        unique_keys=list(table.unique_keys),
        tags=dict(table.tags),
        properties=dict(table.properties),
        cluster_by=list(table.cluster_by),
        grants=list(table.grants),
    )
