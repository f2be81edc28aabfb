"""The located syntax tree of a DBML file: what `erd/dbml/syntax.py` reads and `erd/dbml/reader.py`
builds from, down to its tokens.

Offsets are character offsets into the source text (end exclusive); `erd/parsed.py`'s `LineIndex`
turns them into spans, and `erd/dbml/patch.py` edits the text at them.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_ESCAPED = {"n": "\n", "t": "\t", "r": "\r"}


class Token(NamedTuple):
    kind: str  # word, quoted, string, expr, color, punct, newline, eof; "type" and "number" from the grammar
    text: str  # as written, quotes included
    start: int
    end: int

    @property
    def value(self) -> str:
        """The text a name or literal stands for: quotes removed, escapes resolved."""
        if self.kind == "word":
            return self.text
        if self.kind == "quoted" or (self.kind == "string" and not self.text.startswith("'''")):
            return _unescape(self.text[1:-1])
        if self.kind == "string":
            return _dedent(_unescape(self.text[3:-3]))
        if self.kind == "expr":
            return self.text[1:-1]
        return self.text

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words

    def is_punct(self, *marks: str) -> bool:
        return self.kind == "punct" and self.text in marks


# Builds a Token without NamedTuple's Python-level __new__: the scanner makes 100,000s of them.
new_token: Callable[[type[Token], tuple[str, str, int, int]], Token] = tuple.__new__


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    return _ESCAPE.sub(lambda m: _ESCAPED.get(m.group(1), m.group(1)), text)


def _dedent(text: str) -> str:
    """DBML's multi-line strings drop the common indentation and the blank first/last line."""
    return textwrap.dedent(text.strip("\n")).strip()


@dataclass(slots=True)
class Setting:
    """One entry of a `[...]` list: `pk`, `note: '...'`, `default: 0`, `ref: > t.c`."""

    key: str  # normalized: "pk", "not null", "note", "default", "ref", "headercolor", ...
    start: int
    end: int
    value: Token | None = None  # note text, default literal, index name or type
    relation: Token | None = None  # inline ref only
    endpoint: Endpoint | None = None  # inline ref only


@dataclass(slots=True)
class Endpoint:
    """`table.column`, `schema.table.column` or `schema.table.(a, b)` in a reference."""

    table: list[Token]  # [table] or [schema, table]
    columns: list[Token]
    start: int
    end: int


@dataclass(slots=True)
class ColumnNode:
    name: Token
    type: Token  # kind "type" (or "quoted"); `value` is the type as written, without quotes
    settings: list[Setting]
    start: int
    end: int


@dataclass(slots=True)
class IndexNode:
    subjects: list[Token]  # names or `expressions`
    settings: list[Setting]
    start: int
    end: int


@dataclass(slots=True)
class TableNode:
    name: list[Token]  # [table] or [schema, table]
    alias: Token | None
    settings: list[Setting]
    start: int
    end: int = 0
    columns: list[ColumnNode] = field(default_factory=list)
    indexes: list[IndexNode] = field(default_factory=list)
    note: Token | None = None
    checks: list[IndexNode] = field(default_factory=list)  # `checks { `expr` [name: '...'] }`


@dataclass(slots=True)
class EnumNode:
    name: list[Token]
    values: list[Token]
    start: int
    end: int


@dataclass(slots=True)
class RefNode:
    """A long-form `Ref name: a.b > c.d` or `Ref { ... }`."""

    name: Token | None
    left: Endpoint
    relation: Token
    right: Endpoint
    start: int
    end: int


@dataclass(slots=True)
class DbmlDocument:
    tables: list[TableNode] = field(default_factory=list)
    enums: list[EnumNode] = field(default_factory=list)
    refs: list[RefNode] = field(default_factory=list)


@dataclass(slots=True)
class Block:
    """One top-level block as the scanner read it, in the text it was first read in.

    Later versions of the text that hold the same block elsewhere refer to it with a shift (see
    `erd/dbml/syntax.py`'s `Scan`) instead of holding a copy. `node` is None for Project, TableGroup and Note.
    """

    node: TableNode | EnumNode | RefNode | None
    start: int
    stop: int  # where the scanner went on: after the line break that ends the block, len + 1 at the end
    built: object = None  # what erd/dbml/reader.py built of it (its template): replaced, never changed
