"""Reading values out of the command grammar's parse trees: names, types, defaults, privileges.

An operation's `from_tree` builds itself with these. They also check what the grammar cannot: how
many parts a name has, that a type is known (`accelerator.erd.types.map_type`, family "generic",
stored as the Databricks type), that a privilege exists and applies to the securable. Those problems raise `MisplacedValue` with the
offset in the statement, which `commands.py` turns into a located `CommandSyntaxError`.
"""

from __future__ import annotations

import difflib
import re

from lark import Token, Tree

from accelerator.edit.values import normalize_privilege
from accelerator.erd.types import known_types, map_type
from accelerator.errors import UnknownTypeError

MAX_PARTS = {"catalog": 1, "schema": 2, "table": 3}
_QUALIFIED = {
    1: "`catalog`",
    2: "`catalog.schema`",
    3: "`catalog.schema.table`",
    4: "`catalog.schema.table.column`",
}
_TYPE_EXAMPLES = (
    "types: string, int, bigint, decimal(p,s), double, boolean, date, timestamp, "
    "array<T>, map<K,V>, struct<name:T>; source types such as varchar(20) are mapped"
)


class MisplacedValue(Exception):
    """A statement that parses but says something invalid at `offset` (a bad type, a bad name)."""

    def __init__(self, offset: int, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.offset, self.message, self.hint = offset, message, hint


def unquote(token: Token) -> str:
    text = str(token)
    if token.type == "QUOTED_NAME":
        return text[1:-1].replace("``", "`")
    if token.type == "STRING":
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def name_parts(name: Tree[Token]) -> list[str]:
    """The dotted parts of a name; a backquoted part may hold several (`crm.customers`)."""
    parts: list[str] = []
    for token in name.children:
        assert isinstance(token, Token)
        parts.extend(unquote(token).split(".") if token.type == "QUOTED_NAME" else [str(token)])
    return parts


def offset_of(node: Tree[Token] | Token) -> int:
    return (node.start_pos if isinstance(node, Token) else node.meta.start_pos) or 0


def table_name(name: Tree[Token], max_parts: int = 3, kind: str = "table") -> str:
    parts = name_parts(name)
    if len(parts) > max_parts:
        raise MisplacedValue(
            offset_of(name),
            f"`{'.'.join(parts)}` has too many parts for a {kind}",
            f"a {kind} name has at most {max_parts} dot-separated part(s): {_QUALIFIED[max_parts]}",
        )
    return ".".join(parts)


def table_and_column(name: Tree[Token]) -> tuple[str, str]:
    parts = name_parts(name)
    if not 2 <= len(parts) <= 4:
        raise MisplacedValue(
            offset_of(name),
            f"expected a column as TABLE.COLUMN, but found `{'.'.join(parts)}`",
            "name the table and the column, e.g. `customers.email` or `crm.customers.email`",
        )
    return ".".join(parts[:-1]), parts[-1]


def data_type(node: Tree[Token], text: str) -> str:
    written = text[node.meta.start_pos : node.meta.end_pos]
    try:
        mapped = map_type(written, family="generic")
    except UnknownTypeError as error:
        base = written.split("(")[0].split("<")[0].strip().lower()
        close = difflib.get_close_matches(base, known_types("generic"), n=1)
        hint = f"did you mean `{close[0]}`? " if close else ""
        raise MisplacedValue(node.meta.start_pos, error.message, hint + _TYPE_EXAMPLES) from None
    if mapped.identity:
        raise MisplacedValue(
            node.meta.start_pos, f"`{written}` makes an identity column", "use int or bigint instead"
        )
    return mapped.type


def written_source_type(node: Tree[Token], text: str, databricks_type: str) -> str | None:
    """The type as written (`varchar(20)`), when it is not just the Databricks type it maps to."""
    written = " ".join(text[node.meta.start_pos : node.meta.end_pos].split())
    return None if written.upper().replace(" ", "") == databricks_type.upper().replace(" ", "") else written


def default_value(node: Tree[Token], text: str) -> str:
    token = node.children[0]
    assert isinstance(token, Token)
    if token.type == "STRING":  # a SQL string literal, whichever quote the comment used
        value = unquote(token).replace("\\", "\\\\").replace("'", "\\'")
        return f"'{value}'"
    if token.type == "NAME" and token.lower() in ("true", "false", "null"):
        return token.upper()  # the SQL keyword, as every ERD reader spells it
    return text[node.meta.start_pos : node.meta.end_pos].replace(" ", "")


def first_token(node: Tree[Token] | Token) -> Token:
    token = node.children[0] if isinstance(node, Tree) else node
    assert isinstance(token, Token)
    return token


def subtrees(tree: Tree[Token]) -> list[Tree[Token]]:
    """The children that are rules (tokens left out)."""
    return [child for child in tree.children if isinstance(child, Tree)]


def word(node: Tree[Token] | Token) -> str:
    """The text of a one-token node, unquoted."""
    return unquote(first_token(node))


def target_names(target: Tree[Token]) -> tuple[str, str | None]:
    """`table X` -> (X, None); `column T.c` -> (T, c); a bare `a.b` (up to 3 parts) is left for
    `resolve` to read as a table if one has that name, else as a column (the text alone cannot
    tell); 4 parts can only be `catalog.schema.table.column`."""
    name = target.children[0]
    assert isinstance(name, Tree)
    if target.data == "column_target" or (target.data == "bare_target" and len(name_parts(name)) == 4):
        return table_and_column(name)
    return table_name(name, max_parts=3 if target.data == "table_target" else 4), None


def privilege_list(node: Tree[Token]) -> list[str]:
    privileges: list[str] = []
    for privilege in node.children:
        assert isinstance(privilege, Tree)
        written = " ".join(str(word) for word in privilege.children)
        try:
            privileges.append(normalize_privilege(written))
        except ValueError as error:
            raise MisplacedValue(offset_of(privilege), str(error)) from None
    return privileges
