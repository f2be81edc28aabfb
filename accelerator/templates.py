"""Where the `templates/` directory (SQL templates, scaffolding) is: the checkout's, or the wheel's copy."""

from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent / "templates"
# pyproject.toml installs templates/ as the package data `accelerator/bundled_templates`.
TEMPLATES_DIR = _CHECKOUT if _CHECKOUT.is_dir() else Path(__file__).resolve().parent / "bundled_templates"
