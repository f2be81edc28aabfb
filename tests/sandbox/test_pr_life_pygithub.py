"""Issue 11's "done when": a whole PR life through the sandbox with PyGithub alone (the bot's client).

A repository, a collaborator, files pushed to a branch with the contents API, a PR, a comment, an inline
reply on a file line, a review, a check run with 120 annotations in three requests, every limit GitHub
enforces hit once, the merge; the receiver gets every delivery the sandbox records, in order, each
signed, and a redelivery carries the same `X-GitHub-Delivery`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

import pytest
from github import GithubException

from accelerator.sandbox import RunningSandbox
from tests.sandbox.conftest import SECRET, Delivery, Receiver, client

GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
BOT = "accelerator[bot]"
DBML = "Table customers {\n  id bigint [pk]\n  email string\n}\n"


def annotations(count: int, start: int) -> list[dict[str, Any]]:
    return [
        {
            "path": "erd/sales.dbml",
            "start_line": 2,
            "end_line": 2,
            "annotation_level": "warning",
            "title": "ERD001",
            "message": f"finding {index}",
        }
        for index in range(start, start + count)
    ]


def refused(status: set[int], call: Any, *args: Any, **kwargs: Any) -> GithubException:
    """The GithubException `call` raises, checked to be one of GitHub's `status` codes."""
    with pytest.raises(GithubException) as caught:
        call(*args, **kwargs)
    assert caught.value.status in status, (caught.value.status, caught.value.data)
    return caught.value


def message(error: GithubException) -> str:
    data = error.data if isinstance(error.data, dict) else {}
    details = " ".join(
        str(item.get("message", "")) for item in data.get("errors", []) if isinstance(item, dict)
    )
    return f"{data.get('message', '')} {details}"


def is_subsequence(wanted: list[tuple[str, str | None]], found: list[tuple[str, str | None]]) -> bool:
    remaining = iter(found)
    return all(item in remaining for item in wanted)


def signed(delivery: Delivery) -> bool:
    expected = "sha256=" + hmac.new(SECRET.encode(), delivery.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(delivery.headers.get("x-hub-signature-256", ""), expected)


def test_a_whole_pr_life_with_pygithub_alone(sandbox: RunningSandbox, receiver: Receiver) -> None:
    alice = client(sandbox, "alice")
    repo = alice.get_user().create_repo("lakehouse", auto_init=True, description="UC setup")
    base_sha = repo.get_branch("main").commit.sha

    # a collaborator, and files pushed to a branch with the contents API
    repo.add_to_collaborators("bob", "push")
    repo.add_to_collaborators(BOT, "push")
    assert repo.get_collaborator_permission("bob") == "write"
    repo.create_git_ref("refs/heads/feature", base_sha)
    created = repo.create_file("erd/sales.dbml", "add sales", DBML, branch="feature")
    repo.create_file("policy.yaml", "add policy", "owner: data-eng\n", branch="feature")
    head_sha = repo.get_branch("feature").commit.sha
    assert head_sha != base_sha

    # the PR and its conversation
    pull = repo.create_pull(base="main", head="feature", title="Sales domain", body="first ERD")
    assert (pull.number, pull.head.sha, pull.base.ref) == (1, head_sha, "main")
    assert sorted(f.filename for f in pull.get_files()) == ["erd/sales.dbml", "policy.yaml"]
    assert len(list(pull.get_commits())) == 2
    bob = client(sandbox, "bob").get_repo("alice/lakehouse").get_pull(1)
    comment = bob.create_issue_comment("rename customers.email to email_address")
    inline = bob.create_review_comment(
        "should email be required?", repo.get_commit(head_sha), "erd/sales.dbml", line=3, side="RIGHT"
    )
    assert (inline.path, inline.line, inline.commit_id) == ("erd/sales.dbml", 3, head_sha)
    bot = client(sandbox, BOT)
    bot_pull = bot.get_repo("alice/lakehouse").get_pull(1)
    reply = bot_pull.create_review_comment_reply(inline.id, "Yes: email is now [not null].")
    assert reply.in_reply_to_id == inline.id
    review = bob.create_review(
        body="Looks right.",
        event="COMMENT",
        comments=[{"path": "erd/sales.dbml", "line": 2, "body": "a bigint key"}],
    )
    assert (review.state, review.user.login) == ("COMMENTED", "bob")
    assert len(list(repo.get_pull(1).get_review_comments())) == 3  # the inline one, its reply, the review's

    # a check run with 120 annotations in three requests (GitHub takes at most 50 per request)
    run = bot.get_repo("alice/lakehouse").create_check_run(
        "accelerator/plan",
        head_sha,
        status="in_progress",
        output={"title": "plan", "summary": "120 findings", "annotations": annotations(50, 1)},
    )
    run.edit(output={"title": "plan", "summary": "120 findings", "annotations": annotations(50, 51)})
    run.edit(
        status="completed",
        conclusion="neutral",
        output={"title": "plan", "summary": "120 findings", "annotations": annotations(20, 101)},
    )
    found = [annotation.message for annotation in run.get_annotations()]
    assert found == [f"finding {index}" for index in range(1, 121)]
    assert [r.id for r in repo.get_commit(head_sha).get_check_runs()] == [run.id]

    # every limit GitHub enforces, hit once
    error = refused({422}, bob.create_issue_comment, "x" * 65_537)
    assert "Body is too long (maximum is 65536 characters)" in message(error)
    assert bob.create_issue_comment("x" * 65_536).body == "x" * 65_536  # the limit itself passes
    refused(
        {422}, run.edit, output={"title": "plan", "summary": "too many", "annotations": annotations(51, 200)}
    )
    error = refused({422}, repo.get_git_ref("heads/feature").edit, base_sha)
    assert "Update is not a fast forward" in message(error)
    refused(
        {422}, bob.create_review_comment, "off the diff", repo.get_commit(head_sha), "erd/sales.dbml", line=99
    )
    carol = client(sandbox, "carol").get_repo("alice/lakehouse")
    refused({403, 404}, carol.create_file, "x.txt", "no rights", "x", branch="feature")
    assert repo.get_branch("feature").commit.sha == head_sha  # nothing the refusals touched moved

    # a push by the bot's token is a push like any other: pull_request synchronize
    bot.get_repo("alice/lakehouse").create_file(
        "generated/model.json", "regenerate", "{}\n", branch="feature"
    )
    head_sha = repo.get_branch("feature").commit.sha
    assert repo.get_pull(1).head.sha == head_sha

    # the merge: a real merge commit of main and the branch
    merged = repo.get_pull(1).merge(merge_method="merge", commit_title="Merge sales domain")
    assert merged.merged
    merge_commit = repo.get_commit(merged.sha)
    assert [parent.sha for parent in merge_commit.parents] == [base_sha, head_sha]
    assert repo.get_branch("main").commit.sha == merged.sha
    after = repo.get_pull(1)
    assert (after.state, after.merged) == ("closed", True)
    del created, comment

    # the webhooks: every delivery the sandbox recorded reached the receiver, in order, signed
    sandbox.webhooks.wait_idle()
    recorded = list(
        reversed(
            alice.requester.requestJsonAndCheck("GET", "/app/hook/deliveries", parameters={"per_page": 100})[
                1
            ]
        )
    )
    deliveries = receiver.wait_for(len(recorded))
    # each once (the lanes send different subjects' side by side: their order across lanes may vary)
    assert sorted(d.headers["x-github-delivery"] for d in deliveries) == sorted(r["guid"] for r in recorded)
    assert all(record["status_code"] == 202 for record in recorded)
    for delivery in deliveries:
        assert signed(delivery), delivery.event
        assert GUID.fullmatch(delivery.headers["x-github-delivery"])
        assert delivery.headers["user-agent"].startswith("GitHub-Hookshot/")
        assert delivery.headers["x-github-hook-id"].isdigit()
        assert delivery.payload["sender"]["type"] in ("User", "Bot")
        assert delivery.payload["repository"]["full_name"] == "alice/lakehouse"
    kinds = [(d.event, d.payload.get("action")) for d in deliveries]
    # in order per subject: the pull request's events, and the repository's others (pushes, check runs)
    of_pull = [
        kind
        for kind, d in zip(kinds, deliveries, strict=True)
        if "pull_request" in d.payload or "issue" in d.payload
    ]
    of_repository = [kind for kind in kinds if kind[0] in ("push", "check_run")]
    assert is_subsequence(
        [
            ("pull_request", "opened"),
            ("issue_comment", "created"),
            ("pull_request_review_comment", "created"),  # the inline comment
            ("pull_request_review_comment", "created"),  # the bot's reply
            ("pull_request_review", "submitted"),
            ("issue_comment", "created"),  # the comment of exactly 65,536 characters
            ("pull_request", "synchronize"),  # the bot's generated/model.json
            ("pull_request", "closed"),
        ],
        of_pull,
    ), of_pull
    assert is_subsequence(
        [
            ("push", None),  # erd/sales.dbml to feature
            ("push", None),  # policy.yaml to feature
            ("check_run", "created"),
            ("check_run", "completed"),
            ("push", None),  # the bot's generated/model.json
            ("push", None),  # the merge to main
        ],
        of_repository,
    ), of_repository
    assert kinds.count(("issue_comment", "created")) == 2, "a refused comment sent a webhook"
    closed = next(
        d.payload for d in deliveries if (d.event, d.payload.get("action")) == ("pull_request", "closed")
    )
    assert closed["pull_request"]["merged"] is True
    synchronized = [
        d.payload for d in deliveries if (d.event, d.payload.get("action")) == ("pull_request", "synchronize")
    ]
    assert synchronized[-1]["sender"]["type"] == "Bot" and synchronized[-1]["after"] == head_sha
    pushed = [d.payload for d in deliveries if d.event == "push"]
    assert pushed[-1]["ref"] == "refs/heads/main" and pushed[-1]["after"] == merged.sha

    # a redelivery: the same body and the same X-GitHub-Delivery, recorded as a redelivery
    first = recorded[0]
    alice.requester.requestJsonAndCheck("POST", f"/app/hook/deliveries/{first['id']}/attempts")
    sandbox.webhooks.wait_idle()
    again = receiver.wait_for(len(recorded) + 1)[-1]
    assert again.headers["x-github-delivery"] == first["guid"]
    assert again.body == deliveries[0].body and signed(again)
    latest = alice.requester.requestJsonAndCheck("GET", "/app/hook/deliveries", parameters={"per_page": 100})[
        1
    ][0]
    assert (latest["guid"], latest["redelivery"]) == (first["guid"], True)
