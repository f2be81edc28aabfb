"""Choosing the database from config and environment, with a fake Databricks WorkspaceClient."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from accelerator.errors import DatabaseConfigError
from accelerator.memory import AuthMode, CachedCredential, Credential, MemoryConfig, resolve_connection
from accelerator.memory.credentials import parse_expiry
from accelerator.memory.pool import pool_kwargs

ENDPOINT = "projects/acme/branches/main/endpoints/primary"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@dataclass
class FakeWorkspace:
    """Shaped like databricks.sdk.WorkspaceClient for the calls lakebase.py makes; records them."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    token_number: int = 0
    lifetime: timedelta = timedelta(hours=1)

    def _record(self, call: str, /, **kwargs: Any) -> None:
        self.calls.append((call, kwargs))

    def _token(self) -> str:
        self.token_number += 1
        return f"oauth-token-{self.token_number}"

    @property
    def database(self) -> Any:
        def get_database_instance(name: str) -> Any:
            self._record("database.get_database_instance", name=name)
            return SimpleNamespace(read_write_dns="instance-abc.database.cloud.databricks.com")

        def generate_database_credential(**kwargs: Any) -> Any:
            self._record("database.generate_database_credential", **kwargs)
            expiry = (NOW + self.lifetime).isoformat().replace("+00:00", "Z")
            return SimpleNamespace(token=self._token(), expiration_time=expiry)

        return SimpleNamespace(
            get_database_instance=get_database_instance,
            generate_database_credential=generate_database_credential,
        )

    @property
    def postgres(self) -> Any:
        def get_endpoint(name: str) -> Any:
            self._record("postgres.get_endpoint", name=name)
            return SimpleNamespace(
                status=SimpleNamespace(hosts=SimpleNamespace(host="ep-primary.lakebase.io"))
            )

        def generate_database_credential(endpoint: str) -> Any:
            self._record("postgres.generate_database_credential", endpoint=endpoint)
            from google.protobuf.timestamp_pb2 import Timestamp

            expire_time = Timestamp()
            expire_time.FromDatetime(NOW + self.lifetime)
            return SimpleNamespace(token=self._token(), expire_time=expire_time)

        return SimpleNamespace(
            get_endpoint=get_endpoint, generate_database_credential=generate_database_credential
        )

    @property
    def current_user(self) -> Any:
        def me() -> Any:
            self._record("current_user.me")
            return SimpleNamespace(user_name="dana@acme.com")

        return SimpleNamespace(me=me)

    @property
    def config(self) -> Any:
        def oauth_token() -> Any:
            self._record("config.oauth_token")
            return SimpleNamespace(access_token=self._token(), expiry=NOW + self.lifetime)

        return SimpleNamespace(oauth_token=oauth_token)


def test_provisioned_instance_uses_the_instance_dns_and_a_minted_token() -> None:
    workspace = FakeWorkspace()
    source = resolve_connection(MemoryConfig(instance_name="memory-db"), env={}, workspace_client=workspace)
    kwargs = source.kwargs()
    assert source.mode is AuthMode.LAKEBASE_PROVISIONED
    assert kwargs == {
        "host": "instance-abc.database.cloud.databricks.com",
        "port": 5432,
        "dbname": "databricks_postgres",
        "user": "dana@acme.com",
        "sslmode": "require",
        "password": "oauth-token-1",
    }
    name, call = workspace.calls[-1]
    assert name == "database.generate_database_credential"
    assert call["instance_names"] == ["memory-db"] and len(call["request_id"]) == 36
    assert source.token_expires_at == NOW + timedelta(hours=1)


def test_autoscaling_endpoint_uses_the_endpoint_host_and_its_credential() -> None:
    workspace = FakeWorkspace()
    env = {"DATABRICKS_CLIENT_ID": "6f1c-sp"}
    source = resolve_connection(MemoryConfig(endpoint=ENDPOINT), env=env, workspace_client=workspace)
    kwargs = source.kwargs()
    assert source.mode is AuthMode.LAKEBASE_AUTOSCALING
    assert (kwargs["host"], kwargs["user"], kwargs["sslmode"]) == (
        "ep-primary.lakebase.io",
        "6f1c-sp",
        "require",
    )
    assert ("postgres.generate_database_credential", {"endpoint": ENDPOINT}) in workspace.calls
    assert source.token_expires_at == NOW + timedelta(hours=1)


def test_databricks_apps_variables_are_honoured_without_api_lookups() -> None:
    workspace = FakeWorkspace()
    env = {
        "PGHOST": "apps-host.lakebase.io",
        "PGPORT": "6543",
        "PGDATABASE": "appdb",
        "PGUSER": "app-sp-id",
        "PGSSLMODE": "disable",  # Lakebase never goes below require
        "LAKEBASE_ENDPOINT": ENDPOINT,
        "DATABRICKS_CLIENT_ID": "ignored-because-PGUSER-wins",
    }
    source = resolve_connection(env=env, workspace_client=workspace)
    kwargs = source.kwargs()
    assert source.mode is AuthMode.LAKEBASE_AUTOSCALING
    assert {key: kwargs[key] for key in ("host", "port", "dbname", "user", "sslmode")} == {
        "host": "apps-host.lakebase.io",
        "port": 6543,
        "dbname": "appdb",
        "user": "app-sp-id",
        "sslmode": "require",
    }
    assert [name for name, _ in workspace.calls] == ["postgres.generate_database_credential"]


def test_an_app_with_a_provisioned_resource_uses_its_own_oauth_token() -> None:
    workspace = FakeWorkspace()
    env = {
        "PGHOST": "instance.database.cloud.databricks.com",
        "DATABRICKS_CLIENT_ID": "sp-1",
        "PGSSLMODE": "verify-full",
    }
    source = resolve_connection(env=env, workspace_client=workspace)
    kwargs = source.kwargs()
    assert source.mode is AuthMode.LAKEBASE_APP
    assert (kwargs["user"], kwargs["password"], kwargs["sslmode"]) == ("sp-1", "oauth-token-1", "verify-full")


def test_user_name_falls_back_to_the_signed_in_user() -> None:
    workspace = FakeWorkspace()
    source = resolve_connection(MemoryConfig(endpoint=ENDPOINT), env={}, workspace_client=workspace)
    assert source.kwargs()["user"] == "dana@acme.com"
    configured = resolve_connection(
        MemoryConfig(endpoint=ENDPOINT, user="explicit"), env={"PGUSER": "env"}, workspace_client=workspace
    )
    assert configured.kwargs()["user"] == "explicit"


def test_the_workspace_client_is_built_lazily_and_once() -> None:
    built: list[FakeWorkspace] = []

    def factory() -> FakeWorkspace:
        built.append(FakeWorkspace())
        return built[-1]

    source = resolve_connection(
        env={"LAKEBASE_ENDPOINT": ENDPOINT, "PGHOST": "h", "PGUSER": "u"}, workspace_client=factory
    )
    assert built == []  # host and user from the environment: no API call yet
    source.kwargs()
    source.invalidate()
    source.kwargs()
    assert len(built) == 1 and built[0].token_number == 2


def test_precedence_url_then_lakebase_then_embedded() -> None:
    workspace = FakeWorkspace()
    both = MemoryConfig(instance_name="memory-db", endpoint=ENDPOINT)
    assert resolve_connection(both, env={"DATABASE_URL": "postgresql://u@db/x"}).mode is AuthMode.URL
    assert resolve_connection(both, env={}, workspace_client=workspace).mode is AuthMode.LAKEBASE_AUTOSCALING
    plain_pg = resolve_connection(env={"PGHOST": "db.internal", "PGUSER": "u", "PGPASSWORD": "pw"})
    assert plain_pg.mode is AuthMode.LIBPQ_ENV and plain_pg.kwargs()["password"] == "pw"
    embedded = resolve_connection(MemoryConfig(embedded_dir="/tmp/never-started"), env={})
    assert embedded.mode is AuthMode.EMBEDDED and "not started" in embedded.description
    assert workspace.calls[0][0] == "postgres.get_endpoint"


def test_bad_endpoint_names_are_refused_with_a_hint() -> None:
    with pytest.raises(ValidationError):
        MemoryConfig(endpoint="primary")
    with pytest.raises(DatabaseConfigError) as raised:
        resolve_connection(
            env={"LAKEBASE_ENDPOINT": "projects/acme/primary"}, workspace_client=FakeWorkspace()
        )
    assert "projects/<project>" in (raised.value.hint or "")
    with pytest.raises(ValidationError):
        MemoryConfig.model_validate({"schema": "Robert'); drop table"})
    with pytest.raises(ValidationError):
        MemoryConfig(token_refresh_margin=timedelta(seconds=30))


def test_a_token_is_refreshed_two_minutes_before_it_expires() -> None:
    clock = [NOW]
    minted: list[int] = []

    def provider() -> Credential:
        minted.append(len(minted) + 1)
        from pydantic import SecretStr

        return Credential(SecretStr(f"t{len(minted)}"), expires_at=clock[0] + timedelta(minutes=60))

    cache = CachedCredential(provider, margin=timedelta(minutes=2), clock=lambda: clock[0])
    assert cache.get().password.get_secret_value() == "t1"
    clock[0] = NOW + timedelta(minutes=57, seconds=59)
    assert cache.get().password.get_secret_value() == "t1"  # 2m01s left: still good
    clock[0] = NOW + timedelta(minutes=58)
    assert cache.get().password.get_secret_value() == "t2"  # exactly 2 minutes left: refreshed
    assert cache.refresh_count == 2


def test_expiry_formats_of_both_sdk_credential_types() -> None:
    assert parse_expiry("2025-06-01T13:00:00Z") == NOW + timedelta(hours=1)
    assert parse_expiry("2025-06-01T13:00:00.123456+00:00") == NOW + timedelta(hours=1, microseconds=123456)
    assert parse_expiry(datetime(2025, 6, 1, 13, 0)) == NOW + timedelta(hours=1)
    assert parse_expiry(None) is None
    with pytest.raises(TypeError):
        parse_expiry(42)


def test_no_password_in_repr_str_description_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    secret = "pw-very-secret-42"
    config = MemoryConfig(url=f"postgresql://app:{secret}@db.internal:5432/memory")
    source = resolve_connection(config, env={})
    lakebase = resolve_connection(MemoryConfig(instance_name="i"), env={}, workspace_client=FakeWorkspace())
    token = lakebase.kwargs()["password"]
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("accelerator.memory").info("source %s %r", source, lakebase)
    texts = [
        repr(config),
        str(config),
        config.model_dump_json(),
        repr(source),
        str(source),
        source.description,
    ]
    texts += [repr(lakebase), str(lakebase), repr(lakebase.credentials), caplog.text]
    for text in texts:
        assert secret not in text and token not in text
    assert source.kwargs()["password"] == secret and "password" not in source.settings
    assert pool_kwargs(source)["autocommit"] is True and pool_kwargs(source)["prepare_threshold"] == 0
