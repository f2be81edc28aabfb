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
    """One ERD format. `read(text, file, dialect, default_schema)` reads a file into schemas, which
    `parse` fits to Databricks (`accelerator.model.databricks_fit`); `patcher(file, text, dialect)`
    plans minimal text edits of one."""

    name: str
    extensions: tuple[str, ...]
    read: Callable[[str, str, str, str], ParsedErd]
    patcher: Callable[[str, str, str], ErdPatcher]

    def parse(self, text: str, file: str, dialect: str, default_schema: str) -> ParsedErd:
        from accelerator.model.databricks_fit import fit_to_databricks  # loads sqlglot: only when parsing

        parsed = self.read(text, file, dialect, default_schema)
        parsed.findings.extend(fit_to_databricks(parsed.schemas))  # every reader: valid Databricks SQL
        return parsed
