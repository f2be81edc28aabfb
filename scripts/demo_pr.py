"""`make demo`'s last step: a pull request conversation with the bot, in this process.

`accelerator sandbox` (a local GitHub) sends its signed webhooks to the bot's intake (`POST /webhook`,
as `accelerator serve` runs it) and the bot's workers run the turns on the memory: the embedded
PostgreSQL of the directory this runs in (`.accelerator/pg`), or DATABASE_URL when it is set, in a
schema of its own (dropped at the end unless the database is the embedded one). alice opens a PR that adds a table to
the retail ERD; bob comments twice and once inline on the ERD's new line. Prints each turn, the sticky
summary comment (its Markdown, as GitHub would render it) and `git log --oneline` of the PR branch,
cloned from the sandbox.

    .venv/bin/python scripts/demo_pr.py [--example examples/retail]
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SECRET = secrets.token_hex(16)
BOT = "accelerator[bot]"
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
RETURNS = """
Table sales.returns {
  return_id bigint [pk]
  order_id bigint [ref: > sales.orders.order_id]
  reason varchar(200) [note: 'Why the customer sent it back']
  Note: 'Goods sent back by customers'
}
"""
COMMENTS = (
    "/uc rename column crm.customers.full_name to customer_name",
    "/uc grant select on table sales.returns to `support` in prod",
)
INLINE = "/uc rename this to return_reason"


def serve(app: Any) -> tuple[Any, threading.Thread, str]:
    """The bot's intake on a free port, in a thread."""
    import uvicorn

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
    if not server.started:
        raise RuntimeError("the bot's intake did not start")
    return server, thread, f"http://127.0.0.1:{sock.getsockname()[1]}/webhook"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--example", type=Path, default=ROOT / "examples" / "retail")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds each turn may take")
    args = parser.parse_args()

    from github import Auth, Github
    from psycopg import sql

    from accelerator.channels.cli.memory import memory_source
    from accelerator.channels.github.client import github_client
    from accelerator.channels.github.events import Event
    from accelerator.channels.github.intake import Metrics, create_app, queue_depth
    from accelerator.channels.github.pipeline import PullRequestBot
    from accelerator.channels.github.settings import BotSettings
    from accelerator.channels.github.summary import SUMMARY_MARKER
    from accelerator.channels.github.workers import Workers
    from accelerator.memory import MemoryStore, open_pool
    from accelerator.memory.connection import AuthMode
    from accelerator.memory.pool import check_connection
    from accelerator.sandbox import start_sandbox

    erd = (args.example / "erd" / "retail.dbml").read_text(encoding="utf-8")
    policy = (args.example / "policies" / "governance.yaml").read_text(encoding="utf-8")
    source, _ = memory_source(None, None)
    source.schema = f"demo_pr_{secrets.token_hex(4)}"  # a conversation of its own on every run
    shared = source.mode != AuthMode.EMBEDDED  # a server of the user's: the schema is dropped at the end
    check_connection(source)
    pool = open_pool(source, min_size=1, max_size=12)
    scratch = Path(tempfile.mkdtemp(prefix="accelerator-demo-pr-"))
    store = MemoryStore(pool, source.schema)
    store.migrate()
    reports: list[Any] = []  # TurnReport
    holder: dict[str, Any] = {}
    app = create_app(
        store, SECRET, lambda event: holder["bot"].ignored(event), metrics=Metrics(),
        wake=lambda: holder["workers"].wake(),
    )  # fmt: skip
    server, thread, hook = serve(app)
    sandbox = start_sandbox(scratch / "state", webhook_url=hook, webhook_secret=SECRET, bot_login=BOT)
    settings = BotSettings(
        api_url=sandbox.api_url, token=BOT, webhook_secret=SECRET, bot_login=BOT, write_spacing=0
    )
    bot = PullRequestBot(pool, settings, github_client(settings), schema=source.schema)
    holder["bot"] = bot

    def run(event: Event) -> None:
        reports.extend(bot.handle(event))

    workers = Workers(store, run, count=2)
    holder["workers"] = workers
    workers.start()

    def client(login: str) -> Github:
        return Github(base_url=sandbox.api_url, auth=Auth.Token(login), retry=None,
                      seconds_between_requests=None, seconds_between_writes=None)  # fmt: skip

    def settle(what: str) -> None:
        """Wait until every webhook was delivered and every queued turn ran; print the new turns."""
        start, seen = time.perf_counter(), len(reports)
        deadline, quiet = time.monotonic() + args.timeout, 0
        while quiet < 2:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the bot did not finish '{what}' within {args.timeout:.0f} s")
            sandbox.webhooks.wait_idle()
            quiet = quiet + 1 if queue_depth(store) == 0 else 0
            time.sleep(0.05 if quiet else 0.02)
        turns = [r for r in reports[seen:] if r.kind != "ignored"]
        done = ", ".join(
            f"{r.kind} turn" + (f" -> commit {r.commit[:7]}" if r.commit else "") + (", replied" if r.replied else "")
            for r in turns
        )  # fmt: skip
        print(f"   {what}: {done or 'no turn'} ({time.perf_counter() - start:.1f} s)")

    try:
        alice = client("alice").get_user()
        repo = alice.create_repo("retail", auto_init=True)
        repo.create_file("accelerator.yaml", "accelerator.yaml", CONFIG, branch="main")
        repo.create_file("erd/retail.dbml", "the retail ERD", erd, branch="main")
        repo.create_file("policies/governance.yaml", "the governance policy", policy, branch="main")
        repo.add_to_collaborators("bob", "push")
        repo.add_to_collaborators(BOT, "push")
        print(f"== a PR conversation with the bot: accelerator sandbox at {sandbox.api_url}, memory "
              f"{source.mode} (schema {source.schema})")  # fmt: skip
        repo.create_git_ref("refs/heads/returns", repo.get_branch("main").commit.sha)
        current = repo.get_contents("erd/retail.dbml", ref="returns")
        assert not isinstance(current, list)
        repo.update_file("erd/retail.dbml", "Add sales.returns", erd + RETURNS, current.sha, branch="returns")
        pull = repo.create_pull(base="main", head="returns", title="Returns", body="A table for returns.")
        print(f"alice opens PR #{pull.number} 'Returns' (adds sales.returns to erd/retail.dbml)")
        settle("opened")

        bob = client("bob").get_repo("alice/retail").get_pull(pull.number)
        for text in COMMENTS:
            print(f"bob comments: {text}")
            bob.create_issue_comment(text)
            settle("comment")
        head = repo.get_branch("returns").commit
        lines = repo.get_contents("erd/retail.dbml", ref="returns")
        assert not isinstance(lines, list)
        number = next(
            n for n, line in enumerate(lines.decoded_content.decode().splitlines(), 1) if line.startswith("  reason ")
        )  # fmt: skip
        print(f"bob comments inline on erd/retail.dbml line {number} ('  reason varchar(200) ...'): {INLINE}")
        bob.create_review_comment(INLINE, head, "erd/retail.dbml", line=number, side="RIGHT")
        settle("inline comment")

        pull = repo.get_pull(pull.number)
        sticky = [
            c.body
            for c in pull.get_issue_comments()
            if c.user.login == BOT and c.body.startswith(SUMMARY_MARKER)
        ]
        if len(sticky) != 1:
            raise RuntimeError(f"expected one sticky summary comment, found {len(sticky)}")
        replies = sum(1 for c in pull.get_issue_comments() if c.user.login == BOT) - 1
        threads = sum(1 for c in pull.get_review_comments() if c.user.login == BOT)
        print(
            f"\n== the PR's comments by {BOT}: 1 sticky summary, {replies} replies, {threads} in the review thread"
        )
        print("\n== the sticky summary comment (Markdown, edited in place after each turn)\n")
        print(sticky[0])
        clone = scratch / "clone"
        web = sandbox.api_url.removesuffix("/api/v3")
        subprocess.run(["git", "clone", "--quiet", f"{web}/alice/retail.git", str(clone)], check=True)
        log = subprocess.run(
            ["git", "-C", str(clone), "log", "--oneline", "origin/main..origin/returns"],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        print(f"\n== git log --oneline main..returns   (cloned from {web}/alice/retail.git)")
        print(log, end="")
        trailers = subprocess.run(
            ["git", "-C", str(clone), "log", "--format=%(trailers:key=Accelerator-Turn,valueonly)",
             "origin/main..origin/returns"],
            check=True, capture_output=True, text=True,
        ).stdout.split()  # fmt: skip
        print(f"{len(trailers)} bot commits, one per turn, each with its Accelerator-Turn trailer")
        return 0
    finally:
        workers.stop()
        sandbox.stop()
        server.should_exit = True
        thread.join(timeout=10)
        if shared:
            with pool.connection() as conn:
                conn.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(source.schema))
                )
        pool.close()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
