"""The sandbox's GitHub App: JWTs (RS256, the App's key, 10 minutes at most), its installation, and
installation tokens that act as the bot, through PyGithub as a real App would use GitHub."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from github import Auth, Github, GithubException, GithubIntegration

from accelerator.sandbox import RunningSandbox, start_sandbox
from accelerator.sandbox.api_app import register_app
from tests.sandbox.conftest import client
from tests.sandbox.helpers import rsa_private_key

BOT = "accelerator[bot]"
APP_ID = 77


KEY = rsa_private_key()


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    running = start_sandbox(tmp_path / "state", bot_login=BOT)
    register_app(running.state, APP_ID, KEY)
    alice = client(running, "alice")
    alice.get_user().create_repo("lakehouse", auto_init=True)
    try:
        yield running
    finally:
        running.stop()


def token(claims: dict[str, object], key: str = KEY) -> str:
    return jwt.encode(claims, key, "RS256")


def status(sandbox: RunningSandbox, path: str, credential: str, method: str = "GET") -> int:
    answer = httpx.request(method, sandbox.api_url + path, headers={"Authorization": f"Bearer {credential}"})
    return answer.status_code


def test_an_app_finds_its_installation_and_its_token_acts_as_the_bot(sandbox: RunningSandbox) -> None:
    integration = GithubIntegration(auth=Auth.AppAuth(APP_ID, KEY), base_url=sandbox.api_url, retry=None)
    assert integration.get_app().slug == "accelerator"
    installations = list(integration.get_installations())
    assert [i.id for i in installations] == [1]
    assert integration.get_repo_installation("alice", "lakehouse").id == 1
    granted = integration.get_access_token(1)
    assert granted.token.startswith("ghs_")
    assert 3500 < granted.expires_at.timestamp() - time.time() <= 3600
    bot = Github(
        base_url=sandbox.api_url,
        auth=Auth.Token(granted.token),
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    me = bot.get_user()
    assert (me.login, me.type) == (BOT, "Bot")
    # PyGithub's own installation auth works the same way
    installed = Github(
        base_url=sandbox.api_url,
        auth=Auth.AppAuth(APP_ID, KEY).get_installation_auth(1),
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    assert installed.get_repo("alice/lakehouse").full_name == "alice/lakehouse"


def test_forged_expired_long_and_misplaced_jwts_are_refused(sandbox: RunningSandbox) -> None:
    now = int(time.time())
    good = {"iat": now - 60, "exp": now + 540, "iss": str(APP_ID)}
    assert status(sandbox, "/app", token(good)) == 200
    assert status(sandbox, "/app", token(good, rsa_private_key())) == 401  # another key
    assert status(sandbox, "/app", token({**good, "iss": "999"})) == 401  # no such App
    assert status(sandbox, "/app", token({**good, "iat": now - 1200, "exp": now - 600})) == 401  # expired
    assert status(sandbox, "/app", token({**good, "exp": now + 3600})) == 401  # over 10 minutes
    assert status(sandbox, "/app", "not.a.jwt") == 401
    assert status(sandbox, "/repos/alice/lakehouse", token(good)) == 401  # a JWT is for /app only
    assert status(sandbox, "/app", "alice") == 401  # a user is not the App
    assert status(sandbox, "/app/hook/deliveries", "alice") == 401  # once an App exists, its JWT only
    assert status(sandbox, "/app/hook/deliveries", token(good)) == 200


def test_installation_tokens_are_refused_when_unknown_or_expired(sandbox: RunningSandbox) -> None:
    now = int(time.time())
    app = token({"iat": now - 60, "exp": now + 540, "iss": str(APP_ID)})
    answer = httpx.post(
        f"{sandbox.api_url}/app/installations/1/access_tokens", headers={"Authorization": f"Bearer {app}"}
    )
    assert answer.status_code == 201
    granted = answer.json()["token"]
    assert status(sandbox, "/user", granted) == 200
    assert status(sandbox, "/user", "ghs_" + "x" * 36) == 401
    assert status(sandbox, "/app/installations/2/access_tokens", app, "POST") == 404
    with sandbox.state.lock:
        sandbox.state.data["app_tokens"][granted]["expires_at"] = now - 1
    assert status(sandbox, "/user", granted) == 401


def test_an_app_made_from_a_manifest_answers_its_private_key(sandbox: RunningSandbox) -> None:
    answer = httpx.post(
        f"{sandbox.api_url}/app-manifests/a-code/conversions", headers={"Authorization": "token alice"}
    )
    assert answer.status_code == 201
    made = answer.json()
    integration = GithubIntegration(
        auth=Auth.AppAuth(made["id"], made["pem"]), base_url=sandbox.api_url, retry=None
    )
    assert integration.get_app().id == made["id"]


def test_a_key_that_is_not_rsa_is_refused(tmp_path: Path) -> None:
    from accelerator.sandbox.state import SandboxState

    with pytest.raises(ValueError, match="PEM"):
        register_app(SandboxState(tmp_path), 1, "not a key")
    with pytest.raises(ValueError, match="positive"):
        register_app(SandboxState(tmp_path), 0, KEY)


def test_without_an_app_the_deliveries_still_answer_a_user(tmp_path: Path) -> None:
    running = start_sandbox(tmp_path / "state", bot_login=BOT)
    try:
        assert status(running, "/app/hook/deliveries", "alice") == 200
        with pytest.raises(GithubException):
            GithubIntegration(auth=Auth.AppAuth(APP_ID, KEY), base_url=running.api_url, retry=None).get_app()
    finally:
        running.stop()
