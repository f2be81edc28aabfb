"""Webhook deliveries as GitHub sends them: signed, with a GUID per delivery, one at a time in order,
each recorded with its status code and duration; a failed delivery is not retried (nor is it by GitHub)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
import time
import uuid
from typing import Any

import httpx

from accelerator.sandbox.state import SandboxState, now

log = logging.getLogger("accelerator.sandbox")
USER_AGENT = "GitHub-Hookshot/sandbox"
APP_HOOK_ID = 1


def signature(secret: str, body: bytes) -> str:
    """`X-Hub-Signature-256`: HMAC-SHA256 of the raw body with the hook's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookSender:
    """Sends every event to the App's hook URL from one thread, so the receiver sees them in order."""

    def __init__(self, state: SandboxState, url: str | None, secret: str | None) -> None:
        self.state = state
        self.url = url
        self.secret = secret
        self.pending: queue.Queue[tuple[str, bytes, str, bool] | None] = queue.Queue()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        if self.url and self.thread is None:
            self.thread = threading.Thread(target=self.run, name="sandbox-webhooks", daemon=True)
            self.thread.start()

    def stop(self) -> None:
        if self.thread is not None:
            self.pending.put(None)
            self.thread.join(timeout=10)
            self.thread = None

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Block until every queued event is delivered (tests and a clean shutdown need it)."""
        deadline = time.monotonic() + timeout
        while self.pending.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    def send(self, event: str, payload: dict[str, Any], repository: dict[str, Any] | None = None) -> None:
        if not self.url:
            return
        body = json.dumps(payload, separators=(",", ":")).encode()
        self.pending.put((event, body, str(uuid.uuid4()), False))

    def redeliver(self, delivery: dict[str, Any]) -> None:
        """Send a recorded delivery again: the same body and the same `X-GitHub-Delivery`."""
        if not self.url:
            return
        body = json.dumps(delivery["request"]["payload"], separators=(",", ":")).encode()
        self.pending.put((delivery["event"], body, delivery["guid"], True))

    def run(self) -> None:
        with httpx.Client(timeout=10.0) as client:
            while True:
                item = self.pending.get()
                try:
                    if item is None:
                        return
                    self.deliver(client, *item)
                finally:
                    self.pending.task_done()

    def deliver(self, client: httpx.Client, event: str, body: bytes, guid: str, redelivery: bool) -> None:
        assert self.url is not None
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": guid,
            "X-GitHub-Hook-ID": str(APP_HOOK_ID),
            "X-GitHub-Hook-Installation-Target-Type": "integration",
        }
        if self.secret:
            headers["X-Hub-Signature-256"] = signature(self.secret, body)
        started = time.monotonic()
        try:
            status = client.post(self.url, content=body, headers=headers).status_code
        except httpx.HTTPError as failure:
            log.warning("webhook %s %s to %s failed: %s", event, guid, self.url, failure)
            status = 0
        payload = json.loads(body)
        self.state.record_delivery(
            {
                "id": self.state.new_delivery_id(),
                "guid": guid,
                "event": event,
                "action": payload.get("action"),
                "redelivery": redelivery,
                "repository_id": payload.get("repository", {}).get("id"),
                "status_code": status,
                "duration": round(time.monotonic() - started, 4),
                "delivered_at": now(),
                "url": self.url,
                "request": {"headers": headers, "payload": payload},
            }
        )
