"""`git clone http://HOST:PORT/OWNER/REPO.git`, read-only: git's smart HTTP protocol (upload-pack
run with `--stateless-rpc`, versions 0 to 2) and, for a client that asks for it, dumb HTTP (the bare
repository's `info/refs` and object files). Pushing is refused: the API is the way to write."""

from __future__ import annotations

import base64
import binascii
import gzip
import re
import zlib
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from accelerator.sandbox import validate
from accelerator.sandbox.core import Sandbox
from accelerator.sandbox.errors import GitHubError
from accelerator.sandbox.git import GitFailure, GitRepository

MAX_NEGOTIATION_BYTES = 64 * 1024 * 1024  # the wants and haves of a fetch; far beyond any real one
PROTOCOL = re.compile(r"^version=[0-2]$")
# What dumb HTTP reads from a bare repository, nothing else.
DUMB_FILES = re.compile(
    r"^(HEAD|info/refs|objects/info/packs|objects/info/alternates|objects/[0-9a-f]{2}/[0-9a-f]{38}"
    r"|objects/pack/pack-[0-9a-f]{40,64}\.(pack|idx))$"
)


def pkt_line(text: str) -> bytes:
    data = text.encode()
    return f"{len(data) + 4:04x}".encode() + data


def login_of(request: Request) -> str | None:
    """The login git's HTTP Basic credentials name: the password (the token, as on GitHub), or the
    user name when there is no password."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    login = password or user
    return login if validate.LOGIN.match(login) else None


def repository_of(sandbox: Sandbox, request: Request) -> GitRepository:
    """The bare repository named by the URL, or 404 (a private one asks for credentials first)."""
    owner, name = request.path_params["owner"], request.path_params["name"]
    login = login_of(request)
    try:
        repository = sandbox.state.repository(owner, name, login)
    except GitHubError:
        found = sandbox.state.data["repositories"].get(f"{owner}/{name}".lower())
        if found is not None and login is None:
            raise GitHubError(401, "Authentication required") from None
        raise
    return sandbox.state.git(repository)


def environment(request: Request) -> dict[str, str]:
    protocol = request.headers.get("git-protocol", "")
    return {"GIT_PROTOCOL": protocol} if PROTOCOL.match(protocol) else {}


def refuse(error: GitHubError) -> Response:
    headers = {"WWW-Authenticate": 'Basic realm="sandbox"'} if error.status == 401 else {}
    return PlainTextResponse(f"{error.message}\n", status_code=error.status, headers=headers)


def routes(sandbox: Sandbox) -> list[Route]:
    """The git routes, to go before the API's catch-all."""

    def guarded(handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
        async def serve(request: Request) -> Response:
            try:
                response: Response = await handler(request)
            except GitHubError as error:
                return refuse(error)
            except GitFailure as failure:
                return PlainTextResponse(f"git failed: {failure}\n", status_code=500)
            return response

        return serve

    async def info_refs(request: Request) -> Response:
        git = repository_of(sandbox, request)
        service = request.query_params.get("service")
        if service is None:  # a dumb client
            return Response(await run_in_threadpool(git.server_info), media_type="text/plain")
        if service != "git-upload-pack":
            raise GitHubError(403, "The sandbox's repositories are read-only over git: write through the API")
        env = environment(request)
        out = await run_in_threadpool(
            git.run, "upload-pack", "--stateless-rpc", "--advertise-refs", str(git.path), env=env
        )
        head = (
            b""
            if env.get("GIT_PROTOCOL") == "version=2"
            else pkt_line("# service=git-upload-pack\n") + b"0000"
        )
        return Response(
            head + out,
            media_type="application/x-git-upload-pack-advertisement",
            headers={"Cache-Control": "no-cache"},
        )

    async def upload_pack(request: Request) -> Response:
        git = repository_of(sandbox, request)
        raw = await request.body()
        encoding = request.headers.get("content-encoding", "")
        try:
            if encoding == "gzip":
                decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
                raw = decompressor.decompress(raw, MAX_NEGOTIATION_BYTES + 1)
        except (zlib.error, gzip.BadGzipFile) as failure:
            raise GitHubError(400, "the request body is not valid gzip") from failure
        if len(raw) > MAX_NEGOTIATION_BYTES:
            raise GitHubError(413, "the fetch negotiation is too large")
        out = await run_in_threadpool(
            git.run, "upload-pack", "--stateless-rpc", str(git.path), stdin=raw, env=environment(request)
        )
        return Response(
            out, media_type="application/x-git-upload-pack-result", headers={"Cache-Control": "no-cache"}
        )

    async def receive_pack(request: Request) -> Response:
        repository_of(sandbox, request)
        raise GitHubError(403, "The sandbox's repositories are read-only over git: write through the API")

    async def dumb_file(request: Request) -> Response:
        git = repository_of(sandbox, request)
        path = request.path_params["file"]
        if not DUMB_FILES.match(path) or not (git.path / path).is_file():
            raise GitHubError(404, "Not Found")
        return FileResponse(git.path / path, media_type="application/octet-stream")

    base = "/{owner}/{name}.git"
    return [
        Route(f"{base}/info/refs", guarded(info_refs), methods=["GET"]),
        Route(f"{base}/git-upload-pack", guarded(upload_pack), methods=["POST"]),
        Route(f"{base}/git-receive-pack", guarded(receive_pack), methods=["POST"]),
        Route(base + "/{file:path}", guarded(dumb_file), methods=["GET"]),
    ]
