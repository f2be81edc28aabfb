"""Shared fixtures: the databases, and the render cache's check of its hits.

`postgres_url`: the machine's PostgreSQL at 127.0.0.1:5432 if it answers (trust auth), else an embedded
pgserver in a temporary directory. `database_url`: a fresh database per test, dropped afterwards;
`module_database_url`: the same, shared by one test module.
Every test runs with the render cache checking its hits (`_render_cache_verified`).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from accelerator.memory import MemoryConfig, MemoryStore, open_pool
from accelerator.memory.connection import resolve_connection
from accelerator.memory.pool import MemoryPool
from accelerator.render import cache as render_cache

LOCAL_SERVER_URLS = (
    "postgresql://postgres@127.0.0.1:5432/postgres",
    "postgresql://root@127.0.0.1:5432/postgres",
)

TERMINATE_SQL = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
)


@pytest.fixture(scope="session", autouse=True)
def _render_cache_verified() -> Iterator[None]:
    """A cache hit is also made again and must be equal (else `StalePieceError` names the piece kind
    and key): a key that misses something its piece reads fails the test that shows it.
    ACCELERATOR_VERIFY_RENDER_CACHE_EVERY=n checks every n-th hit of each kind (0: none)."""
    every = int(os.environ.get("ACCELERATOR_VERIFY_RENDER_CACHE_EVERY", "1"))
    previous = render_cache.verify_hits(every)
    yield
    render_cache.verify_hits(previous)


def _answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A superuser URL to a server that tests may create databases on."""
    for url in LOCAL_SERVER_URLS:
        if _answers(url):
            yield url
            return
    from pgserver.postgres_server import get_server

    directory: Path = tmp_path_factory.mktemp("pgserver")
    server = get_server(directory, cleanup_mode="delete")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()


def _with_database(server_url: str, name: str) -> str:
    return make_conninfo(server_url, dbname=name)


def _create_database(server_url: str) -> str:
    name = f"acc_test_{secrets.token_hex(6)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def _drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(TERMINATE_SQL, (name,))
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def database_url(postgres_url: str) -> Iterator[str]:
    """A new, empty database for one test; terminated and dropped after it."""
    name = _create_database(postgres_url)
    try:
        yield _with_database(postgres_url, name)
    finally:
        _drop_database(postgres_url, name)


@pytest.fixture(scope="module")
def module_database_url(postgres_url: str) -> Iterator[str]:
    """A new, empty database shared by the tests of one module."""
    name = _create_database(postgres_url)
    try:
        yield _with_database(postgres_url, name)
    finally:
        _drop_database(postgres_url, name)


@pytest.fixture
def schema_name(module_database_url: str) -> Iterator[str]:
    """A fresh schema per test in the module's database: much cheaper than CREATE DATABASE per test."""
    name = f"t_{secrets.token_hex(5)}"
    yield name
    with psycopg.connect(module_database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


@pytest.fixture
def pool(module_database_url: str, schema_name: str) -> Iterator[MemoryPool]:
    """A pool whose search_path is the test's schema, so raw SQL in tests may leave names unqualified."""
    source = resolve_connection(MemoryConfig(schema_name=schema_name), env={}, url=module_database_url)
    opened = open_pool(source, min_size=1, max_size=12, timeout=10)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def store(pool: MemoryPool, schema_name: str) -> MemoryStore:
    memory = MemoryStore(pool, schema=schema_name)
    memory.migrate()
    return memory
