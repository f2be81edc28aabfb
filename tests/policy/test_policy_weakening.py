"""`weakened(before, after, policy)`: a change that takes protection away is a finding, never silent."""

from __future__ import annotations

from pathlib import Path

from accelerator.edit.operation import EditBase
from accelerator.edit.patch import patch_sources
from accelerator.edit.table_edits import DropColumn, RenameColumn, RenameTable
from accelerator.generate import ErdInput, Governed, PolicyInput, govern_inputs
from accelerator.model.copying import copy_project, deep_copied
from accelerator.model.elements import Grant, Project
from accelerator.policy.weakening import weakened

ROOT = Path(__file__).resolve().parents[2] / "examples" / "retail"
ERD, POLICY = "erd/retail.dbml", "policies/governance.yaml"


def sources(policy_extra: str = "") -> dict[str, str]:
    return {ERD: (ROOT / ERD).read_text(), POLICY: (ROOT / POLICY).read_text() + policy_extra}


def governed(texts: dict[str, str]) -> Governed:
    return govern_inputs("retail", [ErdInput(ERD, texts[ERD], "retail")], PolicyInput(POLICY, texts[POLICY]))


def after_edit(texts: dict[str, str], op: EditBase) -> Governed:
    before = governed(texts)
    return governed({**texts, **patch_sources(op, before.project, texts, policy_file=POLICY)})


def test_renaming_a_classified_column_names_the_lost_class_tag_and_mask() -> None:
    texts = sources()
    before = governed(texts)
    after = after_edit(
        texts, RenameColumn(table="crm.customers", column="full_name", new_name="customer_name")
    )
    (finding,) = weakened(before.project, after.project, after.policy)
    assert finding.rule == "governance.weakened" and finding.severity == "warn"
    assert finding.object == "retail.crm.customers.full_name"
    assert "renamed to customer_name" in finding.message
    assert "is no longer classified (was pii.name)" in finding.message
    assert "loses the tag pii=name" in finding.message and "loses its mask (redact)" in finding.message
    assert finding.span is not None and finding.span.file == ERD


def test_confirm_weakening_makes_it_an_error_where_the_policy_says() -> None:
    texts = sources("\n")
    texts[POLICY] = texts[POLICY].replace(
        "    column: {case: snake_case, max_length: 64, forbid_reserved_words: true}\n",
        "    column: {case: snake_case, max_length: 64, forbid_reserved_words: true}\n"
        "  governance:\n    confirm_weakening: [prod]\n",
    )
    before = governed(texts)
    after = after_edit(texts, RenameColumn(table="crm.customers", column="phone", new_name="contact_number"))
    (finding,) = weakened(before.project, after.project, after.policy)
    assert finding.severity == "error"
    assert "confirmation of such a change in prod" in finding.message


def test_severity_off_reports_nothing_and_harmless_edits_report_nothing() -> None:
    texts = sources()
    before = governed(texts)
    renamed = after_edit(texts, RenameColumn(table="sales.orders", column="status", new_name="state"))
    assert weakened(before.project, renamed.project, renamed.policy) == []
    dropped = after_edit(texts, DropColumn(table="crm.customers", column="phone"))
    assert weakened(before.project, dropped.project, dropped.policy) == []  # the data goes with it
    table = after_edit(texts, RenameTable(table="crm.addresses", new_name="postal_addresses"))
    assert weakened(before.project, table.project, table.policy) == []  # its columns keep their names
    quiet = sources()
    quiet[POLICY] = quiet[POLICY].replace("  classification.comment: warn\n", "  governance.weakened: off\n")
    off_before = governed(quiet)
    off_after = after_edit(quiet, RenameColumn(table="crm.customers", column="full_name", new_name="x_name"))
    assert weakened(off_before.project, off_after.project, off_after.policy) == []


def _with_grant(project: Project, principal: str, privileges: list[str], environments: list[str]) -> Project:
    changed = copy_project(project)
    schema = changed.catalogs[0].schema("sales")
    assert schema is not None
    schema.tables = [deep_copied(t) for t in schema.tables]
    orders = schema.table("orders")
    assert orders is not None
    orders.grants = [
        *orders.grants,
        Grant(principal=principal, privileges=privileges, environments=environments),
    ]
    return changed


def test_a_grant_to_a_broad_principal_is_named_with_its_environments() -> None:
    before = governed(sources())
    widened = _with_grant(before.project, "account users", ["SELECT"], ["dev", "prod"])
    (finding,) = weakened(before.project, widened, before.policy)
    assert finding.object == "retail.sales.orders" and finding.severity == "warn"
    assert finding.message == (
        "SELECT on retail.sales.orders is now granted to a broad principal (everybody: account users) in dev, prod"
    )
    narrow = _with_grant(before.project, "auditors", ["SELECT"], [])
    assert weakened(before.project, narrow, before.policy) == []  # not everybody
    assert weakened(widened, widened, before.policy) == []  # held before: nothing new


def test_broad_principals_of_the_policy_count_and_confirmation_is_per_environment() -> None:
    texts = sources()
    texts[POLICY] = texts[POLICY].replace(
        "  types:\n",
        "  grants:\n    broad_principals: [all_staff]\n  governance:\n    confirm_weakening: [prod]\n  types:\n",
        1,
    )
    before = governed(texts)
    in_dev = _with_grant(before.project, "all_staff", ["MODIFY"], ["dev"])
    (dev,) = weakened(before.project, in_dev, before.policy)
    assert dev.severity == "warn" and "in dev" in dev.message
    in_prod = _with_grant(before.project, "All_Staff", ["MODIFY"], ["prod"])
    (prod,) = weakened(before.project, in_prod, before.policy)
    assert prod.severity == "error" and "confirmation of such a change in prod" in prod.message


def test_a_mask_that_shows_more_is_a_weakening() -> None:
    texts = sources()
    before = governed(texts)
    weaker = texts[POLICY].replace(
        "mask: {strategy: redact, exempt_groups: [pii_readers]}\n  - name: pii.phone",
        "mask: {strategy: partial, exempt_groups: [pii_readers, everyone_in_sales]}\n  - name: pii.phone",
    )
    after = governed({**texts, POLICY: weaker})
    (finding,) = weakened(before.project, after.project, after.policy)
    assert finding.object == "retail.crm.customers.email"
    assert "its mask now shows clear values to everyone_in_sales" in finding.message
    assert "its mask weakens from redact to partial" in finding.message
