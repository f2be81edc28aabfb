"""Deliveries as a durable per-conversation queue: exactly once, one at a time per PR, in arrival order."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import cast

import psycopg
import pytest
from psycopg.rows import DictRow

from accelerator.errors import ConversationNotFoundError
from accelerator.memory import Delivery, DeliveryStatus, MemoryStore
from accelerator.memory.pool import MemoryPool

PR_7 = "github:acme/data#7"
PR_8 = "github:acme/data#8"


class OneConnection:
    """A pool that always hands out one connection: a store whose calls share the test's transaction."""

    def __init__(self, conn: psycopg.Connection[DictRow]) -> None:
        self.conn = conn

    @contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[psycopg.Connection[DictRow]]:
        yield self.conn


def test_a_redelivery_changes_nothing(store: MemoryStore) -> None:
    store.open_conversation(PR_7, "github")
    assert store.record_delivery("d-1", "issue_comment", PR_7, {"comment": {"body": "status"}}) is True
    assert store.record_delivery("d-1", "issue_comment", PR_7, {"comment": {"body": "changed"}}) is False
    claimed = store.claim_next_delivery(PR_7)
    assert claimed is not None and claimed.id == "d-1"
    store.finish_delivery("d-1", DeliveryStatus.DONE)
    assert store.record_delivery("d-1", "issue_comment", PR_7, {"x": 1}) is False  # done stays done
    [stored] = store.deliveries(PR_7)
    assert (stored.status, stored.attempts) == (DeliveryStatus.DONE, 1)
    assert stored.payload == {"comment": {"body": "status"}} and stored.event == "issue_comment"
    with pytest.raises(ConversationNotFoundError):
        store.record_delivery("d-2", "push", "github:acme/data#404")


def test_one_at_a_time_per_conversation_in_arrival_order(store: MemoryStore) -> None:
    store.open_conversation(PR_7, "github")
    store.open_conversation(PR_8, "github")
    for delivery in ("a-1", "a-2", "a-3"):
        store.record_delivery(delivery, "issue_comment", PR_7, {"id": delivery})
    store.record_delivery("b-1", "pull_request", PR_8)

    first = store.claim_next_delivery(PR_7)
    assert first is not None and (first.id, first.status, first.attempts) == ("a-1", "processing", 1)
    assert store.claim_next_delivery(PR_7) is None  # a-1 runs: a-2 waits
    other = store.claim_next_delivery(PR_8)
    assert other is not None and other.id == "b-1"  # another PR is not held up
    store.finish_delivery("a-1", "done")

    second = store.claim_next_delivery(PR_7)
    assert second is not None and second.id == "a-2"
    assert store.fail_delivery("a-2", "GitHub 502") is DeliveryStatus.RECEIVED  # retried at its place
    again = store.claim_next_delivery(PR_7)
    assert again is not None and (again.id, again.attempts, again.error) == ("a-2", 2, None)
    assert store.fail_delivery("a-2", "GitHub 502", max_attempts=2) is DeliveryStatus.FAILED  # given up
    third = store.claim_next_delivery(PR_7)
    assert third is not None and third.id == "a-3"
    store.finish_delivery("a-3", "done")
    assert store.claim_next_delivery(PR_7) is None

    listed = store.deliveries(PR_7)
    assert [(d.id, d.status, d.attempts) for d in listed] == [
        ("a-1", DeliveryStatus.DONE, 1),
        ("a-2", DeliveryStatus.FAILED, 2),
        ("a-3", DeliveryStatus.DONE, 1),
    ]
    assert [d.arrival for d in listed] == sorted(d.arrival for d in listed)
    assert listed[1].error == "GitHub 502" and listed[0].payload == {"id": "a-1"}
    with pytest.raises(KeyError):
        store.fail_delivery("a-3", "not running")


def test_a_claim_skips_a_head_being_claimed_and_never_takes_the_one_behind_it(
    store: MemoryStore, pool: MemoryPool
) -> None:
    store.open_conversation(PR_7, "github")
    store.open_conversation(PR_8, "github")
    store.record_delivery("a-1", "issue_comment", PR_7)
    store.record_delivery("a-2", "issue_comment", PR_7)
    store.record_delivery("b-1", "issue_comment", PR_8)
    with pool.connection() as conn, conn.transaction():
        # the first worker has claimed a-1 and not committed yet: its row is locked, still queued to others
        first_worker = MemoryStore(cast(MemoryPool, OneConnection(conn)), store.schema)
        claimed = first_worker.claim_next_delivery(PR_7)
        assert claimed is not None and claimed.id == "a-1"
        assert _claim_without_waiting(store, PR_7) is None
        anywhere = _claim_without_waiting(store, None)
        assert anywhere is not None and anywhere.id == "b-1"
    assert store.claim_next_delivery() is None  # a-1 now runs: a-2 waits for it
    store.finish_delivery("a-1", "done")
    after = store.claim_next_delivery()
    assert after is not None and after.id == "a-2"


def _claim_without_waiting(store: MemoryStore, thread_id: str | None) -> Delivery | None:
    """Claim in another thread: a claim that waited for the locked head (instead of skipping it) fails."""
    result: list[Delivery | None] = []
    worker = threading.Thread(target=lambda: result.append(store.claim_next_delivery(thread_id)))
    worker.start()
    worker.join(timeout=5)
    assert result, "the claim waited for a row another worker is claiming"
    return result[0]


def test_concurrent_workers_process_each_delivery_once_in_order_one_per_conversation(
    store: MemoryStore,
) -> None:
    threads_ids = [f"github:acme/data#{n}" for n in range(3)]
    expected: dict[str, list[str]] = {}
    for thread_id in threads_ids:
        store.open_conversation(thread_id, "github")
    for index in range(8):  # interleaved arrivals across the conversations
        for thread_id in threads_ids:
            delivery = f"{thread_id}/{index}"
            store.record_delivery(delivery, "issue_comment", thread_id)
            expected.setdefault(thread_id, []).append(delivery)

    guard = threading.Lock()
    running: set[int] = set()
    processed: dict[int, list[str]] = {}
    problems: list[str] = []
    workers = 4
    start = threading.Barrier(workers)

    def work() -> None:
        start.wait()
        idle = 0
        while idle < 20:
            delivery = store.claim_next_delivery()
            if delivery is None:
                idle += 1
                threading.Event().wait(0.01)
                continue
            idle = 0
            conversation = cast(int, delivery.conversation_id)
            with guard:
                if conversation in running:
                    problems.append(f"two deliveries of conversation {conversation} ran at once")
                running.add(conversation)
                processed.setdefault(conversation, []).append(delivery.id)
            threading.Event().wait(0.002)
            with guard:
                running.discard(conversation)
            store.finish_delivery(delivery.id, "done")

    pool_threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in pool_threads:
        thread.start()
    for thread in pool_threads:
        thread.join(timeout=120)
    assert problems == []
    by_thread = {store.conversation(t).id: t for t in threads_ids}
    assert {by_thread[c]: ids for c, ids in processed.items()} == expected
    assert all(
        d.status is DeliveryStatus.DONE and d.attempts == 1 for t in threads_ids for d in store.deliveries(t)
    )


def test_two_workers_claiming_one_conversation_at_once_get_one_delivery(store: MemoryStore) -> None:
    store.open_conversation(PR_7, "github")
    for round_ in range(10):
        store.record_delivery(f"r-{round_}-a", "issue_comment", PR_7)
        store.record_delivery(f"r-{round_}-b", "issue_comment", PR_7)
        start = threading.Barrier(2)
        claimed: list[str | None] = []

        def claim(start: threading.Barrier, claimed: list[str | None]) -> None:
            start.wait()
            delivery = store.claim_next_delivery(PR_7)
            claimed.append(None if delivery is None else delivery.id)

        workers = [threading.Thread(target=claim, args=(start, claimed)) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert sorted(claimed, key=str) == [None, f"r-{round_}-a"]
        for delivery_id in (f"r-{round_}-a", f"r-{round_}-b"):
            store.finish_delivery(delivery_id, "done")


def test_a_delivery_left_running_by_a_dead_worker_is_queued_again(store: MemoryStore) -> None:
    store.open_conversation(PR_7, "github")
    store.record_delivery("d-1", "issue_comment", PR_7)
    assert store.claim_next_delivery(PR_7) is not None  # the worker dies here
    assert store.requeue_stalled_deliveries(timedelta(minutes=10)) == 0  # not stalled yet
    with store.pool.connection() as conn:
        conn.execute("UPDATE deliveries SET updated_at = now() - interval '11 minutes'")
    assert store.requeue_stalled_deliveries(timedelta(minutes=10)) == 1
    retried = store.claim_next_delivery(PR_7)
    assert retried is not None and (retried.id, retried.attempts) == ("d-1", 2)


def test_pruning_a_conversation_removes_its_deliveries(store: MemoryStore) -> None:
    store.open_conversation(PR_7, "github")
    store.record_delivery("d-1", "issue_comment", PR_7)
    store.close_conversation(PR_7)
    with store.pool.connection() as conn:
        conn.execute("UPDATE conversations SET closed_at = now() - interval '40 days'")
    assert store.prune(timedelta(days=30)) == 1
    assert store.delivery_status("d-1") is None
