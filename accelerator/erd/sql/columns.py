"""Column definitions in SQL DDL -> located `Column`s, with their inline keys.

Inline constraints are dispatched through a table from sqlglot node type to reader, the way
sqlglot's generator dispatches on node types; a constraint absent from the table (COLLATE,
ON UPDATE, CHARACTER SET, ...) changes nothing in the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError
from sqlglot.tokenizer_core import TokenType

from accelerator.erd.sql.errors import closest_hint
from accelerator.erd.sql.keys import Key, read_check, reference_target
from accelerator.erd.sql.source import DdlSource
from accelerator.erd.sql.tokens import Item, Statement, matching_close, type_end
from accelerator.errors import ErdSyntaxError
from accelerator.model import Column, ForeignKey, Identity, PrimaryKey, Span, Table, UniqueKey


@dataclass
class _ColumnReading:
    source: DdlSource
    statement: Statement
    item: Item
    column: Column
    default_schema: str
    keys: list[Key] = field(default_factory=list)
    nullability: exp.ColumnConstraint | None = None  # the NULL or NOT NULL written, if any


def read_column(
    source: DdlSource, statement: Statement, definition: exp.ColumnDef, item: Item, default_schema: str
) -> tuple[Column, list[Key]]:
    """A column definition (the tokens `item`) -> a located Column and its inline keys."""
    identifier, datatype = definition.this, definition.args.get("kind")
    tokens, (first, last) = statement.tokens, item
    name, name_span = identifier.name, source.name_span(identifier)
    head = tokens[first]
    span = source.span(head.start, tokens[last - 1].end + 1)
    name_start = identifier.meta["start"]
    # the name is the item's first token but for odd quoting: no search for it then
    type_first = (first if head.start == name_start else statement.index_at(name_start)) + 1
    if datatype is None or type_first >= last:  # SQLite allows columns without a type
        column = Column(name=name, type="STRING", span=span, name_span=name_span)
        source.note(
            "sql.column.untyped", "warn", f"column {name} has no type; it is read as STRING", name_span, name
        )
    else:
        type_last = type_end(tokens, type_first, last) if type_first + 1 < last else last
        start, end = tokens[type_first].start, tokens[type_last - 1].end + 1
        rewritten = source.type_extents.get(start)  # SQLite words read by their affinity
        end = max(end, rewritten[0]) if rewritten else end
        raw = source.text[start:end]
        read = rewritten[1] + source.text[rewritten[0] : end] if rewritten else raw
        mapped = source.map_type(read, datatype, start, end)
        column = Column(name=name, type=mapped.type, source_type=raw, span=span, name_span=name_span)
        if mapped.allowed_values is not None:
            column.allowed_values = list(mapped.allowed_values)
        if mapped.identity:  # serial types
            _set_identity(column, Identity(always=False, span=span))
    constraints = definition.args.get("constraints")
    if not constraints:
        return column, []
    reading = _ColumnReading(source, statement, item, column, default_schema)
    for constraint in constraints:
        reader = _CONSTRAINT_READERS.get(type(constraint.args.get("kind")))
        if reader is not None:
            reader(reading, constraint)
    return column, reading.keys


def _set_identity(column: Column, identity: Identity) -> None:
    column.identity = identity
    column.nullable = False


def _literal_int(node: exp.Expr | None) -> int | None:
    if node is None:
        return None
    try:
        return int(node.sql())
    except ValueError:
        return None


def _identity(reading: _ColumnReading, constraint: exp.ColumnConstraint) -> None:
    kind = constraint.args["kind"]
    if kind.args.get("expression") is not None:  # GENERATED ALWAYS AS (expr): computed, not identity
        _computed(reading, constraint)
        return
    identity = Identity(
        always=kind.args.get("this") is True,
        start=_literal_int(kind.args.get("start")),
        increment=_literal_int(kind.args.get("increment")),
        span=reading.column.span,
    )
    _set_identity(reading.column, identity)


def _auto_increment(reading: _ColumnReading, constraint: exp.ColumnConstraint) -> None:
    _set_identity(reading.column, Identity(always=False, span=reading.column.span))


def _computed(reading: _ColumnReading, constraint: exp.ColumnConstraint) -> None:
    column = reading.column
    reading.source.note(
        "sql.column.computed",
        "warn",
        f"column {column.name} is computed from an expression; it is kept as a plain column",
        column.span,
        column.name,
    )


def _not_null(reading: _ColumnReading, constraint: exp.ColumnConstraint) -> None:
    # `NULL` parses as NotNullColumnConstraint(allow_null=True)
    allow = bool(constraint.args["kind"].args.get("allow_null"))
    earlier = reading.nullability
    if earlier is not None and bool(earlier.args["kind"].args.get("allow_null")) != allow:
        column = reading.column
        raise ErdSyntaxError(
            f"column {column.name} is declared both NULL and NOT NULL",
            file=reading.source.file,
            line=column.span.line if column.span else 1,
            column=column.span.column if column.span else 1,
            hint="keep one of NULL and NOT NULL",
            source=reading.source.text,
        )
    reading.nullability = constraint
    if reading.column.identity is None:
        reading.column.nullable = bool(constraint.args["kind"].args.get("allow_null"))


def _comment(reading: _ColumnReading, constraint: exp.ColumnConstraint) -> None:
    reading.column.comment = constraint.args["kind"].this.name


def _default(reading: _ColumnReading, constraint: exp.ColumnConstraint) -> None:
    column = reading.column
    expression = constraint.args["kind"].this
    if is_sequence_call(expression):  # `DEFAULT nextval('t_id_seq')` is how an identity is spelled
        _set_identity(reading.column, Identity(always=False, span=column.span))
        return
    if isinstance(expression, exp.Literal):  # most defaults: translate each literal once
        key = (expression.this, expression.is_string)
        if key not in reading.source.literal_defaults:
            reading.source.literal_defaults[key] = databricks_expression(expression)
        column.default = reading.source.literal_defaults[key]
    else:
        column.default = databricks_expression(expression)
    if column.default is None:
        reading.source.note(
            "sql.default.untranslatable",
            "warn",
            f"default {expression.sql(dialect=reading.source.dialect)} of column {column.name} has no "
            "Databricks SQL equivalent; the column is kept without a default",
            column.span,
            column.name,
        )


def set_default(source: DdlSource, table: Table, action: exp.Expr, span: Span) -> None:
    """`ALTER TABLE t ALTER COLUMN c SET DEFAULT x` (pg_dump's `nextval(...)`: an identity)."""
    column = table.column(action.name)
    if column is None:
        raise source.model_error(
            f"ALTER TABLE {table.name} names column {action.name!r}, which {table.name} does not have",
            source.name_span(action.this) or span,
            closest_hint(action.name, [c.name for c in table.columns]),
        )
    default = action.args["default"]
    if is_sequence_call(default):
        column.identity, column.nullable = Identity(always=False, span=span), False
    else:
        column.default = databricks_expression(default)


def is_sequence_call(expression: exp.Expr) -> bool:
    if isinstance(expression, exp.Anonymous) and expression.name.lower() == "nextval":
        return True
    return type(expression).__name__ == "NextValueFor"


def databricks_expression(expression: exp.Expr) -> str | None:
    """A default expression in Databricks SQL, or None if it has no equivalent there."""
    while isinstance(expression, exp.Paren):  # T-SQL writes DEFAULT ((0))
        expression = expression.this
    if (
        isinstance(expression, exp.Cast)
        and isinstance(expression.this, exp.Literal)
        and (
            expression.to.is_type(*exp.DataType.TEXT_TYPES)
            # an enum's value: 'G'::public.mpaa_rating is the string 'G' in the column's STRING
            or (expression.to.this == exp.DataType.Type.USERDEFINED and expression.this.is_string)
        )
    ):
        expression = expression.this  # pg_dump's 'x'::character varying is just 'x'
    if expression.find(exp.Anonymous) is not None:  # a function sqlglot cannot translate
        return None
    try:
        # copy=False: the statement's tree is not used again, and copying it dominates the cost
        return expression.sql(dialect="databricks", copy=False, unsupported_level=ErrorLevel.RAISE)
    except SqlglotError:
        return None


def _key_clause_span(
    reading: _ColumnReading, constraint: exp.ColumnConstraint, kinds: set[TokenType]
) -> Span:
    """The span of an inline key: `[CONSTRAINT name] PRIMARY KEY`, `REFERENCES t (c)`."""
    tokens, (first, last) = reading.statement.tokens, reading.item
    index = next((i for i in range(first + 1, last) if tokens[i].token_type in kinds), first)
    start = index
    name = constraint.args.get("this")
    if isinstance(name, exp.Identifier) and "start" in name.meta:
        start = max(reading.statement.index_at(name.meta["start"]) - 1, first)  # the CONSTRAINT word
    end = index + 1
    if tokens[index].token_type == TokenType.REFERENCES:
        end = index + 2  # the referenced table, then `.name` parts and a column list
        while end + 1 < last and tokens[end].token_type == TokenType.DOT:
            end += 2
        if end < last and tokens[end].token_type == TokenType.L_PAREN:
            end = matching_close(tokens, end) + 1
    elif end < last and tokens[end].token_type == TokenType.KEY:  # MySQL `UNIQUE KEY`
        end += 1
    return reading.source.item_span(reading.statement, (start, min(end, last)))


def _constraint_name(
    reading: _ColumnReading, constraint: exp.ColumnConstraint
) -> tuple[str | None, Span | None]:
    name = constraint.args.get("this")
    if isinstance(name, exp.Identifier):
        return name.name, reading.source.name_span(name)
    return None, None


def _on_update(reading: _ColumnReading, constraint: exp.ColumnConstraint) -> None:
    column = reading.column
    expression = constraint.args["kind"].this
    reading.source.note(
        "sql.column.on_update",
        "warn",
        f"column {column.name} is set to {expression.sql(dialect=reading.source.dialect)} ON UPDATE by "
        "the database; Databricks has no such clause, so the writers must set it",
        column.span,
        column.name,
    )


def _check(reading: _ColumnReading, constraint: exp.ColumnConstraint) -> None:
    column = reading.column
    name, name_span = _constraint_name(reading, constraint)
    check = read_check(
        reading.source, constraint.args["kind"], column.span, name, name_span, f"column {column.name}"
    )
    if check is not None:
        reading.keys.append(check)


def _primary_key(reading: _ColumnReading, constraint: exp.ColumnConstraint) -> None:
    name, name_span = _constraint_name(reading, constraint)
    span = _key_clause_span(reading, constraint, {TokenType.PRIMARY_KEY})
    reading.keys.append(PrimaryKey(name=name, columns=[reading.column.name], span=span, name_span=name_span))


def _unique(reading: _ColumnReading, constraint: exp.ColumnConstraint) -> None:
    name, name_span = _constraint_name(reading, constraint)
    span = _key_clause_span(reading, constraint, {TokenType.UNIQUE})
    reading.keys.append(UniqueKey(name=name, columns=[reading.column.name], span=span, name_span=name_span))


def _references(reading: _ColumnReading, constraint: exp.ColumnConstraint) -> None:
    name, name_span = _constraint_name(reading, constraint)
    reference = constraint.args["kind"]
    if isinstance(reference, exp.ForeignKey):  # Databricks' `CONSTRAINT n FOREIGN KEY REFERENCES t`
        reference = reference.args.get("reference")
        if not isinstance(reference, exp.Reference):
            return
    schema, table, columns = reference_target(reference, reading.default_schema)
    reading.keys.append(
        ForeignKey(
            name=name,
            columns=[reading.column.name],
            ref_schema=schema,
            ref_table=table,
            ref_columns=columns,
            span=_key_clause_span(reading, constraint, {TokenType.REFERENCES}),
            name_span=name_span,
        )
    )


_ConstraintReader = Callable[[_ColumnReading, exp.ColumnConstraint], None]
# Constraints absent from this table (COLLATE, CHARACTER SET, storage, ...) change nothing in the
# model and are passed over.
_CONSTRAINT_READERS: dict[type[exp.Expr], _ConstraintReader] = {
    exp.NotNullColumnConstraint: _not_null,
    exp.DefaultColumnConstraint: _default,
    exp.CommentColumnConstraint: _comment,
    exp.GeneratedAsIdentityColumnConstraint: _identity,
    exp.AutoIncrementColumnConstraint: _auto_increment,
    exp.ComputedColumnConstraint: _computed,
    exp.PrimaryKeyColumnConstraint: _primary_key,
    exp.UniqueColumnConstraint: _unique,
    exp.Reference: _references,
    exp.ForeignKey: _references,
    exp.OnUpdateColumnConstraint: _on_update,
    exp.CheckColumnConstraint: _check,
}
