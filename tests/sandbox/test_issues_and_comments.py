"""Issues, one issue comment by id (edit, delete), reactions and the 65,536-character limit on every body,
through PyGithub, with the `issues` and `issue_comment` webhooks they send."""

from __future__ import annotations

import httpx
import pytest
from github import GithubException

from accelerator.sandbox import RunningSandbox
from tests.sandbox.conftest import Receiver, client

TOO_LONG = "Body is too long (maximum is 65536 characters)"


def test_issue_comments_are_edited_deleted_and_reacted_to(
    sandbox: RunningSandbox, receiver: Receiver
) -> None:
    repo = client(sandbox, "alice").get_user().create_repo("talk", auto_init=True)
    issue = client(sandbox, "bob").get_repo("alice/talk").create_issue("Add a sales domain", body="please")
    assert (issue.number, issue.state, issue.user.login, issue.pull_request) == (1, "open", "bob", None)
    assert repo.get_issue(1).title == "Add a sales domain"
    comment = issue.create_comment("/accelerator add table sales")
    assert comment.html_url.endswith(f"/issues/1#issuecomment-{comment.id}")

    comment.edit("/accelerator add table orders")
    assert repo.get_issue(1).get_comment(comment.id).body == "/accelerator add table orders"
    assert comment.create_reaction("eyes").content == "eyes"
    bot = client(sandbox, "accelerator[bot]").get_repo("alice/talk")
    bot.get_issue(1).get_comment(comment.id).create_reaction("rocket")
    api = f"{sandbox.api_url}/repos/alice/talk/issues/comments/{comment.id}"
    again = httpx.post(f"{api}/reactions", json={"content": "eyes"}, headers={"Authorization": "token bob"})
    assert again.status_code == 200  # the same user's same reaction exists: GitHub answers 200
    bad = httpx.post(f"{api}/reactions", json={"content": "tada"}, headers={"Authorization": "token bob"})
    assert bad.status_code == 422
    rolled = repo.get_issue(1).get_comment(comment.id).raw_data["reactions"]
    assert (rolled["total_count"], rolled["eyes"], rolled["rocket"]) == (2, 1, 1)
    assert sorted(r.content for r in comment.get_reactions()) == ["eyes", "rocket"]

    with pytest.raises(GithubException) as foreign:
        bot.get_issue(1).get_comment(comment.id).edit("not mine")
    assert foreign.value.status == 403
    comment.delete()
    with pytest.raises(GithubException) as gone:
        repo.get_issue(1).get_comment(comment.id)
    assert gone.value.status == 404
    assert list(repo.get_issue(1).get_comments()) == []

    issue.edit(title="Sales domain", state="closed")
    closed = repo.get_issue(1)
    assert (closed.title, closed.state, closed.closed_by.login) == ("Sales domain", "closed", "bob")
    assert [i.number for i in repo.get_issues(state="closed")] == [1]
    assert list(repo.get_issues()) == []

    sandbox.webhooks.wait_idle()
    events = [(d.event, d.payload.get("action")) for d in receiver.wait_for(6)]
    assert events == [
        ("issues", "opened"),
        ("issue_comment", "created"),
        ("issue_comment", "edited"),
        ("issue_comment", "deleted"),
        ("issues", "edited"),
        ("issues", "closed"),
    ]
    edited = receiver.deliveries[2].payload
    assert edited["changes"] == {"body": {"from": "/accelerator add table sales"}}
    assert edited["issue"]["number"] == 1 and "pull_request" not in edited["issue"]
    assert receiver.deliveries[4].payload["changes"] == {"title": {"from": "Add a sales domain"}}


def test_every_body_is_limited_to_65536_characters(sandbox: RunningSandbox) -> None:
    repo = client(sandbox, "alice").get_user().create_repo("limits", auto_init=True)
    with pytest.raises(GithubException) as issue_body:
        repo.create_issue("t", body="x" * 65537)
    assert issue_body.value.status == 422
    assert issue_body.value.data["errors"][0]["message"] == TOO_LONG
    issue = repo.create_issue("t", body="x" * 65536)
    comment = issue.create_comment("short")
    with pytest.raises(GithubException) as edit:
        comment.edit("y" * 65537)
    assert (edit.value.status, edit.value.data["errors"][0]["message"]) == (422, TOO_LONG)
    with pytest.raises(GithubException) as issue_edit:
        issue.edit(body="z" * 65537)
    assert issue_edit.value.status == 422
    repo.create_git_ref("refs/heads/f", repo.get_branch("main").commit.sha)
    repo.create_file("a.txt", "a", "a", branch="f")
    with pytest.raises(GithubException) as pull_body:
        repo.create_pull(base="main", head="f", title="t", body="x" * 65537)
    assert pull_body.value.data["errors"][0]["message"] == TOO_LONG


def test_a_pull_request_is_an_issue_too(sandbox: RunningSandbox) -> None:
    repo = client(sandbox, "alice").get_user().create_repo("both", auto_init=True)
    repo.create_issue("first")
    repo.create_git_ref("refs/heads/f", repo.get_branch("main").commit.sha)
    repo.create_file("a.txt", "a", "a", branch="f")
    pull = repo.create_pull(base="main", head="f", title="second")
    assert pull.number == 2  # one number sequence for issues and PRs
    as_issue = repo.get_issue(2)
    assert as_issue.pull_request is not None and as_issue.pull_request.url.endswith("/pulls/2")
    assert [(i.number, i.pull_request is not None) for i in repo.get_issues()] == [(2, True), (1, False)]
    as_issue.create_comment("on the PR")
    assert [c.body for c in pull.get_issue_comments()] == ["on the PR"]
    with pytest.raises(GithubException) as missing:
        repo.get_issue(9)
    assert missing.value.status == 404
