"""Forks in the sandbox: a fork shares its source's history; a pull request from `forkowner:branch`
has the fork as `head.repo` and its commits in the base (`refs/pull/N/head`); a push to the fork's
branch moves that pull request's head."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from github import GithubException

from accelerator.sandbox import RunningSandbox, start_sandbox
from tests.sandbox.conftest import client


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    running = start_sandbox(tmp_path / "state")
    try:
        yield running
    finally:
        running.stop()


def test_a_pull_request_from_a_fork(sandbox: RunningSandbox) -> None:
    upstream = client(sandbox, "alice").get_user().create_repo("lake", auto_init=True)
    with pytest.raises(GithubException) as own:
        upstream.create_fork()  # an owner cannot fork into the same name
    assert own.value.status == 422
    carol = client(sandbox, "carol")
    fork = carol.get_repo("alice/lake").create_fork()
    assert (fork.full_name, fork.fork) == ("carol/lake", True)
    assert carol.get_repo("alice/lake").create_fork().id == fork.id  # forking again: the same fork
    fork.create_git_ref("refs/heads/idea", fork.get_branch("main").commit.sha)
    fork.create_file("idea.md", "an idea", "# idea\n", branch="idea")
    head = fork.get_branch("idea").commit.sha
    pull = carol.get_repo("alice/lake").create_pull(base="main", head="carol:idea", title="Idea", body="")
    assert (pull.head.repo.full_name, pull.head.label, pull.head.sha) == ("carol/lake", "carol:idea", head)
    assert pull.base.repo.full_name == "alice/lake"
    assert [f.filename for f in pull.get_files()] == ["idea.md"]
    assert upstream.get_commit(head).sha == head  # the base has the fork's commits
    with pytest.raises(GithubException) as unknown:
        carol.get_repo("alice/lake").create_pull(base="main", head="dave:idea", title="x", body="")
    assert unknown.value.status == 422
    # a push to the fork's branch moves the pull request and sends `synchronize` upstream
    upstream.create_hook("web", {"url": "http://127.0.0.1:9/", "content_type": "json"}, ["pull_request"])
    content = fork.get_contents("idea.md", ref="idea")
    assert not isinstance(content, list)
    fork.update_file("idea.md", "more", "# idea\n\nmore\n", content.sha, branch="idea")
    newer = fork.get_branch("idea").commit.sha
    sandbox.webhooks.wait_idle()
    sent = [
        d["request"]["payload"]
        for d in sandbox.state.data["deliveries"]
        if (d["event"], d["action"]) == ("pull_request", "synchronize")
    ]
    assert [(p["repository"]["full_name"], p["number"], p["after"]) for p in sent] == [
        ("alice/lake", pull.number, newer)
    ]
    assert upstream.get_pull(pull.number).head.sha == newer
    # an upstream branch of the same name is another branch: it does not move the fork's PR
    upstream.create_git_ref("refs/heads/idea", upstream.get_branch("main").commit.sha)
    assert upstream.get_pull(pull.number).head.sha == newer
