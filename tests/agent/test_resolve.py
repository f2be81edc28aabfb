"""Checking an edit's names against the model: qualification, closest names, ambiguity."""

from __future__ import annotations

import pytest

from accelerator.edit import resolve
from accelerator.edit.column_edits import SetComment
from accelerator.edit.governance_edits import Classify, SetTag
from accelerator.edit.grant_edits import Grant, SetOwner
from accelerator.edit.table_edits import AddColumn, DropColumn, RenameColumn, RenameTable
from accelerator.errors import AmbiguousObjectError, UnknownObjectError
from accelerator.model import Catalog, Project, Schema, Table


def test_names_are_matched_case_insensitively_and_qualified_with_the_models_spelling(retail: Project) -> None:
    resolved = resolve(RenameColumn(table="CUSTOMERS", column="Email_Addr", new_name="email"), retail)
    assert resolved.op == RenameColumn(table="crm.customers", column="email_addr", new_name="email")
    assert (resolved.kind, resolved.catalog, resolved.schema, resolved.table, resolved.column) == (
        "column",
        "retail",
        "crm",
        "customers",
        "email_addr",
    )


@pytest.mark.parametrize(
    "written", ["customers", "crm.customers", "retail.crm.customers", "Retail.CRM.Customers"]
)
def test_a_table_can_be_written_short_or_qualified(retail: Project, written: str) -> None:
    assert resolve(RenameTable(table=written, new_name="clients"), retail).op.table == "crm.customers"  # type: ignore[attr-defined]


def test_unknown_table_names_the_closest_match(retail: Project) -> None:
    with pytest.raises(UnknownObjectError) as caught:
        resolve(DropColumn(table="custmers", column="phone"), retail)
    assert caught.value.message == "table `custmers` not found; did you mean `crm.customers`?"
    assert caught.value.suggestions[0] == "crm.customers"
    assert caught.value.hint is not None and "crm.addresses" in caught.value.hint


def test_unknown_qualified_table_is_compared_with_qualified_names(retail: Project) -> None:
    with pytest.raises(UnknownObjectError, match=r"did you mean `sales.orders`\?"):
        resolve(DropColumn(table="sale.ordrs", column="status"), retail)


def test_unknown_table_without_a_close_name_lists_the_tables(retail: Project) -> None:
    with pytest.raises(UnknownObjectError) as caught:
        resolve(DropColumn(table="zzz", column="a"), retail)
    assert caught.value.message == "table `zzz` not found"
    assert caught.value.hint is not None and caught.value.hint.startswith("tables: crm.customers")


def test_unknown_column_names_the_closest_column(retail: Project) -> None:
    with pytest.raises(UnknownObjectError) as caught:
        resolve(Classify(table="customers", column="emial_addr", classification="pii"), retail)
    assert (
        caught.value.message == "column `emial_addr` not found in crm.customers; did you mean `email_addr`?"
    )
    assert caught.value.kind == "column"


def test_a_short_name_in_two_schemas_must_be_qualified(retail: Project) -> None:
    with pytest.raises(AmbiguousObjectError) as caught:
        resolve(AddColumn(table="events", column="x", type="int"), retail)
    assert caught.value.candidates == ["crm.events", "sales.events"]
    assert caught.value.hint == "qualify it, e.g. `crm.events`"
    assert resolve(AddColumn(table="sales.events", column="x", type="int"), retail).schema == "sales"


def test_tables_are_fully_qualified_when_the_project_has_several_catalogs(retail: Project) -> None:
    retail.catalogs.append(
        Catalog(name="finance", schemas=[Schema(name="ledger", tables=[Table(name="entries")])])
    )
    assert resolve(RenameTable(table="customers", new_name="c"), retail).op.table == "retail.crm.customers"  # type: ignore[attr-defined]
    with pytest.raises(UnknownObjectError, match=r"did you mean `finance.ledger.entries`\?"):
        resolve(RenameTable(table="entires", new_name="c"), retail)


@pytest.mark.parametrize(
    ("target", "column", "table", "resolved_column"),
    [
        ("crm.customers", None, "crm.customers", None),  # schema.table
        ("customers.phone", None, "crm.customers", "phone"),  # table.column
        ("crm.customers.phone", None, "crm.customers", "phone"),  # schema.table.column
        ("retail.crm.customers", "phone", "crm.customers", "phone"),
        ("customers", "phone", "crm.customers", "phone"),  # explicit column
    ],
)
def test_a_comment_target_is_a_table_if_one_has_that_name_else_a_column(
    retail: Project, target: str, column: str | None, table: str, resolved_column: str | None
) -> None:
    resolved = resolve(SetComment(table=target, column=column, comment="x"), retail)
    assert resolved.op == SetComment(table=table, column=resolved_column, comment="x")
    assert resolved.kind == ("column" if resolved_column else "table")


def test_a_bad_comment_target_reports_the_most_specific_problem(retail: Project) -> None:
    with pytest.raises(
        UnknownObjectError, match=r"column `phon` not found in crm.customers; did you mean `phone`"
    ):
        resolve(SetTag(table="customers.phon", key="k", value="v"), retail)
    with pytest.raises(
        UnknownObjectError, match=r"table `crm.custmers` not found; did you mean `crm.customers`"
    ):
        resolve(SetTag(table="crm.custmers", key="k", value="v"), retail)


@pytest.mark.parametrize(
    ("kind", "written", "securable"),
    [
        ("catalog", "RETAIL", "retail"),
        ("schema", "Sales", "sales"),
        ("schema", "retail.sales", "sales"),
        ("table", "orders", "sales.orders"),
    ],
)
def test_securables_resolve_by_kind(retail: Project, kind: str, written: str, securable: str) -> None:
    op = Grant(privileges=["SELECT"], securable_kind=kind, securable=written, principal="p")
    assert resolve(op, retail).op.securable == securable  # type: ignore[attr-defined]


def test_a_physical_catalog_name_is_explained(retail: Project) -> None:
    op = Grant(privileges=["USE_CATALOG"], securable_kind="catalog", securable="prod_retail", principal="p")
    with pytest.raises(UnknownObjectError) as caught:
        resolve(op, retail)
    assert caught.value.message == "catalog `prod_retail` not found; did you mean `retail`?"
    assert caught.value.hint is not None and "add `in prod`" in caught.value.hint


def test_a_schema_named_as_a_table_gets_a_hint(retail: Project) -> None:
    op = Grant(privileges=["SELECT"], securable_kind="table", securable="sales", principal="p")
    with pytest.raises(UnknownObjectError) as caught:
        resolve(op, retail)
    assert caught.value.hint == "`sales` is a schema, not a table"


def test_an_unknown_environment_names_the_closest(retail: Project) -> None:
    op = Grant(
        privileges=["SELECT"], securable_kind="schema", securable="sales", principal="p", environment="prd"
    )
    with pytest.raises(UnknownObjectError, match=r"environment `prd` not found; did you mean `prod`\?"):
        resolve(op, retail)


def test_set_owner_infers_the_kind_of_securable(retail: Project) -> None:
    assert resolve(SetOwner(securable="crm", principal="p"), retail).op.securable_kind == "schema"  # type: ignore[attr-defined]
    assert resolve(SetOwner(securable="retail", principal="p"), retail).kind == "catalog"
    assert resolve(SetOwner(securable="orders", principal="p"), retail).op.securable == "sales.orders"  # type: ignore[attr-defined]
    with pytest.raises(UnknownObjectError, match=r"did you mean `sales\.orders`"):
        resolve(SetOwner(securable="ordrs", principal="p"), retail)


def test_set_owner_asks_which_when_a_name_is_two_kinds_of_securable(retail: Project) -> None:
    project = retail
    project.catalogs[0].schemas[1].tables.append(Table(name="crm"))
    with pytest.raises(AmbiguousObjectError, match="`crm` is both a schema and a table") as caught:
        resolve(SetOwner(securable="crm", principal="p"), project)
    assert caught.value.candidates == ["schema crm", "table crm"]
