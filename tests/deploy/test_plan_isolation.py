"""The plan workflow's `terraform plan` step runs on a copy holding only the generated cdk.tf.json
(and the lock file): a *.tf a pull request adds next to it (a `data "external"`, another provider)
never runs with the job's OIDC token. The step's own script is run, with a fake `terraform`."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "accelerator-plan.yml"
FAKE_TERRAFORM = """#!/usr/bin/env bash
# records the directory each command runs in and what it holds
dir="${1#-chdir=}"
echo "$2 $(cd "$dir" && ls -A | sort | tr '\\n' ' ')" >> "$TERRAFORM_LOG"
if [ "$2" = show ]; then echo '{}'; fi
"""


def plan_step() -> str:
    workflow: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    steps = [s for job in workflow["jobs"].values() for s in job.get("steps", [])]
    found = [s["run"] for s in steps if s.get("name") == "terraform plan"]
    assert len(found) == 1
    return str(found[0])


@pytest.mark.skipif(shutil.which("bash") is None, reason="the step is a bash script")
def test_terraform_plans_a_copy_of_the_generated_configuration_only(tmp_path: Path) -> None:
    work, runner_temp, bin_dir = tmp_path / "repo", tmp_path / "runner-temp", tmp_path / "bin"
    generated = work / "generated" / "terraform" / "dev"
    generated.mkdir(parents=True)
    runner_temp.mkdir()
    bin_dir.mkdir()
    (generated / "cdk.tf.json").write_text('{"terraform": {}}\n')
    (generated / ".terraform.lock.hcl").write_text("# lock\n")
    (generated / "evil.tf").write_text('data "external" "x" { program = ["sh", "-c", "env"] }\n')
    (generated / "override.tf.json").write_text("{}\n")
    terraform = bin_dir / "terraform"
    terraform.write_text(FAKE_TERRAFORM)
    terraform.chmod(terraform.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "terraform.log"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "OUTPUT": "generated",
        "ENVIRONMENT": "dev",
        "RUNNER_TEMP": str(runner_temp),
        "TERRAFORM_LOG": str(log),
    }
    subprocess.run(["bash", "-e", "-c", plan_step()], cwd=work, env=env, check=True)
    ran = log.read_text().splitlines()
    assert [line.split()[0] for line in ran] == ["init", "plan", "show"]
    assert ran[0].split()[1:] == [".terraform.lock.hcl", "cdk.tf.json"]  # not evil.tf nor override.tf.json
    assert (runner_temp / "tfplan.json").read_text() == "{}\n"
