"""Grants: attached to the model per environment, privileges normalized and checked against Unity
Catalog, errors located in the policy file."""

from __future__ import annotations

from accelerator.model import Grant
from accelerator.policy import govern
from accelerator.policy.privileges import PRIVILEGES, normalize_privilege

from .conftest import column, line_of, policy_from, project_of, table

GRANTS = """
severity: {'*': off, grants.*: error}
environments: {dev: {}, prod: {grants: [{on: schema, name: sales, principal: analysts, privileges: [use schema, SELECT]}]}}
grants:
  - {on: catalog, principal: data_platform, privileges: [USE_CATALOG, BROWSE]}
  - {on: table, name: 'sales.*', principal: finance, privileges: [select], environments: [prod]}
  - {on: table, name: sales.orders, principal: finance, privileges: [MODIFY, SELECT], environments: [prod]}
  - {on: schema, name: '*', principal: engineers, privileges: [ALL PRIVILEGES]}
"""


def dumped(grants: list[Grant]) -> list[dict[str, object]]:
    return [grant.model_dump() for grant in grants]


def retail_like():  # type: ignore[no-untyped-def]
    return project_of(table("orders", [column("id")]), table("items", [column("id")]))


def test_grants_are_attached_per_securable_and_environment() -> None:
    governed = govern(retail_like(), policy_from(GRANTS))
    assert governed.findings == []
    catalog = governed.project.catalogs[0]
    schema = catalog.schemas[0]
    orders, items = schema.tables
    # after the policy's grants, the USE CATALOG / USE SCHEMA they need (rules.grants.implied_use: add)
    assert dumped(catalog.grants) == dumped(
        [
            Grant(principal="data_platform", privileges=["USE_CATALOG", "BROWSE"]),
            Grant(principal="engineers", privileges=["USE_CATALOG"]),
            Grant(principal="analysts", privileges=["USE_CATALOG"], environments=["prod"]),
            Grant(principal="finance", privileges=["USE_CATALOG"], environments=["prod"]),
        ]
    )
    assert dumped(schema.grants) == dumped(
        [
            Grant(principal="engineers", privileges=["ALL_PRIVILEGES"]),
            Grant(principal="analysts", privileges=["USE_SCHEMA", "SELECT"], environments=["prod"]),
            Grant(principal="finance", privileges=["USE_SCHEMA"], environments=["prod"]),
        ]
    )
    # the two finance grants of orders merge: same principal, same environments
    assert dumped(orders.grants) == dumped(
        [Grant(principal="finance", privileges=["SELECT", "MODIFY"], environments=["prod"])]
    )
    assert dumped(items.grants) == dumped(
        [Grant(principal="finance", privileges=["SELECT"], environments=["prod"])]
    )
    assert orders.grants[0].span is not None and orders.grants[0].span.line == 5  # the first entry merged


def test_governing_twice_changes_nothing() -> None:
    policy = policy_from(GRANTS)
    once = govern(retail_like(), policy).project
    assert govern(once, policy).project == once


def test_unknown_or_inapplicable_privilege_is_an_error_at_its_policy_line() -> None:
    text = """
    severity: {'*': off, grants.*: error}
    grants:
      - on: table
        name: sales.orders
        principal: analysts
        privileges:
          - SELECT
          - USE_SCHEMA
          - SELEKT
          - USAGE
    """
    governed = govern(retail_like(), policy_from(text))
    findings = governed.findings
    assert [(f.rule, f.severity, f.file, f.line, f.column) for f in findings] == [
        ("grants.privilege", "error", "policies/governance.yaml", line_of(text, "USE_SCHEMA"), 9),
        ("grants.privilege", "error", "policies/governance.yaml", line_of(text, "SELEKT"), 9),
        ("grants.privilege", "error", "policies/governance.yaml", line_of(text, "USAGE"), 9),
    ]
    assert (
        "USE_SCHEMA does not apply to a table; a table takes ALL_PRIVILEGES, APPLY_TAG, MANAGE, MODIFY, SELECT"
        in findings[0].message
    )
    assert "did you mean SELECT?" in findings[1].message
    assert "use USE_CATALOG or USE_SCHEMA" in findings[2].message
    # the bad privileges are left out of the model; the good one stays
    assert governed.project.catalogs[0].schemas[0].tables[0].grants[0].privileges == ["SELECT"]


def test_grant_on_a_missing_object_names_the_closest() -> None:
    text = """
    severity: {'*': off, grants.*: error}
    grants:
      - {on: table, name: sales.order, principal: a, privileges: [SELECT]}
      - {on: schema, name: marketing, principal: a, privileges: [USE_SCHEMA]}
    """
    findings = govern(retail_like(), policy_from(text)).findings
    assert [(f.rule, f.line) for f in findings] == [("grants.target", 3), ("grants.target", 4)]
    assert findings[0].message.endswith("did you mean 'sales.orders'?")
    assert findings[1].message.endswith("known: sales")


def test_privilege_normalization_and_tables() -> None:
    assert normalize_privilege(" use  schema ") == "USE_SCHEMA"
    assert normalize_privilege("all-privileges") == "ALL_PRIVILEGES"
    assert "USE_CATALOG" in PRIVILEGES["catalog"] and "USE_CATALOG" not in PRIVILEGES["schema"]
    assert PRIVILEGES["table"] == {"ALL_PRIVILEGES", "APPLY_TAG", "MANAGE", "MODIFY", "SELECT"}
    assert PRIVILEGES["function"] == {"ALL_PRIVILEGES", "EXECUTE", "MANAGE"}
