"""`accelerator bot` (one GitHub Actions event) against the sandbox and the real PostgreSQL, and
`accelerator serve` refusing to start without its secret."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from accelerator.channels.github.commits import trailer_of
from accelerator.cli import app
from accelerator.sandbox import start_sandbox
from tests.channels.github.conftest import BOT_LOGIN, Harness


def test_serve_refuses_to_start_without_the_webhook_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_WEBHOOK_SECRET", raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", "t")
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "GITHUB_WEBHOOK_SECRET is not set" in result.output


def actions_job(
    tmp_path: Path, sandbox: Any, pull: Any, database_url: str, run_id: str, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """The environment and arguments of an Actions job for `pull`'s `opened` event (run `run_id`)."""
    event = {
        "action": "opened",
        "number": pull.number,
        "pull_request": {"number": pull.number, "head": {"sha": pull.head.sha, "ref": "feature"}},
        "repository": {"full_name": "alice/lakehouse"},
        "sender": {"login": "alice", "type": "User"},
    }
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    for name, value in {
        "GITHUB_TOKEN": BOT_LOGIN, "GITHUB_API_URL": sandbox.api_url, "GITHUB_BOT_LOGIN": BOT_LOGIN,
        "ACCELERATOR_WRITE_SPACING": "0", "GITHUB_RUN_ID": run_id, "GITHUB_RUN_ATTEMPT": "1",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    return ["bot", "--event-name", "pull_request", "--event-path", str(path), "--database-url", database_url]


def test_an_actions_event_is_a_turn_run_once(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = start_sandbox(tmp_path / "state", bot_login=BOT_LOGIN)  # no webhooks: Actions delivers
    try:
        helper = Harness(sandbox, None, None, None, "")  # type: ignore[arg-type]
        repo = helper.repository()
        pull = helper.open_pull(repo)
        arguments = actions_job(tmp_path, sandbox, pull, database_url, "42", monkeypatch)
        first = CliRunner().invoke(app, arguments)
        assert first.exit_code == 0, first.output
        assert "github:alice/lakehouse#1: 1 delivery(ies) run, 0 failed" in first.output
        head = repo.get_branch("feature").commit
        assert trailer_of(head.commit.message) == "actions-42-1"
        again = CliRunner().invoke(app, arguments)  # the same run again: nothing new
        assert again.exit_code == 0 and "0 delivery(ies) run" in again.output
        assert repo.get_branch("feature").commit.sha == head.sha
        summaries = [c for c in repo.get_pull(1).get_issue_comments() if c.user.login == BOT_LOGIN]
        assert len(summaries) == 1
    finally:
        sandbox.stop()


def test_an_actions_job_whose_pr_is_busy_waits_for_its_own_event(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No concurrency group (GitHub would cancel pending runs and lose events): a job that finds
    its PR's queue held by another job waits until its event has run, and reports its outcome."""
    import threading

    from accelerator.channels.cli.memory import memory_source
    from accelerator.memory import MemoryStore, open_pool

    sandbox = start_sandbox(tmp_path / "state", bot_login=BOT_LOGIN)
    source, _ = memory_source(None, database_url)
    pool = open_pool(source, min_size=1, max_size=2)
    try:
        helper = Harness(sandbox, None, None, None, "")  # type: ignore[arg-type]
        repo = helper.repository()
        pull = helper.open_pull(repo)
        store = MemoryStore(pool, source.schema)
        store.migrate()
        thread = f"github:alice/lakehouse#{pull.number}"
        store.open_conversation(thread, "github", repo="alice/lakehouse", pr_number=pull.number)
        assert store.record_delivery("another-job", "ping", thread, {})
        held = store.claim_next_delivery(thread)  # another job is running this PR's queue
        assert held is not None and held.id == "another-job"
        arguments = actions_job(tmp_path, sandbox, pull, database_url, "43", monkeypatch)
        results: list[object] = []
        job = threading.Thread(target=lambda: results.append(CliRunner().invoke(app, arguments)))
        job.start()
        job.join(timeout=3)
        assert job.is_alive()  # waiting, not gone with its event unrun
        store.finish_delivery("another-job", "done")
        job.join(timeout=120)
        [result] = results
        assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
        assert f"{thread}: 1 delivery(ies) run, 0 failed" in result.output  # type: ignore[attr-defined]
        assert trailer_of(repo.get_branch("feature").commit.commit.message) == "actions-43-1"
    finally:
        pool.close()
        sandbox.stop()


def test_serves_connections_send_at_once() -> None:
    """Without TCP_NODELAY on the accepted connections (asyncio sets it only on sockets made with
    IPPROTO_TCP), an answer's body waited ~40 ms for the sender's delayed ACK of its head: webhooks
    were answered at ~20 a second per connection."""
    import socket

    from accelerator.channels.github.command import bind

    server = bind("127.0.0.1", 0)
    client = socket.create_connection(server.getsockname()[:2])
    accepted, _ = server.accept()
    try:
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        for sock in (accepted, client, server):
            sock.close()
