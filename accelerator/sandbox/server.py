"""Running the sandbox: uvicorn on a socket bound first, so port 0 gives a known URL before serving."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from accelerator.sandbox.api import create_app
from accelerator.sandbox.git import close_all
from accelerator.sandbox.state import SandboxState
from accelerator.sandbox.webhooks import WebhookSender


@dataclass
class RunningSandbox:
    """A sandbox serving in a background thread; `api_url` is what clients take as `base_url`."""

    api_url: str
    state: SandboxState
    webhooks: WebhookSender
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.webhooks.wait_idle()
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.webhooks.stop()
        close_all()  # each repository's long-lived `git cat-file` reader


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit it: no Nagle delay between a response's head and body, which on a
    # kept-alive connection met the client's delayed ACK and cost 40 ms per request.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)  # connections queue from the moment the URL is printed, before uvicorn serves
    return sock


def prepare(
    state_dir: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    bot_login: str = "accelerator[bot]",
) -> tuple[uvicorn.Server, socket.socket, str, SandboxState, WebhookSender]:
    """The server, its bound socket and its API URL, not yet serving."""
    sock = bind(host, port)
    bound_port = sock.getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host
    api_url = f"http://{shown_host}:{bound_port}/api/v3"
    state = SandboxState(state_dir, bot_login=bot_login)
    webhooks = WebhookSender(state, webhook_url, webhook_secret)
    config = uvicorn.Config(create_app(state, api_url, webhooks), log_level="warning", lifespan="off")
    return uvicorn.Server(config), sock, api_url, state, webhooks


def start_sandbox(
    state_dir: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    bot_login: str = "accelerator[bot]",
) -> RunningSandbox:
    """Serve in a background thread and return once it accepts connections."""
    server, sock, api_url, state, webhooks = prepare(
        state_dir, host, port, webhook_url, webhook_secret, bot_login
    )
    webhooks.start()
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    if not server.started:
        raise RuntimeError("the sandbox did not start")
    return RunningSandbox(api_url, state, webhooks, server, thread)
