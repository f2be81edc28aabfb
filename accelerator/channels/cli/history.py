"""Reading what the last generation left in the output directory: model.json, each environment's
migrations and migrations.sum; and the model a git revision holds (`plan --base REF`)."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from accelerator.config import ProjectConfig
from accelerator.errors import AcceleratorError
from accelerator.generate import Governed, MigrationHistory, migration_gates
from accelerator.model import Finding
from accelerator.model.elements import Project
from accelerator.plan.gates import (
    APPROVALS_FILE,
    Approval,
    Gate,
    approval_of,
    diff_gates,
    gate_to_approve,
    gates_in,
    parse_approvals,
    render_approvals,
    with_approval,
)
from accelerator.plan.migrations import BASELINE_FILE, SUM_FILE, migration_version, verify_migrations
from accelerator.render.validation import validate_files

MODEL_FILE = "model.json"


def _read(path: Path, guard: ProjectConfig | None) -> str:
    """A generated file's text; with `guard`, refused when it resolves outside the repository root."""
    if guard is not None:
        guard.inside_root(path.absolute(), setting=("output",))
    return path.read_text(encoding="utf-8")


def read_model(text: str, file: str) -> Project:
    try:
        return Project.model_validate_json(text)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the document"
        raise AcceleratorError(
            f"{file} is not a model written by `accelerator generate`: {where}: {first['msg']}",
            hint="restore it from git, or pass another with --previous",
        ) from None


def migration_texts(directory: Path, guard: ProjectConfig | None) -> tuple[dict[str, str], str | None]:
    """The `V` files of one environment's directory (name -> text) and its sum's text."""
    if not directory.is_dir():
        return {}, None
    files = {
        path.name: _read(path, guard)
        for path in sorted(directory.iterdir())
        if migration_version(path.name) is not None
    }
    sum_path = directory / SUM_FILE
    return files, (_read(sum_path, guard) if sum_path.exists() else None)


def read_history(target: Path, environments: Sequence[str], guard: ProjectConfig | None) -> MigrationHistory:
    """The migrations first (a planted link is refused before anything else), then model.json."""
    migrations, sums = {}, {}
    for env in environments:
        migrations[env], sums[env] = migration_texts(target / "sql" / env, guard)
    model_path = target / MODEL_FILE
    previous = read_model(_read(model_path, guard), str(model_path)) if model_path.exists() else None
    approvals = read_approvals(target, guard)
    return MigrationHistory(previous, migrations, sums, approvals=approvals, output=_shown(target, guard))


def _shown(target: Path, guard: ProjectConfig | None) -> str:
    if guard is not None:
        return Path(guard.output).as_posix()
    return target.as_posix()


def read_approvals(target: Path, guard: ProjectConfig | None) -> list[Approval]:
    path = target / APPROVALS_FILE
    if not path.exists():
        return []
    return parse_approvals(_read(path, guard), (Path(_shown(target, guard)) / APPROVALS_FILE).as_posix())


def destructive_findings(config: ProjectConfig, governed: Governed) -> list[Finding]:
    """`migrations.destructive` errors for every environment directory under the config's output."""
    target = config.root / config.output
    sql = target / "sql"
    if not sql.is_dir():
        return []
    files: dict[str, str] = {}
    for directory in sorted(path for path in sql.iterdir() if path.is_dir()):
        for name, text in migration_texts(directory, config)[0].items():
            files[f"sql/{directory.name}/{name}"] = text
    history = MigrationHistory(None, approvals=read_approvals(target, config), output=_shown(target, config))
    return migration_gates(governed, files, history)


def migration_findings(config: ProjectConfig) -> list[Finding]:
    """`migrations.tampered` errors for every environment directory under the config's output, and
    the `sql.valid.*` errors of any statement in its migrations that Databricks would refuse."""
    sql = config.root / config.output / "sql"
    if not sql.is_dir():
        return []
    findings: list[Finding] = []
    for directory in sorted(path for path in sql.iterdir() if path.is_dir()):
        files, sum_text = migration_texts(directory, config)
        shown = (Path(config.output) / "sql" / directory.name).as_posix()
        findings += verify_migrations(shown, files, sum_text)
        findings += validate_files((f"{shown}/{name}", text) for name, text in files.items())
    return findings


def model_at_revision(config: ProjectConfig, revision: str) -> Project | None:
    """model.json as the git revision `revision` holds it; None when it holds none (a first run)."""
    path = (Path(config.output) / MODEL_FILE).as_posix()
    if revision.startswith("-"):
        raise AcceleratorError(f"--base {revision!r} is not a git revision")
    try:
        shown = subprocess.run(
            ["git", "-C", str(config.root), "show", f"{revision}:./{path}"],
            capture_output=True,
            text=True,
            check=False,
        )
        known = subprocess.run(
            ["git", "-C", str(config.root), "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as error:
        raise AcceleratorError(f"cannot run git for --base: {error}", hint="install git") from None
    if shown.returncode == 0:
        return read_model(shown.stdout, f"{revision}:{path}")
    if known.returncode != 0:
        raise AcceleratorError(
            f"--base {revision!r} is not a commit of the repository at {config.root}",
            hint="give a branch, tag or commit, e.g. --base origin/main",
        )
    return None


def approve(
    config: ProjectConfig,
    governed: Governed,
    code: str,
    obj: str,
    environment: str | None,
    approved_by: str,
    approved_at: str,
) -> Approval:
    """Record an approval of the destructive change `code` on `obj` (in `environment`, or every
    one) in `<output>/approvals.json`, bound to the change as the migrations, or else the pending
    diff, hold it. Which change that is, is `plan.gates.gate_to_approve` (the conversation's
    `allow` asks it too); here only the reading and the writing."""
    gates, approvals = gate_context(config, governed, environment)
    allow = governed.policy.spec.rules.migrations.allow_destructive
    gate = gate_to_approve(code, obj, environment, gates, approvals, allow)
    approval = approval_of(gate, environment, approved_by, approved_at)
    record_approvals(config, [approval])
    return approval


def gate_context(
    config: ProjectConfig, governed: Governed, environment: str | None = None
) -> tuple[list[Gate], list[Approval]]:
    """The destructive changes an approval can name (those of the output directory's migrations,
    then those of the diff to `governed` from the model each environment's migrations lead to:
    `sql/<env>/model.json`, else model.json), and the approvals recorded."""
    from accelerator.plan import Change, diff
    from accelerator.plan.migrations import changes_in, empty_like

    target = config.root / config.output
    approvals = read_approvals(target, config)
    gates: list[Gate] = []
    sql = target / "sql"
    for directory in sorted(p for p in sql.iterdir() if p.is_dir()) if sql.is_dir() else []:
        if environment is not None and directory.name != environment:
            continue
        for name, text in migration_texts(directory, config)[0].items():
            gates += gates_in(f"{_shown(target, config)}/sql/{directory.name}/{name}", text, directory.name)
    model_path = target / MODEL_FILE
    previous = read_model(_read(model_path, config), str(model_path)) if model_path.exists() else None
    names = [environment] if environment is not None else [e.name for e in governed.project.environments]
    shared: list[Change] | None = None  # the diff from model.json, the same for every environment
    pending: dict[str, list[Change]] = {}
    for env in names:  # from the model the environment's migrations lead to: its baseline, else model.json
        baseline = sql / env / BASELINE_FILE
        if baseline.is_file():
            changes = diff(read_model(_read(baseline, config), str(baseline)), governed.project)
        else:
            shared = (
                shared
                if shared is not None
                else diff(previous or empty_like(governed.project), governed.project)
            )
            changes = shared
        pending[env] = changes_in(changes, env)
    gates += diff_gates(pending)
    return gates, approvals


def record_approvals(config: ProjectConfig, new: Sequence[Approval]) -> list[Approval]:
    """Add `new` to `<output>/approvals.json` (each replaces an approval of the same code, object and
    environment, unless that one is later); the approvals as written."""
    target = config.root / config.output
    approvals = read_approvals(target, config)
    for approval in new:
        key = (approval.code, approval.object_path.lower(), approval.environment)
        if any(
            (a.code, a.object_path.lower(), a.environment) == key and a.approved_at > approval.approved_at
            for a in approvals
        ):
            continue  # renewed since (say, in the terminal): the later approval stands
        approvals = with_approval(approvals, approval)
    path = target / APPROVALS_FILE
    config.inside_root(path.absolute(), setting=("output",))
    text = render_approvals(approvals)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return approvals


def turn_gates(config: ProjectConfig, governed: Governed) -> dict[str, Any]:
    """What a conversation turn carries for `allow` (the `Turn`'s `gates` and `approvals`): the
    destructive changes as the output directory and the diff to `governed` hold them, and the
    approvals recorded. A channel passes it with each turn, read before the turn's lock."""
    gates, approvals = gate_context(config, governed)
    return {"gates": [asdict(g) for g in gates], "approvals": [asdict(a) for a in approvals]}


def record_conversation_approvals(config: ProjectConfig, records: Sequence[Mapping[str, Any]]) -> None:
    """Write the approvals a conversation granted (its state's `approvals`) to approvals.json;
    idempotent, so a channel calls it after every turn (a later approval of the same change stands)."""
    if records:
        record_approvals(
            config,
            [Approval(**{key: record[key] for key in Approval.__dataclass_fields__}) for record in records],
        )
