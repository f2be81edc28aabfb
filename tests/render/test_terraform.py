"""render_terraform: structure of the synthesized JSON (providers cannot be downloaded here, so the
validation is structural), determinism, hostile text, backends, and the missing-Node error.

cdktn takes seconds to import, so every synthesis happens once, in one module-scoped fixture.
"""

from __future__ import annotations

import json
import re
import shutil
from typing import Any

import pytest

from accelerator.errors import RenderError, ToolMissingError
from accelerator.model import Project, Table
from accelerator.render import render_terraform

from .render_fixtures import governed_project

HOSTILE_COMMENT = '${TfToken[TOKEN.1]} %{ if true }x%{ endif } ${var.secret} "quoted"\nline'
HOSTILE_TABLE = "weird name; `--${x}"
REFERENCE = re.compile(r"(?<!\$)\$\{([a-z_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}")


def terraform_project() -> Project:
    project = governed_project(grants_in="both", tables_in="terraform")
    project.catalogs[0].comment = HOSTILE_COMMENT
    crm = project.catalogs[0].schema("crm")
    assert crm is not None
    crm.tables.append(Table(name=HOSTILE_TABLE, columns=[], grants=crm.tables[0].grants))
    return project


@pytest.fixture(scope="module")
def synthesized() -> dict[str, dict[str, str]]:
    if shutil.which("node") is None:
        pytest.skip("cdktn needs Node.js")
    project = terraform_project()
    return {
        "terraform": render_terraform(project, ["dev", "prod"]),
        "again": render_terraform(terraform_project(), ["dev", "prod"]),
        "sql_mode": render_terraform(governed_project(grants_in="sql", tables_in="sql"), ["dev"]),
        "grants_only": render_terraform(governed_project(grants_in="terraform"), ["prod"]),
        "s3": render_terraform(
            project,
            ["prod"],
            backend={"s3": {"bucket": "state", "key": "uc/{env}.tfstate", "region": "eu-west-1"}},
        ),
    }


def document(synthesized: dict[str, dict[str, str]], run: str, env: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(synthesized[run][f"{env}/cdk.tf.json"])
    return data


def test_one_stack_per_environment_and_deterministic_output(synthesized: dict[str, dict[str, str]]) -> None:
    assert list(synthesized["terraform"]) == ["dev/cdk.tf.json", "prod/cdk.tf.json"]
    assert synthesized["terraform"] == synthesized["again"]  # byte-identical across two syntheses
    assert list(synthesized["s3"]) == ["prod/cdk.tf.json"]


def test_provider_without_credentials_and_local_backend_per_environment(
    synthesized: dict[str, dict[str, str]],
) -> None:
    for env in ("dev", "prod"):
        tf = document(synthesized, "terraform", env)
        assert tf["provider"] == {"databricks": [{}]}
        assert tf["terraform"]["required_providers"]["databricks"]["source"] == "databricks/databricks"
        assert tf["terraform"]["backend"] == {"local": {"path": f"terraform.{env}.tfstate"}}


def test_s3_backend_gets_the_environment_in_its_key(synthesized: dict[str, dict[str, str]]) -> None:
    backend = document(synthesized, "s3", "prod")["terraform"]["backend"]
    assert backend == {"s3": {"bucket": "state", "key": "uc/prod.tfstate", "region": "eu-west-1"}}


def test_catalog_schemas_and_references(synthesized: dict[str, dict[str, str]]) -> None:
    resources = document(synthesized, "terraform", "prod")["resource"]
    catalog = resources["databricks_catalog"]["catalog__retail"]
    assert catalog["name"] == "prod_retail"
    assert catalog["owner"] == "platform-admins"
    schemas = resources["databricks_schema"]
    assert sorted(schemas) == ["schema__retail__crm", "schema__retail__sales"]
    assert schemas["schema__retail__crm"]["catalog_name"] == "${databricks_catalog.catalog__retail.name}"
    assert schemas["schema__retail__crm"]["owner"] == "crm-team"
    assert schemas["schema__retail__sales"]["comment"] == "Orders and products"


def test_every_reference_points_at_a_resource_of_the_same_stack(
    synthesized: dict[str, dict[str, str]],
) -> None:
    for env in ("dev", "prod"):
        text = synthesized["terraform"][f"{env}/cdk.tf.json"]
        resources = json.loads(text)["resource"]
        references = REFERENCE.findall(text)
        assert len(references) > 10
        for resource_type, name, _attribute in references:
            assert name in resources[resource_type], f"{resource_type}.{name}"


def test_grants_per_securable_only_in_the_environments_they_name(
    synthesized: dict[str, dict[str, str]],
) -> None:
    dev = document(synthesized, "terraform", "dev")["resource"]["databricks_grants"]
    prod = document(synthesized, "terraform", "prod")["resource"]["databricks_grants"]
    assert dev["grants__catalog__retail"] == {
        "//": dev["grants__catalog__retail"]["//"],
        "catalog": "${databricks_catalog.catalog__retail.name}",
        "grant": [
            {"principal": "analysts", "privileges": ["USE_CATALOG"]},
            {"principal": "engineers", "privileges": ["ALL_PRIVILEGES"]},
        ],
    }
    assert prod["grants__catalog__retail"]["grant"] == [
        {"principal": "analysts", "privileges": ["USE_CATALOG"]}
    ]
    assert prod["grants__schema__retail__sales"]["schema"] == "${databricks_schema.schema__retail__sales.id}"
    assert prod["grants__schema__retail__sales"]["grant"] == [
        {"principal": "analysts", "privileges": ["SELECT", "USE_SCHEMA"]}
    ]
    # no grants in an environment: no (authoritative, revoking) databricks_grants resource at all
    assert "grants__schema__retail__sales" not in dev
    assert "grants__table__retail__crm__customers" not in dev
    table_grant = prod["grants__table__retail__crm__customers"]
    assert table_grant["table"] == "${databricks_sql_table.table__retail__crm__customers.id}"


def test_tables_in_terraform_mode(synthesized: dict[str, dict[str, str]]) -> None:
    tables = document(synthesized, "terraform", "dev")["resource"]["databricks_sql_table"]
    customers = tables["table__retail__crm__customers"]
    assert customers["table_type"] == "MANAGED"
    assert customers["catalog_name"] == "${databricks_catalog.catalog__retail.name}"
    assert customers["schema_name"] == "${databricks_schema.schema__retail__crm.name}"
    assert customers["column"][0] == {
        "comment": "Surrogate key",
        "identity": "always",
        "name": "customer_id",
        "nullable": False,
        "type": "BIGINT",
    }
    assert customers["properties"] == {"delta.enableChangeDataFeed": "true"}
    assert customers["cluster_keys"] == ["customer_id"]
    assert tables["table__retail__sales__orders"]["column"][2]["type"] == "DECIMAL(12,2)"


def test_sql_mode_has_no_tables_and_no_grants(synthesized: dict[str, dict[str, str]]) -> None:
    resources = document(synthesized, "sql_mode", "dev")["resource"]
    assert sorted(resources) == ["databricks_catalog", "databricks_schema"]


def test_table_grants_without_terraform_tables_use_the_full_name(
    synthesized: dict[str, dict[str, str]],
) -> None:
    resources = document(synthesized, "grants_only", "prod")["resource"]
    assert "databricks_sql_table" not in resources
    grant = resources["databricks_grants"]["grants__table__retail__crm__customers"]
    # the schema's id is `catalog.schema`, so this is the table's full name
    assert grant["table"] == "${databricks_schema.schema__retail__crm.id}.customers"


def test_hostile_text_stays_literal_and_ids_stay_valid(synthesized: dict[str, dict[str, str]]) -> None:
    tf = document(synthesized, "terraform", "prod")
    catalog = tf["resource"]["databricks_catalog"]["catalog__retail"]
    # cdktn never saw the text (no token resolved) and Terraform reads it literally ($${ and %%{)
    assert catalog["comment"] == HOSTILE_COMMENT.replace("${", "$${").replace("%{", "%%{")
    hostile_ids = [
        name
        for name in tf["resource"]["databricks_sql_table"]
        if name.startswith("table__retail__crm__weird")
    ]
    assert len(hostile_ids) == 1
    assert re.fullmatch(r"table__retail__crm__weird_name_x_[0-9a-f]{8}", hostile_ids[0])
    table = tf["resource"]["databricks_sql_table"][hostile_ids[0]]
    assert table["name"] == HOSTILE_TABLE.replace("${", "$${")
    for resource_type in tf["resource"].values():
        for resource_id in resource_type:
            assert re.fullmatch(r"[a-z][a-z0-9_]*", resource_id)


def test_missing_node_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(
        ToolMissingError, match=r"Node\.js is required to synthesize Terraform with cdktn"
    ) as caught:
        render_terraform(governed_project(), ["dev"])
    assert caught.value.hint is not None and "--no-terraform" in caught.value.hint


@pytest.mark.parametrize(
    ("backend", "message"),
    [
        ({"ftp": {}}, "unknown Terraform backend 'ftp'"),
        ({"s3": {"bucket": "b", "key": "k", "colour": "red"}}, "unknown setting"),
        ({"s3": {}, "gcs": {}}, "exactly one kind"),
        ({"remote": {"organization": "o", "workspaces": {}}}, "workspaces need a name"),
    ],
)
def test_bad_backend_settings_are_clear_errors(
    synthesized: dict[str, dict[str, str]], backend: dict[str, dict[str, object]], message: str
) -> None:
    with pytest.raises(RenderError, match=message):
        render_terraform(governed_project(), ["dev"], backend=backend)


def test_unknown_environment_is_an_error_before_synthesis() -> None:
    with pytest.raises(RenderError, match="unknown environment 'qa'"):
        render_terraform(governed_project(), ["dev", "qa"])
