"""The reusable workflows: they parse, are `workflow_call`, apply dev -> staging -> prod each in its
GitHub environment with OIDC and no stored token, and every `accelerator` command and option their
scripts run exists in the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from accelerator.cli import app

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"
NAMES = ("accelerator-plan.yml", "accelerator-apply.yml", "accelerator-drift.yml")
INVOCATION = re.compile(r"(?:^|[\s;|&(])accelerator\s+([a-z][a-z-]*)([^\n]*)")
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z-]*")


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as true
    assert isinstance(on, dict), "`on:` must be a mapping"
    return on


def scripts(workflow: dict[str, Any]) -> list[str]:
    return [step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step]


def cli_commands() -> dict[str, Any]:
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    assert "apply" in commands and "drift" in commands
    return dict(commands)


def options_of(command: Any) -> set[str]:
    return {opt for param in command.params for opt in [*param.opts, *param.secondary_opts]}


@pytest.mark.parametrize("name", NAMES)
def test_each_workflow_is_reusable_and_reads_only_what_it_declares(name: str) -> None:
    workflow = load(name)
    assert set(triggers(workflow)) == {"workflow_call"}
    declared = set(triggers(workflow)["workflow_call"].get("inputs", {}))
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    used = set(re.findall(r"inputs\.([a-z][a-z0-9-]*)", text))
    assert used <= declared, f"{name} reads undeclared inputs {sorted(used - declared)}"
    assert workflow["permissions"] == {"contents": "read"}  # jobs widen it only where needed
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", step["uses"]), step["uses"]
    assert "secrets." not in text and "DATABRICKS_TOKEN" not in text  # no stored token


@pytest.mark.parametrize("name", NAMES)
def test_every_accelerator_command_and_option_in_the_scripts_exists(name: str) -> None:
    commands = cli_commands()
    found = 0
    for script in scripts(load(name)):
        arrays = " ".join(line for line in script.splitlines() if re.match(r"\s*args\+?=\(", line))
        for command, rest in INVOCATION.findall(script):
            found += 1
            assert command in commands, f"{name}: `accelerator {command}` is not a command"
            words = rest + (" " + arrays if '"${args[@]}"' in rest else "")
            unknown = set(OPTION.findall(words)) - options_of(commands[command])
            assert not unknown, f"{name}: `accelerator {command}` has no option {sorted(unknown)}"
    assert found, f"{name} runs no accelerator command"


def test_apply_runs_dev_then_staging_then_prod_each_in_its_environment_with_oidc() -> None:
    jobs = load("accelerator-apply.yml")["jobs"]
    assert list(jobs) == ["dev", "staging", "prod"]
    assert "needs" not in jobs["dev"]
    assert jobs["staging"]["needs"] == "dev" and jobs["prod"]["needs"] == ["dev", "staging"]
    for env, job in jobs.items():
        assert job["environment"] == env
        # an environment the project does not list is skipped, and a failure stops the later ones
        assert f"contains(fromJSON(inputs.environments), '{env}')" in job["if"]
        assert env == "dev" or "!failure()" in job["if"]
        assert job["permissions"]["id-token"] == "write"
        assert job["env"]["DATABRICKS_AUTH_TYPE"] == "github-oidc"
        assert {"DATABRICKS_HOST", "DATABRICKS_CLIENT_ID", "DATABRICKS_WAREHOUSE_ID"} <= set(job["env"])
        assert job["concurrency"] == {"group": f"accelerator-apply-{env}", "cancel-in-progress": False}
        runs = scripts({"jobs": {env: job}})
        assert any(re.search(rf"accelerator apply --env {env}\b", run) for run in runs)
        assert any(re.search(rf"accelerator drift --env {env}\b", run) for run in runs)


def test_plan_checks_the_generated_tree_before_planning_each_environment() -> None:
    workflow = load("accelerator-plan.yml")
    jobs = workflow["jobs"]
    assert jobs["plan"]["needs"] == "generated"
    generated = "\n".join(scripts({"jobs": {"generated": jobs["generated"]}}))
    assert "accelerator generate" in generated and "git status --porcelain" in generated
    assert "accelerator check" in generated
    assert jobs["plan"]["strategy"]["matrix"]["environment"] == "${{ fromJSON(inputs.environments) }}"
    plan = "\n".join(scripts({"jobs": {"plan": jobs["plan"]}}))
    assert "terraform" in plan and "show -json" in plan and "--terraform-plan" in plan
    assert "GITHUB_STEP_SUMMARY" in plan
    assert jobs["plan"]["env"]["DATABRICKS_AUTH_TYPE"] == "github-oidc"


def test_drift_keeps_one_issue_per_environment() -> None:
    job = load("accelerator-drift.yml")["jobs"]["drift"]
    assert job["environment"] == "${{ matrix.environment }}"
    assert job["permissions"] == {"contents": "read", "id-token": "write", "issues": "write"}
    text = "\n".join(scripts({"jobs": {"drift": job}}))
    assert "--format markdown" in text and "gh issue edit" in text and "gh issue close" in text


# -- the PR bot's reusable workflow and the calling workflows `accelerator init` writes ----------------

BOT = "accelerator-bot.yml"
BOT_TRIGGERS = {"pull_request", "issue_comment", "pull_request_review", "pull_request_review_comment"}


def permission_rank(value: str) -> int:
    return {"none": 0, "read": 1, "write": 2}[value]


def test_every_workflow_of_this_repository_parses_with_jobs_and_steps() -> None:
    names = sorted(path.name for path in WORKFLOWS.glob("*.yml"))
    assert set(NAMES) | {BOT, "ci.yml"} <= set(names)
    for name in names:
        workflow = load(name)
        assert triggers(workflow), name
        for job_name, job in workflow["jobs"].items():
            assert job.get("steps") or job.get("uses"), f"{name}: job {job_name} has no steps"


def test_the_bot_workflow_is_reusable_least_privileged_and_one_pull_request_at_a_time() -> None:
    workflow = load(BOT)
    assert set(triggers(workflow)) == {"workflow_call"}
    call = triggers(workflow)["workflow_call"]
    text = (WORKFLOWS / BOT).read_text(encoding="utf-8")
    used_inputs = set(re.findall(r"inputs\.([a-z][a-z0-9-]*)", text))
    assert used_inputs <= set(call["inputs"]), sorted(used_inputs - set(call["inputs"]))
    used_secrets = set(re.findall(r"secrets\.([a-z][a-z0-9-]*)", text))
    assert used_secrets == set(call["secrets"]) == {"database-url", "app-private-key"}
    assert not any(secret.get("required") for secret in call["secrets"].values())
    assert workflow["permissions"] == {"contents": "read"}
    job = workflow["jobs"]["bot"]
    assert job["permissions"] == {
        "contents": "write",
        "pull-requests": "write",
        "checks": "write",
        "id-token": "write",
    }
    # a concurrency group keeps one pending run and cancels the rest: events would be lost
    assert "concurrency" not in job and "concurrency" not in workflow
    assert "sender.type != 'Bot'" in job["if"]
    runs = scripts(workflow)
    assert 'accelerator bot --event-name "$GITHUB_EVENT_NAME" --event-path "$GITHUB_EVENT_PATH"' in runs
    bot_step = next(step for step in job["steps"] if "accelerator bot" in step.get("run", ""))
    assert {"GITHUB_TOKEN", "GITHUB_API_URL", "DATABASE_URL", "LAKEBASE_ENDPOINT"} <= set(bot_step["env"])
    assert "actions/checkout" not in text  # the bot reads the PR through the API: no untrusted checkout
    for step in job["steps"]:
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", step["uses"]), step["uses"]


@pytest.mark.parametrize("name", (*NAMES, BOT))
def test_every_accelerator_command_and_option_of_every_reusable_workflow_exists(name: str) -> None:
    test_every_accelerator_command_and_option_in_the_scripts_exists(name)


def documented_caller(name: str) -> dict[str, Any]:
    """The calling workflow a reusable one shows in its header comment, parsed."""
    header = []
    for line in (WORKFLOWS / name).read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        header.append(line[1:])
    first = next(n for n, line in enumerate(header) if line.strip() == "on:")
    indent = len(header[first]) - len(header[first].lstrip())
    block = []
    for line in header[first:]:
        if not line.strip() or len(line) - len(line.lstrip()) < indent:
            break
        block.append(line[indent:])
    data = yaml.safe_load("\n".join(block))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    from typer.testing import CliRunner

    target = tmp_path_factory.mktemp("init") / "shop"
    result = CliRunner().invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    folder = target / ".github" / "workflows"
    return {
        path.name: yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.yml"))
    }


def test_init_writes_the_four_calling_workflows(scaffolded: dict[str, dict[str, Any]]) -> None:
    assert sorted(scaffolded) == ["uc-apply.yml", "uc-bot.yml", "uc-drift.yml", "uc-plan.yml"]
    assert set(triggers(scaffolded["uc-bot.yml"])) == BOT_TRIGGERS
    assert set(triggers(scaffolded["uc-plan.yml"])) == {"pull_request"}
    assert triggers(scaffolded["uc-apply.yml"]) == {"push": {"branches": ["main"]}}
    assert set(triggers(scaffolded["uc-drift.yml"])) == {"schedule", "workflow_dispatch"}
    bot_on = triggers(scaffolded["uc-bot.yml"])
    assert bot_on["pull_request"]["paths"] == ["accelerator.yaml", "erd/**", "policies/**"]
    assert "closed" in bot_on["pull_request"]["types"] and "synchronize" in bot_on["pull_request"]["types"]
    # the example in accelerator-bot.yml's header is what init writes
    assert triggers(documented_caller(BOT)) == bot_on


@pytest.mark.parametrize("caller", ["uc-bot.yml", "uc-plan.yml", "uc-apply.yml", "uc-drift.yml"])
def test_each_calling_workflow_calls_an_existing_reusable_one_with_what_it_declares(
    scaffolded: dict[str, dict[str, Any]], caller: str
) -> None:
    (job,) = scaffolded[caller]["jobs"].values()
    match = re.fullmatch(r"([\w.-]+/[\w.-]+)/\.github/workflows/([\w.-]+\.yml)@([\w./-]+)", job["uses"])
    assert match, job["uses"]
    called = load(match.group(2))  # exists in this repository
    call = triggers(called)["workflow_call"]
    inputs, secrets = call.get("inputs", {}), call.get("secrets", {})
    unknown = set(job.get("with", {})) - set(inputs)
    assert not unknown, f"{caller} passes inputs {sorted(unknown)} that {match.group(2)} does not declare"
    unknown = set(job.get("secrets", {})) - set(secrets)
    assert not unknown, f"{caller} passes secrets {sorted(unknown)} that {match.group(2)} does not declare"
    missing = {n for n, spec in inputs.items() if spec.get("required")} - set(job.get("with", {}))
    assert not missing, f"{caller} leaves required inputs {sorted(missing)} out"
    # a called workflow gets at most the caller's permissions: the caller grants what every job needs
    granted = job["permissions"]
    for called_job in called["jobs"].values():
        for scope, level in called_job.get("permissions", called["permissions"]).items():
            assert permission_rank(granted.get(scope, "none")) >= permission_rank(level), (
                f"{caller} grants {scope}: {granted.get(scope, 'none')}, {match.group(2)} needs {level}"
            )
    if "environments" in job.get("with", {}):
        assert json.loads(job["with"]["environments"]) == ["dev", "prod"]  # the scaffolded accelerator.yaml's


def test_init_refuses_to_overwrite_a_calling_workflow_and_checks_where_the_workflows_live(
    tmp_path: Path,
) -> None:
    from accelerator.channels.cli.scaffold import scaffold
    from accelerator.errors import AcceleratorError

    existing = tmp_path / "repo" / ".github" / "workflows" / "uc-plan.yml"
    existing.parent.mkdir(parents=True)
    existing.write_text("name: mine\n", encoding="utf-8")
    with pytest.raises(AcceleratorError, match=r"uc-plan\.yml already exists"):
        scaffold(tmp_path / "repo")
    assert existing.read_text(encoding="utf-8") == "name: mine\n"
    assert not (tmp_path / "repo" / "accelerator.yaml").exists()  # nothing written at all
    written = scaffold(tmp_path / "repo", force=True, workflows_repository="acme/uc", workflows_ref="v1.2.0")
    assert existing in written
    assert "uses: acme/uc/.github/workflows/accelerator-plan.yml@v1.2.0" in existing.read_text(
        encoding="utf-8"
    )
    for repository, ref in (
        ("acme", "main"),
        ("acme/uc; rm -rf /", "main"),
        ("acme/uc", "../x"),
        ("acme/uc", ""),
    ):
        with pytest.raises(AcceleratorError):
            scaffold(tmp_path / "other", workflows_repository=repository, workflows_ref=ref)


def test_init_takes_where_the_reusable_workflows_live(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from accelerator.cli import app

    done = CliRunner().invoke(app, ["init", str(tmp_path / "a"), "--workflows", "acme/uc@v2"])
    assert done.exit_code == 0, done.output
    caller = (tmp_path / "a" / ".github" / "workflows" / "uc-apply.yml").read_text(encoding="utf-8")
    assert "uses: acme/uc/.github/workflows/accelerator-apply.yml@v2" in caller
    assert 'environments: \'["dev", "prod"]\'' in caller  # the project's, so staging is skipped
    refused = CliRunner().invoke(app, ["init", str(tmp_path / "b"), "--workflows", "acme/uc; rm -rf /"])
    assert refused.exit_code == 2 and not (tmp_path / "b" / "accelerator.yaml").exists()
