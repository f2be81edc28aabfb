"""`accelerator serve`: the PR bot as a GitHub App webhook server (intake + workers, one process)."""

from __future__ import annotations

import logging
import socket
from datetime import timedelta
from typing import Annotated

import typer

from accelerator.channels.cli.app import EXIT_USAGE, DatabaseUrlOption, err, fail, new_app, out
from accelerator.errors import AcceleratorError

commands = new_app()  # `serve`


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before serving so that port 0 gives a known URL."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
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
) -> None:
    """Serve POST /webhook (GitHub App deliveries), GET /healthz and GET /metrics; run the turns.

    Environment: GITHUB_WEBHOOK_SECRET (required), GITHUB_TOKEN, GITHUB_API_URL (default
    https://api.github.com), GITHUB_BOT_LOGIN (default: asked from the API), ACCELERATOR_WRITE_SPACING
    (seconds between writes, default 1), and the memory's settings as `chat` reads them."""
    import uvicorn

    from accelerator.channels.cli.memory import memory_source
    from accelerator.channels.github.client import github_client
    from accelerator.channels.github.intake import Metrics, create_app
    from accelerator.channels.github.pipeline import PullRequestBot
    from accelerator.channels.github.settings import BotSettings
    from accelerator.channels.github.workers import Workers
    from accelerator.memory import MemoryStore, open_pool
    from accelerator.memory.pool import check_connection

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = BotSettings.from_env()
        source, _ = memory_source(None, database_url)
        check_connection(source)
        pool = open_pool(source, min_size=1, max_size=workers + 4)
    except AcceleratorError as error:
        fail(error)
    assert settings.webhook_secret is not None  # from_env requires it
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
        app = create_app(store, settings.webhook_secret, bot.ignored, metrics=metrics, wake=runner.wake)
        try:
            sock = bind(host, port)
        except OSError as failure:
            err.print(f"cannot listen on {host}:{port}: {failure.strerror}", markup=False)
            raise typer.Exit(EXIT_USAGE) from failure
        shown = f"[{host}]" if ":" in host else host
        out.print(f"serving: http://{shown}:{sock.getsockname()[1]}/webhook as {login}", markup=False)
        runner.start()
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        try:
            server.run(sockets=[sock])
        finally:
            runner.stop()
    finally:
        pool.close()
