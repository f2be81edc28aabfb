"""The model of one catalog in one environment, prepared for the SQL templates.

Everything that needs a decision (which grants apply, what a mask returns for a type, which table
properties a DEFAULT needs, validation of types and expressions) happens here, so the templates only
lay out statements and quote through the `ident` and `literal` filters.

A table's statements are rendered on their own (a `TableSql`, by the caller's `render_table`) from
the table and a `TablePlace`, which holds everything else they read, and kept as a
`sql_context.SQL_TABLES` piece. Tables are visited, and their errors raised, in the same order as when the
whole catalog was one template; a mask conflict names the current table's mask, for its current
location.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

from accelerator.model.elements import (
    Catalog,
    Column,
    Deployment,
    Environment,
    ForeignKey,
    Mask,
    Schema,
    Table,
)
from accelerator.model.mask_sql import MaskedKind, masked_kind
from accelerator.model.sql_definitions import (
    check_name,
    checked_check,
    column_definition,
    expression_check_name,
    foreign_key_name,
    primary_key_name,
)
from accelerator.model.sql_quoting import (
    checked_type,
    model_error,
)
from accelerator.render.cache import MAX_TABLE_VERSIONS, PieceKind
from accelerator.render.effective_grants import EffectiveGrant, grants_for_environment

ALLOW_COLUMN_DEFAULTS = ("delta.feature.allowColumnDefaults", "supported")


@dataclass(slots=True)
class ForeignKeyContext:
    name: str
    columns: list[str]
    ref_path: tuple[str, str, str]
    ref_columns: list[str]


@dataclass(slots=True)
class TableContext:
    path: tuple[str, str, str]
    create: bool  # False when Terraform creates the table (deployment.tables_in == "terraform")
    column_definitions: list[str]  # rendered here: a macro call per column costs more than the rest
    primary_key_name: str | None
    primary_key: list[str]
    comment: str | None
    cluster_by: list[str]
    cluster_by_auto: bool
    properties: list[tuple[str, str]]
    owner: str | None
    tags: list[tuple[str, str]]
    column_tags: list[tuple[str, list[tuple[str, str]]]]
    column_masks: list[tuple[str, tuple[str, str, str]]]
    checks: list[tuple[str, str, list[str]]]  # (constraint, column, allowed values)
    expression_checks: list[tuple[str, str]]  # (constraint, Databricks SQL expression)
    foreign_keys: list[ForeignKeyContext]
    grants: list[EffectiveGrant]


@dataclass(frozen=True, slots=True)
class MaskFunctionContext:
    path: tuple[str, str, str]
    type: str
    masked: MaskedKind
    exempt_groups: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TableSql:
    """One table's statements, where the catalog template places them: each whole lines, or ''."""

    statements: str  # CREATE TABLE (when SQL creates tables), then the table's governance
    foreign_keys: str
    grants: str
    masks: tuple[tuple[int, MaskFunctionContext], ...]  # (column position, its mask function)


# The three texts of a TableContext: the templates' table_statements, table_foreign_keys and grants.
TableRenderer = Callable[["TableContext"], tuple[str, str, str]]


class TablePlace(NamedTuple):  # a tuple: hashed and compared in C, once per table and environment
    """Everything a table's statements read besides the table itself; compared by value, it is the
    rest of their cache key."""

    render_table: TableRenderer  # one per template object: a template reloaded from disk is a new one
    catalog: str  # the physical name
    schema: str
    environment: str  # which grants apply
    create_table: bool  # deployment.tables_in == "sql"
    with_grants: bool  # deployment.grants_in in ("sql", "both")
    masks_schema: str  # where the table's mask functions live


# A table's statements in one environment (a cache.PieceKind, declared with the types it keeps).
SQL_TABLES: PieceKind[TablePlace, TableSql] = PieceKind("SQL table", 4 * MAX_TABLE_VERSIONS)


@dataclass(slots=True)
class SchemaContext:
    path: tuple[str, str]
    comment: str | None
    owner: str | None
    tags: list[tuple[str, str]]
    grants: list[EffectiveGrant]


@dataclass(slots=True)
class CatalogContext:
    name: str
    comment: str | None
    owner: str | None
    tags: list[tuple[str, str]]
    grants: list[EffectiveGrant]
    create_tables: bool  # deployment.tables_in == "sql"
    storage_root: str | None = None  # the managed location, when the environment declares one
    schemas: list[SchemaContext] = field(default_factory=list)
    mask_functions: list[MaskFunctionContext] = field(default_factory=list)
    tables: list[TableSql] = field(default_factory=list)
    # The tables' TableSql texts, joined in table order.
    table_statements: str = ""
    foreign_keys: str = ""
    table_grants: str = ""


def catalog_context(
    catalog: Catalog, environment: Environment, deployment: Deployment, render_table: TableRenderer
) -> CatalogContext:
    """The catalog in `environment`; `render_table` renders a table's statements (one function per
    template object, as it keys their cached text)."""
    env = environment.name
    physical = environment.catalog_name(catalog)
    with_grants = deployment.grants_in in ("sql", "both")

    def grants(holder: Catalog | Schema | Table) -> list[EffectiveGrant]:
        return grants_for_environment(holder.grants, env) if with_grants else []

    context = CatalogContext(
        name=physical,
        comment=catalog.comment,
        owner=catalog.owner,
        tags=sorted(catalog.tags.items()),
        grants=grants(catalog),
        create_tables=deployment.tables_in == "sql",
        storage_root=environment.catalog_storage_root(catalog),
    )
    schemas = sorted_by_name(catalog.schemas)
    for schema in schemas:
        context.schemas.append(
            SchemaContext(
                path=(physical, schema.name),
                comment=schema.comment,
                owner=schema.owner,
                tags=sorted(schema.tags.items()),
                grants=grants(schema),
            )
        )
    masks_schema = deployment.masks_schema
    if masks_schema and catalog.schema(masks_schema) is None:
        context.schemas.append(SchemaContext((physical, masks_schema), "Column mask functions", None, [], []))
    functions: dict[tuple[str, str, str], tuple[MaskFunctionContext, Mask]] = {}
    for schema in schemas:
        place = TablePlace(
            render_table,
            physical,
            schema.name,
            env,
            deployment.tables_in == "sql",
            with_grants,
            masks_schema or schema.name,
        )
        for table in sorted_by_name(schema.tables):
            piece = SQL_TABLES.piece(_table_sql, place, table)
            context.tables.append(piece)
            for position, function in piece.masks:
                mask = table.columns[position].mask  # this table's, for its span in an error
                assert mask is not None, "a table changed in place after it was rendered"
                _add_mask_function(functions, function, mask)
    context.mask_functions = [function for function, _ in functions.values()]
    context.table_statements = "".join([table.statements for table in context.tables])
    context.foreign_keys = "".join([table.foreign_keys for table in context.tables])
    context.table_grants = "".join([table.grants for table in context.tables])
    return context


def _table_sql(place: TablePlace, table: Table) -> TableSql:
    grants = grants_for_environment(table.grants, place.environment) if place.with_grants else []
    context = _table_context(place, table, grants)
    masks = []
    for position, column in enumerate(table.columns):
        if column.mask is not None:
            function = _mask_function(place.catalog, place.masks_schema, column, column.mask)
            masks.append((position, function))
            context.column_masks.append((column.name, function.path))
    statements, foreign_keys, grant_lines = place.render_table(context)
    return TableSql(statements, foreign_keys, grant_lines, tuple(masks))


NamedT = TypeVar("NamedT", Schema, Table)


def sorted_by_name(items: list[NamedT]) -> list[NamedT]:
    return sorted(items, key=lambda item: (item.name.lower(), item.name))


def _table_context(place: TablePlace, table: Table, grants: list[EffectiveGrant]) -> TableContext:
    column_definitions = [column_definition(column) for column in table.columns]
    properties = dict(table.properties)
    if any(column.default is not None for column in table.columns):
        properties.setdefault(*ALLOW_COLUMN_DEFAULTS)
    primary_key = table.primary_key
    return TableContext(
        path=(place.catalog, place.schema, table.name),
        create=place.create_table,
        column_definitions=column_definitions,
        primary_key_name=primary_key_name(table.name, primary_key.name) if primary_key else None,
        primary_key=list(primary_key.columns) if primary_key else [],
        comment=table.comment,
        cluster_by=list(table.cluster_by),
        cluster_by_auto=table.cluster_by_auto and not table.cluster_by,
        properties=sorted(properties.items()),
        owner=table.owner,
        tags=sorted(table.tags.items()),
        column_tags=[(c.name, sorted(c.tags.items())) for c in table.columns if c.tags],
        column_masks=[],
        checks=[
            (check_name(table.name, c.name), c.name, list(c.allowed_values))
            for c in table.columns
            if c.allowed_values
        ],
        expression_checks=[
            (expression_check_name(table.name, check), checked_check(check, check.span or table.span))
            for check in table.checks
        ],
        foreign_keys=[_foreign_key_context(place.catalog, table, fk) for fk in table.foreign_keys],
        grants=grants,
    )


def _foreign_key_context(catalog: str, table: Table, foreign_key: ForeignKey) -> ForeignKeyContext:
    return ForeignKeyContext(
        name=foreign_key_name(table.name, foreign_key.columns, foreign_key.name),
        columns=list(foreign_key.columns),
        ref_path=(catalog, foreign_key.ref_schema, foreign_key.ref_table),
        ref_columns=list(foreign_key.ref_columns),
    )


def _mask_function(catalog: str, schema: str, column: Column, mask: Mask) -> MaskFunctionContext:
    return MaskFunctionContext(
        path=(catalog, schema, mask.function),
        type=checked_type(column.type, column.span),
        masked=masked_kind(mask.strategy, column.type),
        exempt_groups=tuple(sorted(set(mask.exempt_groups))),
    )


def _add_mask_function(
    functions: dict[tuple[str, str, str], tuple[MaskFunctionContext, Mask]],
    function: MaskFunctionContext,
    mask: Mask,
) -> None:
    existing = functions.get(function.path)
    if existing is None:
        functions[function.path] = (function, mask)
        return
    if existing[0] != function:
        raise model_error(
            f"mask function {mask.function!r} is used with different types or strategies "
            f"({existing[0].type} {existing[0].masked} vs {function.type} {function.masked})",
            mask.span or existing[1].span,
            hint="give each column type and strategy its own mask function name",
        )
