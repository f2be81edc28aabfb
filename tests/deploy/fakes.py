"""A fake `StatementRunner` for apply's tests: the history and lock tables held in memory, with the
SQL apply writes for them interpreted (sqlglot's Databricks parser: CREATE ... IF NOT EXISTS,
INSERT ... VALUES, SELECT ... WHERE ... ORDER BY, UPDATE, DELETE); catalogs known by name; every
other statement recorded and succeeding, unless a scripted failure matches it.

Values are kept as the Statement Execution API returns them (strings or None)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp

from accelerator.deploy.runner import Rows, StatementFailed


@dataclass
class Failure:
    match: str  # a substring of the statement
    message: str
    times: int = 1  # how many times it fails (then succeeds)


@dataclass
class FakeWorkspace:
    catalogs: set[str] = field(default_factory=set)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # catalog.schema.table ->
    columns: dict[str, list[str]] = field(default_factory=dict)
    executed: list[str] = field(default_factory=list)  # every statement, in order
    failures: list[Failure] = field(default_factory=list)
    before: Callable[[str], None] | None = None  # called with each statement before it runs

    def fail(self, match: str, message: str, times: int = 1) -> None:
        self.failures.append(Failure(match, message, times))

    def migration_statements(self) -> list[str]:
        return [s for s in self.executed if "_accelerator" not in s and "information_schema" not in s]

    # -- the runner ------------------------------------------------------------------------------

    def execute(self, sql: str) -> Rows:
        if self.before is not None:
            self.before(sql)
        self.executed.append(sql)
        for failure in self.failures:
            if failure.times > 0 and failure.match in sql:
                failure.times -= 1
                raise StatementFailed(failure.message)
        created = re.match(r"CREATE CATALOG (IF NOT EXISTS )?`([^`]+)`", sql)
        if created:
            if created.group(2) in self.catalogs and not created.group(1):
                raise StatementFailed(
                    f"[CATALOG_ALREADY_EXISTS] Catalog '{created.group(2)}' already exists."
                )
            self.catalogs.add(created.group(2))
            return Rows()
        schemata = re.fullmatch(r"SELECT schema_name FROM `([^`]+)`\.`information_schema`\.`schemata`", sql)
        if schemata:
            self._catalog(schemata.group(1))
            return Rows(("schema_name",), (("default",),))
        if "_accelerator" not in sql:
            return Rows()
        tree = sqlglot.parse_one(sql, read="databricks")
        if isinstance(tree, exp.Create):
            return self._create(tree)
        name = self._name(tree.find(exp.Table))
        if name not in self.tables:
            raise StatementFailed(f"[TABLE_OR_VIEW_NOT_FOUND] The table or view `{name}` cannot be found.")
        rows = self.tables[name]
        if isinstance(tree, exp.Insert):
            columns = [c.name for c in tree.this.expressions]
            for values in tree.expression.expressions:
                rows.append(dict(zip(columns, (_value(v) for v in values.expressions), strict=True)))
            return Rows()
        where = tree.args.get("where")
        chosen = [row for row in rows if where is None or _matches(where.this, row)]
        if isinstance(tree, exp.Select):
            order = tree.args.get("order")
            if order is not None:
                column = order.expressions[0].this.name
                chosen.sort(key=lambda row: int(row[column]) if str(row[column]).isdigit() else row[column])
            names = tuple(e.name for e in tree.expressions)
            return Rows(names, tuple(tuple(row.get(n) for n in names) for row in chosen))
        if isinstance(tree, exp.Update):
            for row in chosen:
                for assignment in tree.expressions:
                    row[assignment.this.name] = _value(assignment.expression)
            return Rows(("num_affected_rows",), ((str(len(chosen)),),))
        if isinstance(tree, exp.Delete):
            self.tables[name] = [row for row in rows if row not in chosen]
            return Rows(("num_affected_rows",), ((str(len(chosen)),),))
        raise AssertionError(f"the fake does not run {sql}")

    def _catalog(self, name: str) -> None:
        if name not in self.catalogs:
            raise StatementFailed(f"[NO_SUCH_CATALOG_EXCEPTION] Catalog '{name}' was not found.")

    def _name(self, table: exp.Table | None) -> str:
        assert table is not None
        return ".".join(part.name for part in table.parts)

    def _create(self, tree: exp.Create) -> Rows:
        target = tree.this
        if tree.kind == "SCHEMA":
            self._catalog(target.parts[0].name if isinstance(target, exp.Table) else target.name)
            return Rows()
        table = target.this if isinstance(target, exp.Schema) else target
        name = self._name(table)
        self._catalog(name.split(".")[0])
        if name not in self.tables:
            self.tables[name] = []
            self.columns[name] = [c.name for c in target.expressions]
        return Rows()

    def history(self, catalog: str) -> list[dict[str, Any]]:
        return sorted(
            self.tables.get(f"{catalog}._accelerator.schema_history", []), key=lambda r: int(r["version"])
        )


def _value(node: exp.Expression) -> str | None:
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Cast):  # TIMESTAMP '...'
        return _value(node.this)
    if isinstance(node, exp.Literal):
        return str(node.this)
    if isinstance(node, exp.Neg):
        return "-" + str(_value(node.this))
    raise AssertionError(f"the fake reads no {node.sql()}")


def _matches(condition: exp.Expression, row: dict[str, Any]) -> bool:
    if isinstance(condition, exp.And):
        return _matches(condition.this, row) and _matches(condition.expression, row)
    if isinstance(condition, exp.EQ):
        return str(row.get(condition.this.name)) == _value(condition.expression)
    raise AssertionError(f"the fake reads no condition {condition.sql()}")
