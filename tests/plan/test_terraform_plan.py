"""`plan --terraform-plan`: a `terraform show -json` plan's `databricks_*` changes, the Unity Catalog
data objects it would destroy or replace flagged, in text, JSON and Markdown."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accelerator.cli import app
from accelerator.errors import AcceleratorError
from accelerator.plan.terraform_plan import parse_terraform_plan

FIXTURE = Path(__file__).parent / "fixtures" / "tfplan_prod.json"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "retail"
runner = CliRunner()


def test_the_databricks_changes_and_their_data_loss() -> None:
    changes = parse_terraform_plan(FIXTURE.read_text(), "tfplan.json")
    assert [(ch.address, ch.action, ch.name, ch.data_loss) for ch in changes] == [
        ("databricks_schema.schema_retail_sales", "update", "prod_retail.sales", False),
        ("databricks_schema.schema_retail_crm", "replace", "prod_retail.crm", True),
        ("databricks_sql_table.table_retail_sales_orders", "replace", "prod_retail.sales.orders", True),
        ("databricks_volume.landing", "delete", "prod_retail.sales.landing", True),
        ("databricks_sql_table.table_retail_sales_returns", "create", "prod_retail.sales.returns", False),
        ("databricks_grants.grants_schema_retail_sales", "update", None, False),
    ]  # no-op, read (a data source) and other providers' resources are left out
    assert changes[1].reason == "replace_because_cannot_update"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{", "tfplan.json:1:2: not JSON"),
        ('{"resource_changes": []}', "no format_version"),
        ('{"format_version": "2.0"}', "format_version 2.0 is not supported"),
        (
            '{"format_version": "1.0", "resource_changes": [{"type": "databricks_schema", "change": {"actions": ["explode"]}}]}',
            "unknown actions ['explode']",
        ),
    ],
)
def test_a_file_that_is_not_a_plan_is_a_clear_error(text: str, expected: str) -> None:
    with pytest.raises(AcceleratorError) as caught:
        parse_terraform_plan(text, "tfplan.json")
    assert expected in str(caught.value)


@pytest.fixture()
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "retail"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("generated"))
    monkeypatch.chdir(target)
    assert runner.invoke(app, ["generate", "--no-terraform"]).exit_code == 0
    return target


def test_plan_shows_the_terraform_changes_per_environment(example: Path) -> None:
    text = runner.invoke(app, ["plan", "--env", "prod", "--terraform-plan", str(FIXTURE)])
    assert text.exit_code == 1, text.output  # no schema change, but Terraform would lose data
    assert (
        "prod (Terraform): 6 resource change(s) (3 destroy or replace a Unity Catalog data object)"
        in text.stdout
    )
    assert (
        "!! replace databricks_schema.schema_retail_crm (prod_retail.crm) [replace_because_cannot_update]"
        in text.stdout
    )
    assert "   update databricks_grants.grants_schema_retail_sales" in text.stdout
    assert "prod: no changes" in text.stdout
    data = json.loads(
        runner.invoke(app, ["plan", "--format", "json", "--terraform-plan", f"prod={FIXTURE}"]).stdout
    )
    dev, _, prod = data["environments"]
    assert "terraform" not in dev and prod["terraform_data_loss"] == 3 and data["destructive"] is True
    assert {t["address"] for t in prod["terraform"] if t["data_loss"]} == {
        "databricks_schema.schema_retail_crm",
        "databricks_sql_table.table_retail_sales_orders",
        "databricks_volume.landing",
    }
    markdown = runner.invoke(
        app, ["plan", "--env", "prod", "--format", "markdown", "--terraform-plan", str(FIXTURE)]
    )
    lines = markdown.stdout.splitlines()
    rows = [line for line in lines if line.startswith("| ") and "databricks_" in line]
    assert rows[0].startswith(
        "| 🛑 **replace** (replace_because_cannot_update) | `databricks_schema.schema_retail_crm`"
    )
    assert rows[-1].startswith("| update | `databricks_grants.grants_schema_retail_sales`")


def test_a_plan_without_data_loss_keeps_exit_0(example: Path, tmp_path: Path) -> None:
    data = json.loads(FIXTURE.read_text())
    data["resource_changes"] = [
        ch for ch in data["resource_changes"] if ch["change"]["actions"] in (["update"], ["create"])
    ]
    quiet = tmp_path / "quiet.json"
    quiet.write_text(json.dumps(data))
    result = runner.invoke(app, ["plan", "--env", "prod", "--terraform-plan", str(quiet)])
    assert result.exit_code == 0, result.output
    assert "prod (Terraform): 3 resource change(s)\n" in result.stdout


def test_which_environment_a_plan_file_is_must_be_clear(example: Path) -> None:
    ambiguous = runner.invoke(app, ["plan", "--terraform-plan", str(FIXTURE)])
    assert ambiguous.exit_code == 2 and "which environment" in ambiguous.stderr
    unknown = runner.invoke(app, ["plan", "--env", "prod", "--terraform-plan", f"dev={FIXTURE}"])
    assert unknown.exit_code == 2 and "'dev' is not planned" in unknown.stderr
    missing = runner.invoke(app, ["plan", "--env", "prod", "--terraform-plan", "nope.json"])
    assert missing.exit_code == 2 and "no such file" in missing.stderr
