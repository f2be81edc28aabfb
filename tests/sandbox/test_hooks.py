"""Repository hooks through PyGithub: a ping on creation, only the subscribed events, form or JSON bodies
signed with the hook's own secret, deliveries listed and redelivered with the same id, failures kept."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from github import GithubException

from accelerator.sandbox import RunningSandbox, SandboxState, start_sandbox
from tests.sandbox.conftest import Receiver, client


def test_a_repository_hook_gets_a_ping_and_its_events(sandbox: RunningSandbox, receiver: Receiver) -> None:
    repo = client(sandbox, "alice").get_user().create_repo("hooked", auto_init=True)
    url = receiver.url.replace("/hook", "/repo-hook")
    hook = repo.create_hook(
        "web", {"url": url, "content_type": "json", "secret": "s3"}, ["push"], active=True
    )
    assert (hook.name, hook.events, hook.active, hook.config["secret"]) == ("web", ["push"], True, "********")
    form = repo.create_hook("web", {"url": url + "/form"}, ["issues"])  # form is GitHub's default
    with pytest.raises(GithubException) as unknown:
        repo.create_hook("web", {"url": url + "/x", "content_type": "json"}, ["pushes"])
    assert unknown.value.status == 422
    with pytest.raises(GithubException) as not_admin:
        client(sandbox, "bob").get_repo("alice/hooked").create_hook("web", {"url": url + "/y"}, ["push"])
    assert not_admin.value.status == 404

    repo.create_file("a.txt", "a", "a")
    repo.create_issue("an issue")
    sandbox.webhooks.wait_idle()
    mine = [d for d in receiver.deliveries if d.headers.get("x-github-hook-id") == str(hook.id)]
    assert [d.event for d in mine] == ["ping", "push"]
    ping = mine[0].payload
    assert (ping["hook_id"], ping["hook"]["events"], ping["zen"]) == (hook.id, ["push"], ping["zen"])
    assert "installation" not in mine[1].payload  # a repository hook is not an App's
    for delivery in mine:
        expected = "sha256=" + hmac.new(b"s3", delivery.body, hashlib.sha256).hexdigest()
        assert delivery.headers["x-hub-signature-256"] == expected
        assert delivery.headers["x-github-hook-installation-target-type"] == "repository"
    formed = [d for d in receiver.deliveries if d.headers.get("x-github-hook-id") == str(form.id)]
    assert [d.event for d in formed] == ["ping", "issues"]
    assert formed[1].headers["content-type"] == "application/x-www-form-urlencoded"
    issue = json.loads(parse_qs(formed[1].body.decode())["payload"][0])
    assert (issue["action"], issue["issue"]["title"]) == ("opened", "an issue")
    app = [d.event for d in receiver.deliveries if d.headers.get("x-github-hook-id") == "1"]
    assert "ping" not in app and app.count("push") == 1  # the App's hook gets every event, no ping

    api = f"{sandbox.api_url}/repos/alice/hooked/hooks/{hook.id}/deliveries"
    alice = {"Authorization": "token alice"}
    listed = httpx.get(api, headers=alice).json()
    assert [(d["event"], d["status_code"], d["installation_id"]) for d in listed] == [
        ("push", 202, None),
        ("ping", 202, None),
    ]
    assert httpx.get(api, headers={"Authorization": "token bob"}).status_code == 404
    one = httpx.get(f"{api}/{listed[0]['id']}", headers=alice).json()
    assert one["request"]["payload"]["ref"] == "refs/heads/main" and one["duration"] >= 0
    assert httpx.post(f"{api}/{listed[0]['id']}/attempts", headers=alice).status_code == 202
    sandbox.webhooks.wait_idle()
    again = [d for d in receiver.deliveries if d.headers.get("x-github-hook-id") == str(hook.id)][-1]
    assert again.headers["x-github-delivery"] == mine[1].headers["x-github-delivery"]
    assert again.body == mine[1].body
    assert [d["redelivery"] for d in httpx.get(api, headers=alice).json()] == [True, False, False]
    assert httpx.get(f"{api}/{listed[0]['id'] + 10_000}", headers=alice).status_code == 404
    summaries = list(repo.get_hook_deliveries(hook.id))  # PyGithub reads them too
    assert [(d.event, d.status_code, d.redelivery) for d in summaries] == [
        ("push", 202, True),
        ("push", 202, False),
        ("ping", 202, False),
    ]
    one_delivery = repo.get_hook_delivery(hook.id, summaries[1].id)
    assert one_delivery.guid == mine[1].headers["x-github-delivery"]
    assert one_delivery.request is not None and one_delivery.request.payload["ref"] == "refs/heads/main"
    assert [h.id for h in repo.get_hooks()] == [hook.id, form.id]
    assert repo.get_hook(hook.id).last_response.code == 202

    repo.get_hook(form.id).edit("web", {"url": url + "/form"}, active=False)
    repo.create_issue("quiet")
    repo.get_hook(form.id).delete()
    assert [h.id for h in repo.get_hooks()] == [hook.id]


def test_a_failed_hook_delivery_is_recorded_once_and_survives_a_restart(tmp_path: Path) -> None:
    running = start_sandbox(tmp_path / "s")
    try:
        repo = client(running, "alice").get_user().create_repo("r", auto_init=True)
        hook = repo.create_hook(
            "web", {"url": "http://127.0.0.1:9/nowhere", "content_type": "json"}, ["push"]
        )
        repo.create_file("a.txt", "a", "a")
        running.webhooks.wait_idle()
        recorded = [(d["event"], d["status_code"]) for d in running.state.data["deliveries"]]
        assert recorded == [("ping", 0), ("push", 0)]  # not retried
        assert repo.get_hook(hook.id).last_response.status == "failed"
    finally:
        running.stop()
    reloaded = SandboxState(tmp_path / "s")
    assert [d["event"] for d in reloaded.data["deliveries"]] == ["ping", "push"]
    assert "deliveries" not in json.loads((tmp_path / "s" / "state.json").read_text())
