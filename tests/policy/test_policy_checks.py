"""Metadata, keys and type rules: a pass case, a fail case (rule, severity, line) and fixes."""

from __future__ import annotations

import pytest

from accelerator.model import ForeignKey, UniqueKey
from accelerator.policy import apply_fixes, govern

from .conftest import column, only, policy_from, project_of, table


def facts(findings: list) -> list[tuple[str, str, int | None]]:  # type: ignore[type-arg]
    return [(f.rule, f.severity, f.line) for f in findings]


def test_table_comment() -> None:
    policy = only("metadata.table.comment")
    assert govern(project_of(table("t", [column("id")], comment="Rows")), policy).findings == []
    findings = govern(project_of(table("t", [column("id")], line=6, comment="  ")), policy).findings
    assert facts(findings) == [("metadata.table.comment", "warn", 6)]


def test_table_owner_is_judged_after_defaults() -> None:
    policy = only("metadata.table.owner")
    assert facts(govern(project_of(table("t", [column("id")], line=3)), policy).findings) == [
        ("metadata.table.owner", "warn", 3)
    ]
    with_default = only("metadata.table.owner", "table_defaults: {owner: data_platform}")
    governed = govern(project_of(table("t", [column("id")])), with_default)
    assert governed.findings == []
    assert governed.project.catalogs[0].schemas[0].tables[0].owner == "data_platform"
    erd_owner = govern(project_of(table("t", [column("id")], owner="sales_team")), with_default)
    assert erd_owner.project.catalogs[0].schemas[0].tables[0].owner == "sales_team"  # the ERD wins


def test_schema_owner() -> None:
    assert facts(govern(project_of(table("t", [column("id")])), only("metadata.schema.owner")).findings) == [
        ("metadata.schema.owner", "info", 1)
    ]
    assert (
        govern(
            project_of(table("t", [])), only("metadata.schema.owner", "schema_defaults: {owner: x}")
        ).findings
        == []
    )


REQUIRED = """
rules:
  metadata:
    required_tags: {catalog: [cost_center], schema: [domain], table: [data_owner, domain]}
"""


def test_required_tags() -> None:
    policy = only("metadata.table.tags, metadata.schema.tags, metadata.catalog.tags", REQUIRED)
    findings = govern(
        project_of(table("t", [column("id")], line=4, tags={"domain": "sales"})), policy
    ).findings
    assert facts(findings) == [
        ("metadata.catalog.tags", "error", None),
        ("metadata.schema.tags", "error", 1),
        ("metadata.table.tags", "error", 4),
    ]
    assert findings[2].message == "table t lacks required tag(s) data_owner"
    defaults = (
        REQUIRED
        + """
catalog_defaults: {tags: {cost_center: '42'}}
schema_defaults: {tags: {domain: '{schema}'}}
table_defaults: {tags: {data_owner: '{schema}_team'}}
"""
    )
    governed = govern(
        project_of(table("t", [column("id")], tags={"domain": "sales"})),
        only("metadata.table.tags, metadata.schema.tags, metadata.catalog.tags", defaults),
    )
    assert governed.findings == []
    assert governed.project.catalogs[0].schemas[0].tables[0].tags == {
        "data_owner": "sales_team",
        "domain": "sales",
    }


def test_primary_key_required() -> None:
    policy = only("keys.primary_key")
    assert govern(project_of(table("t", [column("id")], pk=["id"])), policy).findings == []
    assert facts(govern(project_of(table("t", [column("id")], line=9)), policy).findings) == [
        ("keys.primary_key", "error", 9)
    ]


def orders_and_items(ref_columns: list[str], item_type: str = "BIGINT") -> tuple:  # type: ignore[type-arg]
    orders = table("orders", [column("id", "BIGINT"), column("code", "STRING"), column("note")], pk=["id"])
    orders.unique_keys = [UniqueKey(columns=["code"])]
    items = table("items", [column("order_ref", item_type)], line=20, pk=["order_ref"])
    items.foreign_keys = [
        ForeignKey(
            columns=["order_ref"],
            ref_schema="sales",
            ref_table="orders",
            ref_columns=ref_columns,
            span=items.span,
        )
    ]
    return orders, items


@pytest.mark.parametrize(("ref", "item_type"), [(["id"], "BIGINT"), (["id"], "INT"), (["code"], "STRING")])
def test_foreign_key_to_a_key_with_compatible_types_passes(ref: list[str], item_type: str) -> None:
    policy = only("keys.foreign_key.target, keys.foreign_key.types")
    assert govern(project_of(*orders_and_items(ref, item_type)), policy).findings == []


def test_foreign_key_to_a_non_key_column() -> None:
    findings = govern(
        project_of(*orders_and_items(["note"], "STRING")), only("keys.foreign_key.target")
    ).findings
    assert facts(findings) == [("keys.foreign_key.target", "error", 20)]
    assert "neither its primary key nor a unique key" in findings[0].message


@pytest.mark.parametrize("item_type", ["STRING", "DECIMAL(10,2)", "TIMESTAMP", "DOUBLE"])
def test_foreign_key_with_incompatible_types(item_type: str) -> None:
    findings = govern(
        project_of(*orders_and_items(["id"], item_type)), only("keys.foreign_key.types")
    ).findings
    assert facts(findings) == [("keys.foreign_key.types", "error", 20)]
    assert findings[0].object == "retail.sales.items.order_ref"


def test_decimal_keys_compare_by_scale() -> None:
    from accelerator.policy.keys import type_family

    assert type_family("DECIMAL(10,2)") == type_family("decimal(18, 2)") != type_family("DECIMAL(10,4)")
    assert type_family("VARCHAR(20)") == type_family("STRING")


MONEY = """
rules:
  types:
    forbidden:
      - {name: money, columns: 'price|amount', types: [FLOAT, DOUBLE], replacement: 'decimal(18,2)'}
      - {name: no_void, columns: '.', types: [VOID]}
"""


def test_money_columns_must_not_be_floating_point_and_the_fix_retypes() -> None:
    policy = only("types.money, types.no_void", MONEY)
    good = project_of(table("t", [column("unit_price", "DECIMAL(10,2)"), column("ratio", "DOUBLE")]))
    assert govern(good, policy).findings == []
    bad = project_of(
        table("t", [column("unit_price", "DOUBLE", line=14), column("Total_Amount", "FLOAT", line=15)])
    )
    findings = govern(bad, policy).findings
    assert facts(findings) == [("types.money", "error", 14), ("types.money", "error", 15)]
    assert findings[0].fix is not None and findings[0].fix.replacement == "DECIMAL(18,2)"
    repaired = apply_fixes(bad, findings)
    assert [c.type for c in repaired.catalogs[0].schemas[0].tables[0].columns] == [
        "DECIMAL(18,2)",
        "DECIMAL(18,2)",
    ]
    assert govern(repaired, policy).findings == []
    assert bad.catalogs[0].schemas[0].tables[0].columns[0].type == "DOUBLE"


def test_forbidden_type_without_replacement_has_no_fix() -> None:
    findings = govern(project_of(table("t", [column("x", "VOID")])), only("types.no_void", MONEY)).findings
    assert [(f.rule, f.fix) for f in findings] == [("types.no_void", None)]


def test_severity_can_be_changed_and_switched_off() -> None:
    project = project_of(table("t", [column("id")], comment="c", owner="o"), schema="sales")
    project.catalogs[0].schemas[0].owner = "o"
    assert facts(govern(project, policy_from("severity: {}")).findings) == [("keys.primary_key", "error", 5)]
    assert facts(govern(project, policy_from("severity: {keys.primary_key: info}")).findings) == [
        ("keys.primary_key", "info", 5)
    ]
    assert govern(project, policy_from("severity: {keys.*: off}")).findings == []
    # the exact id beats the prefix
    assert facts(
        govern(project, policy_from("severity: {keys.*: off, keys.primary_key: warn}")).findings
    ) == [("keys.primary_key", "warn", 5)]
