"""Webhook deliveries: exactly-once claims, and a durable queue per conversation (one at a time per PR,
in arrival order). `received` is queued, `processing` is running."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from psycopg import Connection
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from accelerator.memory.records import Delivery, DeliveryStatus
from accelerator.memory.transactions import Transactions

# A failed delivery may be claimed again (GitHub redelivers it); a received/processing/done one may not.
BEGIN_DELIVERY_SQL = """
INSERT INTO {schema}.deliveries (id, event, status) VALUES (%(id)s, %(event)s, 'processing')
ON CONFLICT (id) DO UPDATE SET status = 'processing', attempts = deliveries.attempts + 1,
    updated_at = now(), error = NULL
WHERE deliveries.status = 'failed'
RETURNING id"""

FINISH_DELIVERY_SQL = """
UPDATE {schema}.deliveries SET status = %(status)s, error = %(error)s, updated_at = now()
WHERE id = %(id)s RETURNING id"""

SELECT_DELIVERY_STATUS_SQL = "SELECT status FROM {schema}.deliveries WHERE id = %(id)s"

# Queued in its conversation; a delivery id seen before (a redelivery) changes nothing.
RECORD_DELIVERY_SQL = """
INSERT INTO {schema}.deliveries (id, event, status, attempts, conversation_id, payload)
VALUES (%(id)s, %(event)s, 'received', 0, %(conversation_id)s, %(payload)s)
ON CONFLICT (id) DO NOTHING
RETURNING id"""

# The head of a conversation's queue, if none of that conversation is running. A worker skips a head
# another is claiming (SKIP LOCKED) and cannot take the one behind it: in its snapshot the head is
# still queued, so the one behind is not a head. `%(conversation_id)s` NULL: any conversation's head.
CLAIM_NEXT_DELIVERY_SQL = """
WITH head AS (
    SELECT d.id FROM {schema}.deliveries d
    WHERE d.status = 'received' AND d.conversation_id IS NOT NULL
        AND (%(conversation_id)s::bigint IS NULL OR d.conversation_id = %(conversation_id)s)
        AND NOT EXISTS (
            SELECT FROM {schema}.deliveries e
            WHERE e.conversation_id = d.conversation_id
                AND (e.status = 'processing' OR (e.status = 'received' AND e.arrival < d.arrival))
        )
    ORDER BY d.arrival
    LIMIT 1
    FOR UPDATE SKIP LOCKED
)
UPDATE {schema}.deliveries d
SET status = 'processing', attempts = d.attempts + 1, updated_at = now(), error = NULL
FROM head WHERE d.id = head.id
RETURNING d.*"""

# A failure is retried at its place in the queue until it has had its attempts, then given up.
FAIL_DELIVERY_SQL = """
UPDATE {schema}.deliveries
SET status = CASE WHEN attempts < %(max_attempts)s THEN 'received' ELSE 'failed' END,
    error = %(error)s, updated_at = now()
WHERE id = %(id)s AND status = 'processing'
RETURNING status"""

# A worker that died leaves its delivery running; after that long it goes back to the queue.
REQUEUE_STALLED_DELIVERIES_SQL = """
UPDATE {schema}.deliveries SET status = 'received', updated_at = now()
WHERE status = 'processing' AND conversation_id IS NOT NULL AND updated_at < now() - %(age)s
RETURNING id"""

# A conversation's deliveries in the order they arrived, with their status.
LIST_DELIVERIES_SQL = """
SELECT d.* FROM {schema}.deliveries d JOIN {schema}.conversations c ON c.id = d.conversation_id
WHERE c.thread_id = %(thread_id)s
ORDER BY d.arrival"""


class DeliveryQueue(Transactions):
    """The deliveries' methods of `MemoryStore`."""

    # -- deliveries ---------------------------------------------------------------------------------------

    def begin_delivery(self, delivery_id: str, event: str) -> bool:
        """Claim an external event; False if it was seen before (and did not fail): process it exactly once."""
        claimed = self._run(  # in a transaction: see claim_next_delivery
            lambda conn: self._fetch_one(conn, BEGIN_DELIVERY_SQL, {"id": delivery_id, "event": event})
        )
        return claimed is not None

    def finish_delivery(
        self, delivery_id: str, status: DeliveryStatus | str, error: str | None = None
    ) -> None:
        params = {"id": delivery_id, "status": DeliveryStatus(status).value, "error": error}
        if self._single(FINISH_DELIVERY_SQL, params) is None:
            raise KeyError(f"no delivery {delivery_id!r} was begun")

    def delivery_status(self, delivery_id: str) -> DeliveryStatus | None:
        row = self._single(SELECT_DELIVERY_STATUS_SQL, {"id": delivery_id})
        return None if row is None else DeliveryStatus(row["status"])

    # -- the per-conversation delivery queue --------------------------------------------------------------
    # record -> claim_next_delivery -> finish_delivery(done) | fail_delivery: exactly once, one at a time
    # per conversation, in arrival order.

    def record_delivery(self, delivery_id: str, event: str, thread_id: str, payload: Any = None) -> bool:
        """Queue an event in its conversation; False (and nothing changes) if this id was seen before."""

        def record(conn: Connection[DictRow]) -> bool:
            params = {
                "id": delivery_id,
                "event": event,
                "conversation_id": self._conversation_id(conn, thread_id),
                "payload": None if payload is None else Jsonb(payload),
            }
            return self._fetch_one(conn, RECORD_DELIVERY_SQL, params) is not None

        # No transaction: the id read first never changes, and the INSERT is atomic by itself.
        return self._run(record, transaction=False)

    def claim_next_delivery(self, thread_id: str | None = None) -> Delivery | None:
        """Mark the conversation's oldest queued delivery running and return it; None while one of that
        conversation runs or none is queued. Without a thread: the next one of any conversation."""

        def claim(conn: Connection[DictRow]) -> dict[str, Any] | None:
            conversation_id = None if thread_id is None else self._conversation_id(conn, thread_id)
            return self._fetch_one(conn, CLAIM_NEXT_DELIVERY_SQL, {"conversation_id": conversation_id})

        # In a transaction, unlike single statements elsewhere: a claim retried after its connection
        # died would find its delivery taken (by itself) and not report it. In a transaction only a
        # COMMIT in flight leaves that doubt; on its own, the whole statement would.
        row = self._run(claim)
        return None if row is None else Delivery.from_row(row)

    def fail_delivery(self, delivery_id: str, error: str, max_attempts: int = 3) -> DeliveryStatus:
        """A running delivery failed: queued again at its place while it has had fewer than
        `max_attempts` attempts (the conversation waits for it), else failed for good."""
        params = {"id": delivery_id, "error": error, "max_attempts": max_attempts}
        row = self._run(
            lambda conn: self._fetch_one(conn, FAIL_DELIVERY_SQL, params)
        )  # see claim_next_delivery
        if row is None:
            raise KeyError(f"no running delivery {delivery_id!r}")
        return DeliveryStatus(row["status"])

    def requeue_stalled_deliveries(self, running_longer_than: timedelta) -> int:
        """Queue again the deliveries whose worker died while running them; how many."""
        rows = self._all(REQUEUE_STALLED_DELIVERIES_SQL, {"age": running_longer_than})
        return len(rows)

    def deliveries(self, thread_id: str) -> list[Delivery]:
        """A conversation's deliveries in arrival order, with their status; one query."""
        return [Delivery.from_row(row) for row in self._all(LIST_DELIVERIES_SQL, {"thread_id": thread_id})]
