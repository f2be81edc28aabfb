"""LangGraph's PostgresSaver on the memory pool, with its tables in the memory schema.

Why the memory schema and not `public`: one schema to grant, back up and drop; `prune` deletes a
thread's checkpoints next to its messages; and since PostgreSQL 15 ordinary roles (such as a Lakebase
OAuth identity) may not create tables in `public`. PostgresSaver uses unqualified table names, so the
pool's `search_path` (`<schema>, public`, set by `open_pool`) puts them there.
"""

from __future__ import annotations

import threading
import time
import weakref

from langgraph.checkpoint.postgres import PostgresSaver
from psycopg import Connection
from psycopg.rows import DictRow

from accelerator.errors import DatabaseConfigError
from accelerator.memory.pool import MemoryPool
from accelerator.memory.schema import CREATE_SCHEMA_SQL, compose

SETUP_TRY_LOCK_SQL = "SELECT pg_try_advisory_lock(hashtextextended(%s, 0)) AS locked"
SETUP_UNLOCK_SQL = "SELECT pg_advisory_unlock(hashtextextended(%s, 0))"
CURRENT_SCHEMA_SQL = "SELECT current_schema() AS name"
SETUP_LOCK_TIMEOUT_S = 60.0

# Weak keys, not id(pool): a later pool (another database) may reuse a closed pool's id.
_set_up: weakref.WeakKeyDictionary[MemoryPool, set[str]] = weakref.WeakKeyDictionary()
_set_up_lock = threading.Lock()


def checkpointer(pool: MemoryPool, schema: str = "accelerator") -> PostgresSaver:
    """A PostgresSaver sharing `pool`; its `setup()` runs once per process and pool, serialized across processes."""
    create_checkpoint_tables(pool, schema)
    return PostgresSaver(pool)


def create_checkpoint_tables(pool: MemoryPool, schema: str = "accelerator") -> None:
    """LangGraph's `setup()` (its tables and its own migrations), once per process and pool. Their
    storage settings are a migration of ours (schema.py), applied by `MemoryStore.migrate` after this."""
    with _set_up_lock:
        schemas = _set_up.setdefault(pool, set())
        if schema not in schemas:
            _setup(pool, schema)
            schemas.add(schema)


def _setup(pool: MemoryPool, schema: str) -> None:
    lock_name = f"accelerator.checkpoints:{schema}"
    # One autocommit connection for all of it: setup() runs CREATE INDEX CONCURRENTLY, which cannot
    # run inside a transaction, so the cross-process lock is a session lock on that same connection.
    with pool.connection() as conn:
        # Polled, not waited on: a waiting pg_advisory_lock is a transaction, and CREATE INDEX
        # CONCURRENTLY in the holder waits for every transaction to end, a deadlock between them.
        deadline = time.monotonic() + SETUP_LOCK_TIMEOUT_S
        while not _fetch_locked(conn, lock_name):
            if time.monotonic() > deadline:
                raise DatabaseConfigError(
                    f"another process has held the checkpoint setup lock {lock_name!r} for "
                    f"{SETUP_LOCK_TIMEOUT_S:.0f} s",
                    hint="see pg_stat_activity for a stuck `accelerator` process, end it, and retry",
                )
            time.sleep(0.05)
        try:
            conn.execute(compose(CREATE_SCHEMA_SQL, schema))
            row = conn.execute(CURRENT_SCHEMA_SQL).fetchone()
            if row is None or row["name"] != schema:
                raise DatabaseConfigError(
                    f"checkpoint tables would land in schema {row and row['name']!r}, not {schema!r}",
                    hint="create the pool with accelerator.memory.open_pool, which sets the search_path",
                )
            PostgresSaver(conn).setup()
        finally:
            if not conn.closed:
                conn.execute(SETUP_UNLOCK_SQL, (lock_name,))


def _fetch_locked(conn: Connection[DictRow], lock_name: str) -> bool:
    row = conn.execute(SETUP_TRY_LOCK_SQL, (lock_name,)).fetchone()
    return bool(row and row["locked"])
