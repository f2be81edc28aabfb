"""Lakebase hosts and OAuth tokens, from the Databricks SDK (databricks-sdk >= 0.60).

The exact calls, checked against databricks/sdk/service/database.py and service/postgres.py:

Provisioned (`w.database`, DatabaseAPI):
    w.database.get_database_instance(name=INSTANCE).read_write_dns                  -> host
    w.database.generate_database_credential(request_id=str(uuid4()), instance_names=[INSTANCE])
        -> DatabaseCredential(token: str, expiration_time: str RFC 3339)

Autoscaling (`w.postgres`, PostgresAPI):
    w.postgres.get_endpoint(name="projects/P/branches/B/endpoints/E").status.hosts.host   -> host
    w.postgres.generate_database_credential(endpoint="projects/P/branches/B/endpoints/E")
        -> DatabaseCredential(token: str, expire_time: protobuf Timestamp)

Databricks Apps with a Provisioned database resource (PGHOST set, no instance name known):
    w.config.oauth_token() -> Token(access_token, expiry), the app's own OAuth token, which Lakebase accepts.

User name: PGUSER, else DATABRICKS_CLIENT_ID (a service principal, as in Apps), else
`w.current_user.me().user_name`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol
from uuid import uuid4

from pydantic import SecretStr

from accelerator.errors import DatabaseConfigError
from accelerator.memory.credentials import Credential, CredentialProvider, parse_expiry


class WorkspaceClientLike(Protocol):
    """The parts of `databricks.sdk.WorkspaceClient` we use; tests pass a fake with the same shape."""

    @property
    def database(self) -> Any: ...

    @property
    def postgres(self) -> Any: ...

    @property
    def current_user(self) -> Any: ...

    @property
    def config(self) -> Any: ...


WorkspaceClientFactory = Callable[[], WorkspaceClientLike]


def default_workspace_client() -> WorkspaceClientLike:
    """The SDK's unified auth (env vars, ~/.databrickscfg, GitHub OIDC federation, Apps identity)."""
    from databricks.sdk import WorkspaceClient

    client: WorkspaceClientLike = WorkspaceClient()
    return client


def provisioned_host(workspace: WorkspaceClientLike, instance_name: str) -> str:
    instance = workspace.database.get_database_instance(name=instance_name)
    host = getattr(instance, "read_write_dns", None)
    if not host:
        raise DatabaseConfigError(
            f"Lakebase instance {instance_name!r} reports no read-write host",
            hint="check that the instance is AVAILABLE (databricks database get-database-instance)",
        )
    return str(host)


def provisioned_credentials(workspace: WorkspaceClientLike, instance_name: str) -> CredentialProvider:
    def mint() -> Credential:
        credential = workspace.database.generate_database_credential(
            request_id=str(uuid4()), instance_names=[instance_name]
        )
        return Credential(SecretStr(credential.token), parse_expiry(credential.expiration_time))

    return mint


def autoscaling_host(workspace: WorkspaceClientLike, endpoint: str) -> str:
    found = workspace.postgres.get_endpoint(name=endpoint)
    status = getattr(found, "status", None)
    hosts = getattr(status, "hosts", None)
    host = getattr(hosts, "host", None)
    if not host:
        raise DatabaseConfigError(
            f"Lakebase endpoint {endpoint!r} reports no host",
            hint="check that the endpoint exists and is not disabled (databricks postgres get-endpoint)",
        )
    return str(host)


def autoscaling_credentials(workspace: WorkspaceClientLike, endpoint: str) -> CredentialProvider:
    def mint() -> Credential:
        credential = workspace.postgres.generate_database_credential(endpoint=endpoint)
        return Credential(SecretStr(credential.token), parse_expiry(credential.expire_time))

    return mint


def workspace_oauth_credentials(workspace: WorkspaceClientLike) -> CredentialProvider:
    def mint() -> Credential:
        token = workspace.config.oauth_token()
        return Credential(SecretStr(token.access_token), parse_expiry(token.expiry))

    return mint


def lakebase_user(env: Mapping[str, str], workspace: Callable[[], WorkspaceClientLike]) -> str:
    """PGUSER, else the service principal's client id, else the signed-in user's name."""
    for variable in ("PGUSER", "DATABRICKS_CLIENT_ID"):
        if env.get(variable):
            return env[variable]
    user_name = workspace().current_user.me().user_name
    if not user_name:
        raise DatabaseConfigError(
            "cannot tell which Postgres role to log in as",
            hint="set PGUSER (or `memory.user` in accelerator.yaml) to your Databricks user or client id",
        )
    return str(user_name)
