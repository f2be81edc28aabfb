"""apply_edit: every op's meaning on the model; the input is never mutated; the result stays valid."""

from __future__ import annotations

import pytest

from accelerator.edit import EditBase, apply_edit, parse_commands
from accelerator.edit.column_edits import ChangeType, SetComment, SetNotNull
from accelerator.edit.governance_edits import Classify, SetTag
from accelerator.edit.grant_edits import Grant, Revoke, SetOwner
from accelerator.edit.table_edits import AddColumn, DropColumn, RenameColumn, RenameTable
from accelerator.errors import EditConflictError, UnknownObjectError
from accelerator.model import Column, Project, Table, canonical_json
from accelerator.model import Grant as GrantEntry
from accelerator.model.build import validate_project


def _table(project: Project, schema: str, table: str) -> Table:
    found = project.catalogs[0].schema(schema)
    assert found is not None
    result = found.table(table)
    assert result is not None
    return result


def _column(project: Project, schema: str, table: str, column: str) -> Column:
    result = _table(project, schema, table).column(column)
    assert result is not None
    return result


def _apply(project: Project, op: EditBase) -> Project:
    """Apply, and check what every edit must guarantee: input untouched, result valid and changed."""
    before = canonical_json(project)
    updated = apply_edit(project, op)
    assert canonical_json(project) == before
    assert updated is not project
    validate_project(updated)
    assert canonical_json(updated) != before
    return updated


def test_rename_table_updates_foreign_keys_that_reference_it(retail: Project) -> None:
    updated = _apply(retail, RenameTable(table="customers", new_name="clients"))
    assert [t.name for t in updated.catalogs[0].schemas[0].tables] == ["clients", "addresses", "events"]
    assert _table(updated, "crm", "addresses").foreign_keys[0].ref_table == "clients"
    assert _table(updated, "sales", "orders").foreign_keys[0].ref_table == "clients"
    assert _table(retail, "sales", "orders").foreign_keys[0].ref_table == "customers"


def test_rename_column_updates_keys_and_references(retail: Project) -> None:
    updated = _apply(retail, RenameColumn(table="customers", column="customer_id", new_name="id"))
    customers = _table(updated, "crm", "customers")
    assert customers.columns[0].name == "id"
    assert customers.primary_key is not None and customers.primary_key.columns == ["id"]
    assert _table(updated, "crm", "addresses").foreign_keys[0].ref_columns == ["id"]
    assert _table(updated, "crm", "addresses").foreign_keys[0].columns == ["customer_id"]  # its own column
    renamed = _apply(retail, RenameColumn(table="orders", column="created_at", new_name="placed_at"))
    assert _table(renamed, "sales", "orders").cluster_by == ["placed_at"]
    unique = _apply(retail, RenameColumn(table="customers", column="email_addr", new_name="email"))
    assert _table(unique, "crm", "customers").unique_keys[0].columns == ["email"]


def test_add_column_appends_it(retail: Project) -> None:
    op = AddColumn(
        table="orders", column="channel", type="varchar(20)", not_null=True, default="'web'", comment="c"
    )
    column = _table(_apply(retail, op), "sales", "orders").columns[-1]
    assert (column.name, column.type, column.nullable, column.default, column.comment) == (
        "channel",
        "STRING",
        False,
        "'web'",
        "c",
    )


def test_drop_column_removes_it_with_its_own_single_column_keys(retail: Project) -> None:
    updated = _apply(retail, DropColumn(table="orders", column="ip_address"))
    assert _table(updated, "sales", "orders").column("ip_address") is None
    without_fk = _apply(retail, DropColumn(table="addresses", column="customer_id"))
    assert _table(without_fk, "crm", "addresses").foreign_keys == []
    without_unique = _apply(retail, DropColumn(table="customers", column="email_addr"))
    assert _table(without_unique, "crm", "customers").unique_keys == []


@pytest.mark.parametrize(
    ("table", "column", "reason"),
    [
        ("customers", "customer_id", "the primary key, a foreign key of addresses, a foreign key of orders"),
        ("orders", "created_at", "the clustering keys"),
        ("crm.events", "event_id", "the table (its only column)"),
    ],
)
def test_drop_column_refuses_when_something_uses_it(
    retail: Project, table: str, column: str, reason: str
) -> None:
    with pytest.raises(
        EditConflictError, match="it is used by " + reason.replace("(", r"\(").replace(")", r"\)")
    ):
        apply_edit(retail, DropColumn(table=table, column=column))


def test_change_type_replaces_the_type_and_drops_enum_values(retail: Project) -> None:
    updated = _apply(
        retail, ChangeType(table="orders", column="status", type="varchar(40)")
    )  # enum -> STRING
    status = _column(updated, "sales", "orders", "status")
    assert status.type == "STRING" and status.allowed_values is None
    assert _column(retail, "sales", "orders", "status").allowed_values == ["placed", "shipped"]
    with pytest.raises(EditConflictError, match="nothing to change"):
        apply_edit(updated, ChangeType(table="orders", column="status", type="string"))
    amount = _apply(retail, ChangeType(table="orders", column="total_amount", type="decimal(14,2)"))
    assert _column(amount, "sales", "orders", "total_amount").type == "DECIMAL(14,2)"


def test_change_type_keeps_identity_columns_bigint(retail: Project) -> None:
    with pytest.raises(EditConflictError, match="identity column, which must be BIGINT"):
        apply_edit(retail, ChangeType(table="customers", column="customer_id", type="int"))


def test_set_and_drop_not_null(retail: Project) -> None:
    updated = _apply(retail, SetNotNull(table="orders", column="status", not_null=True))
    assert _column(updated, "sales", "orders", "status").nullable is False
    dropped = _apply(updated, SetNotNull(table="orders", column="status", not_null=False))
    assert _column(dropped, "sales", "orders", "status").nullable is True
    with pytest.raises(EditConflictError, match="primary key columns are always NOT NULL"):
        apply_edit(retail, SetNotNull(table="orders", column="order_id", not_null=False))


def test_set_comment_on_a_table_a_column_and_removing_it(retail: Project) -> None:
    updated = _apply(retail, SetComment(table="crm.customers", comment="Buyers"))
    assert _table(updated, "crm", "customers").comment == "Buyers"
    on_column = _apply(retail, SetComment(table="customers.phone", comment="Mobile"))
    assert _column(on_column, "crm", "customers", "phone").comment == "Mobile"
    removed = _apply(retail, SetComment(table="customers", column="email_addr", comment=""))
    assert _column(removed, "crm", "customers", "email_addr").comment is None


def test_set_tag_on_a_table_and_a_column(retail: Project) -> None:
    assert _table(
        _apply(retail, SetTag(table="orders", key="domain", value="sales")), "sales", "orders"
    ).tags == {"domain": "sales"}
    updated = _apply(retail, SetTag(table="customers", column="full_name", key="sensitivity", value="high"))
    assert _column(updated, "crm", "customers", "full_name").tags == {"sensitivity": "high"}


def test_classify_a_column(retail: Project) -> None:
    updated = _apply(retail, Classify(table="customers", column="phone", classification="pii.phone"))
    assert _column(updated, "crm", "customers", "phone").classification == "pii.phone"


def test_set_owner_of_each_kind(retail: Project) -> None:
    assert _apply(retail, SetOwner(securable="retail", principal="admins")).catalogs[0].owner == "admins"
    schema = (
        _apply(retail, SetOwner(securable_kind="schema", securable="sales", principal="s"))
        .catalogs[0]
        .schemas[1]
    )
    assert schema.owner == "s"
    assert _table(_apply(retail, SetOwner(securable="orders", principal="o")), "sales", "orders").owner == "o"


@pytest.mark.parametrize(
    ("op", "message"),
    [
        (RenameTable(table="orders", new_name="orders"), "sales.orders is already named `orders`"),
        (RenameColumn(table="orders", column="status", new_name="status"), "already named"),
        (
            ChangeType(table="orders", column="total_amount", type="decimal(12,2)"),
            r"is already DECIMAL\(12,2\)",
        ),
        (SetNotNull(table="orders", column="order_id", not_null=True), "is already NOT NULL"),
        (SetNotNull(table="orders", column="status", not_null=False), "is already nullable"),
        (SetComment(table="customers", comment="People who buy from us"), "already has that comment"),
        (SetComment(table="orders", comment=""), "has no comment"),
        (SetTag(table="customers.full_name", key="sensitivity", value="low"), "already has the tag"),
        (SetOwner(securable="orders", principal="sales-team"), "already owned by `sales-team`"),
    ],
)
def test_an_edit_that_changes_nothing_is_an_error(retail: Project, op: EditBase, message: str) -> None:
    with pytest.raises(EditConflictError, match=message) as caught:
        apply_edit(retail, op)
    assert caught.value.message.startswith("nothing to change")


@pytest.mark.parametrize(
    ("op", "message"),
    [
        (RenameTable(table="crm.customers", new_name="ADDRESSES"), "crm.addresses exists"),
        (
            RenameColumn(table="orders", column="status", new_name="Order_Id"),
            "already has a column `order_id`",
        ),
        (AddColumn(table="orders", column="STATUS", type="string"), "already has a column `status`"),
    ],
)
def test_names_that_are_taken_are_refused(retail: Project, op: EditBase, message: str) -> None:
    with pytest.raises(EditConflictError, match=message):
        apply_edit(retail, op)


def test_a_case_only_rename_is_allowed(retail: Project) -> None:
    updated = _apply(retail, RenameTable(table="customers", new_name="Customers"))
    assert _table(updated, "crm", "customers").name == "Customers"


def test_unknown_objects_are_reported_by_apply_edit_too(retail: Project) -> None:
    with pytest.raises(UnknownObjectError, match=r"did you mean `crm\.customers`"):
        apply_edit(retail, DropColumn(table="custmers", column="phone"))


# -- grants -----------------------------------------------------------------------------------------


def _grants(project: Project, schema: str = "sales") -> list[tuple[str, list[str], list[str]]]:
    found = project.catalogs[0].schema(schema)
    assert found is not None
    return [(g.principal, g.privileges, g.environments) for g in found.grants]


def _grant(privileges: list[str], principal: str, environment: str | None = None) -> Grant:
    return Grant(
        privileges=privileges,
        securable_kind="schema",
        securable="sales",
        principal=principal,
        environment=environment,
    )


def _revoke(privileges: list[str], principal: str, environment: str | None = None) -> Revoke:
    return Revoke(
        privileges=privileges,
        securable_kind="schema",
        securable="sales",
        principal=principal,
        environment=environment,
    )


def test_grant_to_a_new_principal_adds_an_entry(retail: Project) -> None:
    updated = _apply(retail, _grant(["SELECT"], "marketing", "prod"))
    assert _grants(updated)[-1] == ("marketing", ["SELECT"], ["prod"])


def test_grant_merges_into_the_entry_with_the_same_environments(retail: Project) -> None:
    updated = _apply(retail, _grant(["MODIFY", "SELECT"], "analysts"))
    assert _grants(updated)[0] == ("analysts", ["USE_SCHEMA", "SELECT", "MODIFY"], [])


def test_grant_in_one_environment_adds_only_what_is_not_held_everywhere(retail: Project) -> None:
    updated = _apply(retail, _grant(["SELECT", "MODIFY"], "analysts", "prod"))
    assert _grants(updated)[-1] == ("analysts", ["MODIFY"], ["prod"])


def test_granting_what_is_held_is_an_error(retail: Project) -> None:
    with pytest.raises(EditConflictError, match="`analysts` already has SELECT on schema sales in prod"):
        apply_edit(retail, _grant(["SELECT"], "analysts", "prod"))
    with pytest.raises(EditConflictError, match="already has MODIFY on schema sales in dev"):
        apply_edit(retail, _grant(["MODIFY"], "data engineers", "dev"))


def test_grant_on_a_table_and_a_catalog(retail: Project) -> None:
    op = Grant(
        privileges=["SELECT"], securable_kind="table", securable="orders", principal="bi", environment="dev"
    )
    assert _table(_apply(retail, op), "sales", "orders").grants[-1] == GrantEntry(
        principal="bi", privileges=["SELECT"], environments=["dev"]
    )
    op_catalog = Grant(
        privileges=["USE_CATALOG"], securable_kind="catalog", securable="retail", principal="bi"
    )
    assert _apply(retail, op_catalog).catalogs[0].grants == [
        GrantEntry(principal="bi", privileges=["USE_CATALOG"])
    ]


def test_revoke_removes_privileges_and_empty_entries(retail: Project) -> None:
    updated = _apply(retail, _revoke(["SELECT"], "analysts"))
    assert _grants(updated)[0] == ("analysts", ["USE_SCHEMA"], [])
    emptied = _apply(updated, _revoke(["USE_SCHEMA"], "analysts"))
    assert [principal for principal, _, _ in _grants(emptied)] == ["data engineers"]


def test_revoke_in_one_environment_keeps_the_privileges_elsewhere(retail: Project) -> None:
    updated = _apply(retail, _revoke(["SELECT"], "analysts", "prod"))
    assert _grants(updated) == [
        ("analysts", ["USE_SCHEMA"], []),
        ("analysts", ["SELECT"], ["dev", "staging"]),  # next to the entry it was split from
        ("data engineers", ["MODIFY"], ["dev", "prod"]),
    ]
    narrowed = _apply(retail, _revoke(["MODIFY"], "data engineers", "prod"))
    assert _grants(narrowed)[1:] == [("data engineers", ["MODIFY"], ["dev"])]


def test_revoke_without_environment_revokes_everywhere(retail: Project) -> None:
    updated = _apply(retail, _revoke(["MODIFY"], "data engineers"))
    assert [principal for principal, _, _ in _grants(updated)] == ["analysts"]


def test_revoking_what_is_not_granted_is_a_clear_error(retail: Project) -> None:
    with pytest.raises(EditConflictError) as caught:
        apply_edit(retail, _revoke(["MODIFY"], "analysts"))
    assert caught.value.message == "`analysts` has no MODIFY on schema sales to revoke"
    assert caught.value.hint == "its grants on schema sales: USE_SCHEMA, SELECT (every environment)"
    with pytest.raises(EditConflictError, match="has no MODIFY on schema sales in staging") as in_env:
        apply_edit(retail, _revoke(["MODIFY"], "data engineers", "staging"))
    assert in_env.value.hint == "its grants on schema sales: MODIFY (dev, prod)"
    with pytest.raises(EditConflictError) as nobody:
        apply_edit(retail, _revoke(["SELECT"], "nobody"))
    assert nobody.value.hint == "it has no grants on schema sales"


def test_a_parsed_turn_applies_in_order(retail: Project) -> None:
    parsed = parse_commands(
        "@accelerator rename `customers.email_addr` to `email`\n"
        "classify customers.email as pii.email\n"
        "grant select on table crm.customers to `support team` in prod"
    )
    project = retail
    for op in parsed.edits:
        project = _apply(project, op)
    email = _column(project, "crm", "customers", "email")
    assert email.classification == "pii.email"
    assert _table(project, "crm", "customers").grants == [
        GrantEntry(principal="support team", privileges=["SELECT"], environments=["prod"])
    ]
