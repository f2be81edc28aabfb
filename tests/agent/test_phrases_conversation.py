"""Questions, redo and joined edits through the agent: a question is answered from the model and
changes nothing; two edits joined by "and" are one turn."""

from __future__ import annotations

from .test_graph import ERD, POLICY, Conversation, conversation, memory_pool  # noqa: F401 - fixtures


def test_questions_are_answered_from_the_model_and_change_nothing(conversation: Conversation) -> None:  # noqa: F811
    before = conversation.say("status").state
    for text, answer in [
        ("what tables have PII?", "crm.customers: `email` (pii.email, masked: redact)"),
        ("show me the orders table", "**sales.orders**: One row per order"),
        ("who can read sales.orders in prod?", "`analysts`: SELECT on schema sales (prod)"),
        ("list tables", "5 table(s)"),
        ("what columns does crm.customers have?", "`full_name` STRING [pii.name"),
        ("explain customers", "**crm.customers**: People who buy from us"),
    ]:
        result = conversation.say(text)
        assert answer in result.reply, (text, result.reply)
        assert result.state["outcome"] == "answered"
        assert result.state["sources"] == before["sources"]


def test_two_edits_joined_by_and_are_one_turn(conversation: Conversation) -> None:  # noqa: F811
    result = conversation.say(
        "rename column sales.orders.status to order_status and drop column sales.orders.ip_address"
    )
    assert result.state["outcome"] == "applied", result.reply
    table = result.state["sources"][ERD].split("Table sales.orders")[1].split("}")[0]
    assert "order_status varchar(20)" in table and "ip_address" not in table


def test_a_grant_already_held_is_refused_and_the_policy_keeps_one_line(conversation: Conversation) -> None:  # noqa: F811
    assert (
        conversation.say("grant select on table sales.orders to auditors in prod").state["outcome"]
        == "applied"
    )
    again = conversation.say("grant select on table sales.orders to auditors in prod")
    assert again.state["outcome"] == "rejected" and "already has SELECT" in again.reply
    assert again.state["sources"][POLICY].count("principal: auditors") == 1
