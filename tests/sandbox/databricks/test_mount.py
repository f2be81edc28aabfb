"""The Databricks routes beside the GitHub ones on one app (what `accelerator sandbox` serves), and
statements from many threads at once: one lock row wins."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from starlette.testclient import TestClient

from accelerator.sandbox import SandboxState, create_app
from accelerator.sandbox.databricks import UnityCatalog, create_databricks_routes, workspace_of

from .conftest import USER


def test_one_app_serves_github_and_databricks(tmp_path: Path) -> None:
    state = SandboxState(tmp_path)
    application = create_app(state, "http://testserver/api/v3")
    routes = create_databricks_routes(tmp_path / "databricks")
    application.router.routes[:0] = routes  # before the GitHub app's catch-all
    client = TestClient(application)
    assert client.get("/api/v3/user", headers={"Authorization": f"token {USER}"}).json()["login"] == USER
    response = client.post(
        "/api/2.0/sql/statements",
        json={"statement": "CREATE CATALOG c", "warehouse_id": "w", "wait_timeout": "10s"},
        headers={"Authorization": f"Bearer {USER}"},
    )
    assert response.json()["status"] == {"state": "SUCCEEDED"}
    assert "c" in workspace_of(routes).uc.metastore.catalogs
    assert (tmp_path / "databricks" / "databricks.json").exists()
    assert client.get("/api/2.0/nope", headers={"Authorization": f"Bearer {USER}"}).status_code == 404


def test_concurrent_lock_attempts_leave_one_winner() -> None:
    uc = UnityCatalog()
    for sql in [
        "CREATE CATALOG c",
        "CREATE SCHEMA c._accelerator",
        "CREATE TABLE c._accelerator.schema_history (version STRING NOT NULL, applied_by STRING)",
    ]:
        uc.execute(sql, USER)
    take = (
        "INSERT INTO c._accelerator.schema_history SELECT 'lock', current_user() "
        "WHERE NOT EXISTS (SELECT 1 FROM c._accelerator.schema_history WHERE version = 'lock')"
    )
    with ThreadPoolExecutor(max_workers=16) as pool:
        inserted = list(pool.map(lambda _: uc.execute(take, USER).rows[0][0], range(64)))
    assert sorted(inserted) == [0] * 63 + [1]
    assert uc.execute("SELECT count(*) FROM c._accelerator.schema_history", USER).rows == [[1]]
