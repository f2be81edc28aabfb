"""A column that a key or a CHECK names is dropped or rewritten: Databricks refuses `DROP COLUMN`
while a constraint references the column, so the migration drops the constraint first and puts it
back (as the new model declares it) once the column is in place.

The statements run against `ConstraintLedger`, which holds the tables' columns and constraints as
Databricks does and fails where Databricks would; every statement also parses (sqlglot, databricks).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from accelerator.model.copying import deep_copied
from accelerator.model.elements import (
    Catalog,
    Check,
    Column,
    Environment,
    ForeignKey,
    PrimaryKey,
    Project,
    Schema,
    Table,
)
from accelerator.model.sql_definitions import (
    check_name,
    expression_check_name,
    foreign_key_name,
    primary_key_name,
)
from accelerator.plan import apply_changes, diff, migration_sql, renames_from_ops
from accelerator.plan import changes as c
from tests.plan.conftest import random_edits
from tests.plan.sql_check import assert_valid

PROD = Environment(name="prod")
NAME = r"`((?:[^`]|``)*)`"
TABLE = rf"{NAME}\.{NAME}\.{NAME}"


@dataclass
class Constraint:
    kind: str  # "pk" | "fk" | "check"
    columns: tuple[str, ...]
    references: tuple[str, tuple[str, ...]] | None = None  # fk: (table, columns)


@dataclass
class TableState:
    columns: dict[str, bool]  # name (lower) -> NOT NULL
    constraints: dict[str, Constraint] = field(default_factory=dict)

    def primary_key(self) -> tuple[str, Constraint] | None:
        return next(((n, k) for n, k in self.constraints.items() if k.kind == "pk"), None)


class DatabricksRefusal(AssertionError):
    pass


class ConstraintLedger:
    """The tables of one catalog in `prod`, by `schema.table`: what Delta checks on each statement
    that adds, drops or changes a column or a constraint (other statements are only parsed)."""

    def __init__(self, project: Project) -> None:
        self.tables: dict[str, TableState] = {}
        for _catalog, schema, table in project.iter_tables():
            self._create(schema.name, table)
        for _catalog, schema, table in project.iter_tables():
            state = self.tables[f"{schema.name}.{table.name}".lower()]
            for fk in table.foreign_keys:
                name = foreign_key_name(table.name, fk.columns, fk.name)
                target = f"{fk.ref_schema}.{fk.ref_table}".lower()
                state.constraints[name] = Constraint(
                    "fk", _lower(fk.columns), (target, _lower(fk.ref_columns))
                )
            for column in table.columns:
                if column.allowed_values:
                    state.constraints[check_name(table.name, column.name)] = Constraint(
                        "check", (column.name.lower(),)
                    )
            for check in table.checks:
                state.constraints[expression_check_name(table.name, check)] = Constraint(
                    "check", _named_columns(check.expression, state)
                )

    def _create(self, schema: str, table: Table) -> None:
        state = TableState({col.name.lower(): not col.nullable for col in table.columns})
        if table.primary_key:
            state.constraints[primary_key_name(table.name, table.primary_key.name)] = Constraint(
                "pk", _lower(table.primary_key.columns)
            )
        self.tables[f"{schema}.{table.name}".lower()] = state

    def run(self, statement: str) -> None:
        assert_valid(statement)
        match = re.match(rf"ALTER TABLE {TABLE} (.*)$", statement, re.S)
        if match is None:
            return
        key = f"{match[2]}.{match[3]}".lower()
        table, action = self.tables[key], match[4]
        if found := re.fullmatch(rf"RENAME TO {TABLE}", action):
            self._rename_table(key, f"{found[2]}.{found[3]}".lower())
        elif found := re.fullmatch(rf"DROP COLUMN {NAME}", action):
            self._drop_column(key, table, found[1].lower())
        elif found := re.fullmatch(rf"ADD COLUMNS \({NAME} .*\)", action):
            table.columns[found[1].lower()] = " NOT NULL" in action
        elif found := re.fullmatch(rf"RENAME COLUMN {NAME} TO {NAME}", action):
            self._rename_column(key, table, found[1].lower(), found[2].lower())
        elif found := re.fullmatch(rf"ALTER COLUMN {NAME} (SET|DROP) NOT NULL", action):
            table.columns[found[1].lower()] = found[2] == "SET"
        elif re.fullmatch(r"DROP PRIMARY KEY IF EXISTS CASCADE", action):
            primary = table.primary_key()
            if primary:
                del table.constraints[primary[0]]
                for other in self.tables.values():
                    for name, k in list(other.constraints.items()):
                        if k.kind == "fk" and k.references and k.references[0] == key:
                            del other.constraints[name]
        elif found := re.fullmatch(rf"DROP CONSTRAINT IF EXISTS {NAME}", action):
            table.constraints.pop(found[1], None)
        elif found := re.fullmatch(rf"ADD CONSTRAINT {NAME} (PRIMARY KEY|FOREIGN KEY|CHECK) (.*)", action):
            self._add_constraint(table, found[1], found[2], found[3])

    def _drop_column(self, key: str, table: TableState, column: str) -> None:
        for name, k in table.constraints.items():
            if column in k.columns:
                raise DatabricksRefusal(f"DROP COLUMN {key}.{column}: constraint {name} references it")
        del table.columns[column]

    def _rename_table(self, old: str, new: str) -> None:
        self.tables[new] = self.tables.pop(old)
        for other in self.tables.values():
            for k in other.constraints.values():
                if k.references and k.references[0] == old:
                    k.references = (new, k.references[1])

    def _rename_column(self, key: str, table: TableState, old: str, new: str) -> None:
        for name, k in table.constraints.items():
            if k.kind == "check" and old in k.columns:
                raise DatabricksRefusal(f"RENAME COLUMN {key}.{old}: check {name} references it")
        table.columns[new] = table.columns.pop(old)
        for k in table.constraints.values():
            k.columns = tuple(new if col == old else col for col in k.columns)

    def _add_constraint(self, table: TableState, name: str, kind: str, rest: str) -> None:
        if name in table.constraints:
            raise DatabricksRefusal(f"ADD CONSTRAINT {name}: it already exists")
        if kind == "CHECK":
            table.constraints[name] = Constraint("check", _named_columns(rest, table))
            return
        columns = tuple(col.lower() for col in re.findall(NAME, rest.split(" REFERENCES ")[0]))
        missing = [col for col in columns if col not in table.columns]
        if missing:
            raise DatabricksRefusal(f"ADD CONSTRAINT {name}: no column {missing}")
        if kind == "PRIMARY KEY":
            if table.primary_key():
                raise DatabricksRefusal(f"ADD CONSTRAINT {name}: the table has a primary key")
            if not all(table.columns[col] for col in columns):
                raise DatabricksRefusal(f"ADD CONSTRAINT {name}: a primary key column is nullable")
            table.constraints[name] = Constraint("pk", columns)
            return
        target = re.search(rf"REFERENCES {TABLE} \((.*)\)$", rest)
        assert target is not None, rest
        target_key = f"{target[2]}.{target[3]}".lower()
        referenced = tuple(col.lower() for col in re.findall(NAME, target[4]))
        primary = self.tables[target_key].primary_key()
        if primary is None or set(primary[1].columns) != set(referenced):
            raise DatabricksRefusal(
                f"ADD CONSTRAINT {name}: {target_key} {referenced} is not its primary key"
            )
        table.constraints[name] = Constraint("fk", columns, (target_key, referenced))

    def shapes(self) -> dict[str, list[tuple[str, tuple[str, ...], object]]]:
        """The constraints of each table, without their names (a renamed table keeps the names its
        constraints were created with)."""
        return {
            key: sorted((k.kind, k.columns, k.references) for k in state.constraints.values())
            for key, state in self.tables.items()
        }


def _lower(names: list[str]) -> tuple[str, ...]:
    return tuple(name.lower() for name in names)


def _named_columns(expression: str, table: TableState) -> tuple[str, ...]:
    words = {word.lower() for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expression)}
    return tuple(col for col in table.columns if col in words)


# --- the models ------------------------------------------------------------------------------------


def shop() -> Project:
    orders = Table(
        name="orders",
        columns=[
            Column(name="order_id", type="INT", nullable=False),
            Column(name="order_no", type="STRING", nullable=False),
            Column(name="status", type="STRING", allowed_values=["new", "done"]),
            Column(name="qty", type="INT"),
        ],
        primary_key=PrimaryKey(columns=["order_id"]),
        checks=[Check(name="qty_positive", expression="qty > 0")],
    )
    items = Table(
        name="order_items",
        columns=[
            Column(name="order_id", type="INT", nullable=False),
            Column(name="line", type="INT", nullable=False),
            Column(name="sku", type="STRING"),
        ],
        primary_key=PrimaryKey(columns=["order_id", "line"]),
        foreign_keys=[
            ForeignKey(columns=["order_id"], ref_schema="sales", ref_table="orders", ref_columns=["order_id"])
        ],
    )
    return Project(
        name="shop",
        catalogs=[Catalog(name="shop", schemas=[Schema(name="sales", tables=[items, orders])])],
        environments=[PROD],
    )


def table(project: Project, name: str) -> Table:
    found = project.catalogs[0].schemas[0].table(name)
    assert found is not None
    return found


def column(project: Project, table_name: str, name: str) -> Column:
    found = table(project, table_name).column(name)
    assert found is not None
    return found


def migrated(edit: Callable[[Project], None]) -> tuple[list[c.Change], list[str], ConstraintLedger]:
    """The changes and statements from `shop()` to its edit, run on the ledger of `shop()`."""
    before = shop()
    after = deep_copied(before)
    edit(after)
    changes = diff(before, after)
    assert apply_changes(before, changes).model_dump(mode="json") == after.model_dump(mode="json")
    statements = migration_sql(changes, PROD)
    ledger = ConstraintLedger(before)
    for statement in statements:
        ledger.run(statement)
    return changes, statements, ledger


def ledger_of(project: Project) -> dict[str, dict[str, Constraint]]:
    return {key: state.constraints for key, state in ConstraintLedger(project).tables.items()}


def finished_like(ledger: ConstraintLedger, edit: Callable[[Project], None]) -> None:
    """The constraints after the migration are those the new model declares."""
    after = deep_copied(shop())
    edit(after)
    assert {key: state.constraints for key, state in ledger.tables.items()} == ledger_of(after)


T = "`prod_shop`.`sales`.`orders`"
ITEMS = "`prod_shop`.`sales`.`order_items`"


# --- a key column dropped --------------------------------------------------------------------------


def drop_key_column(p: Project) -> None:
    """orders.order_id goes; order_no becomes the key; order_items references it instead."""
    orders = table(p, "orders")
    orders.columns = [col for col in orders.columns if col.name != "order_id"]
    orders.primary_key = PrimaryKey(columns=["order_no"])
    items = table(p, "order_items")
    items.columns[0] = Column(name="order_no", type="STRING", nullable=False)
    items.primary_key = PrimaryKey(columns=["order_no", "line"])
    items.foreign_keys = [
        ForeignKey(columns=["order_no"], ref_schema="sales", ref_table="orders", ref_columns=["order_no"])
    ]


def test_a_dropped_primary_key_column_loses_its_key_first() -> None:
    changes, sql, ledger = migrated(drop_key_column)
    assert {"DS103", "KY001", "FK001", "FK002"} <= {change.code for change in changes}
    drop_key = f"ALTER TABLE {T} DROP PRIMARY KEY IF EXISTS CASCADE"
    assert sql.index(drop_key) < sql.index(f"ALTER TABLE {T} DROP COLUMN `order_id`")
    # the new key once its column is NOT NULL, the foreign keys once every key exists
    add_key = f"ALTER TABLE {T} ADD CONSTRAINT `pk_orders` PRIMARY KEY (`order_no`)"
    add_fk = f"ALTER TABLE {ITEMS} ADD CONSTRAINT `fk_order_items_order_no`"
    assert sql.index(add_key) < next(i for i, s in enumerate(sql) if s.startswith(add_fk))
    finished_like(ledger, drop_key_column)


def drop_key_entirely(p: Project) -> None:
    orders = table(p, "orders")
    orders.columns = [col for col in orders.columns if col.name != "order_id"]
    orders.primary_key = None
    items = table(p, "order_items")
    items.foreign_keys = []


def test_a_dropped_key_is_not_added_back() -> None:
    _changes, sql, ledger = migrated(drop_key_entirely)
    assert not [s for s in sql if f"ALTER TABLE {T} ADD CONSTRAINT" in s]
    finished_like(ledger, drop_key_entirely)


def drop_foreign_key_column(p: Project) -> None:
    items = table(p, "order_items")
    items.columns = [col for col in items.columns if col.name != "order_id"]
    items.primary_key = PrimaryKey(columns=["line"])
    items.foreign_keys = []


def test_a_dropped_foreign_key_column_loses_its_foreign_key_and_the_key_first() -> None:
    _changes, sql, ledger = migrated(drop_foreign_key_column)
    drop = sql.index(f"ALTER TABLE {ITEMS} DROP COLUMN `order_id`")
    assert sql.index(f"ALTER TABLE {ITEMS} DROP CONSTRAINT IF EXISTS `fk_order_items_order_id`") < drop
    assert sql.index(f"ALTER TABLE {ITEMS} DROP PRIMARY KEY IF EXISTS CASCADE") < drop
    finished_like(ledger, drop_foreign_key_column)


# --- a key renamed only: what CASCADE dropped elsewhere comes back ----------------------------------


def rename_key(p: Project) -> None:
    table(p, "orders").primary_key = PrimaryKey(name="orders_pk", columns=["order_id"])


def test_a_redefined_key_brings_back_the_foreign_keys_that_reference_it() -> None:
    _changes, sql, ledger = migrated(rename_key)
    assert sql[-1].startswith(f"ALTER TABLE {ITEMS} ADD CONSTRAINT `fk_order_items_order_id` FOREIGN KEY")
    finished_like(ledger, rename_key)


# --- a key column rewritten (a type Delta cannot change in place) ----------------------------------


def retype_key(p: Project) -> None:
    column(p, "orders", "order_id").type = "STRING"
    column(p, "order_items", "order_id").type = "STRING"


def test_a_rewritten_key_column_is_rewritten_without_its_constraints() -> None:
    changes, sql, ledger = migrated(retype_key)
    assert [change.code for change in changes if isinstance(change, c.ChangeColumnType)] == ["TY102", "TY102"]
    drop = sql.index(f"ALTER TABLE {T} DROP COLUMN `order_id`")
    assert sql.index(f"ALTER TABLE {T} DROP PRIMARY KEY IF EXISTS CASCADE") < drop
    readd = sql.index(f"ALTER TABLE {T} ADD CONSTRAINT `pk_orders` PRIMARY KEY (`order_id`)")
    assert sql.index(f"ALTER TABLE {T} ALTER COLUMN `order_id` SET NOT NULL") < readd
    fk = [s for s in sql if "ADD CONSTRAINT `fk_order_items_order_id`" in s]
    assert len(fk) == 1 and sql.index(fk[0]) > readd  # once, although both of its columns changed
    finished_like(ledger, retype_key)


def retype_checked_columns(p: Project) -> None:
    column(p, "orders", "status").type = "VARCHAR(10)"  # narrowing; an allowed-values CHECK names it
    column(p, "orders", "qty").type = "DECIMAL(10,2)"  # a table CHECK names it


def test_a_rewritten_column_named_by_checks_keeps_them() -> None:
    _changes, sql, ledger = migrated(retype_checked_columns)
    assert sql.index(f"ALTER TABLE {T} DROP CONSTRAINT IF EXISTS `chk_orders_status`") < sql.index(
        f"ALTER TABLE {T} DROP COLUMN `status`"
    )
    assert sql.index(f"ALTER TABLE {T} DROP CONSTRAINT IF EXISTS `qty_positive`") < sql.index(
        f"ALTER TABLE {T} DROP COLUMN `qty`"
    )
    finished_like(ledger, retype_checked_columns)


def test_widening_a_key_column_touches_no_constraint() -> None:
    _changes, sql, _ledger = migrated(lambda p: setattr(column(p, "orders", "qty"), "type", "BIGINT"))
    assert not [s for s in sql if "CONSTRAINT" in s or "PRIMARY KEY" in s]


@pytest.mark.parametrize(
    "edit", [drop_key_column, drop_key_entirely, drop_foreign_key_column, rename_key, retype_key]
)
def test_with_terraform_the_same_constraint_statements(edit: Callable[[Project], None]) -> None:
    before = shop()
    after = deep_copied(before)
    edit(after)
    changes = diff(before, after)
    plain = migration_sql(changes, PROD)
    with_terraform = migration_sql(changes, PROD, terraform=True)
    assert with_terraform[: -len(plain)] == ["DESCRIBE SCHEMA `prod_shop`.`sales`"]
    assert with_terraform[-len(plain) :] == plain


def test_the_ledger_refuses_what_databricks_refuses() -> None:
    ledger = ConstraintLedger(shop())
    with pytest.raises(DatabricksRefusal, match="pk_orders references it"):
        ledger.run(f"ALTER TABLE {T} DROP COLUMN `order_id`")
    with pytest.raises(DatabricksRefusal, match="already exists"):
        ledger.run(f"ALTER TABLE {T} ADD CONSTRAINT `pk_orders` PRIMARY KEY (`order_id`)")


@pytest.mark.parametrize("seed", range(60))
def test_random_edits_migrate_without_a_refused_statement(retail_project: Project, seed: int) -> None:
    """Over random edit sequences of the retail example (drops, type changes, renames of key
    columns among them), every statement runs and the constraints end as the new model declares."""
    rng = random.Random(seed)
    edited, ops = random_edits(retail_project, rng, rng.randrange(1, 8))
    renames = renames_from_ops([op.model_dump(mode="json") for op in ops])
    changes = diff(retail_project, edited, renames=renames)
    environment = next(e for e in edited.environments if e.name == "prod")
    ledger = ConstraintLedger(retail_project)
    for statement in migration_sql(changes, environment):
        ledger.run(statement)
    assert ledger.shapes() == ConstraintLedger(edited).shapes(), [op.describe() for op in ops]
