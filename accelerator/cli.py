"""The `accelerator` program: the terminal channel's commands, assembled.

Exit codes everywhere: 0 ok, 1 error-severity findings, 2 bad input or usage.
"""

from __future__ import annotations

import sys

from accelerator.channels.cli import chat, deploy, memory, project, sandbox
from accelerator.channels.cli.app import new_app
from accelerator.channels.cli.infra import infra_app
from accelerator.channels.github import command as github_command

app = new_app(
    name="accelerator",
    help="GitOps accelerator for Databricks Unity Catalog: ERD + policy -> governed SQL and Terraform.",
    no_args_is_help=True,
)
app.add_typer(project.commands)  # init, check, generate, plan, allow
app.add_typer(chat.commands)  # chat, propose
app.add_typer(memory.commands)  # sessions
app.add_typer(memory.memory_app, name="memory")
app.add_typer(sandbox.commands)  # sandbox
app.add_typer(infra_app, name="infra")  # infra synth
app.add_typer(github_command.commands)  # serve, bot
app.add_typer(deploy.commands)  # apply, history, drift


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
