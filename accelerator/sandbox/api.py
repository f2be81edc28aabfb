"""GitHub's REST API under `/api/v3` (the GitHub Enterprise layout, so clients' `base_url` works)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from accelerator.sandbox import githttp, validate
from accelerator.sandbox.api_app import ROUTES as APP_ROUTES
from accelerator.sandbox.api_app import authenticate
from accelerator.sandbox.api_checks import ROUTES as CHECK_ROUTES
from accelerator.sandbox.api_git import ROUTES as GIT_ROUTES
from accelerator.sandbox.api_hooks import ROUTES as HOOK_ROUTES
from accelerator.sandbox.api_hooks import get_hook, list_hooks
from accelerator.sandbox.api_issues import ROUTES as ISSUE_ROUTES
from accelerator.sandbox.api_issues import (
    get_comment,
    get_issue,
    issue_comment_reactions,
    review_comment_reactions,
)
from accelerator.sandbox.api_pulls import ROUTES as PULL_ROUTES
from accelerator.sandbox.api_pulls import (
    get_review,
    get_review_comment,
    list_review_comments,
    list_reviews,
)
from accelerator.sandbox.core import Call, Handler, Result, Sandbox, number, paginate, resolve
from accelerator.sandbox.databricks import create_databricks_routes
from accelerator.sandbox.errors import GitHubError, not_found, validation_failed
from accelerator.sandbox.git import ZERO_SHA, GitFailure
from accelerator.sandbox.state import Record, SandboxState
from accelerator.sandbox.webhooks import WebhookSender

log = logging.getLogger("accelerator.sandbox")
MAX_REQUEST_BYTES = 15 * 1024 * 1024  # a 10 MB file, base64-encoded, fits
RATE_LIMIT = 5000


# users


def get_user(sandbox: Sandbox, call: Call) -> Result:
    return 200, sandbox.shapes.full_user(call.user)


def get_named_user(sandbox: Sandbox, call: Call) -> Result:
    return 200, sandbox.shapes.full_user(
        sandbox.state.known_user(validate.login(call.params["login"]))["login"]
    )


# repositories


def create_repository(sandbox: Sandbox, call: Call) -> Result:
    name = call.body.get("name")
    if not isinstance(name, str):
        raise validation_failed("Repository", "name", "name wasn't supplied.", code="missing_field")
    repository = sandbox.state.create_repository(
        call.user,
        name,
        private=bool(call.body.get("private", False)),
        auto_init=bool(call.body.get("auto_init", False)),
        description=validate.text(
            call.body.get("description"), "description", "Repository", 350, required=False
        ),
    )
    return 201, sandbox.shapes.repository(repository, call.user)


def get_repository(sandbox: Sandbox, call: Call) -> Result:
    return 200, sandbox.shapes.repository(sandbox.repository(call), call.login)


def put_collaborator(sandbox: Sandbox, call: Call) -> Result:
    repository = sandbox.repository(call)
    sandbox.state.require(repository, call.user, "admin")
    login = validate.login(call.params["user"])
    # The sandbox has no invitations to accept: the collaborator is added at once (GitHub's 204 case).
    sandbox.state.set_collaborator(repository, login, str(call.body.get("permission", "push")))
    return 204, None


def get_permission(sandbox: Sandbox, call: Call) -> Result:
    repository = sandbox.repository(call)
    sandbox.state.require(repository, call.user, "pull")
    login = validate.login(call.params["user"])
    sandbox.state.known_user(login)
    return 200, sandbox.shapes.permission(repository, login)


# contents, branches and refs


def default_ref(repository: Record, call: Call) -> str:
    ref = call.query.get("ref") or repository["default_branch"]
    return ref


def get_contents(sandbox: Sandbox, call: Call) -> Result:
    repository = sandbox.repository(call)
    path = call.params.get("path", "").strip("/")
    if path:
        validate.file_path(path)
    ref = default_ref(repository, call)
    commit = resolve(sandbox, repository, ref)
    git = sandbox.state.git(repository)
    entry = git.entry(commit, path)
    if entry is None:
        raise not_found()
    if entry.kind == "blob":
        return 200, sandbox.shapes.content(repository, entry, ref, git.read_blob(entry.sha))
    children = git.list_tree(entry.sha)
    return 200, [
        sandbox.shapes.content(repository, replace(child, path=f"{path}/{child.path}".lstrip("/")), ref, None)
        for child in children
    ]


def put_contents(sandbox: Sandbox, call: Call) -> Result:
    repository = sandbox.repository(call)
    sandbox.state.require(repository, call.user, "push")
    path = validate.file_path(call.params["path"])
    message = validate.text(call.body.get("message"), "message", "Content", 65536)
    encoded = call.body.get("content")
    if not isinstance(encoded, str):
        raise validation_failed("Content", "content", "content wasn't supplied.", code="missing_field")
    try:
        content = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as failure:
        raise validation_failed("Content", "content", "content is not valid Base64") from failure
    if len(content) > validate.MAX_FILE_BYTES:
        raise validation_failed("Content", "content", "content is too large (maximum is 10 MB)")
    branch = validate.branch_name(str(call.body.get("branch") or repository["default_branch"]))
    expected = call.body.get("sha")
    if expected is not None:
        validate.sha(expected)
    commit, created, before = sandbox.state.put_file(
        repository, path, content, message, branch, expected, call.user
    )
    git = sandbox.state.git(repository)
    entry = git.entry(commit, path)
    assert entry is not None
    sandbox.pushed(repository, f"refs/heads/{branch}", before, commit, call.user)
    return (201 if created else 200), {
        "content": sandbox.shapes.content(repository, entry, branch, None),
        "commit": sandbox.shapes.commit(repository, git.commit(commit)),
    }


def get_branch(sandbox: Sandbox, call: Call) -> Result:
    repository = sandbox.repository(call)
    name = validate.branch_name(call.params["branch"])
    git = sandbox.state.git(repository)
    commit = git.resolve_commit(f"refs/heads/{name}")
    if commit is None:
        raise GitHubError(404, "Branch not found")
    return 200, sandbox.shapes.branch(repository, name, git.commit(commit))


def create_ref(sandbox: Sandbox, call: Call) -> Result:
    repository = sandbox.repository(call)
    sandbox.state.require(repository, call.user, "push")
    ref = call.body.get("ref")
    if not isinstance(ref, str):
        raise validation_failed("Reference", "ref", "ref wasn't supplied.", code="missing_field")
    sha = validate.sha(call.body.get("sha"))
    sandbox.state.create_ref(repository, ref, sha)
    sandbox.pushed(repository, ref, ZERO_SHA, sha, call.user)
    return 201, sandbox.shapes.ref(repository, ref, sha)


def get_ref(sandbox: Sandbox, call: Call) -> Result:
    repository = sandbox.repository(call)
    ref = validate.ref_name(f"refs/{call.params['ref']}")
    sha = sandbox.state.git(repository).ref(ref)
    if sha is None:
        raise not_found()
    return 200, sandbox.shapes.ref(repository, ref, sha)


def update_ref(sandbox: Sandbox, call: Call) -> Result:
    repository = sandbox.repository(call)
    sandbox.state.require(repository, call.user, "push")
    ref = validate.ref_name(f"refs/{call.params['ref']}")
    sha = validate.sha(call.body.get("sha"))
    before = sandbox.state.move_ref(repository, ref, sha, force=call.body.get("force") is True)
    if before != sha:
        sandbox.pushed(repository, ref, before, sha, call.user)
    return 200, sandbox.shapes.ref(repository, ref, sha)


# pull requests and issue comments


def create_pull(sandbox: Sandbox, call: Call) -> Result:
    repository = sandbox.repository(call)
    sandbox.state.require(repository, call.user, "pull")
    title = validate.text(call.body.get("title"), "title", "PullRequest", validate.MAX_TITLE_CHARS)
    body = validate.text(
        call.body.get("body"), "body", "PullRequest", validate.MAX_COMMENT_CHARS, required=False
    )
    head = str(call.body.get("head") or "")
    owner_prefix = f"{repository['owner']}:"
    head = head[len(owner_prefix) :] if head.lower().startswith(owner_prefix.lower()) else head
    fork = None
    if ":" in head:  # `forkowner:branch`: the branch of that user's fork of this repository
        fork_owner, _, head = head.partition(":")
        parent = f"{repository['owner']}/{repository['name']}".lower()
        forks = [r for r in sandbox.state.data["repositories"].values() if r.get("parent") == parent]
        fork = next((r for r in forks if r["owner"].lower() == fork_owner.lower()), None)
        if fork is None:
            raise validation_failed("PullRequest", "head", "head is invalid", code="invalid")
    base = str(call.body.get("base") or "")
    for field, value in (("head", head), ("base", base)):
        try:
            validate.branch_name(value)
        except GitHubError as failure:
            raise validation_failed("PullRequest", field, f"{field} is invalid", code="invalid") from failure
    pull = sandbox.state.create_pull(repository, call.user, title, body, head, base, head_repository=fork)
    shaped = sandbox.shapes.pull(repository, pull, full=True)
    sandbox.emit(
        "pull_request", repository, call.user, action="opened", number=pull["number"], pull_request=shaped
    )
    return 201, shaped


def list_pulls(sandbox: Sandbox, call: Call) -> Result:
    repository = sandbox.repository(call)
    wanted = call.query.get("state", "open")
    pulls = [pull for pull in repository["pulls"].values() if wanted == "all" or pull["state"] == wanted]
    head = call.query.get(
        "head"
    )  # `user:ref` as GitHub takes it (the sandbox has no forks: user is the owner)
    if head:
        owner, _, branch = head.rpartition(":")
        pulls = [
            pull
            for pull in pulls
            if pull["head"] == branch and (not owner or owner.lower() == repository["owner"].lower())
        ]
    if call.query.get("base"):
        pulls = [pull for pull in pulls if pull["base"] == call.query["base"]]
    key = {"updated": "updated_at", "created": "created_at"}.get(
        call.query.get("sort", "created"), "created_at"
    )
    ascending = call.query.get("direction", "desc") == "asc"
    pulls.sort(key=lambda pull: (int(pull[key]), int(pull["number"])), reverse=not ascending)
    return 200, [sandbox.shapes.pull(repository, pull) for pull in paginate(call, pulls)]


def get_pull(sandbox: Sandbox, call: Call) -> Result:
    repository = sandbox.repository(call)
    return 200, sandbox.shapes.pull(repository, sandbox.state.pull(repository, number(call)), full=True)


def create_issue_comment(sandbox: Sandbox, call: Call) -> Result:
    repository = sandbox.repository(call)
    sandbox.state.require(repository, call.user, "pull")
    body = validate.text(call.body.get("body"), "body", "IssueComment", validate.MAX_COMMENT_CHARS)
    comment = sandbox.state.add_comment(repository, number(call), call.user, body)
    shaped = sandbox.shapes.issue_comment(repository, comment)
    issue = sandbox.state.issue(repository, comment["number"])
    sandbox.emit(
        "issue_comment",
        repository,
        call.user,
        action="created",
        issue=sandbox.shapes.issue(repository, issue),
        comment=shaped,
    )
    return 201, shaped


def list_issue_comments(sandbox: Sandbox, call: Call) -> Result:
    repository = sandbox.repository(call)
    comments = sandbox.state.comments(repository, number(call))
    return 200, [sandbox.shapes.issue_comment(repository, comment) for comment in paginate(call, comments)]


def rate_limit(sandbox: Sandbox, call: Call) -> Result:
    reset = int(time.time()) + 3600
    core = {"limit": RATE_LIMIT, "remaining": RATE_LIMIT, "reset": reset, "used": 0}
    search = {"limit": 30, "remaining": 30, "reset": reset, "used": 0}
    return 200, {"resources": {"core": core, "search": search}, "rate": core}


REPO = "/repos/{owner}/{repo}"
ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/user", get_user),
    ("GET", "/users/{login}", get_named_user),
    ("POST", "/user/repos", create_repository),
    ("GET", "/rate_limit", rate_limit),
    ("GET", REPO, get_repository),
    ("PUT", REPO + "/collaborators/{user}", put_collaborator),
    ("GET", REPO + "/collaborators/{user}/permission", get_permission),
    ("GET", REPO + "/contents", get_contents),
    ("GET", REPO + "/contents/{path:path}", get_contents),
    ("PUT", REPO + "/contents/{path:path}", put_contents),
    ("GET", REPO + "/branches/{branch:path}", get_branch),
    ("POST", REPO + "/git/refs", create_ref),
    ("GET", REPO + "/git/ref/{ref:path}", get_ref),
    ("GET", REPO + "/git/refs/{ref:path}", get_ref),
    ("PATCH", REPO + "/git/refs/{ref:path}", update_ref),
    ("POST", REPO + "/pulls", create_pull),
    ("GET", REPO + "/pulls", list_pulls),
    ("GET", REPO + "/pulls/{number}", get_pull),
    ("POST", REPO + "/issues/{number}/comments", create_issue_comment),
    ("GET", REPO + "/issues/{number}/comments", list_issue_comments),
    *ISSUE_ROUTES,
    *PULL_ROUTES,
    *APP_ROUTES,  # before HOOK_ROUTES: the App's deliveries take its JWT
    *HOOK_ROUTES,
    *CHECK_ROUTES,  # before the commits routes: /commits/{ref}/check-runs is not a commit
    *GIT_ROUTES,
]


# Reads answered from memory alone (no git, no waiting but for a new user's journal line): run on the
# event loop itself, which spares them a hop to a worker thread and back (a fifth of their cost).
IN_MEMORY: set[Handler] = {
    get_user,
    get_named_user,
    rate_limit,
    get_repository,
    get_permission,
    list_issue_comments,
    get_issue,
    get_comment,
    issue_comment_reactions,
    review_comment_reactions,
    list_hooks,
    get_hook,
    list_review_comments,
    get_review_comment,
    list_reviews,
    get_review,
}
# The other handlers (git reads, and every write: they wait for the state's lock and git processes)
# run on worker threads, so one slow call does not hold the others up.
WORKERS = ThreadPoolExecutor(max_workers=40, thread_name_prefix="sandbox-api")


def rate_headers() -> dict[str, str]:
    return {
        "x-ratelimit-limit": str(RATE_LIMIT),
        "x-ratelimit-remaining": str(RATE_LIMIT),
        "x-ratelimit-reset": str(int(time.time()) + 3600),
        "x-ratelimit-used": "0",
        "x-ratelimit-resource": "core",
    }


def error_response(error: GitHubError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status, headers=rate_headers())


def endpoint(sandbox: Sandbox, handler: Handler) -> Callable[[Request], Any]:
    async def respond(request: Request) -> Response:
        try:
            raw = await request.body()
            if len(raw) > MAX_REQUEST_BYTES:
                raise GitHubError(413, "Request body too large")
            try:
                body = json.loads(raw) if raw.strip() else {}
            except ValueError as failure:
                raise GitHubError(400, "Problems parsing JSON") from failure
            if not isinstance(body, dict):
                raise GitHubError(400, "Problems parsing JSON")
            call = Call(
                authenticate(sandbox, request.headers.get("authorization"), request.url.path),
                {key: str(value) for key, value in request.path_params.items()},
                dict(request.query_params),
                body,
                str(request.url),
            )
            if call.login is None and request.method != "GET":
                raise GitHubError(401, "Requires authentication")
            if handler in IN_MEMORY:
                status, payload = handler(sandbox, call)
            else:
                loop = asyncio.get_running_loop()
                status, payload = await loop.run_in_executor(WORKERS, handler, sandbox, call)
        except GitHubError as error:
            return error_response(error)
        except GitFailure as failure:
            log.warning("git failed on %s %s: %s", request.method, request.url.path, failure)
            return error_response(GitHubError(422, "Unprocessable Entity"))
        headers = {**rate_headers(), **call.headers}
        if status == 204:
            return Response(status_code=204, headers=headers)
        return JSONResponse(payload, status_code=status, headers=headers)

    return respond


def create_app(state: SandboxState, api_url: str, webhooks: WebhookSender | None = None) -> Starlette:
    """The sandbox's ASGI app, serving `api_url` (`http://host:port/api/v3`)."""
    if webhooks is None:  # no App hook; repository hooks still deliver
        webhooks = WebhookSender(state, None, None)
        webhooks.start()
    sandbox = Sandbox(state, api_url, webhooks)
    routes = [
        Route(f"/api/v3{path}", endpoint(sandbox, handler), methods=[method])
        for method, path, handler in ROUTES
    ]

    async def unimplemented(request: Request) -> Response:
        log.warning("sandbox: no route for %s %s", request.method, request.url.path)
        return error_response(not_found())

    routes += githttp.routes(sandbox)  # git clone http://host:port/OWNER/REPO.git
    routes += create_databricks_routes(state.root / "databricks")  # the workspace, on the same port
    routes.append(Route("/{anything:path}", unimplemented, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]))
    app = Starlette(routes=routes)
    app.state.sandbox = sandbox
    return app
