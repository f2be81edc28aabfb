"""Each category of change: its code, its risk, its SQL; renames only when declared; the order."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accelerator.errors import RenderError
from accelerator.model.copying import deep_copied
from accelerator.model.elements import Catalog, Column, Environment, Grant, Mask, Project, Schema, Table
from accelerator.plan import Rename, apply_changes, diff, migration_sql, renames_from_ops
from accelerator.plan import changes as c
from tests.plan.sql_check import assert_valid

PROD = Environment(name="prod")


def project() -> Project:
    orders = Table(
        name="orders",
        columns=[
            Column(name="order_id", type="BIGINT", nullable=False),
            Column(name="qty", type="INT"),
            Column(name="email", type="STRING", classification="pii.email", tags={"pii": "email"},
                   mask=Mask(function="mask_email", exempt_groups=["admins"])),
            Column(name="status", type="STRING", allowed_values=["new", "done"]),
            Column(name="note", type="STRING", comment="free text"),
        ],
        grants=[Grant(principal="analysts", privileges=["SELECT"])],
        owner="sales-team",
    )  # fmt: skip
    return Project(
        name="shop",
        catalogs=[Catalog(name="shop", schemas=[Schema(name="sales", tables=[orders])])],
        environments=[Environment(name="dev"), PROD],
    )


def changed(edit: Callable[[Project], None], before: Project | None = None) -> tuple[Project, Project]:
    before = before or project()
    after = deep_copied(before)
    edit(after)
    return before, after


def orders(p: Project) -> Table:
    table = p.catalogs[0].schemas[0].tables[0]
    return table


def col(p: Project, name: str) -> Column:
    column = orders(p).column(name)
    assert column is not None
    return column


def planned(
    before: Project, after: Project, renames: tuple[Rename, ...] = ()
) -> tuple[list[c.Change], list[str]]:
    changes = diff(before, after, renames=renames)
    assert apply_changes(before, changes).model_dump(mode="json") == after.model_dump(mode="json")
    statements = migration_sql(changes, PROD)
    for statement in statements:
        assert_valid(statement)
    return changes, statements


T = "`prod_shop`.`sales`.`orders`"


def test_same_model_no_change() -> None:
    assert diff(project(), project()) == []


def test_add_nullable_column_is_safe() -> None:
    (change,), sql = planned(
        *changed(lambda p: orders(p).columns.append(Column(name="channel", type="STRING")))
    )
    assert (change.code, change.risk) == ("AD104", "safe")
    assert sql == [f"ALTER TABLE {T} ADD COLUMNS (`channel` STRING)"]


def test_add_not_null_column_without_default_is_destructive() -> None:
    (change,), sql = planned(
        *changed(lambda p: orders(p).columns.append(Column(name="n", type="INT", nullable=False)))
    )
    assert (change.code, change.risk) == ("MF103", "destructive")
    assert sql[-1] == f"ALTER TABLE {T} ALTER COLUMN `n` SET NOT NULL"


def test_add_not_null_column_with_default_fills_existing_rows() -> None:
    column = Column(name="n", type="INT", nullable=False, default="0")
    (change,), sql = planned(*changed(lambda p: orders(p).columns.append(column)))
    assert change.code == "AD104"
    assert sql == [
        f"ALTER TABLE {T} SET TBLPROPERTIES ('delta.feature.allowColumnDefaults' = 'supported')",
        f"ALTER TABLE {T} ADD COLUMNS (`n` INT DEFAULT 0)",
        f"UPDATE {T} SET `n` = 0 WHERE `n` IS NULL",
        f"ALTER TABLE {T} ALTER COLUMN `n` SET NOT NULL",
    ]


def test_drop_column_is_destructive_and_drops_its_check_first() -> None:
    (change,), sql = planned(*changed(lambda p: orders(p).columns.remove(col(p, "status"))))
    assert (change.code, change.risk, str(change.path)) == (
        "DS103",
        "destructive",
        "shop.sales.orders.status",
    )
    assert sql == [
        f"ALTER TABLE {T} SET TBLPROPERTIES ('delta.columnMapping.mode' = 'name')",
        f"ALTER TABLE {T} DROP CONSTRAINT IF EXISTS `chk_orders_status`",
        f"ALTER TABLE {T} DROP COLUMN `status`",
    ]


def rename_note(p: Project) -> None:
    col(p, "note").name = "remark"


def test_a_rename_is_never_guessed() -> None:
    changes, _ = planned(*changed(rename_note))
    assert [change.code for change in changes] == ["DS103", "AD104"]  # note dropped, remark added


def test_a_declared_column_rename_keeps_the_data() -> None:
    rename = Rename("column", "sales", "orders", "note", "remark")
    (change,), sql = planned(*changed(rename_note), (rename,))
    assert (change.code, change.risk) == ("BC102", "attention")
    assert sql == [
        f"ALTER TABLE {T} SET TBLPROPERTIES ('delta.columnMapping.mode' = 'name')",
        f"ALTER TABLE {T} RENAME COLUMN `note` TO `remark`",
    ]


def test_renaming_a_checked_column_moves_its_check() -> None:
    def edit(p: Project) -> None:
        col(p, "status").name = "state"
        orders(p).properties["delta.columnMapping.mode"] = "name"

    before, after = changed(edit)
    orders(before).properties["delta.columnMapping.mode"] = "name"
    (_change,), sql = planned(before, after, (Rename("column", "sales", "orders", "status", "state"),))
    assert sql == [
        f"ALTER TABLE {T} DROP CONSTRAINT IF EXISTS `chk_orders_status`",
        f"ALTER TABLE {T} RENAME COLUMN `status` TO `state`",
        f"ALTER TABLE {T} ADD CONSTRAINT `chk_orders_state` CHECK (`state` IN ('new', 'done'))",
    ]


def test_a_declared_table_rename_keeps_the_data_and_other_changes_follow_it() -> None:
    def edit(p: Project) -> None:
        orders(p).name = "purchases"
        orders(p).comment = "Purchases"

    changes, sql = planned(*changed(edit), (Rename("table", "sales", "orders", "orders", "purchases"),))
    assert [change.code for change in changes] == ["BC101", "CM001"]
    assert sql == [
        f"ALTER TABLE {T} RENAME TO `prod_shop`.`sales`.`purchases`",
        "COMMENT ON TABLE `prod_shop`.`sales`.`purchases` IS 'Purchases'",
    ]


def test_a_rename_that_does_not_fit_the_models_is_ignored() -> None:
    stale = Rename("column", "sales", "orders", "missing", "remark")
    changes, _ = planned(*changed(rename_note), (stale,))
    assert "BC102" not in [change.code for change in changes]


@pytest.mark.parametrize(
    ("old", "new", "code", "risk"),
    [("INT", "BIGINT", "TY001", "safe"), ("INT", "SMALLINT", "TY101", "destructive"), ("INT", "STRING", "TY102", "destructive")],
)  # fmt: skip
def test_type_changes(old: str, new: str, code: str, risk: str) -> None:
    def edit(p: Project) -> None:
        col(p, "qty").type = new

    (change,), sql = planned(*changed(edit))
    assert (change.code, change.risk) == (code, risk)
    if code == "TY001":
        assert sql == [
            f"ALTER TABLE {T} SET TBLPROPERTIES ('delta.enableTypeWidening' = 'true')",
            f"ALTER TABLE {T} ALTER COLUMN `qty` TYPE BIGINT",
        ]
    else:  # rewritten into a new column that takes the old one's name and place
        assert f"UPDATE {T} SET `qty__retyped` = CAST(`qty` AS {new})" in sql
        assert sql[-1] == f"ALTER TABLE {T} ALTER COLUMN `qty` AFTER `order_id`"


def test_nullability() -> None:
    (change,), sql = planned(*changed(lambda p: setattr(col(p, "qty"), "nullable", False)))
    assert (change.code, change.risk, sql) == (
        "MF104",
        "attention",
        [f"ALTER TABLE {T} ALTER COLUMN `qty` SET NOT NULL"],
    )
    before, after = changed(lambda p: setattr(col(p, "qty"), "nullable", False))
    (change,), sql = planned(after, before)
    assert (change.code, sql) == ("NL001", [f"ALTER TABLE {T} ALTER COLUMN `qty` DROP NOT NULL"])


def test_default_and_comment() -> None:
    def edit(p: Project) -> None:
        col(p, "qty").default = "1"
        col(p, "note").comment = "it's free"

    changes, sql = planned(*changed(edit))
    assert [change.code for change in changes] == ["CM001", "DF001"]
    assert f"ALTER TABLE {T} ALTER COLUMN `qty` SET DEFAULT 1" in sql
    assert f"COMMENT ON COLUMN {T}.`note` IS 'it\\'s free'" in sql


def test_removing_a_tag_or_mask_from_a_classified_column_is_destructive() -> None:
    def edit(p: Project) -> None:
        col(p, "email").tags = {}
        col(p, "email").mask = None

    changes, sql = planned(*changed(edit))
    assert [(change.code, change.risk) for change in changes] == [
        ("GV101", "destructive"),
        ("GV103", "destructive"),
    ]
    assert sql == [
        f"ALTER TABLE {T} ALTER COLUMN `email` UNSET TAGS ('pii')",
        f"ALTER TABLE {T} ALTER COLUMN `email` DROP MASK",
    ]


def test_declassifying_is_destructive_and_masking_creates_the_function() -> None:
    def edit(p: Project) -> None:
        col(p, "email").classification = None
        col(p, "note").mask = Mask(function="mask_note", strategy="hash")

    changes, sql = planned(*changed(edit))
    assert [(change.code, change.risk) for change in changes] == [("GV102", "destructive"), ("MK001", "safe")]
    assert sql == [
        "CREATE OR REPLACE FUNCTION `prod_shop`.`sales`.`mask_note`(val STRING) RETURNS STRING RETURN sha2(val, 256)",
        f"ALTER TABLE {T} ALTER COLUMN `note` SET MASK `prod_shop`.`sales`.`mask_note`",
    ]


def test_grants_per_principal_and_environment() -> None:
    def edit(p: Project) -> None:
        orders(p).grants = [
            Grant(principal="analysts", privileges=["SELECT"], environments=["dev"]),
            Grant(principal="auditors", privileges=["SELECT"], environments=["prod"]),
        ]

    changes, sql = planned(*changed(edit))
    assert [(change.code, change.risk) for change in changes] == [
        ("GR001", "safe"),
        ("GR001", "safe"),
        ("GR101", "attention"),
    ]
    assert sql == [f"GRANT SELECT ON TABLE {T} TO `auditors`", f"REVOKE SELECT ON TABLE {T} FROM `analysts`"]
    assert migration_sql(changes, Environment(name="dev")) == [
        "GRANT SELECT ON TABLE `dev_shop`.`sales`.`orders` TO `analysts`"  # still held in dev: no revoke
    ]


def test_owner_changes_come_last() -> None:
    def edit(p: Project) -> None:
        orders(p).owner = "data-team"
        orders(p).tags["tier"] = "gold"
        orders(p).properties["delta.appendOnly"] = "true"
        orders(p).cluster_by = ["order_id"]

    changes, sql = planned(*changed(edit))
    assert [change.code for change in changes] == ["CB001", "PR001", "TG001", "OW001"]
    assert sql[-1] == f"ALTER TABLE {T} OWNER TO `data-team`"
    assert f"ALTER TABLE {T} CLUSTER BY (`order_id`)" in sql


def test_new_table_is_created_bare_then_governed() -> None:
    def edit(p: Project) -> None:
        new = deep_copied(orders(p))
        new.name = "returns"
        p.catalogs[0].schemas[0].tables.append(new)

    changes, sql = planned(*changed(edit))
    assert changes[0].code == "AD103" and {change.risk for change in changes} == {"safe", "attention"}
    assert sql[0].startswith("CREATE TABLE `prod_shop`.`sales`.`returns` (`order_id` BIGINT NOT NULL,")
    assert "'delta.columnMapping.mode' = 'name'" in sql[0]
    assert sql[-1] == "ALTER TABLE `prod_shop`.`sales`.`returns` OWNER TO `sales-team`"


def test_drops_of_catalog_schema_table() -> None:
    before = project()
    before.catalogs[0].schemas.append(
        Schema(name="old", tables=[Table(name="t", columns=[Column(name="a", type="INT")])])
    )
    before.catalogs.append(Catalog(name="legacy"))
    after = deep_copied(before)
    after.catalogs.pop()
    after.catalogs[0].schemas.pop()
    after.catalogs[0].schemas[0].tables.clear()
    changes, sql = planned(before, after)
    assert [(change.code, change.risk) for change in changes] == [("DS100", "destructive"), ("DS101", "destructive"), ("DS102", "destructive")]  # fmt: skip
    assert sql == [
        "DROP CATALOG `prod_legacy` CASCADE",
        "DROP SCHEMA `prod_shop`.`old` CASCADE",
        f"DROP TABLE {T}",
    ]


def test_terraform_owns_catalogs_and_schemas() -> None:
    before = project()
    after = deep_copied(before)
    after.catalogs.append(
        Catalog(name="crm", owner="crm-team", schemas=[Schema(name="core", comment="Core")])
    )
    changes = diff(before, after)
    assert [change.code for change in changes] == ["AD101", "OW001", "AD102"]
    assert migration_sql(changes, PROD, terraform=True) == []
    assert migration_sql(changes, PROD) == [
        "CREATE CATALOG `prod_crm`",
        "CREATE SCHEMA `prod_crm`.`core` COMMENT 'Core'",
        "ALTER CATALOG `prod_crm` OWNER TO `crm-team`",
    ]


def test_catalog_naming_change_is_replaced_by_terraform() -> None:
    before, after = changed(lambda p: setattr(p.environments[1], "catalog_template", "{domain}_{env}"))
    (change,), sql = planned(before, after)
    assert (change.code, change.risk, sql) == ("TF101", "destructive", [])


def test_hostile_names_are_quoted_and_bad_types_refused() -> None:
    (_change,), sql = planned(
        *changed(lambda p: orders(p).columns.append(Column(name="a`b", type="INT", comment="x' ; DROP")))
    )
    assert sql == [f"ALTER TABLE {T} ADD COLUMNS (`a``b` INT COMMENT 'x\\' ; DROP')"]
    before, after = changed(
        lambda p: orders(p).columns.append(Column(name="z", type="INT); DROP TABLE x; --"))
    )
    with pytest.raises(RenderError):
        migration_sql(diff(before, after), PROD)


def test_order_is_by_path_then_kind() -> None:
    def edit(p: Project) -> None:
        col(p, "qty").comment = "q"
        col(p, "email").comment = "e"
        orders(p).comment = "t"

    changes = diff(*changed(edit))
    assert [str(change.path) for change in changes] == [
        "shop.sales.orders", "shop.sales.orders.email", "shop.sales.orders.qty",
    ]  # fmt: skip


def test_renames_from_ops_compose_chains_and_skip_new_columns() -> None:
    ops = [
        {"op": "rename_column", "table": "crm.customers", "column": "email_addr", "new_name": "email"},
        {"op": "rename_table", "table": "crm.customers", "new_name": "clients"},
        {"op": "rename_column", "table": "crm.clients", "column": "email", "new_name": "contact"},
        {"op": "add_column", "table": "crm.clients", "column": "x", "type": "INT"},
        {"op": "rename_column", "table": "crm.clients", "column": "x", "new_name": "y"},
        {"op": "rename_column", "table": "retail.sales.orders", "column": "a", "new_name": "b"},
        {"op": "rename_column", "table": "retail.sales.orders", "column": "b", "new_name": "a"},
        {"op": "set_tag", "table": "crm.clients", "key": "k", "value": "v"},
    ]
    assert renames_from_ops(ops) == [
        Rename("table", "crm", "customers", "customers", "clients"),
        Rename("column", "crm", "customers", "email_addr", "contact"),
    ]


def test_a_table_check_added_changed_and_dropped() -> None:
    from accelerator.model.elements import Check

    def add(p: Project) -> None:
        orders(p).checks.append(Check(name="positive_total", expression="total >= 0"))

    before, after = changed(add)
    (change,), sql = planned(before, after)
    assert (change.code, change.risk) == ("CK003", "attention")
    assert sql == [f"ALTER TABLE {T} ADD CONSTRAINT `positive_total` CHECK (total >= 0)"]

    def tighten(p: Project) -> None:
        orders(p).checks[0] = Check(name="positive_total", expression="total > 0")

    changes, sql = planned(*changed(tighten, after))
    assert [change.code for change in changes] == ["CK004", "CK003"]
    assert sql == [
        f"ALTER TABLE {T} DROP CONSTRAINT IF EXISTS `positive_total`",
        f"ALTER TABLE {T} ADD CONSTRAINT `positive_total` CHECK (total > 0)",
    ]

    (change,), sql = planned(*changed(lambda p: orders(p).checks.clear(), after))
    assert (change.code, change.risk) == ("CK004", "safe")
    assert sql == [f"ALTER TABLE {T} DROP CONSTRAINT IF EXISTS `positive_total`"]
