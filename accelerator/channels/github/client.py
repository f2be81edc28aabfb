"""The PyGithub client of one installation, and who may edit.

The write governor is PyGithub's own: `seconds_between_writes` from the settings (GitHub asks for at
least a second between mutating requests; 0 against the sandbox), kept by each worker thread's client
(`PullRequestBot.github`: PyGithub's connection is not thread-safe, so threads never share one), and
its `GithubRetry`, which waits out `Retry-After` and the rate-limit reset before trying again. Reads
are not spaced. Every write of the bot is idempotent by construction (markers, trailers), so a
retried request never posts twice.
"""

from __future__ import annotations

import threading

from github import Auth, Github, GithubException, GithubRetry

from accelerator.channels.github.auth import (
    AppCredentials,
    InstallationAuth,
    InstallationTokens,
    installation_tokens,
)
from accelerator.channels.github.settings import BotSettings


def app_tokens(settings: BotSettings) -> InstallationTokens | None:
    """The App's installation tokens when the bot authenticates as a GitHub App (None: a token)."""
    if settings.app_id is None or settings.app_private_key is None:
        return None
    credentials = AppCredentials(settings.app_id, settings.app_private_key, settings.installation_id)
    return installation_tokens(credentials, settings.api_url)


class RequestCounter:
    """The GitHub requests each thread sent through the bot's client (a worker runs one delivery at
    a time: `reset` before it, `count` after). Transport retries are not counted."""

    def __init__(self) -> None:
        self._local = threading.local()

    def add(self) -> None:
        self._local.count = getattr(self._local, "count", 0) + 1

    def reset(self) -> None:
        self._local.count = 0

    def count(self) -> int:
        return int(getattr(self._local, "count", 0))


REQUESTS = RequestCounter()


class CountedAuth(Auth.Auth):
    """The client's `Auth`, counting in `REQUESTS` each request it authenticates (one per API call)."""

    def __init__(self, inner: Auth.Auth) -> None:
        self.inner = inner

    @property
    def token_type(self) -> str:
        return self.inner.token_type

    @property
    def token(self) -> str:
        return self.inner.token

    def authentication(self, headers: dict[str, str]) -> None:
        REQUESTS.add()
        self.inner.authentication(headers)

    def mask_authentication(self, headers: dict[str, str]) -> None:
        self.inner.mask_authentication(headers)


def github_client(settings: BotSettings) -> Github:
    """The bot's client: the current installation's token (a GitHub App), or GITHUB_TOKEN."""
    tokens = app_tokens(settings)
    inner: Auth.Auth = InstallationAuth(tokens) if tokens is not None else Auth.Token(settings.token)
    auth = CountedAuth(inner)
    return Github(
        base_url=settings.api_url,
        auth=auth,
        lazy=True,
        retry=GithubRetry(total=3),
        timeout=30,
        per_page=100,
        seconds_between_requests=0,
        seconds_between_writes=settings.write_spacing or None,
    )


class BotIdentity:
    """The bot's own login, from the settings or asked once from the API."""

    def __init__(self, settings: BotSettings, github: Github) -> None:
        self._login = settings.bot_login
        self._github = github
        self._tokens = app_tokens(settings)
        self._lock = threading.Lock()

    @property
    def login(self) -> str:
        with self._lock:
            if self._login is None and self._tokens is not None:
                self._login = self._tokens.bot_login  # an installation token cannot ask GET /user
            if self._login is None:
                self._login = self._github.get_user().login
            return self._login


def permission(github: Github, repository: str, login: str) -> str:
    """The user's permission on the repository (`admin`, `maintain`, `write`, `triage`, `read`,
    `none`); a user GitHub does not know as a collaborator has `none`."""
    try:
        # the role name: the legacy `permission` field says write for maintain and read for triage
        return github.get_repo(repository).get_collaborator_role_name(login)
    except GithubException as failure:
        if failure.status in (403, 404):
            return "none"
        raise
