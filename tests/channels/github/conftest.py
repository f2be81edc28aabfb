"""The GitHub channel's fixtures: a fresh memory schema per test on the real PostgreSQL, signed
deliveries, and (for end-to-end tests) the sandbox with a repository holding an accelerator project."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from accelerator.memory import MemoryConfig, MemoryPool, MemoryStore, open_pool, resolve_connection

SECRET = "webhook secret for tests"


@pytest.fixture
def schema_name(module_database_url: str) -> Iterator[str]:
    name = f"gh_{secrets.token_hex(5)}"
    yield name
    with psycopg.connect(module_database_url, autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(psycopg.sql.Identifier(name)))


@pytest.fixture
def pool(module_database_url: str, schema_name: str) -> Iterator[MemoryPool]:
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


def signed(
    payload: dict[str, Any], event: str, delivery: str | None = None, secret: str = SECRET
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    digest = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": digest,
        "Content-Type": "application/json",
    }
    return body, headers


def comment_payload(body: str, *, login: str = "bob", user_type: str = "User", number: int = 1,
                    comment_id: int = 10, repo: str = "alice/lakehouse") -> dict[str, Any]:  # fmt: skip
    user = {"login": login, "type": user_type, "id": 7}
    return {
        "action": "created",
        "issue": {"number": number, "pull_request": {"url": f"https://x/{repo}/pulls/{number}"}},
        "comment": {"id": comment_id, "body": body, "user": user, "html_url": f"https://x/{comment_id}"},
        "repository": {"full_name": repo},
        "sender": user,
        "installation": {"id": 1},
    }


def pull_payload(action: str = "opened", *, number: int = 1, login: str = "alice", repo: str = "alice/lakehouse",
                 head: str = "0" * 40) -> dict[str, Any]:  # fmt: skip
    user = {"login": login, "type": "User", "id": 3}
    return {
        "action": action,
        "number": number,
        "pull_request": {"number": number, "head": {"sha": head, "ref": "feature"}},
        "repository": {"full_name": repo},
        "sender": user,
    }
