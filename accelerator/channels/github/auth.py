"""GitHub App authentication: the App's JWT (PyGithub's `Auth.AppAuth`) and installation tokens.

`InstallationTokens` mints a token per installation through `GithubIntegration` and keeps it until
five minutes before it expires (GitHub's last one hour). `InstallationAuth` is the PyGithub `Auth` of
the bot's client: each request takes the token of the installation the running turn belongs to
(`installation_scope`: the delivery's `installation.id`, or the repository's installation, looked
up once per repository), or, outside a turn, the App's only installation (`GITHUB_APP_INSTALLATION_ID`
when it has several).
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from github import Auth, Github, GithubException, GithubIntegration

from accelerator.errors import AcceleratorError

REFRESH_MARGIN = 300.0  # seconds before expiry at which a token is replaced

_installation: contextvars.ContextVar[int | None] = contextvars.ContextVar("installation", default=None)
_repository: contextvars.ContextVar[str | None] = contextvars.ContextVar("repository", default=None)


@contextlib.contextmanager
def installation_scope(installation: int | None, repository: str | None = None) -> Iterator[None]:
    """Within: the bot's requests use this installation's token (or the repository's installation's)."""
    first, second = _installation.set(installation), _repository.set(repository)
    try:
        yield
    finally:
        _repository.reset(second)
        _installation.reset(first)


@dataclass(frozen=True)
class AppCredentials:
    app_id: int
    private_key: str  # PEM
    installation_id: int | None = None  # the default installation (the App's only one if None)


class InstallationTokens:
    """The App's installation tokens, one per installation, refreshed before they expire."""

    def __init__(self, credentials: AppCredentials, api_url: str) -> None:
        self.credentials = credentials
        self.api_url = api_url
        self.app_auth = Auth.AppAuth(credentials.app_id, credentials.private_key)
        self.integration = GithubIntegration(auth=self.app_auth, base_url=api_url, retry=None)
        self._lock = threading.Lock()
        self._tokens: dict[int, tuple[str, float]] = {}
        self._by_repository: dict[str, int] = {}
        self._slug: str | None = None
        self.minted = 0  # tokens asked from GitHub (tests count refreshes)

    def app_client(self) -> Github:
        """A client authenticated as the App itself (its JWT, renewed per request): `/app/...` only."""
        return Github(base_url=self.api_url, auth=self.app_auth, retry=None, per_page=100)

    @property
    def bot_login(self) -> str:
        """`<slug>[bot]`, the login the App's installation tokens act as (from `GET /app`)."""
        with self._lock:
            if self._slug is None:
                self._slug = self.integration.get_app().slug
            return f"{self._slug}[bot]"

    def token(self, installation: int) -> str:
        with self._lock:
            cached = self._tokens.get(installation)
            if cached is not None and cached[1] - time.time() > REFRESH_MARGIN:
                return cached[0]
            granted = self.integration.get_access_token(installation)
            expires = granted.expires_at
            if expires.tzinfo is None:
                expires = expires.replace(tzinfo=UTC)
            self._tokens[installation] = (granted.token, expires.timestamp())
            self.minted += 1
            return granted.token

    def for_repository(self, full_name: str) -> int:
        with self._lock:
            found = self._by_repository.get(full_name.lower())
        if found is not None:
            return found
        owner, _, name = full_name.partition("/")
        try:
            installation = self.integration.get_repo_installation(owner, name).id
        except GithubException as failure:
            raise AcceleratorError(
                f"the GitHub App {self.credentials.app_id} is not installed on {full_name} "
                f"({failure.status})",
                hint="install the App on the repository (GitHub > Settings > Applications)",
            ) from None
        with self._lock:
            self._by_repository[full_name.lower()] = installation
        return installation

    def default(self) -> int:
        if self.credentials.installation_id is not None:
            return self.credentials.installation_id
        installations = list(self.integration.get_installations())
        if len(installations) != 1:
            raise AcceleratorError(
                f"the GitHub App {self.credentials.app_id} has {len(installations)} installations and this "
                "request belongs to no delivery",
                hint="set GITHUB_APP_INSTALLATION_ID to the installation to use outside a delivery",
            )
        installation = installations[0].id
        self.credentials = AppCredentials(self.credentials.app_id, self.credentials.private_key, installation)
        return installation

    def current(self) -> int:
        installation = _installation.get()
        if installation is not None:
            return installation
        repository = _repository.get()
        if repository:
            return self.for_repository(repository)
        return self.default()

    def expires_at(self, installation: int) -> datetime | None:
        cached = self._tokens.get(installation)
        return None if cached is None else datetime.fromtimestamp(cached[1], UTC)


class InstallationAuth(Auth.Auth):
    """PyGithub's `Auth` for the bot's client: the current installation's token on every request."""

    def __init__(self, tokens: InstallationTokens) -> None:
        self.tokens = tokens

    @property
    def token_type(self) -> str:
        return "token"

    @property
    def token(self) -> str:
        return self.tokens.token(self.tokens.current())


_shared: dict[tuple[str, int], InstallationTokens] = {}
_shared_lock = threading.Lock()


def installation_tokens(credentials: AppCredentials, api_url: str) -> InstallationTokens:
    """One token cache per App and API (the client, the identity and the pull loop share it)."""
    key = (api_url, credentials.app_id)
    with _shared_lock:
        found = _shared.get(key)
        if found is None or found.credentials.private_key != credentials.private_key:
            found = _shared[key] = InstallationTokens(credentials, api_url)
        return found
