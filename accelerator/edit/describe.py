"""One line per command for the bot's replies, e.g. "rename column crm.customers.email_addr → email".

Describe a resolved op (`ResolvedOp.op`) to show the model's names, fully qualified.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from accelerator.edit.operations import (
    AddColumn,
    ChangeType,
    Classify,
    CommandBase,
    DropColumn,
    EditBase,
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
)


def _object(table: str, column: str | None) -> str:
    return f"{table}.{column}" if column else table


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _add_column(op: AddColumn) -> str:
    text = f"add column {op.table}.{op.column} {op.type}"
    text += " NOT NULL" if op.not_null else ""
    text += f" DEFAULT {op.default}" if op.default is not None else ""
    text += f" comment {_quote(op.comment)}" if op.comment else ""
    return text


def _set_comment(op: SetComment) -> str:
    target = _object(op.table, op.column)
    return f"comment on {target}: {_quote(op.comment)}" if op.comment else f"remove the comment on {target}"


def _privileges(op: Grant | Revoke, preposition: str) -> str:
    where = f"in {op.environment}" if op.environment else "in every environment"
    return (
        f"{op.op} {', '.join(op.privileges)} on {op.securable_kind} {op.securable} "
        f"{preposition} `{op.principal}` {where}"
    )


def _set_owner(op: SetOwner) -> str:
    kind = f"{op.securable_kind} " if op.securable_kind else ""
    return f"set owner of {kind}{op.securable} to `{op.principal}`"


_DESCRIBERS: dict[type[EditBase | CommandBase], Callable[[Any], str]] = {
    RenameTable: lambda op: f"rename table {op.table} → {op.new_name}",
    RenameColumn: lambda op: f"rename column {op.table}.{op.column} → {op.new_name}",
    AddColumn: _add_column,
    DropColumn: lambda op: f"drop column {op.table}.{op.column}",
    ChangeType: lambda op: f"change type of {op.table}.{op.column} → {op.type}",
    SetNotNull: lambda op: f"{'set' if op.not_null else 'drop'} NOT NULL on {op.table}.{op.column}",
    SetComment: _set_comment,
    SetTag: lambda op: f"tag {_object(op.table, op.column)} {op.key}={op.value}",
    Classify: lambda op: f"classify {op.table}.{op.column} as {op.classification}",
    Grant: lambda op: _privileges(op, "to"),
    Revoke: lambda op: _privileges(op, "from"),
    SetOwner: _set_owner,
    Undo: lambda op: "undo the last turn's edits",
    Explain: lambda op: f"explain {op.target}" if op.target else "explain the last change",
    Status: lambda op: "show the status",
    Help: lambda op: "show the commands",
}


def describe(op: ParsedCommand | EditBase | CommandBase) -> str:
    """A one-line, human description of a command."""
    return _DESCRIBERS[type(op)](op)
