"""`objects`: one catalog's, schema's, table's or column's owner and tags, winning over the defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelerator.errors import PolicyError
from accelerator.generate import ErdInput, Governed, PolicyInput, govern_inputs
from accelerator.model.elements import Table

ROOT = Path(__file__).resolve().parents[2] / "examples" / "retail"
ERD, POLICY = "erd/retail.dbml", "policies/governance.yaml"
BASE = (ROOT / POLICY).read_text()


def governed(extra: str) -> Governed:
    return govern_inputs(
        "retail", [ErdInput(ERD, (ROOT / ERD).read_text(), "retail")], PolicyInput(POLICY, BASE + extra)
    )


def table(result: Governed, schema: str, name: str) -> Table:
    return next(t for _, s, t in result.project.iter_tables() if s.name == schema and t.name == name)


def findings(result: Governed) -> list[str]:
    return [f.message for f in result.findings if f.rule == "policy.object"]


def test_entries_win_over_the_defaults_for_every_kind_of_object() -> None:
    result = governed(
        "\nobjects:\n"
        "  sales.orders: {owner: order_team, tags: {domain: orders, tier: gold}}\n"
        "  sales.orders.status: {tags: {quality: gold}}\n"
        "  retail: {owner: retail_admins}\n"
        "  crm: {owner: data_engineers}\n"
        "  retail.sales:\n    tags: {steward: sales_team}\n"
    )
    assert not findings(result)
    orders = table(result, "sales", "orders")
    assert orders.owner == "order_team"
    assert orders.tags == {"domain": "orders", "tier": "gold", "data_owner": "sales_team"}  # defaults kept
    status = orders.column("status")
    assert status is not None and status.tags["quality"] == "gold"
    assert table(result, "sales", "products").owner == "data_platform"  # only that table
    (catalog,) = result.project.catalogs
    assert catalog.owner == "retail_admins"
    schemas = {schema.name: schema for schema in catalog.schemas}
    assert schemas["crm"].owner == "data_engineers" and schemas["sales"].owner == "data_platform"
    assert schemas["sales"].tags == {"domain": "sales", "steward": "sales_team"}


def test_names_compare_case_insensitively_and_may_name_the_catalog() -> None:
    result = governed("\nobjects:\n  RETAIL.Sales.Orders: {owner: x}\n")
    assert not findings(result) and table(result, "sales", "orders").owner == "x"


def test_an_entry_naming_no_object_is_a_located_error_with_the_closest_name() -> None:
    result = governed("\nobjects:\n  sales.ordrs: {owner: x}\n")
    (finding,) = [f for f in result.findings if f.rule == "policy.object"]
    assert finding.severity == "error" and finding.object == "sales.ordrs"
    assert "did you mean sales.orders?" in finding.message
    assert finding.span is not None and finding.span.file == POLICY
    assert finding.span.line == len(BASE.splitlines()) + 3


def test_a_column_has_no_owner() -> None:
    (message,) = findings(governed("\nobjects:\n  sales.orders.status: {owner: x}\n"))
    assert "only catalogs, schemas and tables have one" in message


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("  a.b.c.d.e: {owner: x}", "is not an object such as"),
        ("  sales.orders: {owner: x, colour: red}", "colour"),
        ("  sales.orders: {tags: [a]}", "a mapping"),
    ],
)
def test_a_malformed_entry_is_a_located_policy_error(entry: str, message: str) -> None:
    with pytest.raises(PolicyError) as raised:
        governed(f"\nobjects:\n{entry}\n")
    assert message in raised.value.format()
    assert raised.value.line == len(BASE.splitlines()) + 3
