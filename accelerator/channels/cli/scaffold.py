"""`accelerator init`: scaffold accelerator.yaml, a sample ERD, the default policy and the calling
GitHub workflows (`.github/workflows/uc-bot.yml`, `uc-plan.yml`, `uc-apply.yml`, `uc-drift.yml`,
each a few lines that call this repository's reusable workflows by reference) into a directory."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from accelerator.errors import AcceleratorError
from accelerator.policy import DEFAULT_POLICY_PATH
from accelerator.templates import TEMPLATES_DIR

SCAFFOLD_DIR = TEMPLATES_DIR / "scaffold"
WORKFLOW_TEMPLATES = SCAFFOLD_DIR / "workflows"  # not `.github`: package data globs skip dot folders
WORKFLOW_NAMES = ("uc-bot.yml", "uc-plan.yml", "uc-apply.yml", "uc-drift.yml")
# Where the reusable workflows live (`uses: <repository>/.github/workflows/<name>@<ref>`).
WORKFLOWS_REPOSITORY = "OWNER/databricks-uc-accelerator"
WORKFLOWS_REF = "main"
REPOSITORY = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}")
REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,99}")


def workflow_files(
    environments: list[str], repository: str = WORKFLOWS_REPOSITORY, ref: str = WORKFLOWS_REF
) -> dict[str, str]:
    """The calling workflows by file name, referring to `repository`'s reusable workflows at `ref`."""
    if not REPOSITORY.fullmatch(repository):
        raise AcceleratorError(
            f"{repository!r} is not a GitHub repository (OWNER/NAME)",
            hint="name the repository holding .github/workflows/accelerator-*.yml, e.g. acme/databricks-uc-accelerator",
        )
    if not REF.fullmatch(ref) or ".." in ref:
        raise AcceleratorError(
            f"{ref!r} is not a git ref", hint="a branch, a tag or a commit, e.g. main or v1.2.0"
        )
    listed = "[" + ", ".join(f'"{name}"' for name in environments) + "]"
    return {
        name: (WORKFLOW_TEMPLATES / name)
        .read_text(encoding="utf-8")
        .replace("{workflows}", repository)
        .replace("{ref}", ref)
        .replace("{environments}", listed)
        for name in WORKFLOW_NAMES
    }


def scaffold(
    directory: Path,
    *,
    force: bool = False,
    workflows_repository: str = WORKFLOWS_REPOSITORY,
    workflows_ref: str = WORKFLOWS_REF,
) -> list[Path]:
    """Create the starter files; refuse to overwrite unless `force`. Returns the files written."""
    project = re.sub(r"[^a-z0-9_]+", "_", directory.resolve().name.lower()).strip("_") or "main"
    config = (SCAFFOLD_DIR / "accelerator.yaml").read_text(encoding="utf-8").replace("{project}", project)
    environments = [str(env) for env in yaml.safe_load(config)["environments"]]
    files = {
        directory / "accelerator.yaml": config,
        directory / "erd" / "model.dbml": (SCAFFOLD_DIR / "erd" / "model.dbml").read_text(encoding="utf-8"),
        directory / "policies" / "governance.yaml": DEFAULT_POLICY_PATH.read_text(encoding="utf-8"),
    }
    for name, text in workflow_files(environments, workflows_repository, workflows_ref).items():
        files[directory / ".github" / "workflows" / name] = text
    existing = [path for path in files if path.exists()]
    if existing and not force:
        raise AcceleratorError(
            f"{existing[0]} already exists", hint="use --force to overwrite, or choose another directory"
        )
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)
