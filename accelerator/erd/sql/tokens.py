"""Token-level helpers for the SQL DDL reader: statements, element lists, type extents.

sqlglot's tokens carry exact character offsets (`start`, `end` inclusive); the AST keeps them only
on identifiers. The reader tokenizes the file once, splits it into statements here, and uses these
helpers to find the extent of what the AST does not locate (a column definition, a key clause, a
type) so that every model element gets an exact span.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from itertools import compress
from operator import attrgetter

from sqlglot import exp
from sqlglot.tokenizer_core import Token, TokenType

_OPENERS = {TokenType.L_PAREN: TokenType.R_PAREN, TokenType.L_BRACKET: TokenType.R_BRACKET}
_CLOSERS = {TokenType.R_PAREN, TokenType.R_BRACKET}
# Words that continue a type after its name: `double precision`, `timestamp(3) with time zone`,
# `character varying(20)`, `int unsigned`, `int array`.
_TYPE_CONTINUATIONS = {
    "with",
    "without",
    "time",
    "zone",
    "local",
    "varying",
    "precision",
    "unsigned",
    "signed",
    "zerofill",
    "array",
}
_NESTED_TYPES = {"ARRAY", "MAP", "STRUCT"}
# T-SQL physical-storage words that change nothing in the model and that sqlglot does not read
# everywhere (`PRIMARY KEY CLUSTERED (...)`, `ALTER TABLE t WITH CHECK ADD ...`).
_TSQL_NOISE = {"CLUSTERED", "NONCLUSTERED"}


class Statement:
    """The tokens of one statement; `start`/`end` are character offsets (end exclusive).

    `semicolon` is the `;` that ends it (None at the end of the file or before T-SQL's `GO`)."""

    __slots__ = ("_starts", "schema", "semicolon", "tokens")

    def __init__(
        self, tokens: list[Token], semicolon: Token | None = None, schema: str | None = None
    ) -> None:
        self.tokens = tokens
        self.semicolon = semicolon
        self.schema = schema  # the schema it is an element of (`CREATE SCHEMA s CREATE TABLE t ...`)
        self._starts: list[int] | None = None  # built on first use: most statements never need it

    @property
    def start(self) -> int:
        return self.tokens[0].start

    @property
    def end(self) -> int:
        return self.tokens[-1].end + 1

    def index_at(self, offset: int) -> int:
        """Index of the token that contains character `offset` (or the last one before it)."""
        if self._starts is None:
            self._starts = [token.start for token in self.tokens]
        return max(bisect_right(self._starts, offset) - 1, 0)

    def keyword(self) -> str:
        """The statement's leading words, for messages: `CREATE INDEX`, `GRANT`."""
        words = [t.text.upper() for t in self.tokens[:3] if t.token_type != TokenType.L_PAREN]
        if len(words) > 1 and words[0] in ("CREATE", "ALTER", "DROP", "COMMENT"):
            if words[1] in ("OR", "UNIQUE", "TEMPORARY", "TEMP", "GLOBAL", "LOCAL"):
                return " ".join(words[:3])
            return " ".join(words[:2])
        return words[0]


class MissingSemicolon(ValueError):
    """A statement starts inside another: the `;` between them is missing (`token` starts it)."""

    def __init__(self, token: Token) -> None:
        super().__init__(token.text)
        self.token = token


def split_statements(
    tokens: list[Token], *, batch_separator: bool = False, strict: bool = False
) -> list[Statement]:
    """Split a file's tokens on `;` (and T-SQL's `GO` batch separator).

    T-SQL needs no `;`, so with `batch_separator` a CREATE or ALTER that starts a statement inside
    another starts a new one; elsewhere, with `strict`, it raises `MissingSemicolon`."""
    # list.index scans in C: a file has 100,000s of tokens and few statements per token
    kinds = list(map(_token_type, tokens))
    cuts: list[int] = []
    index = -1
    try:
        while True:
            index = kinds.index(TokenType.SEMICOLON, index + 1)
            cuts.append(index)
    except ValueError:
        pass
    if batch_separator:
        cuts += [i for i, kind in enumerate(kinds) if kind == TokenType.COMMAND and _is_go(tokens[i])]
        cuts.sort()
    starts = _inner_starts(tokens, kinds, cuts, tsql=batch_separator) if batch_separator or strict else []
    if starts and not batch_separator:
        raise MissingSemicolon(tokens[starts[0]])
    cuts.append(len(tokens))
    statements: list[Statement] = []
    begin = 0
    # a start is a cut that keeps its token (the next statement's first); a separator is dropped
    for cut, is_start in sorted([(c, False) for c in cuts] + [(i, True) for i in starts]):
        if cut > begin:
            end = tokens[cut] if cut < len(tokens) and kinds[cut] == TokenType.SEMICOLON else None
            statements.append(Statement(tokens[begin:cut], end))
        begin = cut if is_start else cut + 1
    return statements


# What follows CREATE / ALTER when they start a statement (not `GRANT CREATE ON`, `ALTER COLUMN`).
_CREATED = {
    "TABLE", "VIEW", "INDEX", "UNIQUE", "SCHEMA", "DATABASE", "SEQUENCE", "TYPE", "OR", "TEMP",
    "TEMPORARY", "MATERIALIZED", "FUNCTION", "PROCEDURE", "PROC", "TRIGGER", "EXTENSION", "DOMAIN",
    "CLUSTERED", "NONCLUSTERED", "GLOBAL", "EXTERNAL", "TRANSIENT", "SECURE", "STAGE",
}  # fmt: skip
_ALTERED = {"TABLE", "VIEW", "SCHEMA", "DATABASE", "SEQUENCE", "INDEX", "FUNCTION", "PROCEDURE"}
_FOLLOWING = {
    TokenType.CREATE: _CREATED,
    TokenType.ALTER: _ALTERED,
    TokenType.DROP: _ALTERED | {"TRIGGER", "TYPE"},
}
_TSQL_STARTS = (
    TokenType.CREATE,
    TokenType.ALTER,
    TokenType.DROP,
    TokenType.GRANT,
    TokenType.REVOKE,
    TokenType.EXECUTE,
)
_PRIVILEGE_LISTS = {"GRANT", "REVOKE", "DENY", ","}
_BLOCK_OPENERS = {TokenType.BEGIN, TokenType.CASE}


def _inner_starts(tokens: list[Token], kinds: list[TokenType], cuts: list[int], *, tsql: bool) -> list[int]:
    """Indexes of the CREATE / ALTER tokens (in T-SQL also GRANT, REVOKE, EXEC, DROP) that start a
    statement inside another one: at its top level (outside brackets and BEGIN ... END), not inside
    PostgreSQL's `CREATE SCHEMA s CREATE ...`."""
    candidates: list[int] = []
    for kind in _TSQL_STARTS if tsql else (TokenType.CREATE, TokenType.ALTER):
        index = -1
        try:
            while True:
                index = kinds.index(kind, index + 1)
                candidates.append(index)
        except ValueError:
            pass
    if not candidates:
        return []
    boundaries = set(cuts)
    found: list[int] = []
    for index in sorted(candidates):
        if index == 0 or index - 1 in boundaries or index + 1 >= len(tokens):
            continue
        kind, before = kinds[index], tokens[index - 1].text.upper()
        words = _FOLLOWING.get(kind)
        if words is not None and (
            tokens[index + 1].text.upper() not in words or kinds[index + 1] == TokenType.IDENTIFIER
        ):
            continue
        if before in _PRIVILEGE_LISTS or before == "WITH":  # `GRANT CREATE TABLE TO u`, `WITH GRANT OPTION`
            continue
        first = bisect_right(cuts, index - 1)
        begin = cuts[first - 1] + 1 if first else 0
        if found and found[-1] > begin:
            begin = found[-1]
        if kinds[begin] == TokenType.CREATE and kinds[begin + 1] == TokenType.SCHEMA:
            continue
        depth = 0
        for kind in kinds[begin:index]:
            if kind in _OPENERS or kind in _BLOCK_OPENERS:
                depth += 1
            elif kind in _CLOSERS or kind == TokenType.END:
                depth -= 1
        if depth == 0:
            found.append(index)
    return found


_token_type = attrgetter("token_type")


def _is_go(token: Token) -> bool:
    return token.text.upper() == "GO"


def schema_elements(statement: Statement) -> list[Statement] | None:
    """PostgreSQL's `CREATE SCHEMA s CREATE TABLE ... CREATE VIEW ... GRANT ...` as the schema's own
    statement and one statement per element (each with `schema` set); None for any other."""
    tokens = statement.tokens
    if (
        len(tokens) < 4
        or tokens[0].token_type != TokenType.CREATE
        or tokens[1].token_type != TokenType.SCHEMA
    ):
        return None
    depth, cuts = 0, []
    for index in range(2, len(tokens)):
        kind = tokens[index].token_type
        if kind in _OPENERS:
            depth += 1
        elif kind in _CLOSERS:
            depth -= 1
        elif depth == 0 and (kind == TokenType.CREATE or tokens[index].text.upper() == "GRANT"):
            cuts.append(index)
    if not cuts:
        return None
    name = next(
        (t.text for t in tokens[2 : cuts[0]] if t.token_type in (TokenType.VAR, TokenType.IDENTIFIER)), None
    )
    if tokens[2].text.upper() == "AUTHORIZATION" or name is None:
        return None
    pieces = [Statement(tokens[: cuts[0]])]
    for first, last in zip(cuts, [*cuts[1:], len(tokens)], strict=True):
        pieces.append(Statement(tokens[first:last], schema=name))
    pieces[-1].semicolon = statement.semicolon
    return pieces


def drop_tsql_noise(tokens: list[Token]) -> list[Token]:
    """Remove `CLUSTERED`, `NONCLUSTERED`, `WITH [NO]CHECK` and `TEXTIMAGE_ON x` from T-SQL."""
    kept: list[Token] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        upper = token.text.upper()
        following = tokens[index + 1].text.upper() if index + 1 < len(tokens) else ""
        if token.token_type != TokenType.IDENTIFIER and upper in _TSQL_NOISE:
            index += 1
            continue
        if (upper == "WITH" and following in ("CHECK", "NOCHECK")) or upper == "TEXTIMAGE_ON":
            index += 2  # `WITH CHECK ADD ...`, `TEXTIMAGE_ON [PRIMARY]`
            continue
        kept.append(token)
        index += 1
    return kept


def matching_close(tokens: list[Token], open_index: int) -> int:
    """Index of the bracket that closes the one at `open_index` (or the last token)."""
    depth = 0
    for index in _positions(tokens, open_index, len(tokens), _BRACKETS):
        if tokens[index].token_type in _OPENERS:
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return index
    return len(tokens) - 1


def top_level_items(tokens: list[Token], first: int, last: int) -> list[tuple[int, int]]:
    """Split tokens[first:last] on commas outside brackets into (first, last) index pairs."""
    items: list[tuple[int, int]] = []
    depth = 0
    angles = 0  # inside `map<k, v>` and the like, where `<` follows a nested type's name
    item_start = first
    for index in _positions(tokens, first, last, _ITEM_TOKENS):
        kind = tokens[index].token_type
        if kind in _OPENERS:
            depth += 1
        elif kind in _CLOSERS:
            depth -= 1
        elif kind == TokenType.LT and (angles or tokens[index - 1].text.upper() in _NESTED_TYPES):
            angles += 1
        elif kind == TokenType.GT and angles:
            angles -= 1
        elif kind == TokenType.COMMA and depth == 0 and not angles:
            if index > item_start:
                items.append((item_start, index))
            item_start = index + 1
    if last > item_start:
        items.append((item_start, last))
    return items


def _positions(tokens: list[Token], first: int, last: int, kinds: set[TokenType]) -> Iterator[int]:
    """The indexes in [first, last) of the tokens of `kinds`, lazily: the scan runs in C, and only
    the few brackets and commas of a statement reach the Python loops above."""
    found = map(kinds.__contains__, map(_token_type, tokens[first:last]))
    return compress(range(first, last), found)


_BRACKETS = {*_OPENERS, *_CLOSERS}
_ITEM_TOKENS = {*_BRACKETS, TokenType.LT, TokenType.GT, TokenType.COMMA}


def type_end(tokens: list[Token], first: int, stop: int) -> int:
    """Index just past the type that starts at tokens[first] (a column's data type)."""
    index = first + 1
    while index < stop:
        token = tokens[index]
        text = token.text.lower()
        if token.token_type in _OPENERS:
            index = matching_close(tokens, index) + 1
        elif token.token_type == TokenType.LT:  # array<...>, map<...>, struct<...>
            index = _angle_end(tokens, index, stop)
        elif token.token_type == TokenType.DOT and index + 1 < stop:  # schema.enum_type
            index += 2
        elif text in _TYPE_CONTINUATIONS and token.token_type != TokenType.IDENTIFIER:
            index += 1
        else:
            break
    return index


def _angle_end(tokens: list[Token], index: int, stop: int) -> int:
    depth = 0
    while index < stop:
        kind = tokens[index].token_type
        depth += (kind == TokenType.LT) - (kind == TokenType.GT)
        index += 1
        if depth <= 0:
            break
    return index


Item = tuple[int, int]  # token indexes [first, last) of one element of a statement


class Items:
    """The comma-separated elements of a statement, found by the offset of a name inside them."""

    def __init__(self, items: list[Item], tokens: list[Token]) -> None:
        self.items = items or [(0, len(tokens))]
        self.starts = [tokens[first].start for first, _ in self.items]

    def holding(self, element: exp.Expr) -> Item:
        name = element.this if isinstance(element, exp.ColumnDef) else None
        if isinstance(name, exp.Identifier) and "start" in name.meta:
            offset = name.meta["start"]
        else:
            offsets = [
                node.meta["start"] for node in element.find_all(exp.Identifier) if "start" in node.meta
            ]
            if not offsets:
                return self.items[0]
            offset = min(offsets)
        return self.items[max(bisect_right(self.starts, offset) - 1, 0)]


def unwrapped_tsql_blocks(statements: list[Statement]) -> list[Statement]:
    """T-SQL `IF <condition> BEGIN ... END` (SSMS's "check for existence" scripts): the statements
    inside, read as if written on their own; a block with an ELSE, or nested, is kept whole."""
    result: list[Statement] = []
    open_block = False  # a block whose END was split off by a `;` inside it
    for statement in statements:
        tokens = statement.tokens
        if open_block and len(tokens) == 1 and tokens[0].token_type == TokenType.END:
            open_block = False
            continue
        body = _if_block_body(tokens)
        if body is None:
            result.append(statement)
            continue
        inner, closed = body
        open_block = not closed
        if inner:
            result.extend(split_statements(inner, batch_separator=True, strict=True))
            result[-1] = Statement(result[-1].tokens, result[-1].semicolon or statement.semicolon)
    return result


def _if_block_body(tokens: list[Token]) -> tuple[list[Token], bool] | None:
    """The tokens inside `IF ... BEGIN ... [END]`, and whether its END is there; None for any other."""
    if tokens[0].text.upper() != "IF" or tokens[0].token_type == TokenType.IDENTIFIER:
        return None
    depth, begin = 0, None
    for index in range(1, len(tokens)):
        kind = tokens[index].token_type
        if kind in _OPENERS:
            depth += 1
        elif kind in _CLOSERS:
            depth -= 1
        elif kind == TokenType.BEGIN and depth == 0:
            begin = index
            break
    if begin is None:
        return None
    body = tokens[begin + 1 :]
    if any(t.token_type in (TokenType.BEGIN, TokenType.ELSE) for t in body):
        return None  # nested blocks or an ELSE: not a plain block of statements
    ends = [i for i, t in enumerate(body) if t.token_type == TokenType.END]
    if not ends:
        return body, False
    if ends != [len(body) - 1]:
        return None
    return body[:-1], True
