"""The Databricks sandbox served on 127.0.0.1 for databricks-sdk (TCP_NODELAY on the listening socket:
without it each request waits out the peer's delayed ACK, ~45 ms)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from databricks.sdk import WorkspaceClient

from accelerator.deploy.runner import DatabricksRunner
from accelerator.sandbox.databricks import Workspace, create_databricks_app

CI = "ci-principal"  # the token is the user name in the sandbox
OWNER_GROUP = "data_platform"


class Sandbox:
    def __init__(self, state: Path | None = None, **options: object) -> None:
        application = create_databricks_app(state, admins=(CI,), **options)
        self.workspace: Workspace = application.state.workspace
        self.workspace.uc.add_members(OWNER_GROUP, [CI])  # the CI principal is in the owner group
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(application, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self.server.started

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def client(self) -> WorkspaceClient:
        return WorkspaceClient(host=self.url, token=CI, auth_type="pat")

    def runner(self, **settings: object) -> DatabricksRunner:
        options: dict[str, object] = {"first_poll": 0.01, "max_poll": 0.05, **settings}
        return DatabricksRunner(self.client(), "sandbox-warehouse", **options)  # type: ignore[arg-type]

    def inject(self, **body: object) -> None:
        response = httpx.post(
            f"{self.url}/sandbox/databricks/inject", json=body, headers={"Authorization": f"Bearer {CI}"}
        )
        assert response.status_code == 200, response.text
