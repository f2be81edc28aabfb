"""How `MemoryStore` talks to PostgreSQL: one transaction per call on a pooled connection, retried once on
a fresh connection if the first one was lost (server restart, failover)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any, TypeVar

import psycopg
from psycopg import Connection, sql
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow

from accelerator.errors import ConversationNotFoundError
from accelerator.memory import schema as memory_schema
from accelerator.memory.pool import MemoryPool, connection_lost, is_connection_lost

logger = logging.getLogger(__name__)
T = TypeVar("T")

SELECT_CONVERSATION_ID_SQL = "SELECT id FROM {schema}.conversations WHERE thread_id = %(thread_id)s"
LOCK_CONVERSATION_SQL = "SELECT id FROM {schema}.conversations WHERE thread_id = %(thread_id)s FOR UPDATE"


class OneConnection:
    """A pool that always hands out the same connection: a store on it runs in that connection's
    transaction (see `MemoryStore.in_transaction`)."""

    def __init__(self, conn: Connection[DictRow]) -> None:
        self.conn = conn

    @contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[Connection[DictRow]]:
        yield self.conn


class Transactions:
    """The pool and schema of a store, and how its methods run their SQL."""

    def __init__(self, pool: MemoryPool, schema: str = "accelerator") -> None:
        self.pool = pool
        self.schema = schema
        # Bound to one transaction (`in_transaction`): the ids of the conversations it has read, and
        # of those it has locked FOR UPDATE, which stay locked until that transaction ends. None: each
        # call is its own transaction, nothing is kept between calls.
        self._ids: dict[str, int] | None = None
        self._locked: set[str] = set()

    def _sql(self, statement: str) -> sql.Composed:
        return memory_schema.compose(statement, self.schema)

    def _fetch_one(
        self, conn: Connection[DictRow], statement: str, params: dict[str, Any]
    ) -> dict[str, Any] | None:
        return conn.execute(self._sql(statement), params).fetchone()

    # One statement is atomic by itself: on an autocommit connection it needs no BEGIN and COMMIT, two
    # round trips of the three an explicit transaction costs.

    def _all(self, statement: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self._run(
            lambda conn: conn.execute(self._sql(statement), params).fetchall(), transaction=False
        )

    def _single(self, statement: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """The first row of one statement, run on its own (or in the caller's transaction)."""
        return self._run(lambda conn: self._fetch_one(conn, statement, params), transaction=False)

    def _one(self, statement: str, params: dict[str, Any]) -> dict[str, Any]:
        row = self._single(statement, params)
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
                if not is_connection_lost(error):
                    raise
                connection_lost(self.pool)  # the pool checks its other connections before handing them out
                if attempt == 2:
                    raise
                logger.warning("memory database connection lost (%s); retrying once", type(error).__name__)
        raise AssertionError("unreachable")

    def _conversation_id(self, conn: Connection[DictRow], thread_id: str, *, lock: bool = False) -> int:
        """The conversation's id; `lock`: with its row locked FOR UPDATE until the transaction ends.
        A store bound to one transaction asks the database once per conversation (and lock)."""
        bound = self._ids is not None and conn.info.transaction_status == TransactionStatus.INTRANS
        if (
            bound
            and self._ids is not None
            and thread_id in self._ids
            and (thread_id in self._locked or not lock)
        ):
            return self._ids[thread_id]
        statement = LOCK_CONVERSATION_SQL if lock else SELECT_CONVERSATION_ID_SQL
        found = self._fetch_one(conn, statement, {"thread_id": thread_id})
        if found is None:
            raise not_found(thread_id)
        if bound and self._ids is not None:
            self._ids[thread_id] = int(found["id"])
            if lock:
                self._locked.add(thread_id)
        return int(found["id"])


@contextmanager
def pooled_transaction(pool: MemoryPool) -> Iterator[Connection[DictRow]]:
    """A pooled connection in an open transaction, committed when the block ends (rolled back if it
    raises). A connection found dead at BEGIN (nothing done yet: the pool hands out recently used
    connections unchecked) is replaced once; one lost later is the caller's error, and the pool
    checks the others before handing them out."""
    for attempt in (1, 2):
        with ExitStack() as stack:
            conn = stack.enter_context(pool.connection())
            try:
                stack.enter_context(conn.transaction())
            except psycopg.OperationalError as error:
                if not is_connection_lost(error):
                    raise
                connection_lost(pool)
                if attempt == 2:
                    raise
                logger.warning("memory database connection lost (%s); retrying once", type(error).__name__)
                continue
            try:
                yield conn
            except psycopg.OperationalError as error:
                if is_connection_lost(error):
                    connection_lost(pool)
                raise
            return
    raise AssertionError("unreachable")


def not_found(thread_id: str) -> ConversationNotFoundError:
    return ConversationNotFoundError(
        f"no conversation for thread {thread_id!r}",
        hint="list the stored threads with `accelerator memory show` or open the conversation first",
    )
