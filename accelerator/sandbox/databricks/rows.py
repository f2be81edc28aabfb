"""INSERT, UPDATE, DELETE and SELECT on the sandbox's tables, read with sqlglot's Databricks dialect:
enough for a history table and its lock row. Each row is checked as Delta checks it (NOT NULL, CHECK
constraints, types) before the table changes; identity columns and DEFAULTs fill omitted columns."""

from __future__ import annotations

import datetime
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from accelerator.sandbox.databricks import errors as e
from accelerator.sandbox.databricks import types
from accelerator.sandbox.databricks.catalog import INFORMATION_SCHEMA, touched
from accelerator.sandbox.databricks.model import Table
from accelerator.sandbox.databricks.query import Evaluator, Result, run_select, truth
from accelerator.sandbox.databricks.session import Session, parse_expression

MAX_ROWS = 100_000  # per table: the sandbox keeps every row in memory and in its JSON state


def run_dml_or_query(session: Session, statement: str) -> Result:
    try:
        trees = sqlglot.parse(statement, read="databricks")
    except SqlglotError as failure:
        raise e.parse_error(statement[:40], str(failure).splitlines()[0][:200]) from failure
    trees = [tree for tree in trees if tree is not None]
    if len(trees) != 1:
        raise e.parse_error(statement[:40], "one statement at a time")
    tree = trees[0]
    if isinstance(tree, exp.Select):
        return run_select(tree, session.context())
    if isinstance(tree, exp.Insert | exp.Update | exp.Delete):
        with session.uc.change():
            if isinstance(tree, exp.Insert):
                return insert(session, tree)
            if isinstance(tree, exp.Update):
                return update(session, tree)
            return delete(session, tree)
    raise e.unsupported(type(tree).__name__.upper())


def target(session: Session, node: exp.Expression) -> tuple[Table, str]:
    if not isinstance(node, exp.Table):
        raise e.unsupported("DML on anything but a table")
    catalog, schema, name = session.table_name([part.name for part in node.parts])
    if schema == INFORMATION_SCHEMA:
        raise e.SqlError(
            "INSUFFICIENT_PERMISSIONS", "42501", f"information_schema views of {catalog} are read-only."
        )
    table = session.uc.table(catalog, schema, name)
    session.require_table(catalog, schema, table, "MODIFY")
    return table, f"`{catalog}`.`{schema}`.`{name}`"


def checked(session: Session, table: Table, path: str, row: dict[str, Any]) -> dict[str, Any]:
    """`row` with every value of its column's type, NOT NULL and CHECK constraints holding."""
    out: dict[str, Any] = {}
    for column in table.columns:
        key = column.name.lower()
        value = row.get(key)
        if isinstance(value, datetime.datetime):
            value = value.isoformat()
        value = types.coerce(value, column.type, column.name)
        if value is None and not column.nullable:
            raise e.not_null_violated(column.name)
        out[key] = value
    evaluate = session.evaluator(table, path)
    for constraint in table.constraints:
        if (
            constraint.kind == "CHECK"
            and truth(evaluate(parse_expression(constraint.expression or ""), out)) is False
        ):
            raise e.check_violated(constraint.name, constraint.expression or "")
    return out


def insert(session: Session, tree: exp.Insert) -> Result:
    if tree.args.get("overwrite"):
        raise e.unsupported("INSERT OVERWRITE")
    destination = tree.this
    named: list[str] | None = None
    if isinstance(destination, exp.Schema):
        named = [identifier.name for identifier in destination.expressions]
        destination = destination.this
    table, path = target(session, destination)
    columns = [column.name for column in table.columns]
    if named is not None:
        for name in named:
            if table.column(name) is None:
                raise e.unresolved_column(name, path, columns[:5])
        names = [table.column(name).name for name in named]  # type: ignore[union-attr]
    else:
        names = [
            c.name for c in table.columns if c.generated is None and not (c.identity and c.identity.always)
        ]
    source = tree.expression
    context = session.context()
    if isinstance(source, exp.Values):
        evaluate = Evaluator(context)
        tuples = [
            [evaluate(item, {}) for item in (row.expressions if isinstance(row, exp.Tuple) else [row])]
            for row in source.expressions
        ]
    elif isinstance(source, exp.Select):
        tuples = run_select(source, context).rows
    else:
        raise e.unsupported("INSERT from anything but VALUES or SELECT")
    new_rows: list[dict[str, Any]] = []
    for values in tuples:
        if len(values) != len(names):
            raise e.SqlError(
                "INSERT_COLUMN_ARITY_MISMATCH.NOT_ENOUGH_DATA_COLUMNS"
                if len(values) < len(names)
                else "INSERT_COLUMN_ARITY_MISMATCH.TOO_MANY_DATA_COLUMNS",
                "21S01",
                f"Cannot write to {path}: the table has {len(names)} column(s) but the data has {len(values)}.",
            )
        row = {name.lower(): value for name, value in zip(names, values, strict=True)}
        for column in table.columns:
            key = column.name.lower()
            if column.identity is not None:
                if key in row and column.identity.always:
                    raise e.SqlError(
                        "DELTA_IDENTITY_COLUMNS_EXPLICIT_INSERT_NOT_SUPPORTED",
                        "42808",
                        f"Providing values for GENERATED ALWAYS AS IDENTITY column {column.name} is not supported.",
                    )
                if key not in row:
                    row[key] = table.identity_next.get(key, column.identity.start)
                    table.identity_next[key] = row[key] + column.identity.increment
            elif key not in row:
                row[key] = session.expression_value(column.default) if column.default is not None else None
        for column in table.columns:
            if column.generated is not None:
                row[column.name.lower()] = session.expression_value(column.generated, row, table)
        new_rows.append(checked(session, table, path, row))
    if len(table.rows) + len(new_rows) > MAX_ROWS:
        raise e.SqlError(
            "SANDBOX_TABLE_FULL",
            "54000",
            f"A sandbox table holds at most {MAX_ROWS} rows ({path} would hold more).",
        )
    table.rows.extend(new_rows)
    touched(table, session.user)
    count = len(new_rows)
    return Result([("num_affected_rows", "BIGINT"), ("num_inserted_rows", "BIGINT")], [[count, count]])


def update(session: Session, tree: exp.Update) -> Result:
    if tree.args.get("from") or tree.args.get("from_"):
        raise e.unsupported("UPDATE ... FROM")
    table, path = target(session, tree.this)
    evaluate = session.evaluator(table, path)
    assignments: list[tuple[str, exp.Expression]] = []
    for assignment in tree.expressions:
        if not isinstance(assignment, exp.EQ) or not isinstance(assignment.this, exp.Column):
            raise e.unsupported("UPDATE with a SET other than column = expression")
        column = table.column(assignment.this.name)
        if column is None:
            raise e.unresolved_column(assignment.this.name, path, [c.name for c in table.columns][:5])
        if column.identity is not None and column.identity.always:
            raise e.SqlError(
                "DELTA_IDENTITY_COLUMNS_UPDATE_NOT_SUPPORTED",
                "42808",
                f"IDENTITY column {column.name} cannot be updated.",
            )
        assignments.append((column.name.lower(), assignment.expression))
    where = tree.args.get("where")
    changed = 0
    rows: list[dict[str, Any]] = []
    for row in table.rows:
        if where is None or truth(evaluate(where.this, row)) is True:
            updated = dict(row)
            for key, expression in assignments:
                updated[key] = evaluate(expression, row)
            rows.append(checked(session, table, path, updated))
            changed += 1
        else:
            rows.append(row)
    table.rows = rows
    touched(table, session.user)
    return Result([("num_affected_rows", "BIGINT")], [[changed]])


def delete(session: Session, tree: exp.Delete) -> Result:
    table, path = target(session, tree.this)
    evaluate = session.evaluator(table, path)
    where = tree.args.get("where")
    kept = [row for row in table.rows if not (where is None or truth(evaluate(where.this, row)) is True)]
    removed = len(table.rows) - len(kept)
    table.rows = kept
    touched(table, session.user)
    return Result([("num_affected_rows", "BIGINT")], [[removed]])
