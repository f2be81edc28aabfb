"""Terraform before the SQL: `terraform init` and `terraform apply` in `<output>/terraform/<env>/`
(catalogs, schemas, their owners and grants are Terraform's; the migrations need them to exist).

The process runner is a parameter (`Run`: arguments and working directory in, exit status out, its
output passed through), and so is the lookup of the `terraform` program, for tests.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from accelerator.deploy.migrations import DeployRefused

Run = Callable[[Sequence[str], Path], int]
Which = Callable[[str], str | None]
Echo = Callable[[str], None]

INSTALL_HINT = (
    "install Terraform (https://developer.hashicorp.com/terraform/install; in GitHub Actions "
    "`hashicorp/setup-terraform@v3`), or pass --no-terraform when the catalogs and schemas exist "
    "already (set `terraform: {enabled: false}` in accelerator.yaml to let the SQL create them)"
)


class TerraformFailed(Exception):
    """`terraform init` or `apply` exited with an error (its own output says why)."""


def run_process(arguments: Sequence[str], cwd: Path) -> int:
    """Run a program with its output on the terminal; its exit status."""
    return subprocess.run(list(arguments), cwd=cwd, check=False).returncode


def terraform_apply(
    directory: Path,
    shown: str,
    *,
    echo: Echo,
    dry_run: bool = False,
    run: Run = run_process,
    which: Which = shutil.which,
) -> None:
    """`terraform init -input=false` then `terraform apply -auto-approve -input=false` in
    `directory` (`shown` in messages). DeployRefused when Terraform or its files are missing,
    TerraformFailed when a command fails."""
    if not (directory / "cdk.tf.json").is_file():
        raise DeployRefused(
            f"{shown}/cdk.tf.json is missing: nothing for Terraform to apply",
            hint="run `accelerator generate` (with Terraform enabled), or pass --no-terraform",
        )
    program = which("terraform")
    if program is None:
        raise DeployRefused(
            "`terraform` is not on PATH: the catalogs and schemas are Terraform's", hint=INSTALL_HINT
        )
    commands = [
        [program, "init", "-input=false", "-no-color"],
        [program, "apply", "-auto-approve", "-input=false", "-no-color"],
    ]
    for command in commands:
        shown_command = " ".join(["terraform", *command[1:]])
        if dry_run:
            echo(f"would run `{shown_command}` in {shown}")
            continue
        echo(f"$ {shown_command}   (in {shown})")
        status = run(command, directory)
        if status != 0:
            raise TerraformFailed(f"`{shown_command}` in {shown} exited with status {status}")
