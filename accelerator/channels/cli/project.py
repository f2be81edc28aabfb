"""The project commands: `init`, `check`, `generate`, and `plan` (the preview per environment).

`check` and `generate` run the pipeline once each on the user's files; `generate` writes model.json,
versioned SQL migrations (with their migrations.sum) and Terraform per environment, and docs, into
the output directory; `check` also verifies the migrations against their sum; `plan` shows what the
next migration of each environment would hold.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from accelerator.channels.cli.app import (
    EXIT_FINDINGS,
    EXIT_OK,
    ConfigOption,
    DialectOption,
    ErdOption,
    FormatOption,
    OutputFormat,
    PolicyOption,
    fail,
    new_app,
    out,
)
from accelerator.channels.cli.history import (
    approve,
    destructive_findings,
    migration_findings,
    model_at_revision,
    read_approvals,
    read_history,
    read_model,
)
from accelerator.channels.cli.inputs import collect_erds, collect_policy, display_path, resolve_config
from accelerator.config import ProjectConfig
from accelerator.errors import AcceleratorError
from accelerator.gcpause import without_collection
from accelerator.generate import Generation, Governed, govern_inputs, select_environments, summary
from accelerator.generate import generate as generate_files
from accelerator.model import Finding, has_errors, sorted_findings
from accelerator.model.elements import Project
from accelerator.plan.migrations import BASELINE_FILE, empty_like
from accelerator.plan.preview import (
    EnvironmentPlan,
    has_destructive,
    plan_environments,
    plan_json,
    plan_markdown,
    plan_text,
)
from accelerator.plan.terraform_plan import TerraformChange
from accelerator.report import findings_github, findings_json, findings_sarif, location

commands = new_app()

SEVERITY_STYLE = {"error": "bold red", "warn": "yellow", "info": "cyan"}


class PlanFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


class CheckFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


def load_governed(
    config_path: Path | None, erd: list[str] | None, policy: Path | None, dialect: str | None
) -> tuple[ProjectConfig, Governed]:
    config = resolve_config(config_path)
    governed = govern_inputs(
        config.project, collect_erds(config, erd, dialect), collect_policy(config, policy)
    )
    return config, governed


@commands.command()
def init(
    directory: Annotated[Path, typer.Argument(help="where to scaffold (default: current directory)")] = Path(
        "."
    ),
    force: Annotated[bool, typer.Option("--force", help="overwrite existing files")] = False,
    workflows: Annotated[
        str | None,
        typer.Option("--workflows", help="OWNER/REPO[@REF] of the reusable workflows the CI callers use"),
    ] = None,
) -> None:
    """Scaffold accelerator.yaml, a sample ERD, a governance policy and the CI workflows that call
    the accelerator's reusable ones (bot, plan, apply, drift)."""
    from accelerator.channels.cli.scaffold import WORKFLOWS_REF, WORKFLOWS_REPOSITORY, scaffold

    try:
        repository, _, ref = (workflows or WORKFLOWS_REPOSITORY).partition("@")  # scaffold checks both
        created = scaffold(
            directory, force=force, workflows_repository=repository, workflows_ref=ref or WORKFLOWS_REF
        )
    except AcceleratorError as error:
        fail(error)
    for path in created:
        out.print(f"created {display_path(path)}")
    out.print(
        "next: edit the ERD, then run `accelerator generate`; for CI, set the repository variables and "
        "secrets the .github/workflows/uc-*.yml files name (README: Apply on merge, Set up the bot)"
    )


@commands.command()
@without_collection  # one pipeline run whose model lives until exit: see gcpause.py
def check(
    config: ConfigOption = None,
    erd: ErdOption = None,
    policy: PolicyOption = None,
    dialect: DialectOption = None,
    format: Annotated[
        CheckFormat, typer.Option("--format", help="text, json, sarif or github")
    ] = CheckFormat.text,
) -> None:
    """Parse the ERDs, apply the policy, verify the generated migrations against migrations.sum and
    report findings (no files are written)."""
    try:
        project_config, governed = load_governed(config, erd, policy, dialect)
        findings = sorted_findings(
            governed.findings
            + migration_findings(project_config)
            + destructive_findings(project_config, governed)
        )
    except AcceleratorError as error:
        fail(error)
    if format is CheckFormat.json:
        print(findings_json(findings))
    elif format is CheckFormat.sarif:
        print(findings_sarif(findings))
    elif format is CheckFormat.github:
        if findings:
            print(findings_github(findings))
    else:
        print_findings(findings)
    raise typer.Exit(EXIT_FINDINGS if has_errors(findings) else EXIT_OK)


@commands.command()
@without_collection
def generate(
    config: ConfigOption = None,
    erd: ErdOption = None,
    policy: PolicyOption = None,
    env: Annotated[
        list[str] | None,
        typer.Option("--env", help="environment (repeatable); the others keep their migrations as they are"),
    ] = None,
    dialect: DialectOption = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="output directory (default: config's, else generated/)")
    ] = None,
    format: FormatOption = OutputFormat.text,
    terraform: Annotated[
        bool, typer.Option("--terraform/--no-terraform", help="synthesize Terraform (needs Node.js)")
    ] = True,
) -> None:
    """Write model.json, SQL and Terraform per environment, and docs; files are written even with findings."""
    try:
        project_config, governed = load_governed(config, erd, policy, dialect)
        environments = select_environments(governed.project, env or [], project_config.environments)
        # the config's output must stay inside the root, each file too (a PR may plant a link in it)
        guard = project_config if out_dir is None else None
        target = out_dir if out_dir is not None else project_config.root / project_config.output
        every = select_environments(governed.project, [], project_config.environments)
        history = read_history(target, environments, guard)
        history = replace(history, baselines=read_baselines(target, environments, guard))
        kept = kept_baselines(target, [e for e in every if e not in environments], guard)
        generation = generate_files(
            governed,
            environments,
            terraform=terraform and project_config.terraform.enabled,
            backend=project_config.terraform.backend,
            history=history,
        )
        written = write_files(target, {**generation.files, **kept}, inside=guard)
        remove_baselines(target, sorted(history.baselines), guard)
    except AcceleratorError as error:
        fail(error)
    if format is OutputFormat.json:
        print(json.dumps({**summary(generation), "out": str(target)}, indent=2, ensure_ascii=False))
    else:
        print_generation(generation, target, written)
        for path in kept:  # the left-out environments' own history, kept for their next run
            out.print(f"kept {path}: the model {path.split('/')[1]}'s migrations lead to", markup=False)
    raise typer.Exit(EXIT_FINDINGS if has_errors(generation.findings) else EXIT_OK)


def read_baselines(
    target: Path, environments: Sequence[str], guard: ProjectConfig | None
) -> dict[str, Project]:
    """Each environment's baseline (`sql/<env>/model.json`): the model its migrations lead to, kept
    while a run of `generate --env` for other environments moved the output's model.json on."""
    found: dict[str, Project] = {}
    for env in environments:
        path = target / "sql" / env / BASELINE_FILE
        if path.is_file():
            if guard is not None:
                guard.inside_root(path.absolute(), setting=("output",))
            found[env] = read_model(path.read_text(encoding="utf-8"), display_path(path))
    return found


def kept_baselines(target: Path, left_out: Sequence[str], guard: ProjectConfig | None) -> dict[str, str]:
    """The baselines to write for the environments a `generate --env` run leaves out: each one that
    has migrations and no baseline yet keeps the model.json they lead to (which this run rewrites),
    so that its next migration still holds every change since (each environment has its own history)."""
    from accelerator.channels.cli.history import migration_texts

    model_path = target / "model.json"
    kept: dict[str, str] = {}
    for env in left_out:
        directory = target / "sql" / env
        files, sum_text = migration_texts(directory, guard)
        if (not files and sum_text is None) or (directory / BASELINE_FILE).is_file():
            continue
        if not model_path.is_file():
            raise AcceleratorError(
                f"sql/{env}/ holds migrations but model.json, the model they lead to, is missing",
                hint="restore the last generation's model.json from git (`git checkout -- <output>/model.json`)",
            )
        if guard is not None:
            guard.inside_root(model_path.absolute(), setting=("output",))
        kept[f"sql/{env}/{BASELINE_FILE}"] = model_path.read_text(encoding="utf-8")
    return kept


def remove_baselines(target: Path, environments: Sequence[str], guard: ProjectConfig | None) -> None:
    """The baselines of the environments that caught up with this run's model.json are gone."""
    for env in environments:
        path = target / "sql" / env / BASELINE_FILE
        if guard is not None:
            guard.inside_root(path.absolute(), setting=("output",))
        path.unlink(missing_ok=True)


@commands.command()
@without_collection
def plan(
    config: ConfigOption = None,
    erd: ErdOption = None,
    policy: PolicyOption = None,
    env: Annotated[list[str] | None, typer.Option("--env", help="environment (repeatable)")] = None,
    dialect: DialectOption = None,
    previous: Annotated[
        Path | None,
        typer.Option("--previous", help="the model to compare with (default: generated model.json)"),
    ] = None,
    base: Annotated[
        str | None,
        typer.Option("--base", help="compare with model.json at this git revision, e.g. origin/main"),
    ] = None,
    format: Annotated[
        PlanFormat, typer.Option("--format", help="text, json or markdown (a PR comment)")
    ] = PlanFormat.text,
    terraform_plan: Annotated[
        list[str] | None,
        typer.Option(
            "--terraform-plan",
            metavar="[ENV=]FILE",
            help="`terraform show -json` output of ENV's plan (repeatable; ENV= may be left out with one --env)",
        ),
    ] = None,
) -> None:
    """Preview the next migration of each environment: its changes (code, risk, description) and SQL.

    With --terraform-plan, also the Terraform plan's `databricks_*` changes, flagging the Unity
    Catalog data objects it would destroy or replace. Writes nothing. Exit 0 when no change is
    destructive, 1 when one is (it needs a review before it is applied), 2 on bad input."""
    try:
        project_config, governed = load_governed(config, erd, policy, dialect)
        environments = select_environments(governed.project, env or [], project_config.environments)
        if previous is not None and base is not None:
            raise AcceleratorError("give --previous or --base, not both")
        before = previous_model(project_config, previous, base)
        output = project_config.output_dir()
        own = {} if previous or base else read_baselines(output, environments, project_config)
        plans: list[EnvironmentPlan] = []
        for name in environments:  # each from the model its migrations lead to
            model = own.get(name, before)
            plans += plan_environments(
                model if model is not None else empty_like(governed.project),
                governed.project,
                [name],
                terraform=project_config.terraform.enabled,
                approvals=read_approvals(project_config.output_dir(), project_config),
                allow_destructive=governed.policy.spec.rules.migrations.allow_destructive,
            )
        plans = with_terraform_plans(plans, terraform_plan or [])
    except AcceleratorError as error:
        fail(error)
    render = {PlanFormat.json: plan_json, PlanFormat.markdown: plan_markdown, PlanFormat.text: plan_text}
    print(render[format](plans), end="" if format is not PlanFormat.json else "\n")
    raise typer.Exit(EXIT_FINDINGS if has_destructive(plans) else EXIT_OK)


@commands.command()
@without_collection
def allow(
    code: Annotated[str, typer.Argument(help="the destructive change's code, e.g. DS103")],
    on: Annotated[str, typer.Argument(metavar="on", help="the word `on`")],
    object_path: Annotated[
        str, typer.Argument(metavar="OBJECT", help="e.g. retail.sales.orders.legacy_code")
    ],
    env: Annotated[
        str | None, typer.Option("--env", help="only in this environment (default: every one)")
    ] = None,
    by: Annotated[str | None, typer.Option("--by", help="who approves (default: the system user)")] = None,
    config: ConfigOption = None,
    erd: ErdOption = None,
    policy: PolicyOption = None,
    dialect: DialectOption = None,
) -> None:
    """Approve a destructive change (`allow DS103 on retail.sales.orders.legacy_code`): recorded in
    approvals.json with who and when; void once the change it approved changes."""
    import getpass
    from datetime import UTC, datetime

    try:
        if on.lower() != "on":
            raise AcceleratorError(f"expected `on` after {code}, got {on!r}", hint="allow CODE on OBJECT")
        project_config, governed = load_governed(config, erd, policy, dialect)
        if env is not None:
            select_environments(governed.project, [env], [])
        approved_at = datetime.now(UTC).isoformat(timespec="seconds")
        approval = approve(
            project_config, governed, code, object_path, env, by or getpass.getuser(), approved_at
        )
    except AcceleratorError as error:
        fail(error)
    where = f" in {approval.environment}" if approval.environment else " in every environment"
    out.print(
        f"approved {approval.code} on {approval.object_path}{where} by {approval.approved_by} "
        f"(change {approval.change_digest})",
        markup=False,
    )


def with_terraform_plans(plans: list[EnvironmentPlan], given: list[str]) -> list[EnvironmentPlan]:
    """Each `[ENV=]FILE` read and attached to its environment's plan."""
    from dataclasses import replace

    from accelerator.plan.terraform_plan import parse_terraform_plan

    by_env: dict[str, list[TerraformChange]] = {}
    names = [plan.environment for plan in plans]
    for item in given:
        env, sep, file = item.partition("=")
        if not sep:
            if len(names) != 1:
                raise AcceleratorError(
                    f"--terraform-plan {item}: which environment's plan is it?",
                    hint="write ENV=FILE, e.g. --terraform-plan prod=tfplan.json, or select one --env",
                )
            env, file = names[0], item
        if env not in names:
            raise AcceleratorError(
                f"--terraform-plan {item}: environment {env!r} is not planned",
                hint="planned: " + ", ".join(names),
            )
        path = Path(file)
        if not path.is_file():
            raise AcceleratorError(f"--terraform-plan {item}: no such file {file}")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise AcceleratorError(f"{file}: not UTF-8 text at byte {error.start}") from None
        by_env.setdefault(env, []).extend(parse_terraform_plan(text, file))
    return [
        replace(p, terraform=tuple(by_env[p.environment])) if p.environment in by_env else p for p in plans
    ]


def previous_model(config: ProjectConfig, previous: Path | None, base: str | None) -> Project | None:
    """--previous, else model.json at --base, else the generated model.json on disk (None: none)."""
    if previous is not None:
        if not previous.is_file():
            raise AcceleratorError(f"--previous {previous}: no such file")
        return read_model(previous.read_text(encoding="utf-8"), str(previous))
    if base is not None:
        return model_at_revision(config, base)
    on_disk = config.output_dir() / "model.json"
    if not on_disk.exists():
        return None
    config.inside_root(on_disk, setting=("output",))
    return read_model(on_disk.read_text(encoding="utf-8"), display_path(on_disk))


def write_files(target: Path, files: dict[str, str], *, inside: ProjectConfig | None = None) -> int:
    """Write the generated files; unchanged files are not touched. Returns how many changed. With
    `inside`, nothing is read or written if one file resolves outside that config's root."""
    paths = {relative: target / relative for relative in files}
    if inside is not None:
        for path in paths.values():
            inside.inside_root(path.absolute(), setting=("output",))
    changed = 0
    for relative, text in files.items():
        path = paths[relative]
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        changed += 1
    return changed


def print_findings(findings: list[Finding]) -> None:
    """One compiler-style line per finding, `file:line:col: severity rule: message`, then its fix."""
    if not findings:
        out.print("[green]No findings.[/green]")
        return
    for finding in findings:
        style = SEVERITY_STYLE[finding.severity]
        out.print(f"{location(finding)}: [{style}]{finding.severity}[/] {finding.rule}: ", end="")
        out.print(finding.message, markup=False)
        if finding.fix:
            out.print(f"    fix: {finding.fix.description}", markup=False)


def print_generation(generation: Generation, target: Path, written: int) -> None:
    data = summary(generation)
    counts = {s: sum(1 for f in generation.findings if f.severity == s) for s in ("error", "warn", "info")}
    out.print(
        f"[bold]{data['tables']}[/bold] tables, [bold]{data['columns']}[/bold] columns, "
        f"environments: {', '.join(generation.environments)}"
    )
    print_findings(generation.findings)
    out.print(
        f"findings: [red]{counts['error']} error(s)[/red], [yellow]{counts['warn']} warning(s)[/yellow], "
        f"{counts['info']} info"
    )
    files = Table(title=f"{len(generation.files)} file(s) in {display_path(target)} ({written} changed)")
    files.add_column("file")
    files.add_column("bytes", justify="right")
    for relative, text in generation.files.items():
        files.add_row(relative, str(len(text.encode("utf-8"))))
    out.print(files)
