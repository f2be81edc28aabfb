"""Columns are values: a DBML block that did not move hands its Column objects out again to the
next parse, so nothing a turn does may change one in place. Governance (with the policy's `objects`
tagging columns), every kind of edit and the fit are run over a parse; the parse's columns, and the
next parse of the same text, are still what a cold parse gives."""

from __future__ import annotations

from pathlib import Path

from accelerator.edit.column_edits import ChangeType, SetNotNull
from accelerator.edit.effects import apply_edit
from accelerator.edit.governance_edits import Classify
from accelerator.edit.operation import EditBase
from accelerator.edit.table_edits import AddColumn, DropColumn, RenameColumn, RenameTable
from accelerator.erd import parse_erd
from accelerator.erd.dbml.syntax import separate_scans
from accelerator.generate import ErdInput, PolicyInput, govern_inputs
from accelerator.model import Column

ROOT = Path(__file__).resolve().parents[2]
POLICY = (ROOT / "examples/retail/policies/governance.yaml").read_text()
ERD = """\
Table crm.customers {
  customer_id bigint [pk, increment]
  email varchar(255) [not null, note: 'Primary contact']
  status varchar(20) [default: 'active']
}

Table sales.orders {
  order_id bigint [pk]
  customer_id bigint [ref: > crm.customers.customer_id]
  status varchar(20)
  total decimal(10,2)
}
"""
OBJECTS = """
objects:
  sales.orders.status: {tags: {quality: gold}}
  crm.customers.email: {tags: {contact: primary}}
  sales.orders: {tags: {tier: gold}}
"""


def columns_of(project_or_schemas: object) -> list[tuple[Column, dict[str, object]]]:
    schemas = getattr(project_or_schemas, "schemas", project_or_schemas)
    return [(c, c.model_dump()) for s in schemas for t in s.tables for c in t.columns]  # type: ignore[attr-defined]


def edits() -> list[EditBase]:
    return [
        RenameColumn(table="sales.orders", column="status", new_name="state"),
        RenameColumn(table="crm.customers", column="customer_id", new_name="id"),
        RenameTable(table="crm.customers", new_name="clients"),
        AddColumn(table="sales.orders", column="channel", type="varchar(20)"),
        DropColumn(table="crm.customers", column="status"),
        ChangeType(table="sales.orders", column="total", type="DECIMAL(12,2)"),
        SetNotNull(table="sales.orders", column="total", not_null=True),
        Classify(table="sales.orders", column="status", classification="pii"),
    ]


def test_a_turn_changes_no_column_of_the_parse_it_governs_and_edits() -> None:
    parsed = parse_erd(ERD, "erd/model.dbml")
    given = columns_of(parsed.schemas)
    governed = govern_inputs(
        "shop",
        [ErdInput("erd/model.dbml", ERD, "retail")],
        PolicyInput("policies/governance.yaml", POLICY + OBJECTS),
        {"erd/model.dbml": parsed},
    )
    tagged = {(t.name, c.name): dict(c.tags) for _, _, t in governed.project.iter_tables() for c in t.columns}
    assert tagged["orders", "status"]["quality"] == "gold"  # governance did tag them, on copies
    assert tagged["customers", "email"]["contact"] == "primary"
    for op in edits():
        apply_edit(governed.model, op)
        apply_edit(governed.project, op)
    assert [(c, c.model_dump()) for c, _ in given] == given
    model_tags = {c.name: c.tags for _, _, t in governed.model.iter_tables() for c in t.columns}
    assert model_tags["status"] == {} and model_tags["email"] == {}  # the model before the policy

    again = parse_erd(ERD, "erd/model.dbml")
    with separate_scans():
        cold = parse_erd(ERD, "erd/model.dbml")
    assert [c.model_dump() for c, _ in columns_of(again.schemas)] == [
        c.model_dump() for c, _ in columns_of(cold.schemas)
    ]
    shared = {id(c) for c, _ in given} & {id(c) for c, _ in columns_of(again.schemas)}
    assert shared  # the columns the fit left as they are were handed out again
