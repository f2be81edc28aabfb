"""The App's command as app.yaml gives it, started with the environment a Databricks App would get
(PGHOST, PGPORT, PGDATABASE, PGUSER, PGSSLMODE from its database resource, here the local
PostgreSQL; the sandbox as GitHub, the App registered there with its key), answers a pull request in
pull mode: the sandbox's App webhook points at a closed port, as GitHub's deliveries cannot pass a
Databricks App's OAuth, so the bot only sees the PR by reading the App's recorded deliveries with its
JWT, and answers with an installation token."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import yaml
from psycopg.conninfo import conninfo_to_dict

from accelerator.infra import load_infra_config
from accelerator.infra.app_files import app_files
from tests.sandbox.helpers import closed_port, github_as, rsa_private_key

ROOT = Path(__file__).resolve().parents[2]
RETAIL = ROOT / "examples" / "retail"
BOT = "accelerator[bot]"
PROJECT = """project: retail
erd:
  - path: erd/*.dbml
    catalog: retail
policy: policies/governance.yaml
environments: [dev, prod]
output: generated
terraform:
  enabled: false
"""
INFRA = """workspace: {host: https://dbc-1.cloud.databricks.com, account_id: 0d2a3c4e-1f5b-4a6c-9d7e-8f9a0b1c2d3e}
github: {repository: alice/lakehouse, environments: [prod], app_id: 1}
app: {pull_interval: 1s, workers: 2}
ci: {warehouse_id: w1, owner_group: owners}
"""


def app_environment(
    app_yaml: dict[str, object], database_url: str, api_url: str, private_key: str
) -> dict[str, str]:
    """What the App's process sees: app.yaml's `env` (its secret, the App's private key, resolved),
    the PG* variables of its database resource, and the sandbox in place of GitHub."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PG", "DATABRICKS_", "GITHUB_", "LAKEBASE_")) and key != "DATABASE_URL"
    }
    entries = app_yaml["env"]
    assert isinstance(entries, list)
    for entry in entries:
        env[entry["name"]] = entry.get("value", private_key)
    parts = conninfo_to_dict(database_url)
    env.update(
        PGHOST=str(parts.get("host", "127.0.0.1")),
        PGPORT=str(parts.get("port", "5432")),
        PGDATABASE=str(parts["dbname"]),
        PGUSER=str(parts.get("user", "postgres")),
        PGSSLMODE="prefer",  # the App sets require; the local server may have no TLS
        GITHUB_API_URL=api_url,
        ACCELERATOR_WRITE_SPACING="0",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    assert env["GITHUB_APP_ID"] == "1" and env["GITHUB_APP_PRIVATE_KEY"] == private_key
    return env


def test_the_apps_command_answers_a_pull_request_in_pull_mode(tmp_path: Path, database_url: str) -> None:
    from accelerator.sandbox import start_sandbox
    from accelerator.sandbox.api_app import register_app

    (tmp_path / "infra.yaml").write_text(INFRA, encoding="utf-8")
    app_yaml = yaml.safe_load(app_files(load_infra_config(tmp_path / "infra.yaml"))["app.yaml"])
    command = list(app_yaml["command"])
    command[command.index("--port") + 1] = "0"  # any free port here; 8000 in the App
    sandbox = start_sandbox(
        tmp_path / "sandbox",
        webhook_url=f"http://127.0.0.1:{closed_port()}/webhook",
        webhook_secret="unused",
        bot_login=BOT,
    )
    private_key = rsa_private_key()
    register_app(sandbox.state, 1, private_key)  # infra.yaml's app_id
    env = app_environment(app_yaml, database_url, sandbox.api_url, private_key)
    log = tmp_path / "app.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        alice = github_as(sandbox.api_url, "alice")
        repo = alice.get_user().create_repo("lakehouse", auto_init=True)
        repo.create_file("accelerator.yaml", "config", PROJECT, branch="main")
        repo.create_file(
            "erd/retail.dbml", "erd", (RETAIL / "erd" / "retail.dbml").read_text(), branch="main"
        )
        policy = (RETAIL / "policies" / "governance.yaml").read_text()
        repo.create_file("policies/governance.yaml", "policy", policy, branch="main")
        repo.add_to_collaborators(BOT, "push")
        repo.create_git_ref("refs/heads/feature", repo.get_branch("main").commit.sha)
        erd = repo.get_contents("erd/retail.dbml", ref="feature")
        assert not isinstance(erd, list)
        new = erd.decoded_content.decode() + "\nTable sales.returns {\n  return_id bigint [pk]\n}\n"
        repo.update_file("erd/retail.dbml", "add returns", new, erd.sha, branch="feature")
        pull = repo.create_pull(base="main", head="feature", title="Returns", body="a new table")
        deadline = time.monotonic() + 90
        answers: list[str] = []
        while not answers and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text(errors="replace")
            answers = [c.body for c in pull.get_issue_comments() if c.user.login == BOT]
            time.sleep(0.5)
        assert answers, "no answer from the bot in 90 s:\n" + log.read_text(errors="replace")
        assert "returns" in answers[0]
        assert sandbox.state.data["app_tokens"], "the bot did not authenticate with an installation token"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        sandbox.stop()
