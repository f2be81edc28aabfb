"""SQL DDL in any dialect sqlglot reads: reads a `.sql` file into the model and patches its text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accelerator.erd.format import Format

if TYPE_CHECKING:
    from accelerator.erd.parsed import ParsedErd
    from accelerator.erd.patch_inputs import ErdPatcher


def _parse(text: str, file: str, dialect: str, default_schema: str) -> ParsedErd:
    from accelerator.erd.sql.reader import parse_sql

    return parse_sql(text, file, dialect=dialect, default_schema=default_schema)


def _patcher(file: str, text: str, dialect: str) -> ErdPatcher:
    from accelerator.erd.sql.patch import SqlPatcher

    return SqlPatcher(file, text, dialect)


SQL = Format("sql", (".sql", ".ddl"), _parse, _patcher)
