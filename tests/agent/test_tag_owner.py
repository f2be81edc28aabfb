"""`tag` and `set owner of` write the policy's `objects` and reach the generated SQL (issue 8)."""

from __future__ import annotations

from accelerator.edit.grant_edits import SetOwner
from accelerator.edit.policy_patch import PolicyDocument
from accelerator.erd.text_edits import TextEdit, apply_text_edits
from accelerator.memory.pool import MemoryPool
from tests.agent.test_governance_turns import prod_sql
from tests.agent.test_graph import POLICY, memory_pool, start_conversation

__all__ = ["memory_pool"]  # the fixture


def test_tag_and_set_owner_apply_and_show_in_the_sql(memory_pool: MemoryPool) -> None:
    conversation = start_conversation(memory_pool, "test:tag-owner")
    result = conversation.say("tag sales.orders tier=gold")
    assert result.reply.startswith("Applied:"), result.reply
    assert "sales.orders: {tags: {tier: gold}}" in result.state["sources"][POLICY]
    result = conversation.say("set owner of schema crm to data_engineers")
    assert result.reply.startswith("Applied:"), result.reply
    assert "  crm: {owner: data_engineers}" in result.state["sources"][POLICY]
    sql = prod_sql(conversation)
    assert "'tier' = 'gold'" in sql
    assert "OWNER TO `data_engineers`" in sql
    result = conversation.say("set owner of schema crm to data_engineers")
    assert "already owned by `data_engineers`" in result.reply


def _edited(text: str, edits: list[TextEdit]) -> str:
    return apply_text_edits({"p.yaml": text}, edits)["p.yaml"]


def test_an_entry_is_added_to_or_rewritten_in_place() -> None:
    text = "version: 1\nobjects:\n  # kept\n  sales.orders:\n    owner: a\n    tags: {tier: silver}\n  crm: {owner: b}\n"
    document = PolicyDocument("p.yaml", text)
    assert _edited(text, document.set_object_owner("Sales.Orders", "c")) == text.replace(
        "owner: a", "owner: c"
    )
    assert _edited(text, document.set_object_tag("sales.orders", "tier", "gold")) == text.replace(
        "silver", "gold"
    )
    assert _edited(text, document.set_object_tag("sales.orders", "pii", "no")) == text.replace(
        "{tier: silver}", "{tier: silver, pii: 'no'}"
    )
    assert _edited(text, document.set_object_tag("crm", "domain", "crm")) == text.replace(
        "{owner: b}", "{owner: b, tags: {domain: crm}}"
    )
    assert _edited(text, document.set_object_owner("retail", "d")) == text + "  retail: {owner: d}\n"
    block = "objects:\n  sales.orders:\n    owner: a\n"
    assert _edited(block, PolicyDocument("p.yaml", block).set_object_tag("sales.orders", "t", "v")) == (
        block + "    tags: {t: v}\n"
    )


def test_a_policy_without_objects_gets_the_section() -> None:
    text = "version: 1\n"
    edited = _edited(text, PolicyDocument("p.yaml", text).set_object_owner("crm", "x"))
    assert edited.startswith(text) and edited.endswith("objects:\n  crm: {owner: x}\n")


def test_set_owner_writes_the_securable_as_resolved() -> None:
    op = SetOwner(securable_kind="table", securable="sales.orders", principal="data engineers")
    text = "objects: {}\n"
    assert _edited(text, op.plan_policy(PolicyDocument("p.yaml", text))) == (
        "objects:\n  sales.orders: {owner: 'data engineers'}\n"
    )


def test_an_objects_entry_follows_a_renamed_table_and_column(memory_pool: MemoryPool) -> None:
    conversation = start_conversation(memory_pool, "test:objects-follow")
    assert conversation.say("tag sales.orders tier=gold").reply.startswith("Applied:")
    assert conversation.say("tag sales.orders.status quality=gold").reply.startswith("Applied:")
    result = conversation.say("rename table sales.orders to purchases")
    assert result.reply.startswith("Applied:"), result.reply
    policy = result.state["sources"][POLICY]
    assert "sales.purchases: {tags: {tier: gold}}" in policy and "sales.orders:" not in policy
    result = conversation.say("rename column sales.purchases.status to state")
    assert result.reply.startswith("Applied:"), result.reply
    assert "sales.purchases.state:" in result.state["sources"][POLICY]
    assert "'tier' = 'gold'" in prod_sql(conversation)
