"""Governance through a conversation: a rename keeps the column's class and mask, a classify on the
built-in policy creates the policy file, and a turn that weakens protection says so (issue 8)."""

from __future__ import annotations

from typing import Any

import pytest

from accelerator.agent.session import ConversationSession
from accelerator.memory import MemoryStore
from accelerator.memory.pool import MemoryPool
from tests.agent.test_graph import ERD, POLICY, Conversation, initial_state, memory_pool, start_conversation

__all__ = ["memory_pool"]  # the fixture


def prod_sql(conversation: Conversation) -> str:
    state = conversation.session.state()
    assert state is not None
    generation = conversation.session.generation(state)
    assert generation is not None
    return "\n".join(text for path, text in generation.files.items() if path.startswith("sql/prod/"))


def newest_prod_migration(conversation: Conversation) -> str:
    state = conversation.session.state()
    assert state is not None
    generation = conversation.session.generation(state)
    assert generation is not None
    return generation.files[max(p for p in generation.files if p.startswith("sql/prod/V"))]


def test_a_renamed_classified_column_keeps_its_class_and_mask(memory_pool: MemoryPool) -> None:
    conversation = start_conversation(memory_pool, "test:rename-keeps-pii")
    assert "`full_name` SET MASK" in prod_sql(conversation)
    result = conversation.say("rename column crm.customers.full_name to customer_name")
    assert result.reply.startswith("Applied:"), result.reply
    newest = newest_prod_migration(conversation)  # the rename as a rename: the mask stays on the column
    assert "RENAME COLUMN `full_name` TO `customer_name`" in newest and "DROP MASK" not in newest, newest
    assert "crm.customers.customer_name: pii.name" in result.state["sources"][POLICY]
    assert POLICY in result.reply  # the policy is one of the changed files


def test_classify_on_the_built_in_policy_creates_the_policy_file_and_says_so(memory_pool: MemoryPool) -> None:
    state: Any = initial_state("test:builtin-policy")
    state["policy_file"] = None
    state["environments"] = ["dev", "prod"]  # the built-in policy's
    del state["sources"][POLICY]
    session = ConversationSession(memory_pool, "test:builtin-policy")
    session.open()
    with session.lock():
        session.start(state)
    conversation = Conversation(session, MemoryStore(memory_pool))
    result = conversation.say("classify sales.orders.status as pii.email")
    assert result.reply.startswith("Applied:"), result.reply
    assert f"created {POLICY} from the built-in policy" in result.reply
    assert result.state["policy_file"] == POLICY
    assert "sales.orders.status: pii.email" in result.state["sources"][POLICY]
    assert ERD in result.state["sources"]


def test_a_turn_that_weakens_a_mask_says_so(memory_pool: MemoryPool) -> None:
    conversation = start_conversation(memory_pool, "test:weakened")
    result = conversation.say("classify crm.customers.full_name as pii.ip_address")  # redact -> hash
    assert result.reply.startswith("Applied:"), result.reply
    weakened = result.reply.split("Weakened protection:", 1)[1]
    assert "full_name" in weakened


def test_where_the_policy_asks_for_confirmation_a_weakening_turn_is_refused(memory_pool: MemoryPool) -> None:
    state: Any = initial_state("test:confirm-weakening")
    state["sources"][POLICY] = state["sources"][POLICY].replace(
        "rules:\n", "rules:\n  governance:\n    confirm_weakening: [prod]\n", 1
    )
    session = ConversationSession(memory_pool, "test:confirm-weakening")
    session.open()
    with session.lock():
        session.start(state)
    conversation = Conversation(session, MemoryStore(memory_pool))
    result = conversation.say("classify crm.customers.full_name as pii.ip_address")
    assert result.reply.startswith("Nothing was applied."), result.reply
    assert "full_name" in result.reply and "confirm" in result.reply
    assert "full_name: pii.ip_address" not in (conversation.session.state() or {})["sources"][POLICY]


def test_propose_outside_a_terminal_says_what_it_does_and_changes_nothing(memory_pool: MemoryPool) -> None:
    conversation = start_conversation(memory_pool, "test:propose-in-a-pr")
    before = conversation.session.state()
    result = conversation.say("propose")
    assert "opens a pull request from a terminal conversation" in result.reply, result.reply
    assert result.state["sources"] == (before or {}).get("sources")


@pytest.mark.parametrize(("permission", "undone"), [("write", False), ("maintain", True), ("admin", True)])
def test_in_a_pull_request_only_the_author_or_a_maintainer_undoes_an_edit(
    memory_pool: MemoryPool, permission: str, undone: bool
) -> None:
    conversation = start_conversation(memory_pool, f"test:undo-by-{permission}")
    edit = "rename column crm.customers.full_name to customer_name"
    assert conversation.say(edit, author="ana", permission="write").reply.startswith("Applied:")
    result = conversation.say("undo", author="bob", permission=permission)
    assert ("customer_name" not in result.state["sources"]["erd/retail.dbml"]) is undone, result.reply
    if not undone:
        assert result.reply.startswith("Only ana or a maintainer (maintain or admin permission) can undo")
    mine = conversation.say("undo", author="ana", permission="write")  # the author always may
    assert undone or "customer_name" not in mine.state["sources"]["erd/retail.dbml"], mine.reply
