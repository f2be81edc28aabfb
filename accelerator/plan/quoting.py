"""Quoting and checking of what reaches migration SQL (TO BE UNIFIED with `render/sql_quoting.py`).

`plan` is below `render` in the layers, so it cannot import render's quoting; the same rules are
kept here until identifier and literal quoting move down to `accelerator.model` for both. Identifiers
are backtick-quoted (a backtick doubled); literals follow Databricks, where a backslash escapes
(`'` becomes `\\'`, `\\` becomes `\\\\`); types, defaults and privileges cannot be quoted, so they are
checked instead and a hostile model cannot add a statement.
"""

from __future__ import annotations

import re
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from accelerator.errors import AcceleratorError


class UnsafeSqlError(AcceleratorError):
    """A type, default expression or privilege of the model that cannot be written as SQL safely."""


def ident(*parts: str) -> str:
    """("cat", "schema", "t") -> `` `cat`.`schema`.`t` ``."""
    return ".".join("`" + part.replace("`", "``") + "`" for part in parts)


def literal(value: object) -> str:
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9_<>(),: ]*")
_PRIVILEGE = re.compile(r"[A-Z][A-Z_]*")


def checked_type(type_text: str) -> str:
    depth = 0
    for character in type_text:
        depth += (character in "(<") - (character in ")>")
        if depth < 0 or (character == "," and depth == 0):
            break
    else:
        if _TYPE.fullmatch(type_text) and depth == 0:
            return type_text
    raise UnsafeSqlError(f"column type {type_text!r} is not a valid Databricks SQL type")


def checked_privilege(privilege: str) -> str:
    normalized = privilege.strip().upper().replace(" ", "_")
    if not _PRIVILEGE.fullmatch(normalized):
        raise UnsafeSqlError(f"{privilege!r} is not a Unity Catalog privilege")
    return normalized.replace("_", " ")


def checked_default(expression: str) -> str:
    rendered = _rendered_expression(expression)
    if rendered is None:
        raise UnsafeSqlError(f"DEFAULT {expression!r} is not a single Databricks SQL expression")
    return rendered


@lru_cache(maxsize=4096)
def _rendered_expression(expression: str) -> str | None:
    try:
        parsed = sqlglot.parse(expression, read="databricks")
    except SqlglotError:
        return None
    if len(parsed) != 1 or parsed[0] is None:
        return None
    tree = parsed[0]
    if isinstance(tree, exp.Query | exp.DDL | exp.DML | exp.Command) or tree.find(exp.Query):
        return None
    return tree.sql(dialect="databricks")
