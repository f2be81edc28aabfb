"""Workers: threads that take the oldest runnable delivery (one conversation at a time each, in
arrival order: `claim_next_delivery`, `FOR UPDATE SKIP LOCKED`) and run the pipeline on it.

A failed delivery goes back to its place in the queue until it has had its attempts; a delivery
whose worker died (the process killed) is queued again once it has been running longer than
`stalled_after`, and its turn finishes without a second commit (the pipeline finds its trailer).
Several replicas may share one database.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from accelerator.channels.github.auth import installation_scope
from accelerator.channels.github.client import REQUESTS
from accelerator.channels.github.events import Event
from accelerator.channels.github.intake import Metrics

if TYPE_CHECKING:
    from accelerator.memory import Delivery, MemoryStore

log = logging.getLogger("accelerator.github")

MAX_ATTEMPTS = 3
IDLE_POLL = 0.5  # seconds between polls of an empty queue (a new delivery wakes the workers at once)
STALLED_SWEEP = 30.0  # seconds between sweeps for deliveries whose worker died


class Workers:
    def __init__(
        self,
        store: MemoryStore,
        run: Callable[[Event], object],
        *,
        count: int = 4,
        stalled_after: timedelta = timedelta(minutes=10),
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.run = run
        self.count = max(1, count)
        self.stalled_after = stalled_after
        self.metrics = metrics or Metrics()
        self._stop = threading.Event()
        self._wake = threading.Condition()
        self._pending = 0
        self._threads: list[threading.Thread] = []
        self._last_sweep = 0.0

    def start(self) -> None:
        self.sweep()
        for number in range(self.count):
            thread = threading.Thread(target=self._loop, name=f"accelerator-worker-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self.wake(all_workers=True)
        for thread in self._threads:
            thread.join(timeout=timeout)

    def wake(self, *, all_workers: bool = False) -> None:
        with self._wake:
            self._pending += 1
            if all_workers:
                self._wake.notify_all()
            else:
                self._wake.notify()

    def sweep(self) -> int:
        self._last_sweep = time.monotonic()
        requeued = self.store.requeue_stalled_deliveries(self.stalled_after)
        if requeued:
            log.warning("%d delivery(ies) whose worker died queued again", requeued)
        return requeued

    def run_once(self) -> bool:
        """Claim and run one delivery; False when none is runnable."""
        delivery = self.store.claim_next_delivery()
        if delivery is None:
            return False
        self.process(delivery)
        return True

    def drain(self, timeout: float = 60.0) -> int:
        """Run deliveries in this thread until none is runnable (tests, Actions); how many ran."""
        deadline, ran = time.monotonic() + timeout, 0
        while time.monotonic() < deadline and self.run_once():
            ran += 1
        return ran

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if time.monotonic() - self._last_sweep > STALLED_SWEEP:
                    self.sweep()
                if self.run_once():
                    continue
            except Exception:  # the database went away: wait and try again, never die
                log.exception("worker: the queue could not be read")
            with self._wake:
                if self._pending == 0:
                    self._wake.wait(IDLE_POLL)
                self._pending = max(0, self._pending - 1)

    def process(self, delivery: Delivery) -> None:
        """Run one claimed delivery to its end: done, or failed (queued again while it has attempts)."""
        from accelerator.memory import DeliveryStatus

        payload = delivery.payload if isinstance(delivery.payload, dict) else {}
        event = Event(delivery.event, delivery.id, payload)
        start = time.perf_counter()
        REQUESTS.reset()
        try:
            with installation_scope(event.installation, event.repository):  # a GitHub App's token
                self.run(event)
        except Exception as failure:
            log.exception("delivery %s (%s) failed (attempt %d)", delivery.id, event.key, delivery.attempts)
            status = self.store.fail_delivery(
                delivery.id, f"{type(failure).__name__}: {failure}"[:2000], MAX_ATTEMPTS
            )
            self.metrics.count(delivery.event, "failed" if status == DeliveryStatus.FAILED else "retried")
            return
        finally:
            took = time.perf_counter() - start
            self.metrics.observe_turn(took)
        self.store.finish_delivery(delivery.id, DeliveryStatus.DONE)
        self.metrics.count(delivery.event, "done")
        log.info(
            "delivery %s (%s) done in %.0f ms, %d GitHub request(s)",
            delivery.id,
            event.key,
            took * 1000,
            REQUESTS.count(),
        )
