"""Is a column's type change a widening Delta applies in place, a narrowing, or incompatible?

Delta's type widening (Databricks Runtime 15.4 LTS and above, `delta.enableTypeWidening`):
BYTE -> SHORT -> INT -> BIGINT; BYTE, SHORT and INT -> DOUBLE; any integer -> DECIMAL whose integer
digits hold it (DECIMAL(10,0) for up to INT, DECIMAL(20,0) for BIGINT); FLOAT -> DOUBLE;
DECIMAL(p,s) -> DECIMAL(p+k1,s+k2) with k1 >= k2 >= 0; DATE -> TIMESTAMP_NTZ. A longer VARCHAR, or
STRING for a CHAR/VARCHAR, only relaxes a length check. Any other change rewrites the data: a
narrowing (some values no longer fit) or an incompatible change (a conversion).
"""

from __future__ import annotations

import re
from typing import Literal

TypeChangeKind = Literal["same", "widening", "narrowing", "incompatible"]

_ALIASES = {
    "BYTE": "TINYINT",
    "SHORT": "SMALLINT",
    "INTEGER": "INT",
    "LONG": "BIGINT",
    "DEC": "DECIMAL",
    "NUMERIC": "DECIMAL",
    "REAL": "FLOAT",
}
_INTEGER_RANK = {"TINYINT": 1, "SMALLINT": 2, "INT": 3, "BIGINT": 4}
_SIMPLE = re.compile(r"([A-Z_]+)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?")


def normalized_type(type_text: str) -> str:
    """`decimal( 10 , 2 )` -> `DECIMAL(10,2)`, `long` -> `BIGINT`; other types upper-cased without spaces."""
    parsed = _parse(type_text)
    if parsed is None:
        return re.sub(r"\s+", "", type_text.upper())
    name, arguments = parsed
    return f"{name}({','.join(map(str, arguments))})" if arguments else name


def _parse(type_text: str) -> tuple[str, tuple[int, ...]] | None:
    match = _SIMPLE.fullmatch(type_text.strip().upper())
    if match is None:
        return None
    name = _ALIASES.get(match[1], match[1])
    arguments = tuple(int(a) for a in match.groups()[1:] if a is not None)
    if name == "DECIMAL":
        precision = arguments[0] if arguments else 10
        scale = arguments[1] if len(arguments) > 1 else 0
        arguments = (precision, scale)
    return name, arguments


def type_change_kind(old: str, new: str) -> TypeChangeKind:
    if normalized_type(old) == normalized_type(new):
        return "same"
    before, after = _parse(old), _parse(new)
    if before is None or after is None:  # ARRAY/MAP/STRUCT: nested widening is not planned
        return "incompatible"
    (old_name, old_arguments), (new_name, new_arguments) = before, after
    if old_name in _INTEGER_RANK:
        return _from_integer(old_name, new_name, new_arguments)
    if old_name == "DECIMAL":
        return _from_decimal(old_arguments, new_name, new_arguments)
    if (old_name, new_name) == ("FLOAT", "DOUBLE"):
        return "widening"
    if (old_name, new_name) == ("DOUBLE", "FLOAT") or (
        old_name in ("FLOAT", "DOUBLE") and new_name in _NUMBERS
    ):
        return "narrowing"
    if (old_name, new_name) == ("DATE", "TIMESTAMP_NTZ"):
        return "widening"
    if old_name in ("TIMESTAMP", "TIMESTAMP_NTZ") and new_name == "DATE":
        return "narrowing"
    if old_name in ("CHAR", "VARCHAR") and new_name in ("CHAR", "VARCHAR", "STRING"):
        return _from_text(old_name, old_arguments, new_name, new_arguments)
    if old_name == "STRING" and new_name in ("CHAR", "VARCHAR"):
        return "narrowing"
    return "incompatible"


_NUMBERS = {*_INTEGER_RANK, "DECIMAL", "FLOAT", "DOUBLE"}


def _from_integer(old: str, new: str, new_arguments: tuple[int, ...]) -> TypeChangeKind:
    if new in _INTEGER_RANK:
        return "widening" if _INTEGER_RANK[new] > _INTEGER_RANK[old] else "narrowing"
    if new == "DOUBLE":
        return "widening" if old != "BIGINT" else "incompatible"  # a BIGINT does not fit a double exactly
    if new == "DECIMAL":
        precision, scale = new_arguments
        return "widening" if precision - scale >= (20 if old == "BIGINT" else 10) else "narrowing"
    return "narrowing" if new == "FLOAT" else "incompatible"


def _from_decimal(old: tuple[int, ...], new: str, new_arguments: tuple[int, ...]) -> TypeChangeKind:
    if new != "DECIMAL":
        return "narrowing" if new in _NUMBERS else "incompatible"
    (precision, scale), (new_precision, new_scale) = old, new_arguments
    if new_scale >= scale and new_precision - new_scale >= precision - scale:
        return "widening"
    return "narrowing"


def _from_text(
    old: str, old_arguments: tuple[int, ...], new: str, new_arguments: tuple[int, ...]
) -> TypeChangeKind:
    if new == "STRING":
        return "widening"
    if "CHAR" in (old, new):
        return "incompatible"  # CHAR pads its values to its length: they change
    old_length, new_length = (old_arguments or (0,))[0], (new_arguments or (0,))[0]
    return "widening" if new_length >= old_length else "narrowing"
