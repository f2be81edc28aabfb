"""End to end: a `/uc` command in an issue (not a pull request) opens a PR against the default branch
that closes the issue; the reply in the issue links it; the PR continues the issue's thread."""

from __future__ import annotations

import pytest
from github import GithubException

from accelerator.channels.github.commits import trailer_of
from accelerator.channels.github.issues import issue_branch
from tests.channels.github.conftest import BOT_LOGIN, Harness


def bot_comments(issue) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.body for c in issue.get_comments() if c.user.login == BOT_LOGIN]


def test_an_issue_command_opens_a_pull_request_linked_to_the_issue(harness: Harness) -> None:
    repo = harness.repository()
    harness.settle()
    main = repo.get_branch("main").commit.sha
    bob = harness.client("bob").get_repo("alice/lakehouse")
    issue = bob.create_issue("Rename the customers' name", body="please")
    comment = issue.create_comment("/uc rename column crm.customers.full_name to customer_name")
    harness.settle()
    pulls = list(repo.get_pulls(state="open"))
    assert len(pulls) == 1, [p.title for p in pulls]
    pull = pulls[0]
    assert pull.head.ref == issue_branch(issue.number) and pull.base.ref == "main"
    assert f"Closes #{issue.number}" in pull.body
    assert "rename column crm.customers.full_name" in pull.body
    head = repo.get_branch(pull.head.ref).commit
    assert head.commit.parents[0].sha == main and trailer_of(head.commit.message) is not None
    erd = harness.text(repo, "erd/retail.dbml", ref=pull.head.ref)
    assert "customer_name varchar(200)" in erd and "full_name" not in erd
    assert harness.text(repo, "generated/model.json", ref=pull.head.ref)
    replies = bot_comments(repo.get_issue(issue.number))
    assert len(replies) == 1 and f"#{pull.number}" in replies[0] and pull.html_url in replies[0]
    assert [r.content for r in repo.get_issue(issue.number).get_comment(comment.id).get_reactions()] == [
        "eyes"
    ]
    # the PR continues the issue's thread: its `opened` turn committed nothing, `undo` takes the edit back
    thread = f"github:alice/lakehouse#{issue.number}"
    assert harness.store.linked_thread(f"github:alice/lakehouse#{pull.number}") == thread
    assert repo.get_branch(pull.head.ref).commit.sha == head.sha
    bob.get_pull(pull.number).create_issue_comment("/uc undo")
    harness.settle()
    erd = harness.text(repo, "erd/retail.dbml", ref=pull.head.ref)
    assert "full_name varchar(200)" in erd and "customer_name" not in erd
    users = [m for m in harness.store.transcript(thread) if str(m.role.value) == "user"]
    assert [m.body for m in users][-2:] == [
        "rename column crm.customers.full_name to customer_name",
        "undo",
    ]


def test_a_second_issue_command_updates_the_same_pull_request(harness: Harness) -> None:
    repo = harness.repository()
    harness.settle()
    bob = harness.client("bob").get_repo("alice/lakehouse")
    issue = bob.create_issue("Two renames")
    issue.create_comment("/uc rename column crm.customers.full_name to customer_name")
    harness.settle()
    issue.create_comment("/uc rename column crm.customers.email to email_address")
    harness.settle()
    pulls = list(repo.get_pulls(state="all"))
    assert len(pulls) == 1
    erd = harness.text(repo, "erd/retail.dbml", ref=pulls[0].head.ref)
    assert "customer_name" in erd and "email_address" in erd
    replies = bot_comments(repo.get_issue(issue.number))
    assert len(replies) == 2 and "Updated" in replies[1]


def test_an_issue_question_opens_no_pull_request(harness: Harness) -> None:
    repo = harness.repository()
    harness.settle()
    issue = harness.client("bob").get_repo("alice/lakehouse").create_issue("What is there?")
    issue.create_comment("/uc list tables")
    harness.settle()
    assert list(repo.get_pulls(state="all")) == []
    replies = bot_comments(repo.get_issue(issue.number))
    assert len(replies) == 1 and "customers" in replies[0]


def test_an_unauthorised_issue_command_gets_the_polite_refusal(harness: Harness) -> None:
    repo = harness.repository()
    harness.settle()
    carol = harness.client("carol").get_repo("alice/lakehouse")
    issue = carol.create_issue("Drop it")
    issue.create_comment("/uc drop table crm.customers")
    issue.create_comment("a comment not addressed to the bot")
    harness.settle()
    assert list(repo.get_pulls(state="all")) == []
    with pytest.raises(GithubException) as missing:
        repo.get_git_ref(f"heads/{issue_branch(issue.number)}")
    assert missing.value.status == 404
    replies = bot_comments(repo.get_issue(issue.number))
    assert len(replies) == 1 and "Sorry @carol" in replies[0] and "Nothing was changed" in replies[0]


def test_a_second_issue_command_adopts_a_hand_edit_pushed_to_the_proposals_branch(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's command turn itself adopts what was pushed to accelerator/issue-N by hand (here the
    PR's synchronize, which adopts it too, is kept out: the two may arrive in either order)."""
    ignored = harness.bot.ignored
    monkeypatch.setattr(
        harness.bot, "ignored", lambda e: "test" if e.key == "pull_request.synchronize" else ignored(e)
    )
    repo = harness.repository()
    harness.settle()
    bob = harness.client("bob").get_repo("alice/lakehouse")
    issue = bob.create_issue("Two renames")
    issue.create_comment("/uc rename column crm.customers.full_name to customer_name")
    harness.settle()
    branch = issue_branch(issue.number)
    erd = repo.get_contents("erd/retail.dbml", ref=branch)
    assert not isinstance(erd, list)
    by_hand = erd.decoded_content.decode().replace(
        "Table crm.customers {", "Table crm.customers {\n  nickname varchar(40)", 1
    )
    repo.update_file("erd/retail.dbml", "a column by hand", by_hand, erd.sha, branch=branch)
    issue.create_comment("/uc rename column crm.customers.email to email_address")
    harness.settle()
    erd_text = harness.text(repo, "erd/retail.dbml", ref=branch)
    assert "nickname varchar(40)" in erd_text, "the hand edit was overwritten"
    assert "customer_name" in erd_text and "email_address" in erd_text
    assert "nickname" in harness.text(repo, "generated/model.json", ref=branch)
