"""`accelerator sandbox`: a local GitHub to try the bot, demonstrate it and test it without GitHub."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from accelerator.channels.cli.app import EXIT_USAGE, err, new_app, out

commands = new_app()  # `sandbox`


@commands.command("sandbox")
def sandbox_command(
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="port (0: any free port)", min=0, max=65535)] = 0,
    state: Annotated[
        Path | None,
        typer.Option(
            "--state", help="directory of the repositories and the state (default: a temporary one)"
        ),
    ] = None,
    webhook_url: Annotated[
        str | None, typer.Option("--webhook-url", help="where every event is POSTed (the App's hook)")
    ] = None,
    webhook_secret: Annotated[
        str | None, typer.Option("--webhook-secret", help="signs each delivery (X-Hub-Signature-256)")
    ] = None,
    bot_login: Annotated[
        str, typer.Option("--bot-login", help="the token that authenticates as the bot (type Bot)")
    ] = "accelerator[bot]",
    app_id: Annotated[
        int | None,
        typer.Option("--app-id", help="register a GitHub App with this id (its JWTs are accepted)", min=1),
    ] = None,
    app_public_key: Annotated[
        Path | None,
        typer.Option(
            "--app-public-key",
            help="the App's RSA key in PEM (public, or the private key: its public half is kept)",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Serve GitHub's REST API under http://HOST:PORT/api/v3 on real git repositories, with webhooks."""
    from accelerator.sandbox.server import prepare

    if webhook_url is not None and not webhook_url.startswith(("http://", "https://")):
        err.print(f"--webhook-url {webhook_url!r} is not an http(s) URL", markup=False)
        raise typer.Exit(EXIT_USAGE)
    with tempfile.TemporaryDirectory(prefix="accelerator-sandbox-") as scratch:
        directory = state if state is not None else Path(scratch)
        try:
            server, sock, api_url, state_of, webhooks = prepare(
                directory, host, port, webhook_url, webhook_secret, bot_login
            )
        except OSError as failure:
            err.print(f"cannot listen on {host}:{port}: {failure.strerror}", markup=False)
            raise typer.Exit(EXIT_USAGE) from failure
        if (app_id is None) != (app_public_key is None):
            err.print("--app-id and --app-public-key go together", markup=False)
            raise typer.Exit(EXIT_USAGE)
        if app_id is not None and app_public_key is not None:
            from accelerator.sandbox.api_app import register_app

            try:
                register_app(state_of, app_id, app_public_key.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError) as failure:
                err.print(f"--app-public-key {app_public_key}: {failure}", markup=False)
                raise typer.Exit(EXIT_USAGE) from None
        out.print(f"sandbox: {api_url}", markup=False)
        out.print(f"databricks: {api_url.removesuffix('/api/v3')}", markup=False)
        out.print(f"state: {directory}", markup=False)
        webhooks.start()
        try:
            server.run(sockets=[sock])
        finally:
            webhooks.stop()
