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


@dataclass(frozen=True)
class BotSettings:
    api_url: str
    token: str
    webhook_secret: str | None = None
    bot_login: str | None = None  # None: asked once from the API (GET /user)
    prefix: str = DEFAULT_PREFIX
    write_spacing: float = DEFAULT_WRITE_SPACING  # seconds between two writes of one installation

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
        if not token:
            raise AcceleratorError(
                "GITHUB_TOKEN is not set: the bot cannot read or write pull requests",
                hint="set GITHUB_TOKEN to a token with contents, pull-requests and checks write",
            )
        api_url = (env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
        if not api_url.startswith(("http://", "https://")):
            raise AcceleratorError(
                f"GITHUB_API_URL {api_url!r} is not an http(s) URL",
                hint="leave it unset for api.github.com, or give the sandbox's URL (http://host:port/api/v3)",
            )
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
        return cls(
            api_url=api_url,
            token=token,
            webhook_secret=secret,
            bot_login=env.get("GITHUB_BOT_LOGIN") or None,
            write_spacing=spacing,
        )
