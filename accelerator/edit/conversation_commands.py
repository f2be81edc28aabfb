"""The conversation's commands that do not edit the model: undo, redo, explain, status, help.

The agent answers them (`agent/nodes.py`, by `op`); here they are parsed, described and listed.
"""

from __future__ import annotations

from typing import Literal, Self

from lark import Token, Tree
from pydantic import Field

from accelerator.edit.operation import CommandBase, CommandForm, Question
from accelerator.edit.questions import explain_object
from accelerator.edit.readers import name_parts, subtrees
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
