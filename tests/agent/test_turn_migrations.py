"""The agent itself writes each environment's versioned migrations, through the session API with no
channel: every applied turn is one new `V000n__*.sql` holding only its change (a rename as a
rename), recorded in the memory with the turn; an undo withdraws a migration the thread made (and
its line of migrations.sum); a new process reads the migrations back from the memory."""

from __future__ import annotations

from typing import Any

from accelerator.agent.session import ConversationSession, TurnResult
from accelerator.generate import MigrationHistory, generate, govern_inputs
from accelerator.memory import MemoryStore
from accelerator.memory.pool import MemoryPool
from accelerator.plan.migrations import parse_sum, verify_migrations
from tests.agent.test_graph import ERD, POLICY, Conversation, initial_state, memory_pool, start_conversation

__all__ = ["memory_pool"]  # the fixture


def migrations(conversation: Conversation, env: str = "dev") -> dict[str, str]:
    state = conversation.session.state()
    assert state is not None
    generation = conversation.session.generation(state)
    assert generation is not None
    prefix = f"sql/{env}/"
    return {p.removeprefix(prefix): t for p, t in generation.files.items() if p.startswith(prefix)}


def recorded(conversation: Conversation, thread: str) -> dict[str, str]:
    """The generated files the memory holds as the latest versions, by path."""
    return {
        f.path: f.content for f in conversation.store.latest_files(thread) if f.path.startswith("generated/")
    }


def versions(files: dict[str, str]) -> list[str]:
    return sorted(name for name in files if name.startswith("V"))


def test_each_applied_turn_is_its_own_migration_recorded_with_the_turn(memory_pool: MemoryPool) -> None:
    conversation = start_conversation(memory_pool, "test:turn-migrations")
    assert versions(migrations(conversation)) == ["V0001__initial.sql"]
    added = conversation.say("add column crm.customers.nickname string")
    assert added.reply.startswith("Applied:"), added.reply
    assert added.generation is not None and added.generation.added == [
        f"sql/{env}/V0002__add_customers_nickname.sql" for env in ("dev", "prod", "staging")
    ]
    files = migrations(conversation)
    text = files["V0002__add_customers_nickname.sql"]
    assert "ADD COLUMNS" in text and "`nickname`" in text and "customer_id" not in text.split("\n\n", 1)[1]
    renamed = conversation.say("rename column crm.customers.phone to phone_number")
    assert renamed.reply.startswith("Applied:"), renamed.reply
    files = migrations(conversation)
    [third] = [name for name in versions(files) if name.startswith("V0003")]
    assert "RENAME COLUMN `phone` TO `phone_number`" in files[third] and "DROP COLUMN" not in files[third]
    assert "nickname" not in files[third]
    # the memory holds what the generation holds, each migration linked to the turn that made it
    stored = recorded(conversation, "test:turn-migrations")
    for name, text in files.items():
        assert stored[f"generated/sql/dev/{name}"] == text
    made = {f.path: f.turn for f in conversation.store.turn_files("test:turn-migrations")}
    assert made["generated/sql/dev/V0002__add_customers_nickname.sql"] == 1
    assert made[f"generated/sql/dev/{third}"] == 2
    assert verify_migrations("sql/dev", files, files["migrations.sum"]) == []


def test_undo_withdraws_the_migration_and_redo_writes_it_again(memory_pool: MemoryPool) -> None:
    conversation = start_conversation(memory_pool, "test:turn-undo")
    first_sum = migrations(conversation)["migrations.sum"]
    conversation.say("add column crm.customers.nickname string")
    made = migrations(conversation)
    assert versions(made) == ["V0001__initial.sql", "V0002__add_customers_nickname.sql"]
    undone = conversation.say("undo")
    assert undone.state["outcome"] == "undone"
    assert undone.removed == [
        f"sql/{env}/V0002__add_customers_nickname.sql" for env in ("dev", "prod", "staging")
    ]
    after = migrations(conversation)
    assert versions(after) == ["V0001__initial.sql"]
    assert after["migrations.sum"] == first_sum and parse_sum(after["migrations.sum"]).consistent
    redone = conversation.say("redo")
    assert redone.state["outcome"] == "redone" and migrations(conversation) == made
    conversation.say("undo")
    other = conversation.say("add column crm.customers.alias string")  # the version is free again
    assert other.generation is not None and "sql/dev/V0002__add_customers_alias.sql" in other.generation.added


def test_undo_of_a_rename_withdraws_it_instead_of_renaming_back(memory_pool: MemoryPool) -> None:
    conversation = start_conversation(memory_pool, "test:turn-undo-rename")
    conversation.say("rename table crm.customers to clients")
    assert any("RENAME TO" in text for text in migrations(conversation).values())
    conversation.say("undo")
    assert versions(migrations(conversation)) == ["V0001__initial.sql"]


def test_a_turn_that_changes_no_model_writes_no_migration(memory_pool: MemoryPool) -> None:
    conversation = start_conversation(memory_pool, "test:turn-nothing")
    before = migrations(conversation)
    for text in ("status", "help", "drop column crm.nowhere.nothing"):
        result = conversation.say(text)
        assert result.generation is None or result.generation.added == [], text
    assert migrations(conversation) == before


def test_a_new_process_reads_the_migrations_back_from_the_memory(memory_pool: MemoryPool) -> None:
    conversation = start_conversation(memory_pool, "test:turn-restart")
    conversation.say("add column crm.customers.nickname string")
    made = migrations(conversation)
    again = ConversationSession(memory_pool, "test:turn-restart")  # nothing cached: a new process
    later = Conversation(again, MemoryStore(memory_pool), counter=10)
    assert migrations(later) == made
    later.say("undo")  # the memory says turn 1 made V0002: it is withdrawn
    assert versions(migrations(later)) == ["V0001__initial.sql"]
    later.say("add column crm.customers.alias string")
    fresh = Conversation(ConversationSession(memory_pool, "test:turn-restart"), MemoryStore(memory_pool))
    assert versions(migrations(fresh)) == ["V0001__initial.sql", "V0002__add_customers_alias.sql"]


def test_the_opening_starts_from_the_channels_migrations_which_are_never_withdrawn(
    memory_pool: MemoryPool,
) -> None:
    """The base (the working tree's or the pull request base's migrations) was maybe applied: the
    opening continues it, and taking its change back is a new migration."""
    state: Any = initial_state("test:turn-base")
    governed = govern_inputs(
        "retail",
        [_erd(state)],
        _policy(state),
    )
    base = generate(governed, ["dev"], terraform=False, history=MigrationHistory(None))
    dev = {p.split("/")[2]: t for p, t in base.files.items() if p.startswith("sql/dev/")}
    history = MigrationHistory(
        governed.project,
        {"dev": {n: t for n, t in dev.items() if n.startswith("V")}},
        {"dev": dev["migrations.sum"]},
    )
    session = ConversationSession(memory_pool, "test:turn-base", history=history)
    session.open()
    with session.lock():
        opening = session.start(state)
    assert opening.generation is not None and "sql/dev/V0001__initial.sql" not in opening.generation.added
    conversation = Conversation(session, MemoryStore(memory_pool))
    assert migrations(conversation)["V0001__initial.sql"] == dev["V0001__initial.sql"]
    result: TurnResult = conversation.say("drop column crm.customers.phone")
    assert result.generation is not None and result.generation.added
    assert versions(migrations(conversation)) == ["V0001__initial.sql", "V0002__drop_customers_phone.sql"]


def _erd(state: Any) -> Any:
    from accelerator.generate import ErdInput

    return ErdInput(file=ERD, text=state["sources"][ERD], catalog="retail")


def _policy(state: Any) -> Any:
    from accelerator.generate import PolicyInput

    return PolicyInput(file=POLICY, text=state["sources"][POLICY])
