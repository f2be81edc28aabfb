"""The conversation's commands that do not edit the model: undo, redo, propose, explain, status,
help.

The agent answers them (`agent/nodes.py`, by `op`); here they are parsed, described and listed.
`propose` is the terminal's: `accelerator chat` opens a pull request with the session's edits and
regenerated files (`channels/cli/propose.py`), which continues the conversation's thread.
"""

from __future__ import annotations

from typing import Literal, Self

from lark import Token, Tree
from pydantic import Field

from accelerator.edit.operation import CommandBase, CommandForm, Question
from accelerator.edit.questions import explain_object
from accelerator.edit.readers import name_parts, subtrees, unquote
from accelerator.model.elements import Project


class Undo(CommandBase):
    """Undo the edits of the last turn."""

    op: Literal["undo"] = "undo"

    forms = (CommandForm("undo", "undo", "undo", "undo", "undo the last turn's edits"),)

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        return cls()

    def describe(self) -> str:
        return "undo the last turn's edits"


class Redo(CommandBase):
    """Redo the edits that the last `undo` reverted."""

    op: Literal["redo"] = "redo"

    forms = (CommandForm("redo", "redo", "redo", "redo", "redo what the last `undo` reverted"),)

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        return cls()

    def describe(self) -> str:
        return "redo the last undone turn"


class Propose(CommandBase):
    """Open a pull request with the conversation's edits and regenerated files (its title optional)."""

    op: Literal["propose"] = "propose"
    title: str | None = Field(default=None, max_length=256, description="The pull request's title.")

    forms = (
        CommandForm(
            "propose",
            "propose",
            'propose ["TITLE"]',
            'propose "Add the returns table"',
            "open a pull request with this conversation's edits (from `accelerator chat`)",
        ),
    )

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        title = next((unquote(t) for t in tree.children if isinstance(t, Token)), None)
        return cls(title=" ".join(title.split())[:256] or None if title is not None else None)

    def describe(self) -> str:
        return f'propose "{self.title}"' if self.title else "propose a pull request"


class Explain(Question):
    """Explain an object (table, column, ...) or a finding; with no target, the last change."""

    op: Literal["explain"] = "explain"
    target: str | None = Field(default=None, description="What to explain, e.g. `crm.customers.email`.")

    forms = (
        CommandForm(
            "explain",
            "explain",
            "explain [X]",
            "explain customers",
            "explain an object or the last change",
        ),
    )

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        names = subtrees(tree)
        return cls(target=".".join(name_parts(names[0])) if names else None)

    def describe(self) -> str:
        return f"explain {self.target}" if self.target else "explain the last change"

    def answer(self, project: Project) -> str:
        """What the target is (the agent answers `explain` with no target from the conversation)."""
        return (
            explain_object(project, self.target)
            if self.target
            else "explain what? e.g. `explain crm.customers`"
        )


class Status(CommandBase):
    """Show the state of the pull request's workflow."""

    op: Literal["status"] = "status"

    forms = (CommandForm("status", "status", "status", "status", "show the workflow's state"),)

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        return cls()

    def describe(self) -> str:
        return "show the status"


class Help(CommandBase):
    """List the commands."""

    op: Literal["help"] = "help"

    forms = (CommandForm("help", "help", "help", "help", "show this help"),)

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        return cls()

    def describe(self) -> str:
        return "show the commands"
