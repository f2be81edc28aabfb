"""`change type of T.c to varchar(30)` on a `varchar(20)` column: both are Databricks' STRING, but
the ERD's type is another, so the edit is applied to the ERD (it used to answer "nothing to change")."""

from __future__ import annotations

import pytest

from accelerator.edit import parse_commands
from accelerator.edit.column_edits import ChangeType

from .test_help_examples import FORMATS, ExampleSession


def _status_line(session: ExampleSession) -> str:
    return next(
        line for line in session.sources[session.file].splitlines() if " status" in line and "char" in line
    )


@pytest.mark.parametrize("kind", FORMATS)
def test_a_new_varchar_length_is_written_to_the_erd(kind: str) -> None:
    session = ExampleSession(kind)
    assert "varchar(20)" in _status_line(session)
    outcome = session.say("change type of sales.orders.status to varchar(30)")
    assert outcome.ok, outcome.message
    assert outcome.changed == {session.file}
    assert "varchar(30)" in _status_line(session) and "varchar(20)" not in _status_line(session)
    column = next(
        c for s in session.governed().project.catalogs[0].schemas for t in s.tables if t.name == "orders"
        for c in t.columns if c.name == "status"
    )  # fmt: skip
    assert (column.type, column.source_type) == ("STRING", "varchar(30)")


@pytest.mark.parametrize("kind", FORMATS)
def test_the_same_length_again_changes_nothing_and_says_what_it_is(kind: str) -> None:
    session = ExampleSession(kind)
    outcome = session.say("change type of sales.orders.status to VARCHAR( 20 )")
    assert not outcome.ok and "is already varchar(20)" in outcome.message


def test_the_reply_says_the_written_type_and_the_databricks_type() -> None:
    (command,) = parse_commands("change type of sales.orders.status to varchar(30)").commands
    assert isinstance(command, ChangeType)
    assert command.describe() == "change type of sales.orders.status → varchar(30) (STRING in Databricks)"
    (plain,) = parse_commands("change type of sales.orders.total_amount to decimal(14,2)").commands
    assert plain.describe() == "change type of sales.orders.total_amount → DECIMAL(14,2)"
