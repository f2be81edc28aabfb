"""`accelerator propose`'s parts: the repository from a remote, the GitHub settings, the branch of a
thread, a chat line that is a `propose`, and the memory's thread links (on the real PostgreSQL)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from accelerator.channels.cli.propose import (
    github_from_env,
    proposal_title,
    repository_from_remote,
    repository_of,
)
from accelerator.channels.github.propose import branch_key, branch_name
from accelerator.errors import AcceleratorError
from accelerator.memory import MemoryConfig, MemoryStore, open_pool, resolve_connection


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/alice/lakehouse.git", "alice/lakehouse"),
        ("https://github.com/alice/lakehouse", "alice/lakehouse"),
        ("git@github.com:alice/lake.house.git", "alice/lake.house"),
        ("ssh://git@github.example.com/org-1/repo_2/", "org-1/repo_2"),
        ("http://127.0.0.1:8080/alice/lakehouse.git", "alice/lakehouse"),
        ("/srv/git/lakehouse", "git/lakehouse"),
        ("lakehouse", None),
        ("https://github.com/a b/c", None),
    ],
)
def test_the_repository_comes_from_the_remote_url(url: str, expected: str | None) -> None:
    assert repository_from_remote(url) == expected


def test_the_repository_is_the_option_else_origin_else_a_clear_error(tmp_path: Path) -> None:
    assert repository_of(tmp_path, "alice/lakehouse") == "alice/lakehouse"
    with pytest.raises(AcceleratorError, match="is not OWNER/REPO"):
        repository_of(tmp_path, "../etc/passwd")
    with pytest.raises(AcceleratorError, match="no git remote `origin`") as error:
        repository_of(tmp_path, None)
    assert error.value.hint == "pass --repo OWNER/REPO"
    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)
    subprocess.run(
        ["git", "-C", str(tmp_path), "remote", "add", "origin", "https://github.com/bob/shop.git"], check=True
    )
    assert repository_of(tmp_path, None) == "bob/shop"


def test_github_settings_come_from_the_environment() -> None:
    with pytest.raises(AcceleratorError, match="GITHUB_TOKEN is not set"):
        github_from_env({})
    with pytest.raises(AcceleratorError, match="is not an http"):
        github_from_env({"GITHUB_TOKEN": "t", "GITHUB_API_URL": "ftp://x"})
    client = github_from_env({"GITHUB_TOKEN": "t", "GITHUB_API_URL": "http://127.0.0.1:9/api/v3/"})
    assert client.requester.base_url == "http://127.0.0.1:9/api/v3"
    with pytest.raises(AcceleratorError, match="ACCELERATOR_WRITE_SPACING 'soon'"):
        github_from_env({"GITHUB_TOKEN": "t", "ACCELERATOR_WRITE_SPACING": "soon"})
    with pytest.raises(AcceleratorError, match="from 0 to 60"):
        github_from_env({"GITHUB_TOKEN": "t", "ACCELERATOR_WRITE_SPACING": "-1"})


def test_a_thread_has_a_valid_branch_name() -> None:
    assert branch_name("local:0123456789abcdef") == "accelerator/local-0123456789abcdef"
    assert branch_name("github:alice/lakehouse#7") == "accelerator/github-alice-lakehouse-7"
    assert branch_name("..:~^") == "accelerator/conversation"
    long = branch_name("x" * 500)
    assert len(long) <= len("accelerator/") + 80
    for name in (branch_name("a..b"), branch_name("a b.lock"), branch_name("-x-")):
        subprocess.run(["git", "check-ref-format", "--branch", name], check=True, capture_output=True)
    assert branch_key("alice/lakehouse", "accelerator/x") == "github:alice/lakehouse@branch:accelerator/x"


@pytest.mark.parametrize(
    ("line", "title"),
    [
        ("propose", ""),
        ("Propose", ""),
        ('propose "Add the returns table"', "Add the returns table"),
        ("propose 'a  b'", "a b"),
        ("propose; rename table a to b", None),
        ("rename table a to b", None),
        ("propose to main", None),  # a title is quoted
    ],
)
def test_a_chat_line_is_a_propose_command(line: str, title: str | None) -> None:
    assert proposal_title(line) == title


@pytest.fixture
def store(database_url: str) -> Iterator[MemoryStore]:
    source = resolve_connection(MemoryConfig(schema_name="links"), env={}, url=database_url)
    pool = open_pool(source, min_size=1, max_size=2)
    try:
        memory = MemoryStore(pool, "links")
        memory.migrate()
        yield memory
    finally:
        pool.close()


def test_the_memory_links_a_pull_request_to_the_thread_it_continues(store: MemoryStore) -> None:
    store.open_conversation("local:abc", "cli")
    assert store.linked_thread("github:alice/lakehouse#3") is None
    store.link_thread("github:alice/lakehouse#3", "local:abc")
    assert store.linked_thread("github:alice/lakehouse#3") == "local:abc"
    store.open_conversation("local:def", "cli")
    store.link_thread("github:alice/lakehouse#3", "local:def")  # a second link replaces the first
    assert store.linked_thread("github:alice/lakehouse#3") == "local:def"
    with pytest.raises(AcceleratorError):
        store.link_thread("github:alice/lakehouse#4", "local:unknown")  # only to a conversation
    assert store.linked_thread("github:alice/lakehouse#4") is None
