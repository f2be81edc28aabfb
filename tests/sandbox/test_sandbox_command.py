"""`accelerator sandbox` prints its API URL first, serves it, and keeps its state in --state across restarts."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

PROGRAM = "import sys; from accelerator.channels.cli.sandbox import commands; commands()"


@contextmanager
def serving(*args: str) -> Iterator[tuple[str, ...]]:
    process = subprocess.Popen(
        [sys.executable, "-c", PROGRAM, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        lines = [process.stdout.readline().strip() for _ in range(2)]
        yield first, *lines
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_sandbox_serves_and_keeps_its_state(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with serving("--state", str(state)) as (first, second, third):
        assert first.startswith("sandbox: http://127.0.0.1:")
        assert first.endswith("/api/v3")
        api = first.removeprefix("sandbox: ")
        assert second == f"databricks: {api.removesuffix('/api/v3')}"
        assert third == f"state: {state}"
        me = httpx.get(
            f"{second.removeprefix('databricks: ')}/api/2.0/preview/scim/v2/Me",
            headers={"Authorization": "Bearer alice"},
        )
        assert me.status_code == 200 and me.json()["userName"] == "alice"
        made = httpx.post(
            f"{api}/user/repos",
            json={"name": "kept", "auto_init": True},
            headers={"Authorization": "token alice"},
        )
        assert made.status_code == 201
        assert made.json()["url"] == f"{api}/repos/alice/kept"
    with serving("--state", str(state)) as (first, *_):
        api = first.removeprefix("sandbox: ")
        found = httpx.get(f"{api}/repos/alice/kept/branches/main", headers={"Authorization": "token alice"})
        assert found.status_code == 200
        assert len(found.json()["commit"]["sha"]) == 40


def test_a_bad_webhook_url_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM, "--webhook-url", "ftp://x"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--webhook-url 'ftp://x' is not an http(s) URL" in result.stderr
