"""One connection pool per process, fed fresh Lakebase tokens, healing after restarts and rotations.

The pool checks a connection before handing it out (a round trip) only if it has been idle for a while
or was returned before a connection of the pool was found lost (`IdleCheck`): a busy process spends no
round trip on it, and a dead connection handed out unchecked fails its first statement, which the
memory retries once on a fresh connection (transactions.py, and the turn's `BEGIN` in session.py).

Every pooled connection is autocommit, `prepare_threshold=0` and `dict_row`, which is what LangGraph's
PostgresSaver requires, so the checkpointer and the store share the pool; the store opens explicit
transactions. `search_path` is `<schema>, public` so the checkpoint tables live next to ours.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import weakref
from typing import Any

import psycopg
from psycopg import Connection, pq, sql
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool

from accelerator.errors import DatabaseConfigError
from accelerator.memory.connection import ConnectionSource

logger = logging.getLogger(__name__)

# invalid_password, invalid_authorization_specification: an expired or revoked token looks like these.
AUTH_FAILURE_SQLSTATES = frozenset({"28P01", "28000"})
AUTH_FAILURE_MESSAGES = ("password authentication failed", "authentication failed", "invalid authorization")
# admin_shutdown, crash_shutdown, cannot_connect_now: the server went away or is starting up.
SERVER_GONE_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})

# libpq waits forever for an unreachable host unless told; a source may set its own connect_timeout.
CONNECT_TIMEOUT_SECONDS = 5
# too_many_connections and cannot_connect_now pass by themselves: worth a retry, unlike a wrong host.
RETRYABLE_CONNECT_SQLSTATES = frozenset({"53300", "57P03"})
RETRYABLE_CONNECT_MESSAGES = ("the database system is starting up", "too many clients")
CONNECT_RETRY_DELAYS = (0.5, 1.5)

SET_SEARCH_PATH_SQL = "SET search_path TO {schema}, public"

# A connection handed out less than this ago (and back in the pool) is handed out again without a check:
# a server that went away since shows as its first statement failing, retried on a fresh connection.
# Connections unused for longer are checked: a proxy or the server may drop idle sessions.
CHECK_IDLE_SECONDS = 5.0

MemoryPool = ConnectionPool[Connection[DictRow]]


class PooledConnection(Connection[DictRow]):
    """A pool's connection, knowing when the pool last handed it out (or made it)."""

    used_at: float = -math.inf


class IdleCheck:
    """The pool's `check`: `ConnectionPool.check_connection` (an empty query, a round trip) only for a
    connection last handed out `idle_seconds` ago or more, or before `lost()` (a connection of the
    pool was found dead: its siblings may be too, after a server restart).

    It is the pool's `check`, not its `reset`: a pool with a `reset` returns connections through its
    worker thread, so a connection just returned would not be in the pool for the next request."""

    def __init__(self, idle_seconds: float = CHECK_IDLE_SECONDS) -> None:
        self.idle_seconds = idle_seconds
        self.lost_at = -math.inf
        self.checks = 0  # round trips spent checking (for tests and benchmarks)

    def __call__(self, conn: Connection[DictRow]) -> None:
        now = time.monotonic()
        used = conn.used_at if isinstance(conn, PooledConnection) else -math.inf
        if not (
            now - used < self.idle_seconds and used > self.lost_at and conn.pgconn.status == pq.ConnStatus.OK
        ):
            self.checks += 1
            ConnectionPool.check_connection(conn)  # raises for a dead one: the pool replaces it
        self.used(conn, now)

    @staticmethod
    def used(conn: Connection[DictRow], now: float | None = None) -> None:
        if isinstance(conn, PooledConnection):
            conn.used_at = time.monotonic() if now is None else now

    def lost(self) -> None:
        self.lost_at = time.monotonic()


# The IdleCheck of each pool open_pool made (weak keys: a later pool may reuse a closed pool's id).
_checks: weakref.WeakKeyDictionary[Any, IdleCheck] = weakref.WeakKeyDictionary()
_checks_lock = threading.Lock()


def connection_lost(pool: Any) -> None:
    """Tell `pool` one of its connections died: it checks every connection returned before now
    before handing it out again. A pool not made by `open_pool` is left as it is."""
    with _checks_lock:
        check = _checks.get(pool)
    if check is not None:
        check.lost()


def idle_check(pool: Any) -> IdleCheck | None:
    with _checks_lock:
        return _checks.get(pool)


def is_auth_failure(error: psycopg.Error) -> bool:
    if error.sqlstate in AUTH_FAILURE_SQLSTATES:
        return True
    # libpq reports a failed login before any result exists, so the SQLSTATE may be missing.
    text = str(error).lower()
    return error.sqlstate is None and any(marker in text for marker in AUTH_FAILURE_MESSAGES)


def is_connection_lost(error: psycopg.Error) -> bool:
    """True for failures where the statement never ran to completion on a live server."""
    if not isinstance(error, psycopg.OperationalError) or is_auth_failure(error):
        return False
    state = error.sqlstate
    return state is None or state.startswith("08") or state in SERVER_GONE_SQLSTATES


def connection_class_for(source: ConnectionSource) -> type[PooledConnection]:
    """A Connection whose `connect` retries once with a freshly minted token after an auth failure."""

    class TokenRefreshingConnection(PooledConnection):
        @classmethod
        def connect(cls, conninfo: str = "", **kwargs: Any) -> TokenRefreshingConnection:
            try:
                return super().connect(conninfo, **kwargs)
            except psycopg.OperationalError as error:
                if not (source.rotates_credentials and is_auth_failure(error)):
                    raise
                logger.warning("login refused for %s; retrying once with a new token", source.description)
                source.invalidate()
                fresh = {**kwargs, **source.kwargs()}
                return super().connect(conninfo, **fresh)

    return TokenRefreshingConnection


def pool_kwargs(source: ConnectionSource) -> dict[str, Any]:
    return {
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        **source.kwargs(),
        "autocommit": True,
        "prepare_threshold": 0,
        "row_factory": dict_row,
    }


def check_connection(source: ConnectionSource) -> None:
    """Connect once, fast, before a pool is opened: a wrong URL, host, port or login is one clear
    `DatabaseConfigError` in seconds, instead of a pool that keeps reconnecting. Retried only for
    a server that is starting up or full."""
    delays = iter(CONNECT_RETRY_DELAYS)
    while True:
        try:
            connection_class_for(source).connect(**pool_kwargs(source)).close()
            return
        except psycopg.OperationalError as error:
            delay = next(delays, None) if _retryable(error) else None
            if delay is None:
                raise unreachable(source, error) from None
            time.sleep(delay)


def _retryable(error: psycopg.Error) -> bool:
    text = str(error).lower()
    return error.sqlstate in RETRYABLE_CONNECT_SQLSTATES or any(m in text for m in RETRYABLE_CONNECT_MESSAGES)


def unreachable(source: ConnectionSource, error: BaseException) -> DatabaseConfigError:
    """The one-line error for a memory database that cannot be reached (never with the password)."""
    reason = " ".join(str(error).split()) or type(error).__name__
    answered = isinstance(error, psycopg.Error) and (is_auth_failure(error) or "FATAL:" in reason)
    what = (
        "the login (user, password or token) and the database name"
        if answered  # the server is there and refused the session
        else "that PostgreSQL runs there and accepts connections (host, port, firewall, sslmode)"
    )
    return DatabaseConfigError(
        f"cannot connect to the memory database {source.description}: {reason}",
        hint=f"check {what}; the URL comes from --database-url, accelerator.yaml's memory: or DATABASE_URL",
    )


def open_pool(
    source: ConnectionSource,
    *,
    min_size: int | None = None,
    max_size: int | None = None,
    name: str = "accelerator-memory",
    timeout: float = 30.0,
) -> MemoryPool:
    """Open the process's pool. Connections are made in the background; the first use waits for one."""
    schema_sql = sql.SQL(SET_SEARCH_PATH_SQL).format(schema=sql.Identifier(source.schema))

    check = IdleCheck()

    def configure(conn: Connection[DictRow]) -> None:
        conn.execute(schema_sql)
        check.used(conn)  # it just answered

    lower = source.pool_min_size if min_size is None else min_size
    upper = source.pool_max_size if max_size is None else max_size
    pool: MemoryPool = ConnectionPool(
        connection_class=connection_class_for(source),
        kwargs=lambda: pool_kwargs(source),
        min_size=lower,
        max_size=max(upper, lower),
        configure=configure,
        check=check,
        max_lifetime=source.max_lifetime.total_seconds(),
        timeout=timeout,
        # Back off briefly while a server restarts, then keep trying rather than closing the pool.
        reconnect_timeout=60.0,
        name=name,
        open=True,
    )
    with _checks_lock:
        _checks[pool] = check
    logger.info("memory pool open on %s", source.description)
    return pool
