"""Queries over the sandbox's rows, evaluated on sqlglot's tree: SELECT from one table (a user table or
an `information_schema` view) with WHERE, ORDER BY, LIMIT, DISTINCT, count(*), EXISTS and scalar
subqueries, and the expressions INSERT, UPDATE, DELETE, DEFAULT and CHECK need. Anything else is an
error naming what is not supported."""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlglot import exp

from accelerator.sandbox.databricks import types
from accelerator.sandbox.databricks.errors import SqlError, unresolved_column, unsupported


@dataclass
class Relation:
    """A table's columns (name, type) and its rows keyed by lower-case column name."""

    name: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Any]]


@dataclass
class Result:
    columns: list[tuple[str, str]] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)


@dataclass
class Context:
    user: str
    parameters: dict[str, Any]
    resolve: Callable[[exp.Table], Relation]
    now: datetime.datetime = field(default_factory=lambda: datetime.datetime.now(datetime.UTC))
    groups: set[str] = field(default_factory=set)


_UNITS = {
    "MICROSECOND": datetime.timedelta(microseconds=1),
    "MILLISECOND": datetime.timedelta(milliseconds=1),
    "SECOND": datetime.timedelta(seconds=1),
    "MINUTE": datetime.timedelta(minutes=1),
    "HOUR": datetime.timedelta(hours=1),
    "DAY": datetime.timedelta(days=1),
    "WEEK": datetime.timedelta(weeks=1),
}


def _unit(text: str) -> datetime.timedelta:
    key = text.upper().rstrip("S") if text.upper() not in _UNITS else text.upper()
    if key not in _UNITS:
        raise unsupported(f"INTERVAL {text}")
    return _UNITS[key]


def _apply(operator: str, a: Any, b: Any) -> Any:
    if operator == "+":
        return a + b
    if operator == "-":
        return a - b
    return a * b


def truth(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise SqlError("DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE", "42K09", f"'{value}' is not a BOOLEAN.")
    return bool(value)


def _timestamp(value: Any) -> datetime.datetime | None:
    if isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", value):
        try:
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T", 1))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)
    return None


def _number(value: Any) -> int | float | Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, str):
        try:
            return int(value) if re.fullmatch(r"-?\d+", value.strip()) else Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def compare(left: Any, right: Any) -> int | None:
    """-1, 0, 1, or None when either side is NULL; numbers, timestamps and strings as Databricks compares."""
    if left is None or right is None:
        return None
    if isinstance(left, bool) or isinstance(right, bool):
        a, b = truth(left), truth(right)
        return (a > b) - (a < b)  # type: ignore[operator]
    ln, rn = _number(left), _number(right)
    if ln is not None and rn is not None and not (isinstance(left, str) and isinstance(right, str)):
        a_, b_ = Decimal(str(ln)), Decimal(str(rn))
        return (a_ > b_) - (a_ < b_)
    lt, rt = _timestamp(left), _timestamp(right)
    if lt is not None and rt is not None:
        return (lt > rt) - (lt < rt)
    a_s, b_s = str(left), str(right)
    return (a_s > b_s) - (a_s < b_s)


def _like(value: str, pattern: str) -> bool:
    regex = "".join(".*" if char == "%" else "." if char == "_" else re.escape(char) for char in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return format_timestamp(value)
    return str(value)


def format_timestamp(value: datetime.datetime) -> str:
    utc = value.astimezone(datetime.UTC) if value.tzinfo else value
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class Evaluator:
    """Evaluates one expression tree against a row (lower-case column name -> value)."""

    def __init__(self, context: Context, columns: dict[str, str] | None = None, relation: str = "") -> None:
        self.context = context
        self.columns = columns or {}  # lower-case name -> as declared
        self.relation = relation

    def __call__(self, node: exp.Expression, row: dict[str, Any]) -> Any:
        method = getattr(self, f"e_{type(node).__name__}", None)
        if method is None:
            raise unsupported(f"the expression {type(node).__name__} ({node.sql(dialect='databricks')[:80]})")
        return method(node, row)

    # leaves

    def e_Literal(self, node: exp.Literal, row: dict[str, Any]) -> Any:
        if node.is_string:
            return node.this
        text = str(node.this)
        return int(text) if re.fullmatch(r"-?\d+", text) else Decimal(text)

    def e_Boolean(self, node: exp.Boolean, row: dict[str, Any]) -> Any:
        return bool(node.this)

    def e_Null(self, node: exp.Null, row: dict[str, Any]) -> Any:
        return None

    def e_Column(self, node: exp.Column, row: dict[str, Any]) -> Any:
        name = node.name.lower()
        if name not in row and name not in self.columns:
            if node.name.lower() in ("true", "false"):
                return node.name.lower() == "true"
            raise unresolved_column(node.name, self.relation, [c for c in self.columns.values()][:5])
        return row.get(name)

    def e_Placeholder(self, node: exp.Placeholder, row: dict[str, Any]) -> Any:
        name = str(node.this or "")
        if name not in self.context.parameters:
            raise SqlError(
                "UNBOUND_SQL_PARAMETER",
                "42P02",
                f"Found the unbound parameter: {name}. Please, fix `args` and "
                "provide a mapping of the parameter to either a SQL literal or collection constructor functions.",
            )
        return self.context.parameters[name]

    def e_Paren(self, node: exp.Paren, row: dict[str, Any]) -> Any:
        return self(node.this, row)

    def e_Neg(self, node: exp.Neg, row: dict[str, Any]) -> Any:
        value = self(node.this, row)
        number = _number(value)
        return None if number is None else -number

    # logic

    def e_And(self, node: exp.And, row: dict[str, Any]) -> Any:
        left, right = truth(self(node.this, row)), truth(self(node.expression, row))
        if left is False or right is False:
            return False
        return None if left is None or right is None else True

    def e_Or(self, node: exp.Or, row: dict[str, Any]) -> Any:
        left, right = truth(self(node.this, row)), truth(self(node.expression, row))
        if left is True or right is True:
            return True
        return None if left is None or right is None else False

    def e_Not(self, node: exp.Not, row: dict[str, Any]) -> Any:
        value = truth(self(node.this, row))
        return None if value is None else not value

    def e_Is(self, node: exp.Is, row: dict[str, Any]) -> Any:
        value = self(node.this, row)
        if isinstance(node.expression, exp.Null):
            return value is None
        return value is truth(self(node.expression, row))

    def _compared(self, node: exp.Binary, row: dict[str, Any]) -> int | None:
        return compare(self(node.this, row), self(node.expression, row))

    def e_EQ(self, node: exp.EQ, row: dict[str, Any]) -> Any:
        found = self._compared(node, row)
        return None if found is None else found == 0

    def e_NullSafeEQ(self, node: exp.NullSafeEQ, row: dict[str, Any]) -> Any:
        left, right = self(node.this, row), self(node.expression, row)
        if left is None or right is None:
            return left is None and right is None
        return compare(left, right) == 0

    def e_NEQ(self, node: exp.NEQ, row: dict[str, Any]) -> Any:
        found = self._compared(node, row)
        return None if found is None else found != 0

    def e_GT(self, node: exp.GT, row: dict[str, Any]) -> Any:
        found = self._compared(node, row)
        return None if found is None else found > 0

    def e_GTE(self, node: exp.GTE, row: dict[str, Any]) -> Any:
        found = self._compared(node, row)
        return None if found is None else found >= 0

    def e_LT(self, node: exp.LT, row: dict[str, Any]) -> Any:
        found = self._compared(node, row)
        return None if found is None else found < 0

    def e_LTE(self, node: exp.LTE, row: dict[str, Any]) -> Any:
        found = self._compared(node, row)
        return None if found is None else found <= 0

    def e_Between(self, node: exp.Between, row: dict[str, Any]) -> Any:
        value = self(node.this, row)
        low, high = compare(value, self(node.args["low"], row)), compare(value, self(node.args["high"], row))
        return None if low is None or high is None else low >= 0 and high <= 0

    def e_In(self, node: exp.In, row: dict[str, Any]) -> Any:
        value = self(node.this, row)
        if node.args.get("query") is not None:
            query = node.args["query"]
            select = query.this if isinstance(query, exp.Subquery) else query
            candidates = [found[0] for found in run_select(select, self.context).rows]
        else:
            candidates = [self(item, row) for item in node.expressions]
        if value is None:
            return None
        if any(compare(value, candidate) == 0 for candidate in candidates):
            return True
        return None if any(candidate is None for candidate in candidates) else False

    def e_Like(self, node: exp.Like, row: dict[str, Any]) -> Any:
        value, pattern = self(node.this, row), self(node.expression, row)
        return None if value is None or pattern is None else _like(str(value), str(pattern))

    def e_ILike(self, node: exp.ILike, row: dict[str, Any]) -> Any:
        value, pattern = self(node.this, row), self(node.expression, row)
        return None if value is None or pattern is None else _like(str(value).lower(), str(pattern).lower())

    def e_Exists(self, node: exp.Exists, row: dict[str, Any]) -> Any:
        select = node.this
        return bool(run_select(select, self.context).rows)

    def e_Subquery(self, node: exp.Subquery, row: dict[str, Any]) -> Any:
        result = run_select(node.this, self.context)
        if len(result.rows) > 1:
            raise SqlError(
                "SCALAR_SUBQUERY_TOO_MANY_ROWS",
                "21000",
                "More than one row returned by a subquery used as an expression.",
            )
        return result.rows[0][0] if result.rows else None

    def e_Case(self, node: exp.Case, row: dict[str, Any]) -> Any:
        subject = node.this
        for branch in node.args.get("ifs") or []:
            condition = branch.this
            if subject is not None:
                matched = compare(self(subject, row), self(condition, row)) == 0
            else:
                matched = truth(self(condition, row)) is True
            if matched:
                return self(branch.args["true"], row)
        default = node.args.get("default")
        return self(default, row) if default is not None else None

    def e_If(self, node: exp.If, row: dict[str, Any]) -> Any:
        if truth(self(node.this, row)) is True:
            return self(node.args["true"], row)
        other = node.args.get("false")
        return self(other, row) if other is not None else None

    # arithmetic and time

    def _arithmetic(self, node: exp.Binary, row: dict[str, Any], operator: str) -> Any:
        left, right = self(node.this, row), self(node.expression, row)
        if left is None or right is None:
            return None
        if isinstance(node.expression, exp.Interval) or isinstance(right, datetime.timedelta):
            moment = _timestamp(left) if not isinstance(left, datetime.datetime) else left
            if moment is None or not isinstance(right, datetime.timedelta):
                raise SqlError(
                    "DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES", "42K09", "an INTERVAL needs a TIMESTAMP"
                )
            return moment + right if operator == "+" else moment - right
        a, b = _number(left), _number(right)
        if a is None or b is None:
            raise SqlError(
                "DATATYPE_MISMATCH.BINARY_OP_WRONG_TYPE",
                "42K09",
                f"cannot compute {left!r} {operator} {right!r}",
            )
        if operator == "/":
            if b == 0:
                raise SqlError(
                    "DIVIDE_BY_ZERO", "22012", "Division by zero. Use `try_divide` to tolerate it."
                )
            return Decimal(str(a)) / Decimal(str(b))
        if isinstance(a, int) and isinstance(b, int):
            return _apply(operator, a, b)
        if isinstance(a, float) or isinstance(b, float):
            return _apply(operator, float(a), float(b))
        return _apply(operator, Decimal(str(a)), Decimal(str(b)))

    def e_Add(self, node: exp.Add, row: dict[str, Any]) -> Any:
        return self._arithmetic(node, row, "+")

    def e_Sub(self, node: exp.Sub, row: dict[str, Any]) -> Any:
        return self._arithmetic(node, row, "-")

    def e_Mul(self, node: exp.Mul, row: dict[str, Any]) -> Any:
        return self._arithmetic(node, row, "*")

    def e_Div(self, node: exp.Div, row: dict[str, Any]) -> Any:
        return self._arithmetic(node, row, "/")

    def e_Interval(self, node: exp.Interval, row: dict[str, Any]) -> Any:
        amount = _number(self(node.this, row))
        unit = node.args.get("unit")
        if amount is None or unit is None:
            raise unsupported(f"the interval {node.sql(dialect='databricks')}")
        return float(amount) * _unit(unit.name)

    def e_TimestampAdd(self, node: exp.TimestampAdd, row: dict[str, Any]) -> Any:
        moment = _timestamp(self(node.this, row))
        amount = _number(self(node.expression, row))
        unit = node.args.get("unit")
        if moment is None or amount is None or unit is None:
            return None
        return moment + float(amount) * _unit(unit.name)

    def e_CurrentTimestamp(self, node: exp.Expression, row: dict[str, Any]) -> Any:
        return self.context.now

    e_CurrentTimestampLTZ = e_CurrentTimestamp

    def e_CurrentDate(self, node: exp.Expression, row: dict[str, Any]) -> Any:
        return self.context.now.date().isoformat()

    def e_CurrentUser(self, node: exp.Expression, row: dict[str, Any]) -> Any:
        return self.context.user

    # functions

    def e_Cast(self, node: exp.Cast, row: dict[str, Any]) -> Any:
        value = self(node.this, row)
        target = node.to.sql(dialect="databricks")
        if isinstance(value, datetime.datetime):
            value = value.isoformat()
        return types.coerce(value, target, "CAST")

    e_TryCast = e_Cast

    def e_Coalesce(self, node: exp.Coalesce, row: dict[str, Any]) -> Any:
        for item in [node.this, *node.expressions]:
            value = self(item, row)
            if value is not None:
                return value
        return None

    def e_Lower(self, node: exp.Lower, row: dict[str, Any]) -> Any:
        value = self(node.this, row)
        return None if value is None else str(value).lower()

    def e_Upper(self, node: exp.Upper, row: dict[str, Any]) -> Any:
        value = self(node.this, row)
        return None if value is None else str(value).upper()

    def e_Concat(self, node: exp.Concat, row: dict[str, Any]) -> Any:
        values = [self(item, row) for item in node.expressions]
        return None if any(v is None for v in values) else "".join(as_text(v) or "" for v in values)

    def e_DPipe(self, node: exp.DPipe, row: dict[str, Any]) -> Any:
        left, right = self(node.this, row), self(node.expression, row)
        return None if left is None or right is None else f"{as_text(left)}{as_text(right)}"

    def e_Length(self, node: exp.Length, row: dict[str, Any]) -> Any:
        value = self(node.this, row)
        return None if value is None else len(str(value))

    def e_Anonymous(self, node: exp.Anonymous, row: dict[str, Any]) -> Any:
        return self._call(str(node.this).lower(), [self(item, row) for item in node.expressions])

    def _call(self, name: str, arguments: list[Any]) -> Any:
        if name in ("current_user", "session_user", "user"):
            return self.context.user
        if name in ("now", "current_timestamp"):
            return self.context.now
        if name == "is_account_group_member" and len(arguments) == 1:
            return str(arguments[0]).lower() in self.context.groups
        if name == "sha2" and len(arguments) == 2:
            if arguments[0] is None:
                return None
            bits = int(arguments[1] or 256)
            algorithm = {0: "sha256", 224: "sha224", 256: "sha256", 384: "sha384", 512: "sha512"}.get(bits)
            return (
                None if algorithm is None else hashlib.new(algorithm, str(arguments[0]).encode()).hexdigest()
            )
        if name == "repeat" and len(arguments) == 2:
            return None if None in arguments else str(arguments[0]) * max(int(arguments[1]), 0)
        if name in ("greatest", "least") and arguments:
            present = [a for a in arguments if a is not None]
            if not present:
                return None
            chosen = present[0]
            for value in present[1:]:
                order = compare(value, chosen) or 0
                if (order > 0) if name == "greatest" else (order < 0):
                    chosen = value
            return chosen
        if name in ("right", "left") and len(arguments) == 2:
            if None in arguments:
                return None
            text, count = str(arguments[0]), max(int(arguments[1]), 0)
            return (text[-count:] if count else "") if name == "right" else text[:count]
        if name == "uuid":
            import uuid

            return str(uuid.uuid4())
        raise unsupported(f"the function {name}()")

    def e_SHA2(self, node: exp.Expression, row: dict[str, Any]) -> Any:
        length = node.args.get("length")
        return self._call("sha2", [self(node.this, row), self(length, row) if length is not None else 256])

    def e_Repeat(self, node: exp.Expression, row: dict[str, Any]) -> Any:
        return self._call("repeat", [self(node.this, row), self(node.args["times"], row)])

    def e_Greatest(self, node: exp.Expression, row: dict[str, Any]) -> Any:
        return self._call("greatest", [self(item, row) for item in [node.this, *node.expressions]])

    def e_Least(self, node: exp.Expression, row: dict[str, Any]) -> Any:
        return self._call("least", [self(item, row) for item in [node.this, *node.expressions]])

    def e_Right(self, node: exp.Expression, row: dict[str, Any]) -> Any:
        return self._call("right", [self(node.this, row), self(node.expression, row)])

    def e_Left(self, node: exp.Expression, row: dict[str, Any]) -> Any:
        return self._call("left", [self(node.this, row), self(node.expression, row)])

    def e_Count(self, node: exp.Count, row: dict[str, Any]) -> Any:
        raise unsupported("count() outside a SELECT list")


def _from_table(select: exp.Select) -> exp.Table | None:
    source = select.args.get("from_") or select.args.get("from")
    if source is None:
        return None
    table = source.this
    if not isinstance(table, exp.Table):
        raise unsupported("SELECT from a subquery or a table function")
    return table


def run_select(select: exp.Expression, context: Context) -> Result:
    """One SELECT over one table (or none); joins, GROUP BY, windows and set operations are refused."""
    if not isinstance(select, exp.Select):
        raise unsupported(f"the query form {type(select).__name__.upper()}")
    for clause in ("joins", "group", "having", "windows", "qualify", "with", "laterals", "pivots"):
        if select.args.get(clause):
            raise unsupported(f"SELECT with {clause.upper()}")
    table = _from_table(select)
    if table is not None:
        relation = context.resolve(table)
        alias = table.alias_or_name.lower()
        column_types = {name.lower(): kind for name, kind in relation.columns}
        declared = {name.lower(): name for name, _ in relation.columns}
        rows: list[dict[str, Any]] = relation.rows
    else:
        relation, alias, column_types, declared, rows = Relation("", [], []), "", {}, {}, [{}]
    evaluate = Evaluator(context, declared, relation.name)
    _check_columns(select, declared, relation.name, alias)
    where = select.args.get("where")
    if where is not None:
        rows = [row for row in rows if truth(evaluate(where.this, row)) is True]
    outputs = _outputs(select, relation, column_types)
    if any(isinstance(node.unalias(), exp.Count) for node in select.expressions):
        if len(select.expressions) != 1:
            raise unsupported("count() beside other columns without GROUP BY")
        counted = select.expressions[0].unalias()
        if isinstance(counted.this, exp.Star):
            total = len(rows)
        else:
            total = sum(1 for row in rows if evaluate(counted.this, row) is not None)
        return Result([(outputs[0][0], "BIGINT")], [[total]])
    order = select.args.get("order")
    if order is not None:
        for ordered in reversed(order.expressions):
            key = ordered.this
            positional = isinstance(key, exp.Literal) and not key.is_string
            descending = bool(ordered.args.get("desc"))

            def sort_key(
                row: dict[str, Any], key: exp.Expression = key, positional: bool = positional
            ) -> Any:
                value = (
                    _project(select, evaluate, row, outputs)[int(key.this) - 1]
                    if positional
                    else evaluate(key, row)
                )
                return _SortValue(value)

            rows = sorted(rows, key=sort_key, reverse=descending)
    projected = [_project(select, evaluate, row, outputs) for row in rows]
    if select.args.get("distinct"):
        seen: set[tuple[str | None, ...]] = set()
        unique = []
        for values in projected:
            marker = tuple(as_text(v) for v in values)
            if marker not in seen:
                seen.add(marker)
                unique.append(values)
        projected = unique
    offset = select.args.get("offset")  # OFFSET skips first, then LIMIT counts
    if offset is not None:
        projected = projected[int(_number(evaluate(offset.expression, {})) or 0) :]
    limit = select.args.get("limit")
    if limit is not None:
        count = _number(evaluate(limit.expression, {}))
        projected = projected[: int(count or 0)]
    return Result(outputs, projected)


class _SortValue:
    """Ascending order with NULLs first, as Databricks sorts by default."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _SortValue) -> bool:
        if self.value is None:
            return other.value is not None
        if other.value is None:
            return False
        return (compare(self.value, other.value) or 0) < 0


def _check_columns(select: exp.Select, declared: dict[str, str], relation: str, alias: str) -> None:
    """Every column the query names exists (UNRESOLVED_COLUMN otherwise), before any row is read."""
    for column in select.find_all(exp.Column):
        if column.find_ancestor(exp.Subquery, exp.Exists) is not None:
            continue
        qualifier = column.table.lower()
        name = column.name.lower()
        if qualifier and qualifier != alias:
            raise unresolved_column(f"{column.table}.{column.name}", relation, list(declared.values())[:5])
        outputs = {e.alias.lower() for e in select.expressions if isinstance(e, exp.Alias)}
        if name not in declared and name not in outputs and name not in ("true", "false"):
            raise unresolved_column(column.name, relation, list(declared.values())[:5])


def _outputs(select: exp.Select, relation: Relation, column_types: dict[str, str]) -> list[tuple[str, str]]:
    outputs: list[tuple[str, str]] = []
    for node in select.expressions:
        if isinstance(node, exp.Star):
            outputs += relation.columns
            continue
        if isinstance(node, exp.Column) and isinstance(node.this, exp.Star):
            outputs += relation.columns
            continue
        inner = node.unalias()
        name = node.alias_or_name if (isinstance(node, exp.Alias) or isinstance(inner, exp.Column)) else ""
        if not name:
            name = inner.sql(dialect="databricks")
        if isinstance(inner, exp.Column):
            kind = column_types.get(inner.name.lower(), "STRING")
        elif isinstance(inner, exp.Cast):
            kind = inner.to.sql(dialect="databricks").upper()
        elif isinstance(inner, exp.Count):
            kind = "BIGINT"
        elif isinstance(inner, exp.Literal):
            kind = "STRING" if inner.is_string else "INT"
        elif isinstance(inner, exp.Boolean | exp.Predicate):
            kind = "BOOLEAN"
        elif isinstance(inner, exp.CurrentTimestamp):
            kind = "TIMESTAMP"
        else:
            kind = "STRING"
        outputs.append((name, kind))
    return outputs


def _project(
    select: exp.Select, evaluate: Evaluator, row: dict[str, Any], outputs: list[tuple[str, str]]
) -> list[Any]:
    values: list[Any] = []
    for node in select.expressions:
        if isinstance(node, exp.Star) or (isinstance(node, exp.Column) and isinstance(node.this, exp.Star)):
            values += [row.get(name.lower()) for name, _ in evaluate_columns(evaluate)]
            continue
        values.append(evaluate(node.unalias(), row))
    return values


def evaluate_columns(evaluate: Evaluator) -> list[tuple[str, str]]:
    return [(declared, "") for declared in evaluate.columns.values()]
