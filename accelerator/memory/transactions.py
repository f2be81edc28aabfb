"""How `MemoryStore` talks to PostgreSQL: one transaction per call on a pooled connection, retried once on
a fresh connection if the first one was lost (server restart, failover)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from psycopg import Connection, sql
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow

from accelerator.errors import ConversationNotFoundError
from accelerator.memory import schema as memory_schema
from accelerator.memory.pool import MemoryPool, is_connection_lost

logger = logging.getLogger(__name__)
T = TypeVar("T")

SELECT_CONVERSATION_ID_SQL = "SELECT id FROM {schema}.conversations WHERE thread_id = %(thread_id)s"


class Transactions:
    """The pool and schema of a store, and how its methods run their SQL."""

    def __init__(self, pool: MemoryPool, schema: str = "accelerator") -> None:
        self.pool = pool
        self.schema = schema

    def _sql(self, statement: str) -> sql.Composed:
        return memory_schema.compose(statement, self.schema)

    def _fetch_one(
        self, conn: Connection[DictRow], statement: str, params: dict[str, Any]
    ) -> dict[str, Any] | None:
        return conn.execute(self._sql(statement), params).fetchone()

    def _all(self, statement: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self._run(lambda conn: conn.execute(self._sql(statement), params).fetchall())

    def _one(self, statement: str, params: dict[str, Any]) -> dict[str, Any]:
        row = self._run(lambda conn: self._fetch_one(conn, statement, params))
        assert row is not None  # only used for INSERT .. RETURNING, which always returns a row
        return row

    def _run(self, work: Callable[[Connection[DictRow]], T], *, transaction: bool = True) -> T:
        """Run `work` in one transaction; once more on a fresh connection if the first one was lost."""
        for attempt in (1, 2):
            try:
                with self.pool.connection() as conn:
                    # Inside the caller's transaction (a conversation turn's): a savepoint would only
                    # cost two round trips, since an error aborts that transaction anyway.
                    if not transaction or conn.info.transaction_status == TransactionStatus.INTRANS:
                        return work(conn)
                    with conn.transaction():
                        return work(conn)
            except psycopg.OperationalError as error:
                if attempt == 2 or not is_connection_lost(error):
                    raise
                logger.warning("memory database connection lost (%s); retrying once", type(error).__name__)
        raise AssertionError("unreachable")

    def _conversation_id(self, conn: Connection[DictRow], thread_id: str) -> int:
        found = self._fetch_one(conn, SELECT_CONVERSATION_ID_SQL, {"thread_id": thread_id})
        if found is None:
            raise not_found(thread_id)
        return int(found["id"])


def not_found(thread_id: str) -> ConversationNotFoundError:
    return ConversationNotFoundError(
        f"no conversation for thread {thread_id!r}",
        hint="list the stored threads with `accelerator memory show` or open the conversation first",
    )
