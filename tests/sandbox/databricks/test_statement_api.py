"""The Databricks endpoints as databricks-sdk calls them: every answer round-trips through the sdk's
own types; statement polling, cancel, chunks, parameters, injected failures, auth, Lakebase, and a
restart on the same state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue, NotFound, Unauthenticated
from databricks.sdk.service import database, iam, postgres
from databricks.sdk.service.sql import (
    ColumnInfoTypeName,
    ResultData,
    ServiceErrorCode,
    StatementParameterListItem,
    StatementResponse,
    StatementState,
)

from accelerator.sandbox.databricks import Injection
from accelerator.sandbox.databricks import api as databricks_api

from .conftest import OWNER_GROUP, USER, Migrations, Served, serve

WAREHOUSE = "sandbox-warehouse"


def client(served: Served, user: str = USER) -> WorkspaceClient:
    return WorkspaceClient(host=served.url, token=user)


def post(served: Served, path: str, body: dict[str, Any], user: str | None = USER) -> httpx.Response:
    headers = {"Authorization": f"Bearer {user}"} if user else {}
    return httpx.post(served.url + path, json=body, headers=headers, timeout=10)


def get(served: Served, path: str, user: str = USER) -> httpx.Response:
    return httpx.get(served.url + path, headers={"Authorization": f"Bearer {user}"}, timeout=10)


def execute(served: Served, statement: str, wait: str = "30s", **extra: Any) -> dict[str, Any]:
    response = post(
        served,
        "/api/2.0/sql/statements",
        {"statement": statement, "warehouse_id": WAREHOUSE, "wait_timeout": wait, **extra},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def typed(body: dict[str, Any]) -> StatementResponse:
    """The sdk's type of the body, and the body back from it: nothing lost, nothing the sdk does not know."""
    parsed = StatementResponse.from_dict(body)
    assert parsed.as_dict() == body
    if parsed.manifest is not None:
        for column in parsed.manifest.schema.columns or []:  # type: ignore[union-attr]
            assert isinstance(column.type_name, ColumnInfoTypeName), column
    if parsed.status is not None and parsed.status.error is not None:
        assert isinstance(parsed.status.error.error_code, ServiceErrorCode)
    return parsed


def test_shapes_round_trip_through_the_sdk_types(served: Served) -> None:
    created = typed(execute(served, "CREATE CATALOG c"))
    assert created.status.state is StatementState.SUCCEEDED  # type: ignore[union-attr]
    execute(served, "CREATE SCHEMA c.s")
    execute(
        served,
        "CREATE TABLE c.s.t (id BIGINT NOT NULL, amount DECIMAL(10,2), at TIMESTAMP, ok BOOLEAN, n INT)",
    )
    inserted = typed(
        execute(
            served,
            "INSERT INTO c.s.t VALUES (1, 2.5, '2026-01-02 03:04:05', true, NULL), (2, 3, NULL, false, 7)",
        )
    )
    assert inserted.result.data_array == [["2", "2"]]  # type: ignore[union-attr]
    selected = typed(execute(served, "SELECT * FROM c.s.t ORDER BY id"))
    manifest = selected.manifest
    assert manifest is not None and manifest.schema is not None and manifest.schema.columns is not None
    assert [(c.name, c.type_name, c.type_text) for c in manifest.schema.columns] == [
        ("id", ColumnInfoTypeName.LONG, "BIGINT"),
        ("amount", ColumnInfoTypeName.DECIMAL, "DECIMAL(10,2)"),
        ("at", ColumnInfoTypeName.TIMESTAMP, "TIMESTAMP"),
        ("ok", ColumnInfoTypeName.BOOLEAN, "BOOLEAN"),
        ("n", ColumnInfoTypeName.INT, "INT"),
    ]
    assert (manifest.schema.columns[1].type_precision, manifest.schema.columns[1].type_scale) == (10, 2)
    assert selected.result.data_array == [  # type: ignore[union-attr]
        ["1", "2.50", "2026-01-02T03:04:05.000Z", "true", None],
        ["2", "3.00", None, "false", "7"],
    ]
    failed = typed(execute(served, "CREATE CATALOG c"))
    status = failed.status
    assert status is not None and status.state is StatementState.FAILED and status.error is not None
    assert status.error.error_code is ServiceErrorCode.BAD_REQUEST
    assert (
        status.error.message
        == "[CATALOG_ALREADY_EXISTS] Cannot create catalog `c` because it already exists. SQLSTATE: 42P04"
    )
    assert status.sql_state == "42P04"
    assert failed.manifest is None and failed.result is None
    pending = typed(execute(served, "SELECT 1", wait="0s"))
    assert pending.status.state is StatementState.PENDING  # type: ignore[union-attr]


def test_the_sdk_executes_and_polls_until_succeeded(served: Served) -> None:
    w = client(served)
    assert w.current_user.me().user_name == USER
    first = w.statement_execution.execute_statement(
        statement="CREATE CATALOG c", warehouse_id=WAREHOUSE, wait_timeout="0s"
    )
    assert first.status.state is StatementState.PENDING  # type: ignore[union-attr]
    states = []
    for _ in range(3):
        polled = w.statement_execution.get_statement(first.statement_id)  # type: ignore[arg-type]
        states.append(polled.status.state)  # type: ignore[union-attr]
    assert states == [StatementState.RUNNING, StatementState.SUCCEEDED, StatementState.SUCCEEDED]
    shown = w.statement_execution.execute_statement(
        statement="SHOW SCHEMAS IN c", warehouse_id=WAREHOUSE, wait_timeout="10s", on_wait_timeout=None
    )
    assert shown.result.data_array == [["default"], ["information_schema"]]  # type: ignore[union-attr]


def test_parameters_catalog_and_schema_defaults(served: Served) -> None:
    w = client(served)
    for sql in ["CREATE CATALOG c", "CREATE SCHEMA c.s", "CREATE TABLE c.s.h (version STRING, n INT)"]:
        w.statement_execution.execute_statement(statement=sql, warehouse_id=WAREHOUSE, wait_timeout="30s")
    w.statement_execution.execute_statement(
        statement="INSERT INTO h VALUES (:version, :n)",
        warehouse_id=WAREHOUSE,
        catalog="c",
        schema="s",
        parameters=[
            StatementParameterListItem(name="version", value="0001"),
            StatementParameterListItem(name="n", value="3", type="INT"),
        ],
        wait_timeout="30s",
    )
    found = w.statement_execution.execute_statement(
        statement="SELECT version, n + 1 AS next FROM c.s.h WHERE n = :n",
        warehouse_id=WAREHOUSE,
        parameters=[StatementParameterListItem(name="n", value="3", type="INT")],
        wait_timeout="30s",
    )
    assert found.result.data_array == [["0001", "4"]]  # type: ignore[union-attr]


def test_cancel_stops_a_statement_before_it_runs(served: Served) -> None:
    w = client(served)
    started = w.statement_execution.execute_statement(
        statement="CREATE CATALOG c", warehouse_id=WAREHOUSE, wait_timeout="0s"
    )
    w.statement_execution.cancel_execution(started.statement_id)  # type: ignore[arg-type]
    polled = w.statement_execution.get_statement(started.statement_id)  # type: ignore[arg-type]
    assert polled.status.state is StatementState.CANCELED  # type: ignore[union-attr]
    assert "c" not in served.workspace.uc.metastore.catalogs


def test_a_slow_statement_is_running_at_the_wait_timeout(served: Served) -> None:
    served.workspace.inject(Injection(match="CREATE CATALOG", polls=2))
    w = client(served)
    started = w.statement_execution.execute_statement(
        statement="CREATE CATALOG c", warehouse_id=WAREHOUSE, wait_timeout="5s"
    )
    assert started.status.state is StatementState.RUNNING  # type: ignore[union-attr]
    states = [
        w.statement_execution.get_statement(started.statement_id).status.state  # type: ignore[arg-type, union-attr]
        for _ in range(3)
    ]
    assert states == [StatementState.RUNNING, StatementState.RUNNING, StatementState.SUCCEEDED]
    served.workspace.inject(Injection(match="CREATE SCHEMA", polls=1))
    canceled = typed(execute(served, "CREATE SCHEMA c.s", wait="5s", on_wait_timeout="CANCEL"))
    assert canceled.status.state is StatementState.CANCELED  # type: ignore[union-attr]
    assert "s" not in served.workspace.uc.metastore.catalogs["c"].schemas


def test_an_injected_failure_then_the_retry_succeeds(served: Served) -> None:
    response = post(
        served,
        "/sandbox/databricks/inject",
        {
            "match": "create schema",
            "error_class": "DELTA_CONCURRENT_APPEND",
            "sqlstate": "2D521",
            "message": "boom",
        },
    )
    assert response.status_code == 200, response.text
    execute(served, "CREATE CATALOG c")
    failed = typed(execute(served, "CREATE SCHEMA c.s"))
    assert failed.status.error.message == "[DELTA_CONCURRENT_APPEND] boom SQLSTATE: 2D521"  # type: ignore[union-attr]
    assert "s" not in served.workspace.uc.metastore.catalogs["c"].schemas
    assert typed(execute(served, "CREATE SCHEMA c.s")).status.state is StatementState.SUCCEEDED  # type: ignore[union-attr]


def test_an_injected_http_error_is_retried_by_the_sdk(served: Served) -> None:
    served.workspace.inject(
        Injection(match="CREATE CATALOG", http_status=503, error_code="TEMPORARILY_UNAVAILABLE")
    )
    w = client(served)
    done = w.statement_execution.execute_statement(
        statement="CREATE CATALOG c", warehouse_id=WAREHOUSE, wait_timeout="30s"
    )
    assert done.status.state is StatementState.SUCCEEDED  # type: ignore[union-attr]


def test_large_results_come_in_chunks(served: Served) -> None:
    w = client(served)
    for sql in [
        "CREATE CATALOG c",
        "CREATE SCHEMA c.s",
        "CREATE TABLE c.s.t (n INT)",
        "INSERT INTO c.s.t VALUES (1), (2), (3), (4), (5), (6), (7)",
    ]:
        w.statement_execution.execute_statement(statement=sql, warehouse_id=WAREHOUSE, wait_timeout="30s")
    first = w.statement_execution.execute_statement(
        statement="SELECT n FROM c.s.t ORDER BY n", warehouse_id=WAREHOUSE, wait_timeout="30s"
    )
    assert first.manifest.total_chunk_count == 3 and first.manifest.total_row_count == 7  # type: ignore[union-attr]
    values = list(first.result.data_array or [])  # type: ignore[union-attr]
    index = first.result.next_chunk_index  # type: ignore[union-attr]
    while index is not None:
        chunk: ResultData = w.statement_execution.get_statement_result_chunk_n(first.statement_id, index)  # type: ignore[arg-type]
        values += chunk.data_array or []
        index = chunk.next_chunk_index
    assert values == [[str(n)] for n in range(1, 8)]
    limited = typed(execute(served, "SELECT n FROM c.s.t", row_limit=2))
    assert limited.manifest.truncated is True and limited.manifest.total_row_count == 2  # type: ignore[union-attr]


def test_requests_are_checked(served: Served) -> None:
    w = client(served)
    with pytest.raises(InvalidParameterValue, match="wait_timeout"):
        w.statement_execution.execute_statement(
            statement="SELECT 1", warehouse_id=WAREHOUSE, wait_timeout="60s"
        )
    with pytest.raises(InvalidParameterValue, match="warehouse_id"):
        w.statement_execution.execute_statement(statement="SELECT 1", warehouse_id="", wait_timeout="10s")
    with pytest.raises(NotFound):
        w.statement_execution.get_statement("nope")
    started = w.statement_execution.execute_statement(
        statement="SELECT 1", warehouse_id=WAREHOUSE, wait_timeout="10s"
    )
    with pytest.raises(NotFound):  # another user's statement
        client(served, "bob").statement_execution.get_statement(started.statement_id)  # type: ignore[arg-type]
    assert post(served, "/api/2.0/sql/statements", {"statement": "SELECT 1"}, user=None).status_code == 401
    assert post(served, "/api/2.0/sql/statements", {"statement": "SELECT 1"}, user="x y").status_code == 401
    with pytest.raises(Unauthenticated):
        WorkspaceClient(host=served.url, token="bad token").current_user.me()


def test_current_user_and_lakebase_calls(served: Served) -> None:
    w = client(served)
    me = w.current_user.me()
    assert isinstance(me, iam.User) and me.user_name == USER
    assert [g.display for g in me.groups or []] == [OWNER_GROUP]
    instance = w.database.get_database_instance(name="memory")
    assert isinstance(instance, database.DatabaseInstance)
    assert (
        instance.read_write_dns == "127.0.0.1" and instance.state is database.DatabaseInstanceState.AVAILABLE
    )
    credential = w.database.generate_database_credential(request_id="r", instance_names=["memory"])
    assert credential.token == served.workspace.lakebase_token and credential.expiration_time
    endpoint = w.postgres.get_endpoint(name="projects/p/branches/b/endpoints/e")
    assert isinstance(endpoint, postgres.Endpoint) and endpoint.status.hosts.host == "127.0.0.1"  # type: ignore[union-attr]
    token = w.postgres.generate_database_credential(endpoint="projects/p/branches/b/endpoints/e")
    assert token.token == served.workspace.lakebase_token and token.expire_time is not None
    assert get(served, "/api/2.0/postgres/not-an-endpoint").status_code == 404


def test_the_workspace_survives_a_restart(tmp_path: Path, migrations: Migrations) -> None:
    first = serve(tmp_path)
    first.workspace.uc.add_members(OWNER_GROUP, [USER])
    try:
        api = client(first).statement_execution
        for statement in migrations.files["dev"][0][1]:
            done = api.execute_statement(statement=statement, warehouse_id=WAREHOUSE, wait_timeout="30s")
            assert done.status.state is StatementState.SUCCEEDED, done.status  # type: ignore[union-attr]
    finally:
        first.stop()
    again = serve(tmp_path)
    try:
        counted = execute(again, "SELECT count(*) FROM dev_retail.information_schema.tables")
        assert counted["result"]["data_array"] == [["5"]]
    finally:
        again.stop()


def test_sandbox_controls_set_groups_and_admins(served: Served) -> None:
    assert post(served, "/sandbox/databricks/admins", {"user": "root"}).status_code == 200  # the first admin
    assert post(served, "/sandbox/databricks/admins", {"user": "eve"}, user="eve").status_code == 403
    response = httpx.put(
        served.url + "/sandbox/databricks/groups/pii_readers",
        json={"members": ["bob"]},
        headers={"Authorization": "Bearer root"},
        timeout=10,
    )
    assert response.json() == {"group": "pii_readers", "members": ["bob"]}
    assert [g.display for g in client(served, "bob").current_user.me().groups or []] == ["pii_readers"]
    assert execute(served, "CREATE CATALOG c")["status"]["state"] == "SUCCEEDED"
    root = post(
        served,
        "/api/2.0/sql/statements",
        {"statement": "ALTER CATALOG c OWNER TO `x`", "warehouse_id": WAREHOUSE, "wait_timeout": "10s"},
        user="root",
    ).json()
    assert root["status"]["state"] == "SUCCEEDED"  # a metastore admin may change anything
    bad = post(served, "/sandbox/databricks/inject", {"match": "x"}, user="root")
    assert bad.status_code == 400 and bad.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_only_a_metastore_admin_may_change_groups_or_inject_failures(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(databricks_api, "MAX_INJECTIONS", 3)
    assert post(served, "/sandbox/databricks/admins", {"user": "root"}).status_code == 200
    joined = httpx.put(
        served.url + "/sandbox/databricks/groups/data_platform",
        json={"members": ["eve"]},
        headers={"Authorization": "Bearer eve"},
        timeout=10,
    )
    assert joined.status_code == 403 and joined.json()["error_code"] == "PERMISSION_DENIED"
    assert "eve" not in served.workspace.uc.metastore.groups.get("data_platform", [])
    failing = post(served, "/sandbox/databricks/inject", {"match": "CREATE", "polls": 5}, user="eve")
    assert failing.status_code == 403 and served.workspace.injections == []
    for _ in range(3):
        assert (
            post(served, "/sandbox/databricks/inject", {"match": "x", "polls": 1}, user="root").status_code
            == 200
        )
    full = post(served, "/sandbox/databricks/inject", {"match": "x", "polls": 1}, user="root")
    assert full.status_code == 400 and full.json()["error_code"] == "RESOURCE_LIMIT_EXCEEDED"
    assert len(served.workspace.injections) == 3
