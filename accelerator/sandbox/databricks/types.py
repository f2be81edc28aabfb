"""Databricks SQL types: their normal form, Delta's type widening, the statement API's type names,
and converting a value to a column's type."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from accelerator.sandbox.databricks.errors import SqlError

ALIASES = {
    "INTEGER": "INT",
    "LONG": "BIGINT",
    "SHORT": "SMALLINT",
    "BYTE": "TINYINT",
    "DEC": "DECIMAL",
    "NUMERIC": "DECIMAL",
    "REAL": "FLOAT",
    "BOOL": "BOOLEAN",
}
INTEGERS = {"TINYINT": 1, "SMALLINT": 2, "INT": 3, "BIGINT": 4}
_SIMPLE = re.compile(r"([A-Z_]+)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?")
# The statement API's `type_name` (ColumnInfoTypeName) of each base type.
API_TYPE_NAMES = {
    "TINYINT": "BYTE",
    "SMALLINT": "SHORT",
    "INT": "INT",
    "BIGINT": "LONG",
    "FLOAT": "FLOAT",
    "DOUBLE": "DOUBLE",
    "DECIMAL": "DECIMAL",
    "STRING": "STRING",
    "VARCHAR": "STRING",
    "CHAR": "CHAR",
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP",
    "TIMESTAMP_NTZ": "TIMESTAMP",
    "BINARY": "BINARY",
    "ARRAY": "ARRAY",
    "MAP": "MAP",
    "STRUCT": "STRUCT",
    "INTERVAL": "INTERVAL",
    "VOID": "NULL",
}
KNOWN = set(API_TYPE_NAMES) | {"VARIANT"}


def parse(type_text: str) -> tuple[str, tuple[int, ...]]:
    """`decimal(10, 2)` -> ("DECIMAL", (10, 2)); nested types -> ("ARRAY", ())."""
    upper = type_text.strip().upper()
    match = _SIMPLE.fullmatch(upper)
    if match is None:
        base = re.match(r"[A-Z_]+", upper)
        return (ALIASES.get(base.group(), base.group()) if base else upper), ()
    name = ALIASES.get(match[1], match[1])
    arguments = tuple(int(a) for a in match.groups()[1:] if a is not None)
    if name == "DECIMAL":
        arguments = (arguments[0] if arguments else 10, arguments[1] if len(arguments) > 1 else 0)
    return name, arguments


def normalized(type_text: str) -> str:
    name, arguments = parse(type_text)
    if not _SIMPLE.fullmatch(type_text.strip().upper()):
        return re.sub(r"\s+", " ", type_text.strip().upper())
    return f"{name}({','.join(map(str, arguments))})" if arguments else name


def check_known(type_text: str) -> str:
    name, _ = parse(type_text)
    if name not in KNOWN:
        raise SqlError("UNSUPPORTED_DATATYPE", "0A000", f'Unsupported data type "{type_text}".')
    return normalized(type_text)


def is_widening(old: str, new: str) -> bool:
    """Delta's type widening (delta.enableTypeWidening): what ALTER COLUMN TYPE changes in place."""
    (old_name, old_args), (new_name, new_args) = parse(old), parse(new)
    if old_name in INTEGERS:
        if new_name in INTEGERS:
            return INTEGERS[new_name] > INTEGERS[old_name]
        if new_name == "DOUBLE":
            return old_name != "BIGINT"
        if new_name == "DECIMAL":
            return new_args[0] - new_args[1] >= (20 if old_name == "BIGINT" else 10)
        return False
    if old_name == "DECIMAL" and new_name == "DECIMAL":
        return new_args[1] >= old_args[1] and new_args[0] - new_args[1] >= old_args[0] - old_args[1]
    return (old_name, new_name) in {("FLOAT", "DOUBLE"), ("DATE", "TIMESTAMP_NTZ")}


def is_relaxing(old: str, new: str) -> bool:
    """A change Delta allows without type widening: VARCHAR(n) to a longer VARCHAR or STRING."""
    (old_name, old_args), (new_name, new_args) = parse(old), parse(new)
    if old_name == "VARCHAR" and new_name == "STRING":
        return True
    return old_name == new_name == "VARCHAR" and new_args >= old_args


def api_type_name(type_text: str) -> str:
    return API_TYPE_NAMES.get(parse(type_text)[0], "USER_DEFINED_TYPE")


def coerce(value: Any, type_text: str, column: str) -> Any:
    """`value` stored in a column of `type_text` (what an INSERT or UPDATE writes), or CAST_INVALID_INPUT."""
    if value is None:
        return None
    name, arguments = parse(type_text)
    try:
        if name in INTEGERS:
            if isinstance(value, bool):
                return int(value)
            if isinstance(value, float) and not value.is_integer():
                return int(value)
            return int(Decimal(str(value)))
        if name in ("FLOAT", "DOUBLE"):
            return float(value)
        if name == "DECIMAL":
            scale = arguments[1]
            quantum = Decimal(1).scaleb(-scale)
            return str(Decimal(str(value)).quantize(quantum))
        if name == "BOOLEAN":
            if isinstance(value, str):
                if value.strip().lower() in ("true", "false"):
                    return value.strip().lower() == "true"
                raise ValueError(value)
            return bool(value)
        if name in ("TIMESTAMP", "TIMESTAMP_NTZ"):
            if isinstance(value, datetime.datetime):
                return value.isoformat()
            text = str(value).strip().replace(" ", "T", 1)
            return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
        if name == "DATE":
            text = str(value).strip()[:10]
            return datetime.date.fromisoformat(text).isoformat()
        if name in ("STRING", "VARCHAR", "CHAR"):
            if isinstance(value, bool):
                return "true" if value else "false"
            return str(value)
    except (ValueError, InvalidOperation, TypeError) as failure:
        raise SqlError(
            "CAST_INVALID_INPUT",
            "22018",
            f'The value \'{value}\' of the type "{type(value).__name__.upper()}" cannot be cast to "{type_text}" '
            f"for column `{column}` because it is malformed.",
        ) from failure
    return value
