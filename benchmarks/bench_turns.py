"""Benchmark of a warm conversation turn on a synthetic model (default: 200 tables x 10 columns, DBML).

    .venv/bin/python benchmarks/bench_turns.py [--tables 200] [--columns 10] [--turns 30]
        [--database-url URL] [--terraform] [--edit rename|add] [--statements]

A warm turn is what `accelerator chat` does per line once the session is open: interpret the
command, patch the ERD, govern, render SQL (every environment) and docs, checkpoint, and write the
messages and changed files, in one transaction. Each turn renames (or, `--edit add`, adds) a
different column, so every turn re-governs new sources (no hit in the per-sources cache; the
per-block and per-table caches hit).
Prints p50/p95/max of wall-clock and of CPU time (time.process_time: this process, so the
database's own work is not in it), database statements per turn (counted by wrapping psycopg's cursor;
PostgresSaver pipelines its own), and checkpoint bytes per turn. Terraform synthesis is timed
separately (`--terraform`): the chat loop leaves it off by default.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.synthetic import dbml  # noqa: E402

POLICY = (ROOT / "examples/retail/policies/governance.yaml").read_text()
CHECKPOINT_BYTES_SQL = """
SELECT coalesce((SELECT sum(octet_length(blob)) FROM accelerator.checkpoint_blobs), 0)
     + coalesce((SELECT sum(pg_column_size(checkpoint) + pg_column_size(metadata)) FROM accelerator.checkpoints), 0)
     + coalesce((SELECT sum(octet_length(blob)) FROM accelerator.checkpoint_writes), 0) AS bytes"""
FILE_BYTES_SQL = "SELECT coalesce(sum(octet_length(content)), 0) AS bytes FROM accelerator.files"


class StatementCounter:
    """Counts statements sent through psycopg cursors (Connection.execute goes through one too)."""

    def __init__(self) -> None:
        self.count = 0
        self.log: list[str] | None = None  # when a list: each statement's first words
        self._originals: dict[str, Any] = {}

    def install(self) -> None:
        for name in ("execute", "executemany"):
            original = getattr(psycopg.Cursor, name)
            self._originals[name] = original

            def counted(cursor: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
                self.count += 1
                if self.log is not None and args:
                    query = args[0]
                    text = query if isinstance(query, str) else query.as_string(cursor.connection)
                    self.log.append(" ".join(text.split())[:100])
                return _original(cursor, *args, **kwargs)

            setattr(psycopg.Cursor, name, counted)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def breakdown(session: Any, tables: int, repeats: int = 5) -> None:
    """Where a warm turn's time goes outside the database: each stage as a turn runs it (collector
    paused, governance taking over the verifying re-parse), median of `repeats` runs. Each run has a
    fresh DerivedCache, which takes the previous migrations from the session's (in this process, as
    a warm turn does, not from the memory); the per-text and per-table caches hit as they do in a
    turn. Unlike a turn, it keys the previous model's tables again (about 2 ms at 200 tables)."""
    from accelerator.agent.derived import DerivedCache, Inputs
    from accelerator.edit.patch import patch_sources
    from accelerator.edit.table_edits import RenameColumn
    from accelerator.erd import ParsedErd
    from accelerator.gcpause import collection_paused

    state = session.state()
    inputs = Inputs.of(state)
    governed = DerivedCache().governed(inputs, state["sources"])
    figures: dict[str, list[float]] = {
        "patch+verify": [],
        "build+govern": [],
        "render SQL x3 + docs + model.json": [],
    }
    for repeat in range(repeats):
        op = RenameColumn(
            table=f"s{(tables - 1) % 10}.t{tables - 1}", column="col_3", new_name=f"col_3_{repeat}"
        )
        parsed: dict[str, ParsedErd] = {}
        cache = DerivedCache(loader=lambda files: session.derived.ledger(tuple(sorted(files.items()))))
        with collection_paused():
            started = time.perf_counter()
            patched = patch_sources(
                op, governed.project, state["sources"], policy_file=inputs.policy_file,
                erd_model=governed.model, parsed=parsed,
            )  # fmt: skip
            figures["patch+verify"].append(time.perf_counter() - started)
            sources = {**state["sources"], **patched}
            started = time.perf_counter()
            cache.governed(inputs, sources, parsed)
            figures["build+govern"].append(time.perf_counter() - started)
            started = time.perf_counter()
            cache.generation(inputs, sources, terraform=False, backend=None)
            figures["render SQL x3 + docs + model.json"].append(time.perf_counter() - started)
    print(
        "stages of one edit (median): "
        + ", ".join(f"{name} {statistics.median(values) * 1000:.0f} ms" for name, values in figures.items())
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tables", type=int, default=200)
    parser.add_argument("--columns", type=int, default=10)
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--terraform", action="store_true", help="also time Terraform synthesis once")
    parser.add_argument(
        "--edit", choices=["rename", "add"], default="rename",
        help="each turn renames a column (no line moves) or adds one (the tables below move a line)",
    )  # fmt: skip
    parser.add_argument("--statements", action="store_true", help="list the statements of the last turn")
    args = parser.parse_args()

    from accelerator.agent.session import ConversationSession
    from accelerator.agent.state import ConversationState
    from accelerator.memory import MemoryStore, open_pool, resolve_connection

    name = f"bench_turns_{secrets.token_hex(4)}"
    with psycopg.connect(args.database_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = psycopg.conninfo.make_conninfo(args.database_url, dbname=name)
    pool = open_pool(resolve_connection(url=url, env={}), min_size=2, max_size=4)
    try:
        MemoryStore(pool).migrate()
        erd = dbml(args.tables, args.columns)
        sources = {"erd/model.dbml": erd, "policies/governance.yaml": POLICY}
        spec = {
            "file": "erd/model.dbml",
            "catalog": "bench",
            "format": "dbml",
            "dialect": "postgres",
            "default_schema": "default",
        }
        initial = ConversationState(
            thread_id="bench", project="bench", erds=[spec],  # type: ignore[list-item]
            policy_file="policies/governance.yaml", environments=["dev", "staging", "prod"], sources=sources,
        )  # fmt: skip
        session = ConversationSession(pool, "bench")
        session.open()
        started = time.perf_counter()
        with session.lock():
            session.start(initial)
        opening = time.perf_counter() - started

        counter = StatementCounter()
        counter.install()
        durations: list[float] = []
        cpu: list[float] = []
        statements: list[int] = []
        checkpoint_bytes: list[int] = []
        file_bytes: list[int] = []
        with psycopg.connect(url, autocommit=True) as probe:

            def measure(query: str) -> int:
                row = probe.execute(query).fetchone()
                return int(row[0]) if row else 0

            for turn in range(args.turns):
                table = 1 + turn % (args.tables - 1)
                text = (
                    f"rename column s{table % 10}.t{table}.col_2 to col_2_r{turn}"
                    if args.edit == "rename"
                    else f"add column s{table % 10}.t{table}.extra_{turn} STRING"
                )
                before_cp, before_files, before_count = (
                    measure(CHECKPOINT_BYTES_SQL),
                    measure(FILE_BYTES_SQL),
                    counter.count,
                )
                if args.statements and turn == args.turns - 1:
                    counter.log = []
                started, started_cpu = time.perf_counter(), time.process_time()
                with session.lock():
                    result = session.turn({"event": f"bench:{turn}", "text": text})
                durations.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
                log, counter.log = counter.log, None
                assert result.state["outcome"] == "applied", result.reply
                statements.append(counter.count - before_count)
                checkpoint_bytes.append(measure(CHECKPOINT_BYTES_SQL) - before_cp)
                file_bytes.append(measure(FILE_BYTES_SQL) - before_files)

        ms = [d * 1000 for d in durations]
        print(f"model: {args.tables} tables x {args.columns} columns, ERD {len(erd):,} bytes (DBML)")
        print(f"opening (parse, govern, render, record every file): {opening * 1000:.0f} ms")
        print(
            f"warm turn over {args.turns} turns: p50 {percentile(ms, 0.5):.0f} ms, p95 {percentile(ms, 0.95):.0f} ms, "
            f"max {max(ms):.0f} ms (targets: p50 <= 100 ms, p95 <= 250 ms)"
        )
        cpu_ms = [c * 1000 for c in cpu]
        print(
            f"warm turn CPU time (this process): p50 {percentile(cpu_ms, 0.5):.1f} ms, "
            f"p95 {percentile(cpu_ms, 0.95):.1f} ms"
        )
        print(
            f"database statements per turn (incl. the advisory lock): median {statistics.median(statements):.0f}"
        )
        for line in log or []:
            print(f"  {line}")
        print(f"checkpoint bytes per turn: median {statistics.median(checkpoint_bytes):,.0f}")
        print(
            f"file bytes recorded per turn (ERD + changed generated files): median {statistics.median(file_bytes):,.0f}"
        )

        breakdown(session, args.tables)
        if args.terraform:
            from accelerator.agent.derived import Inputs
            from accelerator.errors import AcceleratorError

            state = session.state()
            assert state is not None
            started = time.perf_counter()
            try:
                session.derived.generation(Inputs.of(state), state["sources"], terraform=True, backend=None)
                print(
                    f"Terraform synthesis (3 environments, outside the warm turn): {time.perf_counter() - started:.1f} s"
                )
            except AcceleratorError as error:
                print(f"Terraform synthesis unavailable: {error.message}")
    finally:
        pool.close()
        with psycopg.connect(args.database_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


if __name__ == "__main__":
    main()
