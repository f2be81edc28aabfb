"""What `publish` records of a turn besides its words: the event it came from and the commit, and hand
edits the turn adopted as their own entry, with their file versions, apart from the versions the
turn's edits made."""

from __future__ import annotations

from accelerator.agent.state import sha256
from accelerator.memory import Role
from tests.agent.test_graph import ERD, Conversation, conversation, memory_pool  # noqa: F401

SOURCE = {"kind": "comment", "id": "IC_7", "url": "https://github.com/acme/data/pull/3#issuecomment-7"}
SHA = "a" * 40


def test_each_message_of_a_turn_keeps_its_source_event_and_commit(conversation: Conversation) -> None:  # noqa: F811
    conversation.say("status", source=SOURCE, commit_sha=SHA, author="alice")
    conversation.say("status")  # a channel that knows neither
    entries = conversation.store.transcript("test:thread")
    assert [(e.turn, e.role, e.source, e.commit_sha) for e in entries] == [
        (1, Role.USER, SOURCE, SHA),
        (1, Role.ASSISTANT, SOURCE, SHA),
        (2, Role.USER, None, None),
        (2, Role.ASSISTANT, None, None),
    ]


def test_a_nul_in_the_source_is_stored_as_a_replacement_character(conversation: Conversation) -> None:  # noqa: F811
    result = conversation.say("status", source={"kind": "comment", "id": "IC\x008"})
    assert not result.duplicate
    user = conversation.store.transcript("test:thread")[0]
    assert user.source == {"kind": "comment", "id": "IC\ufffd8"}


def test_adopted_hand_edits_are_their_own_entry_with_their_versions(conversation: Conversation) -> None:  # noqa: F811
    store = conversation.store
    bob = store.upsert_user(github_login="bob")
    before = store.latest_files("test:thread")
    erd = next(f.content for f in before if f.path == ERD)
    hand = erd.replace("city varchar(100)", "town varchar(100)")
    assert hand != erd
    result = conversation.say(
        "rename column crm.customers.full_name to customer_name",
        adopted={ERD: hand},
        author="bob",
        user_id=bob.id,
        source=SOURCE,
        commit_sha=SHA,
    )
    assert result.state["outcome"] == "applied"
    final = result.state["sources"][ERD]
    assert "town varchar(100)" in final and "customer_name" in final

    entries = [e for e in store.transcript("test:thread") if e.turn == 1]
    assert [(e.role, e.author, e.user_id) for e in entries] == [
        (Role.SYSTEM, "bob", bob.id),  # the hand edit first: it came before the words
        (Role.USER, "bob", bob.id),
        (Role.ASSISTANT, "accelerator", None),
    ]
    adopted_entry, _, reply = entries
    assert adopted_entry.body == f"adopted hand edits of {ERD}"
    assert adopted_entry.payload == {"turn": 1, "adopted": {ERD: sha256(hand)}}
    assert (adopted_entry.source, adopted_entry.commit_sha) == (SOURCE, SHA)

    produced = [f for f in store.turn_files("test:thread") if f.turn == 1 and f.path == ERD]
    assert [(f.sha256, f.adopted, f.message_seq, f.user_id) for f in produced] == [
        (sha256(hand), True, adopted_entry.seq, bob.id),
        (sha256(final), False, reply.seq, bob.id),
    ]
    assert next(f.content for f in store.latest_files("test:thread") if f.path == ERD) == final


def test_a_hand_edit_that_is_the_turns_result_stays_a_hand_edit(conversation: Conversation) -> None:  # noqa: F811
    store = conversation.store
    erd = next(f.content for f in store.latest_files("test:thread") if f.path == ERD)
    hand = erd.replace("city varchar(100)", "town varchar(100)")
    conversation.say("status", adopted={ERD: hand})
    conversation.say("status", adopted={ERD: hand})  # already the thread's text: nothing adopted
    entries = store.transcript("test:thread")
    assert [(e.turn, e.role) for e in entries if e.role == Role.SYSTEM] == [(1, Role.SYSTEM)]
    produced = [(f.turn, f.adopted) for f in store.turn_files("test:thread") if f.path == ERD]
    assert produced == [(0, False), (1, True)]
