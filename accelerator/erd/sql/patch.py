"""Minimal textual edits of a SQL DDL file (CREATE TABLE, ALTER TABLE, COMMENT ON, REFERENCES).

A rename replaces name tokens found by `erd/sql/patch_scan.py` (never a text search). A new column goes
after the table's last column definition with its indentation, minding the commas; its comment is a
`COMMENT ON COLUMN` statement in dialects that have one (PostgreSQL, ...) and an inline `COMMENT '...'`
in those that write comments inline (MySQL, Databricks, Spark, Hive).
"""

from __future__ import annotations

import re
from functools import cache

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.tokenizer_core import Token, TokenType

from accelerator.erd.patch_inputs import NewColumn, TableTarget, written_type
from accelerator.erd.sql.patch_scan import ColumnDef, SqlStatement, alter_items, column_list, scan_sql, upper
from accelerator.erd.sql.reader import sqlglot_dialect
from accelerator.erd.text_edits import (
    TextEdit,
    delete_lines,
    indentation_at,
    insert_line_after,
    next_line_start,
    only_blank_before,
    span_offsets,
)
from accelerator.erd.types import family_of
from accelerator.errors import EditConflictError, UnsupportedEditError

_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
INLINE_COMMENT_DIALECTS = {"mysql", "databricks", "spark", "spark2", "hive", "doris", "starrocks"}
_BACKSLASH_STRINGS = {"mysql", "databricks", "spark", "spark2", "hive", "doris", "starrocks", "bigquery"}
_BACKTICK_NAMES = {"mysql", "databricks", "spark", "spark2", "hive", "doris", "starrocks", "bigquery"}
_CLOSING_QUOTE = {'"': '"', "`": "`", "[": "]"}
# PostgreSQL's reserved key words (those of SQL's core that most dialects reserve too): always quoted,
# so that the file stays valid DDL for its database, not only for sqlglot.
_RESERVED_WORDS = """all analyse analyze and any array as asc asymmetric both case cast check collate column constraint
    create current_catalog current_date current_role current_time current_timestamp current_user default
    deferrable desc distinct do else end except false fetch for foreign from grant group having in
    initially intersect into lateral leading limit localtime localtimestamp not null offset on only or
    order placing primary references returning select session_user some symmetric table then to
    trailing true union unique user using variadic when where window with"""
_RESERVED = frozenset(_RESERVED_WORDS.split())
# What may follow an inline REFERENCES clause in a column definition: where the clause ends.
_COLUMN_CONSTRAINT_WORDS = {
    "NOT",
    "NULL",
    "DEFAULT",
    "PRIMARY KEY",
    "UNIQUE",
    "CHECK",
    "CONSTRAINT",
    "COMMENT",
    "COLLATE",
    "GENERATED",
}


@cache
def needs_quotes(name: str, dialect: str) -> bool:
    """Whether `name` must be a quoted identifier in `dialect`: not a plain word, a reserved word
    of the dialect, or a word its parser does not read as a column name."""
    if not _PLAIN_NAME.match(name):
        return True
    reserved = Dialect.get_or_raise(dialect).generator_class.RESERVED_KEYWORDS
    if name.lower() in _RESERVED or name.lower() in reserved:
        return True
    try:
        read = sqlglot.parse_one(f"CREATE TABLE t ({name} INT)", read=dialect)
    except SqlglotError:
        return True
    return [column.name for column in read.find_all(exp.ColumnDef)] != [name]


class SqlPatcher:
    """Plans edits of one SQL DDL file written in `dialect`."""

    def __init__(self, file: str, text: str, dialect: str = "postgres") -> None:
        self.file = file
        self.text = text
        self.dialect = sqlglot_dialect(dialect or "postgres")
        self.statements = scan_sql(text, self.dialect)

    # -- names and literals -----------------------------------------------------------------------

    def sql_string(self, value: str) -> str:
        if self.dialect in _BACKSLASH_STRINGS:
            return "'" + value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"
        return "'" + value.replace("'", "''") + "'"

    def sql_name(self, name: str, like: Token | None = None) -> str:
        opening = self.text[like.start] if like is not None else ""
        if opening not in _CLOSING_QUOTE:
            if not needs_quotes(name, self.dialect):
                return name
            opening = "`" if self.dialect in _BACKTICK_NAMES else ("[" if self.dialect == "tsql" else '"')
        closing = _CLOSING_QUOTE[opening]
        return opening + name.replace(closing, closing * 2) + closing

    def _rename(self, token: Token, new_name: str) -> TextEdit:
        return TextEdit(self.file, token.start, token.end + 1, self.sql_name(new_name, token))

    # -- finding the table ------------------------------------------------------------------------

    @staticmethod
    def _names(statement: SqlStatement, indexes: list[int]) -> list[str]:
        return [statement.tokens[i].text.lower() for i in indexes]

    def _is_target(self, statement: SqlStatement, name: list[int], target: TableTarget) -> bool:
        return self._names_table(statement, name, target.schema, target.table.name)

    def _names_table(self, statement: SqlStatement, name: list[int], schema: str, table: str) -> bool:
        parts = self._names(statement, name)
        if not parts or parts[-1] != table.lower():
            return False
        return len(parts) == 1 or parts[-2] == schema.lower()

    def create_statement(self, target: TableTarget) -> SqlStatement:
        creates = [s for s in self.statements if s.kind == "create_table" and s.body is not None]
        span = target.table.name_span or target.table.span
        if span is not None and span.file == self.file:
            offset, _ = span_offsets(self.text, span)
            for statement in creates:
                if statement.start <= offset < statement.end:
                    return statement
        for statement in creates:
            if self._is_target(statement, statement.name, target):
                return statement
        raise EditConflictError(f"{self.file} has no CREATE TABLE for {target.qualified}")

    def column_def(self, statement: SqlStatement, column: str) -> ColumnDef:
        for definition in statement.columns:
            if statement.tokens[definition.first].text.lower() == column.lower():
                return definition
        raise EditConflictError(f"CREATE TABLE in {self.file} defines no column {column!r}")

    def _about(self, target: TableTarget) -> list[SqlStatement]:
        """Statements whose target is the table (CREATE, ALTER, COMMENT ON, CREATE INDEX)."""
        return [s for s in self.statements if s.name and self._is_target(s, s.name, target)]

    def _column_comments(self, target: TableTarget, column: str) -> list[SqlStatement]:
        return [
            s
            for s in self._about(target)
            if s.kind == "comment_column"
            and s.column is not None
            and s.tokens[s.column].text.lower() == column.lower()
        ]

    # -- edits ------------------------------------------------------------------------------------

    def rename_table(self, target: TableTarget, new_name: str) -> list[TextEdit]:
        self.create_statement(target)
        edits = [self._rename(s.tokens[s.name[-1]], new_name) for s in self._about(target)]
        for statement in self.statements:
            for name, _ in statement.references:
                if self._is_target(statement, name, target):
                    edits.append(self._rename(statement.tokens[name[-1]], new_name))
        return edits

    def rename_column(self, target: TableTarget, column: str, new_name: str) -> list[TextEdit]:
        create = self.create_statement(target)
        wanted = column.lower()
        found = [create.tokens[self.column_def(create, column).first]]
        for statement in self._about(target):
            found += [statement.tokens[i] for i in statement.own_columns]
            if statement.column is not None:
                found.append(statement.tokens[statement.column])
        for statement in self.statements:
            for name, columns in statement.references:
                if self._is_target(statement, name, target):
                    found += [statement.tokens[i] for i in columns]
        unique = {token.start: token for token in found if token.text.lower() == wanted}
        return [self._rename(token, new_name) for token in unique.values()]

    def add_column(self, target: TableTarget, column: NewColumn) -> list[TextEdit]:
        create = self.create_statement(target)
        written = written_type(column.type, family_of(self.dialect), column.source_type)
        definition = f"{self.sql_name(column.name)} {written}"
        if column.not_null:
            definition += " NOT NULL"
        if column.default is not None:
            definition += f" DEFAULT {column.default}"
        inline = self.dialect in INLINE_COMMENT_DIALECTS
        if column.comment and inline:
            definition += f" COMMENT {self.sql_string(column.comment)}"
        edits = self._insert_definition(create, definition)
        if column.comment and not inline:
            edits.append(self._comment_statement(target, create, column.name, column.comment))
        return edits

    def _insert_definition(self, create: SqlStatement, definition: str) -> list[TextEdit]:
        tokens = create.tokens
        last = create.columns[-1]
        last_token = tokens[last.last - 1]
        indent = indentation_at(self.text, tokens[last.first].start)
        following = tokens[last.last]  # the comma before the next item, or the closing parenthesis
        if following.token_type == TokenType.COMMA:
            after_comma = tokens[last.last + 1]
            if self._line_of(after_comma.start) > self._line_of(following.start):
                at = next_line_start(self.text, following.start)
                return [TextEdit(self.file, at, at, f"{indent}{definition},\n")]
            return [TextEdit(self.file, after_comma.start, after_comma.start, f"{definition}, ")]
        comma = TextEdit(self.file, last_token.end + 1, last_token.end + 1, ",")
        if self._line_of(following.start) > self._line_of(last_token.end):
            return [comma, insert_line_after(self.file, self.text, last_token.end, indent + definition)]
        return [TextEdit(self.file, last_token.end + 1, last_token.end + 1, f", {definition}")]

    def _comment_statement(
        self, target: TableTarget, create: SqlStatement, column: str | None, comment: str
    ) -> TextEdit:
        table_name = self.text[create.tokens[create.name[0]].start : create.tokens[create.name[-1]].end + 1]
        if column is None:
            statement = f"COMMENT ON TABLE {table_name} IS {self.sql_string(comment)};"
        else:
            statement = (
                f"COMMENT ON COLUMN {table_name}.{self.sql_name(column)} IS {self.sql_string(comment)};"
            )
        comments = [s for s in self._about(target) if s.kind in ("comment_table", "comment_column")]
        after = comments[-1] if comments and column is not None else create
        return insert_line_after(self.file, self.text, after.end - 1, statement)

    def drop_column(self, target: TableTarget, column: str) -> list[TextEdit]:
        """The column's definition goes, and with it what names only it, as the database drops
        them with the column: its table constraints (the model's single-column foreign and unique
        keys), its `ALTER TABLE ... ADD [CONSTRAINT] FOREIGN KEY` and `ALTER COLUMN` actions, its
        comments and its indexes. A key of several columns is refused before (`DropColumn`)."""
        create = self.create_statement(target)
        definition = self.column_def(create, column)
        if len(create.items) == 1:
            raise EditConflictError(f"{target.qualified} has no other column; drop the table instead")
        position = next(i for i, item in enumerate(create.items) if item[0] == definition.first)
        removed = {position} | {
            index
            for index, (first, last) in enumerate(create.items)
            if first not in (d.first for d in create.columns)
            and self._names_column(create, first, last, column)
        }
        edits = self._remove_items(create.tokens, create.items, removed)
        for statement in self._about(target):
            if statement.kind == "create_index" and self._names_column(
                statement, 0, len(statement.tokens), column
            ):
                edits.append(self._remove_statement(statement))
            elif statement.kind == "alter_table":
                items = alter_items(statement)
                naming = {
                    i
                    for i, (first, last) in enumerate(items)
                    if self._names_column(statement, first, last, column)
                }
                if naming and len(naming) == len(items):
                    edits.append(self._remove_statement(statement))
                elif naming:
                    edits += self._remove_items(statement.tokens, items, naming)
        edits += [self._remove_statement(s) for s in self._column_comments(target, column)]
        return edits

    @staticmethod
    def _names_column(statement: SqlStatement, first: int, last: int, column: str) -> bool:
        """Whether tokens[first:last] of `statement` name `column` of its table (a key's columns,
        `ALTER COLUMN c`, a CHECK's names, an index's columns)."""
        return any(
            first <= index < last and statement.tokens[index].text.lower() == column.lower()
            for index in statement.own_columns
        )

    def _remove_items(
        self, tokens: list[Token], items: list[tuple[int, int]], removed: set[int]
    ) -> list[TextEdit]:
        """Remove the items at `removed` of a comma-separated list, keeping its commas right: the
        removed items after the last kept one go as one block, with the comma before them."""
        kept = [index for index in range(len(items)) if index not in removed]
        if not kept:
            raise EditConflictError("nothing would be left of the statement; change it by hand")
        tail = sorted(index for index in removed if index > kept[-1])
        edits = [
            edit
            for index in sorted(removed)
            if index < kept[-1]
            for edit in self._remove_item(tokens, *items[index])
        ]
        if tail:
            edits += self._remove_item(tokens, items[tail[0]][0], items[tail[-1]][1])
        return edits

    def _remove_item(self, tokens: list[Token], first: int, last: int) -> list[TextEdit]:
        start, end = tokens[first].start, tokens[last - 1].end + 1
        own_line = only_blank_before(self.text, start)
        following = tokens[last] if last < len(tokens) else None  # None: the end of an ALTER TABLE
        if following is not None and following.token_type == TokenType.COMMA:  # the comma after it goes too
            after_comma = tokens[last + 1]
            if own_line and self._line_of(after_comma.start) > self._line_of(start):
                return [delete_lines(self.file, self.text, start, following.end + 1)]
            return [TextEdit(self.file, start, after_comma.start, "")]
        comma = tokens[first - 1]  # the last item: the comma before it goes
        if own_line and following is not None and self._line_of(following.start) > self._line_of(end):
            # a comment after that comma stays where it is
            return [
                TextEdit(self.file, comma.start, comma.end + 1, ""),
                delete_lines(self.file, self.text, start, end),
            ]
        return [TextEdit(self.file, comma.start, end, "")]

    def _remove_statement(self, statement: SqlStatement) -> TextEdit:
        start, end = statement.start, statement.end
        if (
            only_blank_before(self.text, start)
            and not self.text[end : next_line_start(self.text, end)].strip()
        ):
            return delete_lines(self.file, self.text, start, end)
        return TextEdit(self.file, start, end, "")

    def change_type(
        self, target: TableTarget, column: str, new_type: str, source_type: str | None = None
    ) -> list[TextEdit]:
        create = self.create_statement(target)
        definition = self.column_def(create, column)
        first, last = create.tokens[definition.type_first], create.tokens[definition.type_last - 1]
        written = written_type(new_type, family_of(self.dialect), source_type)
        return [TextEdit(self.file, first.start, last.end + 1, written)]

    def set_not_null(self, target: TableTarget, column: str, not_null: bool) -> list[TextEdit]:
        create = self.create_statement(target)
        definition = self.column_def(create, column)
        tokens = create.tokens
        for index in range(definition.type_last, definition.last):
            word = upper(tokens[index])
            if word == "NOT" and index + 1 < definition.last and upper(tokens[index + 1]) == "NULL":
                if not_null:
                    return []
                start = tokens[index].start
                while start > 0 and self.text[start - 1] in " \t":
                    start -= 1
                return [TextEdit(self.file, start, tokens[index + 1].end + 1, "")]
            if word == "NULL" and (index == 0 or upper(tokens[index - 1]) not in ("NOT", "DEFAULT")):
                if not not_null:
                    return []
                return [TextEdit(self.file, tokens[index].start, tokens[index].end + 1, "NOT NULL")]
        if not not_null:
            return []
        type_end = tokens[definition.type_last - 1].end + 1
        return [TextEdit(self.file, type_end, type_end, " NOT NULL")]

    def set_comment(self, target: TableTarget, column: str | None, comment: str | None) -> list[TextEdit]:
        create = self.create_statement(target)
        inline = self._inline_comment(create, column)
        if inline is not None:
            keyword, literal = inline
            if comment is None:
                start = keyword.start
                while start > 0 and self.text[start - 1] in " \t":
                    start -= 1
                return [TextEdit(self.file, start, literal.end + 1, "")]
            return [TextEdit(self.file, literal.start, literal.end + 1, self.sql_string(comment))]
        statements = (
            self._column_comments(target, column)
            if column is not None
            else [s for s in self._about(target) if s.kind == "comment_table"]
        )
        if statements:
            if comment is None:
                return [self._remove_statement(s) for s in statements]
            last = statements[-1]
            if last.string is None:
                raise UnsupportedEditError(f"cannot read the COMMENT ON statement at offset {last.start}")
            literal = last.tokens[last.string]
            return [TextEdit(self.file, literal.start, literal.end + 1, self.sql_string(comment))]
        if comment is None:
            return []
        if self.dialect not in INLINE_COMMENT_DIALECTS:
            return [self._comment_statement(target, create, column, comment)]
        if column is not None:
            definition = self.column_def(create, column)
            end = create.tokens[definition.last - 1].end + 1
            return [TextEdit(self.file, end, end, f" COMMENT {self.sql_string(comment)}")]
        assert create.body is not None
        closing = create.tokens[create.body[1]].end + 1
        separator = "=" if self.dialect == "mysql" else " "
        return [TextEdit(self.file, closing, closing, f" COMMENT{separator}{self.sql_string(comment)}")]

    def _table_name(self, statement: SqlStatement) -> str:
        tokens = statement.tokens
        return self.text[tokens[statement.name[0]].start : tokens[statement.name[-1]].end + 1]

    def add_foreign_key(
        self, target: TableTarget, columns: list[str], ref_schema: str, ref_table: str, ref_columns: list[str]
    ) -> list[TextEdit]:
        """An `ALTER TABLE ... ADD FOREIGN KEY` after the table's statements and the referenced table's
        CREATE TABLE (so that the script runs in order)."""
        create = self.create_statement(target)
        after = max(s.end for s in [create, *self._about(target)])
        referenced = f"{self.sql_name(ref_schema)}.{self.sql_name(ref_table)}"
        for statement in self.statements:
            if statement.kind == "create_table" and self._names_table(
                statement, statement.name, ref_schema, ref_table
            ):
                referenced, after = self._table_name(statement), max(after, statement.end)
        alter = (
            f"ALTER TABLE {self._table_name(create)}\n    ADD FOREIGN KEY ({', '.join(map(self.sql_name, columns))}) "
            f"REFERENCES {referenced} ({', '.join(map(self.sql_name, ref_columns))});"
        )
        return [insert_line_after(self.file, self.text, after - 1, alter)]

    def drop_foreign_key(self, target: TableTarget, columns: list[str]) -> list[TextEdit]:
        """Remove the key wherever it is declared: an inline REFERENCES of the column, a table
        constraint of CREATE TABLE, or an ALTER TABLE action (the statement, when it is its only one)."""
        create = self.create_statement(target)
        wanted = [c.lower() for c in columns]
        edits: list[TextEdit] = []
        if len(wanted) == 1:
            definition = self.column_def(create, columns[0])
            edits += self._drop_inline_reference(create, definition)
        constraints = {
            index
            for index, (first, last) in enumerate(create.items)
            if self._declares(create, first, last, wanted)
        }
        if constraints:
            edits += self._remove_items(create.tokens, create.items, constraints)
        for statement in self._about(target):
            if statement.kind != "alter_table":
                continue
            items = alter_items(statement)
            naming = {
                i for i, (first, last) in enumerate(items) if self._declares(statement, first, last, wanted)
            }
            if naming and len(naming) == len(items):
                edits.append(self._remove_statement(statement))
            elif naming:
                edits += self._remove_items(statement.tokens, items, naming)
        if not edits:
            raise EditConflictError(
                f"{self.file} declares no foreign key on {target.qualified} ({', '.join(columns)})"
            )
        return edits

    @staticmethod
    def _declares(statement: SqlStatement, first: int, last: int, columns: list[str]) -> bool:
        """Whether tokens[first:last] hold `FOREIGN KEY (columns)`."""
        tokens = statement.tokens
        for index in range(first, last - 1):
            if upper(tokens[index]) == "FOREIGN KEY":
                named = [tokens[i].text.lower() for i in column_list(tokens, index + 1)]
                return named == columns
        return False

    def _drop_inline_reference(self, create: SqlStatement, definition: ColumnDef) -> list[TextEdit]:
        """`[CONSTRAINT name] REFERENCES t (c) [ON DELETE ...] ...` inside a column definition."""
        tokens = create.tokens
        for index in range(definition.type_last, definition.last):
            if upper(tokens[index]) != "REFERENCES":
                continue
            first = index
            if first - 2 >= definition.type_last and upper(tokens[first - 2]) == "CONSTRAINT":
                first -= 2
            end = index + 1
            while end < definition.last and upper(tokens[end]) not in _COLUMN_CONSTRAINT_WORDS:
                end += 1
            start = tokens[first].start
            while start > 0 and self.text[start - 1] in " \t":
                start -= 1
            return [TextEdit(self.file, start, tokens[end - 1].end + 1, "")]
        return []

    def move_table(self, target: TableTarget, schema: str) -> list[TextEdit]:
        """The schema of every name of the table: its CREATE TABLE, the statements about it and the
        references to it (an unqualified name gets the schema)."""
        self.create_statement(target)
        names = [(s, s.name) for s in self._about(target)]
        names += [
            (statement, name)
            for statement in self.statements
            for name, _ in statement.references
            if self._is_target(statement, name, target)
        ]
        edits = {}
        for statement, name in names:
            tokens = statement.tokens
            if len(name) >= 2:
                edit = self._rename(tokens[name[-2]], schema)
            else:
                at = tokens[name[-1]].start
                edit = TextEdit(self.file, at, at, self.sql_name(schema) + ".")
            edits[edit.start] = edit
        return list(edits.values())

    def _inline_comment(self, create: SqlStatement, column: str | None) -> tuple[Token, Token] | None:
        """`COMMENT 'x'` of the column definition, or `COMMENT [=] 'x'` after the table's body."""
        tokens = create.tokens
        if column is not None:
            definition = self.column_def(create, column)
            first, last = definition.type_last, definition.last
        else:
            assert create.body is not None
            first, last = create.body[1] + 1, len(tokens)
        for index in range(first, last - 1):
            if upper(tokens[index]) == "COMMENT":
                literal = index + 1
                if tokens[literal].token_type == TokenType.EQ and literal + 1 < last:
                    literal += 1
                if tokens[literal].token_type == TokenType.STRING:
                    return tokens[index], tokens[literal]
        return None

    def _line_of(self, offset: int) -> int:
        return self.text.count("\n", 0, offset)
