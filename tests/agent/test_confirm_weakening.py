"""`confirm` in the conversation (issue 8): a turn that weakens protection where the policy asks for a
confirmation is held, saying what would be lost and how to confirm; a following `confirm` applies it
and records who confirmed; nothing held, a weakening that changed since, or a user who may not
confirm is a clear refusal; another edit drops the held one and says so."""

from __future__ import annotations

from typing import Any

import pytest

from accelerator.agent.session import ConversationSession
from accelerator.edit import parse_commands
from accelerator.edit.approval_edits import Confirm
from accelerator.edit.help import HELP_TEXT
from accelerator.memory import MemoryStore
from accelerator.memory.pool import MemoryPool
from tests.agent.test_graph import POLICY, Conversation, initial_state, memory_pool

__all__ = ["memory_pool"]  # the fixture

WEAKEN = "classify crm.customers.full_name as pii.ip_address"  # its mask: redact -> hash
CONFIRM_PROD = "rules:\n  governance:\n    confirm_weakening: [prod]\n"


def confirming_conversation(pool: MemoryPool, thread_id: str) -> Conversation:
    state: Any = initial_state(thread_id)
    state["sources"][POLICY] = state["sources"][POLICY].replace("rules:\n", CONFIRM_PROD, 1)
    session = ConversationSession(pool, thread_id)
    session.open()
    with session.lock():
        session.start(state)
    return Conversation(session, MemoryStore(pool))


def policy_text(conversation: Conversation) -> str:
    state = conversation.session.state()
    assert state is not None
    return state["sources"][POLICY]


def assistant_payloads(conversation: Conversation, thread_id: str) -> list[dict[str, Any]]:
    return [
        m.payload
        for m in conversation.store.messages(thread_id)
        if m.role == "assistant" and isinstance(m.payload, dict)
    ]


def test_confirm_is_a_registered_command_in_help() -> None:
    assert "| `confirm` |" in HELP_TEXT
    for text in ("confirm", "Confirm.", "@accelerator confirm", "confrim"):
        assert parse_commands(text).commands == [Confirm()], text


def test_a_weakening_turn_is_held_and_confirm_applies_it_recording_who(memory_pool: MemoryPool) -> None:
    conversation = confirming_conversation(memory_pool, "test:confirm-applies")
    before = policy_text(conversation)
    held = conversation.say(WEAKEN, author="bob")
    assert held.reply.startswith("Nothing was applied."), held.reply
    assert "crm.customers.full_name" in held.reply and "weakens from redact to hash" in held.reply
    assert "Reply `confirm` to apply them anyway" in held.reply
    assert policy_text(conversation) == before
    assert held.state["held"] is not None and held.state["held"]["author"] == "bob"
    assert "awaiting `confirm`" in conversation.say("status").reply  # a question keeps it held

    done = conversation.say("confirm", author="ana")
    assert done.state["outcome"] == "applied", done.reply
    assert "confirmed by ana (asked by bob): applied although it weakens protection" in done.reply
    weakened = done.reply.split("Weakened protection:", 1)[1]
    assert "full_name" in weakened and "redact to hash" in weakened
    assert "crm.customers.full_name: pii.ip_address" in policy_text(conversation)
    assert done.state["held"] is None
    confirmation = assistant_payloads(conversation, "test:confirm-applies")[-1]["confirmation"]
    assert confirmation["confirmed_by"] == "ana" and confirmation["requested_by"] == "bob"
    assert confirmation["held_turn"] == 1 and any("full_name" in line for line in confirmation["lost"])
    # the confirmed turn is an ordinary applied turn: undo takes it back
    undone = conversation.say("undo", author="ana")
    assert undone.state["outcome"] == "undone" and policy_text(conversation) == before


def test_confirm_with_nothing_held_is_refused(memory_pool: MemoryPool) -> None:
    conversation = confirming_conversation(memory_pool, "test:confirm-nothing")
    result = conversation.say("confirm", author="ana")
    assert result.reply.startswith("Nothing was applied.")
    assert "Nothing awaits a confirmation" in result.reply
    assert result.rejected


def test_another_edit_drops_the_held_turn_and_says_so(memory_pool: MemoryPool) -> None:
    conversation = confirming_conversation(memory_pool, "test:confirm-dropped")
    conversation.say(WEAKEN, author="bob")
    other = conversation.say("add column sales.orders.channel string", author="bob")
    assert other.state["outcome"] == "applied", other.reply
    assert "The edits held for a confirmation at turn 1" in other.reply and "were dropped" in other.reply
    assert "classify crm.customers.full_name" in other.reply
    late = conversation.say("confirm", author="bob")
    assert "Nothing awaits a confirmation" in late.reply
    assert "crm.customers.full_name: pii.ip_address" not in policy_text(conversation)


def test_undo_drops_the_held_turn_too(memory_pool: MemoryPool) -> None:
    conversation = confirming_conversation(memory_pool, "test:confirm-undo")
    conversation.say(WEAKEN, author="bob")
    result = conversation.say("undo", author="bob")
    assert "were dropped" in result.reply and result.state["held"] is None


def test_a_syntax_error_keeps_the_held_turn(memory_pool: MemoryPool) -> None:
    conversation = confirming_conversation(memory_pool, "test:confirm-typo")
    conversation.say(WEAKEN, author="bob")
    assert conversation.say("confirmm it all now please", author="bob").rejected
    assert conversation.say("confirm", author="bob").state["outcome"] == "applied"


def test_confirm_after_the_weakening_changed_is_refused(memory_pool: MemoryPool) -> None:
    conversation = confirming_conversation(memory_pool, "test:confirm-changed")
    conversation.say(WEAKEN, author="bob")
    # a hand edit of the policy, taken in with the `confirm` turn: staging now asks for it too
    edited = policy_text(conversation).replace(
        "confirm_weakening: [prod]", "confirm_weakening: [staging, prod]"
    )
    result = conversation.say("confirm", author="bob", adopted={POLICY: edited})
    assert result.reply.startswith("Nothing was applied."), result.reply
    assert "now weaken protection differently from what was confirmed" in result.reply
    assert "Send the edits again" in result.reply
    assert "crm.customers.full_name: pii.ip_address" not in policy_text(conversation)
    assert conversation.say("confirm", author="bob").reply.startswith("Nothing was applied.")  # used up


def test_confirm_cannot_be_combined_with_edits(memory_pool: MemoryPool) -> None:
    conversation = confirming_conversation(memory_pool, "test:confirm-alone")
    conversation.say(WEAKEN, author="bob")
    result = conversation.say("confirm; add column sales.orders.channel string", author="bob")
    assert "send it on its own" in result.reply
    assert result.state["held"] is not None  # still held


@pytest.mark.parametrize(("permission", "applies"), [("write", False), ("maintain", True), ("admin", True)])
def test_where_the_channel_knows_permissions_only_the_author_or_a_maintainer_confirms(
    memory_pool: MemoryPool, permission: str, applies: bool
) -> None:
    conversation = confirming_conversation(memory_pool, f"test:confirm-{permission}")
    conversation.say(WEAKEN, author="bob", permission="write")
    result = conversation.say("confirm", author="eve", permission=permission)
    assert (result.state["outcome"] == "applied") is applies, result.reply
    if not applies:
        assert "Only bob or a maintainer can confirm" in result.reply
        assert conversation.say("confirm", author="bob", permission="write").state["outcome"] == "applied"
