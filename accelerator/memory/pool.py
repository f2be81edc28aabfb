"""One connection pool per process, fed fresh Lakebase tokens, healing after restarts and rotations.

Every pooled connection is autocommit, `prepare_threshold=0` and `dict_row`, which is what LangGraph's
PostgresSaver requires, so the checkpointer and the store share the pool; the store opens explicit
transactions. `search_path` is `<schema>, public` so the checkpoint tables live next to ours.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from psycopg import Connection, sql
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool

from accelerator.memory.connection import ConnectionSource

logger = logging.getLogger(__name__)

# invalid_password, invalid_authorization_specification: an expired or revoked token looks like these.
AUTH_FAILURE_SQLSTATES = frozenset({"28P01", "28000"})
AUTH_FAILURE_MESSAGES = ("password authentication failed", "authentication failed", "invalid authorization")
# admin_shutdown, crash_shutdown, cannot_connect_now: the server went away or is starting up.
SERVER_GONE_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})

SET_SEARCH_PATH_SQL = "SET search_path TO {schema}, public"

MemoryPool = ConnectionPool[Connection[DictRow]]


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


def connection_class_for(source: ConnectionSource) -> type[Connection[DictRow]]:
    """A Connection whose `connect` retries once with a freshly minted token after an auth failure."""

    class TokenRefreshingConnection(Connection[DictRow]):
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
    return {**source.kwargs(), "autocommit": True, "prepare_threshold": 0, "row_factory": dict_row}


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

    def configure(conn: Connection[DictRow]) -> None:
        conn.execute(schema_sql)

    lower = source.pool_min_size if min_size is None else min_size
    upper = source.pool_max_size if max_size is None else max_size
    pool: MemoryPool = ConnectionPool(
        connection_class=connection_class_for(source),
        kwargs=lambda: pool_kwargs(source),
        min_size=lower,
        max_size=max(upper, lower),
        configure=configure,
        check=ConnectionPool.check_connection,
        max_lifetime=source.max_lifetime.total_seconds(),
        timeout=timeout,
        # Back off briefly while a server restarts, then keep trying rather than closing the pool.
        reconnect_timeout=60.0,
        name=name,
        open=True,
    )
    logger.info("memory pool open on %s", source.description)
    return pool
