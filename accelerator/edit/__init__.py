"""Typed edits of the model and the conversation's commands: one registry of operations
(`operations.py`), each a class that knows how it is parsed, described, resolved, applied and
patched into the sources."""

from accelerator.edit.commands import CommentStatement, ParsedComment, parse_commands, split_statements
from accelerator.edit.effects import apply_edit
from accelerator.edit.help import COMMAND_FORMS, HELP_TEXT
from accelerator.edit.operation import CommandBase, CommandForm, EditBase, Operation, ResolvedOp, resolve
from accelerator.edit.operations import COMMANDS, OPERATIONS, Command, EditOp, ParsedCommand, describe

__all__ = [
    "COMMANDS",
    "COMMAND_FORMS",
    "HELP_TEXT",
    "OPERATIONS",
    "Command",
    "CommandBase",
    "CommandForm",
    "CommentStatement",
    "EditBase",
    "EditOp",
    "Operation",
    "ParsedCommand",
    "ParsedComment",
    "ResolvedOp",
    "apply_edit",
    "describe",
    "parse_commands",
    "resolve",
    "split_statements",
]
