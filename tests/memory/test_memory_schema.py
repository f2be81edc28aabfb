"""Migrations are idempotent and safe when several processes start at once; thread locks serialize turns."""

from __future__ import annotations

import threading

import psycopg

from accelerator.memory import MemoryConfig, MemoryStore, doctor, open_pool, resolve_connection
from accelerator.memory.pool import MemoryPool
from accelerator.memory.schema import LATEST_VERSION


def test_migrate_is_idempotent(pool: MemoryPool, schema_name: str) -> None:
    store = MemoryStore(pool, schema_name)
    assert store.schema_version() == 0
    assert store.migrate() == LATEST_VERSION
    assert store.migrate() == LATEST_VERSION
    assert store.schema_version() == LATEST_VERSION
    with pool.connection() as conn:
        rows = conn.execute("SELECT count(*) AS n FROM schema_version").fetchone()
    assert rows == {"n": 1}


def test_concurrent_migrations_apply_each_migration_once(module_database_url: str, schema_name: str) -> None:
    # Separate pools stand in for separate processes starting together.
    config = MemoryConfig(schema_name=schema_name)
    sources = [resolve_connection(config, env={}, url=module_database_url) for _ in range(3)]
    pools = [open_pool(source, min_size=1, max_size=2) for source in sources]
    start = threading.Barrier(len(pools))
    results: list[int] = []
    errors: list[BaseException] = []

    def run(pool: MemoryPool) -> None:
        start.wait()
        try:
            results.append(MemoryStore(pool, schema_name).migrate())
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(pool,)) for pool in pools]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for pool in pools:
            pool.close()
    assert errors == []
    assert results == [LATEST_VERSION] * 3


def test_the_default_schema_is_accelerator(database_url: str) -> None:
    source = resolve_connection(url=database_url, env={})
    with open_pool(source, min_size=1, max_size=2) as pool:
        store = MemoryStore(pool)
        store.migrate()
        store.open_conversation("t", "cli")
        with pool.connection() as conn:
            row = conn.execute("SELECT count(*) AS n FROM accelerator.conversations").fetchone()
        assert row == {"n": 1}


def test_thread_lock_makes_the_second_holder_wait(store: MemoryStore) -> None:
    first_holds = threading.Event()
    first_may_release = threading.Event()
    second_acquired = threading.Event()
    order: list[str] = []

    def first() -> None:
        with store.thread_lock("github:acme/data#7"):
            order.append("first in")
            first_holds.set()
            first_may_release.wait(10)
            order.append("first out")

    def second() -> None:
        first_holds.wait(10)
        with store.thread_lock("github:acme/data#7"):
            order.append("second in")
            second_acquired.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_holds.wait(10)
    # While the first holds the lock, the second is blocked inside pg_advisory_lock ...
    assert _waits_on_advisory_lock(store) and not second_acquired.is_set()
    # ... while another thread's lock is free.
    with store.thread_lock("github:acme/data#8"):
        pass
    first_may_release.set()
    assert second_acquired.wait(10)
    for thread in threads:
        thread.join()
    assert order == ["first in", "first out", "second in"]


def _waits_on_advisory_lock(store: MemoryStore) -> bool:
    """Poll pg_locks until a backend of this database waits for an advisory lock (bounded, no sleeps asserted)."""
    for _ in range(200):
        with store.pool.connection() as conn:
            row = conn.execute(
                "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ).fetchone()
        if row and row["n"] >= 1:
            return True
        threading.Event().wait(0.05)
    return False


def test_doctor_reports_mode_version_and_no_password(module_database_url: str, schema_name: str) -> None:
    url_with_password = module_database_url + " password=s3cr3t-do-not-print"
    source = resolve_connection(MemoryConfig(schema_name=schema_name), env={}, url=url_with_password)
    with open_pool(source, min_size=1, max_size=2) as pool:
        store = MemoryStore(pool, schema_name)
        store.migrate()
        report = doctor(source, store)
    assert report["reachable"] is True
    assert report["auth_mode"] == "url" and report["schema_version"] == LATEST_VERSION
    assert report["migrations_pending"] == 0
    assert "s3cr3t" not in repr(report)


def test_doctor_reports_an_unreachable_server_without_raising() -> None:
    source = resolve_connection(url="postgresql://nobody:pw-xyz@127.0.0.1:1/none?connect_timeout=1", env={})
    with open_pool(source, min_size=0, max_size=1, timeout=1) as pool:
        report = doctor(source, MemoryStore(pool))
    assert report["reachable"] is False and "error" in report
    assert "pw-xyz" not in repr(report)


def test_psycopg_refuses_a_role_outside_the_check_constraint(store: MemoryStore) -> None:
    store.open_conversation("t", "cli")
    with store.pool.connection() as conn:
        try:
            conn.execute(
                "INSERT INTO messages (conversation_id, seq, role, body)"
                " SELECT id, 99, 'robot', 'x' FROM conversations"
            )
        except psycopg.errors.CheckViolation:
            return
    raise AssertionError("the role CHECK constraint did not fire")
