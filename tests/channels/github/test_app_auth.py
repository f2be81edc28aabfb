"""GitHub App authentication of the bot: its settings from the environment (each mistake named), and
installation tokens minted per installation, kept, and replaced before they expire."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from accelerator.channels.github.auth import (
    REFRESH_MARGIN,
    AppCredentials,
    InstallationTokens,
    installation_scope,
)
from accelerator.channels.github.client import github_client
from accelerator.channels.github.settings import BotSettings
from accelerator.errors import AcceleratorError
from accelerator.sandbox import RunningSandbox, start_sandbox
from accelerator.sandbox.api_app import register_app
from tests.sandbox.helpers import github_as

BOT = "accelerator[bot]"
KEY = (
    rsa.generate_private_key(public_exponent=65537, key_size=2048)
    .private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    .decode()
)


def test_app_settings_from_the_environment(tmp_path: Path) -> None:
    settings = BotSettings.from_env(
        {"GITHUB_APP_ID": "12", "GITHUB_APP_PRIVATE_KEY": KEY.replace("\n", "\\n")}, require_secret=False
    )
    assert settings.uses_app and settings.app_id == 12 and settings.token == ""
    assert settings.app_private_key is not None and settings.app_private_key.strip() == KEY.strip()
    path = tmp_path / "app.pem"
    path.write_text(KEY)
    from_file = BotSettings.from_env(
        {"GITHUB_APP_ID": "12", "GITHUB_APP_PRIVATE_KEY_PATH": str(path), "GITHUB_APP_INSTALLATION_ID": "5"},
        require_secret=False,
    )
    assert from_file.app_private_key == settings.app_private_key and from_file.installation_id == 5


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "neither GITHUB_TOKEN nor GITHUB_APP_ID"),
        ({"GITHUB_APP_ID": "twelve", "GITHUB_APP_PRIVATE_KEY": KEY}, "GITHUB_APP_ID 'twelve'"),
        ({"GITHUB_APP_ID": "12"}, "neither GITHUB_APP_PRIVATE_KEY nor GITHUB_APP_PRIVATE_KEY_PATH"),
        ({"GITHUB_APP_ID": "12", "GITHUB_APP_PRIVATE_KEY": "hunter2"}, "not a PEM private key"),
        ({"GITHUB_APP_ID": "12", "GITHUB_APP_PRIVATE_KEY_PATH": "/nonexistent.pem"}, "cannot be read"),
        (
            {"GITHUB_APP_ID": "12", "GITHUB_APP_PRIVATE_KEY": KEY, "GITHUB_APP_INSTALLATION_ID": "x"},
            "INSTALL",
        ),
    ],
)
def test_a_wrong_app_setting_is_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(AcceleratorError, match=message):
        BotSettings.from_env(env, require_secret=False)


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    running = start_sandbox(tmp_path / "state", bot_login=BOT)
    register_app(running.state, 9, KEY)
    try:
        yield running
    finally:
        running.stop()


def test_tokens_are_kept_and_replaced_before_they_expire(sandbox: RunningSandbox) -> None:
    tokens = InstallationTokens(AppCredentials(9, KEY), sandbox.api_url)
    first = tokens.token(1)
    assert tokens.token(1) == first and tokens.minted == 1  # kept
    expires = tokens.expires_at(1)
    assert expires is not None and expires.timestamp() - time.time() > 3000
    tokens._tokens[1] = (first, time.time() + REFRESH_MARGIN - 1)  # about to expire
    second = tokens.token(1)
    assert second != first and tokens.minted == 2
    assert tokens.bot_login == BOT


def test_the_bots_client_takes_the_installation_of_the_delivery_or_of_the_repository(
    sandbox: RunningSandbox,
) -> None:

    github_as(sandbox.api_url, "alice").get_user().create_repo("lake")
    settings = BotSettings(api_url=sandbox.api_url, token="", write_spacing=0, app_id=9, app_private_key=KEY)
    client = github_client(settings)
    with installation_scope(1):
        assert client.get_user().login == BOT
    with installation_scope(None, "alice/lake"):  # a delivery without `installation`: looked up
        assert client.get_repo("alice/lake").full_name == "alice/lake"
    assert client.get_user().login == BOT  # outside a delivery: the App's only installation
    with installation_scope(None, "alice/missing"), pytest.raises(AcceleratorError, match="not installed"):
        client.get_user().login  # noqa: B018 - the request
