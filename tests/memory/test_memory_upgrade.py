"""A database migrated by the previous version (schema 2, checkpoint tables from LangGraph's setup) with
rows as that version wrote them: migrating keeps every row and links messages and files to their
users and turns, and numbers the old deliveries in the order they arrived."""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from accelerator.memory import DeliveryStatus, MemoryStore, Role
from accelerator.memory import schema as memory_schema
from accelerator.memory.checkpoints import create_checkpoint_tables
from accelerator.memory.pool import MemoryPool

THREAD = "github:acme/data#7"
PREVIOUS_VERSION = 2
T0 = datetime.fromisoformat("2026-01-05T09:00:00+00:00")


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def old_turn(
    conn: psycopg.Connection[DictRow],
    conversation: int,
    turn: int,
    author: str | None,
    files: dict[str, str],
    when: datetime,
) -> None:
    """One turn as the previous version recorded it: two messages and the files, in one transaction
    (so they share `now()`); the user message's author is free text."""
    seq = 2 * turn - 1
    with conn.transaction():
        conn.execute(
            "INSERT INTO messages (conversation_id, seq, role, author, body, source_id, created_at)"
            " VALUES (%s, %s, 'user', %s, %s, %s, %s)",
            (conversation, seq, author, f"turn {turn}", f"ev{turn}:user", when),
        )
        conn.execute(
            "INSERT INTO messages (conversation_id, seq, role, author, body, payload, source_id, created_at)"
            " VALUES (%s, %s, 'assistant', 'accelerator', %s, %s, %s, %s)",
            (conversation, seq + 1, f"reply {turn}", Jsonb({"turn": turn}), f"ev{turn}:assistant", when),
        )
        conn.execute("UPDATE conversations SET last_seq = %s WHERE id = %s", (seq + 1, conversation))
        record_old_files(conn, conversation, files, when)


def record_old_files(
    conn: psycopg.Connection[DictRow], conversation: int, files: dict[str, str], when: datetime
) -> None:
    for path, content in files.items():
        conn.execute(
            "INSERT INTO files (conversation_id, path, kind, sha256, content, created_at, last_recorded_at)"
            " VALUES (%s, %s, 'erd', md5(%s), %s, %s, %s)"
            " ON CONFLICT (conversation_id, path, sha256) DO UPDATE SET last_recorded_at = EXCLUDED.created_at",
            (conversation, path, content, content, when, when + timedelta(milliseconds=5)),
        )


def test_rows_of_the_previous_version_survive_and_get_linked(pool: MemoryPool, schema_name: str) -> None:
    with pool.connection() as conn:
        assert memory_schema.migrate(conn, schema_name, target=PREVIOUS_VERSION) == PREVIOUS_VERSION
    create_checkpoint_tables(pool, schema_name)  # the previous version's checkpointer() did this
    with pool.connection() as conn:
        conn.execute("ALTER TABLE checkpoint_blobs ALTER COLUMN blob SET COMPRESSION pglz")
        alice = conn.execute(
            "INSERT INTO users (github_login, display_name, last_active_at) VALUES ('alice', 'Alice', %s)"
            " RETURNING id",
            (at(0),),
        ).fetchone()
        bob = conn.execute(
            "INSERT INTO users (databricks_user, last_active_at) VALUES ('bob@acme.com', %s) RETURNING id",
            (at(0),),
        ).fetchone()
        conversation = conn.execute(
            "INSERT INTO conversations (thread_id, channel, created_by) VALUES (%s, 'github', %s) RETURNING id",
            (THREAD, alice and alice["id"]),
        ).fetchone()
        assert alice and bob and conversation
        cid = conversation["id"]
        with conn.transaction():  # the opening: files and no message
            record_old_files(conn, cid, {"erd/a.dbml": "A", "policies/p.yaml": "P"}, at(1))
        old_turn(conn, cid, 1, "alice", {"erd/a.dbml": "B"}, at(2))
        old_turn(conn, cid, 2, "bob@acme.com", {"erd/a.dbml": "A"}, at(3))  # A -> B -> A: one copy of A
        old_turn(conn, cid, 3, "carol", {}, at(4))  # an author who is no user
        for delivery, received in (("d-late", at(9)), ("d-early", at(5)), ("d-middle", at(7))):
            conn.execute(
                "INSERT INTO deliveries (id, event, status, received_at) VALUES (%s, 'issue_comment', 'done', %s)",
                (delivery, received),
            )
        before = {
            table: conn.execute(f"SELECT count(*) AS n FROM {table}").fetchone()
            for table in ("users", "conversations", "messages", "files", "deliveries")
        }

    store = MemoryStore(pool, schema_name)
    assert store.migrate() == memory_schema.LATEST_VERSION

    with pool.connection() as conn:
        after = {
            table: conn.execute(f"SELECT count(*) AS n FROM {table}").fetchone()
            for table in ("users", "conversations", "messages", "files", "deliveries")
        }
        lz4 = conn.execute(
            "SELECT 'lz4' = ANY(enumvals) AS has FROM pg_settings WHERE name = 'default_toast_compression'"
        ).fetchone()
        compression = conn.execute(
            "SELECT attcompression AS c FROM pg_attribute"
            " WHERE attrelid = 'checkpoint_blobs'::regclass AND attname = 'blob'"
        ).fetchone()
    assert after == before
    if lz4 and lz4["has"]:
        assert compression == {"c": "l"}

    said = store.transcript(THREAD)
    assert [(e.seq, e.turn, e.role, e.author, e.user_id) for e in said] == [
        (1, 1, Role.USER, "alice", alice["id"]),
        (2, 1, Role.ASSISTANT, "accelerator", None),
        (3, 2, Role.USER, "bob@acme.com", bob["id"]),
        (4, 2, Role.ASSISTANT, "accelerator", None),
        (5, 3, Role.USER, "carol", None),
        (6, 3, Role.ASSISTANT, "accelerator", None),
    ]
    assert [m.body for m in store.messages(THREAD)] == [e.body for e in said]

    produced = [(f.turn, f.path, f.user_id) for f in store.turn_files(THREAD)]
    assert produced == [
        (0, "erd/a.dbml", None),
        (0, "policies/p.yaml", None),
        (1, "erd/a.dbml", alice["id"]),
        (2, "erd/a.dbml", bob["id"]),
    ]
    contents = {f.file_id: f.sha256 for f in store.turn_files(THREAD)}
    assert len(set(contents.values())) == 3  # A (turns 0 and 2), B, P

    users = {p.id: p for p in store.participants(THREAD)}
    assert set(users) == {alice["id"], bob["id"]}
    assert users[alice["id"]].last_active_at == at(2) and users[alice["id"]].message_count == 1
    assert users[bob["id"]].last_active_at == at(3)

    with pool.connection() as conn:
        old = conn.execute("SELECT id, arrival, status FROM deliveries ORDER BY arrival").fetchall()
    assert [(d["id"], d["status"]) for d in old] == [(d, "done") for d in ("d-early", "d-middle", "d-late")]
    store.record_delivery("d-new", "issue_comment", THREAD)
    [new] = store.deliveries(THREAD)
    assert new.arrival > max(d["arrival"] for d in old) and new.status is DeliveryStatus.RECEIVED
    assert store.begin_delivery("d-early", "issue_comment") is False  # still handled exactly once
