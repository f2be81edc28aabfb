"""One-line descriptions for replies, and the help text."""

from __future__ import annotations

import re

import pytest

from accelerator.edit import COMMANDS, HELP_TEXT, OPERATIONS, CommandBase, EditBase, describe, resolve
from accelerator.edit.approval_edits import Allow, Confirm
from accelerator.edit.column_edits import ChangeType, SetComment, SetNotNull
from accelerator.edit.conversation_commands import Explain, Help, Propose, Redo, Status, Undo
from accelerator.edit.governance_edits import Classify, SetTag
from accelerator.edit.grant_edits import Grant, Revoke, SetOwner
from accelerator.edit.questions import ClassifiedColumns, ListTables, ShowTable, WhoCan
from accelerator.edit.table_edits import (
    AddColumn,
    AddForeignKey,
    DropColumn,
    DropForeignKey,
    MoveTable,
    RenameColumn,
    RenameTable,
)
from accelerator.model import Project

CASES: list[tuple[EditBase | CommandBase, str]] = [
    (RenameTable(table="crm.clients", new_name="customers"), "rename table crm.clients → customers"),
    (
        RenameColumn(table="crm.customers", column="email_addr", new_name="email"),
        "rename column crm.customers.email_addr → email",
    ),
    (AddColumn(table="sales.orders", column="note", type="string"), "add column sales.orders.note STRING"),
    (
        AddColumn(table="o", column="c", type="int", not_null=True, default="0", comment='say "x"'),
        'add column o.c INT NOT NULL DEFAULT 0 comment "say \\"x\\""',
    ),
    (DropColumn(table="sales.orders", column="ip_address"), "drop column sales.orders.ip_address"),
    (ChangeType(table="o", column="c", type="decimal(14,2)"), "change type of o.c → DECIMAL(14,2)"),
    (SetNotNull(table="o", column="c", not_null=True), "set NOT NULL on o.c"),
    (SetNotNull(table="o", column="c", not_null=False), "drop NOT NULL on o.c"),
    (SetComment(table="o", comment="Orders"), 'comment on o: "Orders"'),
    (SetComment(table="o", column="c", comment=""), "remove the comment on o.c"),
    (SetTag(table="o", column="c", key="k", value="v"), "tag o.c k=v"),
    (
        Classify(table="crm.customers", column="phone", classification="pii.phone"),
        "classify crm.customers.phone as pii.phone",
    ),
    (
        Grant(
            privileges=["select", "use schema"],
            securable_kind="schema",
            securable="sales",
            principal="analysts",
            environment="prod",
        ),
        "grant SELECT, USE_SCHEMA on schema sales to `analysts` in prod",
    ),
    (
        Revoke(privileges=["SELECT"], securable_kind="table", securable="sales.orders", principal="bi"),
        "revoke SELECT on table sales.orders from `bi` in every environment",
    ),
    (
        SetOwner(securable_kind="schema", securable="crm", principal="data engineers"),
        "set owner of schema crm to `data engineers`",
    ),
    (SetOwner(securable="orders", principal="x"), "set owner of orders to `x`"),
    (
        AddForeignKey(table="o", column="c", ref_table="crm.customers", ref_column="customer_id"),
        "add foreign key o.c → crm.customers.customer_id",
    ),
    (DropForeignKey(table="o", column="c"), "drop foreign key on o.c"),
    (MoveTable(table="sales.products", schema_name="crm"), "move table sales.products to schema crm"),
    (Undo(), "undo the last turn's edits"),
    (Confirm(), "confirm the held edits"),
    (Allow(code="DS103", object="sales.orders.x"), "allow DS103 on sales.orders.x"),
    (
        Allow(code="DS103", object="sales.orders.x", environment="prod"),
        "allow DS103 on sales.orders.x in prod",
    ),
    (Redo(), "redo the last undone turn"),
    (Propose(), "propose a pull request"),
    (Propose(title="Add returns"), 'propose "Add returns"'),
    (ListTables(), "list the tables"),
    (ShowTable(table="sales.orders"), "show table sales.orders"),
    (ClassifiedColumns(), "list the classified columns"),
    (
        WhoCan(access="read", securable="sales.orders", environment="prod"),
        "who can read sales.orders in prod",
    ),
    (Explain(), "explain the last change"),
    (Explain(target="crm.customers"), "explain crm.customers"),
    (Status(), "show the status"),
    (Help(), "show the commands"),
]


@pytest.mark.parametrize(("op", "text"), CASES, ids=[text for _, text in CASES])
def test_every_command_has_a_one_line_description(op: EditBase | CommandBase, text: str) -> None:
    assert describe(op) == text
    assert "\n" not in describe(op)


def test_every_registered_operation_is_described_here() -> None:
    assert {type(op) for op, _ in CASES} == {*OPERATIONS.values(), *COMMANDS.values()}


def test_a_resolved_op_is_described_with_the_models_names(retail: Project) -> None:
    resolved = resolve(RenameColumn(table="CUSTOMERS", column="EMAIL_ADDR", new_name="email"), retail)
    assert describe(resolved.op) == "rename column crm.customers.email_addr → email"
    owner = resolve(SetOwner(securable="sales", principal="p"), retail)
    assert describe(owner.op) == "set owner of schema sales to `p`"


def test_help_lists_every_command_once() -> None:
    for keyword in ["rename table", "rename column", "add column", "drop column", "change type of", "set not null on",
                    "drop not null on", "comment on", "classify", "grant", "revoke", "undo", "redo", "explain", "status", "help", "list tables",
                    "show", "what tables have PII", "who can", "tag ", "set owner of"]:  # fmt: skip
        assert f"| `{keyword}" in HELP_TEXT, keyword
    for keyword in ["add foreign key", "drop foreign key", "move table"]:
        assert f"| `{keyword}" in HELP_TEXT, keyword
    for keyword in ["confirm", "allow CODE on OBJECT"]:
        assert f"| `{keyword}" in HELP_TEXT, keyword
    assert HELP_TEXT.count("\n| `") == 28
    for row in HELP_TEXT.splitlines()[3:-2]:  # every row has exactly 3 cells: no unescaped `|`
        assert len(re.split(r"(?<!\\)\|", row)) == 5, row
