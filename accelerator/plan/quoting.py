"""Quoting for migration SQL: the model's quoting and checks (`model/sql_quoting.py`, which render
uses too), in the forms migration statements write them."""

from __future__ import annotations

from accelerator.model import sql_quoting
from accelerator.model.sql_quoting import quote_literal as literal

__all__ = ["checked_default", "checked_privilege", "checked_type", "ident", "literal"]


def ident(*parts: str) -> str:
    """("cat", "schema", "t") -> `` `cat`.`schema`.`t` ``."""
    return sql_quoting.quote_identifier(parts)


def checked_type(type_text: str) -> str:
    return sql_quoting.checked_type(type_text, None)


def checked_privilege(privilege: str) -> str:
    """A Unity Catalog privilege as GRANT writes it: `ALL PRIVILEGES`, `USE SCHEMA`."""
    return sql_quoting.checked_privilege(privilege, None).replace("_", " ")


def checked_default(expression: str) -> str:
    return sql_quoting.checked_default(expression, None)
