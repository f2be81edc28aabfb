"""SQL DDL (any dialect sqlglot reads) -> the schemas and tables it declares.

The file is tokenized once with the dialect's tokenizer, split into statements on `;` (and T-SQL's
`GO`), and each statement is parsed by sqlglot from its tokens, so positions stay those of the file.
Statements are dispatched through a table from sqlglot node type to reader:

- CREATE TABLE (columns, types, NULL/NOT NULL, DEFAULT, identity/serial/AUTO_INCREMENT, inline and
  table-level PRIMARY KEY / UNIQUE / REFERENCES / FOREIGN KEY / CHECK, inline COMMENT, table
  COMMENT); indexes are passed over.
- CREATE SCHEMA / CREATE DATABASE (a schema), CREATE TYPE ... AS ENUM (postgres enums),
  USE (the current schema, where the dialect's USE selects one).
- ALTER TABLE ... ADD [CONSTRAINT n] PRIMARY KEY / UNIQUE / FOREIGN KEY / CHECK, ADD COLUMN,
  ALTER COLUMN ... SET DEFAULT (pg_dump's `nextval(...)` makes the column an identity).
- COMMENT ON SCHEMA / TABLE / COLUMN.

Pieces live beside this file in `erd/sql/`: `tokens.py` (statements, element extents), `source.py`
(spans, type mapping, the fast reading of plain comments), `columns.py` (column definitions),
`keys.py` (table constraints), `errors.py`; `patch.py` edits the text this reads.

A pg_dump-style file is mostly `COMMENT ON ... IS '...'`: where the dialect reads those the standard
way, the plain ones are read from their tokens, or from the text (`CommentLane`) without tokenizing
them; anything unusual falls back to the plain read, so the result is the same either way.

Every other statement is skipped. Session and data statements (SET, SELECT, INSERT, transaction
control) are skipped silently; any other statement (CREATE INDEX, CREATE VIEW, GRANT, DROP, ...)
leaves an `info` finding `sql.statement.skipped`, so a reader of the report knows it was not read.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect, Dialects
from sqlglot.errors import ErrorLevel, ParseError, SqlglotError, TokenError
from sqlglot.tokenizer_core import Token, TokenType

from accelerator.erd.parsed import LineIndex, ParsedErd
from accelerator.erd.sql.columns import databricks_expression, read_column, set_default
from accelerator.erd.sql.errors import closest_hint, syntax_error, token_error
from accelerator.erd.sql.keys import attach_key, read_key, resolve_foreign_keys
from accelerator.erd.sql.kinds import kind_hint, triage
from accelerator.erd.sql.script import client_script, sqlite_type_names
from accelerator.erd.sql.source import (
    CommentLane,
    DdlSource,
    SimpleComment,
    apply_comment,
    quiet_sqlglot,
    reads_comments_plainly,
    simple_comment,
)
from accelerator.erd.sql.tokens import (
    Items,
    MissingSemicolon,
    Statement,
    drop_tsql_noise,
    matching_close,
    schema_elements,
    split_statements,
    top_level_items,
    unwrapped_tsql_blocks,
)
from accelerator.errors import AcceleratorError, ErdSyntaxError
from accelerator.model import Column, Schema, Severity, Span, Table, UniqueKey
from accelerator.model.copying import copied, deep_copied

SUPPORTED_DIALECTS = sorted(d.value for d in Dialects if d.value)
# Names users write for a dialect, and sqlglot's name for it.
DIALECT_ALIASES = {"postgresql": "postgres", "sqlserver": "tsql", "mssql": "tsql", "mariadb": "mysql"}
_SILENT = (exp.Set, exp.Select, exp.Insert, exp.Update, exp.Delete, exp.Transaction, exp.Commit)
_SILENT_COMMANDS = {"SET", "COPY", "BEGIN", "START", "COMMIT", "SELECT", "\\"}
_PRIVILEGE_LISTS = {"GRANT", "REVOKE", "DENY", ","}
_KEY_TOKENS = {TokenType.PRIMARY_KEY, TokenType.FOREIGN_KEY, TokenType.UNIQUE, TokenType.REFERENCES}
# Dialects whose plain `USE x` selects a schema (elsewhere it selects a database or catalog).
_USE_SELECTS_SCHEMA = {"mysql", "databricks", "spark", "spark2", "hive", "starrocks", "doris"}
# A file that may declare a type (an enum) is parsed whole before it is read: enums are read first.
_DECLARES_TYPE = re.compile(r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:TYPE|DOMAIN)\b", re.IGNORECASE)


def parse_sql(
    text: str, file: str, *, dialect: str = "postgres", default_schema: str = "default"
) -> ParsedErd:
    """Read SQL DDL written in `dialect`; tables without a schema go to `default_schema`."""
    name = sqlglot_dialect(dialect)
    if name not in SUPPORTED_DIALECTS:
        raise AcceleratorError(
            f"unsupported SQL dialect {dialect!r}", hint="use one of: " + ", ".join(SUPPORTED_DIALECTS)
        )
    with quiet_sqlglot():
        read = _DdlReader(text, file, name, default_schema).read_with_lane()
        return read if read is not None else _DdlReader(text, file, name, default_schema).read()


# Dialects where a database holds schemas (CREATE DATABASE is the catalog's level, not a schema).
_DATABASE_ABOVE_SCHEMAS = {
    "snowflake",
    "tsql",
    "fabric",
    "postgres",
    "redshift",
    "materialize",
    "risingwave",
    "oracle",
}
# Dialects whose CREATE TABLE ... LIKE / CLONE copies every constraint, not only the primary key.
_COPIES_CONSTRAINTS = {"snowflake"}
# Dialects whose files separate batches with `GO` on a line of its own (T-SQL's client convention).
BATCH_SEPARATED = ("tsql", "fabric")


def sqlglot_dialect(dialect: str) -> str:
    """sqlglot's name for `dialect` (`postgresql` -> `postgres`), lower-cased."""
    return DIALECT_ALIASES.get(dialect.lower(), dialect.lower())


class _DdlReader:
    def __init__(self, text: str, file: str, dialect: str, default_schema: str) -> None:
        self.dialect = Dialect.get_or_raise(dialect)
        self.parser = self.dialect.parser(error_level=ErrorLevel.RAISE)  # parse() resets it
        self.simple_comments = reads_comments_plainly(type(self.parser))
        self.lane = None
        if self.simple_comments and dialect not in ("tsql", "fabric"):
            self.lane = CommentLane.for_tokenizer(type(self.dialect).tokenizer_class, self.dialect.tokenize)
        self.source = DdlSource(text=text, file=file, dialect=dialect, lines=LineIndex(text, file))
        # the text as the server sees it: the client's lines blanked (same offsets), blocks skipped
        script = client_script(text, dialect)
        self.server_text = script.text if script is not None else text
        if dialect == "sqlite":  # SQLite takes any words as a type name; sqlglot reads fewer
            self.server_text = sqlite_type_names(
                self.server_text, self.dialect.tokenize, self._reads_type, self.source.type_extents
            )
        for note in script.notes if script is not None else []:
            self.source.note(note.rule, note.severity, note.message, self.source.span(note.start, note.end))
        self.current_schema = default_schema
        self.schemas: dict[str, Schema] = {}
        self.tables: dict[tuple[str, str], Table] = {}
        self.columns: dict[int, dict[str, Column]] = {}  # id(table) -> lower name -> first column
        self.index_keys: list[tuple[Table, UniqueKey]] = []  # read from CREATE UNIQUE INDEX

    def _reads_type(self, written: str) -> bool:
        """Whether sqlglot reads `written` as a column's type."""
        try:
            self.dialect.parse(f"CREATE TABLE t (c {written})")
        except SqlglotError:
            return False
        return True

    # -- reading ---------------------------------------------------------------------------------

    def read(self) -> ParsedErd:
        return self._read(self._statements(), stream=False)

    def read_with_lane(self) -> ParsedErd | None:
        """The file read with its plain comments taken from the text (`CommentLane`); None where
        the lane does not apply, and on any error, for `read` to report it from the tokenized file."""
        try:
            statements = self.lane.read(self.server_text) if self.lane is not None else None
            if statements is None:
                return None
            return self._read(statements, stream=_DECLARES_TYPE.search(self.source.text) is None)
        except (_LaneMiss, AcceleratorError, SqlglotError, MissingSemicolon):
            return None

    def _read(self, statements: list[Statement | SimpleComment], *, stream: bool) -> ParsedErd:
        """Parse every statement, then read them in order, enums first (a column may use one
        declared later). `stream` reads each statement as soon as it is parsed, while its tokens
        and tree are still in the processor's caches; only for a file without enums, read with the
        lane, which starts over on any error (a later syntax error is reported first)."""
        statements = self._expanded(statements)
        if stream:
            for statement in statements:
                entry = statement if isinstance(statement, SimpleComment) else self._parsed(statement)
                if isinstance(entry, tuple) and isinstance(entry[1], exp.Create) and entry[1].kind == "TYPE":
                    raise _LaneMiss
                self._handle(entry)
        else:
            parsed = [s if isinstance(s, SimpleComment) else self._parsed(s) for s in statements]
            for entry in parsed:
                if isinstance(entry, tuple) and isinstance(entry[1], exp.Create) and entry[1].kind == "TYPE":
                    self.source.add_enum(entry[1])
                elif isinstance(entry, tuple) and isinstance(entry[0], Statement) and _is_domain(entry[0]):
                    self.source.add_domain(entry[0])
            for entry in parsed:
                self._handle(entry)
        self._drop_redundant_index_keys()
        resolve_foreign_keys(self.source, self.tables)
        source = self.source
        return ParsedErd(source.file, source.text, list(self.schemas.values()), source.findings)

    def _handle(self, entry: SimpleComment | _Parsed) -> None:
        if isinstance(entry, SimpleComment):  # read by the lane: it must apply
            if not apply_comment(entry, self.tables, self.columns, self.current_schema):
                raise _LaneMiss
            return
        statement, read = entry
        if isinstance(read, _Unparsed):
            # a domain is read with the enums
            if read.silent or _is_domain(statement):
                return
            if not self._unique_index(statement) and not self._extended_property(statement):
                self._skip(statement, None)
            return
        if statement.schema is not None:  # an element of CREATE SCHEMA s: it is created in s
            outer, self.current_schema = self.current_schema, statement.schema
            try:
                self._handle((Statement(statement.tokens, statement.semicolon), read))
            finally:
                self.current_schema = outer
            return
        if isinstance(read, SimpleComment):
            if apply_comment(read, self.tables, self.columns, self.current_schema):
                return
            read = self._parse(statement)  # sqlglot's tree, for `_comment` to report the error
        handler = _HANDLERS.get(type(read)) if read is not None else None
        if handler is None or read is None:
            self._skip(statement, read)
            return
        try:
            handler(self, statement, read)
        except (LookupError, AttributeError, TypeError, ValueError, StopIteration) as error:
            # a shape of statement the readers do not expect: located, never a traceback
            raise self._error(
                f"could not read this {statement.keyword()} statement ({type(error).__name__}: {error})",
                self._statement_span(statement),
                "simplify the statement, or report it with the SQL that caused it",
            ) from error

    def _statements(self) -> list[Statement | SimpleComment]:
        try:
            tokens = self.dialect.tokenize(self.server_text)
        except TokenError as error:
            raise token_error(self.source, error) from None
        is_tsql = self.source.dialect in BATCH_SEPARATED
        try:
            statements = split_statements(tokens, batch_separator=is_tsql, strict=True)
        except MissingSemicolon as missing:
            raise self._missing_semicolon(missing.token) from None
        if is_tsql:
            statements = unwrapped_tsql_blocks(statements)
            statements = [Statement(drop_tsql_noise(s.tokens), s.semicolon) for s in statements]
        return list(statements)

    def _missing_semicolon(self, token: Token) -> AcceleratorError:
        """Every dialect but T-SQL ends a statement with `;` before the next one starts."""
        word = token.text.upper()
        return self._error(
            f"a new {word} statement starts here, but the statement before it has no `;`",
            self.source.span(token.start, token.end + 1),
            f"end the statement before this {word} with `;`",
        )

    def _parsed(self, statement: Statement) -> _Parsed:
        tokens = statement.tokens
        if tokens[0].token_type not in _PARSED_FIRST or (
            len(tokens) > 1 and tokens[1].token_type not in _PARSED_KINDS
        ):  # USE, COMMENT, and every other first word
            decision, index = triage(tokens)
            if decision == "unknown":
                raise self._unknown_kind(statement, index)
            if decision != "parse":
                return statement, _Unparsed(decision == "silent")
        comment = simple_comment(tokens) if self.simple_comments else None
        return statement, comment if comment is not None else self._parse(statement)

    def _unknown_kind(self, statement: Statement, index: int) -> AcceleratorError:
        token = statement.tokens[index]
        verb = statement.tokens[0].text.upper()
        return self._error(
            f"{verb} {token.text}: {token.text!r} is not a kind of object {verb} can make or change",
            self.source.span(token.start, token.end + 1),
            kind_hint(token.text),
        )

    def _expanded(self, statements: list[Statement | SimpleComment]) -> list[Statement | SimpleComment]:
        """Statements with PostgreSQL's `CREATE SCHEMA s CREATE TABLE ...` split into its elements."""
        result: list[Statement | SimpleComment] = []
        for statement in statements:
            pieces = schema_elements(statement) if isinstance(statement, Statement) else None
            if pieces is None:
                result.append(statement)
            else:
                result.extend(pieces)
        return result

    def _parse(self, statement: Statement) -> exp.Expr | None:
        try:
            expressions = self.parser.parse(statement.tokens, self.source.text)
        except ParseError as error:
            raise syntax_error(self.source, error, statement) from None
        return expressions[0] if expressions else None

    def _skip(self, statement: Statement, expression: exp.Expr | None) -> None:
        keyword = statement.keyword()
        if isinstance(expression, _SILENT) or keyword.split()[0] in _SILENT_COMMANDS:
            return
        if (
            isinstance(expression, exp.Command)
            and keyword == "ALTER TABLE"
            and self._alter_by_tokens(statement)
        ):
            return
        if isinstance(expression, exp.Command) and keyword.startswith("CREATE") and "TABLE" in keyword:
            if self._without_table_options(statement):
                return
            raise self._error(
                f"this {keyword} statement uses syntax the {self.source.dialect} reader does not understand",
                self._statement_span(statement),
                "simplify the statement to plain CREATE TABLE t (column type [constraints], ...), "
                "or read the file with the dialect it was written in",
            )
        # an unread ALTER TABLE that declares a key loses it: worth a warning, unlike `OWNER TO`
        tokens = statement.tokens
        declares_key = any(token.token_type in _KEY_TOKENS for token in tokens)
        severity: Severity = "warn" if keyword.startswith("ALTER TABLE") and declares_key else "info"
        message = f"{keyword} statement skipped: it declares nothing the model keeps"
        if any(
            token.token_type == TokenType.CREATE
            and tokens[i + 1].token_type == TokenType.TABLE
            and tokens[i - 1].text.upper() not in _PRIVILEGE_LISTS  # `GRANT CREATE TABLE TO u`
            for i, token in enumerate(tokens[1:-1], 1)
        ):  # `IF NOT EXISTS (...) BEGIN CREATE TABLE ... END`: a table the reader does not reach
            severity = "warn"
            message = f"{keyword} statement skipped, with the CREATE TABLE inside it: write it on its own"
        self.source.note("sql.statement.skipped", severity, message, self._statement_span(statement))

    def _unique_index(self, statement: Statement) -> bool:
        """`CREATE UNIQUE [CLUSTERED] INDEX n ON t [USING m] (a, b)` on a table read: a unique key
        of it (or a `warn` where the index is on expressions or partial); False for any other."""
        tokens = statement.tokens
        if tokens[0].token_type != TokenType.CREATE or "UNIQUE" not in (t.text.upper() for t in tokens[1:3]):
            return False
        on = next((i for i, t in enumerate(tokens) if t.token_type == TokenType.ON), None)
        opening = next(
            (i for i in range(on or len(tokens), len(tokens)) if tokens[i].token_type == TokenType.L_PAREN),
            None,
        )
        if on is None or opening is None:
            return False
        using = next((i for i in range(on, opening) if tokens[i].token_type == TokenType.USING), opening)
        parts = [t.text for t in tokens[on + 1 : using] if t.token_type != TokenType.DOT]
        if not parts or on < 2:
            return False
        schema = parts[-2] if len(parts) > 1 else self.current_schema
        table = self.tables.get((schema.lower(), parts[-1].lower()))
        if table is None:  # an index on a view, or on a table the file does not create
            return False
        name_token = tokens[on - 1]
        closing = matching_close(tokens, opening)
        columns: list[str] = []
        for first, last in top_level_items(tokens, opening + 1, closing):
            column = (
                table.column(tokens[first].text) if tokens[first].token_type != TokenType.STRING else None
            )
            if column is None or any(t.text.upper() not in ("ASC", "DESC") for t in tokens[first + 1 : last]):
                columns = []
                break
            columns.append(column.name)
        partial = any(t.token_type == TokenType.WHERE for t in tokens[closing + 1 :])
        span = self._statement_span(statement)
        if not columns or partial:
            why = "only where its WHERE holds" if partial else "on expressions, not columns"
            self.source.note(
                "sql.index.unique",
                "warn",
                f"unique index {name_token.text} on {table.name} is not kept as a unique key: it is unique "
                f"{why}",
                span,
                name_token.text,
            )
            return True
        name_span = self.source.span(name_token.start, name_token.end + 1)
        key = UniqueKey(name=name_token.text, columns=columns, span=span, name_span=name_span)
        table.unique_keys.append(key)
        self.index_keys.append((table, key))
        return True

    def _extended_property(self, statement: Statement) -> bool:
        """T-SQL `EXEC sp_addextendedproperty @name = N'MS_Description', @value = N'...',
        @level0type = N'SCHEMA', @level0name = s, @level1type = N'TABLE', @level1name = t
        [, @level2type = N'COLUMN', @level2name = c]` (named or positional): the table's or the
        column's comment; False for any other property, or one not on a table or column."""
        tokens = statement.tokens
        if tokens[0].token_type != TokenType.EXECUTE:
            return False
        proc = next((i for i, t in enumerate(tokens[:6]) if t.text.lower() == "sp_addextendedproperty"), None)
        if proc is None:
            return False
        args: dict[str, str | None] = {}
        for position, (first, last) in enumerate(top_level_items(tokens, proc + 1, len(tokens))):
            key = _EXTENDED_PROPERTY_ARGS[position] if position < len(_EXTENDED_PROPERTY_ARGS) else ""
            if tokens[first].token_type == TokenType.PARAMETER and first + 2 < last:
                key, first = tokens[first + 1].text.lower(), first + 3
            value = tokens[first] if last == first + 1 else None
            if value is not None and value.token_type in _STRINGS:
                args[key] = value.text
            elif value is not None and value.token_type == TokenType.NULL:
                args[key] = None
            else:
                args[key] = "?"  # a variable or an expression: not known here
        if (args.get("name") or "").lower() != "ms_description" or "?" in (
            args.get("value"),
            *(args.get(k) for k in _EXTENDED_PROPERTY_ARGS[2:]),
        ):
            return False
        kinds = [(args.get(f"level{n}type") or "").upper() for n in range(3)]
        if kinds[:2] != ["SCHEMA", "TABLE"] or kinds[2] not in ("", "COLUMN"):
            return False  # a description of a schema, view, procedure, index, ...
        schema, name = args.get("level0name") or "", args.get("level1name") or ""
        table = self.tables.get((schema.lower(), name.lower()))
        if table is None and schema.lower() == "dbo":  # `CREATE TABLE t` without a schema is in dbo
            table = self.tables.get((self.current_schema.lower(), name.lower()))
        column_name = args.get("level2name") if kinds[2] else None
        column = self.columns[id(table)].get(column_name.lower()) if table and column_name else None
        if table is None or (column_name and column is None):
            target = f"{schema}.{name}" + (f".{column_name}" if column_name else "")
            self.source.note(
                "sql.comment.unread",
                "warn",
                f"description of {target} not kept: the file does not create "
                + ("that column" if table is not None else "that table before it"),
                self._statement_span(statement),
                column_name or name,
            )
            return True
        (column or table).comment = args.get("value")
        return True

    def _drop_redundant_index_keys(self) -> None:
        """A unique index that backs the table's primary key or one of its unique keys (Oracle's
        `CREATE UNIQUE INDEX x_pk` before `ADD PRIMARY KEY ... USING INDEX`) adds no key."""
        for table, key in self.index_keys:
            columns = {c.lower() for c in key.columns}
            others = [k.columns for k in table.unique_keys if k is not key]
            if table.primary_key is not None:
                others.append(table.primary_key.columns)
            if any({c.lower() for c in other} == columns for other in others):
                table.unique_keys = [k for k in table.unique_keys if k is not key]

    def _without_table_options(self, statement: Statement) -> bool:
        """A CREATE TABLE whose options after the column list sqlglot cannot read (Oracle's
        `ORGANIZATION INDEX`, storage clauses): read without them, and name them in an info."""
        tokens = statement.tokens
        opening = next((i for i, t in enumerate(tokens) if t.token_type == TokenType.L_PAREN), None)
        if opening is None:
            return False
        closing = matching_close(tokens, opening)
        if closing + 1 >= len(tokens) or tokens[closing + 1].text.upper() not in _STORAGE_OPTIONS:
            return False
        trimmed = Statement(tokens[: closing + 1], statement.semicolon, statement.schema)
        try:
            read = self._parse(trimmed)
        except AcceleratorError:
            return False
        if not isinstance(read, exp.Create) or not isinstance(read.this, exp.Schema):
            return False
        self._create(trimmed, read)
        options = self.source.text[tokens[closing + 1].start : tokens[-1].end + 1]
        self.source.note(
            "sql.table.options",
            "info",
            f"table options {' '.join(options.split())[:60]} skipped: they describe storage, not the model",
            self.source.span(tokens[closing + 1].start, tokens[-1].end + 1),
        )
        return True

    def _alter_by_tokens(self, statement: Statement) -> bool:
        """ALTER TABLE actions sqlglot does not read: T-SQL's `ADD [CONSTRAINT n] DEFAULT x FOR c`
        (kept), and `ADD [COLUMN] c` without a type (an error); False for any other."""
        tokens = statement.tokens
        words = [t.text.upper() if t.token_type != TokenType.IDENTIFIER else "" for t in tokens]
        if "ADD" not in words:
            return False
        add = words.index("ADD")
        name_tokens = [t for t in tokens[2:add] if t.token_type in (TokenType.VAR, TokenType.IDENTIFIER)]
        after = add + 1 + (words[add + 1 : add + 2] == ["COLUMN"])
        if after + 1 == len(tokens) and tokens[after].token_type in (TokenType.VAR, TokenType.IDENTIFIER):
            name = tokens[after]
            raise self._error(
                f"ALTER TABLE ... ADD COLUMN {name.text}: the column has no type",
                self.source.span(name.start, name.end + 1),
                f"write its type: ADD COLUMN {name.text} <type>",
            )
        if "DEFAULT" not in words or "FOR" not in words or not name_tokens:
            return False
        default, target = words.index("DEFAULT"), len(words) - 1 - words[::-1].index("FOR")
        if target + 2 != len(tokens) or target <= default + 1:
            return False
        schema = name_tokens[-2].text if len(name_tokens) > 1 else self.current_schema
        table = self.tables.get((schema.lower(), name_tokens[-1].text.lower()))
        found = table.column(tokens[target + 1].text) if table is not None else None
        if found is None:
            return False
        column = found
        text = self.source.text[tokens[default + 1].start : tokens[target - 1].end + 1]
        try:
            parsed = self.dialect.parse(text)[0]
        except SqlglotError:
            parsed = None
        column.default = databricks_expression(parsed) if parsed is not None else None
        if column.default is None:
            self.source.note(
                "sql.default.untranslatable",
                "warn",
                f"default {text} of column {column.name} has no Databricks SQL equivalent; the column "
                "is kept without a default",
                self._statement_span(statement),
                column.name,
            )
        return True

    # -- statements -------------------------------------------------------------------------------

    def _create(self, statement: Statement, create: exp.Expr) -> None:
        kind = str(create.args.get("kind") or "").upper()
        if kind == "TABLE":
            self._create_table(statement, create)
        elif kind == "DATABASE" and self.source.dialect in _DATABASE_ABOVE_SCHEMAS:
            self._create_database(statement, create)
        elif kind in ("SCHEMA", "DATABASE"):
            self._create_schema(statement, create)
        elif kind != "TYPE":  # types were read in the first pass
            self._skip(statement, create)

    def _create_database(self, statement: Statement, create: exp.Expr) -> None:
        """Where a database holds schemas (Snowflake, SQL Server, PostgreSQL, Oracle), it is the
        level of the Unity Catalog catalog, which the configuration names: not a schema."""
        name = create.this.name if create.this is not None else ""
        comment = _property_comment(create)
        lost = f"; its comment {comment!r} is not kept" if comment else ""
        self.source.note(
            "sql.database.catalog",
            "warn" if comment else "info",
            f"database {name} is the catalog level in {self.source.dialect}, and the catalog is the one "
            f"configured for this file (`erd:` ... `catalog:`), so it is not read as a schema{lost}",
            self._statement_span(statement),
            name,
        )

    def _create_schema(self, statement: Statement, create: exp.Expr) -> None:
        target = create.this
        identifier = target.args.get("db") or target.args.get("this")
        schema = self._schema(identifier.name, identifier, statement)
        schema.span, schema.name_span = self._statement_span(statement), self.source.name_span(identifier)
        schema.comment = _property_comment(create) or schema.comment

    def _create_table(self, statement: Statement, create: exp.Expr) -> None:
        definition = create.this
        if not isinstance(definition, exp.Schema):  # CREATE TABLE ... AS SELECT / LIKE / CLONE
            original = self._copied_table(create)
            if original is not None:
                self._copy_table(statement, create, definition, original)
                return
            self.source.note(
                "sql.table.unread",
                "warn",
                f"table {definition.name} is created from a query or another table; its columns are unknown",
                self._statement_span(statement),
                definition.name,
            )
            return
        schema_name, table_node = self._qualified(definition.this)
        self._not_defined_yet(schema_name, table_node)
        schema = self._schema(schema_name, table_node.args.get("db"), statement)
        table = Table(
            name=table_node.name,
            span=self._statement_span(statement),
            name_span=self.source.name_span(table_node.this),
            comment=_property_comment(create),
        )
        tokens = statement.tokens
        after_name = statement.index_at(table_node.this.meta["start"]) + 1
        open_index = next(
            i for i in range(after_name, len(tokens)) if tokens[i].token_type == TokenType.L_PAREN
        )
        close_index = matching_close(tokens, open_index)
        found = top_level_items(tokens, open_index + 1, close_index)
        self._no_empty_item(statement, found, open_index, close_index)
        items = Items(found, tokens)
        columns, by_name = table.columns, self.columns.setdefault(id(table), {})
        for element in definition.expressions:
            item = items.holding(element)
            if isinstance(element, exp.Identifier):  # SQLite: a column without a type
                element = exp.ColumnDef(this=element)
            if isinstance(element, exp.LikeProperty):  # PostgreSQL: (LIKE t [INCLUDING ...], ...)
                self._like_columns(table, element, self.source.item_span(statement, item))
                continue
            if isinstance(element, exp.ColumnDef):
                column, keys = read_column(self.source, statement, element, item, self.current_schema)
                columns.append(column)  # `_add_column`, inlined: a file has 1,000s of columns
                by_name.setdefault(column.name.lower(), column)
            else:
                key = read_key(
                    self.source, element, self.source.item_span(statement, item), self.current_schema
                )
                keys = [key] if key is not None else []
            for key in keys:
                attach_key(self.source, table, key)
        properties = create.args.get("properties")
        if properties is not None:
            self._table_properties(table, properties.expressions)
        schema.tables.append(table)
        self.tables[(schema_name.lower(), table.name.lower())] = table

    def _not_defined_yet(self, schema_name: str, table_node: exp.Expr) -> None:
        existing = self.tables.get((schema_name.lower(), table_node.name.lower()))
        if existing is not None:
            first_line = existing.span.line if existing.span else 0
            raise self._error(
                f"table {schema_name}.{table_node.name} is defined twice (first at line {first_line})",
                self.source.name_span(table_node.this),
                "remove one definition, or rename one of the tables",
                model=True,
            )

    def _copied_table(self, create: exp.Expr) -> Table | None:
        """The table of this file that `CREATE TABLE t CLONE s` / `CREATE TABLE t LIKE s` copies."""
        clone, properties = create.args.get("clone"), create.args.get("properties")
        likes = [p for p in properties.expressions if isinstance(p, exp.LikeProperty)] if properties else []
        original = clone.this if clone is not None else (likes[0].this if likes else None)
        if not isinstance(original, exp.Table):
            return None
        schema_name, _ = self._qualified(original)
        return self.tables.get((schema_name.lower(), original.name.lower()))

    def _copy_table(self, statement: Statement, create: exp.Expr, target: exp.Expr, original: Table) -> None:
        """A clone or LIKE copy has the columns and primary key of its original (as every dialect
        copies them), and in Snowflake its foreign and unique keys too ("column names, types,
        defaults, and constraints are copied"), located at this statement: editing the copy must
        not touch the original."""
        schema_name, table_node = self._qualified(target)
        self._not_defined_yet(schema_name, table_node)
        schema = self._schema(schema_name, table_node.args.get("db"), statement)
        span = self._statement_span(statement)
        table = Table(
            name=table_node.name,
            span=span,
            name_span=self.source.name_span(table_node.this),
            comment=_property_comment(create),
        )
        for column in original.columns:
            self._add_column(table, copied(deep_copied(column), span=span, name_span=None))
        # the copy's keys are unnamed: Unity Catalog wants key names unique in the schema, so the
        # original's name would collide (the generated SQL names them after the copy)
        if original.primary_key is not None:
            table.primary_key = copied(deep_copied(original.primary_key), span=span, name=None)
        if self.source.dialect in _COPIES_CONSTRAINTS:
            table.foreign_keys = [copied(deep_copied(k), span=span, name=None) for k in original.foreign_keys]
            table.unique_keys = [copied(deep_copied(k), span=span, name=None) for k in original.unique_keys]
        schema.tables.append(table)
        self.tables[(schema_name.lower(), table.name.lower())] = table

    def _like_columns(self, table: Table, like: exp.LikeProperty, span: Span) -> None:
        """PostgreSQL's `LIKE t` in a column list: t's column names, types and NOT NULL; its
        defaults, identities, comments, CHECKs and primary key only as `INCLUDING DEFAULTS`,
        `IDENTITY`, `COMMENTS`, `CONSTRAINTS`, `INDEXES` (or `ALL`) ask; never its foreign keys."""
        original = None
        if isinstance(like.this, exp.Table):
            schema_name, node = self._qualified(like.this)
            original = self.tables.get((schema_name.lower(), node.name.lower()))
        if original is None:
            self.source.note(
                "sql.table.unread",
                "warn",
                f"table {table.name} copies the columns of {like.this.sql()}, which is not in this file; "
                "those columns are unknown",
                span,
                table.name,
            )
            return
        options: set[str] = set()
        for option in like.expressions:
            word, value = str(option.this).upper(), option.text("value").upper()
            if word == "INCLUDING":
                options |= (
                    {"DEFAULTS", "IDENTITY", "COMMENTS", "CONSTRAINTS", "INDEXES"}
                    if value == "ALL"
                    else {value}
                )
            elif word == "EXCLUDING":
                options = set() if value == "ALL" else options - {value}
        for column in original.columns:
            copy = copied(deep_copied(column), span=span, name_span=None)
            copy.default = copy.default if "DEFAULTS" in options else None
            copy.identity = copy.identity if "IDENTITY" in options else None
            copy.comment = copy.comment if "COMMENTS" in options else None
            self._add_column(table, copy)
        if "CONSTRAINTS" in options:
            table.checks.extend(copied(deep_copied(c), span=span, name=None) for c in original.checks)
        if "INDEXES" in options:
            if original.primary_key is not None and table.primary_key is None:
                table.primary_key = copied(deep_copied(original.primary_key), span=span, name=None)
            table.unique_keys.extend(
                copied(deep_copied(k), span=span, name=None) for k in original.unique_keys
            )

    def _no_empty_item(
        self, statement: Statement, items: list[tuple[int, int]], opening: int, closing: int
    ) -> None:
        """`(a INT,, b INT)`, `(a INT, )`: a comma with nothing before or after it is an error."""
        tokens, before = statement.tokens, opening  # the `(` or comma before the next item
        for first, last in items:
            if first != before + 1:
                self._extra_comma(tokens[before + 1])
            before = last
        if items and before != closing:
            comma = tokens[closing - 1]  # the comma right before `)`
            if self.source.dialect not in BATCH_SEPARATED or before != closing - 1:
                self._extra_comma(comma)
            self.source.note(  # SQL Server accepts one trailing comma in the list
                "sql.table.trailing_comma",
                "info",
                "a trailing comma before `)` is accepted by SQL Server only; it is ignored",
                self.source.span(comma.start, comma.end + 1),
            )

    def _extra_comma(self, comma: Token) -> None:
        raise self._error(
            "a column or constraint is missing at this comma",
            self.source.span(comma.start, comma.end + 1),
            "remove the extra comma, or write the missing column",
        )

    def _table_properties(self, table: Table, properties: list[exp.Expr]) -> None:
        """CLUSTER BY and TBLPROPERTIES are kept; partitioning and other dialects' options are
        reported by name."""
        for prop in properties:
            if isinstance(prop, exp.ClusterProperty) or type(prop).__name__ == "Cluster":
                table.cluster_by = [node.name for node in prop.expressions]
            elif isinstance(prop, exp.PartitionedByProperty):
                spec = prop.this.sql(dialect=self.source.dialect)
                self.source.note(
                    "sql.table.partitioning",
                    "warn",
                    f"PARTITIONED BY {spec} of table {table.name} is not kept: Databricks recommends "
                    "liquid clustering; add its columns to CLUSTER BY if they are filtered on",
                    table.name_span,
                    table.name,
                )
            elif type(prop) is exp.Property:
                key, value = prop.name, prop.args.get("value")
                text = value.name if isinstance(value, exp.Literal) else (value.sql() if value else "")
                if self.source.dialect in _TBLPROPERTIES:
                    table.properties[key] = text
                elif key.lower() == "description" and self.source.dialect == "bigquery":
                    table.comment = text
                else:
                    self.source.note(
                        "sql.table.option",
                        "warn",
                        f"option {key} = {text[:40]} of table {table.name} is not kept",
                        table.name_span,
                        table.name,
                    )

    def _alter(self, statement: Statement, alter: exp.Expr) -> None:
        if str(alter.args.get("kind") or "").upper() != "TABLE":
            self._skip(statement, alter)
            return
        table = self._existing_table(alter.this, "ALTER TABLE")
        tokens = statement.tokens
        after_name = statement.index_at(alter.this.this.meta["start"]) + 1
        items = Items(top_level_items(tokens, after_name, len(tokens)), tokens)
        actions: list[exp.Expr] = []
        for action in alter.args.get("actions") or []:
            if isinstance(action, exp.Schema) and action.this is None:  # Oracle's `ADD (c1, c2)`
                actions.extend(action.expressions)
            else:
                actions.append(action)
        for action in actions:
            item = items.holding(action)
            if isinstance(action, exp.Constraint):
                key = read_key(
                    self.source, action, self.source.item_span(statement, item), self.current_schema
                )
                if key is not None:
                    attach_key(self.source, table, key)
            elif isinstance(action, exp.AddConstraint):
                for node in action.expressions:
                    span = self.source.item_span(statement, item)
                    key = read_key(self.source, node, span, self.current_schema)
                    if key is not None:
                        attach_key(self.source, table, key)
            elif isinstance(action, exp.ColumnDef):
                column_item = (statement.index_at(action.this.meta["start"]), item[1])
                column, keys = read_column(self.source, statement, action, column_item, self.current_schema)
                self._add_column(table, column)
                for key in keys:
                    attach_key(self.source, table, key)
            elif isinstance(action, exp.AlterColumn) and action.args.get("default") is not None:
                set_default(self.source, table, action, self.source.item_span(statement, item))
            else:
                declares_key = action.find(
                    exp.PrimaryKey, exp.ForeignKey, exp.Reference, exp.UniqueColumnConstraint
                )
                self.source.note(
                    "sql.statement.skipped",
                    "warn" if declares_key is not None else "info",
                    f"ALTER TABLE {table.name} action skipped: {action.sql(dialect=self.source.dialect)[:60]}",
                    self.source.item_span(statement, item),
                    table.name,
                )

    def _comment(self, statement: Statement, comment: exp.Expr) -> None:
        kind = str(comment.args.get("kind") or "").upper()
        text = comment.args["expression"].name
        target = comment.this
        if kind == "TABLE":
            self._existing_table(target, "COMMENT ON TABLE").comment = text
        elif kind == "COLUMN":
            table_node = exp.Table(this=target.args.get("table"), db=target.args.get("db"))
            table = self._existing_table(table_node, "COMMENT ON COLUMN")
            column = table.column(target.name)
            if column is None:
                raise self._error(
                    f"COMMENT ON COLUMN names column {target.name!r}, which table {table.name} does not have",
                    self.source.name_span(target.this),
                    closest_hint(target.name, [c.name for c in table.columns]),
                    model=True,
                )
            column.comment = text
        elif kind == "SCHEMA":
            identifier = target.args.get("db") or target.args.get("this")
            self._schema(identifier.name, identifier, statement).comment = text
        else:
            self._skip(statement, comment)

    def _use(self, statement: Statement, use: exp.Expr) -> None:
        kind = str(use.args.get("kind") or "").upper()
        if kind == "SCHEMA" or (not kind and self.source.dialect in _USE_SELECTS_SCHEMA):
            self.current_schema = use.this.name

    # -- helpers ----------------------------------------------------------------------------------

    def _add_column(self, table: Table, column: Column) -> None:
        table.columns.append(column)
        self.columns.setdefault(id(table), {}).setdefault(column.name.lower(), column)

    def _qualified(self, table: exp.Expr) -> tuple[str, exp.Expr]:
        schema = table.args.get("db")
        return (schema.name if schema is not None else self.current_schema), table

    def _schema(self, name: str, identifier: exp.Expr | None, statement: Statement) -> Schema:
        schema = self.schemas.get(name.lower())
        if schema is None:
            schema = Schema(
                name=name, span=self._statement_span(statement), name_span=self.source.name_span(identifier)
            )
            self.schemas[name.lower()] = schema
        return schema

    def _existing_table(self, table_node: exp.Expr, statement_kind: str) -> Table:
        schema_name, _ = self._qualified(table_node)
        table = self.tables.get((schema_name.lower(), table_node.name.lower()))
        if table is None:
            known = [f"{schema}.{name}" for schema, name in self.tables]
            raise self._error(
                f"{statement_kind} names table {schema_name}.{table_node.name}, which is not defined "
                "before it in this file",
                self.source.name_span(table_node.this),
                "a table must be created before it is altered or commented on; "
                + closest_hint(f"{schema_name}.{table_node.name}".lower(), known),
                model=True,
            )
        return table

    def _statement_span(self, statement: Statement) -> Span:
        return self.source.span(statement.start, statement.end)

    def _error(self, message: str, span: Span | None, hint: str, *, model: bool = False) -> AcceleratorError:
        if model:
            return self.source.model_error(message, span, hint)
        line, column = (span.line, span.column) if span else (1, 1)
        source = self.source
        return ErdSyntaxError(
            message, file=source.file, line=line, column=column, hint=hint, source=source.text
        )


class _LaneMiss(Exception):
    """A comment the lane read names no table or column of the file: read it again, tokenized."""


def _is_domain(statement: Statement) -> bool:
    tokens = statement.tokens
    return len(tokens) > 3 and tokens[0].token_type == TokenType.CREATE and tokens[1].text.upper() == "DOMAIN"


def _property_comment(create: exp.Expr) -> str | None:
    properties = create.args.get("properties")
    for prop in properties.expressions if properties is not None else []:
        if isinstance(prop, exp.SchemaCommentProperty):
            return str(prop.this.name)
    return None


class _Unparsed:
    """A statement recognised by its first words and skipped without parsing it."""

    __slots__ = ("silent",)

    def __init__(self, silent: bool) -> None:
        self.silent = silent


# First words of the storage clauses that may follow a CREATE TABLE's column list.
_STORAGE_OPTIONS = {
    *[
        "ORGANIZATION",
        "TABLESPACE",
        "PCTFREE",
        "PCTUSED",
        "INITRANS",
        "MAXTRANS",
        "STORAGE",
        "LOGGING",
        "NOLOGGING",
        "COMPRESS",
    ],
    *[
        "NOCOMPRESS",
        "CACHE",
        "NOCACHE",
        "PARALLEL",
        "NOPARALLEL",
        "SEGMENT",
        "LOB",
        "PARTITION",
        "ENABLE",
        "DISABLE",
        "MONITORING",
    ],
    *[
        "NOMONITORING",
        "INMEMORY",
        "NO",
        "ON",
        "TEXTIMAGE_ON",
        "FILESTREAM_ON",
        "ENGINE",
        "DISTRIBUTE",
        "DISTKEY",
        "SORTKEY",
    ],
    *["DISTSTYLE", "INHERITS", "SERVER", "STORED", "LOCATION", "ROW_FORMAT", "RESULT_CACHE", "FLASHBACK"],
}
# Dialects whose `TBLPROPERTIES (k = v)` are Delta/Hive table properties, kept as they are.
_TBLPROPERTIES = {"databricks", "spark", "spark2", "hive"}
# First tokens (and, after CREATE, second tokens) of statements parsed without looking further.
_PARSED_FIRST = {TokenType.CREATE}
# sp_addextendedproperty's parameters, in their positional order
_EXTENDED_PROPERTY_ARGS = [
    "name", "value", "level0type", "level0name", "level1type", "level1name", "level2type", "level2name",
]  # fmt: skip
_STRINGS = {TokenType.STRING, TokenType.NATIONAL_STRING}
_PARSED_KINDS = {TokenType.TABLE, TokenType.SCHEMA, TokenType.DATABASE}
_Parsed = tuple[Statement, exp.Expr | SimpleComment | _Unparsed | None]
_Handler = Callable[[_DdlReader, Statement, exp.Expr], None]
_HANDLERS: dict[type[exp.Expr], _Handler] = {
    exp.Create: _DdlReader._create,
    exp.Alter: _DdlReader._alter,
    exp.Comment: _DdlReader._comment,
    exp.Use: _DdlReader._use,
}
