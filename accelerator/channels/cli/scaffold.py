"""`accelerator init`: scaffold accelerator.yaml, a sample ERD and the default policy into a directory."""

from __future__ import annotations

import re
from pathlib import Path

from accelerator.errors import AcceleratorError
from accelerator.policy import DEFAULT_POLICY_PATH
from accelerator.templates import TEMPLATES_DIR

SCAFFOLD_DIR = TEMPLATES_DIR / "scaffold"


def scaffold(directory: Path, *, force: bool = False) -> list[Path]:
    """Create the starter files; refuse to overwrite unless `force`. Returns the files written."""
    project = re.sub(r"[^a-z0-9_]+", "_", directory.resolve().name.lower()).strip("_") or "main"
    files = {
        directory / "accelerator.yaml": (SCAFFOLD_DIR / "accelerator.yaml")
        .read_text(encoding="utf-8")
        .replace("{project}", project),
        directory / "erd" / "model.dbml": (SCAFFOLD_DIR / "erd" / "model.dbml").read_text(encoding="utf-8"),
        directory / "policies" / "governance.yaml": DEFAULT_POLICY_PATH.read_text(encoding="utf-8"),
    }
    existing = [path for path in files if path.exists()]
    if existing and not force:
        raise AcceleratorError(
            f"{existing[0]} already exists", hint="use --force to overwrite, or choose another directory"
        )
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)
