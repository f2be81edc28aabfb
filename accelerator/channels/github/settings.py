"""The bot's settings from the environment. A missing or malformed value is a clear error naming the
variable; the webhook secret is required by the server (it refuses to start without one)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from accelerator.errors import AcceleratorError

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_PREFIX = "/uc"
DEFAULT_WRITE_SPACING = 1.0  # GitHub asks for at least one second between mutating requests


MAX_KEY_BYTES = 16 * 1024


@dataclass(frozen=True)
class BotSettings:
    api_url: str
    token: str  # empty when the bot authenticates as a GitHub App
    webhook_secret: str | None = None
    bot_login: str | None = None  # None: asked once from the API (GET /user)
    prefix: str = DEFAULT_PREFIX
    write_spacing: float = DEFAULT_WRITE_SPACING  # seconds between two writes of one worker thread
    app_id: int | None = None  # GITHUB_APP_ID: installation tokens from the App's key, not a token
    app_private_key: str | None = None
    installation_id: int | None = None  # GITHUB_APP_INSTALLATION_ID: outside a delivery, if several

    @property
    def uses_app(self) -> bool:
        return self.app_id is not None and self.app_private_key is not None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, require_secret: bool = True) -> BotSettings:
        env = os.environ if env is None else env
        secret = env.get("GITHUB_WEBHOOK_SECRET") or None
        if require_secret and secret is None:
            raise AcceleratorError(
                "GITHUB_WEBHOOK_SECRET is not set: the server cannot verify that a delivery comes from GitHub",
                hint="set it to the webhook secret of the GitHub App (Settings > Webhook > Secret)",
            )
        token = env.get("GITHUB_TOKEN") or ""
        app_id, key, installation = _app_credentials(env)
        if not token and app_id is None:
            raise AcceleratorError(
                "neither GITHUB_TOKEN nor GITHUB_APP_ID is set: the bot cannot read or write pull requests",
                hint="set GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY (or GITHUB_APP_PRIVATE_KEY_PATH) of the "
                "GitHub App, or GITHUB_TOKEN to a token with contents, pull-requests and checks write",
            )
        api_url, spacing = api_url_from(env), write_spacing_from(env)
        return cls(
            api_url=api_url,
            token=token,
            webhook_secret=secret,
            bot_login=env.get("GITHUB_BOT_LOGIN") or None,
            write_spacing=spacing,
            app_id=app_id,
            app_private_key=key,
            installation_id=installation,
        )


def _app_credentials(env: Mapping[str, str]) -> tuple[int | None, str | None, int | None]:
    """GITHUB_APP_ID, the private key (GITHUB_APP_PRIVATE_KEY, or the file GITHUB_APP_PRIVATE_KEY_PATH)
    and GITHUB_APP_INSTALLATION_ID; (None, None, None) without GITHUB_APP_ID."""
    text = (env.get("GITHUB_APP_ID") or "").strip()
    if not text:
        return None, None, None
    if not text.isdigit() or len(text) > 12 or int(text) == 0:
        raise AcceleratorError(
            f"GITHUB_APP_ID {text!r} is not a GitHub App id (a positive number)",
            hint="GitHub > Settings > Developer settings > GitHub Apps > your App: 'App ID'",
        )
    key = env.get("GITHUB_APP_PRIVATE_KEY") or ""
    path = env.get("GITHUB_APP_PRIVATE_KEY_PATH") or ""
    where = "GITHUB_APP_PRIVATE_KEY"
    if not key and path:
        where = f"GITHUB_APP_PRIVATE_KEY_PATH ({path})"
        try:
            with open(path, "rb") as handle:
                key = handle.read(MAX_KEY_BYTES + 1).decode("utf-8")
        except (OSError, UnicodeDecodeError) as failure:
            raise AcceleratorError(
                f"{where} cannot be read: {failure}", hint="give the .pem file GitHub let you download"
            ) from None
    if not key:
        raise AcceleratorError(
            "GITHUB_APP_ID is set but neither GITHUB_APP_PRIVATE_KEY nor GITHUB_APP_PRIVATE_KEY_PATH",
            hint="set one of them to the App's private key (the .pem GitHub generates)",
        )
    key = key.replace("\\n", "\n").strip()  # a key pasted on one line with escaped newlines
    if len(key) > MAX_KEY_BYTES or not key.startswith("-----BEGIN") or "PRIVATE KEY-----" not in key:
        raise AcceleratorError(
            f"{where} is not a PEM private key (it should start with -----BEGIN RSA PRIVATE KEY-----)",
            hint="give the .pem file GitHub generated for the App, whole",
        )
    installation_text = (env.get("GITHUB_APP_INSTALLATION_ID") or "").strip()
    installation = None
    if installation_text:
        if not installation_text.isdigit() or len(installation_text) > 12:
            raise AcceleratorError(f"GITHUB_APP_INSTALLATION_ID {installation_text!r} is not a number")
        installation = int(installation_text)
    return int(text), key + "\n", installation


def api_url_from(env: Mapping[str, str]) -> str:
    """GITHUB_API_URL (default: api.github.com), an http(s) URL."""
    api_url = (env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
    if not api_url.startswith(("http://", "https://")):
        raise AcceleratorError(
            f"GITHUB_API_URL {api_url!r} is not an http(s) URL",
            hint="leave it unset for api.github.com, or give the sandbox's URL (http://host:port/api/v3)",
        )
    return api_url


def write_spacing_from(env: Mapping[str, str]) -> float:
    """ACCELERATOR_WRITE_SPACING: seconds between a client's writes, 0 to 60 (default 1)."""
    spacing_text = env.get("ACCELERATOR_WRITE_SPACING", str(DEFAULT_WRITE_SPACING))
    try:
        spacing = float(spacing_text)
    except ValueError:
        spacing = -1.0
    if not 0 <= spacing <= 60:
        raise AcceleratorError(
            f"ACCELERATOR_WRITE_SPACING {spacing_text!r} is not a number of seconds from 0 to 60",
            hint="1 against GitHub (its guidance for mutating requests), 0 against the sandbox",
        )
    return spacing
