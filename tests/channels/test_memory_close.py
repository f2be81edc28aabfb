"""`accelerator memory close THREAD`, and what the chat records of each turn: its source (a line of the
turns file, or stdin), the commit the working tree is at, and hand edits as adopted entries."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from accelerator.cli import app
from accelerator.memory import MemoryConfig, MemoryStore, Role, open_pool, resolve_connection
from tests.channels.test_chat_cli import invoke, project, runner, thread_of  # noqa: F401


@pytest.fixture
def memory(database_url: str) -> Iterator[MemoryStore]:
    pool = open_pool(resolve_connection(MemoryConfig(), url=database_url), min_size=1, max_size=1)
    try:
        yield MemoryStore(pool)
    finally:
        pool.close()


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_a_turn_records_its_line_the_commit_and_a_hand_edit(
    project: Path,  # noqa: F811
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    memory: MemoryStore,
) -> None:
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("[user]\n\tname = Ada\n\temail = ada@example.com\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "start")
    head = git(project, "rev-parse", "HEAD")
    turns = project / "turns.txt"
    turns.write_text("status\n\nrename column crm.customers.full_name to customer_name\n")
    result = runner.invoke(app, ["chat", "--turns", str(turns), "--database-url", database_url])
    assert result.exit_code == 0, result.output

    erd = project / "erd/retail.dbml"
    erd.write_text(erd.read_text().replace("city varchar(100)", "town varchar(100)"))
    result = invoke("chat", turns="status\n", database_url=database_url, directory=tmp_path)
    assert result.exit_code == 0, result.output

    thread = thread_of(project)
    entries = memory.transcript(thread)
    users = [e for e in entries if e.role == Role.USER]
    assert [(e.turn, e.source, e.commit_sha) for e in users[:2]] == [
        (1, {"kind": "turns-file", "file": "turns.txt", "line": 1}, head),
        (2, {"kind": "turns-file", "file": "turns.txt", "line": 3}, head),
    ]
    assert users[2].source["kind"] == "turns-file" and users[2].source["line"] == 1
    (adopted,) = [e for e in entries if e.role == Role.SYSTEM]
    assert (adopted.turn, adopted.body, adopted.author) == (
        3,
        "adopted hand edits of erd/retail.dbml",
        "ada@example.com",
    )
    hand = [f for f in memory.turn_files(thread) if f.adopted]
    assert [(f.turn, f.path, f.message_seq) for f in hand] == [(3, "erd/retail.dbml", adopted.seq)]


def test_outside_git_a_stdin_turn_has_no_commit(
    project: Path,  # noqa: F811
    database_url: str,
    memory: MemoryStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(project.parent))  # no repository above the tree
    result = runner.invoke(app, ["chat", "--database-url", database_url], input="status\n")
    assert result.exit_code == 0, result.output
    user = next(e for e in memory.transcript(thread_of(project)) if e.role == Role.USER)
    assert (user.source, user.commit_sha) == ({"kind": "stdin"}, None)


def test_memory_close_lets_prune_remove_the_thread(
    project: Path,  # noqa: F811
    database_url: str,
    tmp_path: Path,
    memory: MemoryStore,
) -> None:
    assert invoke("chat", turns="status\n", database_url=database_url, directory=tmp_path).exit_code == 0
    thread = thread_of(project)
    closed = invoke("memory", "close", thread, database_url=database_url, directory=tmp_path)
    assert closed.exit_code == 0 and f"closed {thread}" in closed.output
    assert memory.conversation(thread).status == "closed"
    again = invoke("memory", "close", thread, database_url=database_url, directory=tmp_path)
    assert again.exit_code == 0 and "was already closed" in again.output
    unknown = invoke("memory", "close", "no-such-thread", database_url=database_url, directory=tmp_path)
    assert unknown.exit_code == 2 and "no conversation for thread 'no-such-thread'" in unknown.output

    kept = invoke(
        "memory", "prune", "--closed-older-than", "1d", database_url=database_url, directory=tmp_path
    )
    assert kept.exit_code == 0 and "pruned 0 conversation(s)" in kept.output
    pruned = invoke(
        "memory", "prune", "--closed-older-than", "0m", database_url=database_url, directory=tmp_path
    )
    assert pruned.exit_code == 0 and "pruned 1 conversation(s)" in pruned.output
    assert thread not in [c.thread_id for c in memory.list_conversations()]


def test_a_new_turn_reopens_a_closed_thread(
    project: Path,  # noqa: F811
    database_url: str,
    tmp_path: Path,
    memory: MemoryStore,
) -> None:
    assert invoke("chat", turns="status\n", database_url=database_url, directory=tmp_path).exit_code == 0
    thread = thread_of(project)
    assert invoke("memory", "close", thread, database_url=database_url, directory=tmp_path).exit_code == 0
    assert invoke("chat", turns="help\n", database_url=database_url, directory=tmp_path).exit_code == 0
    assert memory.conversation(thread).status == "open"
    pruned = invoke(
        "memory", "prune", "--closed-older-than", "0m", database_url=database_url, directory=tmp_path
    )
    assert "pruned 0 conversation(s)" in pruned.output
    assert len(memory.transcript(thread)) == 4
