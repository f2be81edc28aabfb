"""The reusable workflows: they parse, are `workflow_call`, apply dev -> staging -> prod each in its
GitHub environment with OIDC and no stored token, and every `accelerator` command and option their
scripts run exists in the CLI."""

from __future__ import annotations

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
    assert jobs["staging"]["needs"] == "dev" and jobs["prod"]["needs"] == "staging"
    for env, job in jobs.items():
        assert job["environment"] == env
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
