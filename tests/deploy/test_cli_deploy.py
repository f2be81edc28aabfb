"""`accelerator apply`, `history` and `drift` through the CLI, on a copy of the retail example, against
the sandbox's in-memory Unity Catalog (the `connect` seam) and a fake Terraform (the process seam)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accelerator.channels.cli import deploy
from accelerator.cli import app
from accelerator.deploy.runner import Rows, StatementFailed
from tests.deploy.engine import ADMIN, EngineRunner

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "retail"
cli = CliRunner()


class Failing:
    """The engine, with statements containing `match` failing (once each) with `message`."""

    def __init__(self, engine: EngineRunner) -> None:
        self.engine = engine
        self.failures: dict[str, str] = {}

    def execute(self, sql: str) -> Rows:
        for match, message in list(self.failures.items()):
            if match in sql:
                del self.failures[match]
                raise StatementFailed(message)
        return self.engine.execute(sql)


@pytest.fixture()
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Failing:
    target = tmp_path / "retail"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("generated"))
    monkeypatch.chdir(target)
    monkeypatch.setenv("DATABRICKS_WAREHOUSE_ID", "wh-1")
    runner = Failing(EngineRunner())
    connections: list[tuple[str | None, str | None, str]] = []

    def connect(host: str | None, profile: str | None, warehouse: str) -> deploy.Connection:
        connections.append((host, profile, warehouse))
        return deploy.Connection(runner, ADMIN)

    monkeypatch.setattr(deploy, "connect", connect)
    return runner


def run(*argv: str, code: int = 0) -> str:
    result = cli.invoke(app, list(argv))
    assert result.exit_code == code, result.output
    return result.output


def generate(*flags: str) -> None:
    run("generate", *flags, "--format", "json")


def test_apply_then_again_then_history_then_drift(workspace: Failing) -> None:
    generate("--no-terraform")
    first = run("apply", "--env", "dev", "--no-terraform")
    assert "Terraform skipped (--no-terraform): the catalogs and schemas must exist" in first
    assert (
        "generated/sql/dev/V0001__initial.sql:61:1: creating catalog dev_retail first, for the history"
        in first
    )
    assert "applied V0001__initial.sql in" in first
    assert "dev: applied 1 migration(s), 57 statements" in first
    assert run("apply", "--env", "dev", "--no-terraform").endswith(
        "dev: nothing to apply (1 already applied)\n"
    )

    history = run("history", "--env", "dev")
    assert history.startswith("dev_retail._accelerator.schema_history (dev): 1 migration(s)\n")
    assert "      1  success       58/58" in history and f"{ADMIN} / V0001__initial.sql" in history
    [row] = json.loads(run("history", "--env", "dev", "--format", "json"))
    assert (row["version"], row["status"], row["statements_done"], row["applied_by"]) == (
        1,
        "success",
        58,
        ADMIN,
    )

    assert run("drift", "--env", "dev").endswith("clean: the workspace matches the model\n")
    workspace.engine.execute("ALTER TABLE `dev_retail`.`sales`.`orders` ADD COLUMNS (`coupon` STRING)")
    markdown = run("drift", "--env", "dev", "--format", "markdown", code=1)
    assert "| undeclared | `dev_retail.sales.orders.coupon` | column |  | `STRING` |" in markdown


def test_a_second_migration_applies_alone_and_a_failure_resumes(workspace: Failing) -> None:
    generate("--no-terraform")
    run("apply", "--env", "dev", "--no-terraform")
    erd = Path("erd/retail.dbml")
    ip_address = "  ip_address varchar(45) [note: 'Address the order was placed from']\n"
    erd.write_text(erd.read_text().replace(ip_address, ip_address + "  channel varchar(20)\n"))
    generate("--no-terraform")
    [second] = sorted(p.name for p in Path("generated/sql/dev").glob("V0002__*.sql"))
    workspace.failures["ADD COLUMNS"] = "[DELTA_UNSUPPORTED_ADD_COLUMN] boom SQLSTATE: 0AKDC"
    failed = run("apply", "--env", "dev", "--no-terraform", code=1)
    assert f"generated/sql/dev/{second}:" in failed and "error: [DELTA_UNSUPPORTED_ADD_COLUMN] boom" in failed
    history = json.loads(run("history", "--env", "dev", "--format", "json"))
    assert [(r["version"], r["status"]) for r in history] == [(1, "success"), (2, "failed")]
    resumed = run("apply", "--env", "dev", "--no-terraform")
    assert f"resuming generated/sql/dev/{second} at statement 1" in resumed
    assert f"applied {second}" in resumed
    assert run("drift", "--env", "dev").endswith("clean: the workspace matches the model\n")


def test_tampered_migrations_and_a_missing_warehouse_are_refused(
    workspace: Failing, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate("--no-terraform")
    run("apply", "--env", "dev", "--no-terraform")
    migration = Path("generated/sql/dev/V0001__initial.sql")
    migration.write_text(migration.read_text() + "\nDROP TABLE `dev_retail`.`sales`.`orders`;\n")
    refused = run("apply", "--env", "dev", "--no-terraform", code=2)
    assert (
        "generated/sql/dev/V0001__initial.sql:1:1: error: V0001__initial.sql was edited after it was generated"
        in refused
    )
    monkeypatch.delenv("DATABRICKS_WAREHOUSE_ID")
    refused = run("apply", "--env", "staging", "--no-terraform", code=2)
    assert "which SQL warehouse runs the statements?" in refused
    assert (
        run("apply", "--env", "nope", "--no-terraform", code=2).count(
            "environment 'nope' is not in the model"
        )
        == 1
    )


def test_dry_run_prints_and_changes_nothing(workspace: Failing) -> None:
    generate("--no-terraform")
    output = run("apply", "--env", "prod", "--no-terraform", "--dry-run")
    assert output.splitlines()[1] == "would apply generated/sql/prod/V0001__initial.sql:"
    assert re.search(
        r"^  generated/sql/prod/V0001__initial\.sql:\d+:1: CREATE CATALOG `prod_retail`$", output, re.M
    )
    assert not any(s.startswith(("CREATE", "ALTER", "INSERT")) for s in workspace.engine.executed)


def test_terraform_runs_first_and_its_absence_is_explained(
    workspace: Failing, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate()  # with Terraform: the SQL checks that Terraform's catalogs and schemas exist
    calls: list[tuple[list[str], Path]] = []

    def terraform(arguments: Sequence[str], cwd: Path) -> int:
        calls.append((list(arguments), cwd))
        if arguments[1] == "apply":  # what Terraform owns: the catalog and its schemas
            for statement in ("CREATE CATALOG `dev_retail`", "CREATE SCHEMA `dev_retail`.`crm`",
                              "CREATE SCHEMA `dev_retail`.`sales`"):  # fmt: skip
                workspace.engine.execute(statement)
        return 0

    monkeypatch.setattr(deploy, "TERRAFORM_RUN", terraform)
    monkeypatch.setattr(deploy, "TERRAFORM_WHICH", lambda name: f"/opt/bin/{name}")
    output = run("apply", "--env", "dev")
    terraform_dir = Path("generated/terraform/dev").resolve()
    assert [(c[0][1:], c[1].resolve()) for c in calls] == [
        (["init", "-input=false", "-no-color"], terraform_dir),
        (["apply", "-auto-approve", "-input=false", "-no-color"], terraform_dir),
    ]
    assert output.index("$ terraform apply") < output.index("applying generated/sql/dev/V0001__initial.sql")
    assert run("drift", "--env", "dev").endswith("clean: the workspace matches the model\n")

    monkeypatch.setattr(deploy, "TERRAFORM_RUN", lambda arguments, cwd: 1)
    assert (
        "`terraform init -input=false -no-color` in generated/terraform/staging exited with status 1"
        in run("apply", "--env", "staging", code=1)
    )
    monkeypatch.setattr(deploy, "TERRAFORM_WHICH", lambda name: None)
    missing = run("apply", "--env", "staging", code=2)
    assert "`terraform` is not on PATH" in missing and "developer.hashicorp.com/terraform/install" in missing


def test_terraform_enabled_without_its_generated_files_is_refused(workspace: Failing) -> None:
    generate("--no-terraform")  # accelerator.yaml enables Terraform, this run wrote none
    refused = run("apply", "--env", "dev", code=2)
    assert "generated/terraform/dev/cdk.tf.json is missing: nothing for Terraform to apply" in refused
    assert workspace.engine.executed == []


def test_without_terraform_drift_compares_the_catalog_and_schema_grants_the_migrations_wrote(
    workspace: Failing,
) -> None:
    """Terraform disabled in accelerator.yaml: the migrations write every grant (the implied USE
    CATALOG / USE SCHEMA too), and drift after apply finds them all, then a grant revoked by hand."""
    config = Path("accelerator.yaml")
    config.write_text(config.read_text().replace("enabled: true", "enabled: false"))
    generate()
    run("apply", "--env", "dev")
    assert "clean: the workspace matches the model" in run("drift", "--env", "dev")
    granted = next(
        line
        for line in Path("generated/sql/dev/V0001__initial.sql").read_text().splitlines()
        if line.startswith("GRANT ") and " ON SCHEMA " in line
    )
    revoke = granted.replace("GRANT ", "REVOKE ", 1).replace(" TO ", " FROM ", 1)
    workspace.engine.execute(revoke.rstrip(";"))
    found = run("drift", "--env", "dev", code=1)
    assert "grant declared but missing" in found, found
