"""`DatabricksRunner` over databricks-sdk against the sandbox: polling PENDING -> RUNNING -> SUCCEEDED,
result chunks, Databricks' error message, the deadline's cancel, a refused request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from accelerator.deploy.runner import StatementFailed
from tests.deploy.sandbox_server import Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    running = Sandbox(chunk_rows=2)
    yield running
    running.stop()


def fill(sandbox: Sandbox) -> None:
    runner = sandbox.runner()
    for statement in (
        "CREATE CATALOG `c`",
        "CREATE SCHEMA `c`.`s`",
        "CREATE TABLE `c`.`s`.`t` (`id` INT, `name` STRING)",
        "INSERT INTO `c`.`s`.`t` (id, name) VALUES (1, 'a'), (2, NULL), (3, 'c'), (4, 'd'), (5, 'e')",
    ):
        runner.execute(statement)


def test_polls_until_done_and_reads_every_chunk(sandbox: Sandbox) -> None:
    fill(sandbox)
    sleeps: list[float] = []
    runner = sandbox.runner(wait_timeout="0s", sleep=sleeps.append)  # answered PENDING: polled
    rows = runner.execute("SELECT id, name FROM `c`.`s`.`t` ORDER BY id")
    assert rows.columns == ("id", "name")
    assert rows.rows == (("1", "a"), ("2", None), ("3", "c"), ("4", "d"), ("5", "e"))  # 3 chunks of 2
    assert len(sleeps) >= 2 and sleeps == sorted(sleeps)  # backoff grows
    assert rows.dicts()[1] == {"id": "2", "name": None}


def test_a_slow_statement_is_polled_and_a_failed_one_gives_databricks_message(sandbox: Sandbox) -> None:
    fill(sandbox)
    sandbox.inject(match="FROM `c`.`s`.`t`", polls=3)
    assert len(sandbox.runner().execute("SELECT id FROM `c`.`s`.`t`")) == 5
    with pytest.raises(StatementFailed) as failed:
        sandbox.runner().execute("CREATE TABLE `c`.`s`.`t` (`id` INT)")
    assert failed.value.state == "FAILED"
    assert failed.value.message.startswith("[TABLE_OR_VIEW_ALREADY_EXISTS]")
    assert failed.value.statement_id


def test_a_statement_past_the_deadline_is_cancelled(sandbox: Sandbox) -> None:
    fill(sandbox)
    sandbox.inject(match="FROM `c`.`s`.`t`", polls=1000)
    clock = iter(range(100))
    runner = sandbox.runner(deadline_seconds=5, clock=lambda: float(next(clock)), sleep=lambda _: None)
    with pytest.raises(StatementFailed, match=r"still RUNNING after 5 s: cancelled") as failed:
        runner.execute("SELECT id FROM `c`.`s`.`t`")
    assert failed.value.state == "CANCELED"
    assert failed.value.statement_id is not None
    status = sandbox.client().statement_execution.get_statement(failed.value.statement_id).status
    assert status is not None and status.state is not None and status.state.value == "CANCELED"


def test_a_refused_request_is_a_statement_failure_with_its_code(sandbox: Sandbox) -> None:
    sandbox.inject(
        match="SELECT 1", http_status=403, error_code="PERMISSION_DENIED", message="no warehouse access"
    )
    with pytest.raises(StatementFailed) as failed:
        sandbox.runner().execute("SELECT 1")
    assert failed.value.state == "REJECTED"
    assert "PERMISSION_DENIED" in failed.value.message and "no warehouse access" in failed.value.message
