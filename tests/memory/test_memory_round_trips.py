"""Round trips the memory saves: the pool's check of a connection just used, the conversation's row lock
and id read once per transaction, and the message insert that also finds a redelivered one; and that
what they guarded (a dead connection, a concurrent append) is still handled."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from accelerator.memory import MemoryConfig, MemoryStore, NewFile, open_pool, resolve_connection
from accelerator.memory.pool import MemoryPool, connection_lost, idle_check
from accelerator.memory.transactions import pooled_transaction

THREAD = "github:acme/data#11"


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The text of every statement sent through a psycopg cursor from now on."""
    sent: list[str] = []
    original = psycopg.Cursor.execute

    def execute(cursor: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        text = query if isinstance(query, str) else query.as_string(cursor.connection)
        sent.append(" ".join(text.split()))
        return original(cursor, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", execute)
    return sent


@pytest.fixture
def one_connection_pool(module_database_url: str, schema_name: str) -> Iterator[MemoryPool]:
    source = resolve_connection(MemoryConfig(schema_name=schema_name), env={}, url=module_database_url)
    with open_pool(source, min_size=1, max_size=1, timeout=10) as pool:
        MemoryStore(pool, schema_name).migrate()
        yield pool


def _kill_idle_connection(pool: MemoryPool, admin_url: str) -> int:
    """Terminate the backend of the pool's only connection while it sits in the pool; its pid."""
    with pool.connection() as conn:
        pid = conn.info.backend_pid
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(200):  # the backend exits asynchronously
            row = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
            if row is not None and row[0] == 0:
                break
            time.sleep(0.01)
    return pid


def test_a_connection_just_used_is_handed_out_unchecked_an_idle_one_checked(
    one_connection_pool: MemoryPool,
) -> None:
    pool = one_connection_pool  # one connection: which one the pool hands out is never in question
    check = idle_check(pool)
    assert check is not None
    with pool.connection():
        pass
    before = check.checks
    for _ in range(5):
        with pool.connection() as conn:
            conn.execute("SELECT 1")
    assert check.checks == before  # busy: no round trip spent on checks

    check.idle_seconds = 0.0  # every connection counts as idle now
    with pool.connection():
        pass
    assert check.checks == before + 1

    check.idle_seconds = 3600.0
    connection_lost(pool)  # a sibling was found dead: those returned before are checked again
    with pool.connection():
        pass
    assert check.checks == before + 2
    with pool.connection():  # checked after the loss: trusted again
        pass
    assert check.checks == before + 2


def test_a_connection_that_died_in_the_pool_is_replaced_at_begin_and_for_the_thread_lock(
    one_connection_pool: MemoryPool, module_database_url: str, schema_name: str
) -> None:
    pool, store = one_connection_pool, MemoryStore(one_connection_pool, schema_name)
    store.open_conversation(THREAD, "github")

    dead = _kill_idle_connection(pool, module_database_url)
    with pooled_transaction(pool) as conn:
        assert conn.info.backend_pid != dead
        MemoryStore.in_transaction(conn, schema_name).append_message(THREAD, "user", "after", source_id="e1")

    dead = _kill_idle_connection(pool, module_database_url)
    with store.thread_lock(THREAD), psycopg.connect(module_database_url, autocommit=True) as other:
        row = other.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
            " WHERE l.locktype = 'advisory' AND d.datname = current_database()"
        ).fetchone()
        assert row is not None and row[0] == 1
    assert [m.body for m in store.messages(THREAD)] == ["after"]


def test_a_failure_inside_the_transaction_is_not_retried(
    one_connection_pool: MemoryPool, module_database_url: str, schema_name: str
) -> None:
    """Only BEGIN is retried: once statements ran, a lost connection is the caller's error (the turn
    is done again from its delivery), and nothing of it was committed."""
    pool, store = one_connection_pool, MemoryStore(one_connection_pool, schema_name)
    store.open_conversation(THREAD, "github")
    with pytest.raises(psycopg.OperationalError), pooled_transaction(pool) as conn:
        MemoryStore.in_transaction(conn, schema_name).append_message(THREAD, "user", "lost")
        with psycopg.connect(module_database_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
        conn.execute("SELECT pg_sleep(0.5)")
    assert store.messages(THREAD) == []
    store.append_message(THREAD, "user", "next")  # the pool checks, replaces, goes on
    assert [m.seq for m in store.messages(THREAD)] == [1]


def test_a_store_in_a_transaction_locks_the_conversation_once_and_holds_it(
    store: MemoryStore, pool: MemoryPool, module_database_url: str, schema_name: str, statements: list[str]
) -> None:
    store.open_conversation(THREAD, "github")
    statements.clear()
    with pooled_transaction(pool) as conn:
        bound = MemoryStore.in_transaction(conn, schema_name)
        user = bound.append_message(THREAD, "user", "rename a to b", source_id="ev:user")
        reply = bound.append_message(THREAD, "assistant", "renamed", source_id="ev:assistant")
        bound.record_files(
            THREAD, [NewFile("erd/model.dbml", "erd", "Table t {}")], turn=1, message_id=reply.id
        )
        sent = list(statements)
        with psycopg.connect(module_database_url, autocommit=True) as other:
            table = sql.Identifier(schema_name, "conversations")
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute(
                    sql.SQL("SELECT id FROM {} WHERE thread_id = %s FOR UPDATE NOWAIT").format(table),
                    (THREAD,),
                )
    conversation_reads = [s for s in sent if s.startswith("SELECT id FROM") and "conversations" in s]
    assert len(conversation_reads) == 1 and conversation_reads[0].endswith("FOR UPDATE")
    assert len(sent) == 3  # the lock, two appends; the files' INSERTs go through executemany
    assert (user.seq, reply.seq) == (1, 2)
    assert [f.turn for f in store.turn_files(THREAD)] == [1]


def test_a_store_in_a_transaction_takes_the_lock_after_reading_the_id(
    store: MemoryStore, pool: MemoryPool, schema_name: str, statements: list[str]
) -> None:
    """A read of the id (files first) does not stand for the row lock an append needs."""
    store.open_conversation(THREAD, "github")
    statements.clear()
    with pooled_transaction(pool) as conn:
        bound = MemoryStore.in_transaction(conn, schema_name)
        bound.record_files(THREAD, [NewFile("erd/model.dbml", "erd", "Table t {}")])
        bound.append_message(THREAD, "user", "hello")
        bound.append_message(THREAD, "assistant", "hi")
    reads = [s for s in statements if s.startswith("SELECT id FROM") and "conversations" in s]
    assert [s.endswith("FOR UPDATE") for s in reads] == [False, True]
    assert [m.seq for m in store.messages(THREAD)] == [1, 2]


def test_an_append_of_a_stored_source_id_returns_it_and_changes_nothing(store: MemoryStore) -> None:
    store.open_conversation(THREAD, "github")
    user = store.upsert_user(github_login="octo")
    first = store.append_message(THREAD, "user", "grant select", source_id="c-1", user_id=user.id)
    store.close_conversation(THREAD)
    again = store.append_message(THREAD, "user", "something else", source_id="c-1", user_id=user.id)
    assert again == first
    assert store.conversation(THREAD).status == "closed"  # nothing was appended: nothing reopened it
    assert [m.seq for m in store.messages(THREAD)] == [1]
