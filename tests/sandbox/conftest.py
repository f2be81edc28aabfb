"""A sandbox served on 127.0.0.1 (port 0) with a webhook receiver that records what it is sent."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from github import Github

from accelerator.sandbox import RunningSandbox, SandboxState, start_sandbox
from accelerator.sandbox.state import Index
from tests.sandbox.helpers import github_as

SECRET = "it's a secret to everybody"


def client(sandbox: RunningSandbox, login: str) -> Github:
    """PyGithub acting as `login` on `sandbox`, without retries or pacing."""
    return github_as(sandbox.api_url, login)


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> str:
        return self.headers["x-github-event"]

    @property
    def payload(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.body)
        return loaded


@dataclass
class Receiver:
    url: str
    deliveries: list[Delivery] = field(default_factory=list)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        while len(self.deliveries) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.deliveries


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found: list[Delivery] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            found.append(Delivery({key.lower(): value for key, value in self.headers.items()}, body))
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook", found)
    server.shutdown()
    server.server_close()


def assert_durable(state: SandboxState) -> None:
    """What the sandbox holds is what a restart on its directory reads back (every change journaled),
    and its indexes are what they would be made anew."""
    live = json.loads(json.dumps(state.data))
    reloaded = SandboxState(state.root, bot_login=state.bot_login).data
    for key in sorted(set(live) | set(reloaded)):
        if key == "repositories":
            for name in sorted(set(live[key]) | set(reloaded[key])):
                assert reloaded[key].get(name) == live[key].get(name), f"repository {name} after a restart"
        else:
            assert reloaded.get(key) == live.get(key), f"{key} after a restart"
    for name, index in state.indexes.items():  # the indexes kept as things changed, as made anew
        fresh = Index(state.data["repositories"][name])
        for part in ("comments", "open", "filed"):
            assert getattr(index, part) == getattr(fresh, part), f"{name}'s index of {part}"
        for part in ("threads", "reactions", "by_branch", "by_sha"):
            kept = {key: value for key, value in getattr(index, part).items() if value}
            assert kept == getattr(fresh, part), f"{name}'s index of {part}"


@pytest.fixture
def sandbox(tmp_path: Path, receiver: Receiver) -> Iterator[RunningSandbox]:
    running = start_sandbox(tmp_path / "state", webhook_url=receiver.url, webhook_secret=SECRET)
    yield running
    running.stop()
    assert_durable(running.state)
