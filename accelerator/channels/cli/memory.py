"""`accelerator sessions` and `accelerator memory migrate|doctor|show|close|prune`: the memory from a terminal."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from accelerator.channels.cli.app import (
    ConfigOption,
    DatabaseUrlOption,
    FormatOption,
    OutputFormat,
    fail,
    new_app,
    out,
)
from accelerator.channels.cli.inputs import resolve_config
from accelerator.errors import AcceleratorError

if TYPE_CHECKING:
    from accelerator.memory import ConnectionSource, MemoryStore

DURATION = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
UNITS = {"d": "days", "h": "hours", "m": "minutes"}

commands = new_app()  # `sessions`
memory_app = new_app(help="The conversation memory (PostgreSQL / Lakebase).", no_args_is_help=True)


def memory_source(config_path: Path | None, database_url: str | None) -> tuple[ConnectionSource, Path]:
    """Where the memory is: --database-url, then accelerator.yaml's `memory:`, then DATABASE_URL and
    Lakebase variables, else the embedded PostgreSQL under <project>/.accelerator/pg."""
    from accelerator.memory import MemoryConfig, resolve_connection

    if database_url is not None and not database_url.strip():
        raise AcceleratorError(
            "--database-url is empty",
            hint="give a PostgreSQL URL (postgresql://user@host:5432/db), or leave the option out "
            "to use DATABASE_URL, accelerator.yaml's memory: or the embedded database",
        )
    project = resolve_config(config_path)
    root = project.root.resolve()
    config = project.memory_config(MemoryConfig)  # errors located in accelerator.yaml
    if not config.embedded_dir.is_absolute():
        config = config.model_copy(update={"embedded_dir": root / config.embedded_dir})
    return resolve_connection(config, url=database_url), root


@contextmanager
def open_store(
    config_path: Path | None, database_url: str | None, *, migrate: bool = True, check: bool = True
) -> Iterator[tuple[MemoryStore, ConnectionSource]]:
    """The memory, connected: an unreachable database is a one-line `DatabaseConfigError` within
    seconds (`check`; `memory doctor` reports it instead)."""
    from accelerator.memory import MemoryStore, open_pool
    from accelerator.memory.pool import check_connection

    source, _ = memory_source(config_path, database_url)
    if check:
        check_connection(source)
    pool = open_pool(source, min_size=1, max_size=4)
    try:
        store = MemoryStore(pool, source.schema)
        if migrate:
            store.migrate()
        yield store, source
    finally:
        pool.close()


def parse_age(text: str) -> timedelta:
    match = DURATION.match(text)
    if match is None:
        raise AcceleratorError(f"{text!r} is not a duration", hint="write e.g. 30d, 12h or 90m")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


def _json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@commands.command()
def sessions(
    config: ConfigOption = None,
    database_url: DatabaseUrlOption = None,
    format: FormatOption = OutputFormat.text,
) -> None:
    """List the conversation threads: id, channel, last update, message count."""
    try:
        with open_store(config, database_url) as (store, _):
            threads = store.list_conversations()
    except AcceleratorError as error:
        fail(error)
    rows = [
        {
            "thread_id": t.thread_id,
            "channel": t.channel,
            "status": t.status,
            "updated_at": t.updated_at.isoformat(),
            "messages": t.message_count,
        }
        for t in threads
    ]
    if format is OutputFormat.json:
        _json(rows)
        return
    table = Table(title=f"{len(rows)} session(s)")
    for column in ("thread_id", "channel", "status", "updated_at", "messages"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            *(str(row[key]) for key in ("thread_id", "channel", "status", "updated_at", "messages"))
        )
    out.print(table)


@memory_app.command()
def migrate(config: ConfigOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Create or upgrade the memory schema (safe to run from many processes)."""
    try:
        with open_store(config, database_url, migrate=False) as (store, source):
            version = store.migrate()
    except AcceleratorError as error:
        fail(error)
    out.print(f"memory schema {store.schema!r} at version {version} on {source.description}")


@memory_app.command()
def doctor(
    config: ConfigOption = None,
    database_url: DatabaseUrlOption = None,
    format: FormatOption = OutputFormat.text,
) -> None:
    """How the memory connects (auth mode, host, user, token expiry), whether it answers, its schema version."""
    from accelerator.memory import doctor as memory_doctor

    try:
        with open_store(config, database_url, migrate=False, check=False) as (store, source):
            report = memory_doctor(source, store)
    except AcceleratorError as error:
        fail(error)
    if format is OutputFormat.json:
        _json(report)
    else:
        for key, value in report.items():
            out.print(f"{key:>22}: {value}")
    raise typer.Exit(0 if report.get("reachable") else 1)


@memory_app.command()
def show(
    thread: Annotated[str, typer.Argument(help="the thread id (see `accelerator sessions`)")],
    config: ConfigOption = None,
    database_url: DatabaseUrlOption = None,
    format: FormatOption = OutputFormat.text,
) -> None:
    """Print a conversation's transcript, in order."""
    from accelerator.memory import transcript

    try:
        with open_store(config, database_url) as (store, _):
            messages = transcript(store, thread)
    except AcceleratorError as error:
        fail(error)
    if format is OutputFormat.json:
        _json(messages)
        return
    for message in messages:
        out.print(f"[bold]#{message['seq']} {message['role']}[/bold] ({message['created_at']})")
        out.print(message["body"], markup=False)
        out.print()


@memory_app.command()
def close(
    thread: Annotated[str, typer.Argument(help="the thread id (see `accelerator sessions`)")],
    config: ConfigOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Close a conversation (the bot does it when its PR closes): `prune` removes it once it has been
    closed long enough; a new turn in it reopens it."""
    try:
        with open_store(config, database_url) as (store, _):
            closed = store.close_conversation(thread)
    except AcceleratorError as error:
        fail(error)
    out.print(f"closed {thread}" if closed else f"{thread} was already closed", markup=False)


@memory_app.command()
def prune(
    closed_older_than: Annotated[str, typer.Option("--closed-older-than", help="e.g. 30d, 12h")] = "30d",
    config: ConfigOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Delete conversations closed longer ago than that, with their messages, files and checkpoints."""
    try:
        age = parse_age(closed_older_than)
        with open_store(config, database_url) as (store, _):
            removed = store.prune(age)
    except AcceleratorError as error:
        fail(error)
    out.print(f"pruned {removed} conversation(s) closed more than {closed_older_than} ago")
