"""End to end: `apply` and `drift` over HTTP, databricks-sdk's `WorkspaceClient` against the Databricks
sandbox (`accelerator.sandbox.databricks`: the Statement Execution API on an in-memory Unity Catalog),
on the retail example's generated migrations."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accelerator.channels.cli.history import migration_texts, read_model
from accelerator.cli import app
from accelerator.deploy.apply import Applier, ApplyResult, history_catalog
from accelerator.deploy.drift import DriftFinding, drift
from accelerator.deploy.history import LockHeld
from accelerator.deploy.migrations import DeployRefused, LocalMigration, local_migrations
from accelerator.deploy.runner import Rows
from accelerator.plan.migrations import file_hash, render_sum
from tests.deploy.sandbox_server import CI, Sandbox

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "retail"
IP_ADDRESS = "  ip_address varchar(45) [note: 'Address the order was placed from']\n"


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    running = Sandbox(None)
    yield running
    running.stop()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "retail"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("generated", ".accelerator"))
    monkeypatch.chdir(target)
    generate()
    return target


def generate() -> None:
    result = CliRunner().invoke(app, ["generate", "--no-terraform", "--format", "json"])
    assert result.exit_code in (0, 1), result.output


def add_channel(project: Path) -> None:
    erd = project / "erd" / "retail.dbml"
    erd.write_text(
        erd.read_text().replace(IP_ADDRESS, IP_ADDRESS + "  channel varchar(20) [note: 'web or store']\n")
    )
    generate()


def local(project: Path, env: str = "dev") -> list[LocalMigration]:
    files, sum_text = migration_texts(project / "generated" / "sql" / env, None)
    return local_migrations(f"generated/sql/{env}", files, sum_text)


def applier(sandbox: Sandbox, runner: object | None = None, **settings: object) -> Applier:
    return Applier(runner or sandbox.runner(), "dev_retail", "dev", CI, lambda _: None, **settings)  # type: ignore[arg-type]


def history(sandbox: Sandbox) -> list[tuple[str | None, ...]]:
    rows = sandbox.runner().execute(
        "SELECT version, status, statements_done, statements_total FROM `dev_retail`.`_accelerator`.`schema_history` "
        "WHERE environment = 'dev' ORDER BY version"
    )
    return list(rows.rows)


def test_apply_on_an_empty_workspace_then_a_second_migration_then_a_no_op(
    sandbox: Sandbox, project: Path
) -> None:
    first = applier(sandbox).apply(local(project))
    assert first.applied == ["V0001__initial.sql"] and first.exit_code == 0
    assert history(sandbox) == [("1", "success", "58", "58")]
    model = read_model((project / "generated" / "model.json").read_text(), "model.json")
    assert history_catalog(model, "dev") == "dev_retail"
    assert drift(sandbox.runner(), model, "dev").clean

    add_channel(project)
    second = applier(sandbox).apply(local(project))
    assert second.applied == ["V0002__add_orders_channel.sql"] and second.skipped == ["V0001__initial.sql"]
    assert [row[:2] for row in history(sandbox)] == [("1", "success"), ("2", "success")]
    columns = sandbox.runner().execute("DESCRIBE TABLE `dev_retail`.`sales`.`orders`")
    assert "channel" in [row[0] for row in columns.rows]

    executed = len(sandbox.workspace.executed)
    again = applier(sandbox).apply(local(project))
    assert again == ApplyResult(skipped=["V0001__initial.sql", "V0002__add_orders_channel.sql"])
    statements = [s for _, s in sandbox.workspace.executed[executed:]]
    assert not [s for s in statements if "_accelerator" not in s and "information_schema" not in s]


def test_a_failure_in_the_middle_stops_there_and_the_next_apply_resumes(
    sandbox: Sandbox, project: Path
) -> None:
    sandbox.inject(
        match="SET TAGS ('pii' = 'email')", error_class="PERMISSION_DENIED", sqlstate="42501",
        message="User does not have APPLY TAG on Table 'dev_retail.crm.customers'.",
    )  # fmt: skip
    failed = applier(sandbox).apply(local(project))
    assert failed.exit_code == 1 and failed.applied == []
    assert failed.failed is not None
    assert failed.failed.startswith("generated/sql/dev/V0001__initial.sql:")
    assert (
        "[PERMISSION_DENIED] User does not have APPLY TAG on Table 'dev_retail.crm.customers'."
        in failed.failed
    )
    [(version, status, done, total)] = history(sandbox)
    assert (version, status) == ("1", "failed") and 0 < int(done or 0) < int(total or 0)

    executed = len(sandbox.workspace.executed)
    resumed = applier(sandbox).apply(local(project))
    assert resumed.applied == ["V0001__initial.sql"]
    statements = [s for _, s in sandbox.workspace.executed[executed:] if "_accelerator" not in s]
    assert not any(
        s.startswith("CREATE TABLE") for s in statements
    )  # the statements before it are not run again
    assert history(sandbox) == [("1", "success", "58", "58")]


def test_a_tampered_applied_migration_is_refused(sandbox: Sandbox, project: Path) -> None:
    applier(sandbox).apply(local(project))
    migration = project / "generated" / "sql" / "dev" / "V0001__initial.sql"
    migration.write_text(migration.read_text().replace("'Surrogate key'", "'Key'"))
    with pytest.raises(DeployRefused) as refused:
        local(project)  # against migrations.sum
    assert (
        "V0001__initial.sql:1:1: error: V0001__initial.sql was edited after it was generated"
        in refused.value.format()
    )
    files, _ = migration_texts(migration.parent, None)
    resummed = local_migrations(
        "generated/sql/dev", files, render_sum([(n, file_hash(t)) for n, t in files.items()])
    )
    with pytest.raises(DeployRefused, match="the file differs from the one applied"):
        applier(sandbox).apply(resummed)  # the sum rewritten too: the history still knows


def test_an_apply_started_while_another_runs_is_refused_with_its_owner(
    sandbox: Sandbox, project: Path
) -> None:
    refused: list[str] = []
    real = sandbox.runner()

    class Interleaved:
        def execute(self, sql: str) -> Rows:
            if sql.startswith("CREATE TABLE `dev_retail`.`crm`.`customers`") and not refused:
                try:
                    applier(sandbox).apply(local(project))
                except LockHeld as held:
                    refused.append(held.message)
            return real.execute(sql)

    result = applier(sandbox, Interleaved(), owner="ci run 41").apply(local(project))
    assert result.applied == ["V0001__initial.sql"]
    assert len(refused) == 1
    assert refused[0].startswith("another apply of environment dev is running: ci run 41 holds it since")


def test_two_applies_at_once_apply_each_migration_once(sandbox: Sandbox, project: Path) -> None:
    migrations = local(project)
    results: list[ApplyResult | BaseException] = []
    start = threading.Barrier(2)

    def one() -> None:
        try:
            start.wait()
            results.append(applier(sandbox, lock_wait=60).apply(migrations))
        except BaseException as error:  # reported below
            results.append(error)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(isinstance(r, ApplyResult) for r in results), results
    applied = sorted(len(r.applied) for r in results if isinstance(r, ApplyResult))
    assert applied == [0, 1]  # one applied it, the other waited and found nothing to do
    creates = [
        s for _, s in sandbox.workspace.executed if s.startswith("CREATE TABLE `dev_retail`.`sales`.`orders`")
    ]
    assert len(creates) == 1
    assert history(sandbox) == [("1", "success", "58", "58")]


def test_drift_after_a_change_by_hand_through_the_cli(
    sandbox: Sandbox, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (
        "DATABRICKS_HOST",
        "DATABRICKS_CLIENT_ID",
        "DATABRICKS_AUTH_TYPE",
        "DATABRICKS_WAREHOUSE_ID",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABRICKS_TOKEN", CI)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(project / "no-databrickscfg"))
    cli = CliRunner()
    common = ["--env", "dev", "--host", sandbox.url, "--warehouse", "sandbox-warehouse"]
    applied = cli.invoke(app, ["apply", *common, "--no-terraform"])
    assert applied.exit_code == 0, applied.output
    assert "dev: applied 1 migration(s)" in applied.output
    listed = cli.invoke(app, ["history", *common, "--format", "json"])
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.output)
    assert (row["status"], row["applied_by"]) == ("success", CI)
    clean = cli.invoke(app, ["drift", *common])
    assert clean.exit_code == 0 and clean.output.endswith("clean: the workspace matches the model\n"), (
        clean.output
    )

    sandbox.runner().execute(
        "ALTER TABLE `dev_retail`.`crm`.`customers` ALTER COLUMN `phone` UNSET TAGS ('pii')"
    )
    sandbox.runner().execute("GRANT SELECT ON TABLE `dev_retail`.`sales`.`orders` TO `interns`")
    found = cli.invoke(app, ["drift", *common, "--format", "json"])
    assert found.exit_code == 1, found.output
    findings = [
        DriftFinding(**{k: v for k, v in f.items() if k != "message"})
        for f in json.loads(found.output)["findings"]
    ]
    assert findings == [
        DriftFinding("dev_retail.crm.customers.phone", "column tag", "missing", expected="pii=phone"),
        DriftFinding("dev_retail.sales.orders", "grant", "undeclared", actual="SELECT to interns"),
    ]
