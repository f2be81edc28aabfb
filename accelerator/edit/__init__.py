"""Typed edits of the model and the conversation's commands: how each is parsed, resolved, applied and patched."""

from accelerator.edit.commands import ParsedComment, Statement, parse_commands, split_statements
from accelerator.edit.describe import describe
from accelerator.edit.effects import apply_edit
from accelerator.edit.help import COMMAND_FORMS, HELP_TEXT
from accelerator.edit.operations import (
    AddColumn,
    ChangeType,
    Classify,
    Command,
    CommandBase,
    DropColumn,
    EditBase,
    EditOp,
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
from accelerator.edit.resolve import ResolvedOp, resolve

__all__ = [
    "COMMAND_FORMS",
    "HELP_TEXT",
    "AddColumn",
    "ChangeType",
    "Classify",
    "Command",
    "CommandBase",
    "DropColumn",
    "EditBase",
    "EditOp",
    "Explain",
    "Grant",
    "Help",
    "ParsedCommand",
    "ParsedComment",
    "RenameColumn",
    "RenameTable",
    "ResolvedOp",
    "Revoke",
    "SetComment",
    "SetNotNull",
    "SetOwner",
    "SetTag",
    "Statement",
    "Status",
    "Undo",
    "apply_edit",
    "describe",
    "parse_commands",
    "resolve",
    "split_statements",
]
