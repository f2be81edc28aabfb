"""Grant rules: privileges bring the USE CATALOG / USE SCHEMA they need (added or reported, by
`rules.grants.implied_use`), and broad principals get no powerful privilege (error in restricted
environments, warning elsewhere)."""

from __future__ import annotations

import textwrap

import sqlglot

from accelerator.errors import PolicyError
from accelerator.model import Grant, Project
from accelerator.model.canonical import canonical_json
from accelerator.policy import default_policy, govern
from accelerator.render import render_sql

from .conftest import column, line_of, policy_from, project_of, table

ENVIRONMENTS = "environments: {dev: {}, prod: {}}\n"


def with_environments(snippet: str) -> str:
    """A policy with environments dev and prod, then `snippet` (dedented)."""
    return ENVIRONMENTS + textwrap.dedent(snippet).lstrip("\n")


def retail_like() -> Project:
    return project_of(table("orders", [column("id")]), table("items", [column("id")]))


def grants_of(project: Project) -> dict[str, list[tuple[str, list[str], list[str]]]]:
    """Grants per securable ("retail", "retail.sales", "retail.sales.orders"), as tuples."""
    found: dict[str, list[tuple[str, list[str], list[str]]]] = {}

    def put(name: str, grants: list[Grant]) -> None:
        if grants:
            found[name] = [(g.principal, list(g.privileges), list(g.environments)) for g in grants]

    for catalog in project.catalogs:
        put(catalog.name, catalog.grants)
        for schema in catalog.schemas:
            put(f"{catalog.name}.{schema.name}", schema.grants)
            for one in schema.tables:
                put(f"{catalog.name}.{schema.name}.{one.name}", one.grants)
    return found


SELECT_ON_SCHEMA = (
    ENVIRONMENTS
    + """
severity: {'*': off, grants.*: error}
grants:
  - {on: schema, name: sales, principal: analysts, privileges: [SELECT], environments: [prod]}
"""
)


def test_select_on_a_schema_brings_use_catalog_and_use_schema_by_default() -> None:
    governed = govern(retail_like(), policy_from(SELECT_ON_SCHEMA))
    assert governed.findings == []
    assert grants_of(governed.project) == {
        "retail": [("analysts", ["USE_CATALOG"], ["prod"])],
        "retail.sales": [("analysts", ["SELECT", "USE_SCHEMA"], ["prod"])],  # merged, not duplicated
    }
    added = governed.project.catalogs[0].grants[0]
    assert added.span is not None and added.span.line == line_of(SELECT_ON_SCHEMA, "analysts")


def test_with_implied_use_error_the_missing_use_privileges_are_findings_at_the_grant() -> None:
    text = SELECT_ON_SCHEMA + "rules: {grants: {implied_use: error}}\n"
    governed = govern(retail_like(), policy_from(text))
    assert [(f.rule, f.severity, f.line, f.object) for f in governed.findings] == [
        ("grants.implied_use", "error", line_of(text, "analysts"), "retail"),
        ("grants.implied_use", "error", line_of(text, "analysts"), "retail.sales"),
    ]
    use_catalog, use_schema = (f.message for f in governed.findings)
    assert (
        "SELECT on schema sales to analysts does not work without USE CATALOG on catalog retail in prod"
        in use_catalog
    )
    assert (
        "{on: catalog, name: retail, principal: analysts, privileges: [USE CATALOG], environments: [prod]}"
        in use_catalog
    )
    assert "USE SCHEMA on schema retail.sales in prod" in use_schema and "implied_use: add" in use_schema
    # nothing is added: the model holds exactly what the policy says
    assert grants_of(governed.project) == {"retail.sales": [("analysts", ["SELECT"], ["prod"])]}


def test_grants_that_already_hold_their_use_privileges_need_nothing() -> None:
    text = with_environments(
        """
    rules: {grants: {implied_use: error}}
    catalog_defaults: {owner: owners}
    grants:
      - {on: catalog, principal: analysts, privileges: [USE CATALOG, USE SCHEMA]}
      - {on: table, name: 'sales.*', principal: analysts, privileges: [SELECT], environments: [prod]}
      - {on: catalog, principal: engineers, privileges: [ALL PRIVILEGES, SELECT]}
      - {on: schema, name: sales, principal: engineers, privileges: [MODIFY]}
      - {on: schema, name: sales, principal: owners, privileges: [SELECT]}
      - {on: catalog, principal: auditors, privileges: [BROWSE]}
      - {on: table, name: sales.orders, principal: stewards, privileges: [MANAGE]}
    """
    )
    governed = govern(retail_like(), policy_from(text))
    assert [f for f in governed.findings if f.rule == "grants.implied_use"] == []


def test_a_catalog_wide_select_needs_use_schema_on_the_catalog_and_is_reported_once_per_grant() -> None:
    text = with_environments(
        """
    grants:
      - {on: catalog, principal: readers, privileges: [SELECT]}
      - {on: table, name: 'sales.*', principal: finance, privileges: [SELECT], environments: [dev]}
    """
    )
    added = grants_of(govern(retail_like(), policy_from(text)).project)
    assert added["retail"] == [
        ("readers", ["SELECT", "USE_CATALOG", "USE_SCHEMA"], []),
        ("finance", ["USE_CATALOG"], ["dev"]),
    ]
    assert added["retail.sales"] == [("finance", ["USE_SCHEMA"], ["dev"])]
    # in error mode the two tables of `sales.*` share one finding per missing privilege
    errors = govern(retail_like(), policy_from(text + "rules: {grants: {implied_use: error}}\n")).findings
    finance = [f for f in errors if "to finance" in f.message]
    assert [f.object for f in finance] == ["retail", "retail.sales"]


def test_a_use_privilege_held_in_some_environments_is_added_only_in_the_others() -> None:
    text = with_environments(
        """
    grants:
      - {on: catalog, principal: analysts, privileges: [USE CATALOG], environments: [prod]}
      - {on: schema, name: sales, principal: analysts, privileges: [USE SCHEMA, SELECT]}
    """
    )
    assert grants_of(govern(retail_like(), policy_from(text)).project)["retail"] == [
        ("analysts", ["USE_CATALOG"], ["prod"]),
        ("analysts", ["USE_CATALOG"], ["dev"]),
    ]


def test_governing_twice_gives_the_same_model_and_findings() -> None:
    policy = policy_from(
        with_environments(
            """
    grants:
      - {on: catalog, principal: readers, privileges: [SELECT]}
      - {on: table, name: 'sales.*', principal: finance, privileges: [SELECT, MODIFY], environments: [prod]}
      - {on: schema, name: sales, principal: analysts, privileges: [SELECT]}
      - {on: catalog, principal: account users, privileges: [ALL PRIVILEGES]}
    """
        )
    )
    once = govern(retail_like(), policy)
    twice = govern(once.project, policy)
    assert twice.project == once.project
    assert canonical_json(twice.project) == canonical_json(once.project)
    assert twice.findings == once.findings


def test_the_generated_sql_carries_the_use_grants() -> None:
    text = SELECT_ON_SCHEMA + "deployment: {grants_in: sql}\n"
    project = govern(retail_like(), policy_from(text)).project
    prod = render_sql(project, "prod")["prod_retail.sql"]
    assert "GRANT USE CATALOG ON CATALOG `prod_retail` TO `analysts`;" in prod
    assert "GRANT SELECT, USE SCHEMA ON SCHEMA `prod_retail`.`sales` TO `analysts`;" in prod
    assert all(statement for statement in sqlglot.parse(prod, read="databricks"))
    assert "analysts" not in render_sql(project, "dev")["dev_retail.sql"]


BROAD = (
    ENVIRONMENTS
    + """
grants:
  - {on: catalog, principal: account users, privileges: [USE CATALOG, ALL PRIVILEGES]}
"""
)


def test_all_privileges_to_account_users_is_an_error_in_prod_and_a_warning_in_dev() -> None:
    findings = [f for f in govern(retail_like(), policy_from(BROAD)).findings if f.rule.startswith("grants.")]
    line = line_of(BROAD, "account users")
    column = BROAD.splitlines()[line - 1].index("ALL PRIVILEGES") + 1
    assert [(f.rule, f.severity, f.line, f.column) for f in findings] == [
        ("grants.restricted_privilege", "error", line, column),
        ("grants.broad_principal", "warn", line, column),
    ]
    error, warning = findings
    assert "ALL PRIVILEGES on catalog * to account users in prod" in error.message
    assert "rules.grants.restricted_privileges" in error.message
    assert "in dev:" in warning.message and "prod" not in warning.message


def test_environment_grants_and_other_broad_principals() -> None:
    text = with_environments(
        """
    rules:
      grants:
        broad_principals: [all_staff]
        restricted_privileges: {dev: [MODIFY], prod: [MANAGE]}
    environments:
      dev:
        grants: [{on: schema, name: sales, principal: '`Users`', privileges: [USE SCHEMA, MODIFY]}]
      prod:
        grants: [{on: table, name: sales.orders, principal: all_staff, privileges: [MANAGE]}]
    grants:
      - {on: schema, name: sales, principal: data_team, privileges: [ALL PRIVILEGES]}
    """
    ).replace(ENVIRONMENTS, "")
    findings = [f for f in govern(retail_like(), policy_from(text)).findings if f.rule.startswith("grants.b")
                or f.rule.startswith("grants.r")]  # fmt: skip
    assert [(f.rule, f.line) for f in findings] == [
        ("grants.restricted_privilege", line_of(text, "`Users`")),
        ("grants.restricted_privilege", line_of(text, "all_staff, privileges")),
    ]
    assert "MODIFY on schema sales to `Users` in dev" in findings[0].message


def test_severities_and_owners() -> None:
    text = with_environments(
        """
    severity: {grants.restricted_privilege: warn}
    table_defaults: {owner: account users}
    """
    )
    findings = [f for f in govern(retail_like(), policy_from(text)).findings if f.rule.startswith("grants.")]
    # one finding for the default owner of both tables, at the default, as a warning by `severity`
    assert [(f.rule, f.severity, f.line) for f in findings] == [
        ("grants.broad_principal", "warn", line_of(text, "owner: account users")),
        ("grants.restricted_privilege", "warn", line_of(text, "owner: account users")),
    ]
    owned = "OWNERSHIP of every table (table_defaults.owner) by account users"
    assert findings[0].message.startswith(f"{owned} in dev:")
    assert findings[1].message.startswith(f"{owned} in prod:")


def test_the_default_policy_judges_grants_too() -> None:
    rules = default_policy().spec.rules.grants
    assert rules.implied_use == "add"
    assert rules.restricted_privileges == {"prod": ["ALL_PRIVILEGES", "MANAGE", "OWNERSHIP"]}


def test_grant_rule_settings_are_validated_and_located() -> None:
    cases = {
        "rules: {grants: {implied_use: maybe}}\n": "expected one of add, error",
        "rules: {grants: {powerful_privileges: [ALL PRIVILEGES, MANAGEE]}}\n": "did you mean MANAGE?",
        ENVIRONMENTS + "rules: {grants: {restricted_privileges: {prd: [MANAGE]}}}\n": "'prd': not defined",
        "environments: {dev: {}, '../x': {}}\n": "may contain only ASCII letters",
        "grants: [{on: catalog, principal: a, privileges: [SELECT], environments: ['a/b']}]\n": "may contain only",
    }
    for text, expected in cases.items():
        try:
            policy_from(text)
        except PolicyError as error:
            assert expected in error.message, (text, error.message)
            assert error.line == text.count("\n"), (text, error.line)
        else:
            raise AssertionError(f"accepted: {text}")
