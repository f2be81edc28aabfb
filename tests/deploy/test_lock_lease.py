"""A statement that runs longer than the apply lock's lease (15 minutes; the runner waits up to an
hour) keeps the lock: it is renewed between the runner's polls, so a second apply is refused while it
runs instead of taking the lock over as expired."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from accelerator.deploy.apply import Applier
from accelerator.deploy.history import LEASE, History, Lock, LockHeld
from accelerator.deploy.migrations import local_migrations
from accelerator.plan.migrations import file_hash, render_sum
from tests.deploy.sandbox_server import Sandbox

V1 = (
    "-- V0001__initial.sql: environment dev\n\n"
    "CREATE CATALOG `dev_retail`;\n\n"
    "CREATE SCHEMA `dev_retail`.`sales`;\n\n"
    "CREATE TABLE `dev_retail`.`sales`.`orders` (`order_id` BIGINT NOT NULL);\n"
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    running = Sandbox(None)
    yield running
    running.stop()


def test_a_statement_longer_than_the_lease_keeps_the_lock(sandbox: Sandbox) -> None:
    clock = Clock()
    started = clock.now
    second: list[str] = []  # what a second apply got, at each poll of the long statement

    def poll_sleep(_: float) -> None:  # each poll of the long statement takes 4 minutes
        clock.now += timedelta(minutes=4)
        other = Lock(History(sandbox.runner(), "dev_retail", "dev"), "bob (laptop)", clock=clock)
        try:
            other.acquire()
            second.append("took the lock")
        except LockHeld:
            second.append("refused")

    sandbox.inject(match="CREATE TABLE `dev_retail`.`sales`.`orders`", polls=15)  # an hour: 4x the lease
    files = {"V0001__initial.sql": V1}
    migrations = local_migrations(
        "generated/sql/dev", files, render_sum([(n, file_hash(t)) for n, t in files.items()])
    )
    lines: list[str] = []
    applier = Applier(sandbox.runner(sleep=poll_sleep), "dev_retail", "dev", "ci", lines.append, clock=clock)
    result = applier.apply(migrations)
    assert result.applied == ["V0001__initial.sql"], lines
    assert clock.now - started > 3 * LEASE  # the statement outlived the lease several times over
    assert second and set(second) == {"refused"}, second
