"""Real password checks and restarts, on a private PostgreSQL cluster (never the machine's shared server)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from psycopg import Connection
from psycopg.rows import DictRow
from pydantic import SecretStr

from accelerator.memory import (
    AuthMode,
    CachedCredential,
    ConnectionSource,
    Credential,
    MemoryStore,
    open_pool,
)
from accelerator.memory.credentials import utc_now
from accelerator.memory.pool import is_auth_failure

from .conftest import PrivateCluster


class RotatingToken:
    """A stand-in for Lakebase's credential API: hands out the current token with a short expiry."""

    def __init__(self, token: str, lifetime: timedelta) -> None:
        self.token = token
        self.lifetime = lifetime
        self.minted = 0
        self._lock = threading.Lock()

    def __call__(self) -> Credential:
        with self._lock:
            self.minted += 1
            return Credential(SecretStr(self.token), expires_at=utc_now() + self.lifetime)

    def rotate(self, cluster: PrivateCluster, token: str) -> None:
        """Revoke the old token on the server and hand out the new one from now on, atomically."""
        with self._lock:
            cluster.set_password(token)
            self.token = token


def _source(cluster: PrivateCluster, provider: RotatingToken, **overrides: Any) -> ConnectionSource:
    settings = {"host": "127.0.0.1", "port": cluster.port, "dbname": "lakebase", "user": "lakebase_app"}
    return ConnectionSource(
        AuthMode.LAKEBASE_PROVISIONED,
        settings=settings,
        credentials=CachedCredential(provider),
        schema="accelerator",
        **overrides,
    )


def test_the_cluster_checks_passwords_and_reports_auth_failures(private_cluster: PrivateCluster) -> None:
    private_cluster.set_password("right")
    with pytest.raises(psycopg.OperationalError) as raised:
        psycopg.connect(
            host="127.0.0.1",
            port=private_cluster.port,
            dbname="lakebase",
            user="lakebase_app",
            password="wrong",
        )
    assert is_auth_failure(raised.value)
    assert "wrong" not in str(raised.value)


def test_a_rejected_token_is_replaced_once_and_the_connection_succeeds(
    private_cluster: PrivateCluster, caplog: pytest.LogCaptureFixture
) -> None:
    private_cluster.set_password("token-a")
    provider = RotatingToken("token-a", lifetime=timedelta(hours=1))
    source = _source(private_cluster, provider)
    source.kwargs()  # token-a is cached for an hour ...
    private_cluster.set_password("token-b")  # ... but the server revoked it
    provider.token = "token-b"
    with (
        caplog.at_level(logging.WARNING),
        open_pool(source, min_size=0, max_size=1, timeout=10) as pool,
        pool.connection() as conn,
    ):
        row = conn.execute("SELECT current_user AS who").fetchone()
    assert row == {"who": "lakebase_app"}
    assert provider.minted == 2
    assert "retrying once with a new token" in caplog.text
    assert "token-a" not in caplog.text and "token-b" not in caplog.text


def test_rotating_the_password_while_the_pool_is_busy_fails_no_operation(
    private_cluster: PrivateCluster,
) -> None:
    private_cluster.set_password("token-0")
    # A token that is always inside the 2-minute margin: every new connection mints one.
    provider = RotatingToken("token-0", lifetime=timedelta(seconds=1))
    source = _source(private_cluster, provider, max_lifetime=timedelta(seconds=0.2))
    pool = open_pool(source, min_size=2, max_size=4, timeout=20)
    store = MemoryStore(pool)
    store.migrate()
    store.open_conversation("rotation", "cli")
    stop = threading.Event()
    errors: list[BaseException] = []
    appended: list[int] = []

    def work() -> None:
        while not stop.is_set():
            try:
                appended.append(store.append_message("rotation", "user", "turn").seq)
            except BaseException as error:
                errors.append(error)
                return

    workers = [threading.Thread(target=work) for _ in range(3)]
    try:
        for worker in workers:
            worker.start()
        for number in range(1, 6):
            _wait_for_count(appended.__len__, 5 * number, "appends before a rotation")
            logins_before = pool.get_stats()["connections_num"]
            provider.rotate(private_cluster, f"token-{number}")
            # connections expire every 0.2 s: wait until fresh ones have logged in with the new token
            _wait_for_count(
                lambda: pool.get_stats()["connections_num"], logins_before + 2, "logins after a rotation"
            )
        _wait_for_count(appended.__len__, 30, "appends after the last rotation")
    finally:
        stop.set()
        for worker in workers:
            worker.join(30)
        pool.close()
    assert errors == []
    assert sorted(appended) == list(range(1, len(appended) + 1))
    assert provider.minted >= 10  # every new connection minted a token, across five rotations


def _wait_for_count(count: Callable[[], int], target: int, what: str) -> None:
    """Poll a counter for up to 10 s; the test asserts order of events, never durations."""
    for _ in range(400):
        if count() >= target:
            return
        threading.Event().wait(0.025)
    raise AssertionError(f"timed out waiting for {what}")


def test_the_pool_recovers_after_the_server_restarts(private_cluster: PrivateCluster) -> None:
    private_cluster.set_password("steady")
    source = _source(private_cluster, RotatingToken("steady", lifetime=timedelta(hours=1)))
    with open_pool(source, min_size=2, max_size=2, timeout=30) as pool:
        store = MemoryStore(pool)
        store.migrate()
        store.open_conversation("restart", "cli")
        store.append_message("restart", "user", "before")
        private_cluster.stop()
        private_cluster.start()
        after = store.append_message("restart", "user", "after")
        assert after.seq == 2
        assert [m.body for m in store.messages("restart")] == ["before", "after"]


def test_an_operation_whose_connection_dies_is_retried_once(private_cluster: PrivateCluster) -> None:
    private_cluster.set_password("steady")
    source = _source(private_cluster, RotatingToken("steady", lifetime=timedelta(hours=1)))
    attempts: list[int] = []

    def killed_on_first_attempt(conn: Connection[DictRow]) -> int:
        attempts.append(conn.info.backend_pid)
        if len(attempts) == 1:
            with private_cluster.admin() as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
        row = conn.execute("SELECT 1 AS one").fetchone()
        assert row is not None
        return int(row["one"])

    with open_pool(source, min_size=1, max_size=1, timeout=10) as pool:
        assert MemoryStore(pool)._run(killed_on_first_attempt) == 1
    assert len(attempts) == 2 and attempts[0] != attempts[1]
