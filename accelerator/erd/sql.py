"""SQL DDL (any dialect sqlglot reads) -> the schemas and tables it declares.

The file is tokenized once with the dialect's tokenizer, split into statements on `;` (and T-SQL's
`GO`), and each statement is parsed by sqlglot from its tokens, so positions stay those of the file.
Statements are dispatched through a table from sqlglot node type to reader:

- CREATE TABLE (columns, types, NULL/NOT NULL, DEFAULT, identity/serial/AUTO_INCREMENT, inline and
  table-level PRIMARY KEY / UNIQUE / REFERENCES / FOREIGN KEY, inline COMMENT, table COMMENT);
  CHECK constraints and indexes are passed over.
- CREATE SCHEMA / CREATE DATABASE (a schema), CREATE TYPE ... AS ENUM (postgres enums),
  USE (the current schema, where the dialect's USE selects one).
- ALTER TABLE ... ADD [CONSTRAINT n] PRIMARY KEY / UNIQUE / FOREIGN KEY, ADD COLUMN,
  ALTER COLUMN ... SET DEFAULT (pg_dump's `nextval(...)` makes the column an identity).
- COMMENT ON SCHEMA / TABLE / COLUMN.

Pieces live beside this file: `sql_tokens` (statements, element extents), `sql_source` (spans, type
mapping), `sql_columns` (column definitions), `sql_keys` (table constraints), `sql_errors`.

Every other statement is skipped. Session and data statements (SET, SELECT, INSERT, transaction
control) are skipped silently; any other statement (CREATE INDEX, CREATE VIEW, GRANT, DROP, ...)
leaves an `info` finding `sql.statement.skipped`, so a reader of the report knows it was not read.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect, Dialects
from sqlglot.errors import ErrorLevel, ParseError, TokenError
from sqlglot.tokenizer_core import Token, TokenType

from accelerator.erd.base import LineIndex, ParsedErd
from accelerator.erd.sql_columns import databricks_expression, is_sequence_call, read_column
from accelerator.erd.sql_errors import closest_hint, syntax_error, token_error
from accelerator.erd.sql_keys import attach_key, read_key
from accelerator.erd.sql_source import DdlSource, Item
from accelerator.erd.sql_tokens import (
    Statement,
    drop_tsql_noise,
    matching_close,
    split_statements,
    top_level_items,
)
from accelerator.errors import AcceleratorError, ErdSyntaxError
from accelerator.model import Identity, Schema, Severity, Span, Table

SUPPORTED_DIALECTS = sorted(d.value for d in Dialects if d.value)
_DIALECT_ALIASES = {"postgresql": "postgres", "sqlserver": "tsql", "mssql": "tsql", "mariadb": "mysql"}
_SILENT = (exp.Set, exp.Select, exp.Insert, exp.Update, exp.Delete, exp.Transaction, exp.Commit)
_SILENT_COMMANDS = {"SET", "COPY", "BEGIN", "START", "COMMIT", "SELECT", "\\"}
_KEY_TOKENS = {TokenType.PRIMARY_KEY, TokenType.FOREIGN_KEY, TokenType.UNIQUE, TokenType.REFERENCES}
# Dialects whose plain `USE x` selects a schema (elsewhere it selects a database or catalog).
_USE_SELECTS_SCHEMA = {"mysql", "databricks", "spark", "spark2", "hive", "starrocks", "doris"}


def parse_sql(
    text: str, file: str, *, dialect: str = "postgres", default_schema: str = "default"
) -> ParsedErd:
    """Read SQL DDL written in `dialect`; tables without a schema go to `default_schema`."""
    name = _DIALECT_ALIASES.get(dialect.lower(), dialect.lower())
    if name not in SUPPORTED_DIALECTS:
        raise AcceleratorError(
            f"unsupported SQL dialect {dialect!r}", hint="use one of: " + ", ".join(SUPPORTED_DIALECTS)
        )
    return _DdlReader(text, file, name, default_schema).read()


@contextmanager
def _quiet_sqlglot() -> Iterator[None]:
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


class _DdlReader:
    def __init__(self, text: str, file: str, dialect: str, default_schema: str) -> None:
        self.dialect = Dialect.get_or_raise(dialect)
        self.source = DdlSource(text=text, file=file, dialect=dialect, lines=LineIndex(text, file))
        self.current_schema = default_schema
        self.schemas: dict[str, Schema] = {}
        self.tables: dict[tuple[str, str], Table] = {}

    # -- reading ---------------------------------------------------------------------------------

    def read(self) -> ParsedErd:
        with _quiet_sqlglot():
            parsed = [(statement, self._parse(statement)) for statement in self._statements()]
        for statement, expression in parsed:  # enums first: a column may use one declared later
            if isinstance(expression, exp.Create) and expression.kind == "TYPE":
                self._create_type(statement, expression)
        for statement, expression in parsed:
            handler = _HANDLERS.get(type(expression)) if expression is not None else None
            if handler is None or expression is None:
                self._skip(statement, expression)
                continue
            try:
                handler(self, statement, expression)
            except (LookupError, AttributeError, TypeError, ValueError, StopIteration) as error:
                # a shape of statement the readers do not expect: located, never a traceback
                raise self._error(
                    f"could not read this {statement.keyword()} statement ({type(error).__name__}: {error})",
                    self._statement_span(statement),
                    "simplify the statement, or report it with the SQL that caused it",
                ) from error
        self._resolve_foreign_keys()
        source = self.source
        return ParsedErd(source.file, source.text, list(self.schemas.values()), source.findings)

    def _statements(self) -> list[Statement]:
        try:
            tokens = self.dialect.tokenize(self.source.text)
        except TokenError as error:
            raise token_error(self.source, error) from None
        is_tsql = self.source.dialect in ("tsql", "fabric")
        statements = split_statements(tokens, batch_separator=is_tsql)
        if is_tsql:
            statements = [Statement(drop_tsql_noise(s.tokens)) for s in statements]
        return statements

    def _parse(self, statement: Statement) -> exp.Expr | None:
        parser = self.dialect.parser(error_level=ErrorLevel.RAISE)
        try:
            expressions = parser.parse(statement.tokens, self.source.text)
        except ParseError as error:
            raise syntax_error(self.source, error, statement) from None
        return expressions[0] if expressions else None

    def _skip(self, statement: Statement, expression: exp.Expr | None) -> None:
        keyword = statement.keyword()
        if isinstance(expression, _SILENT) or keyword.split()[0] in _SILENT_COMMANDS:
            return
        if isinstance(expression, exp.Command) and keyword.startswith("CREATE") and "TABLE" in keyword:
            raise self._error(
                f"this {keyword} statement uses syntax the {self.source.dialect} reader does not understand",
                self._statement_span(statement),
                "simplify the statement to plain CREATE TABLE t (column type [constraints], ...), "
                "or read the file with the dialect it was written in",
            )
        # an unread ALTER TABLE that declares a key loses it: worth a warning, unlike `OWNER TO`
        declares_key = any(token.token_type in _KEY_TOKENS for token in statement.tokens)
        severity: Severity = "warn" if keyword.startswith("ALTER TABLE") and declares_key else "info"
        self.source.note(
            "sql.statement.skipped",
            severity,
            f"{keyword} statement skipped: it declares nothing the model keeps",
            self._statement_span(statement),
        )

    # -- statements -------------------------------------------------------------------------------

    def _create(self, statement: Statement, create: exp.Expr) -> None:
        kind = str(create.args.get("kind") or "").upper()
        if kind == "TABLE":
            self._create_table(statement, create)
        elif kind in ("SCHEMA", "DATABASE"):
            self._create_schema(statement, create)
        elif kind != "TYPE":  # types were read in the first pass
            self._skip(statement, create)

    def _create_schema(self, statement: Statement, create: exp.Expr) -> None:
        target = create.this
        identifier = target.args.get("db") or target.args.get("this")
        schema = self._schema(identifier.name, identifier, statement)
        schema.span, schema.name_span = self._statement_span(statement), self.source.name_span(identifier)
        schema.comment = _property_comment(create) or schema.comment

    def _create_type(self, statement: Statement, create: exp.Expr) -> None:
        datatype = create.args.get("expression")
        if not isinstance(datatype, exp.DataType) or not datatype.is_type(exp.DataType.Type.ENUM):
            return
        values = [value.name for value in datatype.expressions]
        target = create.this
        self.source.enums[target.name] = values
        if target.args.get("db") is not None:
            self.source.enums[f"{target.args['db'].name}.{target.name}"] = values

    def _create_table(self, statement: Statement, create: exp.Expr) -> None:
        definition = create.this
        if not isinstance(definition, exp.Schema):  # CREATE TABLE ... AS SELECT / LIKE
            self.source.note(
                "sql.table.unread",
                "warn",
                f"table {definition.name} is created from a query or another table; its columns are unknown",
                self._statement_span(statement),
                definition.name,
            )
            return
        schema_name, table_node = self._qualified(definition.this)
        existing = self.tables.get((schema_name.lower(), table_node.name.lower()))
        if existing is not None:
            first_line = existing.span.line if existing.span else 0
            raise self._error(
                f"table {schema_name}.{table_node.name} is defined twice (first at line {first_line})",
                self.source.name_span(table_node.this),
                "remove one definition, or rename one of the tables",
                model=True,
            )
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
        items = _Items(top_level_items(tokens, open_index + 1, matching_close(tokens, open_index)), tokens)
        for element in definition.expressions:
            item = items.holding(element)
            if isinstance(element, exp.Identifier):  # SQLite: a column without a type
                element = exp.ColumnDef(this=element)
            if isinstance(element, exp.ColumnDef):
                column, keys = read_column(self.source, statement, element, item, self.current_schema)
                table.columns.append(column)
            else:
                key = read_key(
                    self.source, element, self.source.item_span(statement, item), self.current_schema
                )
                keys = [key] if key is not None else []
            for key in keys:
                attach_key(self.source, table, key)
        schema.tables.append(table)
        self.tables[(schema_name.lower(), table.name.lower())] = table

    def _alter(self, statement: Statement, alter: exp.Expr) -> None:
        if str(alter.args.get("kind") or "").upper() != "TABLE":
            self._skip(statement, alter)
            return
        table = self._existing_table(alter.this, "ALTER TABLE")
        tokens = statement.tokens
        after_name = statement.index_at(alter.this.this.meta["start"]) + 1
        items = _Items(top_level_items(tokens, after_name, len(tokens)), tokens)
        for action in alter.args.get("actions") or []:
            item = items.holding(action)
            if isinstance(action, exp.AddConstraint):
                for node in action.expressions:
                    span = self.source.item_span(statement, item)
                    key = read_key(self.source, node, span, self.current_schema)
                    if key is not None:
                        attach_key(self.source, table, key)
            elif isinstance(action, exp.ColumnDef):
                column_item = (statement.index_at(action.this.meta["start"]), item[1])
                column, keys = read_column(self.source, statement, action, column_item, self.current_schema)
                table.columns.append(column)
                for key in keys:
                    attach_key(self.source, table, key)
            elif isinstance(action, exp.AlterColumn) and action.args.get("default") is not None:
                self._set_default(table, action, self.source.item_span(statement, item))
            else:
                self.source.note(
                    "sql.statement.skipped",
                    "info",
                    f"ALTER TABLE {table.name} action skipped: {action.sql(dialect=self.source.dialect)[:60]}",
                    self.source.item_span(statement, item),
                    table.name,
                )

    def _set_default(self, table: Table, action: exp.Expr, span: Span) -> None:
        column = table.column(action.name)
        if column is None:
            raise self._error(
                f"ALTER TABLE {table.name} names column {action.name!r}, which {table.name} does not have",
                self.source.name_span(action.this) or span,
                closest_hint(action.name, [c.name for c in table.columns]),
                model=True,
            )
        default = action.args["default"]
        if is_sequence_call(default):
            column.identity, column.nullable = Identity(always=False, span=span), False
        else:
            column.default = databricks_expression(default)

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

    def _resolve_foreign_keys(self) -> None:
        """`REFERENCES t` without columns means t's primary key."""
        for table in self.tables.values():
            for key in table.foreign_keys:
                if key.ref_columns:
                    continue
                target = self.tables.get((key.ref_schema.lower(), key.ref_table.lower()))
                if target is None or target.primary_key is None:
                    raise self._error(
                        f"foreign key of {table.name} references {key.ref_schema}.{key.ref_table} without "
                        "naming columns, and that table has no primary key in this file",
                        key.span,
                        f"name the referenced columns: REFERENCES {key.ref_table} (column)",
                        model=True,
                    )
                key.ref_columns = list(target.primary_key.columns)

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


class _Items:
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


def _property_comment(create: exp.Expr) -> str | None:
    properties = create.args.get("properties")
    for prop in properties.expressions if properties is not None else []:
        if isinstance(prop, exp.SchemaCommentProperty):
            return str(prop.this.name)
    return None


_Handler = Callable[[_DdlReader, Statement, exp.Expr], None]
_HANDLERS: dict[type[exp.Expr], _Handler] = {
    exp.Create: _DdlReader._create,
    exp.Alter: _DdlReader._alter,
    exp.Comment: _DdlReader._comment,
    exp.Use: _DdlReader._use,
}
