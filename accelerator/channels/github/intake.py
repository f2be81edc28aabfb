"""`POST /webhook`, `GET /healthz`, `GET /metrics`: the bot's HTTP side (starlette).

A delivery is verified (`X-Hub-Signature-256`, HMAC-SHA256 of the raw body, compared in constant
time: missing or wrong -> 401; a body over 25 MB -> 413), then stored in its conversation's queue
(the `deliveries` table; a redelivery with the same `X-GitHub-Delivery` changes nothing) and
answered 202 at once; the workers run it. A delivery that is no turn (another event, a comment not
addressed to the bot, a bot's own) is answered 202 and logged at debug level, not queued.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from accelerator.channels.github.events import DELIVERY_ID, Event

if TYPE_CHECKING:
    from accelerator.memory import MemoryStore

log = logging.getLogger("accelerator.github")

MAX_BODY_BYTES = 25 * 1024 * 1024  # GitHub caps a payload at 25 MB
EVENT_NAME_CHARS = 64
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verified(secret: str, body: bytes, header: str | None) -> bool:
    if not header:
        return False
    return hmac.compare_digest(
        signature(secret, body).encode("ascii"), header.strip().encode("utf-8", "replace")
    )


@dataclass
class Metrics:
    """Counters and a histogram, rendered in Prometheus' text format (no client library needed)."""

    deliveries: dict[tuple[str, str], int] = field(default_factory=dict)  # (event, status) -> count
    turns: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))
    turn_sum: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, event: str, status: str) -> None:
        with self.lock:
            key = (event, status)
            self.deliveries[key] = self.deliveries.get(key, 0) + 1

    def observe_turn(self, seconds: float) -> None:
        with self.lock:
            self.turn_sum += seconds
            for index, bound in enumerate(LATENCY_BUCKETS):
                if seconds <= bound:
                    self.turns[index] += 1
                    break
            else:
                self.turns[-1] += 1

    def render(self, queue_depth: int | None) -> str:
        with self.lock:
            lines = [
                "# HELP accelerator_deliveries_total Webhook deliveries by event and status.",
                "# TYPE accelerator_deliveries_total counter",
            ]
            for (event, status), value in sorted(self.deliveries.items()):
                lines.append(
                    f'accelerator_deliveries_total{{event="{_label(event)}",status="{_label(status)}"}} {value}'
                )
            lines += [
                "# HELP accelerator_queue_depth Deliveries queued or running.",
                "# TYPE accelerator_queue_depth gauge",
                f"accelerator_queue_depth {queue_depth if queue_depth is not None else 'NaN'}",
                "# HELP accelerator_turn_seconds Time from claiming a delivery to its end.",
                "# TYPE accelerator_turn_seconds histogram",
            ]
            cumulative = 0
            for bound, value in zip(LATENCY_BUCKETS, self.turns, strict=False):
                cumulative += value
                lines.append(f'accelerator_turn_seconds_bucket{{le="{bound}"}} {cumulative}')
            cumulative += self.turns[-1]
            lines += [
                f'accelerator_turn_seconds_bucket{{le="+Inf"}} {cumulative}',
                f"accelerator_turn_seconds_sum {self.turn_sum:.6f}",
                f"accelerator_turn_seconds_count {cumulative}",
            ]
            return "\n".join(lines) + "\n"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


# A read-only count for /metrics and /healthz (the memory has no such query yet).
QUEUE_DEPTH_SQL = "SELECT count(*) AS n FROM {schema}.deliveries WHERE status IN ('received', 'processing')"


def queue_depth(store: MemoryStore) -> int:
    """Deliveries queued or running; raises when the database cannot be reached."""
    from psycopg import sql

    statement = sql.SQL(QUEUE_DEPTH_SQL).format(schema=sql.Identifier(store.schema))
    with store.pool.connection(timeout=5) as conn:
        row = conn.execute(statement).fetchone()
    return int(row["n"]) if row is not None else 0


def record(store: MemoryStore, event: Event) -> bool:
    """Store the delivery in its conversation's queue (the conversation opened if new); False for a
    delivery id seen before."""
    thread = event.thread_id
    assert thread is not None
    store.open_conversation(thread, "github", repo=event.repository, pr_number=event.number)
    return store.record_delivery(event.delivery, event.name, thread, event.payload)


def create_app(
    store: MemoryStore,
    secret: str | None,
    ignored: Callable[[Event], str | None],
    *,
    metrics: Metrics | None = None,
    wake: Callable[[], None] = lambda: None,
) -> Starlette:
    """`ignored(event)`: why an event is no turn (None: queue it). `secret` None: pull mode, no
    `POST /webhook` (the deliveries are read from GitHub); an empty secret is refused."""
    if secret is not None and not secret:
        raise ValueError("a webhook secret is required")
    metrics = metrics or Metrics()

    async def webhook(request: Request) -> Response:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return JSONResponse({"error": "payload over 25 MB"}, status_code=413)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                return JSONResponse({"error": "payload over 25 MB"}, status_code=413)
            chunks.append(chunk)
        body = b"".join(chunks)
        assert secret is not None  # the route exists only with a secret
        if not verified(secret, body, request.headers.get("x-hub-signature-256")):
            metrics.count("unknown", "unauthorized")
            return JSONResponse({"error": "missing or wrong X-Hub-Signature-256"}, status_code=401)
        name = request.headers.get("x-github-event", "")
        delivery = request.headers.get("x-github-delivery", "")
        if not name or len(name) > EVENT_NAME_CHARS or not name.replace("_", "").isalnum():
            return JSONResponse({"error": "missing or malformed X-GitHub-Event"}, status_code=400)
        if not DELIVERY_ID.match(delivery):
            return JSONResponse({"error": "missing or malformed X-GitHub-Delivery"}, status_code=400)
        try:
            payload = json.loads(body)
        except ValueError:
            return JSONResponse({"error": "the body is not JSON"}, status_code=400)
        if not isinstance(payload, dict):
            return JSONResponse({"error": "the body is not a JSON object"}, status_code=400)
        event = Event(name, delivery, payload)
        reason = ignored(event)
        if reason is not None:
            log.debug("delivery %s (%s) not queued: %s", delivery, event.key, reason)
            metrics.count(name, "ignored")
            return JSONResponse({"queued": False, "reason": reason}, status_code=202)
        try:
            new = await run_in_threadpool(record, store, event)
        except Exception:
            log.exception("delivery %s could not be stored", delivery)
            metrics.count(name, "error")
            return JSONResponse({"error": "the delivery could not be stored; redeliver it"}, status_code=503)
        metrics.count(name, "received" if new else "duplicate")
        if new:
            wake()
        return JSONResponse({"queued": new, "duplicate": not new}, status_code=202)

    async def healthz(request: Request) -> Response:
        try:
            await run_in_threadpool(queue_depth, store)
        except Exception as failure:  # the database is the bot's only dependency worth reporting
            return JSONResponse(
                {"status": "unavailable", "database": type(failure).__name__}, status_code=503
            )
        return JSONResponse({"status": "ok"})

    async def metrics_endpoint(request: Request) -> Response:
        try:
            depth: int | None = await run_in_threadpool(queue_depth, store)
        except Exception:
            depth = None
        return PlainTextResponse(metrics.render(depth), media_type="text/plain; version=0.0.4")

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
    ]
    if secret is not None:
        routes.insert(0, Route("/webhook", webhook, methods=["POST"]))
    app = Starlette(routes=routes)
    app.state.metrics = metrics
    app.state.started = time.time()
    return app
