"""Fixtures for memory tests: a store on a fresh database, and a private PostgreSQL cluster.

The private cluster exists because the machine's server uses trust auth on 127.0.0.1 (so a password
cannot be checked there) and must never be restarted (other tests use it). It runs from a temporary
directory on a free port with scram-sha-256 over TCP; as root, initdb/pg_ctl run as the `postgres` user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest


def _postgres_bin() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    found = candidates[0] if candidates else shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivateCluster:
    """A throwaway PostgreSQL server: scram-sha-256 on 127.0.0.1, trust on its own Unix socket."""

    def __init__(self, bin_dir: Path, root: Path) -> None:
        self.bin_dir = bin_dir
        self.root = root
        self.data = root / "data"
        self.port = _free_port()
        self.run_as = "postgres" if os.geteuid() == 0 else None

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=60)

    def init(self) -> None:
        if self.run_as:
            entry = pwd.getpwnam(self.run_as)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-E", "UTF8",
            "--auth-host=scram-sha-256", "--auth-local=trust", "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host=str(self.root), port=self.port, user="postgres", dbname="postgres", autocommit=True
        )

    def set_password(self, password: str) -> None:
        with self.admin() as conn:
            conn.execute(
                psycopg.sql.SQL("ALTER ROLE lakebase_app PASSWORD {}").format(psycopg.sql.Literal(password))
            )


@pytest.fixture(scope="session")
def private_cluster() -> Iterator[PrivateCluster]:
    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip(
            "no initdb on this machine: cannot start a private PostgreSQL for password and restart tests"
        )
    root = Path(tempfile.mkdtemp(prefix="acc-pg-"))
    cluster = PrivateCluster(bin_dir, root)
    try:
        cluster.init()
        cluster.start()
    except (subprocess.CalledProcessError, OSError) as error:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"cannot start a private PostgreSQL cluster: {error}")
    with cluster.admin() as conn:
        conn.execute("CREATE ROLE lakebase_app LOGIN PASSWORD 'token-0' CREATEDB")
        conn.execute("CREATE DATABASE lakebase OWNER lakebase_app")
    try:
        yield cluster
    finally:
        try:
            cluster.stop(mode="immediate")  # the data is thrown away: no shutdown checkpoint needed
        finally:
            shutil.rmtree(root, ignore_errors=True)
