"""`accelerator serve` as a real process: killed (SIGKILL) between its commit and its reply, then
restarted: the turn completes once (one commit, one summary)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from accelerator.channels.github.commits import trailer_of
from accelerator.channels.github.summary import SUMMARY_MARKER
from accelerator.sandbox import start_sandbox
from tests.channels.github.conftest import BOT_LOGIN, SECRET, Harness


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(
    port: int, api_url: str, database_url: str, crash_at: str | None, log: Path
) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "GITHUB_WEBHOOK_SECRET": SECRET,
        "GITHUB_TOKEN": BOT_LOGIN,
        "GITHUB_API_URL": api_url,
        "GITHUB_BOT_LOGIN": BOT_LOGIN,
        "ACCELERATOR_WRITE_SPACING": "0",
    }
    env.pop("ACCELERATOR_CRASH_AT", None)
    if crash_at:
        env["ACCELERATOR_CRASH_AT"] = crash_at
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "accelerator",
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
            "--stalled-after",
            "5",
            "--database-url",
            database_url,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=log.open("a"),
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("serving: "), line
    return process


def test_a_server_killed_mid_turn_completes_it_once_after_a_restart(
    tmp_path: Path, database_url: str
) -> None:
    port = free_port()
    sandbox = start_sandbox(
        tmp_path / "state",
        webhook_url=f"http://127.0.0.1:{port}/webhook",
        webhook_secret=SECRET,
        bot_login=BOT_LOGIN,
    )
    first = serve(port, sandbox.api_url, database_url, "github.committed", tmp_path / "serve.log")
    second = None
    try:
        helper = Harness(sandbox, None, None, None, "")  # type: ignore[arg-type]
        repo = helper.repository()
        pull = helper.open_pull(repo)
        assert first.wait(timeout=60) == -9  # SIGKILLed right after its commit
        committed = repo.get_branch("feature").commit
        assert trailer_of(committed.commit.message) is not None
        assert [c for c in repo.get_pull(pull.number).get_issue_comments() if c.user.login == BOT_LOGIN] == []
        time.sleep(5.5)  # the dead worker's delivery is stalled for --stalled-after
        second = serve(port, sandbox.api_url, database_url, None, tmp_path / "serve.log")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            mine = [c for c in repo.get_pull(pull.number).get_issue_comments() if c.user.login == BOT_LOGIN]
            if mine:
                break
            time.sleep(0.2)
        assert len(mine) == 1 and mine[0].body.startswith(SUMMARY_MARKER)
        assert "metadata.table.comment" in mine[0].body  # the findings of the turn, not an empty report
        assert repo.get_branch("feature").commit.sha == committed.sha  # no second commit
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=20)
        sandbox.stop()
