"""`apply`, `history` and `drift`: the generated output deployed to a Databricks workspace.

`apply --env ENV` runs Terraform in `<output>/terraform/<env>/` (unless --no-terraform or Terraform
is disabled in accelerator.yaml), then the pending migrations of `<output>/sql/<env>/` through the
Statement Execution API, recorded in `<catalog>._accelerator.schema_history` (see
`accelerator.deploy`). `history --env ENV` prints that table; `drift --env ENV` compares the
workspace's information_schema with the model.

The workspace: databricks-sdk's default authentication (environment variables, a profile,
`DATABRICKS_AUTH_TYPE=github-oidc` in CI), `--host` / `--profile` overriding. The SQL warehouse:
`--warehouse`, else `databricks: {warehouse_id: ...}` in accelerator.yaml, else
`DATABRICKS_WAREHOUSE_ID`. Exit codes: 0 applied / nothing to do / no drift, 1 a statement failed /
drift found, 2 bad input or refused (tampered migrations, checksum, lock).
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import socket
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from accelerator.channels.cli.app import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    ConfigOption,
    err,
    fail,
    new_app,
    out,
)
from accelerator.channels.cli.history import migration_texts, read_model
from accelerator.channels.cli.inputs import display_path, resolve_config
from accelerator.config import ProjectConfig
from accelerator.deploy.apply import Applier, history_catalog
from accelerator.deploy.drift import drift, drift_json, drift_markdown, drift_text
from accelerator.deploy.history import History
from accelerator.deploy.migrations import local_migrations
from accelerator.deploy.runner import DatabricksRunner, StatementFailed, StatementRunner, workspace_client
from accelerator.deploy.terraform import Run, TerraformFailed, Which, run_process, terraform_apply
from accelerator.errors import AcceleratorError
from accelerator.model.elements import Project
from accelerator.plan.migrations import BASELINE_FILE
from accelerator.render.naming import slug

commands = new_app()

# Seams for tests: how Terraform runs and is found.
TERRAFORM_RUN: Run = run_process
TERRAFORM_WHICH: Which = shutil.which

EnvOption = Annotated[str, typer.Option("--env", help="the environment, e.g. dev")]
WarehouseOption = Annotated[
    str | None,
    typer.Option(
        "--warehouse",
        help="SQL warehouse id (default: accelerator.yaml's databricks.warehouse_id, else DATABRICKS_WAREHOUSE_ID)",
    ),
]
HostOption = Annotated[
    str | None, typer.Option("--host", help="workspace URL (default: DATABRICKS_HOST or the profile's)")
]
ProfileOption = Annotated[str | None, typer.Option("--profile", help="a profile of ~/.databrickscfg")]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="the generated output (default: config's, else generated/)")
]


@dataclass
class Connection:
    runner: StatementRunner
    user: str  # who applies: the workspace's user or service principal


def configured_warehouse(config: ProjectConfig) -> str | None:
    """accelerator.yaml's `databricks: {warehouse_id: ...}`."""
    return config.databricks.warehouse_id


def connect(host: str | None, profile: str | None, warehouse: str) -> Connection:
    """The workspace and its warehouse (tests replace this function)."""
    client = workspace_client(host, profile)
    try:
        me = client.current_user.me()
        user = me.user_name or me.display_name or getpass.getuser()
    except Exception:  # the name is for the record only; the statements will say if auth fails
        user = getpass.getuser()
    return Connection(DatabricksRunner(client, warehouse), user)


def _warehouse(config: ProjectConfig, given: str | None) -> str:
    warehouse = given or configured_warehouse(config) or os.environ.get("DATABRICKS_WAREHOUSE_ID")
    if not warehouse:
        raise AcceleratorError(
            "which SQL warehouse runs the statements?",
            hint="pass --warehouse ID, set DATABRICKS_WAREHOUSE_ID, or add `databricks: {warehouse_id: ID}` "
            "to accelerator.yaml",
        )
    return warehouse


def _output(config: ProjectConfig, out_dir: Path | None) -> Path:
    return out_dir if out_dir is not None else config.output_dir()


def environment_model(config: ProjectConfig, output: Path, env: str) -> Project:
    """The model `env`'s migrations lead to: `sql/<env>/model.json` while it lags behind, else the
    output's model.json."""
    for path in (output / "sql" / env / BASELINE_FILE, output / "model.json"):
        if path.is_file():
            if _inside(config, output):
                config.inside_root(path.absolute(), setting=("output",))
            return read_model(path.read_text(encoding="utf-8"), display_path(path))
    raise AcceleratorError(
        f"{display_path(output / 'model.json')} is missing: nothing was generated",
        hint="run `accelerator generate` first",
    )


def _inside(config: ProjectConfig, output: Path) -> bool:
    """Whether the output is the config's own (checked to stay inside the repository)."""
    return output.absolute() == (config.root / config.output).absolute()


def _owner(user: str) -> str:
    """Who holds the lock, as another apply's refusal shows it."""
    if os.environ.get("GITHUB_RUN_ID"):
        repository = os.environ.get("GITHUB_REPOSITORY", "")
        return f"{user} (GitHub Actions run {os.environ['GITHUB_RUN_ID']} of {repository})"
    return f"{user} ({socket.gethostname()}, pid {os.getpid()})"


def echo(line: str) -> None:
    out.print(line, markup=False)


@commands.command()
def apply(
    env: EnvOption,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print what would run; change nothing")] = False,
    warehouse: WarehouseOption = None,
    host: HostOption = None,
    profile: ProfileOption = None,
    terraform: Annotated[
        bool | None,
        typer.Option(
            "--terraform/--no-terraform",
            help="run terraform init/apply first (default: when Terraform is enabled in accelerator.yaml)",
        ),
    ] = None,
    lock_wait: Annotated[
        float, typer.Option("--lock-wait", help="seconds to wait for another apply's lock", min=0)
    ] = 0.0,
    history_catalog_name: Annotated[
        str | None,
        typer.Option("--history-catalog", help="catalog of the history (default: the model's first, in ENV)"),
    ] = None,
    config: ConfigOption = None,
    out_dir: OutOption = None,
) -> None:
    """Apply ENV's pending migrations through a SQL warehouse, after Terraform; recorded in
    <catalog>._accelerator.schema_history. Exit 0 applied or nothing to do, 1 a statement failed,
    2 bad input or refused (tampered migration, changed checksum, lock held)."""
    catalog = history_catalog_name or "the"
    try:
        project_config = resolve_config(config)
        output = _output(project_config, out_dir)
        model = environment_model(project_config, output, env)
        catalog = history_catalog_name or history_catalog(model, env)
        directory = output / "sql" / env
        guard = project_config if _inside(project_config, output) else None
        files, sum_text = migration_texts(directory, guard)
        migrations = local_migrations(display_path(directory), files, sum_text)
        use_terraform = project_config.terraform.enabled if terraform is None else terraform
        if use_terraform and not project_config.terraform.enabled:
            raise AcceleratorError(
                "--terraform: Terraform is disabled in accelerator.yaml (terraform.enabled: false)"
            )
        warehouse_id = _warehouse(project_config, warehouse)
        if use_terraform:
            tf_dir = output / "terraform" / slug(env)
            terraform_apply(
                tf_dir,
                display_path(tf_dir),
                echo=echo,
                dry_run=dry_run,
                run=TERRAFORM_RUN,
                which=TERRAFORM_WHICH,
            )
        elif project_config.terraform.enabled:
            echo("Terraform skipped (--no-terraform): the catalogs and schemas must exist")
        connection = connect(host, profile, warehouse_id)
        applier = Applier(
            connection.runner,
            catalog,
            env,
            connection.user,
            echo,
            owner=_owner(connection.user),
            lock_wait=lock_wait,
        )
        result = applier.dry_run(migrations) if dry_run else applier.apply(migrations)
    except TerraformFailed as error:
        err.print(f"error: {error}", markup=False)
        raise typer.Exit(EXIT_FINDINGS) from None
    except StatementFailed as error:  # a statement of the history or the lock, not of a migration
        err.print(f"error: {catalog} history: {error.message}", markup=False)
        raise typer.Exit(EXIT_FINDINGS) from None
    except AcceleratorError as error:
        fail(error)
    if result.failed:
        raise typer.Exit(EXIT_FINDINGS)
    if not dry_run and result.applied:
        echo(f"{env}: applied {len(result.applied)} migration(s), {result.statements} statements")
    raise typer.Exit(EXIT_OK)


class HistoryFormat(StrEnum):
    text = "text"
    json = "json"


@commands.command("history")
def history_command(
    env: EnvOption,
    warehouse: WarehouseOption = None,
    host: HostOption = None,
    profile: ProfileOption = None,
    format: Annotated[HistoryFormat, typer.Option("--format", help="text or json")] = HistoryFormat.text,
    history_catalog_name: Annotated[
        str | None,
        typer.Option("--history-catalog", help="catalog of the history (default: the model's first, in ENV)"),
    ] = None,
    config: ConfigOption = None,
    out_dir: OutOption = None,
) -> None:
    """Print ENV's migration history (<catalog>._accelerator.schema_history)."""
    catalog = history_catalog_name or "the"
    try:
        project_config = resolve_config(config)
        model = environment_model(project_config, _output(project_config, out_dir), env)
        catalog = history_catalog_name or history_catalog(model, env)
        connection = connect(host, profile, _warehouse(project_config, warehouse))
        history = History(connection.runner, catalog, env)
        rows = history.rows(missing_ok=True)
    except StatementFailed as error:
        err.print(f"error: {catalog} history: {error.message}", markup=False)
        raise typer.Exit(EXIT_FINDINGS) from None
    except AcceleratorError as error:
        fail(error)
    if format is HistoryFormat.json:
        print(
            json.dumps(
                [
                    {
                        "version": r.version,
                        "name": r.name,
                        "checksum": r.checksum,
                        "applied_at": r.applied_at.isoformat() if r.applied_at else None,
                        "applied_by": r.applied_by,
                        "duration_ms": r.duration_ms,
                        "status": r.status,
                        "statements_done": r.statements_done,
                        "statements_total": r.statements_total,
                        "error": r.error,
                    }
                    for r in rows
                ],
                indent=2,
            )
        )
        return
    echo(f"{history.shown} ({env}): {len(rows)} migration(s)")
    if rows:
        echo(
            f"{'version':>7}  {'status':<8} {'statements':>10}  {'ms':>7}  {'applied at (UTC)':<19}  by / name"
        )
    for r in rows:
        when = r.applied_at.strftime("%Y-%m-%d %H:%M:%S") if r.applied_at else ""
        echo(
            f"{r.version:>7}  {r.status:<8} {f'{r.statements_done}/{r.statements_total}':>10}  "
            f"{r.duration_ms:>7}  {when:<19}  {r.applied_by} / {r.name} {r.checksum[:12]}"
        )
        if r.error and r.status != "success":
            echo(f"         {r.error}")


class DriftFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


@commands.command("drift")
def drift_command(
    env: EnvOption,
    format: Annotated[
        DriftFormat, typer.Option("--format", help="text, markdown (an issue body) or json")
    ] = DriftFormat.text,
    warehouse: WarehouseOption = None,
    host: HostOption = None,
    profile: ProfileOption = None,
    config: ConfigOption = None,
    out_dir: OutOption = None,
) -> None:
    """Compare ENV's tables, columns, tags, constraints and table grants in the workspace
    (information_schema) with the model, and the catalogs' and schemas' grants where the migrations
    own them (Terraform disabled, or grants_in: sql). Exit 0 no drift, 1 drift found, 2 bad input."""
    try:
        project_config = resolve_config(config)
        model = environment_model(project_config, _output(project_config, out_dir), env)
        history_catalog(model, env)  # the environment is the model's
        connection = connect(host, profile, _warehouse(project_config, warehouse))
        # the catalogs' and schemas' grants are the migrations' unless Terraform writes them
        sql_grants = not project_config.terraform.enabled or model.deployment.grants_in == "sql"
        report = drift(connection.runner, model, env, securable_grants=sql_grants)
    except StatementFailed as error:
        err.print(f"error: reading information_schema: {error.message}", markup=False)
        raise typer.Exit(EXIT_USAGE) from None
    except AcceleratorError as error:
        fail(error)
    render = {
        DriftFormat.text: drift_text,
        DriftFormat.markdown: drift_markdown,
        DriftFormat.json: drift_json,
    }
    print(render[format](report), end="" if format is not DriftFormat.json else "\n")
    raise typer.Exit(EXIT_OK if report.clean else EXIT_FINDINGS)
