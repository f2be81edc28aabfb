"""The demo's database: an embedded PostgreSQL (pgserver) in a local directory, started on first use.

pgserver refuses nothing as root: it creates a `pgserver` system user (useradd) and runs postgres as that
user, widening read/traverse permissions on the directory's parents so that user can reach it. The server
listens on a Unix socket inside the directory only, with trust authentication, and stops when the last
process using it exits.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from psycopg.conninfo import conninfo_to_dict

from accelerator.errors import DatabaseConfigError

_servers: dict[Path, Any] = {}
_lock = threading.Lock()


def embedded_server_uri(directory: Path) -> str:
    """Start (once per process and directory) the embedded server and return its connection URI."""
    resolved = directory.expanduser().resolve()
    with _lock:
        if resolved not in _servers:
            _servers[resolved] = _start(resolved)
        return str(_servers[resolved].get_uri())


def stop_embedded(directory: Path) -> None:
    """Stop the server this process started in `directory` (it also stops when the process exits)."""
    with _lock:
        server = _servers.pop(directory.expanduser().resolve(), None)
    if server is not None:
        server.cleanup()


def embedded_kwargs(directory: Path) -> dict[str, Any]:
    return dict(conninfo_to_dict(embedded_server_uri(directory)))


def _start(directory: Path) -> Any:
    from pgserver.postgres_server import get_server

    directory.mkdir(parents=True, exist_ok=True)
    try:
        server = get_server(directory, cleanup_mode="stop")
    except Exception as error:  # pgserver raises plain exceptions from initdb/pg_ctl
        raise DatabaseConfigError(
            f"cannot start the embedded PostgreSQL in {directory}: {error}",
            hint="set DATABASE_URL to a PostgreSQL you run, or check the server log in that directory",
        ) from error
    return server
