"""`accelerator sandbox` prints its API URL first, serves it, and keeps its state in --state across restarts."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

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


def test_a_kill_loses_no_acknowledged_write(tmp_path: Path) -> None:
    """Every write the sandbox answered is read back after a `kill -9` (the journal is written before
    the answer); the state is folded into a new snapshot at the restart."""
    state = tmp_path / "state"
    process = subprocess.Popen(
        [sys.executable, "-c", PROGRAM, "--state", str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        api = process.stdout.readline().strip().removeprefix("sandbox: ")
        alice = httpx.Client(base_url=api, headers={"Authorization": "token alice"})
        assert alice.post("/user/repos", json={"name": "k", "auto_init": True}).status_code == 201
        main = alice.get("/repos/alice/k/git/ref/heads/main").json()["object"]["sha"]
        alice.post("/repos/alice/k/git/refs", json={"ref": "refs/heads/f", "sha": main}).raise_for_status()
        content = {"message": "m", "content": "eA==", "branch": "f"}
        alice.put("/repos/alice/k/contents/x.txt", json=content).raise_for_status()
        pull = alice.post("/repos/alice/k/pulls", json={"title": "t", "head": "f", "base": "main"}).json()
        comments = [
            alice.post(f"/repos/alice/k/issues/{pull['number']}/comments", json={"body": f"c{n}"}).json()
            for n in range(20)
        ]
        edited = alice.patch(f"/repos/alice/k/issues/comments/{comments[3]['id']}", json={"body": "edited"})
        assert edited.status_code == 200
        assert alice.delete(f"/repos/alice/k/issues/comments/{comments[4]['id']}").status_code == 204
        closed = alice.patch(f"/repos/alice/k/pulls/{pull['number']}", json={"state": "closed"})
        assert closed.status_code == 200
    finally:
        process.kill()  # SIGKILL: no shutdown code runs
        process.wait(timeout=10)
    assert list(state.glob("journal-*.jsonl")) and (state / "state.json").exists()
    with serving("--state", str(state)) as (first, *_):
        alice = httpx.Client(
            base_url=first.removeprefix("sandbox: "), headers={"Authorization": "token alice"}
        )
        kept = alice.get(f"/repos/alice/k/issues/{pull['number']}/comments", params={"per_page": 100}).json()
        expected = [c["body"] for c in comments]
        expected[3] = "edited"
        del expected[4]
        assert [c["body"] for c in kept] == expected
        again = alice.get(f"/repos/alice/k/pulls/{pull['number']}").json()
        assert again["state"] == "closed" and again["comments"] == 19
        made = alice.post("/repos/alice/k/issues", json={"title": "after"}).json()
        assert made["number"] == pull["number"] + 1  # the numbers continue where they were
        assert made["id"] > max(c["id"] for c in comments)


def test_a_change_cut_short_by_a_kill_is_dropped_and_a_long_journal_folded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from accelerator.sandbox import state as state_module
    from accelerator.sandbox.state import SandboxState

    first = SandboxState(tmp_path)
    for n in range(5):
        first.user(f"user{n}")
    journal = next(tmp_path.glob("journal-*.jsonl"))
    with journal.open("ab") as cut:
        cut.write(b'[["set",["users","late"],{"login":"la')  # a kill in the middle of a line
    second = SandboxState(tmp_path)
    assert sorted(second.data["users"]) == [f"user{n}" for n in range(5)]
    assert not journal.exists()  # folded into the snapshot at the start
    second.user("user5")  # and written after, on a journal of its own
    assert "user5" in SandboxState(tmp_path).data["users"]

    monkeypatch.setattr(state_module, "COMPACT_BYTES", 0)  # folded once it outgrows the snapshot
    third = SandboxState(tmp_path)
    snapshots = set()
    for n in range(40):
        third.user(f"many{n}")
        snapshots.add((tmp_path / "state.json").stat().st_mtime_ns)
    assert len(list(tmp_path.glob("journal-*.jsonl"))) == 1
    assert len(snapshots) > 1
    assert len(SandboxState(tmp_path).data["users"]) == 46
