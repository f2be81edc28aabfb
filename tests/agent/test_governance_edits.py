"""Governance edits never weaken protection silently: `classify` targets one column and known
classes, a rename keeps the column's class in the policy, and a project on the built-in policy
gets a policy file to write to."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelerator.edit.governance_edits import (
    CONVENTIONAL_POLICY_FILE,
    Classify,
    policy_follow_up,
    starting_policy,
)
from accelerator.edit.operation import EditBase, resolve
from accelerator.edit.patch import patch_sources
from accelerator.edit.table_edits import AddColumn, DropColumn, RenameColumn, RenameTable
from accelerator.errors import UnknownObjectError, UnsupportedEditError
from accelerator.generate import ErdInput, Governed, PolicyInput, govern_inputs
from accelerator.model.elements import Column
from accelerator.policy import parse_policy
from accelerator.policy.weakening import weakened

ROOT = Path(__file__).resolve().parents[2] / "examples" / "retail"
ERD, POLICY = "erd/retail.dbml", "policies/governance.yaml"


def retail(with_policy: bool = True) -> dict[str, str]:
    texts = {ERD: (ROOT / ERD).read_text()}
    if with_policy:
        texts[POLICY] = (ROOT / POLICY).read_text()
    return texts


def governed(texts: dict[str, str], policy_file: str | None = POLICY) -> Governed:
    policy = PolicyInput(policy_file, texts[policy_file]) if policy_file in texts else PolicyInput()
    return govern_inputs("retail", [ErdInput(ERD, texts[ERD], "retail")], policy)


def column(result: Governed, schema: str, table: str, name: str) -> Column:
    found = next(
        t for _, s, t in result.project.iter_tables() if s.name == schema and t.name == table
    ).column(name)
    assert found is not None
    return found


def turn(
    texts: dict[str, str], op: EditBase, policy_file: str | None = POLICY
) -> tuple[dict[str, str], list[str]]:
    """What the agent's apply does for one op: patch it, then the policy's follow-up."""
    before = governed(texts, policy_file)
    patched = {
        **texts,
        **patch_sources(op, before.project, texts, policy_file=policy_file, erd_model=before.model),
    }
    follow = policy_follow_up(before.project, resolve(op, before.project).op, policy_file, patched)
    if follow is None:
        return patched, []
    return {**patched, follow.file: follow.text}, follow.notes


def test_renaming_a_name_classified_column_keeps_its_class_tag_and_mask() -> None:
    texts = retail()
    before = governed(texts)
    after_texts, notes = turn(
        texts, RenameColumn(table="crm.customers", column="full_name", new_name="customer_name")
    )
    assert notes == [
        f"keep crm.customers.customer_name classified as pii.name ({POLICY}: classified_columns)"
    ]
    assert after_texts[POLICY].endswith("classified_columns:\n  crm.customers.customer_name: pii.name\n")
    after = governed(after_texts)
    renamed = column(after, "crm", "customers", "customer_name")
    assert renamed.classification == "pii.name" and renamed.tags["pii"] == "name"
    assert renamed.mask is not None and renamed.mask.strategy == "redact"
    assert weakened(before.project, after.project, after.policy) == []
    assert not [f for f in after.findings if f.severity == "error"]


def test_an_explicit_entry_follows_renames_of_its_column_and_table_and_goes_with_a_drop() -> None:
    texts, _ = turn(retail(), Classify(table="sales.orders", column="status", classification="pii.name"))
    texts, notes = turn(texts, RenameColumn(table="sales.orders", column="status", new_name="order_status"))
    assert notes == [
        f"keep the classification of sales.orders.status on sales.orders.order_status ({POLICY})"
    ]
    assert (
        "  sales.orders.order_status: pii.name\n" in texts[POLICY] and "orders.status:" not in texts[POLICY]
    )
    texts, _ = turn(texts, RenameTable(table="sales.orders", new_name="purchases"))
    assert "  sales.purchases.order_status: pii.name\n" in texts[POLICY]
    assert column(governed(texts), "sales", "purchases", "order_status").classification == "pii.name"
    texts, notes = turn(texts, DropColumn(table="sales.purchases", column="order_status"))
    assert "sales.purchases.order_status" not in texts[POLICY]
    assert not [f for f in governed(texts).findings if f.rule == "classification.column"]


def test_edits_that_touch_no_classification_leave_the_policy_alone() -> None:
    texts = retail()
    for op in (
        RenameColumn(table="sales.orders", column="status", new_name="state"),
        AddColumn(table="sales.orders", column="channel", type="STRING"),
        DropColumn(table="sales.orders", column="status"),
    ):
        patched, notes = turn(texts, op)
        assert patched[POLICY] == texts[POLICY] and notes == []


def test_classify_masks_only_that_tables_column() -> None:
    texts, _ = turn(retail(), Classify(table="sales.orders", column="created_at", classification="pii.email"))
    assert texts[POLICY].endswith("classified_columns:\n  sales.orders.created_at: pii.email\n")
    result = governed(texts)
    assert column(result, "sales", "orders", "created_at").mask is not None
    assert column(result, "crm", "customers", "created_at").mask is None
    assert column(result, "crm", "customers", "created_at").classification is None


def test_classifying_again_rewrites_the_entry() -> None:
    texts, _ = turn(retail(), Classify(table="sales.orders", column="created_at", classification="pii.email"))
    texts, _ = turn(texts, Classify(table="sales.orders", column="created_at", classification="pii.name"))
    assert texts[POLICY].count("sales.orders.created_at") == 1
    assert "  sales.orders.created_at: pii.name\n" in texts[POLICY]


def test_an_unknown_class_is_refused_with_the_known_ones() -> None:
    texts = retail()
    project = governed(texts).project
    with pytest.raises(UnknownObjectError) as caught:
        patch_sources(
            Classify(table="sales.orders", column="status", classification="secret_stuff"),
            project,
            texts,
            policy_file=POLICY,
        )
    assert "defines no classification 'secret_stuff'" in caught.value.message
    assert "pii.email, pii.phone, pii.name" in caught.value.message
    with pytest.raises(UnknownObjectError) as close:
        patch_sources(
            Classify(table="sales.orders", column="status", classification="pii.emial"),
            project,
            texts,
            policy_file=POLICY,
        )
    assert close.value.suggestions == ["pii.email"]
    assert close.value.hint is not None and close.value.hint.startswith("did you mean pii.email?")


def test_a_class_the_policy_defines_is_accepted() -> None:
    texts = retail()
    texts[POLICY] = texts[POLICY].replace(
        "environments:\n",
        "  - name: secret_stuff\n    match: {names: [secret]}\n    mask: {strategy: hash}\n\nenvironments:\n",
        1,
    )
    texts, _ = turn(texts, Classify(table="sales.orders", column="status", classification="secret_stuff"))
    status = column(governed(texts), "sales", "orders", "status")
    assert status.classification == "secret_stuff" and status.mask is not None


def test_an_unqualified_table_is_refused_with_the_form_to_write() -> None:
    texts = retail()
    with pytest.raises(UnsupportedEditError, match="not qualified"):
        patch_sources(
            Classify(table="orders", column="status", classification="pii.name"),
            governed(texts).project,
            texts,
            policy_file=POLICY,
        )


def test_the_starting_policy_is_the_built_in_one_at_the_conventional_path() -> None:
    file, text = starting_policy()
    assert file == CONVENTIONAL_POLICY_FILE == "policies/governance.yaml"
    assert (
        parse_policy(text, file).spec
        == parse_policy(
            (Path(__file__).resolve().parents[2] / "accelerator/policy/default.yaml").read_text(), "d"
        ).spec
    )
    texts = retail(with_policy=False)
    before = governed(texts, None)
    texts[file] = text  # what the agent adds before the first policy edit of such a project
    texts, _ = turn(texts, Classify(table="sales.orders", column="status", classification="pii.name"), file)
    after = governed(texts, file)
    assert column(after, "sales", "orders", "status").mask is not None
    assert weakened(before.project, after.project, after.policy) == []


def test_a_rename_in_a_project_on_the_built_in_policy_creates_the_policy_file() -> None:
    texts = retail(with_policy=False)
    before = governed(texts, None)
    op = RenameColumn(table="crm.customers", column="full_name", new_name="customer_name")
    patched = {**texts, **patch_sources(op, before.project, texts, erd_model=before.model)}
    follow = policy_follow_up(before.project, resolve(op, before.project).op, None, patched)
    assert follow is not None and follow.created and follow.file == CONVENTIONAL_POLICY_FILE
    assert follow.notes[0] == f"created {CONVENTIONAL_POLICY_FILE} from the built-in policy"
    after = governed({**patched, follow.file: follow.text}, follow.file)
    assert column(after, "crm", "customers", "customer_name").mask is not None
    assert weakened(before.project, after.project, after.policy) == []
    unclassified = RenameColumn(table="sales.orders", column="status", new_name="state")
    assert policy_follow_up(before.project, unclassified, None, patched) is None


def test_an_entry_written_with_its_catalog_follows_a_rename_in_that_form() -> None:
    texts = retail()
    texts[POLICY] += "\nclassified_columns:\n  retail.sales.orders.status: pii.name\n"
    texts, notes = turn(texts, RenameColumn(table="sales.orders", column="status", new_name="order_status"))
    assert "  retail.sales.orders.order_status: pii.name\n" in texts[POLICY]
    assert "orders.status" not in texts[POLICY] and len(notes) == 1
    texts, _ = turn(texts, DropColumn(table="sales.orders", column="order_status"))
    assert "order_status" not in texts[POLICY]
