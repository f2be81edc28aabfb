"""Column DEFAULT expressions checked against Databricks' typing rules, and typed where they can be.

Databricks accepts a DEFAULT whose type is the column's or can be up-cast to it (a numeric literal
into any numeric column whose range holds it, any scalar into STRING, DATE into TIMESTAMP, NULL
into anything); a BOOLEAN takes no number and no string, DATE no TIMESTAMP, ARRAY no string. The
sources' spellings are turned into typed literals of the column's type:

| column           | source default                       | Databricks DEFAULT                      |
|------------------|--------------------------------------|-----------------------------------------|
| BOOLEAN          | `1`, `0`, `'true'`, `'f'`, `b'1'`    | `TRUE`, `FALSE`                         |
| numeric          | `'42'` (a quoted number)             | `42`                                    |
| DATE             | `'2020-01-31'`, `now()`              | `CAST('2020-01-31' AS DATE)`, `CURRENT_DATE()` |
| TIMESTAMP[_NTZ]  | `'2020-01-31 10:00:00'`              | `CAST('2020-01-31 10:00:00' AS TIMESTAMP)` |
| BINARY           | `'abc'`                              | `CAST('abc' AS BINARY)`                 |
| ARRAY<T>         | `'{}'`, `'{a,b}'` (PostgreSQL), `ARRAY()` | `CAST(ARRAY() AS ARRAY<T>)`, `ARRAY('a', 'b')` |

What cannot be made a value of the column's type (`'abc'` for an INT, `now()` for a BOOLEAN, a
sequence's `nextval(...)`, a bare name) is `None` with the reason: the caller drops the default and
reports it. A function of unknown result type is kept as written.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

_INTEGER_RANGES = {
    "TINYINT": 2**7,
    "SMALLINT": 2**15,
    "INT": 2**31,
    "BIGINT": 2**63,
}
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")
_TRUE = frozenset({"true", "t", "yes", "y", "on", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "off", "0"})
# Functions of other databases that Databricks SQL does not have (sequences, server-side ids, ...).
_MISSING_FUNCTIONS = frozenset(
    {
        "NEXTVAL",
        "CURRVAL",
        "SETVAL",
        "NEWID",
        "NEWSEQUENTIALID",
        "SYS_GUID",
        "SYSTIMESTAMP",
        "SYSDATE",
        "SYSDATETIME",
        "SYSUTCDATETIME",
        "SYSDATETIMEOFFSET",
        "GETUTCDATE",
        "UUID_GENERATE_V4",
        "UUID_GENERATE_V1",
        "SUSER_SNAME",
        "SUSER_NAME",
        "USER_NAME",
        "TXID_CURRENT",
        "CURRENT_TIME",
        "LOCALTIME",
    }
)


class _Unfit(Exception):
    """The reason a default cannot be a value of the column's type."""


def column_kind(column_type: str) -> str:
    """The typing family of a Databricks column type: integral, fractional, boolean, string, date,
    timestamp, binary, array, or other (MAP, STRUCT, VARIANT, INTERVAL)."""
    upper = column_type.upper()
    if upper in _INTEGER_RANGES:
        return "integral"
    if upper.startswith(("DECIMAL", "FLOAT", "DOUBLE")):
        return "fractional"
    if upper == "BOOLEAN":
        return "boolean"
    if upper.startswith(("STRING", "VARCHAR", "CHAR")):
        return "string"
    if upper == "DATE":
        return "date"
    if upper.startswith("TIMESTAMP"):
        return "timestamp"
    if upper == "BINARY":
        return "binary"
    if upper.startswith("ARRAY<"):
        return "array"
    return "other"


@lru_cache(maxsize=8192)
def fit_default(expression: str, column_type: str) -> tuple[str | None, str | None]:
    """`(default, None)` where `expression` is a valid DEFAULT of `column_type` (as written, or as a
    typed literal of that type); `(None, reason)` where it cannot be one."""
    try:
        parsed = sqlglot.parse(expression, read="databricks")
    except SqlglotError:
        return None, "it is not a Databricks SQL expression"
    if len(parsed) != 1 or parsed[0] is None:
        return None, "it is not a single Databricks SQL expression"
    tree = parsed[0]
    try:
        fitted = _fit(tree, column_type.upper())
    except _Unfit as unfit:
        return None, str(unfit)
    return (expression if fitted is tree else fitted.sql(dialect="databricks")), None


def _fit(tree: exp.Expr, column_type: str) -> exp.Expr:
    """`tree` itself when it fits `column_type`, else a typed replacement; raises `_Unfit`."""
    node = tree.unnest() if isinstance(tree, exp.Paren) else tree
    _reject_unresolvable(node)
    if isinstance(node, exp.Null):
        return tree
    kind = column_kind(column_type)
    if isinstance(node, exp.Cast):
        return _fit_cast(tree, node, column_type, kind)
    literal = _literal(node)
    if literal is not None:
        return _fit_literal(tree, literal, column_type, kind)
    if isinstance(node, exp.Array):
        return _fit_array(tree, node, column_type, kind)
    result = _result_kind(node)
    if result is None or result == kind or kind in ("string", "other"):
        return tree
    if kind == "date" and result == "timestamp":  # PostgreSQL's `date DEFAULT now()`: today
        return exp.CurrentDate()
    if kind == "timestamp" and result == "date":
        return tree
    raise _Unfit(f"{node.sql(dialect='databricks')} is a {result.upper()}, not a {column_type}")


def _reject_unresolvable(node: exp.Expr) -> None:
    for part in node.walk():
        if isinstance(part, exp.Column):
            raise _Unfit(f"it names {part.sql(dialect='databricks')}, which a DEFAULT cannot refer to")
        if isinstance(part, exp.Anonymous) and str(part.name).upper() in _MISSING_FUNCTIONS:
            raise _Unfit(f"Databricks SQL has no function {str(part.name).upper()}")
        if isinstance(part, exp.Query):
            raise _Unfit("a DEFAULT cannot hold a query")


def _literal(node: exp.Expr) -> tuple[str, str] | None:
    """`(kind, text)` of a constant: ("number", "-1.5"), ("string", "x"), ("boolean", "true"),
    ("bits", "1"), ("hex", "AB"); None for anything else."""
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        return "number", "-" + node.this.name
    if isinstance(node, exp.Literal):
        return ("string" if node.is_string else "number"), node.name
    if isinstance(node, exp.Boolean):
        return "boolean", "true" if node.this else "false"
    if isinstance(node, exp.BitString):
        return "bits", node.name
    if isinstance(node, exp.HexString):
        return "hex", node.name
    return None


def _fit_literal(tree: exp.Expr, literal: tuple[str, str], column_type: str, kind: str) -> exp.Expr:
    value_kind, text = literal
    shown = f"'{text}'" if value_kind == "string" else text
    if kind == "string":
        return tree
    if kind == "boolean":
        if value_kind == "boolean":
            return tree
        flag = text.strip().lower() if value_kind in ("string", "number", "bits") else None
        if flag is not None and value_kind == "number":
            flag = _number_flag(text)
        if flag in _TRUE:
            return exp.true()
        if flag in _FALSE:
            return exp.false()
        raise _Unfit(f"{shown} is not a BOOLEAN (TRUE or FALSE)")
    if kind in ("integral", "fractional"):
        if value_kind == "boolean":
            return exp.Literal.number(1 if text == "true" else 0)
        if value_kind == "bits":
            return exp.Literal.number(int(text, 2))
        if value_kind not in ("number", "string"):
            raise _Unfit(f"{shown} is not a number")
        number = _number(text)
        if number is None:
            raise _Unfit(f"{shown} is not a number")
        _check_range(number, shown, column_type, kind)
        return tree if value_kind == "number" else exp.Literal.number(text.strip())
    if kind in ("date", "timestamp"):
        if value_kind != "string" or not _is_datetime(text, kind):
            raise _Unfit(f"{shown} is not a {column_type} value")
        return exp.Cast(
            this=exp.Literal.string(text), to=exp.DataType.build(column_type, dialect="databricks")
        )
    if kind == "binary":
        if value_kind == "hex":
            return tree
        if value_kind == "string":
            return exp.Cast(this=exp.Literal.string(text), to=exp.DataType.build("BINARY"))
        raise _Unfit(f"{shown} is not a BINARY value")
    if kind == "array":
        if value_kind == "string":
            return _postgres_array(text, column_type)
        raise _Unfit(f"{shown} is not an {column_type}")
    raise _Unfit(f"{shown} is not a {column_type} value")


def _number_flag(text: str) -> str | None:
    number = _number(text)
    if number is None or number not in (0, 1):
        return None
    return "1" if number == 1 else "0"


def _number(text: str) -> Decimal | None:
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _check_range(number: Decimal, shown: str, column_type: str, kind: str) -> None:
    if kind == "integral":
        bound = _INTEGER_RANGES[column_type]
        if number != number.to_integral_value():
            raise _Unfit(f"{shown} is not a whole number, as {column_type} needs")
        if not -bound <= number < bound:
            raise _Unfit(f"{shown} is out of the range of {column_type}")
        return
    decimal = _DECIMAL.fullmatch(column_type)
    if decimal:
        precision, scale = int(decimal.group(1)), int(decimal.group(2))
        whole_digits = len(str(abs(int(number)))) if int(number) else 0
        if whole_digits > precision - scale:
            raise _Unfit(f"{shown} does not fit {column_type}")


def _is_datetime(text: str, kind: str) -> bool:
    value = text.strip()
    try:
        if kind == "date":
            date.fromisoformat(value[:10])
            return len(value) == 10 or value[10] in " T"
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _fit_cast(tree: exp.Expr, cast: exp.Cast, column_type: str, kind: str) -> exp.Expr:
    target = cast.to.sql(dialect="databricks").upper()
    target_kind = column_kind(target)
    inner = cast.this.unnest() if isinstance(cast.this, exp.Paren) else cast.this
    literal = _literal(inner)
    if isinstance(inner, exp.Array) or (literal is not None and literal[0] == "string"):
        # a string casts to a scalar when it reads as one; never to an ARRAY, MAP or STRUCT
        valid_cast = target_kind not in ("array", "other") and _fits(inner, target)
        if valid_cast and _castable(target_kind, kind):
            return tree
        return _fit(inner, column_type)  # retyped for the column
    if _castable(target_kind, kind):
        return tree
    raise _Unfit(f"{cast.sql(dialect='databricks')} is a {target}, not a {column_type}")


def _fits(node: exp.Expr, column_type: str) -> bool:
    try:
        _fit(node, column_type)
    except _Unfit:
        return False
    return True


def _castable(value_kind: str, column_kind_: str) -> bool:
    """Whether a value of `value_kind` up-casts into a column of `column_kind_` (Databricks' rule)."""
    if value_kind == column_kind_ or column_kind_ in ("string", "other") or value_kind == "other":
        return True
    numeric = ("integral", "fractional")
    return (value_kind in numeric and column_kind_ in numeric) or (value_kind, column_kind_) == (
        "date",
        "timestamp",
    )


def _fit_array(tree: exp.Expr, array: exp.Array, column_type: str, kind: str) -> exp.Expr:
    if kind != "array":
        raise _Unfit(f"an ARRAY is not a {column_type}")
    if not array.expressions:  # ARRAY() is an ARRAY<VOID>: typed, so the default has the column's type
        return exp.Cast(this=exp.Array(), to=exp.DataType.build(column_type, dialect="databricks"))
    element = _element_type(column_type)
    fitted = [_fit(item, element) for item in array.expressions]
    if all(new is old for new, old in zip(fitted, array.expressions, strict=True)):
        return tree
    return exp.Array(expressions=fitted)


def _element_type(column_type: str) -> str:
    return column_type[len("ARRAY<") : -1].strip()


def _postgres_array(text: str, column_type: str) -> exp.Expr:
    """A PostgreSQL array literal `'{a,b}'` (no nesting, no quoted elements) as `ARRAY(...)`."""
    body = text.strip()
    if not (body.startswith("{") and body.endswith("}")) or any(c in body[1:-1] for c in '{}"\\'):
        raise _Unfit(f"'{text}' is not an {column_type}")
    items = [item.strip() for item in body[1:-1].split(",")] if body[1:-1].strip() else []
    if not items:
        return exp.Cast(this=exp.Array(), to=exp.DataType.build(column_type, dialect="databricks"))
    element = _element_type(column_type)
    values = [
        exp.Null() if item.upper() == "NULL" else _fit(exp.Literal.string(item), element) for item in items
    ]
    return exp.Array(expressions=values)


def _result_kind(node: exp.Expr) -> str | None:
    """The typing family of what a function returns, where it is known."""
    if isinstance(node, exp.CurrentTimestamp):
        return "timestamp"
    if isinstance(node, exp.CurrentDate):
        return "date"
    if isinstance(node, exp.Uuid | exp.CurrentUser):
        return "string"
    return None
