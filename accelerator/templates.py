"""Where the repository's `templates/` directory (SQL templates, scaffolding) is."""

from pathlib import Path

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
