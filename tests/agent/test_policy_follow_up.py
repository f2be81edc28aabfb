"""The policy follows an edit of the ERD in the same turn (issue 8): a renamed table's grants and
classified columns are renamed as written, a dropped column's entry goes, grant patterns are left
alone; the reply says what changed in the policy. The conversation runs on the retail example in
each of its three ERD formats."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from accelerator.agent.session import ConversationSession
from accelerator.edit.governance_edits import policy_follow_up
from accelerator.edit.operation import EditBase, resolve
from accelerator.edit.patch import patch_sources
from accelerator.edit.table_edits import DropColumn, MoveTable, RenameColumn, RenameTable
from accelerator.generate import ErdInput, Governed, PolicyInput, govern_inputs
from accelerator.memory import MemoryStore
from accelerator.memory.pool import MemoryPool
from tests.agent.test_governance_turns import newest_prod_migration, prod_sql
from tests.agent.test_graph import ERD, EXAMPLE, POLICY, Conversation, initial_state, memory_pool

__all__ = ["memory_pool"]  # the fixture

ERD_FILES = {"dbml": ERD, "mermaid": "erd/retail.mmd", "sql": "erd/retail.sql"}
GRANT_SQL = "GRANT SELECT ON TABLE `prod_retail`.`crm`.`{}` TO `analysts`"


def example_policy() -> str:
    # the example deploys grants with Terraform only; `both` also writes them into the SQL
    return (EXAMPLE / POLICY).read_text().replace("grants_in: terraform", "grants_in: both")


def conversation_on(pool: MemoryPool, kind: str, thread_id: str, policy: str) -> Conversation:
    state: Any = initial_state(thread_id)
    file = ERD_FILES[kind]
    state["erds"][0]["file"] = file
    state["sources"] = {file: (EXAMPLE / file).read_text(), POLICY: policy}
    session = ConversationSession(pool, thread_id)
    session.open()
    with session.lock():
        session.start(state)
    return Conversation(session, MemoryStore(pool))


def error_findings(conversation: Conversation) -> list[str]:
    state = conversation.session.state()
    assert state is not None
    governed = govern_inputs(
        "retail",
        [ErdInput(e["file"], state["sources"][e["file"]], "retail", None, "postgres") for e in state["erds"]],
        PolicyInput(POLICY, state["sources"][POLICY]),
    )
    return [f"{f.rule}: {f.message}" for f in governed.findings if f.severity == "error"]


@pytest.mark.parametrize("kind", list(ERD_FILES))
def test_renaming_a_table_the_policy_names_renames_it_in_the_policy_too(
    memory_pool: MemoryPool, kind: str
) -> None:
    policy = example_policy() + "\nclassified_columns:\n  'crm.customers.phone': pii.phone\n"
    conversation = conversation_on(memory_pool, kind, f"test:rename-granted-{kind}", policy)
    errors_before = error_findings(conversation)
    assert GRANT_SQL.format("customers") in prod_sql(conversation)
    result = conversation.say("rename table crm.customers to clients")
    assert result.reply.startswith("Applied:"), result.reply
    text = result.state["sources"][POLICY]
    assert "- {on: table, name: crm.clients, principal: analysts, privileges: [SELECT]}\n" in text
    assert "  'crm.clients.phone': pii.phone\n" in text  # quoted as it was
    assert "customers" not in text
    assert text.replace("crm.clients", "crm.customers") == policy  # nothing else changed
    assert isinstance(yaml.safe_load(text), dict)
    assert error_findings(conversation) == errors_before
    newest = newest_prod_migration(conversation)  # a renamed table keeps its grants and masks
    assert "ALTER TABLE `prod_retail`.`crm`.`customers` RENAME TO `prod_retail`.`crm`.`clients`;" in newest, (
        newest
    )
    assert "REVOKE" not in newest and "DROP MASK" not in newest
    notes = result.reply.splitlines()
    assert (
        f"- the grant to analysts on table crm.customers now names crm.clients ({POLICY}: environments.prod.grants)"
        in notes
    )
    assert f"- keep the classification of crm.customers.phone on crm.clients.phone ({POLICY})" in notes
    assert POLICY in result.reply.split("changed:", 1)[1]


# The same follow-up, on the policy alone (what apply does after patching the ERD).

DBML = EXAMPLE / ERD


def governed(texts: dict[str, str]) -> Governed:
    return govern_inputs("retail", [ErdInput(ERD, texts[ERD], "retail")], PolicyInput(POLICY, texts[POLICY]))


def follow(texts: dict[str, str], op: EditBase, patch_erd: bool = True) -> tuple[dict[str, str], list[str]]:
    before = governed(texts)
    resolved = resolve(op, before.project).op
    patched = {**texts, **(patch_sources(op, before.project, texts, policy_file=POLICY) if patch_erd else {})}
    result = policy_follow_up(before.project, resolved, POLICY, patched)
    return ({**patched, POLICY: result.text}, result.notes) if result else (patched, [])


def with_policy(extra: str) -> dict[str, str]:
    return {ERD: DBML.read_text(), POLICY: example_policy() + extra}


def test_each_form_a_table_is_written_in_is_kept() -> None:
    items = [
        "  - {on: table, name: customers, principal: a, privileges: [SELECT]}",
        '  - {on: table, name: "retail.crm.customers", principal: b, privileges: [SELECT]}',
        "  - on: table",
        "    name: CRM.Customers",
        "    principal: c",
        "    privileges: [MODIFY]",
        "  - {on: table, name: crm.addresses, principal: d, privileges: [SELECT]}",
        "  - {on: schema, name: crm, principal: e, privileges: [USE_SCHEMA]}",
    ]
    texts = with_policy("")
    texts[POLICY] = texts[POLICY].replace(
        "\n\ncatalog_defaults:", "\n" + "\n".join(items) + "\n\ncatalog_defaults:", 1
    )
    after, notes = follow(texts, RenameTable(table="crm.customers", new_name="clients"))
    policy = after[POLICY]
    assert "{on: table, name: clients, principal: a," in policy
    assert '{on: table, name: "retail.crm.clients", principal: b,' in policy
    assert "    name: CRM.clients\n" in policy
    assert "name: crm.addresses" in policy and "{on: schema, name: crm, principal: e" in policy
    assert len(notes) == 4  # the three grants above and the prod section's
    assert not [f for f in governed(after).findings if f.rule == "grants.target"]


def test_a_pattern_is_left_alone_and_a_dropped_column_loses_its_entry_with_a_note() -> None:
    texts = with_policy("\nclassified_columns:\n  sales.orders.status: pii.name\n")
    after, notes = follow(texts, RenameTable(table="sales.orders", new_name="purchases"))
    assert "{on: table, name: 'sales.*', principal: finance" in after[POLICY]
    assert notes == [f"keep the classification of sales.orders.status on sales.purchases.status ({POLICY})"]
    after, notes = follow(after, DropColumn(table="sales.purchases", column="status"))
    assert "status" not in after[POLICY].split("classified_columns:")[1]
    assert notes == [
        f"remove the classification entry of the dropped column sales.purchases.status ({POLICY})"
    ]


def test_a_moved_table_is_named_in_its_new_schema_and_patterns_it_enters_are_noted() -> None:
    texts = with_policy("\nclassified_columns:\n  crm.customers.phone: pii.phone\n")
    # the policy's part of the move alone (the ERD's is the move primitive's)
    after, notes = follow(texts, MoveTable(table="crm.customers", schema_name="sales"), patch_erd=False)
    assert "name: sales.customers, principal: analysts" in after[POLICY]
    assert "  sales.customers.phone: pii.phone\n" in after[POLICY]
    assert "name: 'sales.*'" in after[POLICY]
    assert notes == [
        f"the grant to finance on tables sales.* ({POLICY}: grants) now also applies to sales.customers",
        f"the grant to analysts on table crm.customers now names sales.customers ({POLICY}: environments.prod.grants)",
        f"keep the classification of crm.customers.phone on sales.customers.phone ({POLICY})",
    ]


def test_a_pattern_that_no_longer_matches_any_table_is_noted() -> None:
    texts = with_policy("")
    texts[ERD] += "\nTable ops.runs {\n  run_id bigint [pk]\n  Note: 'Job runs'\n}\n"
    texts[POLICY] = texts[POLICY].replace(
        "\n\ncatalog_defaults:",
        "\n  - {on: table, name: 'ops.*', principal: operators, privileges: [SELECT]}"
        "\n  - {on: table, name: ops.runs, principal: auditors, privileges: [SELECT]}\n\ncatalog_defaults:",
        1,
    )
    after, notes = follow(texts, MoveTable(table="ops.runs", schema_name="sales"), patch_erd=False)
    assert "name: 'ops.*'" in after[POLICY] and "name: sales.runs, principal: auditors" in after[POLICY]
    assert (
        f"the grant to operators on tables ops.* ({POLICY}: grants) no longer matches any table; "
        "it is left as written" in notes
    )


def test_an_edit_the_policy_does_not_name_changes_nothing() -> None:
    texts = with_policy("")
    for op in (
        RenameTable(table="crm.addresses", new_name="locations"),
        RenameColumn(table="sales.orders", column="status", new_name="state"),
    ):
        after, notes = follow(texts, op)
        assert after[POLICY] == texts[POLICY] and notes == []
