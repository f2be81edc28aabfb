"""Where a SQL DDL file names its tables and columns, found on the dialect's sqlglot tokens.

sqlglot's tokenizer skips comments and reads strings and quoted identifiers whole, so every place
found here is a real name token: CREATE TABLE / ALTER TABLE / REFERENCES / COMMENT ON / CREATE INDEX
targets, column definitions, key column lists and CHECK expressions. The file is split into
statements as the reader splits it (`erd/sql/tokens.py`), with the reader's dialect names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot.dialects.dialect import Dialect
from sqlglot.tokenizer_core import Token, TokenType

from accelerator.erd.sql.reader import BATCH_SEPARATED, sqlglot_dialect
from accelerator.erd.sql.script import client_script
from accelerator.erd.sql.tokens import matching_close, split_statements, top_level_items, type_end

_CONSTRAINT_WORDS = {"PRIMARY", "UNIQUE", "FOREIGN", "CONSTRAINT", "CHECK", "KEY", "INDEX", "EXCLUDE"}
_COLUMN_AFTER = {"COLUMN", "MODIFY", "CHANGE"}  # ALTER TABLE t ALTER COLUMN c / MODIFY c / CHANGE c


@dataclass
class ColumnDef:
    """One column definition inside CREATE TABLE (token indexes into the statement)."""

    first: int
    last: int  # exclusive
    type_first: int
    type_last: int  # exclusive


@dataclass
class SqlStatement:
    tokens: list[Token]
    semicolon: Token | None
    kind: str = ""  # create_table, alter_table, comment_table, comment_column, other
    name: list[int] = field(default_factory=list)  # token indexes of the target's qualified name
    column: int | None = None  # COMMENT ON COLUMN: the column token
    string: int | None = None  # COMMENT ON ...: the comment literal
    body: tuple[int, int] | None = None  # CREATE TABLE: indexes of ( and )
    items: list[tuple[int, int]] = field(default_factory=list)
    columns: list[ColumnDef] = field(default_factory=list)
    own_columns: list[int] = field(default_factory=list)  # tokens naming a column of the target
    references: list[tuple[list[int], list[int]]] = field(default_factory=list)  # (table name, columns)

    @property
    def start(self) -> int:
        return self.tokens[0].start

    @property
    def end(self) -> int:
        """After the `;` (or the last token)."""
        last = self.semicolon or self.tokens[-1]
        return last.end + 1


def scan_sql(text: str, dialect: str) -> list[SqlStatement]:
    name = sqlglot_dialect(dialect)
    # tokenized as the reader reads it: client lines, COPY data and skipped blocks blanked (same offsets)
    script = client_script(text, name)
    tokens = Dialect.get_or_raise(name).tokenize(script.text if script is not None else text)
    split = split_statements(tokens, batch_separator=name in BATCH_SEPARATED)
    statements = [SqlStatement(statement.tokens, statement.semicolon) for statement in split]
    for statement in statements:
        _classify(statement)
    return statements


def upper(token: Token) -> str:
    return token.text.upper() if token.token_type not in (TokenType.IDENTIFIER, TokenType.STRING) else ""


def qualified_name(tokens: list[Token], index: int) -> list[int]:
    parts = [index]
    while parts[-1] + 2 < len(tokens) and tokens[parts[-1] + 1].token_type == TokenType.DOT:
        parts.append(parts[-1] + 2)
    return parts


def _classify(statement: SqlStatement) -> None:
    tokens = statement.tokens
    words = [upper(t) for t in tokens[:8]]
    if words[:1] == ["CREATE"] and "TABLE" in words:
        _create_table(statement, words.index("TABLE") + 1)
    elif words[:2] == ["ALTER", "TABLE"]:
        index = 2
        while index < len(tokens) and upper(tokens[index]) in ("ONLY", "IF", "EXISTS"):
            index += 1
        statement.kind, statement.name = "alter_table", qualified_name(tokens, index)
        _key_lists(statement, statement.name[-1] + 1)
        for position in range(statement.name[-1] + 1, len(tokens) - 1):
            if (
                upper(tokens[position]) in _COLUMN_AFTER
                and tokens[position + 1].token_type != TokenType.L_PAREN
            ):
                statement.own_columns.append(position + 1)
    elif words[:2] == ["COMMENT", "ON"] and len(tokens) > 3 and words[2] in ("TABLE", "COLUMN"):
        name = qualified_name(tokens, 3)
        after = name[-1] + 1
        if after + 1 < len(tokens) and upper(tokens[after]) == "IS":
            statement.string = after + 1
        if words[2] == "TABLE":
            statement.kind, statement.name = "comment_table", name
        elif len(name) >= 2:
            statement.kind, statement.name, statement.column = "comment_column", name[:-1], name[-1]
    elif words[:1] == ["CREATE"] and "INDEX" in words:
        on = next((i for i, t in enumerate(tokens) if upper(t) == "ON"), None)
        if on is not None and on + 1 < len(tokens):
            statement.kind, statement.name = "create_index", qualified_name(tokens, on + 1)
            opening = statement.name[-1] + 1
            if opening < len(tokens) and tokens[opening].token_type == TokenType.L_PAREN:
                statement.own_columns += column_list(tokens, opening)
    else:
        _key_lists(statement, 0)


def _create_table(statement: SqlStatement, index: int) -> None:
    tokens = statement.tokens
    while index < len(tokens) and upper(tokens[index]) in ("IF", "NOT", "EXISTS"):
        index += 1
    if index >= len(tokens):
        return
    statement.kind, statement.name = "create_table", qualified_name(tokens, index)
    opening = statement.name[-1] + 1
    if opening >= len(tokens) or tokens[opening].token_type != TokenType.L_PAREN:
        return
    closing = matching_close(tokens, opening)
    statement.body = (opening, closing)
    statement.items = top_level_items(tokens, opening + 1, closing)
    for first, last in statement.items:
        if upper(tokens[first]).split(" ")[0] in _CONSTRAINT_WORDS:  # `PRIMARY KEY` is one token
            _key_lists(statement, first, last)
            continue
        type_last = type_end(tokens, first + 1, last) if first + 1 < last else first + 1
        statement.columns.append(ColumnDef(first, last, first + 1, type_last))
        _key_lists(statement, type_last, last)
    _key_lists(statement, closing + 1)


def _key_lists(statement: SqlStatement, first: int, last: int | None = None) -> None:
    """Column lists of KEY/UNIQUE/INDEX (own columns), REFERENCES t (cols), CHECK expressions."""
    tokens = statement.tokens
    last = len(tokens) if last is None else last
    index = first
    while index < last:
        word = upper(tokens[index]).split(" ")[-1]  # `PRIMARY KEY`, `FOREIGN KEY` are one token
        if word == "REFERENCES" and index + 1 < last:
            name = qualified_name(tokens, index + 1)
            opening = name[-1] + 1
            columns = column_list(tokens, opening) if opening < last else []
            statement.references.append((name, columns))
            index = opening
            continue
        if word in ("KEY", "UNIQUE", "INDEX"):
            opening = index + 1
            if opening < last and tokens[opening].token_type != TokenType.L_PAREN and opening + 1 < last:
                opening += 1  # `UNIQUE KEY (a)`, `INDEX name (a)`
            if opening < last and tokens[opening].token_type == TokenType.L_PAREN:
                statement.own_columns += column_list(tokens, opening)
                index = matching_close(tokens, opening)
        elif word == "CHECK" and index + 1 < last and tokens[index + 1].token_type == TokenType.L_PAREN:
            closing = matching_close(tokens, index + 1)
            for inner in range(index + 2, closing):
                is_name = tokens[inner].token_type in (TokenType.VAR, TokenType.IDENTIFIER)
                after_dot = tokens[inner - 1].token_type == TokenType.DOT
                if is_name and not after_dot:
                    statement.own_columns.append(inner)
            index = closing
        index += 1


def alter_items(statement: SqlStatement) -> list[tuple[int, int]]:
    """The comma-separated actions of an ALTER TABLE (`ADD FOREIGN KEY ..., ALTER COLUMN c ...`)."""
    if statement.kind != "alter_table" or not statement.name:
        return []
    return top_level_items(statement.tokens, statement.name[-1] + 1, len(statement.tokens))


def column_list(tokens: list[Token], opening: int) -> list[int]:
    """The name tokens of `(a, b DESC, c)` starting at the `(` at `opening`."""
    if opening >= len(tokens) or tokens[opening].token_type != TokenType.L_PAREN:
        return []
    closing = matching_close(tokens, opening)
    names = []
    for first, last in top_level_items(tokens, opening + 1, closing):
        if last == first + 1 or tokens[first + 1].token_type != TokenType.L_PAREN:
            names.append(first)
    return names
