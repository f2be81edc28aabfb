"""The re-parse of a patched ERD file is checked against the intended model on every table of the file,
not only the tables the edit changes: a patch that also changes another table is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from accelerator.edit import EditBase
from accelerator.edit import patch as patching
from accelerator.edit.patch import PatchVerificationError, TextEdit, patch_sources
from accelerator.edit.table_edits import AddColumn, RenameColumn
from accelerator.erd import parse_erd
from accelerator.generate import ErdInput, PolicyInput, govern_inputs
from accelerator.model import Project
from accelerator.model.build import build_project

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "retail"
FILE = "erd/retail.dbml"
POLICY = "policies/governance.yaml"
TEXT = (EXAMPLES / FILE).read_text()

EDITS = [
    RenameColumn(table="crm.customers", column="email", new_name="email_address"),
    AddColumn(table="crm.customers", column="nickname", type="STRING"),  # every table below moves a line
]
# (what a wrong patch finds, what it writes instead): each changes sales.products, which neither the
# edits nor any reference to crm.customers touch.
WRONG = {
    "a type in the unrelated table's block": ("unit_price decimal(10,2)", "unit_price decimal(12,2)"),
    "an identity in the unrelated table's block": (
        "  product_id bigint [pk]",
        "  product_id bigint [pk, increment]",
    ),
    # `<` puts the foreign key on the other side: the unrelated table changes, its block does not
    "a reference written in the edited table's block": (
        "  phone varchar(32) [",
        "  phone varchar(32) [ref: < sales.products.sku, ",
    ),
}


def models() -> dict[str, tuple[Project, Project | None]]:
    """The project the edit resolves against, and the model before the policy (None: not given)."""
    parsed = parse_erd(TEXT, FILE, format="dbml")
    governed = govern_inputs(
        "retail",
        [ErdInput(FILE, TEXT, "retail", "dbml")],
        PolicyInput(POLICY, (EXAMPLES / POLICY).read_text()),
    )
    assert governed.model is not None
    return {
        "canonical comparison": (build_project("retail", [("retail", parsed)]), None),
        "plain comparison": (governed.project, governed.model),
    }


@pytest.mark.parametrize("comparison", ["canonical comparison", "plain comparison"])
@pytest.mark.parametrize("op", EDITS, ids=lambda op: op.op)
def test_the_edit_alone_verifies(op: EditBase, comparison: str) -> None:
    project, erd_model = models()[comparison]
    patched = patch_sources(op, project, {FILE: TEXT}, erd_model=erd_model)
    assert patched[FILE] != TEXT


def plan_also(monkeypatch: pytest.MonkeyPatch, file: str, text: str, find: str, replace: str) -> None:
    """Every patch planned from now on also replaces `find` (once) in `file` by `replace`."""
    start = text.index(find)
    extra = TextEdit(file, start, start + len(find), replace)
    planned = patching.plan_patch

    def plan_with_extra(*args: Any, **kwargs: Any) -> list[TextEdit]:
        return [*planned(*args, **kwargs), extra]

    monkeypatch.setattr(patching, "plan_patch", plan_with_extra)


@pytest.mark.parametrize("comparison", ["canonical comparison", "plain comparison"])
@pytest.mark.parametrize("wrong", list(WRONG), ids=list(WRONG))
@pytest.mark.parametrize("op", EDITS, ids=lambda op: op.op)
def test_a_patch_that_also_changes_an_unrelated_table_is_caught(
    op: EditBase, wrong: str, comparison: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_also(monkeypatch, FILE, TEXT, *WRONG[wrong])
    project, erd_model = models()[comparison]
    with pytest.raises(PatchVerificationError, match="does not re-parse to the intended model") as error:
        patch_sources(op, project, {FILE: TEXT}, erd_model=erd_model)
    assert "the dbml file was left unchanged" in (error.value.hint or "")


def test_a_sql_patch_that_also_comments_an_unrelated_table_elsewhere_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A statement outside a table's CREATE TABLE changes it too: the check is the same for every format."""
    file = "erd/retail.sql"
    text = (EXAMPLES / file).read_text()
    project = build_project("retail", [("retail", parse_erd(text, file, format="sql"))])
    op = RenameColumn(table="crm.customers", column="email", new_name="email_address")
    assert patch_sources(op, project, {file: text}, formats={file: "sql"})[file] != text
    plan_also(monkeypatch, file, text, "'Stock keeping unit'", "'Stock keeping units'")
    with pytest.raises(PatchVerificationError, match="does not re-parse to the intended model"):
        patch_sources(op, project, {file: text}, formats={file: "sql"})
