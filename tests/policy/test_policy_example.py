"""The retail example policy on the retail model, settings applied to the model, and purity."""

from __future__ import annotations

import pytest

from accelerator.model import Deployment, PrimaryKey, canonical_json, has_errors
from accelerator.policy import Policy, apply_fixes, govern

from .conftest import ROOT, column, policy_from, project_of, retail_project, table


def test_example_policy_governs_the_example_without_errors_but_with_a_warning(retail_policy: Policy) -> None:
    governed = govern(retail_project(), retail_policy)
    assert not has_errors(governed.findings), [f.message for f in governed.findings if f.severity == "error"]
    warnings = [f for f in governed.findings if f.severity == "warn"]
    assert warnings, "the demo should show a report"
    assert {f.rule for f in warnings} == {"classification.comment"}
    postal = next(f for f in warnings if f.object == "retail.crm.addresses.postal_code")
    assert (postal.file, postal.line) == ("examples/retail/erd/retail.sql", 26)


def test_example_policy_exercises_every_section(retail_policy: Policy) -> None:
    spec = retail_policy.spec
    assert list(spec.environments or {}) == ["dev", "staging", "prod"]
    assert all(env.catalog == "{env}_{domain}" for env in (spec.environments or {}).values())
    assert spec.rules.naming.table.case == spec.rules.naming.column.case == "snake_case"
    assert spec.rules.metadata.required_tags.table == ["data_owner", "domain"]
    assert spec.rules.types.forbidden and spec.classification and spec.grants and spec.severity
    assert all(rule.mask is not None for rule in spec.classification)
    assert spec.table_defaults.properties and spec.table_defaults.owner and spec.deployment is not None


def test_example_model_is_governed(retail_policy: Policy) -> None:
    project = govern(retail_project(), retail_policy).project
    assert [(e.name, e.catalog_name(project.catalogs[0])) for e in project.environments] == [
        ("dev", "dev_retail"), ("staging", "staging_retail"), ("prod", "prod_retail"),
    ]  # fmt: skip
    customers = project.catalogs[0].schema("crm").table("customers")  # type: ignore[union-attr]
    assert customers is not None
    assert customers.owner == "data_platform" and customers.tags == {
        "domain": "crm",
        "data_owner": "crm_team",
    }
    assert customers.properties["delta.enableChangeDataFeed"] == "true"
    assert customers.cluster_by == ["customer_id"]
    email = customers.column("email")
    assert email is not None and email.classification == "pii.email" and email.mask is not None
    analysts = [g for g in customers.grants if g.principal == "analysts"]
    assert [(g.privileges, g.environments) for g in analysts] == [(["SELECT"], ["prod"])]
    sales = project.catalogs[0].schema("sales")
    assert sales is not None
    # finance's SELECT on sales.* brings the USE SCHEMA / USE CATALOG it needs (rules.grants.implied_use)
    assert [(g.principal, g.privileges, g.environments) for g in sales.grants] == [
        ("data_platform", ["USE_SCHEMA", "CREATE_TABLE", "MODIFY", "SELECT"], []),
        ("analysts", ["USE_SCHEMA", "SELECT"], ["prod"]),
        ("finance", ["USE_SCHEMA"], ["prod", "staging"]),
    ]
    finance = [g for g in project.catalogs[0].grants if g.principal == "finance"]
    assert [(g.privileges, g.environments) for g in finance] == [(["USE_CATALOG"], ["prod", "staging"])]
    assert project.deployment == Deployment(grants_in="terraform", tables_in="sql")


def test_govern_does_not_mutate_its_input_and_is_idempotent(retail_policy: Policy) -> None:
    project = retail_project()
    before = canonical_json(project)
    governed = govern(project, retail_policy)
    assert canonical_json(project) == before
    again = govern(governed.project, retail_policy)
    assert canonical_json(again.project) == canonical_json(governed.project)
    assert again.findings == governed.findings
    fixed = apply_fixes(governed.project, governed.findings)  # no fix in the example: nothing changes
    assert canonical_json(fixed) == canonical_json(governed.project)


def test_table_defaults_cluster_by_and_properties_where_the_erd_wins() -> None:
    policy = policy_from(
        """
        severity: {'*': off}
        table_defaults:
          properties: {delta.enableChangeDataFeed: 'true', delta.appendOnly: 'false'}
          cluster_by: auto
        """
    )
    project = project_of(
        table("a", [column("id")], properties={"delta.appendOnly": "true"}),
        table("b", [column("id")], cluster_by=["id"]),
    )
    a, b = govern(project, policy).project.catalogs[0].schemas[0].tables
    assert a.properties == {"delta.enableChangeDataFeed": "true", "delta.appendOnly": "true"}
    assert (a.cluster_by_auto, b.cluster_by_auto, b.cluster_by) == (True, False, ["id"])
    primary = policy_from("table_defaults: {cluster_by: primary_key}")
    keyed = project_of(table("c", [column("k1"), column("k2")], pk=["k1", "k2"]))
    assert govern(keyed, primary).project.catalogs[0].schemas[0].tables[0].cluster_by == ["k1", "k2"]
    assert keyed.catalogs[0].schemas[0].tables[0].primary_key == PrimaryKey(columns=["k1", "k2"])


def test_without_environments_or_deployment_the_project_keeps_its_own() -> None:
    project = project_of(table("a", [column("id")]))
    governed = govern(project, policy_from("severity: {'*': off}")).project
    assert [e.name for e in governed.environments] == ["dev"] and governed.deployment == Deployment()


def test_bad_catalog_template_result_is_a_located_finding() -> None:
    policy = policy_from("environments:\n  prod: {catalog: '{env}.{domain}'}\n")
    findings = [
        f for f in govern(project_of(table("a", [column("id")])), policy).findings if f.rule.startswith("uc.")
    ]
    assert [(f.rule, f.line, f.column) for f in findings] == [("uc.name.characters", 2, 19)]


def test_every_rule_and_key_is_documented() -> None:
    from accelerator.policy.rules import BUILTIN_RULES
    from accelerator.policy.schema import PolicySpec

    text = (ROOT / "accelerator/policy/POLICY.md").read_text(encoding="utf-8")

    def documented(rule: str) -> bool:
        generic = ".".join(["naming", "<kind>", *rule.split(".")[2:]]) if rule.startswith("naming.") else rule
        return f"`{generic}`" in text

    assert [rule for rule in BUILTIN_RULES if not documented(rule)] == []
    assert [key for key in PolicySpec.model_fields if f"`{key}`" not in text] == []


@pytest.mark.parametrize(("file", "line"), [("retail.dbml", 22), ("retail.mmd", 21), ("retail.sql", 26)])
def test_example_erds_parsed_by_the_real_parsers_govern_the_same(
    retail_policy: Policy, file: str, line: int
) -> None:
    erd = pytest.importorskip(
        "accelerator.erd"
    )  # written in parallel; the model-built tests above do not need it
    from accelerator.model.build import build_project

    parsed = erd.parse_erd((ROOT / "examples/retail/erd" / file).read_text(encoding="utf-8"), f"erd/{file}")
    governed = govern(build_project("retail", [("retail", parsed)]), retail_policy)
    assert [(f.severity, f.rule, f.file, f.line, f.object) for f in governed.findings] == [
        ("warn", "classification.comment", f"erd/{file}", line, "retail.crm.addresses.postal_code")
    ]
