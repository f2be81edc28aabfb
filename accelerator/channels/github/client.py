"""The PyGithub client of one installation, and who may edit.

The write governor is PyGithub's own: one client per installation, `seconds_between_writes` from the
settings (GitHub asks for at least a second between mutating requests; 0 against the sandbox) and
its `GithubRetry`, which waits out `Retry-After` and the rate-limit reset before trying again. Reads
are not spaced. Every write of the bot is idempotent by construction (markers, trailers), so a
retried request never posts twice.
"""

from __future__ import annotations

import threading

from github import Auth, Github, GithubException, GithubRetry

from accelerator.channels.github.settings import BotSettings

EDITING_PERMISSIONS = frozenset({"admin", "maintain", "write"})


def github_client(settings: BotSettings) -> Github:
    return Github(
        base_url=settings.api_url,
        auth=Auth.Token(settings.token),
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
        self._lock = threading.Lock()

    @property
    def login(self) -> str:
        with self._lock:
            if self._login is None:
                self._login = self._github.get_user().login
            return self._login


def permission(github: Github, repository: str, login: str) -> str:
    """The user's permission on the repository (`admin`, `maintain`, `write`, `triage`, `read`,
    `none`); a user GitHub does not know as a collaborator has `none`."""
    try:
        return github.get_repo(repository).get_collaborator_permission(login)
    except GithubException as failure:
        if failure.status in (403, 404):
            return "none"
        raise


def may_edit(level: str) -> bool:
    return level in EDITING_PERMISSIONS
