"""`accelerator serve`: the PR bot as a GitHub App webhook server (intake + workers, one process);
`accelerator bot`: one GitHub Actions event, run in its conversation's order."""

from __future__ import annotations

import logging
import socket
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from accelerator.channels.cli.app import EXIT_USAGE, DatabaseUrlOption, err, fail, new_app, out
from accelerator.errors import AcceleratorError

commands = new_app()  # `serve`, `bot`


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before serving so that port 0 gives a known URL."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # accepted connections inherit it (asyncio sets it only on sockets made with IPPROTO_TCP): an
    # answer's body no longer waits ~40 ms for the sender's delayed ACK of its head
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(512)
    return sock


@commands.command("serve")
def serve(
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="port (0: any free port)", min=0, max=65535)] = 8080,
    workers: Annotated[
        int, typer.Option("--workers", help="worker threads running turns", min=1, max=64)
    ] = 4,
    database_url: DatabaseUrlOption = None,
    stalled_after: Annotated[
        int,
        typer.Option("--stalled-after", help="seconds after which a running delivery counts as dead", min=5),
    ] = 600,
    pull: Annotated[
        bool,
        typer.Option(
            "--pull",
            help="no inbound webhooks: read the GitHub App's recorded deliveries (GET /app/hook/deliveries)",
        ),
    ] = False,
    interval: Annotated[
        str, typer.Option("--interval", help="with --pull: time between two reads (30s, 5m, 500ms)")
    ] = "30s",
) -> None:
    """Serve POST /webhook (GitHub App deliveries), GET /healthz and GET /metrics; run the turns.

    With --pull, no POST /webhook: the server reads the App's deliveries every --interval (where GitHub
    cannot reach it); without, it still reads them at start and every 5 minutes, to catch the ones it
    missed (GitHub never retries a failed delivery, and keeps them 3 days).

    Environment: GITHUB_WEBHOOK_SECRET (required without --pull); GITHUB_APP_ID and
    GITHUB_APP_PRIVATE_KEY or GITHUB_APP_PRIVATE_KEY_PATH (a GitHub App: installation tokens; --pull
    needs it), or GITHUB_TOKEN; GITHUB_API_URL (default https://api.github.com), GITHUB_BOT_LOGIN
    (default: the App's `<slug>[bot]`, or asked from the API), ACCELERATOR_WRITE_SPACING (seconds
    between writes, default 1), and the memory's settings as `chat` reads them."""
    import uvicorn

    from accelerator.channels.cli.memory import memory_source
    from accelerator.channels.github.client import app_tokens, github_client
    from accelerator.channels.github.intake import Metrics, create_app
    from accelerator.channels.github.pipeline import PullRequestBot
    from accelerator.channels.github.pull import PUSH_SWEEP_INTERVAL, DeliveryPuller, parse_interval
    from accelerator.channels.github.settings import BotSettings
    from accelerator.channels.github.workers import Workers
    from accelerator.memory import MemoryStore, open_pool
    from accelerator.memory.pool import check_connection

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        seconds = parse_interval(interval)
    except ValueError as failure:
        err.print(f"--interval: {failure}", markup=False)
        raise typer.Exit(EXIT_USAGE) from None
    try:
        settings = BotSettings.from_env(require_secret=not pull)
        if pull and not settings.uses_app:
            raise AcceleratorError(
                "--pull reads the GitHub App's deliveries, which only the App itself may read: "
                "GITHUB_APP_ID is not set",
                hint="set GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY (or GITHUB_APP_PRIVATE_KEY_PATH)",
            )
        source, _ = memory_source(None, database_url)
        check_connection(source)
        # a turn holds its thread's lock on one connection and its transaction on another
        pool = open_pool(source, min_size=1, max_size=2 * workers + 4)
    except AcceleratorError as error:
        fail(error)
    try:
        store = MemoryStore(pool, source.schema)
        store.migrate()
        bot = PullRequestBot(pool, settings, github_client(settings), schema=source.schema)
        try:
            login = bot.identity.login
        except Exception as failure:
            err.print(f"cannot ask {settings.api_url} who the bot is: {failure}", markup=False)
            raise typer.Exit(EXIT_USAGE) from failure
        metrics = Metrics()
        runner = Workers(
            store, bot.handle, count=workers, stalled_after=timedelta(seconds=stalled_after), metrics=metrics
        )
        tokens = app_tokens(settings)
        puller = None
        if tokens is not None:
            puller = DeliveryPuller(
                tokens.app_client(),
                store,
                bot.ignored,
                metrics=metrics,
                wake=runner.wake,
                failed_only=not pull,
            )
        secret = None if pull else settings.webhook_secret
        app = create_app(store, secret, bot.ignored, metrics=metrics, wake=runner.wake)
        try:
            sock = bind(host, port)
        except OSError as failure:
            err.print(f"cannot listen on {host}:{port}: {failure.strerror}", markup=False)
            raise typer.Exit(EXIT_USAGE) from failure
        shown = f"[{host}]" if ":" in host else host
        where = f"http://{shown}:{sock.getsockname()[1]}"
        if pull:
            out.print(
                f"serving: {where}/healthz as {login}, reading deliveries every {interval}", markup=False
            )
        else:
            out.print(f"serving: {where}/webhook as {login}", markup=False)
        runner.start()
        if puller is not None:
            puller.start(seconds if pull else PUSH_SWEEP_INTERVAL)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        try:
            server.run(sockets=[sock])
        finally:
            if puller is not None:
                puller.stop()
            runner.stop()
    finally:
        pool.close()


ACTIONS_WAIT_SECONDS = 15 * 60  # under the reusable workflow's 20-minute job timeout


@commands.command("bot")
def bot_command(
    event_name: Annotated[str, typer.Option("--event-name", help="the event ($GITHUB_EVENT_NAME)")],
    event_path: Annotated[
        Path,
        typer.Option(
            "--event-path", help="the event's payload ($GITHUB_EVENT_PATH)", exists=True, dir_okay=False
        ),
    ],
    database_url: DatabaseUrlOption = None,
) -> None:
    """Run one GitHub Actions event as a turn of its pull request's conversation (Actions mode).

    The delivery id is `actions-<GITHUB_RUN_ID>-<GITHUB_RUN_ATTEMPT>`; the event is queued in its
    conversation and the conversation's queue is run in order, so a job never overtakes an earlier
    one. Environment: GITHUB_TOKEN, GITHUB_API_URL, GITHUB_BOT_LOGIN (github-actions[bot] by
    default) and the memory's settings. Exit 0 when every turn ran, 1 when one failed."""
    import json
    import os

    from accelerator.channels.cli.memory import memory_source
    from accelerator.channels.github.client import github_client
    from accelerator.channels.github.events import Event
    from accelerator.channels.github.intake import record
    from accelerator.channels.github.pipeline import PullRequestBot
    from accelerator.channels.github.settings import BotSettings
    from accelerator.channels.github.workers import Workers
    from accelerator.memory import MemoryStore, open_pool
    from accelerator.memory.pool import check_connection

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = BotSettings.from_env(require_secret=False)
        if settings.bot_login is None:
            settings = replace(settings, bot_login="github-actions[bot]")
        if event_path.stat().st_size > 25 * 1024 * 1024:
            raise AcceleratorError(f"{event_path} is over 25 MB: not a GitHub event payload")
        try:
            payload = json.loads(event_path.read_text(encoding="utf-8"))
        except ValueError as failure:
            raise AcceleratorError(f"{event_path} is not JSON: {failure}") from None
        if not isinstance(payload, dict):
            raise AcceleratorError(f"{event_path} does not hold a JSON object")
        run_id, attempt = os.environ.get("GITHUB_RUN_ID", ""), os.environ.get("GITHUB_RUN_ATTEMPT", "1")
        if not run_id.isdigit() or not attempt.isdigit():
            raise AcceleratorError(
                "GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT must be set (GitHub Actions sets both)",
                hint="run `accelerator bot` inside a GitHub Actions job",
            )
        source, _ = memory_source(None, database_url)
        check_connection(source)
        pool = open_pool(source, min_size=1, max_size=4)
    except AcceleratorError as error:
        fail(error)
    try:
        store = MemoryStore(pool, source.schema)
        store.migrate()
        bot = PullRequestBot(pool, settings, github_client(settings), schema=source.schema)
        event = Event(event_name, f"actions-{run_id}-{attempt}", payload)
        reason = bot.ignored(event)
        if reason is not None:
            out.print(f"nothing to do: {reason}", markup=False)
            return
        record(store, event)
        thread = event.thread_id
        assert thread is not None
        runner = Workers(store, bot.handle, count=1)
        ran: list[str] = []
        deadline = time.monotonic() + ACTIONS_WAIT_SECONDS
        while True:  # run the PR's queue; while another job holds it, wait for this event's turn
            while (delivery := store.claim_next_delivery(thread)) is not None:
                runner.process(delivery)
                ran.append(delivery.id)
            if store.delivery_status(event.delivery) in ("done", "failed") or time.monotonic() > deadline:
                break
            time.sleep(1.0)
        # this event's outcome is this job's, whichever job ran it
        failed = [d for d in dict.fromkeys([*ran, event.delivery]) if store.delivery_status(d) != "done"]
        out.print(f"{thread}: {len(set(ran))} delivery(ies) run, {len(failed)} failed", markup=False)
        if failed:
            raise typer.Exit(1)
    finally:
        pool.close()
