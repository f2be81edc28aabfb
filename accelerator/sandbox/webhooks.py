"""Webhook deliveries as GitHub sends them: to the App's hook (`--webhook-url`) and to each repository's
hooks subscribed to the event, signed, with a GUID per delivery, one at a time in order, each recorded
with its hook, status code and duration; a failed delivery is not retried (nor is it by GitHub)."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import select
import ssl
import threading
import time
import uuid
from dataclasses import dataclass
from queue import Queue
from typing import Any
from urllib.parse import urlencode, urlsplit

from accelerator.sandbox.state import SandboxState, now

log = logging.getLogger("accelerator.sandbox")
USER_AGENT = "GitHub-Hookshot/sandbox"
APP_HOOK_ID = 1


def signature(secret: str, body: bytes) -> str:
    """`X-Hub-Signature-256`: HMAC-SHA256 of the raw body with the hook's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Target:
    """Where a delivery goes: the App's hook or one repository hook."""

    hook_id: int
    url: str
    secret: str | None
    content_type: str  # json or form
    kind: str  # integration (the App) or repository
    target_id: int


@dataclass(frozen=True)
class Pending:
    event: str
    payload: dict[str, Any]
    guid: str
    redelivery: bool
    target: Target
    raw: str | None = None  # a redelivery's JSON, byte for byte the first delivery's


class Poster:
    """POSTs with one kept-alive connection per receiver (`http.client`: a delivery costs little more
    than its bytes). A connection the receiver closed while idle is opened again before it is used;
    a POST is never sent twice."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self.connections: dict[tuple[str, str, int], http.client.HTTPConnection] = {}

    def connection(self, scheme: str, host: str, port: int) -> http.client.HTTPConnection:
        key = (scheme, host, port)
        found = self.connections.get(key)
        if found is not None and found.sock is not None:
            readable, _, _ = select.select([found.sock], [], [], 0)
            if readable:  # closed by the receiver (or stray bytes): not to be trusted with a POST
                found.close()
                found = None
        if found is None:
            if scheme == "https":
                found = http.client.HTTPSConnection(
                    host, port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                found = http.client.HTTPConnection(host, port, timeout=self.timeout)
            self.connections[key] = found
        return found

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """The receiver's status code; OSError or http.client.HTTPException when there is none."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection = self.connection(scheme, host, port)
        try:
            connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            connection.close()
            self.connections.pop((scheme, host, port), None)
            raise
        if response.will_close:
            connection.close()
            self.connections.pop((scheme, host, port), None)
        return response.status

    def close(self) -> None:
        for connection in self.connections.values():
            connection.close()
        self.connections.clear()


LANES = 4  # deliveries sent at once, as GitHub sends them (each pull request's or issue's in order)


class WebhookSender:
    """Sends the events from `LANES` threads, as GitHub delivers them concurrently: a pull request's or
    an issue's events (and each repository's others) go through one lane, so a receiver sees them in
    the order they happened; different pull requests' are sent side by side."""

    def __init__(self, state: SandboxState, url: str | None, secret: str | None, lanes: int = LANES) -> None:
        self.state = state
        self.url = url
        self.secret = secret
        self.lanes: list[Queue[Pending | None]] = [Queue() for _ in range(max(1, lanes))]
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        if not self.threads:
            self.threads = [
                threading.Thread(target=self.run, args=(lane,), name=f"sandbox-webhooks-{n}", daemon=True)
                for n, lane in enumerate(self.lanes)
            ]
            for thread in self.threads:
                thread.start()

    def stop(self) -> None:
        for lane in self.lanes if self.threads else []:
            lane.put(None)
        for thread in self.threads:
            thread.join(timeout=10)
        self.threads = []

    @property
    def unfinished(self) -> int:
        return sum(lane.unfinished_tasks for lane in self.lanes)

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Block until every queued event is delivered (tests and a clean shutdown need it)."""
        deadline = time.monotonic() + timeout
        while self.unfinished and time.monotonic() < deadline:
            time.sleep(0.01)

    def put(self, item: Pending) -> None:
        """Into the lane of the item's subject: its pull request or issue (consecutive numbers of a
        repository in different lanes), else its repository's."""
        payload = item.payload
        subject = payload.get("pull_request") or payload.get("issue")
        number = subject.get("number") if isinstance(subject, dict) else None
        repository = payload.get("repository") or {}
        base = hash((item.target.hook_id, repository.get("id")))
        self.lanes[(base + (number if isinstance(number, int) else -1)) % len(self.lanes)].put(item)

    def app_target(self) -> Target | None:
        if not self.url:
            return None
        return Target(APP_HOOK_ID, self.url, self.secret, "json", "integration", 1)

    def hook_target(self, repository: dict[str, Any], hook: dict[str, Any]) -> Target:
        config = hook["config"]
        return Target(
            int(hook["id"]),
            str(config["url"]),
            config.get("secret") or None,
            str(config.get("content_type", "form")),
            "repository",
            int(repository["id"]),
        )

    def send(self, event: str, payload: dict[str, Any], repository: dict[str, Any] | None = None) -> None:
        """Queue `event` for the App's hook and for every active hook of `repository` subscribed to it."""
        targets = [self.app_target()]
        for hook in (repository or {}).get("hooks", []):
            if hook["active"] and ("*" in hook["events"] or event in hook["events"]):
                targets.append(self.hook_target(repository or {}, hook))
        for target in targets:
            if target is not None:
                self.queue(event, payload, target)

    def queue(self, event: str, payload: dict[str, Any], target: Target, guid: str | None = None) -> None:
        """One delivery; a repository hook's payload has no `installation` (only an App's has)."""
        if target.kind == "repository":
            payload = {key: value for key, value in payload.items() if key != "installation"}
        self.put(Pending(event, payload, guid or str(uuid.uuid4()), guid is not None, target))

    def target_of(self, delivery: dict[str, Any]) -> Target | None:
        """Where a recorded delivery goes again: its hook as configured now (None: the hook is gone)."""
        hook_id = int(delivery.get("hook_id", APP_HOOK_ID))
        if hook_id == APP_HOOK_ID:
            return self.app_target()
        for repository in self.state.data["repositories"].values():
            for hook in repository["hooks"]:
                if hook["id"] == hook_id:
                    return self.hook_target(repository, hook)
        return None

    def redeliver(self, delivery: dict[str, Any]) -> None:
        """Send a recorded delivery again: the same body and the same `X-GitHub-Delivery`."""
        target = self.target_of(delivery)
        if target is not None:
            payload, raw = delivery["request"]["payload"], delivery.get("raw")
            self.put(Pending(delivery["event"], payload, delivery["guid"], True, target, raw))

    def run(self, lane: Queue[Pending | None]) -> None:
        poster = Poster()
        try:
            while True:
                item = lane.get()
                try:
                    if item is None:
                        return
                    self.deliver(poster, item)
                except Exception:  # one broken delivery must not stop the others
                    log.exception("webhook delivery failed")
                finally:
                    lane.task_done()
        finally:
            poster.close()

    def deliver(self, poster: Poster, item: Pending) -> None:
        target = item.target
        raw = item.raw or json.dumps(item.payload, separators=(",", ":"))
        if target.content_type == "form":
            body, content_type = urlencode({"payload": raw}).encode(), "application/x-www-form-urlencoded"
        else:
            body, content_type = raw.encode(), "application/json"
        headers = {
            "Content-Type": content_type,
            "User-Agent": USER_AGENT,
            "X-GitHub-Event": item.event,
            "X-GitHub-Delivery": item.guid,
            "X-GitHub-Hook-ID": str(target.hook_id),
            "X-GitHub-Hook-Installation-Target-Type": target.kind,
            "X-GitHub-Hook-Installation-Target-ID": str(target.target_id),
        }
        if target.secret:
            headers["X-Hub-Signature-256"] = signature(target.secret, body)
        started = time.monotonic()
        message = "OK"
        try:
            status = poster.post(target.url, body, headers)
        except (OSError, http.client.HTTPException) as failure:
            log.warning("webhook %s %s to %s failed: %s", item.event, item.guid, target.url, failure)
            status, message = 0, "failed to connect"
        record: dict[str, Any] = {  # its id given by `record_delivery` (one hold of the state's lock)
            "hook_id": target.hook_id,
            "guid": item.guid,
            "event": item.event,
            "action": item.payload.get("action"),
            "redelivery": item.redelivery,
            "repository_id": item.payload.get("repository", {}).get("id"),
            "installation_id": 1 if target.kind == "integration" else None,
            "status_code": status,
            "duration": round(time.monotonic() - started, 4),
            "delivered_at": now(),
            "url": target.url,
        }
        # the record's JSON line with the payload's JSON as sent (`raw` is exactly it): not encoded again
        line = (
            json.dumps(record, separators=(",", ":"))[:-1]
            + ',"request":{"headers":'
            + json.dumps(headers, separators=(",", ":"))
            + ',"payload":'
            + raw
            + '},"raw":'
            + json.dumps(raw)
            + "}"
        )
        record["request"] = {"headers": headers, "payload": item.payload}
        record["raw"] = raw
        self.state.record_delivery(
            record,
            {
                "code": status or None,
                "status": "active" if 200 <= status < 300 else "failed",
                "message": message,
            },
            line,
        )
