"""ERD parsers: DBML, Mermaid `erDiagram` (also inside Markdown) and SQL DDL, all into one model.

Each format is a small module with one entry point returning a `ParsedErd`; `parse_erd` picks one by
format name or file extension.
"""

from __future__ import annotations

from pathlib import PurePath

from accelerator.erd.parsed import ParsedErd
from accelerator.errors import AcceleratorError
from accelerator.gcpause import without_collection

FORMATS = ("dbml", "mermaid", "markdown", "sql")
EXTENSIONS = {
    ".dbml": "dbml",
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
    ".md": "markdown",
    ".markdown": "markdown",
    ".sql": "sql",
    ".ddl": "sql",
}


def detect_format(file: str) -> str:
    suffix = PurePath(file).suffix.lower()
    if suffix not in EXTENSIONS:
        raise AcceleratorError(
            f"{file}: cannot tell the ERD format from the extension {suffix or '(none)'!r}",
            hint="use one of " + ", ".join(sorted(EXTENSIONS)) + " or set `format:` in accelerator.yaml",
        )
    return EXTENSIONS[suffix]


@without_collection  # a parse builds a large graph that stays alive: see gcpause.py
def parse_erd(
    text: str,
    file: str,
    *,
    format: str | None = None,
    dialect: str = "postgres",
    default_schema: str = "default",
) -> ParsedErd:
    """Parse one ERD file of any supported format."""
    kind = format or detect_format(file)
    if kind == "dbml":
        from accelerator.erd.dbml.reader import parse_dbml

        return parse_dbml(text, file, default_schema=default_schema)
    if kind == "mermaid":
        from accelerator.erd.mermaid.reader import parse_mermaid

        return parse_mermaid(text, file, default_schema=default_schema)
    if kind == "markdown":
        from accelerator.erd.mermaid.reader import parse_markdown

        return parse_markdown(text, file, default_schema=default_schema)
    if kind == "sql":
        from accelerator.erd.sql.reader import parse_sql

        return parse_sql(text, file, dialect=dialect, default_schema=default_schema)
    raise AcceleratorError(f"unknown ERD format {kind!r}", hint="use one of " + ", ".join(FORMATS))


__all__ = ["EXTENSIONS", "FORMATS", "ParsedErd", "detect_format", "parse_erd"]
