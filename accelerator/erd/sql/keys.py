"""Keys in SQL DDL: table constraints (`[CONSTRAINT n] PRIMARY KEY (..)`, `UNIQUE (..)`,
`FOREIGN KEY (..) REFERENCES t (..)`, in CREATE TABLE or ALTER TABLE ... ADD) and attaching a key
to its table."""

from __future__ import annotations

from sqlglot import exp

from accelerator.erd.sql.source import DdlSource
from accelerator.model import ForeignKey, PrimaryKey, Span, Table, UniqueKey
from accelerator.model.elements import Check
from accelerator.model.sql_definitions import databricks_check_expression

Key = PrimaryKey | UniqueKey | ForeignKey | Check


def column_names(items: list[exp.Expr]) -> list[str]:
    """Names from a key's column list: identifiers, columns, or `col ASC` (T-SQL)."""
    names = []
    for item in items:
        while isinstance(item, exp.Ordered):
            item = item.this
        names.append(item.name)
    return names


def reference_target(reference: exp.Reference, default_schema: str) -> tuple[str, str, list[str]]:
    """`REFERENCES [schema.]table [(columns)]` -> (schema, table, columns; empty if not written)."""
    target = reference.this
    columns: list[str] = []
    if isinstance(target, exp.Schema):
        columns = column_names(target.expressions)
        target = target.this
    schema = target.args.get("db")
    return (schema.name if schema else default_schema), target.name, columns


def read_key(source: DdlSource, node: exp.Expr, span: Span | None, default_schema: str) -> Key | None:
    """A table constraint (`[CONSTRAINT n] PRIMARY KEY (..)`, `UNIQUE`, `FOREIGN KEY`) -> a key;
    None for what the model does not keep (indexes; a CHECK that is not valid Databricks SQL, with a
    warning)."""
    name_node: exp.Expr | None = None
    parts: list[exp.Expr] = [node]
    if isinstance(node, exp.Constraint):
        name_node, parts = node.this, list(node.expressions)
    if not parts:
        return None
    head = parts[0]
    name = name_node.name if name_node is not None else None
    name_span = source.name_span(name_node)
    if isinstance(head, exp.PrimaryKey):
        return PrimaryKey(name=name, columns=column_names(head.expressions), span=span, name_span=name_span)
    if isinstance(head, exp.PrimaryKeyColumnConstraint) and len(parts) > 1:
        return PrimaryKey(name=name, columns=_listed_columns(parts[1]), span=span, name_span=name_span)
    if isinstance(head, exp.UniqueColumnConstraint) and head.this is not None:
        target = head.this
        if isinstance(target, exp.Schema) and isinstance(target.this, exp.Identifier) and name is None:
            name_node = target.this  # MySQL `UNIQUE KEY name (columns)`
            name, name_span = name_node.name, source.name_span(name_node)
        return UniqueKey(name=name, columns=_listed_columns(target), span=span, name_span=name_span)
    if isinstance(head, exp.CheckColumnConstraint):
        owner = f"constraint {name}" if name else "the table"
        return read_check(source, head, span, name, name_span, owner)
    if isinstance(head, exp.ForeignKey):
        schema, table, columns = reference_target(head.args["reference"], default_schema)
        return ForeignKey(
            name=name,
            columns=column_names(head.expressions),
            ref_schema=schema,
            ref_table=table,
            ref_columns=columns,
            span=span,
            name_span=name_span,
        )
    return None


def read_check(
    source: DdlSource,
    check: exp.Expr,
    span: Span | None,
    name: str | None,
    name_span: Span | None,
    owner: str,
) -> Check | None:
    """A CHECK constraint, its condition translated to Databricks SQL; one that has no Databricks
    form is left out with a warning that names it."""
    condition = check.this
    written = condition.sql(dialect=source.dialect) if isinstance(condition, exp.Expr) else ""
    expression = databricks_check_expression(written, source.dialect) if written else None
    if expression is None:
        source.note(
            "sql.check.unkept",
            "warn",
            f"CHECK ({(written or '...')[:80]}) on {owner} is not valid Databricks SQL and is left out: "
            "add it to the Databricks table (ALTER TABLE ... ADD CONSTRAINT ... CHECK) if it must hold",
            span,
            name or "CHECK",
        )
        return None
    return Check(name=name, expression=expression, span=span, name_span=name_span)


def _listed_columns(node: exp.Expr) -> list[str]:
    items = node.expressions if isinstance(node, exp.Schema) else node.this
    return column_names(list(items) if isinstance(items, list) else node.expressions)


def attach_key(source: DdlSource, table: Table, key: Key) -> None:
    """Add a key to a table; primary-key columns become NOT NULL."""
    if isinstance(key, PrimaryKey):
        if table.primary_key is not None:
            first = table.primary_key.span
            raise source.model_error(
                f"table {table.name} has a second primary key"
                + (f" (the first is at line {first.line})" if first else ""),
                key.span,
                "a table has one primary key: for a composite key write PRIMARY KEY (a, b) once",
            )
        table.primary_key = key
        for name in key.columns:
            column = table.column(name)
            if column is not None:
                column.nullable = False
    elif isinstance(key, UniqueKey):
        table.unique_keys.append(key)
    elif isinstance(key, Check):
        table.checks.append(key)
    else:
        table.foreign_keys.append(key)


def resolve_foreign_keys(source: DdlSource, tables: dict[tuple[str, str], Table]) -> None:
    """`REFERENCES t` without columns means t's primary key (`tables` by lower schema and name)."""
    for table in tables.values():
        for key in table.foreign_keys:
            if key.ref_columns:
                continue
            target = tables.get((key.ref_schema.lower(), key.ref_table.lower()))
            if target is None or target.primary_key is None:
                raise source.model_error(
                    f"foreign key of {table.name} references {key.ref_schema}.{key.ref_table} without "
                    "naming columns, and that table has no primary key in this file",
                    key.span,
                    f"name the referenced columns: REFERENCES {key.ref_table} (column)",
                )
            key.ref_columns = list(target.primary_key.columns)
