"""The retail example's generated migrations (V0001, then a V0002 of column changes), the in-memory
Unity Catalog, and a Databricks sandbox served on 127.0.0.1 for databricks-sdk."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from accelerator.cli import app
from accelerator.sandbox.databricks import UnityCatalog, Workspace, create_databricks_app
from accelerator.sandbox.databricks.sqltext import split_statements

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "retail"
USER = "alice"  # applies the migrations; a member of the owner group, as the README asks of the CI principal
OWNER_GROUP = "data_platform"
# Column changes for a second migration: a widening, a rewrite, an added column with a default, a drop.
EDITS = [
    ("  quantity int\n", "  quantity bigint\n"),
    ("  order_date date\n", "  order_date timestamp\n"),
    ("  city varchar(100)\n", ""),
    (
        "  created_at timestamptz [note: 'When the customer signed up']\n",
        "  created_at timestamptz [note: 'When the customer signed up']\n"
        "  loyalty_tier varchar(20) [not null, default: 'basic']\n",
    ),
    # an enum (a CHECK constraint), a changed comment, a new table with a foreign key
    ("  status varchar(20) [note:", "  status order_status [note:"),
    ("[note: 'List price in EUR']", "[note: 'List price in EUR, VAT included']"),
    (
        "Table sales.order_items {",
        "Enum sales.order_status {\n  placed\n  shipped\n  delivered\n  returned\n}\n\n"
        "Table sales.returns {\n  return_id bigint [pk]\n  order_id bigint [ref: > sales.orders.order_id]\n"
        "  Note: 'Returned orders'\n}\n\nTable sales.order_items {",
    ),
]
# Governance changes in the same migration: a mask and its tag dropped, table grants revoked.
POLICY_EDITS = [
    (
        "  - name: pii.ip_address\n    match: {regex: 'ip_?address'}\n    tags: {pii: ip_address}\n"
        "    mask: {strategy: hash, exempt_groups: [security]}\n",
        "",
    ),
    (
        "  - {on: table, name: 'sales.*', principal: finance, privileges: [SELECT], environments: [staging, prod]}\n",
        "",
    ),
]


@dataclass(frozen=True)
class Migrations:
    """`files[env]`: the environment's migration files in order, each as its list of statements."""

    files: dict[str, list[tuple[str, list[str]]]]


def generate(project: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "generate",
            "--config",
            str(project / "accelerator.yaml"),
            "--no-terraform",
            "--out",
            str(project / "o"),
        ],
    )
    assert result.exit_code in (0, 1), result.output


def read_migrations(project: Path) -> Migrations:
    files: dict[str, list[tuple[str, list[str]]]] = {}
    for directory in sorted((project / "o" / "sql").iterdir()):
        files[directory.name] = [
            (path.name, split_statements(path.read_text(encoding="utf-8")))
            for path in sorted(directory.glob("V*.sql"))
        ]
    return Migrations(files)


@pytest.fixture(scope="session")
def migrations(tmp_path_factory: pytest.TempPathFactory) -> Migrations:
    project = tmp_path_factory.mktemp("retail") / "retail"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("generated", ".accelerator"))
    generate(project)
    erd = project / "erd" / "retail.dbml"
    text = erd.read_text(encoding="utf-8")
    for old, new in EDITS:
        assert old in text, old
        text = text.replace(old, new)
    erd.write_text(text, encoding="utf-8")
    policy = project / "policies" / "governance.yaml"
    text = policy.read_text(encoding="utf-8")
    for old, new in POLICY_EDITS:
        assert old in text, old
        text = text.replace(old, new)
    policy.write_text(text, encoding="utf-8")
    generate(project)
    found = read_migrations(project)
    assert [name[:5] for name, _ in found.files["dev"]] == ["V0001", "V0002"], found.files["dev"]
    return found


@pytest.fixture
def uc() -> UnityCatalog:
    catalog = UnityCatalog()
    catalog.add_members(OWNER_GROUP, [USER])
    return catalog


def run_all(catalog: UnityCatalog, statements: list[str], user: str = USER) -> None:
    for statement in statements:
        catalog.execute(statement, user)


@dataclass
class Served:
    url: str
    workspace: Workspace
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def serve(state: Path | None, **options: object) -> Served:
    application = create_databricks_app(state, **options)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit it: without it each small response waits ~40 ms for a delayed ACK (Nagle).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(application, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started
    return Served(f"http://127.0.0.1:{port}", application.state.workspace, server, thread)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    running = serve(tmp_path / "state", chunk_rows=3)
    running.workspace.uc.add_members(OWNER_GROUP, [USER])
    yield running
    running.stop()
