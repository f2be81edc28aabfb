"""A workspace that cannot be reached (a closed port, a timeout) is a StatementFailed naming the host
and what to check: `apply`, `history` and `drift` then exit with one line, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.core import Config
from typer.testing import CliRunner

from accelerator.channels.cli import deploy
from accelerator.cli import app
from accelerator.deploy.runner import DatabricksRunner, StatementFailed

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "retail"
CLOSED = "http://127.0.0.1:1"  # nothing listens on port 1


def unreachable(host: str | None = None, profile: str | None = None) -> WorkspaceClient:
    """A client of a closed port that gives up after 1 s (databricks-sdk retries for 300 s by default)."""
    config = Config(host=CLOSED, token="t", auth_type="pat", retry_timeout_seconds=1, http_timeout_seconds=1)
    return WorkspaceClient(config=config)


def test_a_closed_port_is_a_statement_failure_naming_the_host() -> None:
    with pytest.raises(StatementFailed) as failed:
        DatabricksRunner(unreachable(), "wh-1").execute("SELECT 1")
    assert failed.value.state == "UNREACHABLE"
    assert failed.value.message.startswith(f"cannot reach Databricks at {CLOSED} (TimeoutError")
    assert "check DATABRICKS_HOST" in failed.value.message


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "retail"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("generated", ".accelerator"))
    monkeypatch.chdir(target)
    monkeypatch.setenv("DATABRICKS_WAREHOUSE_ID", "wh-1")
    monkeypatch.setattr(deploy, "workspace_client", unreachable)
    result = CliRunner().invoke(app, ["generate", "--no-terraform", "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return target


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["apply", "--env", "dev", "--no-terraform"], 2),  # refused before the first migration
        (["history", "--env", "dev"], 1),
        (["drift", "--env", "dev"], 2),
    ],
)
def test_deploy_commands_exit_with_one_line_when_the_workspace_is_unreachable(
    project: Path, argv: list[str], code: int
) -> None:
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == code, result.output
    assert not isinstance(result.exception, (TimeoutError, OSError)), result.exception
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and f"cannot reach Databricks at {CLOSED}" in errors[0], result.output


def test_the_workspace_client_gives_up_in_seconds_not_the_sdks_five_minutes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import databricks.sdk
    import databricks.sdk.config

    from accelerator.deploy.runner import RETRY_TIMEOUT_SECONDS, workspace_client

    made: list[dict[str, object]] = []  # what the client is configured with, without a connection
    monkeypatch.setattr(databricks.sdk.config, "Config", lambda **kwargs: made.append(kwargs) or kwargs)
    monkeypatch.setattr(databricks.sdk, "WorkspaceClient", lambda config: config)
    monkeypatch.delenv("DATABRICKS_RETRY_TIMEOUT_SECONDS", raising=False)
    workspace_client(host="http://127.0.0.1:1")
    monkeypatch.setenv("DATABRICKS_RETRY_TIMEOUT_SECONDS", "5")
    workspace_client(host="http://127.0.0.1:1")
    assert [m["retry_timeout_seconds"] for m in made] == [RETRY_TIMEOUT_SECONDS, 5]
    assert RETRY_TIMEOUT_SECONDS <= 60 and made[0]["host"] == "http://127.0.0.1:1"
