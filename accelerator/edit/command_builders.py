"""Parse trees of the command grammar -> typed commands, one builder per grammar rule.

Builders also check what the grammar cannot: how many parts a name has, that a type is known
(`accelerator.erd.types.map_type`, family "generic", stored as the Databricks type), that a
privilege exists and applies to the securable. Those problems raise `MisplacedValue` with the
offset in the statement, which `commands.py` turns into a located `CommandSyntaxError`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable

from lark import Token, Tree
from pydantic import ValidationError

from accelerator.edit.operations import (
    AddColumn,
    ChangeType,
    Classify,
    DropColumn,
    Explain,
    Grant,
    Help,
    ParsedCommand,
    RenameColumn,
    RenameTable,
    Revoke,
    SetComment,
    SetNotNull,
    SetOwner,
    SetTag,
    Status,
    Undo,
    normalize_privilege,
)
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


def _unquote(token: Token) -> str:
    text = str(token)
    if token.type == "QUOTED_NAME":
        return text[1:-1].replace("``", "`")
    if token.type == "STRING":
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def _parts(name: Tree[Token]) -> list[str]:
    """The dotted parts of a name; a backquoted part may hold several (`crm.customers`)."""
    parts: list[str] = []
    for token in name.children:
        assert isinstance(token, Token)
        parts.extend(_unquote(token).split(".") if token.type == "QUOTED_NAME" else [str(token)])
    return parts


def _start(node: Tree[Token] | Token) -> int:
    return (node.start_pos if isinstance(node, Token) else node.meta.start_pos) or 0


def _table(name: Tree[Token], max_parts: int = 3, kind: str = "table") -> str:
    parts = _parts(name)
    if len(parts) > max_parts:
        raise MisplacedValue(
            _start(name),
            f"`{'.'.join(parts)}` has too many parts for a {kind}",
            f"a {kind} name has at most {max_parts} dot-separated part(s): {_QUALIFIED[max_parts]}",
        )
    return ".".join(parts)


def _table_and_column(name: Tree[Token]) -> tuple[str, str]:
    parts = _parts(name)
    if not 2 <= len(parts) <= 4:
        raise MisplacedValue(
            _start(name),
            f"expected a column as TABLE.COLUMN, but found `{'.'.join(parts)}`",
            "name the table and the column, e.g. `customers.email` or `crm.customers.email`",
        )
    return ".".join(parts[:-1]), parts[-1]


def _type(node: Tree[Token], text: str) -> str:
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


def _default(node: Tree[Token], text: str) -> str:
    token = node.children[0]
    assert isinstance(token, Token)
    if token.type == "STRING":  # a SQL string literal, whichever quote the comment used
        value = _unquote(token).replace("\\", "\\\\").replace("'", "\\'")
        return f"'{value}'"
    return text[node.meta.start_pos : node.meta.end_pos].replace(" ", "")


def _token(node: Tree[Token] | Token) -> Token:
    token = node.children[0] if isinstance(node, Tree) else node
    assert isinstance(token, Token)
    return token


def _rename_table(tree: Tree[Token], text: str) -> RenameTable:
    name, new_name = tree.children
    assert isinstance(name, Tree)
    return RenameTable(table=_table(name), new_name=_unquote(_token(new_name)))


def _rename_column(tree: Tree[Token], text: str) -> RenameColumn:
    name, new_name = tree.children
    assert isinstance(name, Tree)
    table, column = _table_and_column(name)
    return RenameColumn(table=table, column=column, new_name=_unquote(_token(new_name)))


def _add_column(tree: Tree[Token], text: str) -> AddColumn:
    name, data_type, *options = (child for child in tree.children if isinstance(child, Tree))
    table, column = _table_and_column(name)
    not_null, default, comment = False, None, None
    for option in options:
        if option.data == "not_null":
            not_null = True
        elif option.data == "default":
            value = option.children[0]
            assert isinstance(value, Tree)
            default = _default(value, text)
        else:
            comment = _unquote(_token(option))
    return AddColumn(
        table=table,
        column=column,
        type=_type(data_type, text),
        not_null=not_null,
        default=default,
        comment=comment,
    )


def _column_command(
    make: Callable[[str, str], DropColumn | SetNotNull],
) -> Callable[[Tree[Token], str], DropColumn | SetNotNull]:
    def build(tree: Tree[Token], text: str) -> DropColumn | SetNotNull:
        name = tree.children[0]
        assert isinstance(name, Tree)
        return make(*_table_and_column(name))

    return build


def _change_type(tree: Tree[Token], text: str) -> ChangeType:
    name, data_type = tree.children
    assert isinstance(name, Tree) and isinstance(data_type, Tree)
    table, column = _table_and_column(name)
    return ChangeType(table=table, column=column, type=_type(data_type, text))


def _target(target: Tree[Token]) -> tuple[str, str | None]:
    """`table X` -> (X, None); `column T.c` -> (T, c); a bare `a.b` (up to 3 parts) is left for
    `resolve` to read as a table if one has that name, else as a column (the text alone cannot
    tell); 4 parts can only be `catalog.schema.table.column`."""
    name = target.children[0]
    assert isinstance(name, Tree)
    if target.data == "column_target" or (target.data == "bare_target" and len(_parts(name)) == 4):
        return _table_and_column(name)
    return _table(name, max_parts=3 if target.data == "table_target" else 4), None


def _comment_on(tree: Tree[Token], text: str) -> SetComment:
    target, comment = tree.children
    assert isinstance(target, Tree)
    table, column = _target(target)
    return SetComment(table=table, column=column, comment=_unquote(_token(comment)))


def _set_tag(tree: Tree[Token], text: str) -> SetTag:
    target, key, value = tree.children
    assert isinstance(target, Tree)
    table, column = _target(target)
    return SetTag(table=table, column=column, key=_unquote(_token(key)), value=_unquote(_token(value)))


def _classify(tree: Tree[Token], text: str) -> Classify:
    name, classification = tree.children
    assert isinstance(name, Tree) and isinstance(classification, Tree)
    table, column = _table_and_column(name)
    return Classify(table=table, column=column, classification=".".join(_parts(classification)))


def _privileges(node: Tree[Token]) -> list[str]:
    privileges: list[str] = []
    for privilege in node.children:
        assert isinstance(privilege, Tree)
        written = " ".join(str(word) for word in privilege.children)
        try:
            privileges.append(normalize_privilege(written))
        except ValueError as error:
            raise MisplacedValue(_start(privilege), str(error)) from None
    return privileges


def _privilege_change(make: type[Grant] | type[Revoke]) -> Callable[[Tree[Token], str], Grant | Revoke]:
    def build(tree: Tree[Token], text: str) -> Grant | Revoke:
        privileges, kind, name, principal, *environment = tree.children
        assert isinstance(privileges, Tree) and isinstance(kind, Tree) and isinstance(name, Tree)
        securable_kind = str(kind.data)
        securable = _table(name, MAX_PARTS[securable_kind], securable_kind)
        env = _unquote(_token(environment[0])) if environment else None
        try:
            return make(
                privileges=_privileges(privileges),
                securable_kind=securable_kind,
                securable=securable,
                principal=_unquote(_token(principal)),
                environment=env,
            )
        except ValidationError as error:  # privileges that do not apply to this kind of securable
            message = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in error.errors())
            raise MisplacedValue(_start(privileges), message) from None

    return build


def _set_owner(tree: Tree[Token], text: str) -> SetOwner:
    *kind, name, principal = tree.children
    assert isinstance(name, Tree)
    securable_kind = str(kind[0].data) if kind and isinstance(kind[0], Tree) else None
    securable = _table(name, MAX_PARTS[securable_kind or "table"], securable_kind or "securable")
    return SetOwner(
        securable_kind=securable_kind,
        securable=securable,
        principal=_unquote(_token(principal)),
    )


def _explain(tree: Tree[Token], text: str) -> Explain:
    target = tree.children[0] if tree.children else None
    return Explain(target=".".join(_parts(target)) if isinstance(target, Tree) else None)


BUILDERS: dict[str, Callable[[Tree[Token], str], ParsedCommand]] = {
    "rename_table": _rename_table,
    "rename_column": _rename_column,
    "add_column": _add_column,
    "drop_column": _column_command(lambda table, column: DropColumn(table=table, column=column)),
    "change_type": _change_type,
    "set_not_null": _column_command(lambda t, c: SetNotNull(table=t, column=c, not_null=True)),
    "drop_not_null": _column_command(lambda t, c: SetNotNull(table=t, column=c, not_null=False)),
    "comment_on": _comment_on,
    "set_tag": _set_tag,
    "classify": _classify,
    "grant": _privilege_change(Grant),
    "revoke": _privilege_change(Revoke),
    "set_owner": _set_owner,
    "undo": lambda tree, text: Undo(),
    "explain": _explain,
    "status": lambda tree, text: Status(),
    "help": lambda tree, text: Help(),
}
