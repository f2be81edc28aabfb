"""The webhook intake on the real PostgreSQL: signatures, size limit, dedup, health and metrics; and
the workers' order (one conversation at a time, in arrival order, none lost)."""

from __future__ import annotations

import threading
import time

import pytest
from starlette.testclient import TestClient

from accelerator.channels.github.events import Event, ignored_because
from accelerator.channels.github.intake import MAX_BODY_BYTES, Metrics, create_app
from accelerator.channels.github.settings import BotSettings
from accelerator.channels.github.workers import Workers
from accelerator.errors import AcceleratorError
from accelerator.memory import DeliveryStatus, MemoryStore
from tests.channels.github.conftest import SECRET, comment_payload, pull_payload, signed


def ignored(event: Event) -> str | None:
    if event.thread_id is None:
        return "no pull request"
    return ignored_because(event, "accelerator[bot]", "/uc")


@pytest.fixture
def client(store: MemoryStore) -> TestClient:
    return TestClient(create_app(store, SECRET, ignored, metrics=Metrics()))


def test_a_signed_delivery_is_stored_once_and_acknowledged(client: TestClient, store: MemoryStore) -> None:
    body, headers = signed(comment_payload("/uc status"), "issue_comment", "delivery-1")
    first = client.post("/webhook", content=body, headers=headers)
    assert (first.status_code, first.json()) == (202, {"queued": True, "duplicate": False})
    again = client.post("/webhook", content=body, headers=headers)  # GitHub's redelivery: same id
    assert (again.status_code, again.json()) == (202, {"queued": False, "duplicate": True})
    [delivery] = store.deliveries("github:alice/lakehouse#1")
    assert (delivery.id, delivery.event, delivery.status) == (
        "delivery-1",
        "issue_comment",
        DeliveryStatus.RECEIVED,
    )
    assert delivery.payload["comment"]["body"] == "/uc status"
    assert store.conversation("github:alice/lakehouse#1").pr_number == 1


def test_forged_missing_and_oversized_deliveries_are_refused(client: TestClient, store: MemoryStore) -> None:
    body, headers = signed(comment_payload("/uc status"), "issue_comment", secret="not the secret")
    assert client.post("/webhook", content=body, headers=headers).status_code == 401
    del headers["X-Hub-Signature-256"]
    assert client.post("/webhook", content=body, headers=headers).status_code == 401
    body, headers = signed(comment_payload("/uc status"), "issue_comment")
    assert client.post("/webhook", content=body + b" ", headers=headers).status_code == 401  # the raw body
    huge = b"x" * (MAX_BODY_BYTES + 1)
    assert client.post("/webhook", content=huge, headers=headers).status_code == 413
    _, bad_id = signed({}, "issue_comment", delivery="../../x")
    assert client.post("/webhook", content=b"{}", headers=bad_id).status_code == 400
    assert store.list_conversations() == []


def test_what_is_no_turn_is_acknowledged_and_not_queued(client: TestClient, store: MemoryStore) -> None:
    for payload, event in [
        (comment_payload("thanks, looks good"), "issue_comment"),
        (comment_payload("/uc status", login="renovate[bot]", user_type="Bot"), "issue_comment"),
        ({"zen": "Keep it simple", "hook_id": 1}, "ping"),
    ]:
        body, headers = signed(payload, event)
        answer = client.post("/webhook", content=body, headers=headers)
        assert answer.status_code == 202 and answer.json()["queued"] is False
    assert store.list_conversations() == []


def test_health_and_metrics(client: TestClient, store: MemoryStore) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    body, headers = signed(pull_payload(), "pull_request")
    client.post("/webhook", content=body, headers=headers)
    client.post("/webhook", content=body, headers=headers)
    text = client.get("/metrics").text
    assert 'accelerator_deliveries_total{event="pull_request",status="received"} 1' in text
    assert 'accelerator_deliveries_total{event="pull_request",status="duplicate"} 1' in text
    assert "accelerator_queue_depth 1" in text
    assert 'accelerator_turn_seconds_bucket{le="+Inf"} 0' in text


def test_health_is_503_without_the_database(store: MemoryStore) -> None:
    store.pool.close()
    client = TestClient(create_app(store, SECRET, ignored))
    assert client.get("/healthz").status_code == 503


def test_the_server_needs_its_secret_and_token() -> None:
    with pytest.raises(AcceleratorError, match="GITHUB_WEBHOOK_SECRET"):
        BotSettings.from_env({"GITHUB_TOKEN": "t"})
    with pytest.raises(AcceleratorError, match="GITHUB_TOKEN"):
        BotSettings.from_env({"GITHUB_WEBHOOK_SECRET": "s"})
    with pytest.raises(AcceleratorError, match="ACCELERATOR_WRITE_SPACING"):
        BotSettings.from_env(
            {"GITHUB_WEBHOOK_SECRET": "s", "GITHUB_TOKEN": "t", "ACCELERATOR_WRITE_SPACING": "-1"}
        )
    settings = BotSettings.from_env({"GITHUB_WEBHOOK_SECRET": "s", "GITHUB_TOKEN": "t"})
    assert (settings.api_url, settings.prefix, settings.write_spacing) == (
        "https://api.github.com",
        "/uc",
        1.0,
    )


def test_workers_run_each_conversation_in_arrival_order_none_lost(
    client: TestClient, store: MemoryStore
) -> None:
    """10 comments on each of 3 PRs, sent at once: every one runs, each PR's in order, never two of
    one PR at the same time."""
    ran: dict[int, list[int]] = {}
    running: set[int] = set()
    overlap: list[int] = []
    lock = threading.Lock()

    def run(event: Event) -> None:
        number = event.payload["issue"]["number"]
        with lock:
            if number in running:
                overlap.append(number)
            running.add(number)
        time.sleep(0.005)
        with lock:
            running.discard(number)
            ran.setdefault(number, []).append(event.payload["comment"]["id"])

    for index in range(10):
        for number in (1, 2, 3):
            body, headers = signed(
                comment_payload("/uc status", number=number, comment_id=index), "issue_comment"
            )
            assert client.post("/webhook", content=body, headers=headers).status_code == 202
    workers = Workers(store, run, count=4)
    workers.start()
    deadline = time.monotonic() + 30
    while sum(len(v) for v in ran.values()) < 30 and time.monotonic() < deadline:
        time.sleep(0.02)
    workers.stop()
    assert ran == {number: list(range(10)) for number in (1, 2, 3)}
    assert overlap == []
    statuses = {d.status for n in (1, 2, 3) for d in store.deliveries(f"github:alice/lakehouse#{n}")}
    assert statuses == {DeliveryStatus.DONE}


def test_a_failing_delivery_is_retried_then_given_up(store: MemoryStore, client: TestClient) -> None:
    body, headers = signed(pull_payload(), "pull_request", "fails")
    client.post("/webhook", content=body, headers=headers)
    attempts: list[str] = []

    def run(event: Event) -> None:
        attempts.append(event.delivery)
        raise RuntimeError("GitHub is down")

    workers = Workers(store, run, count=1)
    assert workers.drain() == 3
    [delivery] = store.deliveries("github:alice/lakehouse#1")
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
    assert "GitHub is down" in (delivery.error or "")
    assert attempts == ["fails"] * 3
