"""Where the `templates/` directory (SQL templates, scaffolding) is: the wheel's copy, or the checkout's."""

from pathlib import Path

# pyproject.toml installs templates/ as the package data `accelerator/bundled_templates`; a checkout
# (and an editable install) has no such folder and reads templates/ beside the package.
_BUNDLED = Path(__file__).resolve().parent / "bundled_templates"
TEMPLATES_DIR = _BUNDLED if _BUNDLED.is_dir() else Path(__file__).resolve().parent.parent / "templates"
