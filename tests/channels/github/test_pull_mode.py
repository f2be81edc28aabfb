"""Pull mode: deliveries the server never received (the App's webhook points at a closed port) are read
from the App's recorded deliveries with its JWT, queued in order and answered once with an
installation token; a delivery that also came by push is one turn, not two."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from github import GithubException

from accelerator.channels.github.client import app_tokens, github_client
from accelerator.channels.github.commits import trailer_of
from accelerator.channels.github.intake import Metrics
from accelerator.channels.github.pipeline import PullRequestBot
from accelerator.channels.github.pull import DeliveryPuller, parse_interval
from accelerator.channels.github.settings import BotSettings
from accelerator.channels.github.summary import SUMMARY_MARKER
from accelerator.channels.github.workers import Workers
from accelerator.memory import MemoryPool, MemoryStore
from accelerator.sandbox.api_app import register_app
from tests.channels.github.conftest import BOT_LOGIN, Harness
from tests.sandbox.helpers import closed_port, github_as, rsa_private_key

APP_ID = 4242


def app_settings(api_url: str, key: str) -> BotSettings:
    return BotSettings(api_url=api_url, token="", write_spacing=0, app_id=APP_ID, app_private_key=key)


@dataclass
class Unreachable:
    """A bot GitHub cannot reach: its App webhook fails, so only the recorded deliveries tell it."""

    harness: Harness
    puller: DeliveryPuller
    settings: BotSettings


@pytest.fixture
def unreachable(
    tmp_path: Path, pool: MemoryPool, store: MemoryStore, schema_name: str
) -> Iterator[Unreachable]:
    from accelerator.sandbox import start_sandbox

    sandbox = start_sandbox(
        tmp_path / "state",
        webhook_url=f"http://127.0.0.1:{closed_port()}/webhook",
        webhook_secret="unused",
        bot_login=BOT_LOGIN,
    )
    key = rsa_private_key()
    register_app(sandbox.state, APP_ID, key)
    settings = app_settings(sandbox.api_url, key)
    bot = PullRequestBot(pool, settings, github_client(settings), schema=schema_name)
    tokens = app_tokens(settings)
    assert tokens is not None
    workers = Workers(store, bot.handle, count=2)
    puller = DeliveryPuller(tokens.app_client(), store, bot.ignored, metrics=Metrics())
    try:
        yield Unreachable(Harness(sandbox, bot, workers, store, ""), puller, settings)
    finally:
        sandbox.stop()


def test_deliveries_the_server_never_received_are_read_and_answered(unreachable: Unreachable) -> None:
    harness, puller = unreachable.harness, unreachable.puller
    repo = harness.repository()
    pull = harness.open_pull(repo)
    harness.sandbox.webhooks.wait_idle()
    failed = [d for d in harness.sandbox.state.data["deliveries"] if d["status_code"] == 0]
    assert failed, "the App's webhook should have failed (closed port)"
    assert harness.workers.drain() == 0  # nothing came in
    report = puller.sweep()
    assert report.queued >= 1 and report.failed == 0, report
    assert harness.workers.drain() >= 1
    head = repo.get_branch("feature").commit
    assert trailer_of(head.commit.message) is not None  # the turn's one commit
    comments = [c for c in repo.get_pull(pull.number).get_issue_comments() if c.user.login == BOT_LOGIN]
    assert len(comments) == 1 and comments[0].body.startswith(SUMMARY_MARKER)
    # the bot's own push and the sweep's overlap: read again, nothing new
    harness.sandbox.webhooks.wait_idle()
    puller.sweep()
    harness.workers.drain()
    again = puller.sweep()
    assert again.queued == 0, again
    assert repo.get_branch("feature").commit.sha == head.sha
    assert len([c for c in repo.get_pull(pull.number).get_issue_comments() if c.user.login == BOT_LOGIN]) == 1
    # a comment made while the server was away is a turn too, in order
    bob = harness.client("bob").get_repo("alice/lakehouse").get_pull(pull.number)
    bob.create_issue_comment("/uc rename column crm.customers.full_name to customer_name")
    harness.sandbox.webhooks.wait_idle()
    assert puller.sweep().queued == 1
    harness.workers.drain()
    assert "customer_name varchar(200)" in harness.text(repo, "erd/retail.dbml")
    assert repo.get_branch("feature").commit.commit.parents[0].sha == head.sha  # one more commit
    # the bot wrote with an installation token, and asked GitHub for its login through the App
    assert harness.sandbox.state.data["app_tokens"]
    assert harness.bot.identity.login == BOT_LOGIN


def test_a_delivery_that_also_came_by_push_is_one_turn(harness: Harness) -> None:
    key = rsa_private_key()
    register_app(harness.sandbox.state, APP_ID, key)
    tokens = app_tokens(app_settings(harness.sandbox.api_url, key))
    assert tokens is not None
    puller = DeliveryPuller(tokens.app_client(), harness.store, harness.bot.ignored)
    repo = harness.repository()
    pull = harness.open_pull(repo)
    harness.settle()
    head = repo.get_branch("feature").commit.sha
    report = puller.sweep()
    assert report.queued == 0 and report.known >= 1, report
    # a push-mode server reads one by one only what GitHub could not deliver: here, nothing
    pushed = DeliveryPuller(tokens.app_client(), harness.store, harness.bot.ignored, failed_only=True).sweep()
    assert pushed.received >= 1 and pushed.fetched == pushed.queued == pushed.known == 0, pushed
    harness.settle()
    assert repo.get_branch("feature").commit.sha == head
    comments = [c for c in repo.get_pull(pull.number).get_issue_comments() if c.user.login == BOT_LOGIN]
    assert len(comments) == 1
    assert [r.kind for r in harness.reports].count("push") == 1


def test_the_apps_deliveries_take_its_jwt_not_a_user_token(unreachable: Unreachable) -> None:
    alice = github_as(unreachable.harness.sandbox.api_url, "alice")
    with pytest.raises(GithubException) as refused:
        alice.requester.requestJsonAndCheck("GET", "/app/hook/deliveries")
    assert refused.value.status == 401


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30.0), ("5m", 300.0), ("1h", 3600.0), ("500ms", 0.5), ("2", 2.0)]
)
def test_intervals(text: str, seconds: float) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "0s", "2d", "-1s", "25h"])
def test_a_bad_interval_says_how_to_write_one(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|range"):
        parse_interval(text)


def test_a_push_mode_server_catches_up_the_deliveries_it_missed(unreachable: Unreachable) -> None:
    harness = unreachable.harness
    tokens = app_tokens(unreachable.settings)
    assert tokens is not None
    catch_up = DeliveryPuller(tokens.app_client(), harness.store, harness.bot.ignored, failed_only=True)
    repo = harness.repository()
    pull = harness.open_pull(repo)
    harness.sandbox.webhooks.wait_idle()
    report = catch_up.sweep()
    assert report.queued >= 1 and report.received == 0, report
    harness.workers.drain()
    comments = [c for c in repo.get_pull(pull.number).get_issue_comments() if c.user.login == BOT_LOGIN]
    assert len(comments) == 1


def test_in_pull_mode_the_server_has_no_webhook_route(store: MemoryStore) -> None:
    from starlette.testclient import TestClient

    from accelerator.channels.github.intake import create_app

    client = TestClient(create_app(store, None, lambda event: None))
    assert client.post("/webhook", content=b"{}").status_code == 404
    assert client.get("/healthz").status_code == 200


def test_pull_mode_needs_the_app_and_a_valid_interval(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env["GITHUB_TOKEN"] = "a-token"
    for arguments, message in (
        (["--pull"], "GITHUB_APP_ID is not set"),
        (["--pull", "--interval", "soon"], "is not a duration"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "accelerator", "serve", *arguments],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        assert done.returncode != 0
        assert message in done.stdout + done.stderr, done.stdout + done.stderr
