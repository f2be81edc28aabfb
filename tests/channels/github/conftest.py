"""The GitHub channel's fixtures: a fresh memory schema per test on the real PostgreSQL, signed
deliveries, and (for end-to-end tests) the sandbox with a repository holding an accelerator project."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import uvicorn
from github import Auth, Github
from github.PullRequest import PullRequest
from github.Repository import Repository

from accelerator.channels.github.client import github_client
from accelerator.channels.github.events import Event
from accelerator.channels.github.intake import Metrics, create_app, queue_depth
from accelerator.channels.github.pipeline import PullRequestBot, TurnReport
from accelerator.channels.github.settings import BotSettings
from accelerator.channels.github.workers import Workers
from accelerator.memory import MemoryPool, MemoryStore

if TYPE_CHECKING:
    from accelerator.sandbox import RunningSandbox

SECRET = "webhook secret for tests"


def signed(
    payload: dict[str, Any], event: str, delivery: str | None = None, secret: str = SECRET
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    digest = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": digest,
        "Content-Type": "application/json",
    }
    return body, headers


def comment_payload(body: str, *, login: str = "bob", user_type: str = "User", number: int = 1,
                    comment_id: int = 10, repo: str = "alice/lakehouse") -> dict[str, Any]:  # fmt: skip
    user = {"login": login, "type": user_type, "id": 7}
    return {
        "action": "created",
        "issue": {"number": number, "pull_request": {"url": f"https://x/{repo}/pulls/{number}"}},
        "comment": {"id": comment_id, "body": body, "user": user, "html_url": f"https://x/{comment_id}"},
        "repository": {"full_name": repo},
        "sender": user,
        "installation": {"id": 1},
    }


def pull_payload(action: str = "opened", *, number: int = 1, login: str = "alice", repo: str = "alice/lakehouse",
                 head: str = "0" * 40) -> dict[str, Any]:  # fmt: skip
    user = {"login": login, "type": "User", "id": 3}
    return {
        "action": action,
        "number": number,
        "pull_request": {"number": number, "head": {"sha": head, "ref": "feature"}},
        "repository": {"full_name": repo},
        "sender": user,
    }


# -- end to end: the sandbox, the bot's intake and workers in this process ------------------------------

RETAIL = Path(__file__).resolve().parents[3] / "examples" / "retail"
CONFIG = """project: retail
erd:
  - path: erd/*.dbml
    catalog: retail
policy: policies/governance.yaml
environments: [dev, prod]
output: generated
terraform:
  enabled: false
"""
BOT_LOGIN = "accelerator[bot]"


@dataclass
class Harness:
    sandbox: RunningSandbox
    bot: PullRequestBot
    workers: Workers
    store: MemoryStore
    url: str
    reports: list[TurnReport] = field(default_factory=list)

    def client(self, login: str) -> Github:
        return Github(
            base_url=self.sandbox.api_url,
            auth=Auth.Token(login),
            retry=None,
            seconds_between_requests=None,
            seconds_between_writes=None,
        )

    def settle(self, timeout: float = 60.0) -> None:
        """Wait until every webhook was delivered and every queued delivery ran (bot writes send more)."""
        deadline = time.monotonic() + timeout
        quiet = 0
        while quiet < 2:
            assert time.monotonic() < deadline, "the bot did not settle"
            self.sandbox.webhooks.wait_idle()
            if queue_depth(self.store) == 0:
                quiet += 1
                time.sleep(0.05)
            else:
                quiet = 0
                time.sleep(0.02)

    def repository(self, login: str = "alice", name: str = "lakehouse") -> Repository:
        """alice's repository with the retail project on main; bob may write, the bot may push."""
        repo = self.client(login).get_user().create_repo(name, auto_init=True)
        repo.create_file("accelerator.yaml", "config", CONFIG, branch="main")
        repo.create_file(
            "erd/retail.dbml", "erd", (RETAIL / "erd" / "retail.dbml").read_text(), branch="main"
        )
        policy = (RETAIL / "policies" / "governance.yaml").read_text()
        repo.create_file("policies/governance.yaml", "policy", policy, branch="main")
        repo.add_to_collaborators("bob", "push")
        repo.add_to_collaborators(BOT_LOGIN, "push")
        return repo

    def open_pull(self, repo: Repository, change: Callable[[str], str] | None = None) -> PullRequest:
        main = repo.get_branch("main").commit.sha
        repo.create_git_ref("refs/heads/feature", main)
        erd = repo.get_contents("erd/retail.dbml", ref="feature")
        assert not isinstance(erd, list)
        text = erd.decoded_content.decode()
        new = change(text) if change else text + "\nTable sales.returns {\n  return_id bigint [pk]\n}\n"
        repo.update_file("erd/retail.dbml", "add returns", new, erd.sha, branch="feature")
        return repo.create_pull(base="main", head="feature", title="Returns", body="a new table")

    def text(self, repo: Repository, path: str, ref: str = "feature") -> str:
        content = repo.get_contents(path, ref=ref)
        assert not isinstance(content, list)
        return content.decoded_content.decode()


def _serve(app: Any) -> tuple[uvicorn.Server, threading.Thread, str]:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    return server, thread, f"http://127.0.0.1:{sock.getsockname()[1]}/webhook"


@pytest.fixture
def harness(tmp_path: Path, pool: MemoryPool, store: MemoryStore, schema_name: str) -> Iterator[Harness]:
    from accelerator.sandbox import start_sandbox

    intake_holder: dict[str, Any] = {}

    def ignored(event: Event) -> str | None:
        return intake_holder["bot"].ignored(event)

    metrics = Metrics()
    workers_holder: dict[str, Workers] = {}
    app = create_app(store, SECRET, ignored, metrics=metrics, wake=lambda: workers_holder["w"].wake())
    server, thread, url = _serve(app)
    sandbox = start_sandbox(tmp_path / "state", webhook_url=url, webhook_secret=SECRET, bot_login=BOT_LOGIN)
    settings = BotSettings(api_url=sandbox.api_url, token=BOT_LOGIN, webhook_secret=SECRET,
                           bot_login=BOT_LOGIN, write_spacing=0)  # fmt: skip
    bot = PullRequestBot(pool, settings, github_client(settings), schema=schema_name)
    intake_holder["bot"] = bot
    reports: list[TurnReport] = []

    def run(event: Event) -> None:
        reports.extend(bot.handle(event))

    workers = Workers(store, run, count=4, metrics=metrics)
    workers_holder["w"] = workers
    workers.start()
    try:
        yield Harness(sandbox, bot, workers, store, url, reports)
    finally:
        workers.stop()
        sandbox.stop()
        server.should_exit = True
        thread.join(timeout=10)
