"""DBML: reads a `.dbml` file into the model and patches its text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accelerator.erd.format import Format

if TYPE_CHECKING:
    from accelerator.erd.parsed import ParsedErd
    from accelerator.erd.patch_inputs import ErdPatcher


def _parse(text: str, file: str, dialect: str, default_schema: str) -> ParsedErd:
    from accelerator.erd.dbml.reader import parse_dbml

    return parse_dbml(text, file, default_schema=default_schema)


def _patcher(file: str, text: str, dialect: str) -> ErdPatcher:
    from accelerator.erd.dbml.patch import DbmlPatcher

    return DbmlPatcher(file, text)


DBML = Format("dbml", (".dbml",), _parse, _patcher)
