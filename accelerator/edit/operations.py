"""The registry of operations: every edit and command of the conversation, by its `op` name.

The only list of operations is the list of modules below; each operation is one class in one of
them (see `operation.py` for what a class declares). Everything else derives from the registry:
the command grammar's alternatives and their builders (`commands.py`), the help and "did you
mean" forms (`help.py`), the LLM's tools (`agent/llm.py`) and the discriminated unions that
(de)serialize a turn's operations as JSON.
"""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias, Union

from pydantic import Field

from accelerator.edit import (
    approval_edits,
    column_edits,
    conversation_commands,
    governance_edits,
    grant_edits,
    questions,
    table_edits,
)
from accelerator.edit.operation import CommandBase, CommandForm, EditBase, Operation


def collect(base: type, *modules: ModuleType) -> dict[str, type[Any]]:
    """The concrete `base` classes defined in `modules`, by `op` name, in definition order."""
    found: dict[str, type[Any]] = {}
    for module in modules:
        for value in vars(module).values():
            if not (isinstance(value, type) and issubclass(value, base) and issubclass(value, Operation)):
                continue
            name = value.model_fields["op"].default
            if value.__module__ != module.__name__ or not isinstance(name, str):
                continue  # imported, or an abstract base of a family (e.g. the privilege changes)
            if name in found:
                raise TypeError(f"two operations are named {name!r}: {found[name]} and {value}")
            if not getattr(value, "forms", ()) or inspect.isabstract(value):
                raise TypeError(f"{value.__name__} must declare its forms and implement every method")
            found[name] = value
    return found


# The edits, in the order of `help` and of the LLM's tools.
OPERATIONS: dict[str, type[EditBase]] = collect(
    EditBase,
    table_edits,
    column_edits,
    governance_edits,
    grant_edits,
)
COMMANDS: dict[str, type[CommandBase]] = collect(
    CommandBase, conversation_commands, approval_edits, questions
)
# Every operation by the grammar rule of each of its forms.
RULES: dict[str, type[Operation]] = {
    form.rule: cls for cls in (*OPERATIONS.values(), *COMMANDS.values()) for form in cls.forms
}
COMMAND_FORMS: tuple[CommandForm, ...] = tuple(
    form for cls in (*OPERATIONS.values(), *COMMANDS.values()) for form in cls.forms
)

if TYPE_CHECKING:  # the unions below are built from the registry; statically they are their base
    EditOp: TypeAlias = EditBase
    Command: TypeAlias = CommandBase
    ParsedCommand: TypeAlias = Operation
else:
    EditOp = Annotated[Union[tuple(OPERATIONS.values())], Field(discriminator="op")]  # noqa: UP007
    Command = Annotated[Union[tuple(COMMANDS.values())], Field(discriminator="op")]  # noqa: UP007
    # What one parsed statement is; one discriminated union, so a turn's commands serialize as a list.
    ParsedCommand = Annotated[
        Union[tuple(OPERATIONS.values()) + tuple(COMMANDS.values())],  # noqa: UP007
        Field(discriminator="op"),
    ]


def describe(op: Operation) -> str:
    """A one-line, human description of a command."""
    return op.describe()
