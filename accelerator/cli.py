"""The `accelerator` command line: init, check, plan.

Exit codes everywhere: 0 ok, 1 error-severity findings, 2 bad input or usage.
"""

from __future__ import annotations

import glob
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from accelerator.config import ProjectConfig, find_config, load_config
from accelerator.errors import AcceleratorError
from accelerator.gcpause import without_collection
from accelerator.generate import (
    ErdInput,
    Generation,
    Governed,
    PolicyInput,
    generate,
    govern_inputs,
    select_environments,
    summary,
)
from accelerator.model import Finding, has_errors
from accelerator.report import findings_github, findings_json, findings_sarif, location

app = typer.Typer(
    name="accelerator",
    help="GitOps accelerator for Databricks Unity Catalog: ERD + policy -> governed SQL and Terraform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
SEVERITY_STYLE = {"error": "bold red", "warn": "yellow", "info": "cyan"}


class CheckFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


class PlanFormat(StrEnum):
    text = "text"
    json = "json"


ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="accelerator.yaml (default: ./accelerator.yaml if present)"),
]
ErdOption = Annotated[
    list[str] | None, typer.Option("--erd", help="ERD file or glob (repeatable); overrides the config")
]
PolicyOption = Annotated[
    Path | None, typer.Option("--policy", help="governance policy YAML; overrides the config")
]
DialectOption = Annotated[
    str | None, typer.Option("--dialect", help="SQL dialect of .sql ERDs (postgres, mysql, tsql, ...)")
]


def fail(error: AcceleratorError) -> NoReturn:
    err.print(error.format(), markup=False)
    raise typer.Exit(EXIT_USAGE)


def resolve_config(config_path: Path | None) -> ProjectConfig:
    if config_path is not None:
        if not config_path.is_file():
            raise AcceleratorError(
                f"config file {config_path} not found", hint="run `accelerator init` to create one"
            )
        return load_config(config_path)
    found = find_config(Path.cwd())
    return load_config(found) if found else ProjectConfig(root=Path.cwd())


def _display(path: Path) -> str:
    """Paths in messages are relative to the working directory when they can be."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def collect_erds(config: ProjectConfig, erd_args: list[str] | None, dialect: str | None) -> list[ErdInput]:
    sources: list[tuple[str, Path, str, str | None, str, str]]
    if erd_args:
        sources = [
            (pattern, Path.cwd(), config.project, None, dialect or "postgres", "default")
            for pattern in erd_args
        ]
    else:
        sources = [
            (s.path, config.root, s.catalog or config.project, s.format, dialect or s.dialect, s.schema_)
            for s in config.erd_sources()
        ]
    inputs: list[ErdInput] = []
    for pattern, root, catalog, fmt, sql_dialect, schema in sources:
        full = pattern if Path(pattern).is_absolute() else str(root / pattern)
        matches = sorted(glob.glob(full, recursive=True)) if glob.has_magic(full) else [full]
        if not matches:
            raise AcceleratorError(f"no ERD file matches {pattern!r}", hint="check the path or the glob")
        for match in matches:
            path = Path(match)
            if not path.is_file():
                raise AcceleratorError(f"ERD file {_display(path)} not found", hint="check the path")
            inputs.append(
                ErdInput(
                    file=_display(path),
                    text=path.read_text(encoding="utf-8"),
                    catalog=catalog,
                    format=fmt,
                    dialect=sql_dialect,
                    default_schema=schema,
                )
            )
    return inputs


def collect_policy(config: ProjectConfig, policy_arg: Path | None) -> PolicyInput:
    path = policy_arg if policy_arg is not None else (config.root / config.policy if config.policy else None)
    if path is None:
        return PolicyInput()
    if not path.is_file():
        raise AcceleratorError(
            f"policy file {_display(path)} not found", hint="check --policy or `policy:` in the config"
        )
    return PolicyInput(file=_display(path), text=path.read_text(encoding="utf-8"))


def load_governed(
    config_path: Path | None, erd: list[str] | None, policy: Path | None, dialect: str | None
) -> tuple[ProjectConfig, Governed]:
    config = resolve_config(config_path)
    governed = govern_inputs(
        config.project, collect_erds(config, erd, dialect), collect_policy(config, policy)
    )
    return config, governed


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


@app.command()
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
    """Parse the ERDs, apply the policy and report findings (no files are written)."""
    try:
        _, governed = load_governed(config, erd, policy, dialect)
    except AcceleratorError as error:
        fail(error)
    findings = governed.findings
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


@app.command()
@without_collection
def plan(
    config: ConfigOption = None,
    erd: ErdOption = None,
    policy: PolicyOption = None,
    env: Annotated[list[str] | None, typer.Option("--env", help="environment (repeatable)")] = None,
    dialect: DialectOption = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="output directory (default: config's, else generated/)")
    ] = None,
    format: Annotated[PlanFormat, typer.Option("--format", help="text or json")] = PlanFormat.text,
    terraform: Annotated[
        bool, typer.Option("--terraform/--no-terraform", help="synthesize Terraform (needs Node.js)")
    ] = True,
) -> None:
    """Generate model.json, SQL and Terraform per environment, and docs; files are written even with findings."""
    try:
        project_config, governed = load_governed(config, erd, policy, dialect)
        environments = select_environments(governed.project, env or [], project_config.environments)
        generation = generate(
            governed,
            environments,
            terraform=terraform and project_config.terraform.enabled,
            backend=project_config.terraform.backend,
        )
        target = out_dir if out_dir is not None else project_config.root / project_config.output
        written = write_files(target, generation.files)
    except AcceleratorError as error:
        fail(error)
    if format is PlanFormat.json:
        print(json.dumps({**summary(generation), "out": str(target)}, indent=2, ensure_ascii=False))
    else:
        print_plan(generation, target, written)
    raise typer.Exit(EXIT_FINDINGS if has_errors(generation.findings) else EXIT_OK)


def write_files(target: Path, files: dict[str, str]) -> int:
    """Write the generated files; unchanged files are not touched. Returns how many changed."""
    changed = 0
    for relative, text in files.items():
        path = target / relative
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        changed += 1
    return changed


def print_plan(generation: Generation, target: Path, written: int) -> None:
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
    files = Table(title=f"{len(generation.files)} file(s) in {_display(target)} ({written} changed)")
    files.add_column("file")
    files.add_column("bytes", justify="right")
    for relative, text in generation.files.items():
        files.add_row(relative, str(len(text.encode("utf-8"))))
    out.print(files)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="where to scaffold (default: current directory)")] = Path(
        "."
    ),
    force: Annotated[bool, typer.Option("--force", help="overwrite existing files")] = False,
) -> None:
    """Scaffold accelerator.yaml, a sample ERD and a governance policy."""
    from accelerator.scaffold import scaffold

    try:
        created = scaffold(directory, force=force)
    except AcceleratorError as error:
        fail(error)
    for path in created:
        out.print(f"created {_display(path)}")
    out.print("next: edit the ERD, then run `accelerator plan`")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


# The conversation commands (chat, sessions, memory ...) register themselves on `app`; imported last
# because they build on the helpers above.
from accelerator.channels import cli as _channel_commands  # noqa: E402, F401
