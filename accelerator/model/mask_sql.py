"""A column mask function in Databricks SQL, the one definition that both the whole-model script
(`render/sql_context.py` and the `mask_function` macro) and a migration (`plan/migration_sql.py`)
write, so that a migration replaces a function with exactly the body the script created.

`masked_kind` decides what a mask returns for a column type; `mask_function_sql` writes the
`CREATE OR REPLACE FUNCTION` statement (no trailing semicolon: the caller ends it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from accelerator.model.sql_quoting import quote_identifier, quote_literal

MaskedKind = Literal["redact_string", "hash_string", "partial_string", "null"]

# What the function returns for a caller outside the exempt groups; `val` is the column's value.
MASKED_VALUES: dict[str, str] = {
    "redact_string": "'***'",
    "hash_string": "sha2(val, 256)",
    "partial_string": "concat(repeat('*', greatest(length(val) - 4, 0)), right(val, 4))",
    "null": "NULL",
}
_STRING_TYPES = ("STRING", "VARCHAR", "CHAR")
_STRING_KINDS: dict[str, MaskedKind] = {  # by Mask.strategy
    "redact": "redact_string",
    "hash": "hash_string",
    "partial": "partial_string",
    "null": "null",
}


def is_string_type(type_text: str) -> bool:
    return type_text.upper().startswith(_STRING_TYPES)


def masked_kind(strategy: str, column_type: str) -> MaskedKind:
    """Only strings can be redacted to '***', hashed or partially shown and still match
    `RETURNS <type>`: any other type, and the `null` strategy, return NULL."""
    return _STRING_KINDS[strategy] if is_string_type(column_type) else "null"


def mask_function_body(kind: str, exempt_groups: Iterable[str]) -> str:
    """The masked value, or `CASE WHEN <member of an exempt group> THEN val ELSE <masked> END`
    (groups sorted and once each, so the same mask always writes the same body)."""
    masked = MASKED_VALUES[kind]
    groups = sorted(set(exempt_groups))
    if not groups:
        return masked
    members = " OR ".join(f"is_account_group_member({quote_literal(group)})" for group in groups)
    return f"CASE WHEN {members} THEN val ELSE {masked} END"


def mask_function_sql(
    path: tuple[str, str, str], column_type: str, kind: str, exempt_groups: Iterable[str]
) -> str:
    """`CREATE OR REPLACE FUNCTION cat.schema.fn(val T) RETURNS T RETURN <body>`; `column_type` must
    be checked by the caller (it is placed as it is)."""
    body = mask_function_body(kind, exempt_groups)
    return (
        f"CREATE OR REPLACE FUNCTION {quote_identifier(path)}(val {column_type}) "
        f"RETURNS {column_type} RETURN {body}"
    )
