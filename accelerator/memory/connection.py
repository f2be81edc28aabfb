"""Choose the memory database from config and environment, and hand out connection kwargs.

Precedence, first match wins:
1. a URL: the `url` argument, `memory.url`, or `DATABASE_URL`                          -> any PostgreSQL
2. a Lakebase Autoscaling endpoint: `memory.endpoint` or `LAKEBASE_ENDPOINT`           -> OAuth token
3. a Lakebase Provisioned instance: `memory.instance_name`                             -> OAuth token
4. `PGHOST` with a Databricks identity (`DATABRICKS_CLIENT_ID`/`DATABRICKS_HOST`), as a Databricks App
   with a database resource sees it                                                     -> workspace OAuth token
5. `PGHOST` alone                                                                       -> libpq variables
6. nothing: the embedded PostgreSQL under `memory.embedded_dir` (`.accelerator/pg`)
PGHOST/PGPORT/PGDATABASE/PGUSER override what the Databricks API reports; Lakebase never connects
with less than `sslmode=require`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from pydantic import SecretStr

from accelerator.errors import DatabaseConfigError
from accelerator.memory import lakebase
from accelerator.memory.config import ENDPOINT_NAME, LAKEBASE_DATABASE, LAKEBASE_PORT, MemoryConfig
from accelerator.memory.credentials import CachedCredential, CredentialProvider
from accelerator.memory.embedded import embedded_kwargs
from accelerator.memory.lakebase import WorkspaceClientFactory, WorkspaceClientLike

# Modes stricter than `require` are kept; anything weaker is raised to `require` for Lakebase.
STRICT_SSL_MODES = frozenset({"require", "verify-ca", "verify-full"})


class AuthMode(StrEnum):
    URL = "url"
    LIBPQ_ENV = "libpq-env"
    LAKEBASE_PROVISIONED = "lakebase-provisioned"
    LAKEBASE_AUTOSCALING = "lakebase-autoscaling"
    LAKEBASE_APP = "lakebase-app"
    EMBEDDED = "embedded"


class ConnectionSource:
    """Everything needed to connect, except that the password is fetched (and cached) on demand.

    `kwargs()` is what the pool calls for every new connection. Neither `repr` nor `description`
    ever contains the password.
    """

    def __init__(
        self,
        mode: AuthMode,
        *,
        settings: Mapping[str, Any] | None = None,
        lazy_settings: Callable[[], Mapping[str, Any]] | None = None,
        password: SecretStr | None = None,
        credentials: CachedCredential | None = None,
        schema: str = "accelerator",
        max_lifetime: timedelta = timedelta(minutes=45),
        pool_min_size: int = 1,
        pool_max_size: int = 10,
    ) -> None:
        self.mode = mode
        self._settings = dict(settings or {})
        self._lazy_settings = lazy_settings
        self._password = password
        self.credentials = credentials
        self.schema = schema
        self.max_lifetime = max_lifetime
        self.pool_min_size = pool_min_size
        self.pool_max_size = pool_max_size

    @property
    def settings(self) -> dict[str, Any]:
        """Host, port, database, user and sslmode; never the password."""
        if self._lazy_settings is not None:
            self._settings = {**self._lazy_settings(), **self._settings}
            self._lazy_settings = None
        return {key: value for key, value in self._settings.items() if key != "password"}

    def kwargs(self) -> dict[str, Any]:
        """Connection kwargs with a password valid for at least the refresh margin."""
        kwargs = self.settings
        if self.credentials is not None:
            kwargs["password"] = self.credentials.get().password.get_secret_value()
        elif self._password is not None:
            kwargs["password"] = self._password.get_secret_value()
        return kwargs

    @property
    def rotates_credentials(self) -> bool:
        return self.credentials is not None

    def invalidate(self) -> None:
        """Drop the cached token so the next connection mints a new one."""
        if self.credentials is not None:
            self.credentials.invalidate()

    @property
    def token_expires_at(self) -> datetime | None:
        return None if self.credentials is None else self.credentials.expires_at

    @property
    def description(self) -> str:
        if self.mode is AuthMode.EMBEDDED and self._lazy_settings is not None:
            return f"{self.mode}: not started yet"
        settings = self.settings
        where = settings.get("host") or "(libpq default)"
        port = settings.get("port")
        target = f"{where}:{port}" if port else str(where)
        return (
            f"{self.mode}: {settings.get('user') or '(default user)'}@{target}/{settings.get('dbname') or ''}"
        )

    def __repr__(self) -> str:
        return f"ConnectionSource({self.description!r})"

    __str__ = __repr__


def resolve_connection(
    config: MemoryConfig | None = None,
    env: Mapping[str, str] = os.environ,
    *,
    url: str | None = None,
    workspace_client: WorkspaceClientLike | WorkspaceClientFactory | None = None,
) -> ConnectionSource:
    """Turn config and environment into a `ConnectionSource` (see the module docstring for precedence)."""
    config = config or MemoryConfig()
    workspace = _memoized_workspace(workspace_client)
    common: dict[str, Any] = {
        "schema": config.schema_name,
        "max_lifetime": config.max_connection_lifetime,
        "pool_min_size": config.pool_min_size,
        "pool_max_size": config.pool_max_size,
    }

    chosen_url = url or (config.url.get_secret_value() if config.url else None) or env.get("DATABASE_URL")
    if chosen_url:
        try:
            settings = dict(conninfo_to_dict(chosen_url))
        except psycopg.ProgrammingError:  # its message quotes the URL, password included: not shown
            raise DatabaseConfigError(
                "the memory database URL is not a PostgreSQL connection string",
                hint="write it as postgresql://user@host:5432/database",
            ) from None
        password = settings.pop("password", None)
        return ConnectionSource(
            AuthMode.URL,
            settings=settings,
            password=SecretStr(str(password)) if password else None,
            **common,
        )

    endpoint = config.endpoint or env.get("LAKEBASE_ENDPOINT")
    if endpoint:
        if not ENDPOINT_NAME.match(endpoint):  # from the environment, so not validated yet
            raise DatabaseConfigError(
                f"LAKEBASE_ENDPOINT {endpoint!r} is not a Lakebase endpoint name",
                hint="use the form projects/<project>/branches/<branch>/endpoints/<endpoint>",
            )
        host = config.host or env.get("PGHOST") or lakebase.autoscaling_host(workspace(), endpoint)
        provider = lakebase.autoscaling_credentials(_Deferred(workspace), endpoint)
        return _lakebase_source(AuthMode.LAKEBASE_AUTOSCALING, host, provider, config, env, workspace, common)

    if config.instance_name:
        host = (
            config.host or env.get("PGHOST") or lakebase.provisioned_host(workspace(), config.instance_name)
        )
        provider = lakebase.provisioned_credentials(_Deferred(workspace), config.instance_name)
        return _lakebase_source(AuthMode.LAKEBASE_PROVISIONED, host, provider, config, env, workspace, common)

    if env.get("PGHOST") and (env.get("DATABRICKS_CLIENT_ID") or env.get("DATABRICKS_HOST")):
        provider = lakebase.workspace_oauth_credentials(_Deferred(workspace))
        return _lakebase_source(
            AuthMode.LAKEBASE_APP, env["PGHOST"], provider, config, env, workspace, common
        )

    if env.get("PGHOST"):
        settings = {
            "host": env["PGHOST"],
            "port": config.port or env.get("PGPORT"),
            "dbname": config.database or env.get("PGDATABASE"),
            "user": config.user or env.get("PGUSER"),
            "sslmode": env.get("PGSSLMODE"),
        }
        password = env.get("PGPASSWORD")
        return ConnectionSource(
            AuthMode.LIBPQ_ENV,
            settings={key: value for key, value in settings.items() if value},
            password=SecretStr(password) if password else None,
            **common,
        )

    directory = config.embedded_dir
    return ConnectionSource(AuthMode.EMBEDDED, lazy_settings=lambda: embedded_kwargs(directory), **common)


def _lakebase_source(
    mode: AuthMode,
    host: str,
    provider: CredentialProvider,
    config: MemoryConfig,
    env: Mapping[str, str],
    workspace: Callable[[], WorkspaceClientLike],
    common: dict[str, Any],
) -> ConnectionSource:
    requested_ssl = env.get("PGSSLMODE", "require")
    settings = {
        "host": host,
        "port": config.port or int(env.get("PGPORT") or LAKEBASE_PORT),
        "dbname": config.database or env.get("PGDATABASE") or LAKEBASE_DATABASE,
        "user": config.user or lakebase.lakebase_user(env, workspace),
        "sslmode": requested_ssl if requested_ssl in STRICT_SSL_MODES else "require",
    }
    credentials = CachedCredential(provider, margin=config.token_refresh_margin)
    return ConnectionSource(mode, settings=settings, credentials=credentials, **common)


def _memoized_workspace(
    given: WorkspaceClientLike | WorkspaceClientFactory | None,
) -> Callable[[], WorkspaceClientLike]:
    """Build the WorkspaceClient only if a Lakebase mode needs it, and only once."""
    cache: list[WorkspaceClientLike] = []

    def get() -> WorkspaceClientLike:
        if not cache:
            if given is None:
                cache.append(lakebase.default_workspace_client())
            elif callable(given):
                cache.append(given())
            else:
                cache.append(given)
        return cache[0]

    return get


class _Deferred:
    """A WorkspaceClientLike that builds the real client on first attribute access."""

    def __init__(self, factory: Callable[[], WorkspaceClientLike]) -> None:
        self._factory = factory

    @property
    def database(self) -> Any:
        return self._factory().database

    @property
    def postgres(self) -> Any:
        return self._factory().postgres

    @property
    def current_user(self) -> Any:
        return self._factory().current_user

    @property
    def config(self) -> Any:
        return self._factory().config
