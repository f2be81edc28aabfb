"""Where each turn came from and who changed what (migration 6): a message's source event and commit,
file versions tied to the message that recorded them and marked when they were hand edits, and a
closed conversation that `prune` removes unless a new turn reopened it."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from psycopg.types.json import Jsonb

from accelerator.errors import ConversationNotFoundError
from accelerator.memory import FileKind, MemoryStore, NewFile, Role, transcript
from accelerator.memory import schema as memory_schema
from accelerator.memory.pool import MemoryPool

THREAD = "github:acme/data#7"
COMMENT = {"kind": "comment", "id": "IC_42", "url": "https://github.com/acme/data/pull/7#issuecomment-42"}
SHA = "0123456789abcdef0123456789abcdef01234567"


def test_a_message_keeps_its_source_event_and_commit_and_the_transcript_answers_them(
    store: MemoryStore, pool: MemoryPool
) -> None:
    alice = store.upsert_user(github_login="alice")
    store.open_conversation(THREAD, "github")
    said = store.append_message(
        THREAD,
        Role.USER,
        "status",
        user_id=alice.id,
        turn=1,
        source=COMMENT,
        commit_sha=SHA,
        source_id="c42:user",
    )
    assert (said.source, said.commit_sha) == (COMMENT, SHA)
    store.append_message(THREAD, Role.USER, "no event known", turn=2)

    first, second = store.transcript(THREAD)
    assert (first.source, first.commit_sha) == (COMMENT, SHA)
    assert (second.source, second.commit_sha) == (None, None)
    shown = transcript(store, THREAD)  # what `memory show --format json` prints
    assert shown[0]["source"] == COMMENT and shown[0]["commit_sha"] == SHA
    with pool.connection() as conn:  # columns, so the events are queryable
        row = conn.execute(
            "SELECT seq FROM messages WHERE source ->> 'kind' = 'comment' AND commit_sha = %s", (SHA,)
        ).fetchone()
    assert row is not None and row["seq"] == 1


def test_a_source_without_a_kind_is_refused(store: MemoryStore, pool: MemoryPool) -> None:
    store.open_conversation(THREAD, "github")
    with pytest.raises(ValueError, match="kind"):
        store.append_message(THREAD, Role.USER, "hi", source={"id": "IC_1"})
    with pool.connection() as conn, pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            "INSERT INTO messages (conversation_id, seq, role, body, source) "
            "SELECT id, 99, 'user', 'x', %s FROM conversations",
            (Jsonb({"kind": 7}),),
        )
    assert store.messages(THREAD) == []


def test_hand_edited_versions_are_tied_to_their_entry_and_the_turns_own_to_its_reply(
    store: MemoryStore,
) -> None:
    bob = store.upsert_user(github_login="bob")
    store.open_conversation(THREAD, "github")
    entry = store.append_message(
        THREAD, Role.SYSTEM, "adopted hand edits of erd/a.dbml", user_id=bob.id, turn=1
    )
    store.record_files(
        THREAD,
        [NewFile("erd/a.dbml", FileKind.ERD, "hand")],
        turn=1,
        user_id=bob.id,
        message_id=entry.id,
        adopted=True,
    )
    reply = store.append_message(THREAD, Role.ASSISTANT, "renamed", author="accelerator", turn=1)
    store.record_files(
        THREAD,
        [NewFile("erd/a.dbml", FileKind.ERD, "edited"), NewFile("erd/b.dbml", FileKind.ERD, "hand")],
        turn=1,
        user_id=bob.id,
        message_id=reply.id,
    )
    # The same version recorded again by the turn keeps its first link: it was made by hand.
    store.record_file(THREAD, "erd/a.dbml", FileKind.ERD, "hand", turn=1, user_id=bob.id, message_id=reply.id)

    produced = store.turn_files(THREAD)
    assert [(f.path, f.adopted, f.message_seq, f.user_id) for f in produced] == [
        ("erd/a.dbml", True, entry.seq, bob.id),  # hand edits come first in their turn
        ("erd/a.dbml", False, reply.seq, bob.id),
        ("erd/b.dbml", False, reply.seq, bob.id),
    ]
    assert produced[0].message_id == entry.id and produced[1].message_id == reply.id


def test_close_then_prune_removes_the_thread_and_a_new_message_reopens_it(store: MemoryStore) -> None:
    store.open_conversation(THREAD, "github")
    store.open_conversation("github:acme/data#8", "github")
    store.append_message(THREAD, Role.USER, "status", turn=1)
    assert store.close_conversation(THREAD) is True
    closed = store.conversation(THREAD)
    assert closed.status == "closed" and closed.closed_at is not None
    assert store.close_conversation(THREAD) is False
    with pytest.raises(ConversationNotFoundError):
        store.close_conversation("github:acme/data#404")

    # A turn after the close (the PR reopened, a comment on the closed PR) reopens it: never pruned.
    store.append_message(THREAD, Role.USER, "one more thing", turn=2)
    reopened = store.conversation(THREAD)
    assert reopened.status == "open" and reopened.closed_at is None
    assert store.prune(timedelta(0)) == 0

    store.close_conversation(THREAD)
    assert store.prune(timedelta(days=1)) == 0  # closed only just now
    assert store.prune(timedelta(0)) == 1
    with pytest.raises(ConversationNotFoundError):
        store.conversation(THREAD)
    assert [c.thread_id for c in store.list_conversations()] == ["github:acme/data#8"]


def test_rows_written_before_migration_6_survive_it(pool: MemoryPool, schema_name: str) -> None:
    with pool.connection() as conn:
        assert memory_schema.migrate(conn, schema_name, target=3) == 3
        conn.execute("INSERT INTO conversations (thread_id, channel) VALUES (%s, 'cli')", (THREAD,))
        conn.execute(
            "INSERT INTO messages (conversation_id, seq, role, body, turn) SELECT id, 1, 'user', 'old', 1 FROM conversations"
        )
        conn.execute(
            "INSERT INTO files (conversation_id, path, kind, sha256, content) "
            "SELECT id, 'erd/a.dbml', 'erd', 'x', 'A' FROM conversations"
        )
        conn.execute("INSERT INTO turn_files (file_id, turn) SELECT id, 1 FROM files")
    store = MemoryStore(pool, schema_name)
    assert store.migrate() == memory_schema.LATEST_VERSION
    (entry,) = store.transcript(THREAD)
    assert (entry.body, entry.source, entry.commit_sha) == ("old", None, None)
    (produced,) = store.turn_files(THREAD)
    assert (produced.turn, produced.adopted, produced.message_id) == (1, False, None)
