"""The memory inspected, as `accelerator memory doctor|show` print it: plain dicts, ready for JSON or a
rich table. `doctor`: how we connect and whether the schema is current; `transcript`: who said what."""

from __future__ import annotations

from typing import Any

import psycopg

from accelerator.memory.connection import ConnectionSource
from accelerator.memory.schema import LATEST_VERSION
from accelerator.memory.store import MemoryStore

SERVER_VERSION_SQL = "SELECT current_setting('server_version') AS version, current_user AS login"


def doctor(source: ConnectionSource, store: MemoryStore) -> dict[str, Any]:
    """Auth mode, where we connect, as whom, token expiry, reachability and schema version. Never a password."""
    settings = source.settings
    report: dict[str, Any] = {
        "auth_mode": str(source.mode),
        "host": settings.get("host"),
        "port": settings.get("port"),
        "database": settings.get("dbname"),
        "user": settings.get("user"),
        "sslmode": settings.get("sslmode"),
        "schema": store.schema,
        "latest_schema_version": LATEST_VERSION,
        "reachable": False,
    }
    try:
        with store.pool.connection() as conn:
            row = conn.execute(SERVER_VERSION_SQL).fetchone()
        report["server_version"] = row["version"] if row else None
        report["logged_in_as"] = row["login"] if row else None
        report["schema_version"] = store.schema_version()
        report["reachable"] = True
    except (psycopg.Error, TimeoutError) as error:
        # psycopg_pool's PoolTimeout is a psycopg.OperationalError; messages carry no password.
        report["error"] = f"{type(error).__name__}: {error}"
    expires_at = source.token_expires_at
    report["token_expires_at"] = expires_at.isoformat() if expires_at else None
    report["migrations_pending"] = (
        max(LATEST_VERSION - report["schema_version"], 0) if "schema_version" in report else None
    )
    return report


def transcript(store: MemoryStore, thread_id: str) -> list[dict[str, Any]]:
    """The conversation's messages in order, with who said them and in which turn; raises
    ConversationNotFoundError for an unknown thread."""
    store.conversation(thread_id)
    return [
        {
            "seq": entry.seq,
            "turn": entry.turn,
            "role": str(entry.role),
            "author": entry.author,
            "user_id": entry.user_id,
            "display_name": entry.display_name,
            "body": entry.body,
            "payload": entry.payload,
            "source_id": entry.source_id,
            "source": entry.source,
            "commit_sha": entry.commit_sha,
            "created_at": entry.created_at.isoformat(),
        }
        for entry in store.transcript(thread_id)
    ]
