"""`apply`: the pending migrations of one environment, statement by statement, recorded like Flyway.

Order of work (`apply_migrations`):

1. The history's catalog (`history_catalog`: the first catalog of the model the environment's
   migrations lead to, by its physical name there). When it does not exist yet (Terraform disabled:
   the first migration creates the catalogs), the first migration's `CREATE CATALOG` of it runs
   first, so that the history and the lock have a home; inside the migration that statement is then
   counted as done.
2. `<catalog>._accelerator.schema_history` and `schema_lock` are created when missing; the lock is
   taken (or the apply refuses, naming who holds it; an expired lock is taken over).
3. The history is checked against the files: a migration applied with another checksum, an applied
   version whose file is gone, or a new migration older than the newest applied one refuses.
4. Each migration not applied runs, statement by statement; its row records the statements done
   after each one, so that a failed (or killed) migration resumes at the statement that failed. The
   first failure stops everything with Databricks' message and the statement's file:line:col.

`dry_run` reads the history when it exists (no table created, no lock) and prints what would run.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from accelerator.deploy.history import LEASE, Clock, History, HistoryRow, Lock, LockHeld, utc_now
from accelerator.deploy.migrations import DeployRefused, LocalMigration, Statement
from accelerator.deploy.runner import StatementFailed, StatementRunner, heartbeat
from accelerator.model.elements import Project
from accelerator.model.sql_quoting import quote_identifier

Echo = Callable[[str], None]


def history_catalog(project: Project, environment: str) -> str:
    """The physical name, in `environment`, of the model's first catalog: where its history is."""
    env = project.environment(environment)
    if env is None:
        known = ", ".join(e.name for e in project.environments) or "none"
        raise DeployRefused(
            f"environment {environment!r} is not in the model (known: {known})",
            hint="choose one of the policy's environments, and run `accelerator generate`",
        )
    if not project.catalogs:
        raise DeployRefused(
            "the model has no catalog to keep the migration history in",
            hint="declare at least one table in the ERD and run `accelerator generate`",
        )
    return env.catalog_name(project.catalogs[0])


@dataclass
class ApplyResult:
    applied: list[str] = field(default_factory=list)  # migrations finished by this run
    skipped: list[str] = field(default_factory=list)  # already applied
    pending: list[str] = field(default_factory=list)  # what a dry run would run
    failed: str | None = None  # `file:line:col: message` of the statement that failed
    statements: int = 0  # statements run (or that would run)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


def _creates_catalog(statement: Statement, catalog: str) -> bool:
    pattern = (
        r"CREATE\s+CATALOG\s+(?:IF\s+NOT\s+EXISTS\s+)?" + re.escape(quote_identifier(catalog)) + r"(?:\s|$)"
    )
    return re.match(pattern, statement.text, flags=re.IGNORECASE) is not None


def _catalog_exists(runner: StatementRunner, catalog: str) -> bool:
    try:
        runner.execute(
            f"SELECT schema_name FROM {quote_identifier((catalog, 'information_schema', 'schemata'))}"
        )
    except StatementFailed:
        return False
    return True


def check_history(rows: Sequence[HistoryRow], migrations: Sequence[LocalMigration], shown: str) -> None:
    """Refuse when the history does not match the files (DeployRefused, exit 2)."""
    local = {migration.version: migration for migration in migrations}
    for row in rows:
        migration = local.get(row.version)
        if migration is None:
            raise DeployRefused(
                f"{row.name or f'version {row.version}'} is recorded in {shown} ({row.status}) but its "
                "file is not among the migrations",
                hint="restore the file from git: an applied migration is never removed",
            )
        if row.checksum != migration.checksum:
            raise DeployRefused(
                f"{migration.file}:1:1: the file differs from the one applied ({row.status} on "
                f"{row.applied_at:%Y-%m-%d %H:%M} UTC by {row.applied_by}): checksum "
                f"{migration.checksum[:12]}... here, {row.checksum[:12]}... applied"
                if row.applied_at
                else f"{migration.file}:1:1: the file differs from the one recorded in {shown}",
                hint="an applied migration is immutable: restore it from git; a change goes into a new "
                "migration (`accelerator generate`)",
            )
    newest = max((row.version for row in rows if row.status == "success"), default=0)
    recorded = {row.version for row in rows}
    late = [m for m in migrations if m.version < newest and m.version not in recorded]
    if late:
        raise DeployRefused(
            f"{late[0].file}: version {late[0].version} is older than V{newest:04d}, already applied",
            hint="migrations apply in order: regenerate on top of the applied history (`accelerator "
            "generate` renumbers it after the last one)",
        )


@dataclass
class Applier:
    runner: StatementRunner
    catalog: str  # the history's
    environment: str
    applied_by: str  # recorded in the history
    echo: Echo
    owner: str | None = None  # shown to another apply the lock refuses (default: applied_by)
    clock: Clock = utc_now
    lease: timedelta = LEASE
    lock_wait: float = 0.0  # seconds to wait for a held lock
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic

    def history(self) -> History:
        return History(self.runner, self.catalog, self.environment)

    def dry_run(self, migrations: Sequence[LocalMigration]) -> ApplyResult:
        history = self.history()
        rows = history.rows(missing_ok=True) if _catalog_exists(self.runner, self.catalog) else []
        check_history(rows, migrations, history.shown)
        by_version = {row.version: row for row in rows}
        result = ApplyResult()
        for migration in migrations:
            row = by_version.get(migration.version)
            if row is not None and row.status == "success":
                result.skipped.append(migration.name)
                continue
            start = row.statements_done if row is not None else 0
            note = f" (resumes at statement {start + 1}, {row.status})" if row is not None else ""
            self.echo(f"would apply {migration.file}{note}:")
            for statement in migration.statements[start:]:
                self.echo(f"  {migration.location(statement)}: {_one_line(statement.text)}")
                result.statements += 1
            result.pending.append(migration.name)
        if not result.pending:
            self.echo(f"{self.environment}: nothing to apply ({len(result.skipped)} applied)")
        return result

    def apply(self, migrations: Sequence[LocalMigration]) -> ApplyResult:
        history = self.history()
        bootstrapped = self._bootstrap(migrations)
        history.create()
        lock = Lock(history, self.owner or self.applied_by, lease=self.lease, clock=self.clock)
        self._acquire(lock)
        # a statement may run longer than the lease (the runner's deadline is an hour): the lock is
        # renewed between its polls too, so that no other apply takes it over while it runs
        with heartbeat(self.runner, lock.renew):
            return self._apply_locked(history, lock, migrations, bootstrapped)

    def _apply_locked(
        self, history: History, lock: Lock, migrations: Sequence[LocalMigration], bootstrapped: bool
    ) -> ApplyResult:
        try:
            for expired in lock.taken_over:
                self.echo(f"took over the expired lock of {expired.owner}")
            rows = history.rows()
            check_history(rows, migrations, history.shown)
            by_version = {row.version: row for row in rows}
            result = ApplyResult()
            for migration in migrations:
                row = by_version.get(migration.version)
                if row is not None and row.status == "success":
                    result.skipped.append(migration.name)
                    continue
                skip_create = bootstrapped and migration is migrations[0]
                if not self._run(history, lock, migration, row, skip_create, result):
                    return result
                result.applied.append(migration.name)
            if not result.applied:
                self.echo(f"{self.environment}: nothing to apply ({len(result.skipped)} already applied)")
            return result
        finally:
            lock.release()

    def _acquire(self, lock: Lock) -> None:
        deadline = self.monotonic() + self.lock_wait
        while True:
            try:
                lock.acquire()
                return
            except LockHeld:
                if self.monotonic() >= deadline:
                    raise
                # jittered, so that two applies that withdrew together do not meet again
                self.sleep(min(random.uniform(0.5, 3.0), max(0.0, deadline - self.monotonic())))

    def _bootstrap(self, migrations: Sequence[LocalMigration]) -> bool:
        """Create the history's catalog with the first migration's own statement when it is missing;
        True when that statement is to be counted as done."""
        if _catalog_exists(self.runner, self.catalog):
            return any(_creates_catalog(s, self.catalog) for m in migrations[:1] for s in m.statements)
        creating = [(m, s) for m in migrations[:1] for s in m.statements if _creates_catalog(s, self.catalog)]
        if not creating:
            raise DeployRefused(
                f"catalog {self.catalog}, which keeps the migration history, does not exist "
                "(or this principal cannot see it) and no pending migration creates it",
                hint="apply Terraform first (it creates the catalogs; `accelerator apply` runs it unless "
                "--no-terraform), or grant USE CATALOG on it",
            )
        migration, statement = creating[0]
        self.echo(f"{migration.location(statement)}: creating catalog {self.catalog} first, for the history")
        try:
            self.runner.execute(statement.text)
        except StatementFailed as error:
            if not _catalog_exists(self.runner, self.catalog):  # another apply may have just made it
                raise DeployRefused(
                    f"{migration.location(statement)}: cannot create catalog {self.catalog}: {error.message}"
                ) from None
        return True

    def _run(
        self,
        history: History,
        lock: Lock,
        migration: LocalMigration,
        row: HistoryRow | None,
        skip_create: bool,
        result: ApplyResult,
    ) -> bool:
        total = len(migration.statements)
        start = 0
        spent = 0
        if row is None:
            history.start(
                migration.version, migration.name, migration.checksum, total, self.applied_by, self.clock()
            )
            self.echo(f"applying {migration.file} ({total} statements)")
        else:
            start, spent = row.statements_done, row.duration_ms
            self.echo(
                f"resuming {migration.file} at statement {start + 1} of {total} (it {row.status} before"
                + (f": {_one_line(row.error)[:200]})" if row.error else ")")
            )
        began = self.monotonic()
        for statement in migration.statements[start:]:
            if skip_create and _creates_catalog(statement, self.catalog):
                self.echo(f"  {migration.location(statement)}: catalog {self.catalog} exists (the history's)")
            else:
                try:
                    self.runner.execute(statement.text)
                except StatementFailed as error:
                    where = migration.location(statement)
                    elapsed = spent + int((self.monotonic() - began) * 1000)
                    history.finish(
                        migration.version,
                        status="failed",
                        done=statement.index,
                        duration_ms=elapsed,
                        applied_by=self.applied_by,
                        at=self.clock(),
                        error=f"{where}: {error.message}",
                    )
                    result.failed = f"{where}: {error.message}"
                    self.echo(f"{where}: error: {error.message}")
                    self.echo(f"  statement: {_one_line(statement.text)[:300]}")
                    self.echo(
                        f"  {migration.name} stopped at statement {statement.index + 1} of {total}; fix the "
                        "cause in the workspace and apply again: it resumes at this statement"
                    )
                    return False
                result.statements += 1
            history.progress(migration.version, statement.index + 1)
            lock.renew()
        elapsed = spent + int((self.monotonic() - began) * 1000)
        history.finish(
            migration.version,
            status="success",
            done=total,
            duration_ms=elapsed,
            applied_by=self.applied_by,
            at=self.clock(),
        )
        self.echo(f"applied {migration.name} in {elapsed} ms")
        return True


def _one_line(text: str) -> str:
    return " ".join(text.split())
