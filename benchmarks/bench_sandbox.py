"""Benchmark of `accelerator sandbox`: a comment POST's round trip, and webhook dispatch under a steady load.

    .venv/bin/python benchmarks/bench_sandbox.py [--round-trips 300] [--rate 50] [--seconds 10] [--backlog 3000]
        [--in-process]

The sandbox runs as users run it, `accelerator sandbox` in its own process (`--in-process`: in a thread
of this one, sharing its interpreter lock with the load and the receiver).

1. Round trip: `POST /repos/{o}/{r}/issues/{n}/comments` one after another on a kept-alive connection,
   with httpx and with PyGithub (the bot's client); p50/p95/max, and the sandbox process's CPU per
   request (its webhook's delivery included).
   Then `--backlog` more comments spread over 50 more issues, and the httpx round trip again: a
   request's cost should not grow with what the sandbox holds.
2. Turns (`--turn-prs 100,400`): that many PRs opened on a 20 kB file (more for each next count),
   then a bot turn's calls on 40 of them, one turn after another: a comment, the PR, its files, a
   permission, a reaction, the file, a check run, a commit (a tree, a commit, a ref move: a push and
   a synchronize), the check run completed, a reply and its edit. Prints the sandbox's CPU and the
   wall time per turn at each PR count: neither should grow with it.
3. Dispatch: comments POSTed open-loop at `--rate` per second for `--seconds` (each at its scheduled
   time, from a pool of clients, so a slow answer does not slow the schedule). Each makes the sandbox
   send one signed `issue_comment` webhook to a receiver in this process. Prints the achieved request
   rate, the webhook latency (request sent -> webhook received) p50/p95/p99/max, and the deliveries
   lost (comments created whose webhook never arrived, or arrived unsigned); the run fails if any is lost.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from github import Auth, Github

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from accelerator.sandbox import start_sandbox  # noqa: E402

SECRET = "bench-secret"


class Receiver:
    """Records when each comment's webhook arrives (perf_counter) and whether its signature is valid."""

    def __init__(self) -> None:
        self.arrived: dict[int, float] = {}
        self.unsigned = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                at = time.perf_counter()
                expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                valid = hmac.compare_digest(self.headers.get("X-Hub-Signature-256", ""), expected)
                payload = json.loads(body)
                with receiver.lock:
                    if not valid:
                        receiver.unsigned += 1
                    elif self.headers.get("X-GitHub-Event") == "issue_comment":
                        receiver.arrived[int(payload["comment"]["id"])] = at
                self.send_response(202)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def pygithub(api_url: str, login: str) -> Github:
    """PyGithub without its GitHub.com pacing (1 s between writes), which would time the client, not the sandbox."""
    return Github(
        base_url=api_url,
        auth=Auth.Token(login),
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def ms(value: float) -> str:
    return f"{value * 1000:.1f} ms"


def summary(values: list[float]) -> str:
    return (
        f"p50 {ms(statistics.median(values))}, p95 {ms(percentile(values, 0.95))}, "
        f"p99 {ms(percentile(values, 0.99))}, max {ms(max(values))} (n={len(values)})"
    )


def cpu_seconds(pid: int | None) -> float | None:
    """A process's CPU time so far (user + system), None when it is not a process of its own."""
    if pid is None:
        return None
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def httpx_round_trips(api_url: str, comments_path: str, count: int, pid: int | None, label: str) -> None:
    with httpx.Client(base_url=api_url, headers={"Authorization": "token bob"}) as client:
        for _ in range(10):  # warm-up
            client.post(comments_path, json={"body": "warm-up"}).raise_for_status()
        timings = []
        time.sleep(0.5)  # the warm-up's webhooks delivered
        cpu = cpu_seconds(pid)
        for index in range(count):
            started = time.perf_counter()
            answer = client.post(comments_path, json={"body": f"round trip {index}"})
            timings.append(time.perf_counter() - started)
            answer.raise_for_status()
        time.sleep(0.5)  # their webhooks delivered
        after = cpu_seconds(pid)
    used = (
        f"; sandbox CPU {(after - cpu) / count * 1000:.2f} ms per request"
        if cpu is not None and after
        else ""
    )
    print(f"comment POST round trip (httpx, keep-alive){label}: {summary(timings)}{used}")


def backlog(api_url: str, count: int) -> tuple[int, int]:
    """`count` comments over 50 new issues, posted from 8 clients; (issues, comments) made."""
    with httpx.Client(base_url=api_url, headers={"Authorization": "token alice"}, timeout=60) as client:
        numbers = [
            client.post("/repos/alice/bench/issues", json={"title": f"backlog {n}"}).json()["number"]
            for n in range(50)
        ]
    local = threading.local()

    def post(index: int) -> None:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=api_url, headers={"Authorization": "token bob"}, timeout=60)
        number = numbers[index % len(numbers)]
        local.client.post(
            f"/repos/alice/bench/issues/{number}/comments", json={"body": f"b{index}"}
        ).raise_for_status()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(post, range(count)))
    return len(numbers), count


BOT = "accelerator[bot]"
FILE = "erd/model.dbml"


def open_pulls(api_url: str, first: int, last: int, main: str, content: str) -> dict[int, int]:
    """PRs `first`..`last - 1` of alice/turns, each on its branch `pr{n}` changing FILE: n -> PR number."""
    local = threading.local()

    def open_one(number: int) -> tuple[int, int]:
        if not hasattr(local, "client"):
            local.client = httpx.Client(
                base_url=api_url, headers={"Authorization": "token alice"}, timeout=60
            )
        client: httpx.Client = local.client
        base = "/repos/alice/turns"
        client.post(
            f"{base}/git/refs", json={"ref": f"refs/heads/pr{number}", "sha": main}
        ).raise_for_status()
        current = client.get(f"{base}/contents/{FILE}", params={"ref": f"pr{number}"}).json()["sha"]
        changed = base64.b64encode(f"{content}Table t{number} {{ id int }}\n".encode()).decode()
        client.put(
            f"{base}/contents/{FILE}",
            json={"message": f"pr {number}", "content": changed, "branch": f"pr{number}", "sha": current},
        ).raise_for_status()
        made = client.post(
            f"{base}/pulls", json={"title": f"pr {number}", "head": f"pr{number}", "base": "main"}
        )
        made.raise_for_status()
        return number, int(made.json()["number"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(pool.map(open_one, range(first, last)))


def turn(api_url: str, number: int, pr: int, step: int) -> None:
    """A bot turn's calls on the PR `pr` of branch `pr{number}`."""
    base = "/repos/alice/turns"
    with (
        httpx.Client(base_url=api_url, headers={"Authorization": "token bob"}) as bob,
        httpx.Client(base_url=api_url, headers={"Authorization": f"token {BOT}"}) as bot,
    ):
        comment = bob.post(f"{base}/issues/{pr}/comments", json={"body": f"/uc turn {step}"}).json()
        pull = bot.get(f"{base}/pulls/{pr}").json()
        head = pull["head"]["sha"]
        bot.get(f"{base}/pulls/{pr}/files").raise_for_status()
        bot.get(f"{base}/collaborators/bob/permission").raise_for_status()
        bot.post(
            f"{base}/issues/comments/{comment['id']}/reactions", json={"content": "eyes"}
        ).raise_for_status()
        text = base64.b64decode(bot.get(f"{base}/contents/{FILE}", params={"ref": head}).json()["content"])
        run = bot.post(
            f"{base}/check-runs", json={"name": "uc", "head_sha": head, "status": "in_progress"}
        ).json()
        entry = {"path": FILE, "mode": "100644", "content": f"{text.decode()}// {step}\n"}
        tree = bot.post(f"{base}/git/trees", json={"base_tree": head, "tree": [entry]}).json()["sha"]
        commit = bot.post(
            f"{base}/git/commits", json={"message": f"turn {step}", "tree": tree, "parents": [head]}
        )
        bot.patch(f"{base}/git/refs/heads/pr{number}", json={"sha": commit.json()["sha"]}).raise_for_status()
        done = {"status": "completed", "conclusion": "success"}
        bot.patch(f"{base}/check-runs/{run['id']}", json=done).raise_for_status()
        reply = bot.post(f"{base}/issues/{pr}/comments", json={"body": f"done {step}"}).json()
        bot.patch(
            f"{base}/issues/comments/{reply['id']}", json={"body": f"done {step}, edited"}
        ).raise_for_status()


def turns(api_url: str, counts: list[int], pid: int | None) -> None:
    with httpx.Client(base_url=api_url, headers={"Authorization": "token alice"}, timeout=60) as alice:
        alice.post("/user/repos", json={"name": "turns", "auto_init": True}).raise_for_status()
        for login in ("bob", BOT):
            alice.put(f"/repos/alice/turns/collaborators/{login}", json={"permission": "push"})
        content = "".join(f"Table sales.t{n} {{\n  id bigint [pk]\n  name text\n}}\n\n" for n in range(400))
        encoded = base64.b64encode(content.encode()).decode()
        made = alice.put(f"/repos/alice/turns/contents/{FILE}", json={"message": "erd", "content": encoded})
        made.raise_for_status()
        main = alice.get("/repos/alice/turns/git/ref/heads/main").json()["object"]["sha"]
    opened, step, pulls = 0, 0, {}
    for count in counts:
        pulls.update(open_pulls(api_url, opened, count, main, content))
        opened = count
        time.sleep(1.0)  # their webhooks delivered
        sample = [count * k // 40 for k in range(40)]
        cpu, walls = cpu_seconds(pid), []
        for number in sample:
            started = time.perf_counter()
            turn(api_url, number, pulls[number], step)
            walls.append(time.perf_counter() - started)
            step += 1
        time.sleep(0.5)
        after = cpu_seconds(pid)
        used = (
            f"sandbox CPU {(after - cpu) / len(sample) * 1000:.1f} ms per turn, "
            if cpu is not None and after
            else ""
        )
        print(f"bot turns with {count} PRs open: {used}wall {summary(walls)}")


def round_trips(api_url: str, comments_path: str, count: int, pid: int | None) -> None:
    httpx_round_trips(api_url, comments_path, count, pid, "")
    pull = pygithub(api_url, "bob").get_repo("alice/bench").get_pull(1)
    timings = []
    for index in range(count):
        started = time.perf_counter()
        pull.create_issue_comment(f"PyGithub round trip {index}")
        timings.append(time.perf_counter() - started)
    print(f"comment POST round trip (PyGithub create_issue_comment): {summary(timings)}")


def dispatch(api_url: str, comments_path: str, receiver: Receiver, rate: float, seconds: float) -> int:
    total = int(rate * seconds)
    local = threading.local()
    sent: dict[int, float] = {}
    failures: list[str] = []
    lock = threading.Lock()

    def post(index: int, due: float) -> None:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=api_url, headers={"Authorization": "token bob"}, timeout=30)
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        started = time.perf_counter()
        try:
            answer = local.client.post(comments_path, json={"body": f"load {index}"})
            answer.raise_for_status()
        except httpx.HTTPError as failure:
            with lock:
                failures.append(str(failure))
            return
        with lock:
            sent[int(answer.json()["id"])] = started

    start = time.perf_counter() + 0.2
    with ThreadPoolExecutor(max_workers=16) as pool:
        for index in range(total):
            pool.submit(post, index, start + index / rate)
    elapsed = time.perf_counter() - start
    deadline = time.monotonic() + 30  # the sender drains its queue; a lost delivery never arrives
    while time.monotonic() < deadline:
        with receiver.lock:
            if all(comment in receiver.arrived for comment in sent):
                break
        time.sleep(0.05)
    with receiver.lock:
        latencies = [
            receiver.arrived[comment] - at for comment, at in sent.items() if comment in receiver.arrived
        ]
        lost = len(sent) - len(latencies) + receiver.unsigned
    print(
        f"webhook dispatch: {len(sent)} comments in {elapsed:.2f} s = {len(sent) / elapsed:.1f} requests/s "
        f"(target {rate:g}/s, {len(failures)} failed requests)"
    )
    print(
        f"webhook latency (request sent -> webhook received): {summary(latencies) if latencies else 'none'}"
    )
    print(f"deliveries lost: {lost} (unsigned: {receiver.unsigned})")
    return lost + len(failures)


@contextlib.contextmanager
def sandbox_process(state: Path, webhook_url: str) -> Iterator[tuple[str, int | None]]:
    """`accelerator sandbox` in a child process; yields its API URL (the first line it prints) and pid."""
    command = [sys.executable, "-m", "accelerator", "sandbox", "--port", "0", "--state", str(state)]
    command += ["--webhook-url", webhook_url, "--webhook-secret", SECRET]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert child.stdout is not None
        first = child.stdout.readline().strip()
        if not first.startswith("sandbox: "):
            raise SystemExit(f"accelerator sandbox did not start: {first!r}")
        yield first.removeprefix("sandbox: "), child.pid
    finally:
        child.terminate()
        child.wait(timeout=10)


@contextlib.contextmanager
def sandbox_thread(state: Path, webhook_url: str) -> Iterator[tuple[str, int | None]]:
    running = start_sandbox(state, webhook_url=webhook_url, webhook_secret=SECRET)
    try:
        yield running.api_url, None
    finally:
        running.stop()


def drain(receiver: Receiver, quiet: float = 1.0) -> None:
    """Until no webhook has arrived for `quiet` seconds (the set-up's and the round trips' deliveries)."""
    count, since = -1, time.monotonic()
    while time.monotonic() - since < quiet:
        with receiver.lock:
            if len(receiver.arrived) != count:
                count, since = len(receiver.arrived), time.monotonic()
        time.sleep(0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--round-trips", type=int, default=300)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--backlog", type=int, default=3000, help="comments added before the second round trip"
    )
    parser.add_argument("--turn-prs", default="100,400", help="PR counts to time bot turns at (empty: none)")
    parser.add_argument(
        "--in-process", action="store_true", help="serve the sandbox from a thread of this process"
    )
    options = parser.parse_args()
    serve = sandbox_thread if options.in_process else sandbox_process
    with (
        tempfile.TemporaryDirectory() as state,
        Receiver() as receiver,
        serve(Path(state), receiver.url) as (api_url, pid),
    ):
        print(
            f"sandbox: {'a thread of this process' if options.in_process else 'its own process'}, {api_url}"
        )
        alice = pygithub(api_url, "alice")
        repo = alice.get_user().create_repo("bench", auto_init=True)
        repo.add_to_collaborators("bob", "push")
        repo.create_git_ref("refs/heads/feature", repo.get_branch("main").commit.sha)
        repo.create_file("erd/sales.dbml", "add sales", "Table customers {}\n", branch="feature")
        pull = repo.create_pull(base="main", head="feature", title="bench", body="")
        path = f"/repos/alice/bench/issues/{pull.number}/comments"
        round_trips(api_url, path, options.round_trips, pid)
        if options.backlog:
            issues, comments = backlog(api_url, options.backlog)
            drain(receiver)
            label = f" after {comments} more comments on {issues} more issues"
            httpx_round_trips(api_url, path, options.round_trips, pid, label)
        drain(receiver)
        if options.turn_prs:
            turns(api_url, [int(count) for count in options.turn_prs.split(",")], pid)
            drain(receiver)
        with receiver.lock:
            receiver.arrived.clear()
        return 1 if dispatch(api_url, path, receiver, options.rate, options.seconds) else 0


if __name__ == "__main__":
    sys.exit(main())
