"""The typed edits: JSON schemas for LLM tools, normalization of what any producer writes, and
round trips through JSON."""

from __future__ import annotations

import json

import pytest
from pydantic import TypeAdapter, ValidationError

from accelerator.edit import EditBase, EditOp, ParsedCommand, parse_commands
from accelerator.edit.column_edits import ChangeType
from accelerator.edit.conversation_commands import Undo
from accelerator.edit.governance_edits import Classify
from accelerator.edit.grant_edits import Grant, Revoke, SetOwner
from accelerator.edit.table_edits import AddColumn, RenameTable
from accelerator.edit.values import normalize_type


def test_edit_op_json_schema_is_a_discriminated_union_with_descriptions() -> None:
    schema = TypeAdapter(EditOp).json_schema()
    assert set(schema["discriminator"]["mapping"]) == {
        "rename_table",
        "rename_column",
        "add_column",
        "drop_column",
        "change_type",
        "set_not_null",
        "set_comment",
        "set_tag",
        "classify",
        "grant",
        "revoke",
        "set_owner",
        "add_foreign_key",
        "drop_foreign_key",
        "move_table",
    }
    for name, definition in schema["$defs"].items():
        assert definition.get("description"), f"{name} has no docstring for the LLM"
        for field_name, field in definition["properties"].items():
            if field_name != "op":
                assert field.get("description"), f"{name}.{field_name} has no description"
    json.dumps(schema)  # serializable as a tool schema


def test_a_turn_round_trips_through_json() -> None:
    parsed = parse_commands(
        "rename orders.status to state; grant select on schema sales to analysts in prod; undo"
    )
    adapter = TypeAdapter(list[ParsedCommand])
    restored = adapter.validate_json(adapter.dump_json(parsed.commands))
    assert restored == parsed.commands


def test_an_llm_tool_call_is_validated_and_normalized() -> None:
    op = TypeAdapter(EditOp).validate_python(
        {
            "op": "grant",
            "privileges": ["use schema", "Select", "SELECT"],
            "securable_kind": "schema",
            "securable": "sales",
            "principal": " analysts ",
        }
    )
    assert op == Grant(
        privileges=["USE_SCHEMA", "SELECT"], securable_kind="schema", securable="sales", principal="analysts"
    )
    assert isinstance(op, EditBase)


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("varchar(20)", "STRING"),
        ("STRING", "STRING"),
        ("decimal(10,2)", "DECIMAL(10,2)"),
        ("DECIMAL(10,2)", "DECIMAL(10,2)"),
        ("array<string>", "ARRAY<STRING>"),
        ("MAP<STRING, INT>", "MAP<STRING, INT>"),
        ("FLOAT", "FLOAT"),  # Databricks FLOAT is 4-byte: stays FLOAT once stored
        ("double precision", "DOUBLE"),
        ("TIMESTAMP_NTZ", "TIMESTAMP_NTZ"),
    ],
)
def test_types_are_stored_as_databricks_types_and_stay_so(written: str, stored: str) -> None:
    assert AddColumn(table="t", column="c", type=written).type == stored
    assert normalize_type(stored) == stored  # a fixed point: re-validating never changes a type


@pytest.mark.parametrize(
    ("model", "values", "message"),
    [
        (ChangeType, {"table": "t", "column": "c", "type": "nosuchtype"}, "unknown type"),
        (ChangeType, {"table": "t", "column": "c", "type": "bigserial"}, "identity column"),
        (RenameTable, {"table": "a.b.c.d", "new_name": "x"}, "more than 3"),
        (RenameTable, {"table": "a..b", "new_name": "x"}, "not a valid name"),
        (RenameTable, {"table": "a", "new_name": "x.y"}, "not a valid name"),
        (RenameTable, {"table": "a", "new_name": ""}, "not a valid name"),
        (Classify, {"table": "t", "column": "c", "classification": "PII email"}, "not a classification"),
        (
            Revoke,
            {"privileges": ["CREATE_SCHEMA"], "securable_kind": "schema", "securable": "s", "principal": "p"},
            "cannot be granted on a schema",
        ),
        (
            Grant,
            {"privileges": ["SELEKT"], "securable_kind": "table", "securable": "t", "principal": "p"},
            "did you mean SELECT",
        ),
        (
            Grant,
            {"privileges": [], "securable_kind": "table", "securable": "t", "principal": "p"},
            "at least 1",
        ),
        (SetOwner, {"securable": "t", "principal": "   "}, "at least 1"),
        (Undo, {"op": "undo", "extra": 1}, "Extra inputs"),
    ],
)
def test_invalid_values_are_rejected_whoever_produced_them(
    model: type[EditBase], values: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        model.model_validate(values)


def test_edits_are_immutable() -> None:
    op = RenameTable(table="a", new_name="b")
    with pytest.raises(ValidationError):
        op.new_name = "c"  # type: ignore[misc]
