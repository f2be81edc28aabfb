"""The sandbox delivers webhooks as GitHub does, several at once: one pull request's or issue's events in
the order they happened, another's beside them (a slow receiver of one does not hold up the others)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from github import Auth, Github

from accelerator.sandbox import RunningSandbox, start_sandbox


@contextmanager
def sandbox_sending_to(
    state: Path, on_delivery: Callable[[str, dict[str, Any]], None]
) -> Iterator[tuple[RunningSandbox, Github]]:
    """A sandbox whose webhooks reach `on_delivery(event, payload)` (answered 202 after it returns),
    and alice's client of it; both stopped after."""

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            on_delivery(
                self.headers["X-GitHub-Event"],
                json.loads(self.rfile.read(int(self.headers["Content-Length"]))),
            )
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sandbox = start_sandbox(state, webhook_url=f"http://127.0.0.1:{server.server_port}/")
    try:
        yield (
            sandbox,
            Github(
                base_url=sandbox.api_url, auth=Auth.Token("alice"), retry=None, seconds_between_writes=None
            ),
        )
    finally:
        sandbox.stop()
        server.shutdown()


def test_a_blocked_delivery_of_one_issue_does_not_hold_up_anothers(tmp_path: Path) -> None:
    second_arrived = threading.Event()
    seen: list[tuple[int, str]] = []
    waited_out: list[bool] = []

    def on_delivery(event: str, payload: dict[str, Any]) -> None:
        issue = (payload.get("issue") or {}).get("number")
        if issue is not None:
            seen.append((issue, event))
            if issue == 2:
                second_arrived.set()
            elif issue == 1 and event == "issues":
                waited_out.append(not second_arrived.wait(timeout=10))

    with sandbox_sending_to(tmp_path / "state", on_delivery) as (sandbox, alice):
        repo = alice.get_user().create_repo("lanes", auto_init=True)
        first = repo.create_issue("one")  # its delivery blocks until the second issue's arrives
        first.create_comment("a")
        first.create_comment("b")
        repo.create_issue("two")
        sandbox.webhooks.wait_idle(timeout=30)
    assert waited_out == [False], "the second issue's delivery waited behind the first's"
    assert [event for issue, event in seen if issue == 1] == ["issues", "issue_comment", "issue_comment"]


def test_each_delivery_is_numbered_when_it_is_recorded(tmp_path: Path) -> None:
    """A delivery gets its id in the same hold of the state's lock that records it (one hold per
    delivery, not two): the ids rise in the order the deliveries are kept, and `deliveries.jsonl`
    reads back the same ids."""
    with sandbox_sending_to(tmp_path / "state", lambda event, payload: None) as (sandbox, alice):
        repo = alice.get_user().create_repo("numbered", auto_init=True)
        for title in ("one", "two", "three"):
            repo.create_issue(title).create_comment("a")
        sandbox.webhooks.wait_idle(timeout=30)
        deliveries = list(sandbox.state.data["deliveries"])
    ids = [delivery["id"] for delivery in deliveries]
    assert len(ids) == 6 and ids == sorted(ids) and len(set(ids)) == 6
    lines = (tmp_path / "state" / "deliveries.jsonl").read_text(encoding="utf-8").splitlines()
    reread = [json.loads(line) for line in lines]
    assert [delivery["id"] for delivery in reread] == ids
    assert [delivery["guid"] for delivery in reread] == [delivery["guid"] for delivery in deliveries]
    assert reread[0]["request"]["payload"] == deliveries[0]["request"]["payload"]
