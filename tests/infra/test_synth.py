"""`accelerator infra synth`: the synthesized stack for both Lakebase kinds, every resource, its key
attributes and the references between them (providers cannot be downloaded here, so the check is
structural), and the committed example under infra/ kept up to date.

cdktn takes seconds to start, so the two syntheses happen once, in one module-scoped fixture.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from accelerator.cli import app
from accelerator.infra import load_infra_config
from accelerator.infra.stack import synthesize_infra

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "infra" / "infra.yaml"
ACCOUNT = "0d2a3c4e-1f5b-4a6c-9d7e-8f9a0b1c2d3e"
PROVISIONED = f"""
workspace: {{host: "https://adb-123.4.azuredatabricks.net", account_id: {ACCOUNT}, cloud: azure}}
github:
  repository: acme/uc-models
  environments: [staging, prod, sandbox.eu]
  app_id: 42
  api_url: https://github.acme.example/api/v3
  audience: https://github.com/acme
memory: {{kind: provisioned, instance: bot-memory, capacity: CU_2, database: bot_memory, catalog: bot_memory_uc}}
app: {{name: uc-bot, requirement: "git+https://github.com/acme/accelerator@v1.2"}}
secrets: {{scope: uc-bot, private_key: app-key}}
ci: {{name: uc-ci, warehouse_id: abc123, manage_catalogs: [retail_staging, retail_prod]}}
state: {{s3: {{bucket: tf-state, key: accelerator/bot.tfstate, region: eu-west-1}}}}
"""


def ref(kind: str, name: str, attribute: str) -> str:
    return "${" + f"databricks_{kind}.{name}.{attribute}" + "}"


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if shutil.which("node") is None:
        pytest.skip("cdktn needs Node.js")
    out = tmp_path_factory.mktemp("infra-out")
    result = CliRunner().invoke(app, ["infra", "synth", "--config", str(EXAMPLE), "--out", str(out)])
    assert result.exit_code == 0, result.output
    config_path = tmp_path_factory.mktemp("infra-provisioned") / "infra.yaml"
    config_path.write_text(PROVISIONED, encoding="utf-8")
    return {
        "out": out,
        "output": result.output,
        "autoscaling": json.loads((out / "cdk.tf.json").read_text(encoding="utf-8")),
        "provisioned": json.loads(synthesize_infra(load_infra_config(config_path))),
    }


def resources(document: dict[str, Any], kind: str) -> dict[str, Any]:
    found: dict[str, Any] = document["resource"].get(f"databricks_{kind}", {})
    return found


def test_every_resource_of_each_kind(synthesized: dict[str, Any]) -> None:
    def kinds(document: dict[str, Any]) -> dict[str, list[str]]:
        return {kind: sorted(items) for kind, items in document["resource"].items()}

    common = {
        "databricks_app": ["bot"],
        "databricks_secret_scope": ["github"],
        "databricks_secret": ["github_private_key"],
        "databricks_service_principal": ["ci"],
        "databricks_permissions": ["ci_warehouse"],
    }
    assert kinds(synthesized["autoscaling"]) == {
        **common,
        "databricks_postgres_project": ["memory_project"],
        "databricks_postgres_branch": ["memory_branch"],
        "databricks_postgres_endpoint": ["memory_endpoint"],
        "databricks_postgres_role": ["bot_role", "memory_owner"],
        "databricks_postgres_database": ["memory_database"],
        "databricks_postgres_catalog": ["memory_catalog"],
        "databricks_service_principal_federation_policy": ["ci_federation_0", "ci_federation_1"],
        "databricks_group_member": ["ci_in_catalog_owners"],
    }
    assert kinds(synthesized["provisioned"]) == {
        **common,
        "databricks_database_instance": ["memory_instance"],
        "databricks_database_database_catalog": ["memory_catalog"],
        "databricks_service_principal_federation_policy": [
            "ci_federation_0",
            "ci_federation_1",
            "ci_federation_2",
        ],
        "databricks_grant": ["ci_manage_0", "ci_manage_1"],
    }


def test_providers_backend_and_terraform_version(synthesized: dict[str, Any]) -> None:
    auto, prov = synthesized["autoscaling"], synthesized["provisioned"]
    assert auto["provider"]["databricks"] == [
        {"host": "https://dbc-1234abcd-5678.cloud.databricks.com"},  # credentials: unified auth, not here
        {"alias": "account", "host": "https://accounts.cloud.databricks.com", "account_id": ACCOUNT},
    ]
    assert prov["provider"]["databricks"][1]["host"] == "https://accounts.azuredatabricks.net"
    assert auto["terraform"]["required_version"] == ">=1.11.0"  # write-only secret, ephemeral variable
    assert auto["terraform"]["backend"] == {"local": {"path": "terraform.accelerator_bot.tfstate"}}
    assert prov["terraform"]["backend"] == {
        "s3": {"bucket": "tf-state", "key": "accelerator/bot.tfstate", "region": "eu-west-1"}
    }


def test_autoscaling_memory_chain_and_catalog(synthesized: dict[str, Any]) -> None:
    doc = synthesized["autoscaling"]
    project = resources(doc, "postgres_project")["memory_project"]
    assert project["project_id"] == "accelerator-bot"
    assert project["spec"]["enable_pg_native_login"] is False  # no password anywhere
    assert project["spec"]["pg_version"] == 17
    branch = resources(doc, "postgres_branch")["memory_branch"]
    assert branch["parent"] == ref("postgres_project", "memory_project", "name")
    assert branch["spec"] == {"is_protected": True, "no_expiry": True}
    endpoint = resources(doc, "postgres_endpoint")["memory_endpoint"]
    assert endpoint["parent"] == ref("postgres_branch", "memory_branch", "name")
    assert endpoint["spec"] == {
        "endpoint_type": "ENDPOINT_TYPE_READ_WRITE",
        "autoscaling_limit_min_cu": 0.5,
        "autoscaling_limit_max_cu": 2,
    }
    owner = resources(doc, "postgres_role")["memory_owner"]
    assert owner["spec"] == {"postgres_role": "accelerator_owner", "auth_method": "NO_LOGIN"}
    assert owner["depends_on"] == ["databricks_postgres_endpoint.memory_endpoint"]  # one operation at a time
    database = resources(doc, "postgres_database")["memory_database"]
    assert database["parent"] == ref("postgres_branch", "memory_branch", "name")
    assert database["spec"] == {
        "postgres_database": "accelerator",
        "role": ref("postgres_role", "memory_owner", "name"),
    }
    catalog = resources(doc, "postgres_catalog")["memory_catalog"]
    assert catalog["catalog_id"] == "accelerator_memory"
    assert catalog["spec"] == {
        "branch": ref("postgres_branch", "memory_branch", "name"),
        "postgres_database": ref("postgres_database", "memory_database", "spec.postgres_database"),
    }


def test_the_app_its_database_and_secret_resources_and_its_role(synthesized: dict[str, Any]) -> None:
    doc = synthesized["autoscaling"]
    bot = resources(doc, "app")["bot"]
    assert bot["name"] == "accelerator-bot"
    memory, key = bot["resources"]
    assert memory == {
        "name": "memory",
        "description": "the conversation memory (Lakebase Autoscaling)",
        "postgres": {
            "branch": ref("postgres_branch", "memory_branch", "name"),
            "database": ref("postgres_database", "memory_database", "name"),
            "permission": "CAN_CONNECT_AND_CREATE",
        },
    }
    assert key["name"] == "github-app-private-key"
    assert key["secret"] == {
        "scope": ref("secret_scope", "github", "name"),
        "key": ref("secret", "github_private_key", "key"),
        "permission": "READ",
    }
    role = resources(doc, "postgres_role")["bot_role"]
    assert role["parent"] == ref("postgres_branch", "memory_branch", "name")
    assert role["role_id"] == ref("app", "bot", "service_principal_client_id")
    assert role["spec"] == {
        "identity_type": "SERVICE_PRINCIPAL",
        "postgres_role": ref("app", "bot", "service_principal_client_id"),  # the App's own principal
        "auth_method": "LAKEBASE_OAUTH_V1",
    }
    assert role["replace_existing"] is True
    assert role["depends_on"] == ["databricks_postgres_database.memory_database"]


def test_the_private_key_never_reaches_plan_or_state(synthesized: dict[str, Any]) -> None:
    doc = synthesized["autoscaling"]
    secret = resources(doc, "secret")["github_private_key"]
    assert secret["scope"] == ref("secret_scope", "github", "name")
    assert secret["key"] == "github-app-private-key"
    assert secret["string_value_wo"] == "${var.github_app_private_key}"
    assert "string_value" not in secret
    assert secret["string_value_wo_version"] == "${var.github_app_private_key_version}"
    variable = doc["variable"]["github_app_private_key"]
    assert variable["sensitive"] is True and variable["ephemeral"] is True
    assert "default" not in variable
    assert resources(doc, "secret_scope")["github"]["name"] == "accelerator-bot"


def test_provisioned_memory_and_the_app_database(synthesized: dict[str, Any]) -> None:
    doc = synthesized["provisioned"]
    instance = resources(doc, "database_instance")["memory_instance"]
    assert instance == {**instance, "name": "bot-memory", "capacity": "CU_2", "enable_pg_native_login": False}
    catalog = resources(doc, "database_database_catalog")["memory_catalog"]
    assert catalog["name"] == "bot_memory_uc"
    assert catalog["database_instance_name"] == ref("database_instance", "memory_instance", "name")
    assert catalog["database_name"] == "bot_memory"
    assert catalog["create_database_if_not_exists"] is True
    (memory, _key) = resources(doc, "app")["bot"]["resources"]
    assert memory["database"] == {
        "instance_name": ref("database_instance", "memory_instance", "name"),
        "database_name": ref("database_database_catalog", "memory_catalog", "database_name"),
        "permission": "CAN_CONNECT_AND_CREATE",
    }
    assert doc["output"]["lakebase_endpoint"]["value"] == ref("database_instance", "memory_instance", "name")
    assert "databricks_postgres_role" not in doc["resource"]


def test_ci_federation_policies_name_the_repository_and_each_environment(synthesized: dict[str, Any]) -> None:
    for run, repository, audience, environments in (
        ("autoscaling", "my-org/data-platform", ACCOUNT, ["dev", "prod"]),
        ("provisioned", "acme/uc-models", "https://github.com/acme", ["staging", "prod", "sandbox.eu"]),
    ):
        policies = resources(synthesized[run], "service_principal_federation_policy")
        assert [p["oidc_policy"] for _, p in sorted(policies.items())] == [
            {
                "issuer": "https://token.actions.githubusercontent.com",
                "subject": f"repo:{repository}:environment:{env}",
                "audiences": [audience],
            }
            for env in environments
        ]
        for policy in policies.values():
            assert policy["provider"] == "databricks.account"  # an account-level resource
            assert policy["service_principal_id"] == ref("service_principal", "ci", "id")


def test_ci_catalog_rights_and_the_warehouse_permission(synthesized: dict[str, Any]) -> None:
    auto, prov = synthesized["autoscaling"], synthesized["provisioned"]
    assert resources(auto, "service_principal")["ci"]["display_name"] == "accelerator-ci"
    member = resources(auto, "group_member")["ci_in_catalog_owners"]
    assert member == {
        **member,
        "group_id": "${data.databricks_group.catalog_owners.id}",
        "member_id": ref("service_principal", "ci", "id"),
    }
    assert auto["data"]["databricks_group"]["catalog_owners"]["display_name"] == "uc-catalog-owners"
    grants = resources(prov, "grant")
    assert [(g["catalog"], g["principal"], g["privileges"]) for _, g in sorted(grants.items())] == [
        (catalog, ref("service_principal", "ci", "application_id"), ["ALL_PRIVILEGES", "MANAGE"])
        for catalog in ("retail_staging", "retail_prod")
    ]
    warehouse = resources(auto, "permissions")["ci_warehouse"]
    assert warehouse["sql_endpoint_id"] == "0123456789abcdef"
    assert warehouse["access_control"] == [
        {
            "service_principal_name": ref("service_principal", "ci", "application_id"),
            "permission_level": "CAN_USE",
        },
        {"group_name": "users", "permission_level": "CAN_USE"},  # kept: the resource is authoritative
    ]
    assert resources(prov, "permissions")["ci_warehouse"]["access_control"] == [
        {
            "service_principal_name": ref("service_principal", "ci", "application_id"),
            "permission_level": "CAN_USE",
        }
    ]


def test_outputs(synthesized: dict[str, Any]) -> None:
    outputs = synthesized["autoscaling"]["output"]
    assert outputs["app_url"]["value"] == ref("app", "bot", "url")
    assert outputs["lakebase_endpoint"]["value"] == ref("postgres_endpoint", "memory_endpoint", "name")
    assert outputs["bot_client_id"]["value"] == ref("app", "bot", "service_principal_client_id")
    assert outputs["ci_client_id"]["value"] == ref("service_principal", "ci", "application_id")
    assert outputs["github_repository_variables"]["value"] == {
        "DATABRICKS_HOST": "https://dbc-1234abcd-5678.cloud.databricks.com",
        "DATABRICKS_CLIENT_ID": ref("service_principal", "ci", "application_id"),
        "DATABRICKS_WAREHOUSE_ID": "0123456789abcdef",
        "DATABRICKS_TOKEN_AUDIENCE": ACCOUNT,
    }
    app_settings = outputs["github_app_settings"]["value"]
    assert app_settings["permissions"] == {
        "checks": "write",
        "contents": "write",
        "issues": "write",
        "metadata": "read",
        "pull_requests": "write",
    }
    assert "pull_request" in app_settings["events"] and "issue_comment" in app_settings["events"]
    assert app_settings["webhook_url"] == '${trimsuffix(databricks_app.bot.url, "/")}/webhook'


def test_the_app_source_and_the_committed_example_are_current(synthesized: dict[str, Any]) -> None:
    out: Path = synthesized["out"]
    app_yaml = yaml.safe_load((out / "app" / "app.yaml").read_text(encoding="utf-8"))
    assert app_yaml["command"][:3] == ["accelerator", "serve", "--pull"]
    assert {"name": "GITHUB_APP_PRIVATE_KEY", "valueFrom": "github-app-private-key"} in app_yaml["env"]
    # the resource names app.yaml refers to are the App's resources
    names = {r["name"] for r in resources(synthesized["autoscaling"], "app")["bot"]["resources"]}
    assert {e["valueFrom"] for e in app_yaml["env"] if "valueFrom" in e} <= names
    for name in ("cdk.tf.json", "app/app.yaml", "app/requirements.txt", "GITHUB.md"):
        committed = (ROOT / "infra" / name).read_text(encoding="utf-8")
        assert committed == (out / name).read_text(encoding="utf-8"), (
            f"run `accelerator infra synth`: infra/{name}"
        )
    assert "wrote" in synthesized["output"] and "terraform apply" in synthesized["output"]
