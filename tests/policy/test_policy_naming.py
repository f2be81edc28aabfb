"""Naming rules and Unity Catalog's identifier rules: pass, fail (rule, severity, line), fix."""

from __future__ import annotations

import pytest

from accelerator.model import PrimaryKey
from accelerator.model.elements import ForeignKey, Schema, UniqueKey
from accelerator.policy import apply_fixes, govern
from accelerator.policy.identifiers import convert_case

from .conftest import column, only, project_of, table

NAMING = """
rules:
  naming:
    table: {case: snake_case, prefix: 'tbl_', max_length: 20, pattern: '^tbl_[a-z_]+$'}
    column: {case: snake_case, suffix: '_col', max_length: 12}
"""


def rules_of(findings: list) -> list[str]:  # type: ignore[type-arg]
    return [f.rule for f in findings]


@pytest.mark.parametrize(
    ("rule", "good", "bad", "fixed"),
    [
        ("naming.table.case", "tbl_orders", "tbl_OrderItems", "tbl_order_items"),
        ("naming.table.prefix", "tbl_orders", "orders", "tbl_orders"),
        ("naming.table.pattern", "tbl_orders", "tbl_orders2", None),
        ("naming.table.max_length", "tbl_orders", "tbl_" + "x" * 17, None),
    ],
)
def test_table_naming_rules(rule: str, good: str, bad: str, fixed: str | None) -> None:
    policy = only(rule, NAMING)
    assert govern(project_of(table(good, [column("id")])), policy).findings == []
    findings = govern(project_of(table(bad, [column("id")], line=7)), policy).findings
    assert [(f.rule, f.severity, f.line, f.column) for f in findings] == [
        (rule, "warn" if rule in {"naming.table.case", "naming.table.prefix"} else "error", 7, 7)
    ]
    assert findings[0].object == f"retail.sales.{bad}"
    if fixed is None:
        assert findings[0].fix is None
        return
    assert findings[0].fix is not None and findings[0].fix.replacement == fixed
    repaired = apply_fixes(project_of(table(bad, [column("id")], line=7)), findings)
    assert repaired.catalogs[0].schemas[0].tables[0].name == fixed
    assert govern(repaired, policy).findings == []


@pytest.mark.parametrize(
    ("rule", "bad", "fixed"),
    [("naming.column.suffix", "name", "name_col"), ("naming.column.case", "NameCol_col", "name_col_col")],
)
def test_column_naming_fix_renames_column(rule: str, bad: str, fixed: str) -> None:
    policy = only(rule, NAMING)
    project = project_of(table("tbl_x", [column(bad, line=12)]))
    findings = govern(project, policy).findings
    assert [(f.rule, f.line) for f in findings] == [(rule, 12)]
    repaired = apply_fixes(project, findings)
    assert repaired.catalogs[0].schemas[0].tables[0].columns[0].name == fixed
    assert govern(repaired, policy).findings == []
    assert project.catalogs[0].schemas[0].tables[0].columns[0].name == bad  # input untouched


def test_column_max_length_and_reserved_words() -> None:
    policy = only("naming.column.max_length, naming.column.reserved", NAMING)
    findings = govern(
        project_of(table("t", [column("order", line=3), column("a_very_long_name", line=4), column("id")])),
        policy,
    ).findings
    assert [(f.rule, f.severity, f.line) for f in findings] == [
        ("naming.column.reserved", "warn", 3),
        ("naming.column.max_length", "error", 4),
    ]


def test_reserved_words_are_overridable() -> None:
    policy = only("naming.column.reserved", "rules: {naming: {reserved_words: [status]}}")
    findings = govern(project_of(table("t", [column("order"), column("status", line=9)])), policy).findings
    assert [(f.rule, f.line) for f in findings] == [("naming.column.reserved", 9)]


@pytest.mark.parametrize(
    ("name", "rule"),
    [("x" * 256, "uc.name.length"), ("order.items", "uc.name.characters"), ("a b", "uc.name.characters"),
     ("a/b", "uc.name.characters"), ("a\tb", "uc.name.characters"), ("", "uc.name.length")],
)  # fmt: skip
def test_unity_catalog_identifier_rules_are_errors(name: str, rule: str) -> None:
    findings = govern(
        project_of(table(name, [column("id")], line=4)), only("uc.name.length, uc.name.characters")
    ).findings
    assert [(f.rule, f.severity, f.line) for f in findings] == [(rule, "error", 4)]


def test_upper_case_names_warn_and_fix_to_lower_case_with_references() -> None:
    customers = table(
        "Customers", [column("ID", "BIGINT", line=3), column("Email", line=4)], line=2, pk=["ID"]
    )
    customers.unique_keys = [UniqueKey(columns=["Email"])]
    orders = table("orders", [column("id", "BIGINT"), column("customer_id", "BIGINT")], line=8, pk=["id"])
    orders.foreign_keys = [
        ForeignKey(columns=["customer_id"], ref_schema="CRM", ref_table="Customers", ref_columns=["ID"])
    ]
    project = project_of(customers, orders, schema="CRM")
    policy = only("uc.name.lowercase")
    findings = govern(project, policy).findings
    assert [(f.rule, f.severity, f.line, f.fix.replacement if f.fix else None) for f in findings] == [
        ("uc.name.lowercase", "warn", 1, "crm"),
        ("uc.name.lowercase", "warn", 2, "customers"),
        ("uc.name.lowercase", "warn", 3, "id"),
        ("uc.name.lowercase", "warn", 4, "email"),
    ]
    repaired = apply_fixes(project, findings)
    schema = repaired.catalogs[0].schemas[0]
    assert schema.name == "crm"
    fixed_customers, fixed_orders = schema.tables
    assert fixed_customers.primary_key == PrimaryKey(columns=["id"])
    assert fixed_customers.unique_keys[0].columns == ["email"]
    fk = fixed_orders.foreign_keys[0]
    assert (fk.ref_schema, fk.ref_table, fk.ref_columns) == ("crm", "customers", ["id"])
    assert govern(repaired, policy).findings == []
    assert project.catalogs[0].schemas[0].name == "CRM"


def test_fixes_of_one_element_agree() -> None:
    """Case and prefix findings of one name carry the same, fully corrected replacement."""
    policy = only("naming.table.case, naming.table.prefix, uc.name.lowercase", NAMING)
    findings = govern(project_of(table("OrderItems", [column("id")])), policy).findings
    assert {f.fix.replacement for f in findings if f.fix} == {"tbl_order_items"}
    assert len(findings) == 3


def test_schema_rename_rewrites_foreign_keys() -> None:
    orders = table("orders", [column("id", "BIGINT")], pk=["id"])
    items = table("items", [column("order_id", "BIGINT")])
    items.foreign_keys = [
        ForeignKey(columns=["order_id"], ref_schema="SalesData", ref_table="orders", ref_columns=["id"])
    ]
    project = project_of(orders, items, schema="SalesData")
    policy = only("naming.schema.case", "rules: {naming: {schema: {case: snake_case}}}")
    repaired = apply_fixes(project, govern(project, policy).findings)
    assert repaired.catalogs[0].schemas[0].name == "sales_data"
    assert repaired.catalogs[0].schemas[0].tables[1].foreign_keys[0].ref_schema == "sales_data"


@pytest.mark.parametrize(
    ("name", "style", "expected"),
    [("OrderItems", "snake_case", "order_items"), ("order_items", "camelCase", "orderItems"),
     ("order_items", "PascalCase", "OrderItems"), ("orderID", "UPPER_SNAKE", "ORDER_ID"),
     ("Order Items", "kebab-case", "order-items"), ("HTTPServer2", "snake_case", "http_server2")],
)  # fmt: skip
def test_convert_case(name: str, style: str, expected: str) -> None:
    assert convert_case(name, style) == expected


def test_case_styles_accept_their_own_form() -> None:
    for style, name in [
        ("camelCase", "orderItems"),
        ("PascalCase", "OrderItems"),
        ("UPPER_SNAKE", "ORDER_ITEMS"),
        ("kebab-case", "order-items"),
    ]:
        policy = only("naming.table.case", f"rules: {{naming: {{table: {{case: {style}}}}}}}")
        assert govern(project_of(table(name, [column("id")])), policy).findings == [], style
        assert rules_of(govern(project_of(table("order items x", [column("id")])), policy).findings) == [
            "naming.table.case"
        ]


def test_schema_without_name_span_falls_back_to_span() -> None:
    project = project_of(table("t", [column("id")]))
    project.catalogs[0].schemas = [Schema(name="Bad Name", tables=[])]
    findings = govern(project, only("uc.name.characters")).findings
    assert [f.rule for f in findings] == ["uc.name.characters"] and findings[0].span is None
