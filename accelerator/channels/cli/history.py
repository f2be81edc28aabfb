"""Reading what the last generation left in the output directory: model.json, each environment's
migrations and migrations.sum; and the model a git revision holds (`plan --base REF`)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from accelerator.config import ProjectConfig
from accelerator.errors import AcceleratorError
from accelerator.generate import MigrationHistory
from accelerator.model import Finding
from accelerator.model.elements import Project
from accelerator.plan.migrations import SUM_FILE, migration_version, verify_migrations

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
    return MigrationHistory(previous, migrations, sums)


def migration_findings(config: ProjectConfig) -> list[Finding]:
    """`migrations.tampered` errors for every environment directory under the config's output."""
    sql = config.root / config.output / "sql"
    if not sql.is_dir():
        return []
    findings: list[Finding] = []
    for directory in sorted(path for path in sql.iterdir() if path.is_dir()):
        files, sum_text = migration_texts(directory, config)
        shown = (Path(config.output) / "sql" / directory.name).as_posix()
        findings += verify_migrations(shown, files, sum_text)
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
