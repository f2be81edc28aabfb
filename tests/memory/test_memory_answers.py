"""Who said what, in which turn, and when each user was last active: answered from the tables, one query
each (participants, transcript, turn_files; deliveries in test_memory_queue.py)."""

from __future__ import annotations

from accelerator.memory import FileKind, MemoryStore, NewFile, Role, transcript
from accelerator.memory.schema import LATEST_VERSION

THREAD = "github:acme/data#7"


def test_posting_marks_the_user_active_and_links_the_message(store: MemoryStore) -> None:
    alice = store.upsert_user(github_login="alice", display_name="Alice")
    store.open_conversation(THREAD, "github", created_by=alice.id)
    said = store.append_message(THREAD, "user", "mark phone as PII", author="alice", user_id=alice.id, turn=1)
    assert (said.user_id, said.turn) == (alice.id, 1)
    again = store.upsert_user(github_login="alice")
    assert again.last_active_at >= said.created_at > alice.last_active_at


def test_participants_are_the_creator_and_whoever_posted_with_their_last_activity(store: MemoryStore) -> None:
    alice = store.upsert_user(github_login="alice")
    bob = store.upsert_user(github_login="bob", display_name="Bob")
    carol = store.upsert_user(databricks_user="carol@acme.com")  # active elsewhere only
    store.open_conversation(THREAD, "github", created_by=alice.id)
    store.open_conversation("github:acme/data#8", "github", created_by=carol.id)
    store.append_message("github:acme/data#8", "user", "hi", user_id=carol.id)
    first = store.append_message(THREAD, "user", "status", user_id=bob.id, turn=1)
    store.append_message(THREAD, "assistant", "ok", author="accelerator", turn=1)
    last = store.append_message(THREAD, "user", "help", user_id=bob.id, turn=2)

    participants = store.participants(THREAD)
    assert [(p.id, p.message_count) for p in participants] == [(bob.id, 2), (alice.id, 0)]
    assert participants[0].last_message_at == last.created_at > first.created_at
    assert participants[0].last_active_at == last.created_at and participants[0].display_name == "Bob"
    assert participants[1].last_message_at is None and participants[1].last_active_at == alice.last_active_at
    assert store.participants("github:acme/data#404") == []


def test_the_transcript_says_who_said_what_in_which_turn(store: MemoryStore) -> None:
    bob = store.upsert_user(databricks_user="bob@acme.com", display_name="Bob")
    store.open_conversation(THREAD, "cli")
    store.append_message(THREAD, Role.USER, "rename a.b to c", user_id=bob.id, turn=1)  # no free-text author
    store.append_message(
        THREAD, Role.ASSISTANT, "renamed", author="accelerator", turn=1, source_id="e1:assistant"
    )
    store.append_message(THREAD, Role.USER, "old style", author="someone")  # before users were linked

    entries = store.transcript(THREAD)
    assert [(e.seq, e.turn, e.role, e.author, e.user_id, e.display_name) for e in entries] == [
        (1, 1, Role.USER, "bob@acme.com", bob.id, "Bob"),
        (2, 1, Role.ASSISTANT, "accelerator", None, None),
        (3, None, Role.USER, "someone", None, None),
    ]
    shown = transcript(store, THREAD)  # what `memory show` prints
    assert [(m["seq"], m["author"], m["turn"]) for m in shown] == [
        (1, "bob@acme.com", 1),
        (2, "accelerator", 1),
        (3, "someone", None),
    ]
    assert store.stored_reply("e1:assistant") == "renamed"
    assert store.stored_reply("e2:assistant") is None


def test_the_files_each_turn_produced_including_a_version_produced_again(store: MemoryStore) -> None:
    alice = store.upsert_user(github_login="alice")
    store.open_conversation(THREAD, "github")
    store.record_files(
        THREAD, [NewFile("erd/a.dbml", "erd", "A"), NewFile("policies/p.yaml", "policy", "P")], turn=0
    )
    store.record_files(
        THREAD,
        [NewFile("erd/a.dbml", "erd", "B"), NewFile("generated/model.json", FileKind.GENERATED, "{}")],
        turn=1,
        user_id=alice.id,
    )
    store.record_file(THREAD, "erd/a.dbml", "erd", "A", turn=2, user_id=alice.id)  # A -> B -> A
    store.record_file(THREAD, "erd/a.dbml", "erd", "A", turn=2, user_id=alice.id)  # a retried write
    store.record_file(THREAD, "notes.md", "generated", "no turn")  # recorded outside a turn

    produced = store.turn_files(THREAD)
    assert [(f.turn, f.path, f.kind, f.user_id) for f in produced] == [
        (0, "erd/a.dbml", FileKind.ERD, None),
        (0, "policies/p.yaml", FileKind.POLICY, None),
        (1, "erd/a.dbml", FileKind.ERD, alice.id),
        (1, "generated/model.json", FileKind.GENERATED, alice.id),
        (2, "erd/a.dbml", FileKind.ERD, alice.id),
    ]
    assert produced[0].file_id == produced[4].file_id  # one stored copy of A, produced by two turns
    assert {f.path: f.content for f in store.latest_files(THREAD)}["erd/a.dbml"] == "A"


def test_migrate_creates_the_checkpoint_tables_and_sets_their_storage(store: MemoryStore) -> None:
    assert store.schema_version() == LATEST_VERSION
    with store.pool.connection() as conn:
        lz4 = conn.execute(
            "SELECT 'lz4' = ANY(enumvals) AS has FROM pg_settings WHERE name = 'default_toast_compression'"
        ).fetchone()
        rows = conn.execute(
            "SELECT attrelid::regclass::text AS t, attcompression AS c FROM pg_attribute"
            " WHERE attrelid IN ('checkpoint_blobs'::regclass, 'checkpoint_writes'::regclass)"
            " AND attname = 'blob' ORDER BY 1"
        ).fetchall()
    assert [row["t"].split(".")[-1] for row in rows] == ["checkpoint_blobs", "checkpoint_writes"]
    expected = "l" if lz4 and lz4["has"] else ""
    assert {row["c"] for row in rows} == {expected}
