"""One SQL file being read: its text, positions, dialect, declared enums, findings, and types.

Every reader of the SQL DDL parser shares one `DdlSource`: it turns character offsets into spans,
identifiers into name spans (without their quotes), and source types into Databricks types.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import attrgetter
from typing import NamedTuple

from sqlglot import exp
from sqlglot.parser import Parser
from sqlglot.tokenizer_core import Token, TokenType
from sqlglot.tokens import Tokenizer

from accelerator.erd.parsed import LineIndex
from accelerator.erd.sql.tokens import Item, Statement, split_statements, type_end
from accelerator.erd.types import MappedType, map_type
from accelerator.errors import ModelError, UnknownTypeError
from accelerator.model import Column, Finding, Severity, Span, Table


@dataclass
class DdlSource:
    """One SQL file being read: text, positions, dialect, the enums declared so far, findings."""

    text: str
    file: str
    dialect: str
    lines: LineIndex
    enums: dict[str, list[str]] = field(default_factory=dict)
    domains: dict[str, str] = field(default_factory=dict)  # lower name, with and without schema -> base type
    findings: list[Finding] = field(default_factory=list)
    type_cache: dict[str, MappedType] = field(default_factory=dict)
    literal_defaults: dict[tuple[str, bool], str | None] = field(default_factory=dict)
    type_extents: dict[int, tuple[int, str]] = field(default_factory=dict)  # start -> (end, affinity)

    def span(self, start: int, end: int) -> Span:
        # LineIndex.span with bisect, positional arguments, and one bisect for the usual span that
        # ends on the line it starts on: a file has tens of thousands of spans
        starts = self.lines.starts
        line = bisect_right(starts, start)
        line_start = starts[line - 1]
        if line == len(starts) or end < starts[line]:
            return Span(self.file, line, start - line_start + 1, line, end - line_start + 1)
        end_line = bisect_right(starts, end, lo=line)
        return Span(self.file, line, start - line_start + 1, end_line, end - starts[end_line - 1] + 1)

    def item_span(self, statement: Statement, item: Item) -> Span:
        first, last = item
        return self.span(statement.tokens[first].start, statement.tokens[last - 1].end + 1)

    def name_span(self, identifier: exp.Expr | None) -> Span | None:
        """The span of a name as written, without its quotes (`"Order"` -> `Order`)."""
        if not isinstance(identifier, exp.Identifier):
            return None
        meta = identifier.meta
        if "start" not in meta:
            return None
        start, end = meta["start"], meta["end"] + 1
        if identifier.args.get("quoted"):
            start, end = start + 1, end - 1
        return self.span(start, end)

    def note(
        self, rule: str, severity: Severity, message: str, span: Span | None, obj: str | None = None
    ) -> None:
        self.findings.append(Finding(rule=rule, severity=severity, message=message, span=span, object=obj))

    def model_error(self, message: str, span: Span | None, hint: str) -> ModelError:
        line, column = (span.line, span.column) if span else (1, 1)
        return ModelError(message, file=self.file, line=line, column=column, hint=hint, source=self.text)

    def add_enum(self, create: exp.Expr) -> None:
        """`CREATE TYPE [schema.]name AS ENUM (...)`, known by its name with and without schema."""
        datatype = create.args.get("expression")
        if not isinstance(datatype, exp.DataType) or not datatype.is_type(exp.DataType.Type.ENUM):
            return
        values = [value.name for value in datatype.expressions]
        target = create.this
        self.enums[target.name] = values
        if target.args.get("db") is not None:
            self.enums[f"{target.args['db'].name}.{target.name}"] = values

    def add_domain(self, statement: Statement) -> None:
        """`CREATE DOMAIN [schema.]name [AS] type [constraints]`: a column of the domain has its base
        type; the domain's default and constraints are not kept, and a warning says so."""
        tokens, text = statement.tokens, self.text
        index, names = 2, []
        while index < len(tokens):
            names.append(tokens[index].text)
            if index + 1 < len(tokens) and tokens[index + 1].token_type == TokenType.DOT:
                index += 2
                continue
            index += 1
            break
        if index < len(tokens) and tokens[index].text.upper() == "AS":
            index += 1
        if index >= len(tokens):
            return
        end = type_end(tokens, index, len(tokens))
        base = text[tokens[index].start : tokens[end - 1].end + 1]
        name = ".".join(names)
        self.domains[names[-1].lower()] = base
        self.domains[name.lower()] = base
        if end < len(tokens):
            rest = " ".join(text[tokens[end].start : tokens[-1].end + 1].split())
            self.note(
                "sql.domain.constraint",
                "warn",
                f"domain {name}: {rest[:80]} is not kept: columns of type {name} get its base type "
                f"{base}; add the constraint to each column's table (ALTER TABLE ... ADD CONSTRAINT "
                "... CHECK) if it must hold",
                self.span(tokens[end].start, tokens[-1].end + 1),
                name,
            )

    def map_type(self, raw: str, datatype: exp.DataType | None, start: int, end: int) -> MappedType:
        """Map the type as written at text[start:end]; if the type tables cannot read it (`[int]`,
        `STRUCT(a INT)`), map sqlglot's reading of it instead, and report the user's spelling if
        both fail. Mapped once per spelling: the enums are all known before the first column."""
        cached = self.type_cache.get(raw)
        if cached is not None:
            return cached
        span = self.span(start, end)
        base = self.domains.get(raw.replace('"', "").lower()) if self.domains else None
        if base is not None:
            mapped = self.map_type(base, None, start, end)
            self.type_cache[raw] = mapped
            return mapped
        try:
            mapped = map_type(raw, family=self.dialect, enums=self.enums, span=span, source=self.text)
        except UnknownTypeError as unknown:
            rendered = render_type(datatype, self.dialect) if datatype is not None else raw
            if rendered.lower() == raw.lower():
                raise
            try:
                mapped = map_type(
                    rendered, family=self.dialect, enums=self.enums, span=span, source=self.text
                )
            except UnknownTypeError:
                raise unknown from None
        self.type_cache[raw] = mapped
        return mapped


def render_type(datatype: exp.DataType, dialect: str) -> str:
    """sqlglot's type in the type tables' notation: nested types with `<>`, leaves in `dialect`."""
    children = datatype.expressions
    if datatype.is_type(exp.DataType.Type.ARRAY) and children:
        return f"array<{_render_child(children[0], dialect)}>"
    if datatype.is_type(exp.DataType.Type.MAP) and len(children) == 2:
        return f"map<{_render_child(children[0], dialect)}, {_render_child(children[1], dialect)}>"
    if datatype.is_type(exp.DataType.Type.STRUCT) and children:
        fields = ", ".join(f"{child.name}: {_render_child(child, dialect)}" for child in children)
        return f"struct<{fields}>"
    return datatype.sql(dialect=dialect)


def _render_child(node: exp.Expr, dialect: str) -> str:
    kind = node.args.get("kind") if isinstance(node, exp.ColumnDef) else node
    return render_type(kind, dialect) if isinstance(kind, exp.DataType) else node.sql(dialect=dialect)


@contextmanager
def quiet_sqlglot() -> Iterator[None]:
    """sqlglot logs a warning when it falls back to an opaque Command; the reader reports those
    statements itself, so the log line is noise for the user."""
    logger = logging.getLogger("sqlglot")

    def drop_fallback(record: logging.LogRecord) -> bool:
        return "contains unsupported syntax" not in record.getMessage()

    logger.addFilter(drop_fallback)
    try:
        yield
    finally:
        logger.removeFilter(drop_fallback)


class SimpleComment(NamedTuple):
    """`COMMENT ON TABLE|COLUMN a.b.c IS 'text'`, read from its tokens alone."""

    kind: TokenType  # TokenType.TABLE or TokenType.COLUMN
    names: list[str]
    text: str


def simple_comment(tokens: list[Token]) -> SimpleComment | None:
    """The statement as a `SimpleComment` if it is exactly that shape (plain or quoted names, a
    plain string), else None. pg_dump writes one per documented column, and a dialect whose
    parser reads them in the standard way (`reads_comments_plainly`) gets the same reading as
    sqlglot's, for a fraction of the cost."""
    count = len(tokens)
    if count < 6 or count % 2 or tokens[0].token_type is not _COMMENT:
        return None
    kind = tokens[2].token_type
    if (
        tokens[1].token_type is not _ON
        or kind not in _COMMENT_KINDS
        or tokens[-2].token_type is not _IS
        or tokens[-1].token_type is not _STRING
    ):
        return None
    names = tokens[3:-2:2]
    for token in names:
        if token.token_type not in _NAME_TOKENS:
            return None
    for token in tokens[4:-2:2]:
        if token.token_type is not _DOT:
            return None
    return SimpleComment(kind, [token.text for token in names], tokens[-1].text)


_COMMENT, _ON, _IS, _STRING, _DOT = (
    TokenType.COMMENT,
    TokenType.ON,
    TokenType.IS,
    TokenType.STRING,
    TokenType.DOT,
)
_COMMENT_KINDS = {TokenType.TABLE, TokenType.COLUMN}
_NAME_TOKENS = {TokenType.VAR, TokenType.IDENTIFIER}
# The parser methods that read `COMMENT ON TABLE|COLUMN name IS 'text'`: a dialect that overrides
# none of them reads it as the base parser does. They and TOKENIZER_INTERNALS are sqlglot's private
# names: pyproject.toml pins sqlglot's major version, and tests/erd/test_sql.py checks they exist.
COMMENT_METHODS = (
    "_parse_statement",
    "_parse_comment",
    "_parse_exists",
    "_parse_table",
    "_parse_table_parts",
    "_parse_table_alias",
    "_parse_column",
    "_parse_column_reference",
    "_parse_column_ops",
    "_parse_field",
    "_parse_primary",
    "_parse_id_var",
    "_parse_identifier",
    "_parse_var",
    "_parse_string",
)


def reads_comments_plainly(parser: type[Parser]) -> bool:
    """Whether `parser` (a dialect's parser class) reads a `SimpleComment` as the base parser does."""
    own = parser.__mro__[: parser.__mro__.index(Parser)] if Parser in parser.__mro__ else ()
    if any(name in vars(cls) for cls in own for name in COMMENT_METHODS):
        return False
    base = (Parser.STATEMENT_PARSERS, Parser.STRING_PARSERS)
    return (
        _COMMENT_KINDS <= parser.CREATABLES
        and parser.STATEMENT_PARSERS.get(TokenType.COMMENT) is base[0].get(TokenType.COMMENT)
        and parser.STRING_PARSERS.get(TokenType.STRING) is base[1].get(TokenType.STRING)
    )


def apply_comment(
    comment: SimpleComment,
    tables: dict[tuple[str, str], Table],
    columns: dict[int, dict[str, Column]],
    current_schema: str,
) -> bool:
    """Set a comment on a table or column the file has defined (`tables` by lower schema and name,
    `columns` by id(table), then lower name); False for any other, which the reader then hands to
    sqlglot and its `COMMENT ON` reader, so that the error is reported as for any comment."""
    names, column = comment.names, None
    if comment.kind == TokenType.TABLE and len(names) <= 3:  # [catalog.][schema.]table
        schema = names[-2] if len(names) > 1 else current_schema
        table = tables.get((schema.lower(), names[-1].lower()))
    elif comment.kind == TokenType.COLUMN and 2 <= len(names) <= 4:  # [[catalog.]schema.]table.column
        schema = names[-3] if len(names) > 2 else current_schema
        table = tables.get((schema.lower(), names[-2].lower()))
        column = columns[id(table)].get(names[-1].lower()) if table is not None else None
        if column is None:
            return False
    else:
        return False
    if table is None:
        return False
    (column or table).comment = comment.text
    return True


_SPACE = "[ \t\r\n]+"
_WORD = "[A-Za-z_][A-Za-z0-9_]*"
_LANE_COMMENT = re.compile(
    rf"(?i:COMMENT){_SPACE}(?i:ON){_SPACE}(?i:(TABLE|COLUMN)){_SPACE}({_WORD}(?:\.{_WORD})*)"
    rf"{_SPACE}(?i:IS){_SPACE}'([^'\\\r\n]*)'[ \t]*;"
)
# What CommentLane.for_tokenizer reads of a tokenizer class: its quote table, and the methods that
# tokenize (a dialect overriding one tokenizes its own way).
TOKENIZER_INTERNALS = ("_QUOTES", "_core", "tokenize")
_token_start = attrgetter("start")
_LANE_KINDS = {"TABLE": TokenType.TABLE, "COLUMN": TokenType.COLUMN}
_LANE_WORDS = {"COMMENT": TokenType.COMMENT, "ON": TokenType.ON, "IS": TokenType.IS, **_LANE_KINDS}


class CommentLane:
    """Reads a file's `SimpleComment`s from its text, without tokenizing them.

    A pg_dump-style file is mostly `COMMENT ON COLUMN s.t.c IS '...';`, and tokenizing those is
    most of the tokenizer's time. The lane blanks each one out (same length, same line breaks, so
    every other token keeps its offsets, lines and columns), tokenizes the rest, and keeps a blanked
    comment only where the tokenizer would have read it as a statement of its own: right after a
    `;` (or at the start), with nothing but spaces on either side. Its words are then known to be
    tokens of their plain kinds: the lane is only used for a tokenizer whose keywords and
    characters make them so (`for_tokenizer`), and only for names that are no keyword.
    """

    def __init__(self, tokenize: Callable[[str], list[Token]], keywords: set[str]) -> None:
        self.tokenize = tokenize
        self.keywords = keywords  # keywords, and first words of multi-word keywords

    @classmethod
    def for_tokenizer(
        cls, tokenizer: type[Tokenizer], tokenize: Callable[[str], list[Token]]
    ) -> CommentLane | None:
        keywords = tokenizer.KEYWORDS
        first_words = {key.split()[0] for key in keywords if " " in key}
        single = tokenizer.SINGLE_TOKENS
        plain = (
            all(keywords.get(word) is kind and word not in first_words for word, kind in _LANE_WORDS.items())
            and TokenType.COMMENT not in tokenizer.COMMANDS
            and single.get(".") is TokenType.DOT
            and single.get(";") is TokenType.SEMICOLON
            and "." not in tokenizer.VAR_SINGLE_TOKENS
            and not any(char.isalnum() or char == "_" for char in single)
            and getattr(tokenizer, "_QUOTES", {}).get("'") == "'"
            and not any(
                name in vars(c)
                for c in tokenizer.__mro__[: tokenizer.__mro__.index(Tokenizer)]
                for name in TOKENIZER_INTERNALS[1:]
            )
        )
        return cls(tokenize, set(keywords) | first_words) if plain else None

    def read(self, text: str) -> list[Statement | SimpleComment] | None:
        """The file's statements in order, its plain comments read from the text; None if the
        lane finds none, or one that is not a statement of its own (then tokenize the file)."""
        found: list[tuple[int, int, SimpleComment]] = []

        def blank(match: re.Match[str]) -> str:
            region, qualified = match.group(0), match.group(2)
            if not self.keywords.isdisjoint(qualified.upper().split(".")):
                return region
            kind = _LANE_KINDS[match.group(1).upper()]
            found.append(
                (match.start(), match.end(), SimpleComment(kind, qualified.split("."), match.group(3)))
            )
            if "\n" in region or "\r" in region:
                return re.sub(r"[^\r\n]", " ", region)
            return " " * len(region)

        masked = _LANE_COMMENT.sub(blank, text)
        if not found:
            return None
        tokens = self.tokenize(masked)
        starts = list(map(_token_start, tokens))
        next_starts = [start for start, _, _ in found[1:]] + [len(masked)]
        previous_end = 0
        for (start, end, _), next_start in zip(found, next_starts, strict=True):
            index = bisect_left(starts, start)
            before = tokens[index - 1] if index else None
            if before is not None and before.token_type is not TokenType.SEMICOLON:
                return None
            after = min(tokens[index].start, next_start) if index < len(tokens) else next_start
            gap = max(before.end + 1, previous_end) if before is not None else previous_end
            if masked[gap:start].strip() or masked[end:after].strip():
                return None
            previous_end = end
        statements = split_statements(tokens, strict=True)
        read: list[Statement | SimpleComment] = []
        position = 0
        for start, _, comment in found:
            while position < len(statements) and statements[position].start < start:
                read.append(statements[position])
                position += 1
            read.append(comment)
        read += statements[position:]
        return read
