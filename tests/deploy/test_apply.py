"""`apply` against a fake workspace: Flyway-like history, resume, tampering, the lock, bootstrap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accelerator.deploy.apply import Applier, ApplyResult
from accelerator.deploy.history import Lock, LockHeld, LockLost, timestamp
from accelerator.deploy.migrations import DeployRefused, LocalMigration, local_migrations
from accelerator.plan.migrations import file_hash, render_sum
from tests.deploy.fakes import FakeWorkspace

CATALOG = "dev_retail"
DIRECTORY = "generated/sql/dev"
V1 = (
    "-- V0001__initial.sql: environment dev\n"
    "-- AD103 safe  table added: retail.sales.orders\n\n"
    "CREATE TABLE `dev_retail`.`sales`.`orders` (`order_id` BIGINT NOT NULL);\n\n"
    "ALTER TABLE `dev_retail`.`sales`.`orders` SET TAGS ('domain' = 'sales');\n\n"
    "ALTER TABLE `dev_retail`.`sales`.`orders` OWNER TO `data_platform`;\n"
)
V2 = (
    "-- V0002__add_orders_channel.sql: environment dev\n\n"
    "ALTER TABLE `dev_retail`.`sales`.`orders` ADD COLUMNS (`channel` STRING COMMENT 'web; store');\n\n"
    "ALTER TABLE `dev_retail`.`sales`.`orders` ALTER COLUMN `channel` SET TAGS ('pii' = 'none');\n"
)
V1_BOOTSTRAP = (
    "-- V0001__initial.sql: environment dev\n\n"
    "CREATE CATALOG `dev_retail`;\n\n"
    "CREATE SCHEMA `dev_retail`.`sales`;\n\n"
    "CREATE TABLE `dev_retail`.`sales`.`orders` (`order_id` BIGINT NOT NULL);\n"
)
NAMES = {1: "V0001__initial.sql", 2: "V0002__add_orders_channel.sql", 3: "V0003__drop_orders.sql"}


def migrations(*texts: str) -> list[LocalMigration]:
    files = {NAMES[number]: text for number, text in enumerate(texts, start=1)}
    return local_migrations(DIRECTORY, files, render_sum([(n, file_hash(t)) for n, t in files.items()]))


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def applier(workspace: FakeWorkspace, lines: list[str] | None = None, **settings: object) -> Applier:
    echo = lines.append if lines is not None else lambda _: None
    return Applier(workspace, CATALOG, "dev", "ci@example.com", echo, **settings)  # type: ignore[arg-type]


@pytest.fixture
def workspace() -> FakeWorkspace:
    return FakeWorkspace(catalogs={CATALOG})


def test_first_apply_runs_every_statement_in_order_and_records_it(workspace: FakeWorkspace) -> None:
    result = applier(workspace).apply(migrations(V1))
    assert result == ApplyResult(applied=["V0001__initial.sql"], statements=3)
    assert workspace.migration_statements() == [
        "CREATE TABLE `dev_retail`.`sales`.`orders` (`order_id` BIGINT NOT NULL)",
        "ALTER TABLE `dev_retail`.`sales`.`orders` SET TAGS ('domain' = 'sales')",
        "ALTER TABLE `dev_retail`.`sales`.`orders` OWNER TO `data_platform`",
    ]
    [row] = workspace.history(CATALOG)
    assert row["version"] == "1" and row["name"] == "V0001__initial.sql"
    assert row["checksum"] == file_hash(V1)
    assert (row["status"], row["statements_done"], row["statements_total"]) == ("success", "3", "3")
    assert row["applied_by"] == "ci@example.com" and row["environment"] == "dev"
    assert workspace.tables[f"{CATALOG}._accelerator.schema_lock"] == []  # released


def test_apply_twice_is_a_no_op_then_a_second_migration_runs_alone(workspace: FakeWorkspace) -> None:
    applier(workspace).apply(migrations(V1))
    before = len(workspace.migration_statements())
    lines: list[str] = []
    again = applier(workspace, lines).apply(migrations(V1))
    assert again.applied == [] and again.skipped == ["V0001__initial.sql"] and again.exit_code == 0
    assert len(workspace.migration_statements()) == before
    assert "dev: nothing to apply (1 already applied)" in lines
    second = applier(workspace).apply(migrations(V1, V2))
    assert second.applied == ["V0002__add_orders_channel.sql"]
    assert workspace.migration_statements()[before:] == [
        "ALTER TABLE `dev_retail`.`sales`.`orders` ADD COLUMNS (`channel` STRING COMMENT 'web; store')",
        "ALTER TABLE `dev_retail`.`sales`.`orders` ALTER COLUMN `channel` SET TAGS ('pii' = 'none')",
    ]
    assert [r["status"] for r in workspace.history(CATALOG)] == ["success", "success"]


def test_a_failure_stops_at_the_statement_with_its_location_then_resumes_there(
    workspace: FakeWorkspace,
) -> None:
    message = "[DELTA_INVALID_CHARACTERS_IN_COLUMN_NAME] Found invalid character(s) among ' ,;{}()'."
    workspace.fail("SET TAGS ('domain'", message)
    lines: list[str] = []
    result = applier(workspace, lines).apply(migrations(V1, V2))
    assert result.exit_code == 1 and result.applied == []
    assert result.failed == f"{DIRECTORY}/V0001__initial.sql:6:1: {message}"
    assert f"{DIRECTORY}/V0001__initial.sql:6:1: error: {message}" in lines
    [row] = workspace.history(CATALOG)
    assert (row["status"], row["statements_done"]) == ("failed", "1")
    assert row["error"] == result.failed
    assert not any("ADD COLUMNS" in s for s in workspace.executed)  # stopped at the first failure
    assert workspace.tables[f"{CATALOG}._accelerator.schema_lock"] == []  # released on failure too

    ran = len(workspace.executed)
    lines.clear()
    resumed = applier(workspace, lines).apply(migrations(V1, V2))
    assert resumed.applied == ["V0001__initial.sql", "V0002__add_orders_channel.sql"]
    again = [s for s in workspace.executed[ran:] if "_accelerator" not in s and "information_schema" not in s]
    assert again[0].startswith("ALTER TABLE `dev_retail`.`sales`.`orders` SET TAGS")  # not CREATE again
    assert any(
        line.startswith(f"resuming {DIRECTORY}/V0001__initial.sql at statement 2 of 3") for line in lines
    )
    assert [(r["status"], r["statements_done"]) for r in workspace.history(CATALOG)] == [
        ("success", "3"),
        ("success", "2"),
    ]


def test_a_migration_changed_after_it_was_applied_is_refused(workspace: FakeWorkspace) -> None:
    applier(workspace).apply(migrations(V1))
    edited = V1.replace("'sales'", "'retail'")  # and migrations.sum rewritten to match: the sum passes
    with pytest.raises(DeployRefused) as refused:
        applier(workspace).apply(migrations(edited, V2))
    assert refused.value.message.startswith(
        f"{DIRECTORY}/V0001__initial.sql:1:1: the file differs from the one applied"
    )
    assert not any("ADD COLUMNS" in s for s in workspace.executed)
    assert workspace.tables[f"{CATALOG}._accelerator.schema_lock"] == []


def test_a_file_edited_against_migrations_sum_is_refused_before_anything_runs() -> None:
    files = {NAMES[1]: V1}
    sum_text = render_sum([(NAMES[1], file_hash(V1))])
    with pytest.raises(DeployRefused) as refused:
        local_migrations(DIRECTORY, {NAMES[1]: V1 + "DROP TABLE x;\n"}, sum_text)
    assert "V0001__initial.sql was edited after it was generated" in refused.value.format()
    assert f"{DIRECTORY}/V0001__initial.sql:1:1: error:" in refused.value.format()
    assert local_migrations(DIRECTORY, files, sum_text)[0].checksum == file_hash(V1)


def test_an_applied_version_without_its_file_or_an_older_new_one_is_refused(workspace: FakeWorkspace) -> None:
    applier(workspace).apply(migrations(V1, V2))
    with pytest.raises(DeployRefused, match=r"V0002__add_orders_channel\.sql is recorded in"):
        applier(workspace).apply(migrations(V1))
    other = FakeWorkspace(catalogs={CATALOG})
    files = {NAMES[1]: V1, NAMES[3]: V2.replace("V0002", "V0003")}
    applier(other).apply(
        local_migrations(DIRECTORY, files, render_sum([(n, file_hash(t)) for n, t in files.items()]))
    )
    with pytest.raises(DeployRefused, match="version 2 is older than V0003, already applied"):
        applier(other).apply(migrations(V1, V2, V2.replace("V0002", "V0003")))


def test_a_held_lock_refuses_with_its_owner_and_an_expired_one_is_taken_over(
    workspace: FakeWorkspace,
) -> None:
    clock = Clock()
    holder = applier(workspace, clock=clock, owner="alice (laptop, pid 7)")
    lock = Lock(holder.history(), "alice (laptop, pid 7)", clock=clock)
    holder.history().create()
    lock.acquire()
    with pytest.raises(LockHeld) as refused:
        applier(workspace, clock=clock).apply(migrations(V1))
    assert (
        "another apply of environment dev is running: alice (laptop, pid 7) holds it since 2026-12-06 03:00:00 UTC"
        in (refused.value.message)
    )
    assert workspace.migration_statements() == []

    clock.now += timedelta(minutes=16)  # the lease (15 minutes) ran out: alice's run was killed
    lines: list[str] = []
    result = applier(workspace, lines, clock=clock).apply(migrations(V1))
    assert result.applied == ["V0001__initial.sql"]
    assert "took over the expired lock of alice (laptop, pid 7)" in lines
    with pytest.raises(LockLost):
        lock.renew(force=True)  # alice's process, if it were alive, finds out


def test_two_applies_racing_for_the_lock_never_both_hold_it(workspace: FakeWorkspace) -> None:
    first = applier(workspace)
    first.history().create()
    table = f"{CATALOG}._accelerator.schema_lock"

    def other_inserts_too(sql: str) -> None:  # the other apply read no lock either, and inserts now
        if (
            sql.startswith("INSERT INTO `dev_retail`.`_accelerator`.`schema_lock`")
            and not workspace.tables[table]
        ):
            workspace.tables[table].append(
                {"environment": "dev", "owner": "bob", "token": "b0b", "acquired_at": None,
                 "expires_at": timestamp(datetime.now(UTC) + timedelta(minutes=15))[11:-1]}
            )  # fmt: skip

    workspace.before = other_inserts_too
    with pytest.raises(LockHeld, match="bob was taking it at the same time"):
        first.apply(migrations(V1))
    assert [row["token"] for row in workspace.tables[table]] == ["b0b"]  # the first withdrew its row
    assert workspace.migration_statements() == []


def test_a_second_apply_that_starts_while_the_first_runs_is_refused(workspace: FakeWorkspace) -> None:
    refusals: list[str] = []

    def second_apply(sql: str) -> None:
        if sql.startswith("ALTER TABLE `dev_retail`.`sales`.`orders` SET TAGS"):
            try:
                applier(workspace).apply(migrations(V1))
            except LockHeld as held:
                refusals.append(held.message)

    workspace.before = second_apply
    result = applier(workspace, owner="ci run 1").apply(migrations(V1))
    assert result.applied == ["V0001__initial.sql"]
    assert len(refusals) == 1 and "ci run 1 holds it" in refusals[0]
    assert (
        workspace.migration_statements().count(
            "ALTER TABLE `dev_retail`.`sales`.`orders` OWNER TO `data_platform`"
        )
        == 1
    )


def test_without_its_catalog_the_first_migration_creates_it_before_the_history() -> None:
    workspace = FakeWorkspace()
    lines: list[str] = []
    result = applier(workspace, lines).apply(migrations(V1_BOOTSTRAP))
    assert result.applied == ["V0001__initial.sql"]
    assert workspace.migration_statements().count("CREATE CATALOG `dev_retail`") == 1
    assert workspace.executed.index("CREATE CATALOG `dev_retail`") < min(
        i for i, s in enumerate(workspace.executed) if "_accelerator" in s
    )
    assert f"{DIRECTORY}/V0001__initial.sql:3:1: creating catalog dev_retail first, for the history" in lines
    [row] = workspace.history("dev_retail")
    assert (row["status"], row["statements_done"]) == ("success", "3")


def test_without_its_catalog_and_no_migration_creating_it_apply_refuses() -> None:
    with pytest.raises(
        DeployRefused, match="catalog dev_retail, which keeps the migration history, does not exist"
    ):
        applier(FakeWorkspace()).apply(migrations(V1))


def test_dry_run_prints_the_pending_statements_and_changes_nothing(workspace: FakeWorkspace) -> None:
    applier(workspace).apply(migrations(V1))
    executed = len(workspace.executed)
    lines: list[str] = []
    result = applier(workspace, lines).dry_run(migrations(V1, V2))
    assert result.pending == ["V0002__add_orders_channel.sql"] and result.statements == 2
    assert lines == [
        f"would apply {DIRECTORY}/V0002__add_orders_channel.sql:",
        f"  {DIRECTORY}/V0002__add_orders_channel.sql:3:1: ALTER TABLE `dev_retail`.`sales`.`orders` "
        "ADD COLUMNS (`channel` STRING COMMENT 'web; store')",
        f"  {DIRECTORY}/V0002__add_orders_channel.sql:5:1: ALTER TABLE `dev_retail`.`sales`.`orders` "
        "ALTER COLUMN `channel` SET TAGS ('pii' = 'none')",
    ]
    assert all(s.startswith("SELECT") for s in workspace.executed[executed:])
    fresh = FakeWorkspace()
    assert applier(fresh).dry_run(migrations(V1_BOOTSTRAP)).statements == 3  # no catalog yet: all pending
    assert all(s.startswith("SELECT") for s in fresh.executed)
