"""A PR's life through the sandbox with PyGithub alone, the webhooks it sends checked as a receiver would."""

from __future__ import annotations

import hashlib
import hmac
import subprocess
import uuid

import httpx
import pytest
from github import GithubException

from accelerator.sandbox import RunningSandbox
from tests.sandbox.conftest import SECRET, Receiver, client


def test_a_pull_request_life_with_pygithub(sandbox: RunningSandbox, receiver: Receiver) -> None:
    alice = client(sandbox, "alice")
    me = alice.get_user()
    assert (me.login, me.type) == ("alice", "User")
    repo = me.create_repo("lakehouse", auto_init=True, description="UC setup")
    assert repo.full_name == "alice/lakehouse"
    assert repo.url.startswith(sandbox.api_url)
    assert repo.default_branch == "main"
    readme = repo.get_contents("README.md")
    assert not isinstance(readme, list)
    assert readme.decoded_content.startswith(b"# lakehouse")

    repo.add_to_collaborators("bob", "push")
    assert repo.get_collaborator_permission("bob") == "write"
    assert repo.get_collaborator_permission("alice") == "admin"

    main = repo.get_branch("main")
    repo.create_git_ref("refs/heads/feature", main.commit.sha)
    created = repo.create_file("erd/sales.dbml", "add sales", "Table customers {}\n", branch="feature")
    sha = created["content"].sha
    assert created["commit"].sha != main.commit.sha
    updated = repo.update_file("erd/sales.dbml", "rename", "Table clients {}\n", sha, branch="feature")
    content = repo.get_contents("erd/sales.dbml", ref="feature")
    assert not isinstance(content, list)
    assert content.decoded_content == b"Table clients {}\n"
    assert content.sha == updated["content"].sha
    with pytest.raises(GithubException) as stale:
        repo.update_file("erd/sales.dbml", "stale", "x", sha, branch="feature")
    assert stale.value.status == 409
    with pytest.raises(GithubException) as missing:
        repo.get_contents("erd/sales.dbml")  # only on the branch, not on main
    assert missing.value.status == 404

    pull = repo.create_pull(base="main", head="feature", title="Sales domain", body="first ERD")
    assert pull.number == 1
    assert pull.head.sha == repo.get_branch("feature").commit.sha
    again = repo.get_pull(1)
    assert (again.title, again.state, again.user.login) == ("Sales domain", "open", "alice")
    assert [p.number for p in repo.get_pulls()] == [1]

    bob = client(sandbox, "bob").get_repo("alice/lakehouse")
    comment = bob.get_pull(1).create_issue_comment("rename customers.email_addr to email")
    assert comment.user.login == "bob"
    bot = client(sandbox, "accelerator[bot]")
    assert bot.get_user().type == "Bot"
    bot_repo = bot.get_repo("alice/lakehouse")
    with pytest.raises(GithubException) as denied:
        bot_repo.create_file("x.txt", "no rights", "x", branch="feature")
    assert denied.value.status == 403
    repo.add_to_collaborators("accelerator[bot]", "push")
    bot_repo.create_file("generated/model.json", "regenerate", "{}\n", branch="feature")
    reply = bot_repo.get_pull(1).create_issue_comment("Renamed; regenerated.")
    assert [c.body for c in repo.get_pull(1).get_issue_comments()] == [comment.body, reply.body]
    assert repo.get_pull(1).head.sha == repo.get_branch("feature").commit.sha

    sandbox.webhooks.wait_idle()
    deliveries = receiver.wait_for(8)
    assert [(d.event, d.payload.get("action", d.payload.get("ref"))) for d in deliveries] == [
        ("push", "refs/heads/feature"),  # the branch created
        ("push", "refs/heads/feature"),  # created by the contents API
        ("push", "refs/heads/feature"),  # updated
        ("pull_request", "opened"),
        ("issue_comment", "created"),
        ("push", "refs/heads/feature"),  # the bot's commit
        ("pull_request", "synchronize"),
        ("issue_comment", "created"),
    ]
    created, first_file = deliveries[0].payload, deliveries[1].payload
    assert (created["created"], created["before"], created["commits"]) == (True, "0" * 40, [])
    assert first_file["before"] == created["after"]
    assert [c["added"] for c in first_file["commits"]] == [["erd/sales.dbml"]]
    assert first_file["head_commit"]["id"] == first_file["after"]
    assert deliveries[6].payload["before"] == deliveries[5].payload["before"]
    assert deliveries[6].payload["after"] == deliveries[5].payload["after"]
    deliveries = [d for d in deliveries if d.event != "push"]
    for delivery in deliveries:
        expected = "sha256=" + hmac.new(SECRET.encode(), delivery.body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(delivery.headers["x-hub-signature-256"], expected)
        assert uuid.UUID(delivery.headers["x-github-delivery"])
        assert delivery.headers["user-agent"].startswith("GitHub-Hookshot/")
        assert delivery.payload["repository"]["full_name"] == "alice/lakehouse"
    assert deliveries[1].payload["sender"]["login"] == "bob"
    assert deliveries[1].payload["issue"]["pull_request"]["url"].endswith("/pulls/1")
    assert deliveries[2].payload["sender"]["type"] == "Bot"
    assert deliveries[3].payload["comment"]["body"] == "Renamed; regenerated."
    recorded = [d for d in sandbox.state.data["deliveries"] if d["event"] != "push"]
    assert [(d["guid"], d["status_code"]) for d in recorded] == [
        (d.headers["x-github-delivery"], 202) for d in deliveries
    ]


def test_refs_move_by_fast_forward_unless_forced(sandbox: RunningSandbox, tmp_path) -> None:
    repo = client(sandbox, "alice").get_user().create_repo("refs", auto_init=True)
    first = repo.get_branch("main").commit.sha
    repo.create_git_ref("refs/heads/work", first)
    second = repo.create_file("a.txt", "a", "a", branch="work")["commit"].sha
    ref = repo.get_git_ref("heads/main")
    assert ref.object.sha == first
    ref.edit(second)  # a fast-forward
    assert repo.get_git_ref("heads/main").object.sha == second
    with pytest.raises(GithubException) as backwards:
        ref.edit(first)
    assert backwards.value.status == 422
    assert backwards.value.data["message"] == "Update is not a fast forward"
    ref.edit(first, force=True)
    assert repo.get_branch("main").commit.sha == first

    # The objects are real: git itself reads the commit the contents API wrote.
    bare = tmp_path / "state" / "repos" / "alice" / "refs.git"
    shown = subprocess.run(
        ["git", "--git-dir", str(bare), "show", f"{second}:a.txt"], capture_output=True, check=True
    )
    assert shown.stdout == b"a"


def test_deliveries_are_listed_and_a_redelivery_carries_the_same_id(
    sandbox: RunningSandbox, receiver: Receiver
) -> None:
    repo = client(sandbox, "alice").get_user().create_repo("hooks", auto_init=True)
    repo.create_git_ref("refs/heads/f", repo.get_branch("main").commit.sha)
    repo.create_file("a.txt", "a", "a", branch="f")
    repo.create_pull(base="main", head="f", title="t")
    sandbox.webhooks.wait_idle()
    headers = {"Authorization": "token alice"}
    listed = httpx.get(f"{sandbox.api_url}/app/hook/deliveries", headers=headers).json()
    assert [(d["event"], d["action"], d["status"], d["redelivery"]) for d in listed] == [
        ("pull_request", "opened", "OK", False),
        ("push", None, "OK", False),
        ("push", None, "OK", False),
    ]
    first = receiver.wait_for(3)[2]
    assert listed[0]["guid"] == first.headers["x-github-delivery"]
    one = httpx.get(f"{sandbox.api_url}/app/hook/deliveries/{listed[0]['id']}", headers=headers).json()
    assert one["request"]["payload"]["pull_request"]["number"] == 1
    attempt = httpx.post(f"{sandbox.api_url}/app/hook/deliveries/{listed[0]['id']}/attempts", headers=headers)
    assert attempt.status_code == 202
    sandbox.webhooks.wait_idle()
    again = receiver.wait_for(4)[3]
    assert again.headers["x-github-delivery"] == first.headers["x-github-delivery"]
    assert again.body == first.body
    assert again.headers["x-hub-signature-256"] == first.headers["x-hub-signature-256"]
    listed = httpx.get(f"{sandbox.api_url}/app/hook/deliveries", headers=headers).json()
    assert [d["redelivery"] for d in listed] == [True, False, False, False]
    assert httpx.get(f"{sandbox.api_url}/app/hook/deliveries/999999", headers=headers).status_code == 404
    assert httpx.get(f"{sandbox.api_url}/app/hook/deliveries").status_code == 401


def test_a_failed_delivery_is_recorded_and_not_retried(tmp_path) -> None:
    from accelerator.sandbox import start_sandbox

    running = start_sandbox(tmp_path / "s", webhook_url="http://127.0.0.1:9/nowhere", webhook_secret="s")
    try:
        repo = client(running, "alice").get_user().create_repo("r", auto_init=True)
        repo.create_git_ref("refs/heads/f", repo.get_branch("main").commit.sha)
        repo.create_file("a.txt", "a", "a", branch="f")
        repo.create_pull(base="main", head="f", title="t")
        running.webhooks.wait_idle()
        recorded = running.state.data["deliveries"]
        assert [(d["event"], d["status_code"]) for d in recorded] == [
            ("push", 0),
            ("push", 0),
            ("pull_request", 0),
        ]
    finally:
        running.stop()
