"""The located syntax tree of a DBML file: what `dbml_syntax.py` reads and `dbml.py` builds from.

Offsets are character offsets into the source text (end exclusive); `erd/parsed.LineIndex` turns them
into spans, and the agent's DBML patcher edits the text at them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accelerator.erd.dbml.tokens import Token


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
    `dbml_syntax.Scan`) instead of holding a copy. `node` is None for Project, TableGroup and Note.
    """

    node: TableNode | EnumNode | RefNode | None
    start: int
    stop: int  # where the scanner went on: after the line break that ends the block, len + 1 at the end
    built: object = None  # what the model builder made of it (`dbml._TableTemplate`): replaced, not changed
