"""The conversation: PR comments -> typed commands -> edits of the model (and of the sources)."""

from accelerator.agent.apply import apply_edit
from accelerator.agent.commands import ParsedComment, Statement, parse_commands, split_statements
from accelerator.agent.describe import describe
from accelerator.agent.edits import (
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
from accelerator.agent.help import COMMAND_FORMS, HELP_TEXT
from accelerator.agent.resolve import ResolvedOp, resolve

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
