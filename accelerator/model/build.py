"""Assemble parsed ERDs into one Project and check that it is a valid model.

Duplicate names and references to what does not exist are located `ModelError`s (exit code 2):
they make the model meaningless, unlike policy findings, which judge a valid model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from accelerator.errors import ModelError
from accelerator.model.elements import (
    Catalog,
    Deployment,
    Environment,
    Located,
    Project,
    Schema,
    Span,
    Table,
)


class SchemaSource(Protocol):
    """A parsed ERD file (see `accelerator.erd.parsed.ParsedErd`)."""

    file: str
    source: str
    schemas: list[Schema]


def build_project(
    name: str,
    parts: Sequence[tuple[str, SchemaSource]],
    *,
    environments: Sequence[Environment] | None = None,
    deployment: Deployment | None = None,
) -> Project:
    """Merge `(catalog name, parsed ERD)` pairs into a Project and validate it.

    The parsed schemas are taken over, not copied (a copy of 20,000 columns costs a second).
    """
    sources = {part.file: part.source for _, part in parts}
    catalogs: dict[str, Catalog] = {}
    for catalog_name, part in parts:
        catalog = catalogs.setdefault(catalog_name.lower(), Catalog(name=catalog_name))
        for schema in part.schemas:
            existing = catalog.schema(schema.name)
            if existing is None:
                catalog.schemas.append(schema)
                continue
            for table in schema.tables:
                _check_unique([*existing.tables, table], "table", f"{catalog.name}.{schema.name}", sources)
                existing.tables.append(table)
            existing.comment = existing.comment or schema.comment
            existing.owner = existing.owner or schema.owner
            existing.tags = {**schema.tags, **existing.tags}
            existing.grants.extend(schema.grants)
    project = Project(name=name, catalogs=list(catalogs.values()))
    if environments:
        project.environments = list(environments)
    if deployment:
        project.deployment = deployment
    validate_project(project, sources)
    return project


def validate_project(project: Project, sources: dict[str, str] | None = None) -> None:
    """Raise a located ModelError for duplicates and dangling references."""
    sources = sources or {}
    for catalog in project.catalogs:
        _check_unique(catalog.schemas, "schema", catalog.name, sources)
        # what `catalog.schema(s).table(t)` finds, and its column names (lower-cased), looked up once
        tables: dict[tuple[str, str], tuple[Table, set[str]]] = {}
        schemas: set[str] = set()
        for schema in catalog.schemas:
            lowered = schema.name.lower()
            if lowered in schemas:
                continue  # `catalog.schema` finds the first one (a duplicate was refused above)
            schemas.add(lowered)
            for table in schema.tables:
                names = {c.name.lower() for c in table.columns}
                tables.setdefault((lowered, table.name.lower()), (table, names))
        for schema in catalog.schemas:
            _check_unique(schema.tables, "table", f"{catalog.name}.{schema.name}", sources)
            for table in schema.tables:
                _validate_table(catalog, schema, table, sources, tables)


def _validate_table(
    catalog: Catalog,
    schema: Schema,
    table: Table,
    sources: dict[str, str],
    tables: dict[tuple[str, str], tuple[Table, set[str]]],
) -> None:
    where = f"{schema.name}.{table.name}"
    indexed = tables.get((schema.name.lower(), table.name.lower()))
    names = (
        indexed[1] if indexed is not None and indexed[0] is table else {c.name.lower() for c in table.columns}
    )
    if len(names) != len(table.columns):  # two columns of one name: say which
        _check_unique(table.columns, "column", where, sources)

    def require_columns(columns: Iterable[str], element: Located, what: str) -> None:
        for column in columns:
            if column.lower() not in names:
                raise _error(
                    f"{what} of table {where} names column {column!r}, which {where} does not have",
                    element.span or table.name_span or table.span,
                    sources,
                    hint=_closest_hint(column, [c.name for c in table.columns]),
                )

    if table.primary_key:
        require_columns(table.primary_key.columns, table.primary_key, "the primary key")
    for unique in table.unique_keys:
        require_columns(unique.columns, unique, "a unique key")
    require_columns(table.cluster_by, table, "the clustering keys")
    for fk in table.foreign_keys:
        require_columns(fk.columns, fk, "a foreign key")
        found = tables.get((fk.ref_schema.lower(), fk.ref_table.lower()))
        if found is None:
            known = [f"{s.name}.{t.name}" for s in catalog.schemas for t in s.tables]
            raise _error(
                f"foreign key of {where} references table {fk.ref_schema}.{fk.ref_table}, "
                f"which is not defined",
                fk.span or table.span,
                sources,
                hint=_closest_hint(f"{fk.ref_schema}.{fk.ref_table}", known),
            )
        target, target_lowered = found
        for column in fk.ref_columns:
            if column.lower() not in target_lowered:
                target_names = [c.name for c in target.columns]
                raise _error(
                    f"foreign key of {where} references column {fk.ref_table}.{column}, "
                    f"which {fk.ref_schema}.{fk.ref_table} does not have",
                    fk.span or table.span,
                    sources,
                    hint=_closest_hint(column, target_names),
                )
        if len(fk.columns) != len(fk.ref_columns):
            raise _error(
                f"foreign key of {where} has {len(fk.columns)} column(s) but references "
                f"{len(fk.ref_columns)}",
                fk.span or table.span,
                sources,
                hint="list the same number of columns on both sides of the reference",
            )


class _Named(Protocol):
    name: str
    span: Span | None
    name_span: Span | None


def _check_unique(elements: Sequence[_Named], kind: str, where: str, sources: dict[str, str]) -> None:
    seen: dict[str, _Named] = {}
    for element in elements:
        key = element.name.lower()
        if key in seen:
            first = seen[key].name_span or seen[key].span
            at = f" (first defined at {first})" if first else ""
            raise _error(
                f"duplicate {kind} {element.name!r} in {where}{at}",
                element.name_span or element.span,
                sources,
                hint="rename or remove one of the two; Unity Catalog names are case-insensitive",
            )
        seen[key] = element


def _error(message: str, span: Span | None, sources: dict[str, str], *, hint: str | None) -> ModelError:
    span = span or Span(file="<model>", line=0, column=0, end_line=0, end_column=0)
    return ModelError(
        message, file=span.file, line=span.line, column=span.column, hint=hint, source=sources.get(span.file)
    )


def _closest_hint(name: str, candidates: Sequence[str]) -> str | None:
    import difflib

    close = difflib.get_close_matches(name.lower(), [c.lower() for c in candidates], n=1, cutoff=0.6)
    if close:
        original = next(c for c in candidates if c.lower() == close[0])
        return f"did you mean {original!r}?"
    if candidates:
        return "known: " + ", ".join(sorted(candidates)[:20])
    return None
