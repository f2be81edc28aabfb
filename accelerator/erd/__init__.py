"""ERD parsers: DBML, Mermaid `erDiagram` (also inside Markdown) and SQL DDL, all into one model.

Each format is a package that reads and patches its text (`erd/format.py`); `parse_erd` picks one by
format name or file extension.
"""

from __future__ import annotations

from pathlib import PurePath

from accelerator.erd.dbml import DBML
from accelerator.erd.format import Format
from accelerator.erd.mermaid import MARKDOWN, MERMAID
from accelerator.erd.parsed import ParsedErd
from accelerator.erd.sql import SQL
from accelerator.errors import AcceleratorError

# Every format, by name; a file's extension picks one unless accelerator.yaml sets `format:`.
FORMATS: dict[str, Format] = {f.name: f for f in (DBML, MERMAID, MARKDOWN, SQL)}
EXTENSIONS: dict[str, str] = {extension: f.name for f in FORMATS.values() for extension in f.extensions}


def detect_format(file: str) -> str:
    suffix = PurePath(file).suffix.lower()
    if suffix not in EXTENSIONS:
        raise AcceleratorError(
            f"{file}: cannot tell the ERD format from the extension {suffix or '(none)'!r}",
            hint="use one of " + ", ".join(sorted(EXTENSIONS)) + " or set `format:` in accelerator.yaml",
        )
    return EXTENSIONS[suffix]


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
    if kind not in FORMATS:
        raise AcceleratorError(f"unknown ERD format {kind!r}", hint="use one of " + ", ".join(FORMATS))
    return FORMATS[kind].parse(text, file, dialect, default_schema)


__all__ = ["EXTENSIONS", "FORMATS", "Format", "ParsedErd", "detect_format", "parse_erd"]
