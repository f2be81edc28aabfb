"""The registry of operations: everything that lists operations derives from it, and a new operation
is one class (plus its grammar rule) that every part picks up."""

from __future__ import annotations

from types import ModuleType
from typing import Literal, Self

import pytest
from langchain_core.utils.function_calling import convert_to_openai_tool
from lark import Token, Tree
from pydantic import TypeAdapter

from accelerator.agent.llm import EDIT_TOOLS
from accelerator.edit import (
    COMMAND_FORMS,
    COMMANDS,
    OPERATIONS,
    EditBase,
    EditOp,
    ParsedCommand,
    apply_edit,
    describe,
    parse_commands,
)
from accelerator.edit.located import Located
from accelerator.edit.operation import ColumnEdit, CommandForm
from accelerator.edit.operations import collect
from accelerator.edit.readers import subtrees, table_and_column
from accelerator.errors import EditConflictError
from accelerator.model import Project


def test_every_form_parses_its_example_into_the_class_that_declares_it() -> None:
    for cls in (*OPERATIONS.values(), *COMMANDS.values()):
        for form in cls.forms:
            parsed = parse_commands(form.example)
            assert parsed.errors == [], form.example
            assert [type(command) for command in parsed.commands] == [cls], form.example
    assert len({form.rule for form in COMMAND_FORMS}) == len(COMMAND_FORMS)


def test_the_llm_tools_are_the_registered_edits_each_with_its_schema() -> None:
    assert list(EDIT_TOOLS) == list(OPERATIONS.values())
    for tool in EDIT_TOOLS:
        function = convert_to_openai_tool(tool)["function"]
        assert function["name"] == tool.__name__ and function["description"]
        assert "op" in function["parameters"]["properties"]


def test_a_turn_of_every_registered_operation_round_trips_through_json() -> None:
    commands = [c for form in COMMAND_FORMS for c in parse_commands(form.example).commands]
    adapter = TypeAdapter(list[ParsedCommand])
    assert adapter.validate_json(adapter.dump_json(commands)) == commands
    edits = [c for c in commands if isinstance(c, EditBase)]
    assert [TypeAdapter(EditOp).validate_python(e.model_dump(mode="json")) for e in edits] == edits
    assert all(describe(c) for c in commands)


class DropDefault(ColumnEdit):
    """Drop the default of a column (the shape of a schema-evolution operation)."""

    op: Literal["drop_default"] = "drop_default"
    forms = (
        CommandForm(
            "drop_default", "drop default on", "drop default on T.c", "drop default on o.c", "drop a default"
        ),
    )

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        table, column = table_and_column(subtrees(tree)[0])
        return cls(table=table, column=column)

    def describe(self) -> str:
        return f"drop default on {self.table}.{self.column}"

    def apply_to(self, target: Located) -> None:
        column = target.require_column()
        if column.default is None:
            raise target.unchanged("has no default")
        column.default = None


def module_of(*classes: type) -> ModuleType:
    module = ModuleType("schema_evolution")
    for cls in classes:
        setattr(module, cls.__name__, cls)
        cls.__module__ = module.__name__
    return module


def test_a_new_operation_is_one_class_that_resolution_and_the_effect_dispatch_to(retail: Project) -> None:
    assert collect(EditBase, module_of(DropDefault)) == {"drop_default": DropDefault}
    retail.catalogs[0].schemas[1].tables[0].columns[2].default = "'placed'"
    updated = apply_edit(retail, DropDefault(table="ORDERS", column="Status"))
    assert updated.catalogs[0].schemas[1].tables[0].columns[2].default is None
    assert retail.catalogs[0].schemas[1].tables[0].columns[2].default == "'placed'"  # a copy changed
    with pytest.raises(EditConflictError, match="has no default"):
        apply_edit(updated, DropDefault(table="orders", column="status"))


def test_the_registry_refuses_two_operations_of_one_name_and_one_without_forms() -> None:
    class Again(DropDefault):
        """The same name again."""

    class Formless(DropDefault):
        """No forms."""

        op: Literal["formless"] = "formless"
        forms = ()

    with pytest.raises(TypeError, match="two operations are named 'drop_default'"):
        collect(EditBase, module_of(DropDefault, Again))
    with pytest.raises(TypeError, match="Formless must declare its forms"):
        collect(EditBase, module_of(Formless))
