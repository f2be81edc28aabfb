"""Benchmark of the PR bot as users run it: `accelerator serve` in its own process(es), `accelerator sandbox`
as GitHub in another, the memory on the real PostgreSQL at 127.0.0.1:5432 in a fresh database (dropped
after). Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_bot.py [--only ack,turn,throughput] [--rate 50] [--seconds 10]
        [--tables 200] [--turns 12] [--prs 100] [--comments 1] [--workers 4] [--replicas 2]
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

1. ack: signed `pull_request.closed` deliveries POSTed open-loop to `POST /webhook` at `--rate` per
   second for `--seconds` (each at its scheduled time, from a pool of kept-alive clients): the
   acknowledgement latency (request sent -> 202, the delivery stored in the queue) p50/p99/max.
2. turn: a PR on a synthetic ERD of `--tables` tables (10 columns each, DBML), opened (its first turn
   timed too); then `--turns` comments, one after another, each renaming another column, write spacing
   0: from posting the comment (the sandbox's API) to the bot's reply existing (the sandbox's
   `issue_comment` webhook of the reply, received here) p50/p95/max, the first two left out (warm-up);
   and the GitHub requests each turn made (serve logs them per delivery: `N GitHub request(s)`).
3. throughput: `--prs` PRs opened on the retail ERD, then `--comments` comments on each, posted all at
   once. For each wave, two rates: the webhooks serve's intake received per second (its /metrics,
   ignored ones included: the bot's own pushes and comments come back as deliveries too), and the
   deliveries stored and run per second (turns, by the workers of `--replicas` serve processes sharing
   the database), and how long each webhook the sandbox sent took to be answered (its deliveries'
   `duration`: a slow intake shows there first). Then lost and duplicated turns counted in the database (each comment's delivery done
   once, its user message recorded once) and on the branches (one bot commit per turn delivery, by its
   `Accelerator-Turn` trailer).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from queue import Queue
from typing import Any

import httpx
import psycopg
from github import Auth, Github
from github.Repository import Repository
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.synthetic import dbml  # noqa: E402

SECRET = "bench-bot-secret"
BOT = "accelerator[bot]"
SERVERS = ("postgresql://postgres@127.0.0.1:5432/postgres", "postgresql://root@127.0.0.1:5432/postgres")
RETAIL = ROOT / "examples" / "retail"
POLICY = (RETAIL / "policies" / "governance.yaml").read_text(encoding="utf-8")
CONFIG = """project: {project}
erd:
  - path: erd/*.dbml
    catalog: {project}
policy: policies/governance.yaml
environments: [dev, prod]
output: generated
terraform:
  enabled: false
"""
REPLY = re.compile(r"<!-- accelerator:reply comment:(\d+) -->")
USER_SOURCE = re.compile(r"comment:(\d+):user$")
TRAILER = re.compile(r"^Accelerator-Turn: (\S+)\s*$", re.MULTILINE)
REQUESTS_LINE = re.compile(r"^(\S+ \S+) .*delivery \S+ \(([\w.]+)\) done in \d+ ms, (\d+) GitHub request")
METRIC_LINE = re.compile(
    r'^accelerator_deliveries_total\{event="([^"]*)",status="([^"]*)"\} (\d+)$', re.MULTILINE
)
INTAKE_STATUSES = ("received", "duplicate", "ignored", "error", "unauthorized")  # what POST /webhook counts
CLIENTS = 32  # concurrent connections the load comes from (an answer late does not delay the next)
PHASES = ("ack", "turn", "throughput")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def ms(values: list[float], *qs: float) -> str:
    if not values:
        return "no samples"
    parts = [f"p{int(q * 100)} {percentile(values, q) * 1000:.0f} ms" for q in qs]
    return ", ".join([*parts, f"max {max(values) * 1000:.0f} ms", f"n={len(values)}"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def signed(payload: dict[str, Any], event: str, delivery: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    return body, {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(),
        "Content-Type": "application/json",
    }


# -- the database, the sandbox and the servers ------------------------------------------------------------


@contextlib.contextmanager
def fresh_database(server_url: str | None) -> Iterator[str]:
    candidates = [server_url] if server_url else list(SERVERS)
    for url in candidates:
        try:
            with psycopg.connect(url, connect_timeout=3, autocommit=True) as conn:
                name = f"bench_bot_{secrets.token_hex(5)}"
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                break
        except psycopg.Error as failure:
            last = failure
    else:
        raise SystemExit(f"no PostgreSQL to benchmark on at {', '.join(candidates)}: {last}")
    try:
        yield make_conninfo(url, dbname=name)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def first_line(process: subprocess.Popen[str], prefix: str, what: str) -> str:
    assert process.stdout is not None
    for _ in range(10):
        line = process.stdout.readline()
        if line.startswith(prefix):
            return line[len(prefix) :].strip()
        if not line:
            break
    raise SystemExit(f"{what} did not start (exit {process.poll()}); see its log")


@dataclass
class Stack:
    database_url: str
    scratch: Path
    workers: int
    replicas: int
    processes: list[subprocess.Popen[str]] = field(default_factory=list)
    api_url: str = ""
    hook_url: str = ""

    def start(self) -> None:
        port = free_port()
        self.hook_url = f"http://127.0.0.1:{port}/webhook"
        log = (self.scratch / "sandbox.log").open("a")
        sandbox = subprocess.Popen(
            [sys.executable, "-m", "accelerator", "sandbox", "--port", "0", "--state", str(self.scratch / "state"),
             "--webhook-url", self.hook_url, "--webhook-secret", SECRET, "--bot-login", BOT],
            stdout=subprocess.PIPE, stderr=log, text=True, cwd=self.scratch,
        )  # fmt: skip
        self.processes.append(sandbox)
        self.api_url = first_line(sandbox, "sandbox: ", "accelerator sandbox")
        for replica in range(self.replicas):  # the first receives the webhooks; all run turns
            self.processes.append(self.serve(port if replica == 0 else 0, replica))

    def serve(self, port: int, replica: int) -> subprocess.Popen[str]:
        env = {**os.environ, "GITHUB_WEBHOOK_SECRET": SECRET, "GITHUB_TOKEN": BOT, "GITHUB_API_URL": self.api_url,
               "GITHUB_BOT_LOGIN": BOT, "ACCELERATOR_WRITE_SPACING": "0"}  # fmt: skip
        env.pop("DATABASE_URL", None)
        process = subprocess.Popen(
            [sys.executable, "-m", "accelerator", "serve", "--port", str(port), "--workers", str(self.workers),
             "--database-url", self.database_url],
            stdout=subprocess.PIPE, stderr=(self.scratch / f"serve-{replica}.log").open("a"), text=True,
            cwd=self.scratch, env=env,
        )  # fmt: skip
        first_line(process, "serving: ", "accelerator serve")
        return process

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    def client(self, login: str) -> Github:
        return Github(base_url=self.api_url, auth=Auth.Token(login), retry=None, timeout=60,
                      seconds_between_requests=None, seconds_between_writes=None)  # fmt: skip


class Replies:
    """A repository hook of the sandbox: when each bot reply (by its comment's key) arrived."""

    def __init__(self) -> None:
        self.arrived: dict[int, float] = {}
        self.changed = threading.Condition()
        replies = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                at = time.perf_counter()
                if self.headers.get("X-GitHub-Event") == "issue_comment":
                    found = REPLY.search(json.loads(body).get("comment", {}).get("body") or "")
                    if found:
                        with replies.changed:
                            replies.arrived.setdefault(int(found.group(1)), at)
                            replies.changed.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/replies"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, comment: int, timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        with self.changed:
            while comment not in self.arrived:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.changed.wait(left)
            return self.arrived[comment]


def queue(database_url: str) -> dict[str, int]:
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        rows = conn.execute(
            "SELECT status, count(*) AS n FROM accelerator.deliveries GROUP BY status"
        ).fetchall()
    return {row["status"]: int(row["n"]) for row in rows}


def wait_idle(database_url: str, timeout: float, at_least: int = 0) -> bool:
    """Until `at_least` deliveries are stored and none is queued or running, three times in a row
    (the bot's writes send more webhooks)."""
    deadline, quiet = time.monotonic() + timeout, 0
    while quiet < 3:
        if time.monotonic() > deadline:
            return False
        counts = queue(database_url)
        idle = counts.get("received", 0) + counts.get("processing", 0) == 0
        quiet = quiet + 1 if idle and sum(counts.values()) >= at_least else 0
        time.sleep(0.1)
    return True


def repository(stack: Stack, name: str, erd: str, project: str) -> Repository:
    repo = stack.client("alice").get_user().create_repo(name, auto_init=True)
    repo.create_file("accelerator.yaml", "config", CONFIG.format(project=project), branch="main")
    repo.create_file("erd/model.dbml", "erd", erd, branch="main")
    repo.create_file("policies/governance.yaml", "policy", POLICY, branch="main")
    repo.add_to_collaborators("bob", "push")
    repo.add_to_collaborators(BOT, "push")
    return repo


def open_pull(repo: Repository, branch: str, erd: str, addition: str, sha: str, main: str) -> int:
    repo.create_git_ref(f"refs/heads/{branch}", main)
    repo.update_file("erd/model.dbml", f"add a table on {branch}", erd + addition, sha, branch=branch)
    return repo.create_pull(base="main", head=branch, title=branch, body="bench").number


def requests_per_turn(stack: Stack) -> dict[str, list[int]]:
    """The GitHub requests of each delivery run so far, by event key, in the order they finished
    (serve logs `delivery ID (KEY) done in T ms, N GitHub request(s)`)."""
    found: list[tuple[str, str, int]] = []
    for log in sorted(stack.scratch.glob("serve-*.log")):
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            match = REQUESTS_LINE.match(line)
            if match:
                found.append((match.group(1), match.group(2), int(match.group(3))))
    by_key: dict[str, list[int]] = {}
    for _, key, count in sorted(found):
        by_key.setdefault(key, []).append(count)
    return by_key


def counts(values: list[int]) -> str:
    if not values:
        return "not logged (a serve without the per-delivery request count)"
    ordered = sorted(values)
    return f"p50 {ordered[len(ordered) // 2]}, min {ordered[0]}, max {ordered[-1]}, n={len(values)}"


def intake_received(stack: Stack) -> tuple[int, Counter[str]]:
    """(webhooks serve's intake received, those it ignored by event) so far: its /metrics counters."""
    text = httpx.get(stack.hook_url.removesuffix("/webhook") + "/metrics", timeout=30).text
    received, ignored = 0, Counter[str]()
    for event, status, value in METRIC_LINE.findall(text):
        if status in INTAKE_STATUSES:
            received += int(value)
        if status == "ignored":
            ignored[event] += int(value)
    return received, ignored


def deliveries_sent(stack: Stack) -> list[float]:
    """How long each webhook the sandbox sent so far took (POST to the receiver's answer read), in the
    order sent: its `deliveries.jsonl` (a slow intake shows here before it shows in the rates)."""
    path = stack.scratch / "state" / "deliveries.jsonl"
    if not path.exists():
        return []
    took: list[float] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            took.append(float(json.loads(line)["duration"]))
        except (ValueError, KeyError, TypeError):
            continue  # a line being written
    return took


# -- 1. acknowledgement latency ---------------------------------------------------------------------------


def bench_ack(stack: Stack, rate: float, seconds: float) -> None:
    total = int(rate * seconds)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    clients: Queue[httpx.Client] = Queue()
    for _ in range(CLIENTS):
        clients.put(httpx.Client(timeout=30))

    def closed(number: int) -> tuple[bytes, dict[str, str]]:
        payload = {
            "action": "closed",
            "number": number,
            "pull_request": {"number": number, "merged": False, "head": {"sha": "0" * 40, "ref": "x"}},
            "repository": {"full_name": "bench/ack"},
            "sender": {"login": "alice", "type": "User", "id": 3},
        }
        return signed(payload, "pull_request", str(uuid.uuid4()))

    def send(number: int, at: float | None) -> None:
        body, headers = closed(number)
        client = clients.get()
        try:
            delay = 0.0 if at is None else at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            start = time.perf_counter()
            response = client.post(stack.hook_url, content=body, headers=headers)
            elapsed = time.perf_counter() - start
        finally:
            clients.put(client)
        if at is not None:
            with lock:
                latencies.append(elapsed)
                statuses[response.status_code] += 1

    # Warm-up, outside the measure: every client's connection, the server's first stores and turns.
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        list(pool.map(lambda n: send(n, None), range(100_001, 100_001 + 2 * CLIENTS)))
    wait_idle(stack.database_url, 60, 2 * CLIENTS)
    start = time.perf_counter() + 0.2
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        for index in range(total):
            pool.submit(send, index + 1, start + index / rate)
    took = time.perf_counter() - start
    while not clients.empty():
        clients.get().close()
    print(
        f"1. webhook acknowledgement at {rate:.0f}/s for {seconds:.0f} s ({total} signed deliveries, each stored):"
    )
    print(f"   {ms(latencies, 0.5, 0.99)}; achieved {total / took:.1f}/s; statuses {dict(statuses)}")
    wait_idle(stack.database_url, 60, total + 2 * CLIENTS)


# -- 2. warm end-to-end comment turn ----------------------------------------------------------------------


def bench_turn(stack: Stack, tables: int, columns: int, turns: int, replies: Replies) -> None:
    erd = dbml(tables, columns)
    repo = repository(stack, "erd200", erd, "bench")
    repo.create_hook("web", {"url": replies.url, "content_type": "json"}, ["issue_comment"], active=True)
    main = repo.get_branch("main").commit.sha
    sha = repo.get_contents("erd/model.dbml", ref="main")
    assert not isinstance(sha, list)
    addition = "\nTable s0.extra {\n  id bigint [pk]\n  Note: 'One more table'\n}\n"
    start = time.perf_counter()
    number = open_pull(repo, "feature", erd, addition, sha.sha, main)
    if not wait_idle(stack.database_url, 180):
        print("2. the opening turn did not finish within 180 s")
        return
    opened = time.perf_counter() - start
    bob = stack.client("bob").get_repo(repo.full_name).get_pull(number)
    latencies: list[float] = []
    lost = 0
    for turn in range(turns + 2):
        table = (turn * 7 + 3) % tables
        column = 2 + turn % max(1, columns - 2)
        text = f"/uc rename column s{table % 10}.t{table}.col_{column} to renamed_{turn}"
        start = time.perf_counter()
        comment = bob.create_issue_comment(text)
        arrived = replies.wait(comment.id, 120)
        if arrived is None:
            lost += 1
            continue
        if turn >= 2:
            latencies.append(arrived - start)
        wait_idle(stack.database_url, 60)  # the sticky's edit and the bot's own push, before the next
    print(
        f"2. comment turn on a {tables}-table ERD ({tables * columns} columns), write spacing 0, sandbox included:"
    )
    print(f"   PR opened -> generated files committed and summary posted: {opened:.1f} s (cold)")
    print(f"   warm turn, comment posted -> reply exists: {ms(latencies, 0.5, 0.95)}; no reply: {lost}")
    made = requests_per_turn(stack)
    print(
        f"   GitHub requests: the opening turn {counts(made.get('pull_request.opened', []))}; "
        f"a warm comment turn {counts(made.get('issue_comment.created', [])[2:])}"
    )


# -- 3. sustained throughput across many PRs --------------------------------------------------------------


def bench_throughput(stack: Stack, prs: int, comments: int) -> None:
    erd = (RETAIL / "erd" / "retail.dbml").read_text(encoding="utf-8")
    repo = repository(stack, "many", erd, "retail")
    main = repo.get_branch("main").commit.sha
    sha = repo.get_contents("erd/model.dbml", ref="main")
    assert not isinstance(sha, list)
    before = sum(queue(stack.database_url).values())
    heard = intake_received(stack)
    sent = len(deliveries_sent(stack))
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(
            lambda i: open_pull(repo, f"pr{i}", erd, f"\nTable sales.extra_{i} {{\n  id bigint [pk]\n}}\n",
                                sha.sha, main),
            range(prs),
        ))  # fmt: skip
    posted = time.perf_counter() - start
    wait_idle(stack.database_url, 600, before + prs)
    took = time.perf_counter() - start
    ran = sum(queue(stack.database_url).values()) - before
    print(f"3. throughput across {prs} PRs, {stack.replicas} serve process(es) x {stack.workers} workers:")
    print(
        f"   opened ({prs} PRs opened through the API in {posted:.1f} s, all run {took:.1f} s after the first was posted):"
    )
    rates(stack, heard, ran, took, sent)

    bob = stack.client("bob").get_repo(repo.full_name)
    jobs = [(number, k) for k in range(comments) for number in numbers]
    before = sum(queue(stack.database_url).values())
    heard = intake_received(stack)
    sent = len(deliveries_sent(stack))
    start = time.perf_counter()

    def post(job: tuple[int, int]) -> tuple[int, int]:
        number, k = job
        text = f"/uc rename column crm.customers.full_name to name_{number}_{k}" if k % 2 == 0 else \
            f"/uc rename column crm.customers.name_{number}_{k - 1} to full_name"  # fmt: skip
        return number, bob.get_issue(number).create_comment(text).id

    with ThreadPoolExecutor(max_workers=8) as pool:  # comments on one PR stay in order (waves)
        made: list[tuple[int, int]] = []
        for k in range(comments):
            made += pool.map(post, [job for job in jobs if job[1] == k])
    posted = time.perf_counter() - start
    wait_idle(stack.database_url, 600, before + len(made))
    took = time.perf_counter() - start
    ran = sum(queue(stack.database_url).values()) - before
    print(
        f"   comments ({len(made)} posted in {posted:.1f} s, all run {took:.1f} s after the first was posted):"
    )
    rates(stack, heard, ran, took, sent)
    count_turns(stack, repo, numbers, made)


def rates(stack: Stack, heard: tuple[int, Counter[str]], ran: int, took: float, sent: int) -> None:
    """A wave's two rates: webhooks received (ignored ones included) and deliveries run; and how long
    the sandbox's webhooks of the wave took to be answered (`sent`: how many it had sent before)."""
    received, ignored = intake_received(stack)
    received -= heard[0]
    ignored.subtract(heard[1])
    which = ", ".join(f"{event} {n}" for event, n in ignored.most_common() if n > 0)
    print(
        f"     webhooks received by serve's intake: {received} in {took:.1f} s = {received / took:.1f}/s "
        f"(ignored on arrival: the bot's own pushes, comments and check runs, branch pushes: {which or 'none'})"
    )
    print(f"     deliveries stored and run (turns): {ran} in {took:.1f} s = {ran / took:.1f}/s")
    print(f"     each webhook's POST until serve's answer (the sandbox's record): {ms(deliveries_sent(stack)[sent:], 0.5, 0.9, 0.99)}")  # fmt: skip


def count_turns(stack: Stack, repo: Repository, numbers: list[int], made: list[tuple[int, int]]) -> None:
    """Lost and duplicated turns, in the database and on the branches."""
    with psycopg.connect(stack.database_url, row_factory=dict_row) as conn:
        deliveries = conn.execute(
            "SELECT d.id, d.event, d.status, d.payload, c.thread_id FROM accelerator.deliveries d "
            "JOIN accelerator.conversations c ON c.id = d.conversation_id WHERE c.thread_id LIKE %s",
            (f"github:{repo.full_name}#%",),
        ).fetchall()
        sources = Counter(
            int(found.group(1))
            for row in conn.execute(
                "SELECT m.source_id FROM accelerator.messages m JOIN accelerator.conversations c "
                "ON c.id = m.conversation_id WHERE m.role = 'user' AND c.thread_id LIKE %s",
                (f"github:{repo.full_name}#%",),
            ).fetchall()
            if (found := USER_SOURCE.search(row["source_id"] or ""))
        )
    by_comment: dict[int, list[dict[str, Any]]] = {}
    for row in deliveries:
        payload = row["payload"] or {}
        if row["event"] == "issue_comment" and isinstance(payload.get("comment"), dict):
            by_comment.setdefault(int(payload["comment"]["id"]), []).append(row)
    db_lost = sum(1 for _, cid in made if sum(r["status"] == "done" for r in by_comment.get(cid, [])) == 0)
    db_dup = sum(1 for _, cid in made if len(by_comment.get(cid, [])) > 1)
    msg_lost = sum(1 for _, cid in made if sources[cid] == 0)
    msg_dup = sum(1 for _, cid in made if sources[cid] > 1)
    failed = sum(1 for row in deliveries if row["status"] == "failed")
    # a turn delivery: the PR's opening and each comment (the bot's own pushes are none)
    turn_ids = {r["id"] for r in deliveries if r["event"] == "issue_comment" or
                (r["event"] == "pull_request" and (r["payload"] or {}).get("action") == "opened")}  # fmt: skip
    clone = stack.scratch / "many"
    web = stack.api_url.removesuffix("/api/v3")
    subprocess.run(
        ["git", "clone", "--quiet", "--no-checkout", f"{web}/{repo.full_name}.git", str(clone)], check=True
    )
    trailers: Counter[str] = Counter()
    for index in range(len(numbers)):
        log = subprocess.run(
            ["git", "-C", str(clone), "log", "--format=%B%x00", f"origin/main..origin/pr{index}"],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        trailers.update(found for message in log.split("\0") for found in TRAILER.findall(message))
    branch_lost = sum(1 for delivery in turn_ids if trailers[delivery] == 0)
    branch_dup = sum(1 for delivery in turn_ids if trailers[delivery] > 1)
    stray = sum(1 for delivery in trailers if delivery not in turn_ids)
    print(f"   database: {len(made)} comments -> lost {db_lost}, duplicated {db_dup} deliveries; "
          f"user messages lost {msg_lost}, duplicated {msg_dup}; failed deliveries {failed}")  # fmt: skip
    print(f"   branches: {len(turn_ids)} turn deliveries -> commits with their trailer: lost {branch_lost}, "
          f"duplicated {branch_dup}; commits of no known delivery {stray}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default=",".join(PHASES), help="comma-separated: ack, turn, throughput")
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--tables", type=int, default=200)
    parser.add_argument("--columns", type=int, default=10)
    parser.add_argument("--turns", type=int, default=12)
    parser.add_argument("--prs", type=int, default=100)
    parser.add_argument("--comments", type=int, default=1, help="comments per PR in the throughput run")
    parser.add_argument("--workers", type=int, default=4, help="worker threads per serve process")
    parser.add_argument("--replicas", type=int, default=2, help="serve processes sharing the database")
    parser.add_argument("--database-url", help="a server URL to create the benchmark's database on")
    args = parser.parse_args()
    phases = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(phases) - set(PHASES)
    if unknown:
        parser.error(f"--only: unknown {sorted(unknown)}; choose from {', '.join(PHASES)}")
    began = time.perf_counter()
    with (
        fresh_database(args.database_url) as database_url,
        tempfile.TemporaryDirectory(prefix="bench-bot-") as tmp,
    ):
        stack = Stack(database_url, Path(tmp), args.workers, args.replicas)
        replies = Replies()
        try:
            stack.start()
            print(f"accelerator serve x{args.replicas} ({args.workers} workers each) + accelerator sandbox, "
                  f"PostgreSQL {database_url.split('dbname=')[-1]}, {os.cpu_count()} CPUs")  # fmt: skip
            if "ack" in phases:
                bench_ack(stack, args.rate, args.seconds)
            if "turn" in phases:
                bench_turn(stack, args.tables, args.columns, args.turns, replies)
            if "throughput" in phases:
                bench_throughput(stack, args.prs, args.comments)
        finally:
            stack.stop()
            replies.server.shutdown()
            errors: list[str] = []
            for log in sorted(Path(tmp).glob("serve-*.log")):
                lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
                for index, line in enumerate(lines):
                    if " ERROR " in line:  # its exception: the traceback's last line
                        after = [x for x in lines[index + 1 :] if x and not x[0].isspace()]
                        cause = next((x for x in after if not x.startswith("Traceback")), "")
                        errors.append(f"{line.strip()} -- {cause}"[:400])
            if errors:
                print(f"serve logged {len(errors)} error(s):")
                for error in errors[:5]:
                    print(f"   {error}")
    print(f"total {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
