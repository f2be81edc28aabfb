"""`weakened(..., same_content=...)` compares only the tables whose content changed, and finds
exactly what comparing every table finds."""

from __future__ import annotations

import pytest

from accelerator.edit.operation import EditBase
from accelerator.edit.table_edits import DropColumn, RenameColumn, RenameTable
from accelerator.model.elements import Table
from accelerator.policy.weakening import weakened
from accelerator.render.cache import render_pass, same_content
from tests.policy.test_policy_weakening import after_edit, governed, sources

EDITS: list[EditBase] = [
    RenameColumn(table="crm.customers", column="full_name", new_name="customer_name"),
    RenameColumn(table="crm.customers", column="phone", new_name="contact_number"),
    DropColumn(table="crm.customers", column="email"),
    RenameTable(table="crm.customers", new_name="clients"),
]


@pytest.mark.parametrize("op", EDITS, ids=lambda op: op.describe())
def test_skipping_equal_tables_finds_the_same_weakening(op: EditBase) -> None:
    texts = sources()
    before, after = governed(texts), after_edit(texts, op)
    compared: list[str] = []

    def recording(first: Table, second: Table) -> bool:
        equal = same_content(first, second)
        if not equal:
            compared.append(second.name)
        return equal

    with render_pass():
        skipping = weakened(before.project, after.project, after.policy, same_content=recording)
    assert skipping == weakened(before.project, after.project, after.policy)
    # a renamed table changes the foreign keys that reference it too
    expected = {"clients", "addresses", "orders"} if isinstance(op, RenameTable) else {"customers"}
    assert sorted(compared) == sorted(expected)
