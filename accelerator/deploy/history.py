"""The applied migrations and the apply lock, kept in the workspace: `<catalog>._accelerator`.

Like Flyway's `flyway_schema_history`, one row per migration and environment in
`<catalog>._accelerator.schema_history`:

| column            | meaning                                                                  |
|-------------------|--------------------------------------------------------------------------|
| `environment`     | the environment (one catalog may hold several environments' histories)  |
| `version`         | the migration's version (`V0003__...` -> 3)                              |
| `name`            | its file name                                                            |
| `checksum`        | SHA-256 of the file when it was applied (migrations.sum's hash)          |
| `applied_at`      | when it was started, then when it succeeded (UTC)                        |
| `applied_by`      | the Databricks user or service principal                                 |
| `duration_ms`     | time spent running its statements, over every attempt                    |
| `status`          | `running`, `failed` or `success`                                         |
| `statements_done` | how many of its statements have run (a failed one resumes at the next)   |
| `statements_total`| how many it has                                                          |
| `error`           | the last failure's message                                               |

`<catalog>._accelerator.schema_lock` holds at most one live row per environment (owner, token,
acquired_at, expires_at). Taking it: expired rows are deleted, the caller's row is inserted, and the
rows are read back: the lock is the caller's only when its row is the one live row (two callers
racing both see both rows and both withdraw). The holder extends `expires_at` while it runs, and
finds out if another caller took an expired lease from it. Every statement here is a plain
`CREATE ... IF NOT EXISTS`, `INSERT ... VALUES`, `SELECT ... WHERE`, `UPDATE` or `DELETE` with
literal values; times are written by the client, in UTC.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from accelerator.deploy.migrations import DeployRefused
from accelerator.deploy.runner import Rows, StatementFailed, StatementRunner, Value
from accelerator.model.sql_quoting import quote_identifier, quote_literal

HISTORY_SCHEMA = "_accelerator"
HISTORY_TABLE = "schema_history"
LOCK_TABLE = "schema_lock"
LEASE = timedelta(minutes=15)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def timestamp(moment: datetime) -> str:
    """A TIMESTAMP literal in UTC: `TIMESTAMP '2026-12-06 02:44:23.123+00:00'`."""
    utc = moment.astimezone(UTC)
    return f"TIMESTAMP '{utc.strftime('%Y-%m-%d %H:%M:%S')}.{utc.microsecond // 1000:03d}+00:00'"


def parse_timestamp(value: Value) -> datetime | None:
    """A TIMESTAMP as the API returns it (`2026-12-06T02:44:23.123Z`, or with a space, or an
    offset); a value without a zone is UTC."""
    if value is None or not value.strip():
        return None
    text = value.strip().replace(" ", "T", 1)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _int(value: Value) -> int:
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return 0


def missing_object(error: StatementFailed) -> bool:
    """True for Databricks' "does not exist" errors (a table, schema or catalog not found)."""
    text = error.message.upper()
    return any(
        mark in text
        for mark in (
            "NOT_FOUND",
            "NO_SUCH_CATALOG",
            "NO_SUCH_SCHEMA",
            "NO_SUCH_TABLE",
            "DOES NOT EXIST",
            "CANNOT BE FOUND",
        )
    )


@dataclass(frozen=True)
class HistoryRow:
    version: int
    name: str
    checksum: str
    applied_at: datetime | None
    applied_by: str
    duration_ms: int
    status: str
    statements_done: int
    statements_total: int
    error: str | None


class History:
    """The history and lock tables of one catalog, for one environment."""

    def __init__(self, runner: StatementRunner, catalog: str, environment: str) -> None:
        self.runner = runner
        self.catalog = catalog
        self.environment = environment
        self.table = quote_identifier((catalog, HISTORY_SCHEMA, HISTORY_TABLE))
        self.lock_table = quote_identifier((catalog, HISTORY_SCHEMA, LOCK_TABLE))
        self._env = quote_literal(environment)

    @property
    def shown(self) -> str:
        return f"{self.catalog}.{HISTORY_SCHEMA}.{HISTORY_TABLE}"

    def create(self) -> None:
        """The schema and both tables, when missing."""
        self.runner.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_identifier((self.catalog, HISTORY_SCHEMA))}")
        self.runner.execute(
            f"CREATE TABLE IF NOT EXISTS {self.table} (environment STRING NOT NULL, version INT NOT NULL, "
            "name STRING, checksum STRING, applied_at TIMESTAMP, applied_by STRING, duration_ms BIGINT, "
            "status STRING, statements_done INT, statements_total INT, error STRING) "
            "COMMENT 'Migrations applied by accelerator apply'"
        )
        self.runner.execute(
            f"CREATE TABLE IF NOT EXISTS {self.lock_table} (environment STRING NOT NULL, owner STRING, "
            "token STRING, acquired_at TIMESTAMP, expires_at TIMESTAMP) "
            "COMMENT 'Held while accelerator apply runs'"
        )

    def rows(self, *, missing_ok: bool = False) -> list[HistoryRow]:
        """The environment's rows by version; with `missing_ok`, [] when the table does not exist."""
        try:
            result = self.runner.execute(
                "SELECT version, name, checksum, applied_at, applied_by, duration_ms, status, "
                f"statements_done, statements_total, error FROM {self.table} "
                f"WHERE environment = {self._env} ORDER BY version"
            )
        except StatementFailed as error:
            if missing_ok and missing_object(error):
                return []
            raise
        return [
            HistoryRow(
                version=_int(row.get("version")),
                name=row.get("name") or "",
                checksum=row.get("checksum") or "",
                applied_at=parse_timestamp(row.get("applied_at")),
                applied_by=row.get("applied_by") or "",
                duration_ms=_int(row.get("duration_ms")),
                status=row.get("status") or "",
                statements_done=_int(row.get("statements_done")),
                statements_total=_int(row.get("statements_total")),
                error=row.get("error"),
            )
            for row in result
        ]

    def start(
        self, version: int, name: str, checksum: str, total: int, applied_by: str, at: datetime
    ) -> None:
        self.runner.execute(
            f"INSERT INTO {self.table} (environment, version, name, checksum, applied_at, applied_by, "
            "duration_ms, status, statements_done, statements_total, error) VALUES "
            f"({self._env}, {int(version)}, {quote_literal(name)}, {quote_literal(checksum)}, "
            f"{timestamp(at)}, {quote_literal(applied_by)}, 0, 'running', 0, {int(total)}, NULL)"
        )

    def progress(self, version: int, done: int) -> None:
        self.runner.execute(
            f"UPDATE {self.table} SET statements_done = {int(done)} "
            f"WHERE environment = {self._env} AND version = {int(version)}"
        )

    def finish(
        self,
        version: int,
        *,
        status: str,
        done: int,
        duration_ms: int,
        applied_by: str,
        at: datetime,
        error: str | None = None,
    ) -> None:
        self.runner.execute(
            f"UPDATE {self.table} SET status = {quote_literal(status)}, statements_done = {int(done)}, "
            f"duration_ms = {int(duration_ms)}, applied_at = {timestamp(at)}, "
            f"applied_by = {quote_literal(applied_by)}, "
            f"error = {quote_literal(error[:4000]) if error is not None else 'NULL'} "
            f"WHERE environment = {self._env} AND version = {int(version)}"
        )


@dataclass(frozen=True)
class LockRow:
    owner: str
    token: str
    acquired_at: datetime | None
    expires_at: datetime | None

    def live(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at > now


class LockHeld(DeployRefused):
    """Another apply of the environment holds the lock."""


class LockLost(DeployRefused):
    """The lease ran out and another apply took the lock over."""


class Lock:
    """The apply lock of one environment, a row of `<catalog>._accelerator.schema_lock`."""

    def __init__(
        self, history: History, owner: str, *, lease: timedelta = LEASE, clock: Clock = utc_now
    ) -> None:
        self.history = history
        self.owner = owner
        self.lease = lease
        self.clock = clock
        self.token = uuid.uuid4().hex
        self.held = False
        self._renewed: datetime | None = None
        self.taken_over: list[LockRow] = []  # expired locks removed when this one was taken

    def _rows(self) -> list[LockRow]:
        result: Rows = self.history.runner.execute(
            f"SELECT owner, token, acquired_at, expires_at FROM {self.history.lock_table} "
            f"WHERE environment = {self.history._env}"
        )
        return [
            LockRow(
                row.get("owner") or "",
                row.get("token") or "",
                parse_timestamp(row.get("acquired_at")),
                parse_timestamp(row.get("expires_at")),
            )
            for row in result
        ]

    def _delete(self, token: str) -> None:
        self.history.runner.execute(
            f"DELETE FROM {self.history.lock_table} "
            f"WHERE environment = {self.history._env} AND token = {quote_literal(token)}"
        )

    def acquire(self) -> None:
        """Take the lock, or raise LockHeld naming who holds it and until when."""
        now = self.clock()
        for row in self._rows():
            if row.live(now):
                raise self._held(row)
            self._delete(row.token)
            self.taken_over.append(row)
        expires = now + self.lease
        self.history.runner.execute(
            f"INSERT INTO {self.history.lock_table} (environment, owner, token, acquired_at, expires_at) "
            f"VALUES ({self.history._env}, {quote_literal(self.owner)}, {quote_literal(self.token)}, "
            f"{timestamp(now)}, {timestamp(expires)})"
        )
        others = [row for row in self._rows() if row.token != self.token and row.live(self.clock())]
        if others:  # another apply inserted its row at the same time: both withdraw
            self._delete(self.token)
            raise self._held(others[0], racing=True)
        self.held = True
        self._renewed = now

    def _held(self, row: LockRow, *, racing: bool = False) -> LockHeld:
        until = row.expires_at.strftime("%Y-%m-%d %H:%M:%S UTC") if row.expires_at else "unknown"
        since = row.acquired_at.strftime("%Y-%m-%d %H:%M:%S UTC") if row.acquired_at else "unknown"
        what = "was taking it at the same time" if racing else f"holds it since {since}, until {until}"
        return LockHeld(
            f"another apply of environment {self.history.environment} is running: {row.owner} {what} "
            f"({self.history.lock_table.replace('`', '')})",
            hint="wait for it to finish and apply again (--lock-wait SECONDS waits); a lock left by a "
            "killed run expires by itself at the time shown",
        )

    def renew(self, *, force: bool = False) -> None:
        """Extend the lease when a third of it has passed; LockLost if another apply took it."""
        if not self.held:
            return
        now = self.clock()
        if not force and self._renewed is not None and now - self._renewed < self.lease / 3:
            return
        self.history.runner.execute(
            f"UPDATE {self.history.lock_table} SET expires_at = {timestamp(now + self.lease)} "
            f"WHERE environment = {self.history._env} AND token = {quote_literal(self.token)}"
        )
        if not any(row.token == self.token for row in self._rows()):
            self.held = False
            raise LockLost(
                f"the apply lock of environment {self.history.environment} expired and was taken over "
                "by another apply",
                hint="the other apply continues from where this one stopped; check its output",
            )
        self._renewed = now

    def release(self) -> None:
        if self.held:
            self.held = False
            self._delete(self.token)
