"""Copies of model elements, made without validation (what they hold was validated when built).

- `copied(model, **update)`: a shallow copy with some fields replaced, what `model_copy(update=...)`
  gives without its generic overhead.
- `deep_copied(model)`: a copy that shares nothing a caller could change in place (strings, numbers
  and spans are shared: they are never mutated), optionally with its spans moved by some lines.
- `copy_project(project)`: copy-on-write below the table, for governance: catalogs, schemas and
  tables are shallow copies with fresh containers; columns, keys, grants and masks are shared until
  a step replaces one (with `copied`); none is ever changed in place.
- `copy_for_tables(project, touched, catalog)`: for a change of some tables (an edit's): deep
  copies of those, fresh containers above them, every other table shared.

An edit changes the tables it touches in place, so it deep-copies those (`edit.effects`).
A deep copy follows the shape of each model class (`_shape`, read once per class from its fields):
checking every value with `isinstance(value, BaseModel)` goes through pydantic's metaclass and
costs more than the copy. A field of a kind it cannot copy is a TypeError at its first copy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from types import UnionType
from typing import Any, NamedTuple, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel

from accelerator.model.elements import Catalog, Project, Schema, Span, Table

ModelT = TypeVar("ModelT", bound=BaseModel)

# What object.__setattr__ does for these four slots of every model, without its checks.
_new = object.__new__
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def made(kind: type[ModelT], values: dict[str, Any], fields_set: Iterable[str]) -> ModelT:
    """A `kind` holding `values` (every field, in declaration order), not validated."""
    model = _new(kind)
    _set_dict(model, values)
    _set_fields_set(model, set(fields_set))
    _set_extra(model, None)
    _set_private(model, None)
    return model


def copied(model: ModelT, **update: Any) -> ModelT:
    """A shallow copy of a model with `update` applied."""
    values = model.__dict__.copy()
    values.update(update)
    return made(type(model), values, set(model.__pydantic_fields_set__) | set(update))


def moved(span: Span, lines: int) -> Span:
    return Span(span.file, span.line + lines, span.column, span.end_line + lines, span.end_column)


def deep_copied(model: ModelT, lines: int = 0, *, without: str | None = None) -> ModelT:
    """A copy of `model` that shares nothing a caller could change, its spans (and those of every
    model it holds) moved by `lines` lines, and the list of models that `without` names left empty."""
    copied_fields, models, model_lists = _shape(type(model))
    values = model.__dict__.copy()
    if without is not None:
        values[without] = []
    for name in copied_fields:
        if (value := values[name]) is not None:
            values[name] = value.copy()
    for name in models:
        if (value := values[name]) is not None:
            values[name] = deep_copied(value, lines)
    for name in model_lists:
        values[name] = [deep_copied(item, lines) for item in values[name]]
    if lines:
        for name in ("span", "name_span"):
            if (span := values.get(name)) is not None:
                values[name] = moved(span, lines)
    return made(type(model), values, model.__pydantic_fields_set__)


class _Shape(NamedTuple):
    """Where the models of a class hold what a caller could change in place."""

    copied: tuple[str, ...]  # a dict, or a list of plain values (or None): copied shallowly
    models: tuple[str, ...]  # a model (or None)
    model_lists: tuple[str, ...]  # a list of models


@cache
def _shape(kind: type[BaseModel]) -> _Shape:
    copied_fields: list[str] = []
    models: list[str] = []
    model_lists: list[str] = []
    for name, field in kind.model_fields.items():
        options = get_args(field.annotation) if get_origin(field.annotation) in (Union, UnionType) else ()
        annotation = next((a for a in options if a is not type(None)), field.annotation)
        origin, arguments = get_origin(annotation), get_args(annotation)
        if origin is list and _is_model(arguments[0]):
            model_lists.append(name)
        elif origin in (list, dict) and not any(get_origin(a) or _is_model(a) for a in arguments):
            copied_fields.append(name)
        elif _is_model(annotation):
            models.append(name)
        elif origin in (list, dict, set, tuple) or len(options) > 2:
            raise TypeError(f"cannot copy {kind.__name__}.{name}: {field.annotation}")
    return _Shape(tuple(copied_fields), tuple(models), tuple(model_lists))


def _is_model(annotation: object) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def copy_project(project: Project) -> Project:
    return copied(
        project,
        catalogs=[_copy_catalog(c) for c in project.catalogs],
        environments=list(project.environments),
    )


def copy_for_tables(
    project: Project, touched: Callable[[Schema, Table], bool], catalog_name: str | None = None
) -> Project:
    """A copy for a change of some tables (of one catalog, `catalog_name`, or of any): the project,
    the catalogs and their schemas with containers of their own (as `copy_project` makes them), deep
    copies of the tables that `touched` names, and every other table (and catalog) shared: the
    change does not touch them, so they need no copy (`copy_project` makes one of every table)."""
    lowered = catalog_name.lower() if catalog_name is not None else None

    def catalog_copy(catalog: Catalog) -> Catalog:
        if lowered is not None and catalog.name.lower() != lowered:
            return catalog
        schemas = [
            copied(
                schema,
                tables=[deep_copied(t) if touched(schema, t) else t for t in schema.tables],
                tags=dict(schema.tags),
                grants=list(schema.grants),
            )
            for schema in catalog.schemas
        ]
        return copied(catalog, schemas=schemas, tags=dict(catalog.tags), grants=list(catalog.grants))

    return copied(
        project,
        catalogs=[catalog_copy(c) for c in project.catalogs],
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
        checks=list(table.checks),
        tags=dict(table.tags),
        properties=dict(table.properties),
        cluster_by=list(table.cluster_by),
        grants=list(table.grants),
    )
