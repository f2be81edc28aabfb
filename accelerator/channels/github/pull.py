"""Pull mode: the bot reads the GitHub App's recorded webhook deliveries itself.

Where GitHub cannot reach the server (a Databricks App's routes need workspace OAuth; a private
network), every delivery still fails on GitHub's side and is recorded there for 3 days. A sweep lists
them (`GET /app/hook/deliveries`, newest first, page after page until the sweep's horizon), reads each
one it has not seen (`GET /app/hook/deliveries/{id}`: the request's headers and payload), and stores it
in its conversation's queue exactly as `POST /webhook` would (same `X-GitHub-Delivery` GUID, so a
delivery that also arrived by push, or was redelivered, is one turn), oldest first. The first sweep
reaches back 3 days; each later one back to the previous sweep's start, less an overlap.

`serve --pull` sweeps every `--interval`; a push-mode server sweeps at start and every few minutes,
to catch the deliveries it missed (GitHub never retries a failed one).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from github import GithubException

from accelerator.channels.github.events import DELIVERY_ID, Event
from accelerator.channels.github.intake import EVENT_NAME_CHARS, Metrics, record

if TYPE_CHECKING:
    from github import Github

    from accelerator.memory import MemoryStore

log = logging.getLogger("accelerator.github")

RETENTION = 3 * 24 * 3600.0  # GitHub keeps an App's deliveries 3 days
OVERLAP = 300.0  # each sweep reaches this far before the previous one started (clock skew, late records)
PUSH_SWEEP_INTERVAL = 300.0  # a push-mode server's catch-up sweep, every 5 minutes
MAX_PAGES = 1000  # 100 deliveries a page: 100,000 deliveries per sweep at most
DELIVERIES = "/app/hook/deliveries"
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')
_INTERVAL = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)?$")


def parse_interval(text: str) -> float:
    """`30s`, `5m`, `1h`, `500ms` or a number of seconds -> seconds (at least 0.1, at most a day)."""
    match = _INTERVAL.match(text.strip().lower())
    if match is None:
        raise ValueError(f"{text!r} is not a duration: write it as 30s, 5m, 1h or 500ms")
    value = float(match.group(1)) * {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}[match.group(2) or "s"]
    if not 0.1 <= value <= 86400:
        raise ValueError(f"{text!r} is out of range: from 100ms to 24h")
    return value


def _timestamp(text: object) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


@dataclass
class SweepReport:
    listed: int = 0  # delivery records read from the list (redeliveries included)
    received: int = 0  # acknowledged by this server when GitHub sent them (push mode: not read again)
    fetched: int = 0  # deliveries read one by one
    queued: int = 0  # new deliveries stored in the queue
    known: int = 0  # GUIDs the queue already had (they came by push, or an earlier sweep)
    ignored: int = 0  # no turn (another event, a comment not addressed to the bot...)
    failed: int = 0  # could not be read or stored: tried again on the next sweep


class DeliveryPuller:
    """Sweeps the App's deliveries into the queue; `github` is authenticated as the App (its JWT)."""

    def __init__(
        self,
        github: Github,
        store: MemoryStore,
        ignored: Callable[[Event], str | None],
        *,
        metrics: Metrics | None = None,
        wake: Callable[[], None] = lambda: None,
        retention: float = RETENTION,
        overlap: float = OVERLAP,
        failed_only: bool = False,
    ) -> None:
        """`failed_only`: a push-mode server skips the deliveries it acknowledged (2xx: stored, or
        deliberately not queued), so a sweep reads one by one only those GitHub could not deliver."""
        self.github = github
        self.store = store
        self.ignored = ignored
        self.metrics = metrics or Metrics()
        self.wake = wake
        self.retention = retention
        self.overlap = overlap
        self.failed_only = failed_only
        self._horizon: float | None = None
        self._seen: dict[str, float] = {}  # GUID -> delivered at, for deliveries settled here
        self._lock = threading.Lock()  # one sweep at a time
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one sweep ---------------------------------------------------------------------------------------

    def _pages(self, horizon: float) -> list[dict[str, Any]]:
        """Every record delivered since `horizon`, newest first (the list's order)."""
        found: list[dict[str, Any]] = []
        url: str | None = DELIVERIES
        parameters: dict[str, Any] | None = {"per_page": 100}
        for _ in range(MAX_PAGES):
            if url is None:
                break
            headers, items = self.github.requester.requestJsonAndCheck("GET", url, parameters=parameters)
            parameters = None  # the next page's URL carries them
            if not isinstance(items, list):
                raise ValueError(f"GET {DELIVERIES} answered {type(items).__name__}, not a list")
            reached = False
            for item in items:
                at = _timestamp(item.get("delivered_at")) if isinstance(item, dict) else None
                if at is None:
                    continue
                if at < horizon:
                    reached = True
                    continue
                found.append({**item, "_at": at})
            if reached or not items:
                break
            match = _NEXT.search(headers.get("link", "") or "")
            url = match.group(1) if match else None
        return found

    def sweep(self) -> SweepReport:
        """Queue every delivery of the App not seen yet; what was found."""
        with self._lock:
            return self._sweep()

    def _sweep(self) -> SweepReport:
        report = SweepReport()
        started = time.time()
        horizon = self._horizon if self._horizon is not None else started - self.retention
        records = self._pages(horizon)
        report.listed = len(records)
        first: dict[str, dict[str, Any]] = {}  # GUID -> its earliest record (a redelivery comes later)
        for item in records:
            guid = item.get("guid")
            if not isinstance(guid, str) or not DELIVERY_ID.match(guid) or guid in self._seen:
                continue
            code = item.get("status_code")
            if self.failed_only and isinstance(code, int) and 200 <= code < 300:
                report.received += 1
                continue
            earlier = first.get(guid)
            if earlier is None or (item["_at"], item.get("id", 0)) < (earlier["_at"], earlier.get("id", 0)):
                first[guid] = item
        failed_at: list[float] = []
        for guid, item in sorted(first.items(), key=lambda pair: (pair[1]["_at"], pair[1].get("id", 0))):
            try:
                outcome = self._settle(guid, item)
            except Exception as failure:  # one unreadable delivery must not stop the others
                log.warning(
                    "pull: delivery %s could not be queued (next sweep tries again): %s", guid, failure
                )
                report.failed += 1
                failed_at.append(item["_at"])
                continue
            setattr(report, outcome, getattr(report, outcome) + 1)
            if outcome != "known":
                report.fetched += 1
            self._seen[guid] = item["_at"]
        self._horizon = min([started - self.overlap, *failed_at])
        for guid in [g for g, at in self._seen.items() if at < started - self.retention - self.overlap]:
            del self._seen[guid]
        if report.queued:
            log.info("pull: %d delivery(ies) queued from the App's recorded deliveries", report.queued)
        return report

    def _settle(self, guid: str, item: dict[str, Any]) -> str:
        """`queued`, `known` or `ignored`: what became of one listed delivery."""
        if self.store.delivery_status(guid) is not None:
            return "known"
        _, full = self.github.requester.requestJsonAndCheck("GET", f"{DELIVERIES}/{int(item['id'])}")
        request = full.get("request") if isinstance(full, dict) else None
        payload = request.get("payload") if isinstance(request, dict) else None
        headers = request.get("headers") if isinstance(request, dict) else None
        name = item.get("event")
        if isinstance(headers, dict):
            name = next((v for k, v in headers.items() if k.lower() == "x-github-event"), name)
        if not isinstance(name, str) or not name or len(name) > EVENT_NAME_CHARS:
            raise ValueError(f"delivery {guid} names no event")
        if not name.replace("_", "").isalnum():
            raise ValueError(f"delivery {guid}: malformed event name {name[:EVENT_NAME_CHARS]!r}")
        if not isinstance(payload, dict):
            raise ValueError(f"delivery {guid} has no JSON object as its payload")
        event = Event(name, guid, payload)
        reason = self.ignored(event)
        if reason is not None:
            log.debug("pull: delivery %s (%s) not queued: %s", guid, event.key, reason)
            self.metrics.count(name, "ignored")
            return "ignored"
        if not record(self.store, event):
            self.metrics.count(name, "duplicate")
            return "known"
        self.metrics.count(name, "pulled")
        self.wake()
        return "queued"

    # -- the loop ----------------------------------------------------------------------------------------

    def start(self, interval: float) -> None:
        """Sweep now and every `interval` seconds in a background thread, until `stop`."""
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, args=(interval,), name="accelerator-pull", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None

    def _loop(self, interval: float) -> None:
        while not self._stop.is_set():
            try:
                self.sweep()
            except GithubException as failure:
                log.warning("pull: GitHub answered %s to %s: %s", failure.status, DELIVERIES, failure.data)
            except Exception:  # GitHub or the database away: try again at the next interval, never die
                log.exception("pull: the sweep failed")
            self._stop.wait(interval)
