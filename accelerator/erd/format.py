"""What an ERD format is: its name, file extensions, reader and patcher (the sqlglot dialect pattern).

Each format package (`erd/dbml`, `erd/mermaid`, `erd/sql`) declares its `Format`s; readers and
patchers are imported on first use, so naming a format does not load sqlglot or lark.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accelerator.erd.parsed import ParsedErd
    from accelerator.erd.patch_inputs import ErdPatcher


@dataclass(frozen=True)
class Format:
    """One ERD format. `parse(text, file, dialect, default_schema)` reads a file into schemas;
    `patcher(file, text, dialect)` plans minimal text edits of one."""

    name: str
    extensions: tuple[str, ...]
    parse: Callable[[str, str, str, str], ParsedErd]
    patcher: Callable[[str, str, str], ErdPatcher]
