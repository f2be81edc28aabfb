"""A turn's fixed costs: one compiled graph per process shared by every session (and thread), the
statements a warm turn sends, and a turn on connections that died while the pool held them."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from accelerator.agent.session import ConversationSession
from accelerator.memory import MemoryStore, open_pool, resolve_connection
from accelerator.memory.pool import MemoryPool, idle_check
from tests.agent.test_graph import initial_state, start_conversation


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement sent through a psycopg cursor from now on (the pool's check is one: "")."""
    sent: list[str] = []
    for name in ("execute", "executemany"):
        original = getattr(psycopg.Cursor, name)

        def counted(cursor: Any, query: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            text = query if isinstance(query, str) else query.as_string(cursor.connection)
            sent.append(" ".join(text.split()))
            return _original(cursor, query, *args, **kwargs)

        monkeypatch.setattr(psycopg.Cursor, name, counted)
    return sent


@pytest.fixture
def two_connection_pool(database_url: str) -> Iterator[MemoryPool]:
    """Two connections: the thread's lock holds one, the turn's transaction uses the other."""
    pool = open_pool(resolve_connection(url=database_url, env={}), min_size=2, max_size=2, timeout=10)
    MemoryStore(pool).migrate()
    try:
        yield pool
    finally:
        pool.close()


def test_sessions_share_one_compiled_graph(two_connection_pool: MemoryPool) -> None:
    first = ConversationSession(two_connection_pool, "a")
    second = ConversationSession(two_connection_pool, "b", channel="github", terraform=True)
    assert first.graph is second.graph


def test_turns_of_two_threads_run_at_once_on_the_shared_graph(database_url: str) -> None:
    pool = open_pool(resolve_connection(url=database_url, env={}), min_size=2, max_size=6, timeout=30)
    try:
        MemoryStore(pool).migrate()
        conversations = [start_conversation(pool, f"test:thread-{n}") for n in range(2)]
        start = threading.Barrier(2)
        replies: dict[int, list[str]] = {0: [], 1: []}
        errors: list[BaseException] = []

        def talk(n: int) -> None:
            start.wait()
            try:
                for column, name in (("email", f"mail_{n}"), ("phone", f"phone_{n}")):
                    result = conversations[n].say(
                        f"rename column crm.customers.{column} to {name}", event=f"t{n}:{column}"
                    )
                    assert result.state["outcome"] == "applied", result.reply
                    replies[n].append(result.reply)
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=talk, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        for n, conversation in enumerate(conversations):
            state = conversation.session.state()
            assert state is not None
            erd = state["sources"]["erd/retail.dbml"]
            assert f"mail_{n}" in erd and f"phone_{n}" in erd and f"mail_{1 - n}" not in erd
            other = (f"mail_{1 - n}", f"phone_{1 - n}")
            assert not any(name in reply for reply in replies[n] for name in other)
            assert f"mail_{n}" in replies[n][0] and f"phone_{n}" in replies[n][1]
    finally:
        pool.close()


def test_a_warm_turn_sends_no_check_and_reads_the_conversation_once(
    two_connection_pool: MemoryPool, statements: list[str]
) -> None:
    conversation = start_conversation(two_connection_pool)
    conversation.say("rename column crm.customers.email to email_address")  # warm
    statements.clear()
    result = conversation.say("rename column crm.customers.phone to phone_number")
    assert result.state["outcome"] == "applied"
    assert "" not in statements  # no pool check: the connections were used just now
    conversation_reads = [s for s in statements if "conversations WHERE thread_id" in s]
    assert len(conversation_reads) == 1 and conversation_reads[0].endswith("FOR UPDATE")
    assert not any(s.startswith("SELECT * FROM") and "source_id" in s for s in statements)
    # lock, stored reply, checkpoint read, conversation lock, two messages, files, three checkpoint
    # writes, unlock
    assert len(statements) <= 11, statements


def test_a_turn_on_connections_that_died_in_the_pool_runs_once(
    two_connection_pool: MemoryPool, database_url: str
) -> None:
    pool = two_connection_pool
    conversation = start_conversation(pool)
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        for _ in range(500):  # backends exit asynchronously
            row = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            ).fetchone()
            if row is not None and row[0] == 0:
                break
            time.sleep(0.01)
    check = idle_check(pool)
    assert check is not None
    checks = check.checks
    result = conversation.say("rename column crm.customers.email to email_address")
    assert result.state["outcome"] == "applied", result.reply
    assert check.checks > checks  # after the first dead one, the pool checked the other
    with conversation.session.lock():
        again = conversation.session.turn({"event": f"test:{conversation.counter}", "text": "x"})
    assert again.duplicate and again.reply == result.reply
    messages = [m.body for m in MemoryStore(pool).messages("test:thread")]
    assert messages.count(result.reply) == 1


def test_under_the_lock_the_state_is_read_once_and_is_what_the_memory_holds(
    two_connection_pool: MemoryPool, statements: list[str]
) -> None:
    pool = two_connection_pool
    session = ConversationSession(pool, "test:known")
    session.open()
    with session.lock():
        assert session.state() is None
        opened = session.start(initial_state("test:known"))
        statements.clear()
        after_opening = session.state()
        assert statements == []  # known: this session committed it under the lock
        assert after_opening == ConversationSession(pool, "test:known").state()  # as a fresh read
        result = session.turn({"event": "k:1", "text": "rename column crm.customers.email to mail"})
        assert result.state["outcome"] == "applied"
        statements.clear()
        after_turn = session.state()
        assert statements == []
        assert after_turn == ConversationSession(pool, "test:known").state()
        assert after_turn is not None and after_turn != after_opening
        assert "mail" in after_turn["sources"]["erd/retail.dbml"]
        again = session.turn({"event": "k:1", "text": "rename column crm.customers.email to mail"})
        assert again.duplicate and again.state == after_turn
    assert opened.state["outcome"] == "opened"
    # Without the lock, another process may have changed it: read every time.
    statements.clear()
    assert session.state() == after_turn
    assert statements != []


def test_a_turn_that_fails_forgets_the_state(two_connection_pool: MemoryPool) -> None:
    conversation = start_conversation(two_connection_pool, "test:fails")
    session = conversation.session
    with session.lock():
        before = session.state()
        with pytest.raises(KeyError):
            session.turn({"text": "no event"})  # type: ignore[typeddict-item]
        assert session._known is None
        assert session.state() == before  # read again: the memory is as it was
