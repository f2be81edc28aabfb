"""Generated SQL checked against Databricks: every statement parses with sqlglot's `databricks`
dialect, and obeys the typing rules sqlglot does not check. Pure: text in, findings out.

`validate_sql(text, file)` splits a generated file (comments and `;` separators as the renderers
write them) into statements with sqlglot's Databricks tokenizer, parses each one alone (so one bad
statement does not hide the next) and checks it. Each problem is an `error` `Finding` located at the
file, line and column of the statement (or of the column it is about), naming the rule:

| rule                          | what Databricks would reject                                        |
|-------------------------------|---------------------------------------------------------------------|
| `sql.valid.tokens`            | text the tokenizer cannot read (an unterminated string or comment)  |
| `sql.valid.parse`             | a statement sqlglot's Databricks parser rejects (its message)       |
| `sql.valid.nesting`           | a statement nested too deeply to be checked                         |
| `sql.valid.unparsed`          | a statement sqlglot only keeps as a generic command, outside the    |
|                               | Unity Catalog statements it has no grammar for (nothing was checked)|
| `sql.valid.list`              | an empty item in a list: `(a INT,, b INT)`, `(a INT, )`             |
| `sql.valid.type`              | a type that is not one of Databricks' (`UUID`, `JSON`, `INT UNSIGNED`), |
|                               | a DECIMAL beyond 38 digits or with more scale than precision, a    |
|                               | column without a type                                               |
| `sql.valid.identity`          | an identity column not BIGINT, or with a DEFAULT or a generation expression |
| `sql.valid.default`           | a DEFAULT that is not a value of its column's type (`'a'` for INT, |
|                               | `1` for BOOLEAN, a string for ARRAY), or not written typed          |
| `sql.valid.cast`              | a cast of a string literal to ARRAY, MAP or STRUCT                  |
| `sql.valid.table.empty`       | `CREATE TABLE t ()`: a table without columns                        |
| `sql.valid.column.duplicate`  | two columns of one name (Databricks compares names case-insensitively) |
| `sql.valid.constraint`        | a key, CHECK, CLUSTER BY or PARTITIONED BY naming a column the table |
|                               | does not have, a nullable primary key column, a foreign key whose   |
|                               | column count differs from the referenced one's                      |

`validate_files([(file, text), ...])` checks several files in order with what the earlier ones
created known to the later ones (a migration's `V0002` altering the tables of `V0001`)."""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel, ParseError, TokenError
from sqlglot.tokenizer_core import Token, TokenType

from accelerator.erd.sql.source import quiet_sqlglot
from accelerator.model import Finding, Span
from accelerator.model.defaults import column_kind, fit_default

_DIALECT = Dialect.get_or_raise("databricks")

# Statements of Unity Catalog that sqlglot 30 has no grammar for (it keeps them as a Command).
_COMMAND_STATEMENTS = (
    "CREATE CATALOG ",
    "ALTER CATALOG ",
    "ALTER SCHEMA ",
    "ALTER VOLUME ",
    "GRANT ",
    "REVOKE ",
    "SHOW ",
    "DESCRIBE ",
)
_COMMAND_TABLE_CLAUSES = (" OWNER TO ", " SET TAGS ", " UNSET TAGS ", " SET MASK ", " DROP MASK")
_COMMAND_MOVE_COLUMN = re.compile(r"^ALTER TABLE \S+ ALTER COLUMN \S+ (FIRST|AFTER \S+) $")
# Databricks' type names (https://docs.databricks.com/en/sql/language-manual/sql-ref-datatypes.html),
# with the synonyms it accepts and the words of INTERVAL qualifiers.
_TYPE_WORDS = frozenset(
    {
        "BIGINT", "LONG", "INT", "INTEGER", "SMALLINT", "SHORT", "TINYINT", "BYTE",
        "DECIMAL", "DEC", "NUMERIC", "DOUBLE", "FLOAT", "REAL",
        "BOOLEAN", "STRING", "VARCHAR", "CHAR", "CHARACTER", "BINARY",
        "DATE", "TIMESTAMP", "TIMESTAMP_LTZ", "TIMESTAMP_NTZ",
        "INTERVAL", "YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND", "TO",
        "ARRAY", "MAP", "STRUCT", "VARIANT", "OBJECT", "GEOGRAPHY", "GEOMETRY", "VOID",
        "NOT", "NULL", "COMMENT", "COLLATE",
    }
)  # fmt: skip
_STRUCT_FIELD = re.compile(r"(`[^`]*`|\w+)\s*:")
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'")
_CLASS = re.compile(r"<class '[\w.]*?(\w+)'>")  # sqlglot names its node classes in some messages
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Tokens that end a column's type in a column definition.
_TYPE_END = frozenset(
    {
        TokenType.COMMA, TokenType.R_PAREN, TokenType.NOT, TokenType.NULL, TokenType.DEFAULT,
        TokenType.COMMENT, TokenType.CONSTRAINT, TokenType.PRIMARY_KEY, TokenType.REFERENCES,
        TokenType.COLLATE, TokenType.SEMICOLON,
    }
)  # fmt: skip
_TYPE_END_WORDS = frozenset({"GENERATED", "CHECK", "MASK", "AFTER", "FIRST", "FOREIGN", "UNIQUE"})
_COMPLEX = (exp.DataType.Type.ARRAY, exp.DataType.Type.MAP, exp.DataType.Type.STRUCT)
RULES = (
    "sql.valid.tokens",
    "sql.valid.parse",
    "sql.valid.nesting",
    "sql.valid.unparsed",
    "sql.valid.list",
    "sql.valid.type",
    "sql.valid.identity",
    "sql.valid.default",
    "sql.valid.cast",
    "sql.valid.table.empty",
    "sql.valid.column.duplicate",
    "sql.valid.constraint",
)


@dataclass(frozen=True)
class Statement:
    """One statement of a file: its text (no `;`), its tokens, where it starts (1-based)."""

    text: str
    tokens: Sequence[Token]
    line: int
    column: int


@dataclass
class _Column:
    type: str
    nullable: bool


@dataclass
class _Table:
    columns: dict[str, _Column] = field(default_factory=dict)  # lower-cased name -> column
    keys: set[str] = field(default_factory=set)  # its PRIMARY and FOREIGN KEY constraints' names
    checks: set[str] = field(default_factory=set)  # its CHECK constraints' names
    primary: str | None = None  # the name of its primary key


class _Lines:
    """Offsets of a text to 1-based (line, column)."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]

    def at(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


def split_statements(sql: str) -> list[Statement]:
    """The statements of `sql`, split at the `;` tokens (so a `;` in a string or comment is not a
    separator); raises sqlglot's `TokenError` on text the tokenizer cannot read."""
    tokens = _DIALECT.tokenize(sql)
    lines = _Lines(sql)
    statements: list[Statement] = []
    current: list[Token] = []
    for token in [*tokens, None]:
        if token is not None and token.token_type != TokenType.SEMICOLON:
            current.append(token)
            continue
        if current:
            line, column = lines.at(current[0].start)
            text = sql[current[0].start : current[-1].end + 1]
            statements.append(Statement(text, current, line, column))
        current = []
    return statements


def validate_sql(sql: str, file: str) -> list[Finding]:
    """The findings of one generated SQL file (empty when every statement is valid)."""
    return validate_files([(file, sql)])


def validate_files(files: Iterable[tuple[str, str]]) -> list[Finding]:
    """The findings of several files checked in order, the tables created by the earlier ones known
    to the later ones."""
    tables: dict[str, _Table] = {}
    findings: list[Finding] = []
    with quiet_sqlglot():  # a Unity Catalog form sqlglot keeps as a Command is checked here instead
        for file, sql in files:
            findings.extend(_Validator(file, sql, tables).run())
    return findings


class _Validator:
    def __init__(self, file: str, sql: str, tables: dict[str, _Table]) -> None:
        self.file = file
        self.sql = sql
        self.lines = _Lines(sql)
        self.tables = tables
        self.findings: list[Finding] = []
        self.statement: Statement | None = None

    def run(self) -> list[Finding]:
        try:
            statements = split_statements(self.sql)
        except TokenError as error:
            self._add("sql.valid.tokens", f"the text cannot be read as Databricks SQL: {error}", 0)
            return self.findings
        for statement in statements:
            self.statement = statement
            try:
                self._check_lists(statement)
                tree = self._parse(statement)
                if tree is not None:
                    self._check(tree)
            except RecursionError:  # sqlglot's parser and our walks recurse once per level
                self._add(
                    "sql.valid.nesting",
                    f"`{self._head()}` is nested too deeply to be checked; split the expression",
                )
        return self.findings

    # -- locating --------------------------------------------------------------------------------

    def _add(self, rule: str, message: str, offset: int | None = None, obj: str | None = None) -> None:
        """A finding at `offset` in the file (the statement's start when None)."""
        if offset is None:
            offset = self.statement.tokens[0].start if self.statement else 0
        line, column = self.lines.at(offset)
        span = Span(self.file, line, column, line, column + 1)
        self.findings.append(Finding(rule=rule, severity="error", message=message, span=span, object=obj))

    def _offset(self, node: exp.Expr | None) -> int | None:
        """The file offset of a parsed node: of the first identifier in it, else in the column or
        constraint it belongs to (a literal carries no position); None: the statement's start."""
        current = node
        while current is not None and not isinstance(current, exp.Schema | exp.Alter | exp.Create):
            for part in current.walk():
                start = part.meta.get("start") if isinstance(part, exp.Identifier) else None
                if isinstance(start, int):
                    return start
            current = current.parent
        return None

    def _head(self) -> str:
        text = " ".join(self.statement.text.split()) if self.statement else ""
        return text if len(text) <= 80 else text[:77] + "..."

    # -- parsing ---------------------------------------------------------------------------------

    def _parse(self, statement: Statement) -> exp.Expr | None:
        parser = _DIALECT.parser(error_level=ErrorLevel.RAISE)
        try:
            trees = parser.parse(list(statement.tokens), self.sql)
        except ParseError as error:
            detail = error.errors[0] if error.errors else {}
            description = _CLASS.sub(r"\1", str(detail.get("description") or error).split("\n")[0])
            highlight = detail.get("highlight")
            near = f" at `{highlight}`" if highlight else ""
            line, col = detail.get("line"), detail.get("col")
            offset = None
            if isinstance(line, int) and isinstance(col, int) and highlight:
                offset = self.lines.starts[line - 1] + col - len(str(highlight))
            self._add(
                "sql.valid.parse",
                f"not valid Databricks SQL{near}: {description}, in `{self._head()}`",
                offset if offset is not None and offset >= statement.tokens[0].start else None,
            )
            return None
        tree = trees[0] if trees else None
        if isinstance(tree, exp.Command):
            words = " ".join(statement.text.upper().split()) + " "
            known = (
                words.startswith(_COMMAND_STATEMENTS)
                or (words.startswith("ALTER TABLE ") and any(c in words for c in _COMMAND_TABLE_CLAUSES))
                or _COMMAND_MOVE_COLUMN.match(words) is not None
            )
            if not known:
                self._add(
                    "sql.valid.unparsed",
                    f"sqlglot's Databricks dialect has no grammar for `{self._head()}`, so it is not "
                    "checked; write it in a form Databricks documents, or add it to the Unity Catalog "
                    "statements this check knows",
                )
            return None
        return tree

    def _check_lists(self, statement: Statement) -> None:
        """`,,` and `, )`: sqlglot reads past an empty list item, Databricks does not."""
        tokens = statement.tokens
        for token, following in itertools.pairwise(tokens):
            if token.token_type == TokenType.COMMA and following.token_type in (
                TokenType.COMMA,
                TokenType.R_PAREN,
            ):
                self._add(
                    "sql.valid.list",
                    f"an empty item in a list (`,{following.text}`) in `{self._head()}`: remove the extra comma",
                    token.start,
                )

    # -- checks ----------------------------------------------------------------------------------

    def _check(self, tree: exp.Expr) -> None:
        for cast in tree.find_all(exp.Cast):
            self._check_cast(cast)
        if isinstance(tree, exp.Drop) and str(tree.args.get("kind") or "").upper() == "TABLE":
            for dropped in tree.args.get("tables") or []:
                self.tables.pop(_table_name(dropped), None)
        elif isinstance(tree, exp.Create) and str(tree.args.get("kind") or "").upper() == "TABLE":
            self._check_create_table(tree)
        elif isinstance(tree, exp.Alter) and str(tree.args.get("kind") or "").upper() == "TABLE":
            self._check_alter_table(tree)

    def _check_cast(self, cast: exp.Cast) -> None:
        if _string_to_complex(cast):
            self._add(
                "sql.valid.cast",
                f"`{cast.sql(dialect='databricks')}`: Databricks cannot cast a string to "
                f"{cast.to.this.value}; write the value as a literal of that type "
                f"(`ARRAY(...)`, `MAP(...)`, `NAMED_STRUCT(...)`)",
                self._offset(cast),
            )

    def _check_create_table(self, tree: exp.Create) -> None:
        schema = tree.this
        if not isinstance(schema, exp.Schema):
            return  # CREATE TABLE ... AS SELECT / LIKE / CLONE: its columns come from elsewhere
        name = _table_name(schema.this)
        table = _Table()
        definitions = [e for e in schema.expressions if isinstance(e, exp.ColumnDef)]
        if not definitions and not tree.expression:
            self._add(
                "sql.valid.table.empty",
                f"table {name} has no columns: Databricks requires at least one",
                obj=name,
            )
        for definition in definitions:
            self._add_column(table, name, definition)
        self.tables[name] = table
        for element in schema.expressions:
            if isinstance(element, exp.Constraint):
                self._name_constraint(table, name, element)
                for constraint in element.expressions:
                    self._check_constraint(table, name, constraint)
            elif isinstance(element, exp.PrimaryKey | exp.ForeignKey | exp.CheckColumnConstraint):
                self._check_constraint(table, name, element)
        for definition in definitions:
            for constraint in definition.constraints:
                kind = constraint.args.get("kind")
                if isinstance(kind, exp.CheckColumnConstraint):
                    self._check_constraint(table, name, kind)
                if isinstance(constraint.this, exp.Identifier):
                    self._name_constraint(table, name, constraint)
        properties = tree.args.get("properties")
        for prop in properties.expressions if isinstance(properties, exp.Properties) else []:
            if isinstance(prop, exp.PartitionedByProperty | exp.ClusterProperty):
                what = "PARTITIONED BY" if isinstance(prop, exp.PartitionedByProperty) else "CLUSTER BY"
                self._check_names(table, name, _name_nodes(prop), what)

    def _check_alter_table(self, tree: exp.Alter) -> None:
        name = _table_name(tree.this)
        table = self.tables.get(name)
        for action in tree.args.get("actions") or []:
            added = action.expressions if isinstance(action, exp.Schema) else [action]
            for definition in [a for a in added if isinstance(a, exp.ColumnDef)]:
                if table is not None:
                    self._add_column(table, name, definition)
                else:
                    self._check_column(name, definition, _TypeOf(definition, self.statement, self.sql))
            if isinstance(action, exp.AlterColumn):
                self._check_alter_column(table, name, action)
            elif isinstance(action, exp.AddConstraint | exp.Constraint):
                for constraint in action.expressions:
                    if isinstance(constraint, exp.Constraint) and table is not None:
                        self._name_constraint(table, name, constraint)
                    inner = constraint.expressions if isinstance(constraint, exp.Constraint) else [constraint]
                    for part in inner:
                        self._check_constraint(table, name, part)
            elif isinstance(action, exp.Drop) and table is not None:
                dropped_kind = str(action.args.get("kind") or "").upper()
                for dropped in action.args.get("tables") or []:
                    if dropped_kind == "COLUMN":
                        table.columns.pop(dropped.name.lower(), None)
                    elif dropped_kind == "CONSTRAINT":
                        table.keys.discard(dropped.name.lower())
                        table.checks.discard(dropped.name.lower())
            elif table is not None and _drops_primary_key(action):
                table.keys.discard(table.primary or "")
                table.primary = None
            elif isinstance(action, exp.RenameColumn) and table is not None:
                old, new = action.this, action.args.get("to")
                column = table.columns.pop(old.name.lower(), None) if old is not None else None
                if column is not None and new is not None:
                    table.columns[new.name.lower()] = column
            elif isinstance(action, exp.ClusterProperty) and table is not None:
                self._check_names(table, name, _name_nodes(action), "CLUSTER BY")
            elif isinstance(action, exp.AlterRename) and table is not None:
                self.tables[_table_name(action.this)] = self.tables.pop(name)

    def _check_alter_column(self, table: _Table | None, name: str, action: exp.AlterColumn) -> None:
        column = table.columns.get(action.name.lower()) if table is not None else None
        if table is not None and column is None:
            self._add(
                "sql.valid.constraint",
                f"ALTER COLUMN {action.name}: table {name} has no such column",
                self._offset(action),
                f"{name}.{action.name}",
            )
            return
        new_type = action.args.get("dtype")
        if isinstance(new_type, exp.DataType) and column is not None:
            column.type = new_type.sql(dialect="databricks")
        if action.args.get("allow_null") is not None and column is not None:
            column.nullable = bool(action.args["allow_null"])
        default = action.args.get("default")
        if default is not None and column is not None:
            self._check_default(f"{name}.{action.name}", column.type, default, self._offset(action))

    # -- columns ---------------------------------------------------------------------------------

    def _add_column(self, table: _Table, table_name: str, definition: exp.ColumnDef) -> None:
        typed = _TypeOf(definition, self.statement, self.sql)
        key = definition.name.lower()
        if key in table.columns:
            self._add(
                "sql.valid.column.duplicate",
                f"column {definition.name} is defined twice in {table_name} (Databricks compares column "
                "names case-insensitively)",
                self._offset(definition),
                f"{table_name}.{definition.name}",
            )
        nullable = not any(
            isinstance(c.args.get("kind"), exp.NotNullColumnConstraint) for c in definition.constraints
        )
        table.columns[key] = _Column(typed.sql or "", nullable)
        self._check_column(table_name, definition, typed)

    def _check_column(self, table_name: str, definition: exp.ColumnDef, typed: _TypeOf) -> None:
        obj = f"{table_name}.{definition.name}"
        at = self._offset(definition)
        if typed.kind is None:
            self._add("sql.valid.type", f"column {definition.name} of {table_name} has no type", at, obj)
            return
        self._check_type(obj, typed, at)
        kinds = [c.args.get("kind") for c in definition.constraints]
        identity = [
            k
            for k in kinds
            if isinstance(k, exp.GeneratedAsIdentityColumnConstraint) and k.args.get("expression") is None
        ]
        defaults = [k for k in kinds if isinstance(k, exp.DefaultColumnConstraint)]
        generated = [
            k
            for k in kinds
            if isinstance(k, exp.ComputedColumnConstraint)
            or (
                isinstance(k, exp.GeneratedAsIdentityColumnConstraint)
                and k.args.get("expression") is not None
            )
        ]
        if identity:
            if typed.sql != "BIGINT":
                self._add(
                    "sql.valid.identity",
                    f"identity column {definition.name} of {table_name} is {typed.sql}: Databricks supports "
                    "identity columns only on BIGINT",
                    at,
                    obj,
                )
            if defaults or generated:
                self._add(
                    "sql.valid.identity",
                    f"identity column {definition.name} of {table_name} also has a "
                    f"{'DEFAULT' if defaults else 'generation expression'}: Databricks allows neither",
                    at,
                    obj,
                )
        if defaults and generated:
            self._add(
                "sql.valid.default",
                f"generated column {definition.name} of {table_name} also has a DEFAULT",
                at,
                obj,
            )
        for default in defaults:
            self._check_default(obj, typed.sql or "", default.this, at)

    def _check_type(self, obj: str, typed: _TypeOf, at: int | None) -> None:
        assert typed.kind is not None
        unknown = sorted(w for w in typed.words() if w.upper() not in _TYPE_WORDS)
        if unknown:
            self._add(
                "sql.valid.type",
                f"{obj} is `{typed.text}`: {', '.join(unknown)} is not a Databricks type "
                f"(sqlglot reads it as {typed.sql})",
                at,
                obj,
            )
        for data_type in typed.kind.find_all(exp.DataType):
            if data_type.this == exp.DataType.Type.DECIMAL and data_type.expressions:
                sizes = [int(e.name) if e.name.isdigit() else -1 for e in data_type.expressions]
                precision, scale = sizes[0], sizes[1] if len(sizes) > 1 else 0
                if not (1 <= precision <= 38 and 0 <= scale <= precision):
                    self._add(
                        "sql.valid.type",
                        f"{obj} is {data_type.sql(dialect='databricks')}: Databricks' DECIMAL has a precision "
                        "of 1 to 38 and a scale of 0 to the precision",
                        at,
                        obj,
                    )
            if (
                data_type.this in (exp.DataType.Type.VARCHAR, exp.DataType.Type.CHAR)
                and data_type.expressions
            ):
                length = data_type.expressions[0].name
                if not length.isdigit() or int(length) < 1:
                    self._add(
                        "sql.valid.type",
                        f"{obj} is {data_type.sql(dialect='databricks')}: the length must be at least 1",
                        at,
                        obj,
                    )

    def _check_default(self, obj: str, column_type: str, default: exp.Expr, at: int | None) -> None:
        if any(_string_to_complex(cast) for cast in default.find_all(exp.Cast)):
            return  # told by sql.valid.cast
        written = default.sql(dialect="databricks")
        node = default.unnest() if isinstance(default, exp.Paren) else default
        kind = column_kind(column_type)
        problem = None
        if kind == "boolean" and not isinstance(node, exp.Boolean | exp.Null):
            problem = "a BOOLEAN takes TRUE, FALSE or NULL (Databricks does not coerce other values)"
        elif kind in ("array", "integral", "fractional", "date", "timestamp") and (
            isinstance(node, exp.Literal) and node.is_string
        ):
            problem = f"a string is not of type {column_type}"
        if problem is None:
            fitted, reason = fit_default(written, column_type)
            if fitted is None:
                problem = reason
            elif fitted != written:
                problem = f"write it as `{fitted}`"
        if problem is not None:
            self._add(
                "sql.valid.default",
                f"{obj} is {column_type} DEFAULT {written}: {problem}",
                at,
                obj,
            )

    # -- constraints -----------------------------------------------------------------------------

    def _check_constraint(self, table: _Table | None, name: str, constraint: exp.Expr) -> None:
        if isinstance(constraint, exp.PrimaryKey):
            nodes = _name_nodes(constraint)
            self._check_names(table, name, nodes, "PRIMARY KEY")
            for node in nodes:
                known = table.columns.get(node.name.lower()) if table is not None else None
                if known is not None and known.nullable:
                    self._add(
                        "sql.valid.constraint",
                        f"primary key column {node.name} of {name} is nullable: Databricks requires NOT NULL",
                        self._offset(node),
                        f"{name}.{node.name}",
                    )
        elif isinstance(constraint, exp.ForeignKey):
            columns = [e.name for e in constraint.expressions]
            self._check_names(table, name, _name_nodes(constraint), "FOREIGN KEY")
            reference = constraint.args.get("reference")
            target = reference.this if isinstance(reference, exp.Reference) else None
            referenced = [e.name for e in target.expressions] if isinstance(target, exp.Schema) else []
            if referenced and len(referenced) != len(columns):
                self._add(
                    "sql.valid.constraint",
                    f"foreign key ({', '.join(columns)}) of {name} references {len(referenced)} column(s) "
                    f"({', '.join(referenced)}): the counts must be equal",
                    self._offset(constraint),
                    name,
                )
            if isinstance(target, exp.Schema):
                parent = self.tables.get(_table_name(target.this))
                if parent is not None:
                    self._check_names(parent, _table_name(target.this), _name_nodes(target), "REFERENCES")
        elif isinstance(constraint, exp.CheckColumnConstraint):
            self._check_names(
                table, name, [c for c in constraint.find_all(exp.Column) if not c.table], "CHECK"
            )

    def _name_constraint(self, table: _Table, name: str, constraint: exp.Expr) -> None:
        """A named PRIMARY or FOREIGN KEY is unique in its schema (Unity Catalog keeps them by
        schema); a named CHECK in its table (a Delta table property)."""
        identifier = constraint.this
        if not isinstance(identifier, exp.Identifier):
            return
        key = identifier.name.lower()
        inner = (
            constraint.expressions
            if isinstance(constraint, exp.Constraint)
            else [constraint.args.get("kind")]
        )
        if any(isinstance(c, exp.CheckColumnConstraint) for c in inner):
            if key in table.checks:
                self._add(
                    "sql.valid.constraint",
                    f"CHECK constraint {identifier.name} is defined twice on {name}",
                    self._offset(identifier),
                    name,
                )
            table.checks.add(key)
            return
        schema = name.rsplit(".", 1)[0] if "." in name else ""
        for other_name, other in self.tables.items():
            in_schema = (other_name.rsplit(".", 1)[0] if "." in other_name else "") == schema
            if in_schema and key in other.keys:
                self._add(
                    "sql.valid.constraint",
                    f"constraint {identifier.name} of {name} has the name of a key of {other_name}: "
                    "Unity Catalog needs PRIMARY and FOREIGN KEY names unique in the schema",
                    self._offset(identifier),
                    name,
                )
                break
        table.keys.add(key)
        if any(isinstance(c, exp.PrimaryKey | exp.PrimaryKeyColumnConstraint) for c in inner):
            table.primary = key

    def _check_names(self, table: _Table | None, name: str, nodes: Sequence[exp.Expr], what: str) -> None:
        if table is None:
            return
        for node in nodes:
            if node.name.lower() not in table.columns:
                self._add(
                    "sql.valid.constraint",
                    f"{what} of {name} names column {node.name}, which the table does not have",
                    self._offset(node),
                    f"{name}.{node.name}",
                )


class _TypeOf:
    """A column definition's type: the parsed type, the Databricks spelling, the text as written
    (read from the statement's tokens: sqlglot reads synonyms such as UUID as STRING)."""

    def __init__(self, definition: exp.ColumnDef, statement: Statement | None, sql: str) -> None:
        kind = definition.args.get("kind")
        self.kind = kind if isinstance(kind, exp.DataType) else None
        self.sql = self.kind.sql(dialect="databricks") if self.kind is not None else None
        self.text = _written_type(definition, statement, sql) or self.sql or ""

    def words(self) -> list[str]:
        """The type's words as written (struct field names and string literals left out)."""
        text = _STRUCT_FIELD.sub(" ", _STRING.sub(" ", self.text))
        return _WORD.findall(text)


def _drops_primary_key(action: exp.Expr) -> bool:
    """`DROP PRIMARY KEY [IF EXISTS] [CASCADE]`, which sqlglot keeps as a command inside the ALTER."""
    if isinstance(action, exp.Command):
        return " ".join(f"{action.this} {action.expression}".upper().split()).startswith("DROP PRIMARY KEY")
    return False


def _string_to_complex(cast: exp.Cast) -> bool:
    """`CAST('{}' AS ARRAY<...>)`: Databricks casts no string to ARRAY, MAP or STRUCT."""
    return cast.to.this in _COMPLEX and isinstance(cast.this, exp.Literal) and cast.this.is_string


def _written_type(definition: exp.ColumnDef, statement: Statement | None, sql: str) -> str | None:
    """The text of the type after the column's name, up to its first constraint, as written."""
    start = definition.this.meta.get("start") if isinstance(definition.this, exp.Identifier) else None
    if statement is None or not isinstance(start, int):
        return None
    tokens = statement.tokens
    index = next((i for i, token in enumerate(tokens) if token.start == start), None)
    if index is None:
        return None
    depth = 0
    first = last = None
    for token in tokens[index + 1 :]:
        kind = token.token_type
        if depth == 0 and (kind in _TYPE_END or token.text.upper() in _TYPE_END_WORDS):
            break
        if kind in (TokenType.L_PAREN, TokenType.LT):
            depth += 1
        elif kind in (TokenType.R_PAREN, TokenType.GT):
            depth -= 1
        first = first or token
        last = token
    if first is None or last is None:
        return None
    return sql[first.start : last.end + 1]


def _table_name(node: exp.Expr | None) -> str:
    """`catalog.schema.table` as written, lower-cased (Databricks' names are case-insensitive)."""
    if not isinstance(node, exp.Table):
        return node.sql(dialect="databricks").lower() if node is not None else ""
    return ".".join(part.name.lower() for part in node.parts)


def _name_nodes(node: exp.Expr) -> list[exp.Expr]:
    """The columns a key, CLUSTER BY or PARTITIONED BY lists (their identifiers)."""
    names: list[exp.Expr] = []
    for part in node.expressions if node.expressions else [node.this]:
        if isinstance(part, exp.Schema):
            names.extend(_name_nodes(part))
        elif isinstance(part, exp.Identifier | exp.Column):
            names.append(part)
        elif isinstance(part, exp.Ordered) and isinstance(part.this, exp.Column | exp.Identifier):
            names.append(part.this)
    return names
