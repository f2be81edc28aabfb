"""Fidelity of the sandbox against GitHub's published schemas.

One tour drives every endpoint of issue 11 through the sandbox (with httpx, as any client would) and
records each answer; every answer is then validated, strictly (pydantic strict mode: no coercion, every
required field present, every type right), against the response model that githubkit generates from
GitHub's OpenAPI description (github/rest-api-description), API version 2022-11-28 (what GitHub serves
a client that sends no `X-GitHub-Api-Version`, PyGithub among them). Every webhook the tour makes the
sandbox send is validated against githubkit's webhook model for its event and action.

`SCHEMAS` is the explicit route -> model table: a route the sandbox serves without an entry fails
`test_every_served_route_has_a_schema`, and each entry is checked against the model githubkit's own
client declares for the same operation, so the table cannot drift from GitHub's description.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import hmac
import importlib
import json
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from pydantic import TypeAdapter, ValidationError

from accelerator.sandbox import RunningSandbox, start_sandbox
from accelerator.sandbox.api import ROUTES

SCHEMA_VERSION = "v2022_11_28"
# Imported, not skipped when absent: `make test` installs them (the dev extra) and must run these tests.
models = importlib.import_module(f"githubkit_schemas.{SCHEMA_VERSION}.models")
rest_package = importlib.import_module(f"githubkit_schemas.{SCHEMA_VERSION}.rest")

SECRET = "schemas-secret"
OWNER, NAME = "alice", "lakehouse"
BOT = "accelerator[bot]"


def key_of(path: str) -> str:
    """A route's path with its parameters blanked (`/repos/{owner}/{repo}` -> `/repos/{}/{}`)."""
    return re.sub(r"\{[^}]*\}", "{}", path)


# (method, path with blank parameters) -> (GitHub's status code, githubkit's response model, or None
# for an empty body). The model is written as githubkit's client writes it.
SCHEMAS: dict[tuple[str, str], tuple[int, str | None]] = {
    ("GET", "/user"): (200, "Union[PrivateUser, PublicUser]"),
    ("GET", "/users/{}"): (200, "Union[PrivateUser, PublicUser]"),
    ("POST", "/user/repos"): (201, "FullRepository"),
    ("GET", "/rate_limit"): (200, "RateLimitOverview"),
    ("GET", "/app/hook/deliveries"): (200, "list[HookDeliveryItem]"),
    ("GET", "/app/hook/deliveries/{}"): (200, "HookDelivery"),
    ("POST", "/app/hook/deliveries/{}/attempts"): (202, "AppHookDeliveriesDeliveryIdAttemptsPostResponse202"),
    ("POST", "/app-manifests/{}/conversions"): (201, "AppManifestsCodeConversionsPostResponse201"),
    ("POST", "/repos/{}/{}/forks"): (202, "FullRepository"),
    ("GET", "/app"): (200, "Integration"),
    ("GET", "/app/installations"): (200, "list[Installation]"),
    ("GET", "/app/installations/{}"): (200, "Installation"),
    ("POST", "/app/installations/{}/access_tokens"): (201, "InstallationToken"),
    ("GET", "/repos/{}/{}/installation"): (200, "Installation"),
    ("GET", "/repos/{}/{}"): (200, "FullRepository"),
    # 201 with an invitation on GitHub; 204 (no body) when the user is added at once, the sandbox's case.
    ("PUT", "/repos/{}/{}/collaborators/{}"): (204, None),
    ("GET", "/repos/{}/{}/collaborators/{}/permission"): (200, "RepositoryCollaboratorPermission"),
    ("GET", "/repos/{}/{}/contents"): (
        200,
        "Union[list[ContentDirectoryItems], ContentFile, ContentSymlink, ContentSubmodule]",
    ),
    ("GET", "/repos/{}/{}/contents/{}"): (
        200,
        "Union[list[ContentDirectoryItems], ContentFile, ContentSymlink, ContentSubmodule]",
    ),
    ("PUT", "/repos/{}/{}/contents/{}"): (201, "FileCommit"),
    ("GET", "/repos/{}/{}/branches/{}"): (200, "BranchWithProtection"),
    ("POST", "/repos/{}/{}/git/blobs"): (201, "ShortBlob"),
    ("GET", "/repos/{}/{}/git/blobs/{}"): (200, "Blob"),
    ("POST", "/repos/{}/{}/git/trees"): (201, "GitTree"),
    ("GET", "/repos/{}/{}/git/trees/{}"): (200, "GitTree"),
    ("POST", "/repos/{}/{}/git/commits"): (201, "GitCommit"),
    ("GET", "/repos/{}/{}/git/commits/{}"): (200, "GitCommit"),
    ("POST", "/repos/{}/{}/git/refs"): (201, "GitRef"),
    ("GET", "/repos/{}/{}/git/ref/{}"): (200, "GitRef"),
    ("GET", "/repos/{}/{}/git/refs/{}"): (200, "GitRef"),
    ("PATCH", "/repos/{}/{}/git/refs/{}"): (200, "GitRef"),
    ("GET", "/repos/{}/{}/commits"): (200, "list[Commit]"),
    ("GET", "/repos/{}/{}/commits/{}"): (200, "Commit"),
    ("POST", "/repos/{}/{}/pulls"): (201, "PullRequest"),
    ("GET", "/repos/{}/{}/pulls"): (200, "list[PullRequestSimple]"),
    ("GET", "/repos/{}/{}/pulls/{}"): (200, "PullRequest"),
    ("PATCH", "/repos/{}/{}/pulls/{}"): (200, "PullRequest"),
    ("GET", "/repos/{}/{}/pulls/{}/files"): (200, "list[DiffEntry]"),
    ("GET", "/repos/{}/{}/pulls/{}/commits"): (200, "list[Commit]"),
    ("PUT", "/repos/{}/{}/pulls/{}/merge"): (200, "PullRequestMergeResult"),
    ("POST", "/repos/{}/{}/pulls/{}/comments"): (201, "PullRequestReviewComment"),
    ("GET", "/repos/{}/{}/pulls/{}/comments"): (200, "list[PullRequestReviewComment]"),
    ("POST", "/repos/{}/{}/pulls/{}/comments/{}/replies"): (201, "PullRequestReviewComment"),
    ("GET", "/repos/{}/{}/pulls/comments/{}"): (200, "PullRequestReviewComment"),
    ("PATCH", "/repos/{}/{}/pulls/comments/{}"): (200, "PullRequestReviewComment"),
    ("POST", "/repos/{}/{}/pulls/comments/{}/reactions"): (201, "Reaction"),
    ("POST", "/repos/{}/{}/pulls/{}/reviews"): (200, "PullRequestReview"),
    ("GET", "/repos/{}/{}/pulls/{}/reviews"): (200, "list[PullRequestReview]"),
    ("POST", "/repos/{}/{}/issues/{}/comments"): (201, "IssueComment"),
    ("GET", "/repos/{}/{}/issues/{}/comments"): (200, "list[IssueComment]"),
    ("GET", "/repos/{}/{}/issues/comments/{}"): (200, "IssueComment"),
    ("PATCH", "/repos/{}/{}/issues/comments/{}"): (200, "IssueComment"),
    ("DELETE", "/repos/{}/{}/issues/comments/{}"): (204, None),
    ("POST", "/repos/{}/{}/issues/comments/{}/reactions"): (201, "Reaction"),
    ("GET", "/repos/{}/{}/issues/comments/{}/reactions"): (200, "list[Reaction]"),
    ("GET", "/repos/{}/{}/pulls/comments/{}/reactions"): (200, "list[Reaction]"),
    ("DELETE", "/repos/{}/{}/pulls/comments/{}"): (204, None),
    ("GET", "/repos/{}/{}/pulls/{}/merge"): (204, None),
    ("GET", "/repos/{}/{}/pulls/{}/reviews/{}"): (200, "PullRequestReview"),
    ("GET", "/repos/{}/{}/pulls/{}/reviews/{}/comments"): (200, "list[ReviewComment]"),
    ("POST", "/repos/{}/{}/pulls/{}/reviews/{}/events"): (200, "PullRequestReview"),
    ("DELETE", "/repos/{}/{}/git/refs/{}"): (204, None),
    ("POST", "/repos/{}/{}/issues"): (201, "Issue"),
    ("GET", "/repos/{}/{}/issues"): (200, "list[Issue]"),
    ("GET", "/repos/{}/{}/issues/{}"): (200, "Issue"),
    ("PATCH", "/repos/{}/{}/issues/{}"): (200, "ReposOwnerRepoIssuesIssueNumberPatchResponse200"),
    ("POST", "/repos/{}/{}/check-runs"): (201, "CheckRun"),
    ("GET", "/repos/{}/{}/check-runs/{}"): (200, "CheckRun"),
    ("PATCH", "/repos/{}/{}/check-runs/{}"): (200, "CheckRun"),
    ("GET", "/repos/{}/{}/check-runs/{}/annotations"): (200, "list[CheckAnnotation]"),
    ("GET", "/repos/{}/{}/commits/{}/check-runs"): (200, "ReposOwnerRepoCommitsRefCheckRunsGetResponse200"),
    ("POST", "/repos/{}/{}/hooks"): (201, "Hook"),
    ("GET", "/repos/{}/{}/hooks"): (200, "list[Hook]"),
    ("GET", "/repos/{}/{}/hooks/{}"): (200, "Hook"),
    ("PATCH", "/repos/{}/{}/hooks/{}"): (200, "Hook"),
    ("DELETE", "/repos/{}/{}/hooks/{}"): (204, None),
    ("POST", "/repos/{}/{}/hooks/{}/pings"): (204, None),
    ("GET", "/repos/{}/{}/hooks/{}/deliveries"): (200, "list[HookDeliveryItem]"),
    ("GET", "/repos/{}/{}/hooks/{}/deliveries/{}"): (200, "HookDelivery"),
    ("POST", "/repos/{}/{}/hooks/{}/deliveries/{}/attempts"): (
        202,
        "AppHookDeliveriesDeliveryIdAttemptsPostResponse202",
    ),
}

# Routes GitHub answers that its OpenAPI description spells another way: the route -> the described one.
ALIASES = {
    ("GET", "/repos/{}/{}/contents"): ("GET", "/repos/{}/{}/contents/{}"),  # the root: an empty {path}
    ("GET", "/repos/{}/{}/git/refs/{}"): ("GET", "/repos/{}/{}/git/ref/{}"),  # the older spelling
}

# Where GitHub's description and its behaviour differ from the model githubkit's client declares.
DECLARED_OTHERWISE = {
    # githubkit declares the 201 (an invitation); the 204 of a user added at once has no body.
    ("PUT", "/repos/{}/{}/collaborators/{}"): "RepositoryInvitation",
    # the App exists whenever its JWT is valid: never the null githubkit allows
    ("GET", "/app"): "Union[Integration, None]",
}

# (event, action or None) -> githubkit's webhook model, and the route whose call sends it.
WEBHOOKS: dict[tuple[str, str | None], tuple[str, tuple[str, str]]] = {
    ("ping", None): ("WebhookPing", ("POST", "/repos/{}/{}/hooks")),
    ("push", None): ("WebhookPush", ("PUT", "/repos/{}/{}/contents/{}")),
    ("pull_request", "opened"): ("WebhookPullRequestOpened", ("POST", "/repos/{}/{}/pulls")),
    ("pull_request", "synchronize"): ("WebhookPullRequestSynchronize", ("PUT", "/repos/{}/{}/contents/{}")),
    ("pull_request", "edited"): ("WebhookPullRequestEdited", ("PATCH", "/repos/{}/{}/pulls/{}")),
    ("pull_request", "closed"): ("WebhookPullRequestClosed", ("PATCH", "/repos/{}/{}/pulls/{}")),
    ("pull_request", "reopened"): ("WebhookPullRequestReopened", ("PATCH", "/repos/{}/{}/pulls/{}")),
    ("issue_comment", "created"): ("WebhookIssueCommentCreated", ("POST", "/repos/{}/{}/issues/{}/comments")),
    ("issue_comment", "edited"): ("WebhookIssueCommentEdited", ("PATCH", "/repos/{}/{}/issues/comments/{}")),
    ("issue_comment", "deleted"): (
        "WebhookIssueCommentDeleted",
        ("DELETE", "/repos/{}/{}/issues/comments/{}"),
    ),
    ("pull_request_review_comment", "created"): (
        "WebhookPullRequestReviewCommentCreated",
        ("POST", "/repos/{}/{}/pulls/{}/comments"),
    ),
    ("pull_request_review_comment", "edited"): (
        "WebhookPullRequestReviewCommentEdited",
        ("PATCH", "/repos/{}/{}/pulls/comments/{}"),
    ),
    ("pull_request_review", "submitted"): (
        "WebhookPullRequestReviewSubmitted",
        ("POST", "/repos/{}/{}/pulls/{}/reviews"),
    ),
    ("pull_request_review_comment", "deleted"): (
        "WebhookPullRequestReviewCommentDeleted",
        ("DELETE", "/repos/{}/{}/pulls/comments/{}"),
    ),
    ("issues", "opened"): ("WebhookIssuesOpened", ("POST", "/repos/{}/{}/issues")),
    ("issues", "edited"): ("WebhookIssuesEdited", ("PATCH", "/repos/{}/{}/issues/{}")),
    ("issues", "closed"): ("WebhookIssuesClosed", ("PATCH", "/repos/{}/{}/issues/{}")),
    ("check_run", "created"): ("WebhookCheckRunCreated", ("POST", "/repos/{}/{}/check-runs")),
    ("check_run", "completed"): ("WebhookCheckRunCompleted", ("PATCH", "/repos/{}/{}/check-runs/{}")),
}

SERVED = {(method, key_of(path)) for method, path, _ in ROUTES}


def served(route: tuple[str, str]) -> bool:
    return route in SERVED


# githubkit's schemas: the model named by a type expression, and the operations its client declares


def resolve_type(expression: str) -> Any:
    """`FullRepository`, `list[X]`, `Union[A, B]` -> the type, taken from githubkit's models."""
    namespace: dict[str, Any] = {"list": list, "Union": __import__("typing").Union}
    for name in re.findall(r"[A-Z]\w+", expression):
        if name != "Union":
            namespace[name] = getattr(models, name)
    return eval(expression, namespace)


@functools.cache
def adapter(expression: str) -> TypeAdapter[Any]:
    return TypeAdapter(resolve_type(expression))


def problems(expression: str, body: bytes) -> list[str]:
    """What in `body` does not match GitHub's schema, one line per object: the required fields it
    lacks, then each field of a wrong type, located by its JSON path (`[]` for any list item)."""
    try:
        adapter(expression).validate_json(body, strict=True)
    except ValidationError as failure:
        return summarize(failure)
    return []


def summarize(failure: ValidationError) -> list[str]:
    missing: dict[str, list[str]] = {}
    wrong: dict[str, str] = {}
    for error in failure.errors(include_url=False):
        parts = ["[]" if isinstance(part, int) else str(part) for part in error["loc"]]
        if "literal[<UNSET>]" in parts:
            continue  # an optional field's "or absent" branch: its other branch says what is wrong
        if error["type"] == "missing":
            names = missing.setdefault(".".join(parts[:-1]).replace(".[]", "[]") or "<root>", [])
            if parts[-1] not in names:
                names.append(parts[-1])
        else:
            where = ".".join(parts).replace(".[]", "[]") or "<root>"
            wrong.setdefault(where, f"{error['msg']} (got {json.dumps(error['input'], default=str)[:60]})")
    found = [f"{where}: missing required {', '.join(names)}" for where, names in missing.items()] + [
        f"{where}: {message}" for where, message in wrong.items()
    ]
    return found or [str(failure)]  # never an empty list for a body that failed


@functools.cache
def declared_operations() -> dict[tuple[str, str], str | None]:
    """(method, blanked path) -> `response_model` for each operation of githubkit's REST client,
    read from its generated source (the docstring names the operation, the call its model)."""
    found: dict[tuple[str, str], str | None] = {}
    for module in ("users", "repos", "git", "pulls", "issues", "reactions", "checks", "apps", "rate_limit"):
        source = Path(str(rest_package.__file__)).with_name(f"{module}.py").read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.FunctionDef):
                continue
            lines = (ast.get_docstring(node) or "").splitlines()
            match = (
                re.fullmatch(r"(GET|POST|PUT|PATCH|DELETE) (/\S*)", lines[2].strip())
                if len(lines) > 2
                else None
            )
            if match is None:
                continue
            model = next(
                (
                    ast.unparse(keyword.value)
                    for keyword in ast.walk(node)
                    if isinstance(keyword, ast.keyword) and keyword.arg == "response_model"
                ),
                None,
            )
            found[(match.group(1), key_of(match.group(2)))] = model
            errors = next(
                (
                    keyword.value
                    for keyword in ast.walk(node)
                    if isinstance(keyword, ast.keyword) and keyword.arg == "error_models"
                ),
                None,
            )
            if isinstance(errors, ast.Dict):
                ERROR_MODELS[(match.group(1), key_of(match.group(2)))] = {
                    int(ast.literal_eval(status)): ast.unparse(value)
                    for status, value in zip(errors.keys, errors.values, strict=True)
                    if status is not None
                }
    return found


# (method, blanked path) -> {status: githubkit's error model}, filled by declared_operations()
ERROR_MODELS: dict[tuple[str, str], dict[int, str]] = {}


def error_model(route: tuple[str, str], status: int) -> str:
    """The error body githubkit declares for `route` answering `status`; GitHub's BasicError otherwise
    (401, and routes GitHub answers 404 for, declare none)."""
    declared_operations()
    return ERROR_MODELS.get(ALIASES.get(route, route), {}).get(status, "BasicError")


# the webhook receiver and the tour


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> str:
        return self.headers["x-github-event"]

    @property
    def action(self) -> str | None:
        action = json.loads(self.body).get("action")
        return action if isinstance(action, str) else None


@dataclass
class Exchange:
    method: str
    route: tuple[str, str]
    url: str
    status: int
    body: bytes


@dataclass
class Tour:
    client: httpx.Client
    exchanges: dict[tuple[str, str], list[Exchange]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    refused: dict[str, Exchange] = field(default_factory=dict)

    def call(self, method: str, template: str, *parts: object, login: str = OWNER, **options: Any) -> Any:
        """Send one request to the route `template` (blank parameters filled by `parts`) and record
        the answer; returns its JSON, or None when the sandbox refused or has no such route."""
        path = template.format(*parts)
        answer = self.client.request(method, path, headers={"Authorization": f"token {login}"}, **options)
        self.exchanges.setdefault((method, template), []).append(
            Exchange(method, (method, template), path, answer.status_code, answer.content)
        )
        if answer.status_code >= 300:
            return None
        return answer.json() if answer.content else {}

    def refuse(
        self, case: str, method: str, template: str, *parts: object, login: str | None = OWNER, **options: Any
    ) -> None:
        """Send a request GitHub refuses (REFUSALS[case]) and keep the answer apart from the tour's."""
        headers = {"Authorization": f"token {login}"} if login else {}
        path = template.format(*parts)
        answer = self.client.request(method, path, headers=headers, **options)
        self.refused[case] = Exchange(method, (method, template), path, answer.status_code, answer.content)


# What GitHub refuses, as it refuses it: case -> (the statuses GitHub answers, text the message holds).
REFUSALS: dict[str, tuple[set[int], str]] = {
    "no token": ({401}, "Requires authentication"),
    "a comment over 65,536 characters": ({422}, "Body is too long (maximum is 65536 characters)"),
    "more than 50 annotations in one request": ({422}, ""),
    "a non-fast-forward ref update": ({422}, "Update is not a fast forward"),
    "a review comment outside the diff": ({422}, ""),
    "a write without push permission": ({403, 404}, ""),
    "a stale sha on a contents update": ({409}, ""),
    "an unknown repository": ({404}, "Not Found"),
    "a route the sandbox does not serve": ({404}, "Not Found"),
}
# Where GitHub answers otherwise than the error model its description declares for the operation.
REFUSAL_MODELS = {
    # {"message": "Unprocessable Entity", "errors": ["Pull request review thread line must be part of the
    # diff and ..."]}: the description's validation-error-simple (errors as strings), not validation-error.
    "a review comment outside the diff": "ValidationErrorSimple",
}


def refusals(
    tour: Tour, number: int, head_sha: str, base_sha: str, run_id: int | None, blob_sha: str
) -> None:
    repo = (OWNER, NAME)
    tour.refuse("no token", "POST", "/user/repos", login=None, json={"name": "anonymous"})
    tour.refuse(
        "a comment over 65,536 characters",
        "POST",
        "/repos/{}/{}/issues/{}/comments",
        *repo,
        number,
        login="bob",
        json={"body": "x" * 65_537},
    )
    if run_id is not None:
        tour.refuse(
            "more than 50 annotations in one request",
            "PATCH",
            "/repos/{}/{}/check-runs/{}",
            *repo,
            run_id,
            login=BOT,
            json={
                "output": {"title": "plan", "summary": "too many", "annotations": check_annotations(51, 500)}
            },
        )
    tour.refuse(
        "a non-fast-forward ref update",
        "PATCH",
        "/repos/{}/{}/git/refs/{}",
        *repo,
        "heads/feature",
        json={"sha": base_sha},
    )
    tour.refuse(
        "a review comment outside the diff",
        "POST",
        "/repos/{}/{}/pulls/{}/comments",
        *repo,
        number,
        login="bob",
        json={"body": "here?", "commit_id": head_sha, "path": "erd/sales.dbml", "line": 99, "side": "RIGHT"},
    )
    tour.refuse(
        "a write without push permission",
        "PUT",
        "/repos/{}/{}/contents/{}",
        *repo,
        "x.txt",
        login="carol",
        json={"message": "no rights", "content": b64("x"), "branch": "feature"},
    )
    tour.refuse(
        "a stale sha on a contents update",
        "PUT",
        "/repos/{}/{}/contents/{}",
        *repo,
        "erd/sales.dbml",
        json={"message": "stale", "content": b64("x"), "branch": "feature", "sha": blob_sha},
    )
    tour.refuse("an unknown repository", "GET", "/repos/{}/{}", OWNER, "nowhere")
    tour.refuse("a route the sandbox does not serve", "GET", "/repos/{}/{}/stargazers", *repo)


def check_annotations(count: int, start: int = 1) -> list[dict[str, Any]]:
    return [
        {
            "path": "erd/sales.dbml",
            "start_line": 1,
            "end_line": 1,
            "annotation_level": "warning",
            "message": f"finding {index}",
            "title": "ERD001",
        }
        for index in range(start, start + count)
    ]


def drive(tour: Tour, receiver_url: str) -> None:
    """Every endpoint of issue 11, in a PR's order; a step whose input an unimplemented route did not
    give is skipped (its route then has no exchange and its test says so)."""
    tour.call("GET", "/user")
    tour.call("GET", "/user", login="bob")
    tour.call("GET", "/user", login=BOT)
    tour.call("GET", "/users/{}", "bob")
    tour.call("GET", "/users/{}", BOT)
    tour.call("POST", "/user/repos", json={"name": NAME, "auto_init": True, "description": "UC setup"})
    tour.call("GET", "/repos/{}/{}", OWNER, NAME)
    tour.call("GET", "/repos/{}/{}", OWNER, NAME, login="bob")
    hook = tour.call(
        "POST",
        "/repos/{}/{}/hooks",
        OWNER,
        NAME,
        json={
            "name": "web",
            "active": True,
            "events": ["*"],
            "config": {"url": receiver_url + "/repo", "content_type": "json", "secret": SECRET},
        },
    )
    tour.call("PUT", "/repos/{}/{}/collaborators/{}", OWNER, NAME, "bob", json={"permission": "push"})
    tour.call("PUT", "/repos/{}/{}/collaborators/{}", OWNER, NAME, BOT, json={"permission": "push"})
    tour.call("GET", "/repos/{}/{}/collaborators/{}/permission", OWNER, NAME, "bob")
    tour.call("GET", "/repos/{}/{}/contents", OWNER, NAME)
    tour.call("GET", "/repos/{}/{}/contents/{}", OWNER, NAME, "README.md")
    main = tour.call("GET", "/repos/{}/{}/branches/{}", OWNER, NAME, "main")
    base_sha = main["commit"]["sha"] if main else None
    tour.call(
        "POST", "/repos/{}/{}/git/refs", OWNER, NAME, json={"ref": "refs/heads/feature", "sha": base_sha}
    )
    tour.call("GET", "/repos/{}/{}/git/ref/{}", OWNER, NAME, "heads/feature")
    tour.call("GET", "/repos/{}/{}/git/refs/{}", OWNER, NAME, "heads/feature")
    dbml = "Table customers {\n  id bigint [pk]\n  email string\n}\n"
    created = tour.call(
        "PUT",
        "/repos/{}/{}/contents/{}",
        OWNER,
        NAME,
        "erd/sales.dbml",
        json={"message": "add sales", "content": b64(dbml), "branch": "feature"},
    )
    tour.call("GET", "/repos/{}/{}/contents/{}", OWNER, NAME, "erd/sales.dbml", params={"ref": "feature"})
    tour.call("GET", "/repos/{}/{}/contents/{}", OWNER, NAME, "erd", params={"ref": "feature"})
    pull = tour.call(
        "POST",
        "/repos/{}/{}/pulls",
        OWNER,
        NAME,
        json={"title": "Sales domain", "body": "first ERD", "head": "feature", "base": "main"},
    )
    if created:  # an update with the blob's sha: a push to the PR's branch (synchronize)
        tour.call(
            "PUT",
            "/repos/{}/{}/contents/{}",
            OWNER,
            NAME,
            "erd/sales.dbml",
            json={
                "message": "email is required",
                "content": b64(dbml.replace("email string", "email string [not null]")),
                "branch": "feature",
                "sha": created["content"]["sha"],
            },
        )
    # git data: a blob, a tree on the branch's tree, a commit, the branch moved to it
    blob = tour.call(
        "POST", "/repos/{}/{}/git/blobs", OWNER, NAME, json={"content": "# Sales\n", "encoding": "utf-8"}
    )
    if blob:
        tour.call("GET", "/repos/{}/{}/git/blobs/{}", OWNER, NAME, blob["sha"])
    head = tour.call("GET", "/repos/{}/{}/git/ref/{}", OWNER, NAME, "heads/feature")
    head_sha = head["object"]["sha"] if head else None
    head_commit = tour.call("GET", "/repos/{}/{}/git/commits/{}", OWNER, NAME, head_sha) if head_sha else None
    tree = None
    if blob and head_commit:
        tree = tour.call(
            "POST",
            "/repos/{}/{}/git/trees",
            OWNER,
            NAME,
            json={
                "base_tree": head_commit["tree"]["sha"],
                "tree": [{"path": "docs/sales.md", "mode": "100644", "type": "blob", "sha": blob["sha"]}],
            },
        )
    if tree:
        tour.call("GET", "/repos/{}/{}/git/trees/{}", OWNER, NAME, tree["sha"], params={"recursive": "1"})
        commit = tour.call(
            "POST",
            "/repos/{}/{}/git/commits",
            OWNER,
            NAME,
            json={"message": "docs: sales", "tree": tree["sha"], "parents": [head_sha]},
        )
        if commit:
            tour.call(
                "PATCH", "/repos/{}/{}/git/refs/{}", OWNER, NAME, "heads/feature", json={"sha": commit["sha"]}
            )
    if head_sha:  # a fast-forward of another branch to the PR's head, whatever git data is served
        tour.call(
            "POST", "/repos/{}/{}/git/refs", OWNER, NAME, json={"ref": "refs/heads/scratch", "sha": base_sha}
        )
        tour.call("PATCH", "/repos/{}/{}/git/refs/{}", OWNER, NAME, "heads/scratch", json={"sha": head_sha})
    tour.call("GET", "/repos/{}/{}/commits", OWNER, NAME, params={"sha": "feature"})
    head = tour.call("GET", "/repos/{}/{}/branches/{}", OWNER, NAME, "feature")
    head_sha = head["commit"]["sha"] if head else head_sha
    if head_sha:
        tour.call("GET", "/repos/{}/{}/commits/{}", OWNER, NAME, head_sha)
    tour.call("GET", "/repos/{}/{}/pulls", OWNER, NAME)
    if pull is None:
        return
    number = pull["number"]
    tour.call("GET", "/repos/{}/{}/pulls/{}", OWNER, NAME, number)
    tour.call("PATCH", "/repos/{}/{}/pulls/{}", OWNER, NAME, number, json={"body": "first ERD, with docs"})
    tour.call("PATCH", "/repos/{}/{}/pulls/{}", OWNER, NAME, number, json={"state": "closed"})
    tour.call("PATCH", "/repos/{}/{}/pulls/{}", OWNER, NAME, number, json={"state": "open"})
    tour.call("GET", "/repos/{}/{}/pulls/{}/files", OWNER, NAME, number)
    tour.call("GET", "/repos/{}/{}/pulls/{}/commits", OWNER, NAME, number)
    # the conversation
    comment = tour.call(
        "POST",
        "/repos/{}/{}/issues/{}/comments",
        OWNER,
        NAME,
        number,
        login="bob",
        json={"body": "rename email"},
    )
    tour.call(
        "POST", "/repos/{}/{}/issues/{}/comments", OWNER, NAME, number, login=BOT, json={"body": "Done."}
    )
    tour.call("GET", "/repos/{}/{}/issues/{}/comments", OWNER, NAME, number)
    if comment:
        cid = comment["id"]
        tour.call("GET", "/repos/{}/{}/issues/comments/{}", OWNER, NAME, cid)
        tour.call(
            "PATCH",
            "/repos/{}/{}/issues/comments/{}",
            OWNER,
            NAME,
            cid,
            login="bob",
            json={"body": "rename it"},
        )
        tour.call(
            "POST", "/repos/{}/{}/issues/comments/{}/reactions", OWNER, NAME, cid, json={"content": "+1"}
        )
        tour.call("GET", "/repos/{}/{}/issues/comments/{}/reactions", OWNER, NAME, cid)
        tour.call("DELETE", "/repos/{}/{}/issues/comments/{}", OWNER, NAME, cid, login="bob")
    run = None
    if head_sha:
        inline = tour.call(
            "POST",
            "/repos/{}/{}/pulls/{}/comments",
            OWNER,
            NAME,
            number,
            login="bob",
            json={
                "body": "not null?",
                "commit_id": head_sha,
                "path": "erd/sales.dbml",
                "line": 3,
                "side": "RIGHT",
            },
        )
        if inline:
            rid = inline["id"]
            tour.call(
                "POST",
                "/repos/{}/{}/pulls/{}/comments",
                OWNER,
                NAME,
                number,
                json={"body": "yes", "in_reply_to": rid},
            )
            reply = tour.call(
                "POST",
                "/repos/{}/{}/pulls/{}/comments/{}/replies",
                OWNER,
                NAME,
                number,
                rid,
                login=BOT,
                json={"body": "ok"},
            )
            if reply:
                tour.call("DELETE", "/repos/{}/{}/pulls/comments/{}", OWNER, NAME, reply["id"], login=BOT)
            tour.call("GET", "/repos/{}/{}/pulls/comments/{}", OWNER, NAME, rid)
            tour.call(
                "PATCH",
                "/repos/{}/{}/pulls/comments/{}",
                OWNER,
                NAME,
                rid,
                login="bob",
                json={"body": "not null!"},
            )
            tour.call(
                "POST", "/repos/{}/{}/pulls/comments/{}/reactions", OWNER, NAME, rid, json={"content": "eyes"}
            )
            tour.call("GET", "/repos/{}/{}/pulls/comments/{}/reactions", OWNER, NAME, rid)
        tour.call("GET", "/repos/{}/{}/pulls/{}/comments", OWNER, NAME, number)
        review = tour.call(
            "POST",
            "/repos/{}/{}/pulls/{}/reviews",
            OWNER,
            NAME,
            number,
            login="bob",
            json={
                "commit_id": head_sha,
                "body": "Looks right.",
                "event": "COMMENT",
                "comments": [{"path": "erd/sales.dbml", "line": 2, "body": "a bigint key"}],
            },
        )
        tour.call("GET", "/repos/{}/{}/pulls/{}/reviews", OWNER, NAME, number)
        if review:
            tour.call("GET", "/repos/{}/{}/pulls/{}/reviews/{}", OWNER, NAME, number, review["id"])
            tour.call("GET", "/repos/{}/{}/pulls/{}/reviews/{}/comments", OWNER, NAME, number, review["id"])
        pending = tour.call(  # a review left pending, submitted later
            "POST",
            "/repos/{}/{}/pulls/{}/reviews",
            OWNER,
            NAME,
            number,
            login="bob",
            json={
                "commit_id": head_sha,
                "comments": [{"path": "erd/sales.dbml", "line": 2, "body": "later"}],
            },
        )
        if pending:
            tour.call(
                "POST",
                "/repos/{}/{}/pulls/{}/reviews/{}/events",
                OWNER,
                NAME,
                number,
                pending["id"],
                login="bob",
                json={"event": "COMMENT", "body": "Submitted later."},
            )
        # a check run with 120 annotations in three requests
        run = tour.call(
            "POST",
            "/repos/{}/{}/check-runs",
            OWNER,
            NAME,
            login=BOT,
            json={
                "name": "accelerator/plan",
                "head_sha": head_sha,
                "status": "in_progress",
                "output": {"title": "plan", "summary": "1 change", "annotations": check_annotations(50)},
            },
        )
        if run:
            path = "/repos/{}/{}/check-runs/{}"
            tour.call(
                "PATCH",
                path,
                OWNER,
                NAME,
                run["id"],
                login=BOT,
                json={
                    "output": {
                        "title": "plan",
                        "summary": "1 change",
                        "annotations": check_annotations(50, 51),
                    }
                },
            )
            tour.call(
                "PATCH",
                path,
                OWNER,
                NAME,
                run["id"],
                login=BOT,
                json={
                    "status": "completed",
                    "conclusion": "neutral",
                    "output": {
                        "title": "plan",
                        "summary": "1 change",
                        "annotations": check_annotations(20, 101),
                    },
                },
            )
            tour.call("GET", path, OWNER, NAME, run["id"])
            tour.call("GET", path + "/annotations", OWNER, NAME, run["id"], params={"per_page": "100"})
        tour.call("GET", "/repos/{}/{}/commits/{}/check-runs", OWNER, NAME, head_sha)
    if head_sha and base_sha and created:
        refusals(tour, number, head_sha, base_sha, run["id"] if run else None, created["content"]["sha"])
    tour.call("PUT", "/repos/{}/{}/pulls/{}/merge", OWNER, NAME, number, json={"merge_method": "merge"})
    tour.call("GET", "/repos/{}/{}/pulls/{}/merge", OWNER, NAME, number)
    tour.call("DELETE", "/repos/{}/{}/git/refs/{}", OWNER, NAME, "heads/scratch")
    # an issue of its own (not a PR)
    issue = tour.call(
        "POST",
        "/repos/{}/{}/issues",
        OWNER,
        NAME,
        login="bob",
        json={"title": "Document sales", "body": "soon"},
    )
    tour.call("GET", "/repos/{}/{}/issues", OWNER, NAME, params={"state": "all"})
    if issue:
        tour.call("GET", "/repos/{}/{}/issues/{}", OWNER, NAME, issue["number"])
        tour.call(
            "PATCH", "/repos/{}/{}/issues/{}", OWNER, NAME, issue["number"], json={"title": "Document it"}
        )
        tour.call("PATCH", "/repos/{}/{}/issues/{}", OWNER, NAME, issue["number"], json={"state": "closed"})
    tour.call("POST", "/repos/{}/{}/forks", OWNER, NAME, login="carol")
    # the App (made from a manifest), its installation and a token; then the deliveries, the App's
    # (with its JWT) and the repository hook's
    wait_quiet(tour)
    made = tour.call("POST", "/app-manifests/{}/conversions", "manifest-code")
    app_jwt = OWNER
    if made:
        now = int(time.time())
        app_jwt = jwt.encode(
            {"iat": now - 60, "exp": now + 540, "iss": str(made["id"])}, made["pem"], "RS256"
        )
        tour.call("GET", "/app", login=app_jwt)
        installations = tour.call("GET", "/app/installations", login=app_jwt) or [{"id": 1}]
        tour.call("GET", "/app/installations/{}", installations[0]["id"], login=app_jwt)
        tour.call("GET", "/repos/{}/{}/installation", OWNER, NAME, login=app_jwt)
        tour.call("POST", "/app/installations/{}/access_tokens", installations[0]["id"], login=app_jwt)
    deliveries = tour.call("GET", "/app/hook/deliveries", login=app_jwt)
    if deliveries:
        first = deliveries[-1]["id"]
        tour.call("GET", "/app/hook/deliveries/{}", first, login=app_jwt)
        tour.call("POST", "/app/hook/deliveries/{}/attempts", first, login=app_jwt)
    if hook:
        tour.call("GET", "/repos/{}/{}/hooks", OWNER, NAME)
        tour.call("GET", "/repos/{}/{}/hooks/{}", OWNER, NAME, hook["id"])
        listed = tour.call("GET", "/repos/{}/{}/hooks/{}/deliveries", OWNER, NAME, hook["id"])
        if listed:
            tour.call("GET", "/repos/{}/{}/hooks/{}/deliveries/{}", OWNER, NAME, hook["id"], listed[-1]["id"])
            tour.call(
                "POST",
                "/repos/{}/{}/hooks/{}/deliveries/{}/attempts",
                OWNER,
                NAME,
                hook["id"],
                listed[-1]["id"],
            )
        tour.call(
            "PATCH", "/repos/{}/{}/hooks/{}", OWNER, NAME, hook["id"], json={"events": ["*"], "active": True}
        )
        tour.call("POST", "/repos/{}/{}/hooks/{}/pings", OWNER, NAME, hook["id"])
        spare = tour.call(
            "POST",
            "/repos/{}/{}/hooks",
            OWNER,
            NAME,
            json={
                "name": "web",
                "config": {"url": receiver_url + "/spare", "content_type": "json", "secret": SECRET},
            },
        )
        if spare:
            tour.call("DELETE", "/repos/{}/{}/hooks/{}", OWNER, NAME, spare["id"])
    tour.call("GET", "/rate_limit")


def b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


def wait_quiet(tour: Tour, quiet: float = 0.3, limit: float = 10.0) -> None:
    """Until no webhook has arrived for `quiet` seconds."""
    deadline = time.monotonic() + limit
    count, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        if len(tour.received) != count:
            count, since = len(tour.received), time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.02)


@contextlib.contextmanager
def touring(state_dir: Path) -> Iterator[Tour]:
    """A sandbox with a receiver for both its App hook and a repository hook, the tour driven through it."""
    received: list[Received] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(Received({key.lower(): value for key, value in self.headers.items()}, body))
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    running: RunningSandbox = start_sandbox(state_dir, webhook_url=url + "/app", webhook_secret=SECRET)
    try:
        with httpx.Client(base_url=running.api_url, timeout=30) as client:
            walk = Tour(client, received=received)
            drive(walk, url)
            running.webhooks.wait_idle()
            wait_quiet(walk)
            yield walk
    finally:
        running.stop()
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tour]:
    with touring(tmp_path_factory.mktemp("schemas")) as walk:
        yield walk


# the tests


def test_every_served_route_has_a_schema() -> None:
    missing = sorted(route for route in SERVED if route not in SCHEMAS)
    assert not missing, (
        "tests/sandbox/test_schemas.py: SCHEMAS has no GitHub model for these served routes; add each with "
        f"the status and model githubkit declares for it: {missing}"
    )


@pytest.mark.parametrize("route", sorted(SCHEMAS), ids=" ".join)
def test_the_schema_table_names_githubkits_model(route: tuple[str, str]) -> None:
    declared = declared_operations()
    described = ALIASES.get(route, route)
    assert described in declared, f"{route} is not an operation of GitHub's REST description"
    _status, model = SCHEMAS[route]
    if route in DECLARED_OTHERWISE:
        assert declared[described] == DECLARED_OTHERWISE[route]
    else:
        assert model == declared[described], f"githubkit declares {declared[described]} for {route}"
    if model is not None:
        resolve_type(model)


def route_params(routes: list[tuple[str, str]]) -> list[Any]:
    return [
        pytest.param(
            route,
            id=" ".join(route),
            marks=pytest.mark.xfail(
                not served(route), strict=True, reason="the sandbox does not serve it yet"
            ),
        )
        for route in routes
    ]


@pytest.mark.parametrize("route", route_params(sorted(SCHEMAS)))
def test_response_matches_githubs_schema(tour: Tour, route: tuple[str, str]) -> None:
    status, model = SCHEMAS[route]
    exchanges = tour.exchanges.get(route, [])
    assert exchanges, f"the tour did not reach {' '.join(route)} (an earlier step it needs failed)"
    found: list[str] = []
    for exchange in exchanges:
        where = f"{exchange.method} {exchange.url}"
        if exchange.status >= 300:
            found.append(f"{where}: {exchange.status} {exchange.body[:300]!r}")
            continue
        if route[0] == "PUT" and route[1].endswith("/contents/{}") and exchange.status == 200:
            pass  # an update answers 200, a creation 201
        elif exchange.status != status:
            found.append(f"{where}: status {exchange.status}, GitHub answers {status}")
        if model is None:
            if exchange.body.strip():
                found.append(f"{where}: a body where GitHub answers none")
            continue
        found.extend(
            f"{exchange.method} {route[1]}: {model}: {problem}" for problem in problems(model, exchange.body)
        )
    assert not found, "\n".join(dict.fromkeys(found))


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refusal_is_githubs(tour: Tour, case: str) -> None:
    statuses, text = REFUSALS[case]
    assert case in tour.refused, f"the tour did not try {case!r} (an earlier step it needs failed)"
    exchange = tour.refused[case]
    where = f"{exchange.method} {exchange.url}"
    assert exchange.status in statuses, (
        f"{where}: {exchange.status} {exchange.body[:300]!r}, GitHub answers {statuses}"
    )
    model = REFUSAL_MODELS.get(case) or error_model(exchange.route, exchange.status)
    found = problems(model, exchange.body)
    assert not found, "\n".join(f"{where}: {model}: {problem}" for problem in found)
    body = json.loads(exchange.body)
    said = " ".join(
        [str(body.get("message", ""))]
        + [str(e.get("message", "")) for e in body.get("errors", []) if isinstance(e, dict)]
    )
    assert text in said, f"{where}: {said!r} does not say {text!r}"
    assert body.get("documentation_url", "").startswith("https://docs.github.com/"), body


def webhook_params() -> list[Any]:
    return [
        pytest.param(
            key,
            id=f"{key[0]}.{key[1] or ''}".rstrip("."),
            marks=pytest.mark.xfail(
                not served(trigger), strict=True, reason=f"{' '.join(trigger)} is not served yet"
            ),
        )
        for key, (_model, trigger) in sorted(
            WEBHOOKS.items(), key=lambda item: (item[0][0], item[0][1] or "")
        )
    ]


@pytest.mark.parametrize("kind", webhook_params())
def test_webhook_payload_matches_githubs_schema(tour: Tour, kind: tuple[str, str | None]) -> None:
    model, _trigger = WEBHOOKS[kind]
    sent = [item for item in tour.received if (item.event, item.action) == kind]
    assert sent, f"the tour's calls sent no {kind} webhook"
    found = [
        f"{item.event}.{item.action} ({item.headers['x-github-delivery']}): {model}: {problem}"
        for item in sent
        for problem in problems(model, item.body)
    ]
    assert not found, "\n".join(found)


def test_every_webhook_sent_has_a_schema_and_githubs_headers(tour: Tour) -> None:
    assert tour.received, "the tour's calls sent no webhook"
    unknown = sorted(
        {(item.event, item.action or "") for item in tour.received} - {(e, a or "") for e, a in WEBHOOKS}
    )
    assert not unknown, f"WEBHOOKS has no githubkit model for these events the sandbox sent: {unknown}"
    for item in tour.received:
        headers = item.headers
        assert re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", headers["x-github-delivery"]
        )
        assert headers["user-agent"].startswith("GitHub-Hookshot/")
        assert headers["x-github-hook-id"].isdigit()
        assert headers["content-type"] == "application/json"
        expected = "sha256=" + hmac.new(SECRET.encode(), item.body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["x-hub-signature-256"], expected), item.event


def report() -> str:
    """Markdown: every mismatch between the sandbox's answers and webhooks and GitHub's schemas."""
    with tempfile.TemporaryDirectory() as scratch, touring(Path(scratch)) as walk:
        return mismatches(walk)


def mismatches(walk: Tour) -> str:
    lines = [f"# The sandbox against GitHub's schemas (githubkit {SCHEMA_VERSION})", ""]
    for route, (_status, model) in sorted(SCHEMAS.items()):
        if not served(route):
            lines.append(f"- `{' '.join(route)}`: not served yet")
            continue
        found = []
        for exchange in walk.exchanges.get(route, []):
            if exchange.status >= 300:
                found.append(f"answered {exchange.status}: {exchange.body[:200]!r}")
            elif model is not None:
                found.extend(problems(model, exchange.body))
        if not walk.exchanges.get(route):
            found.append("not reached by the tour")
        for problem in dict.fromkeys(found):
            lines.append(f"- `{' '.join(route)}` ({model}): {problem}")
    for kind, (model, _trigger) in sorted(WEBHOOKS.items(), key=lambda item: (item[0][0], item[0][1] or "")):
        sent = [item for item in walk.received if (item.event, item.action) == kind]
        name = f"{kind[0]}.{kind[1]}" if kind[1] else kind[0]
        if not sent:
            lines.append(f"- webhook `{name}`: not sent")
        for problem in dict.fromkeys(problem for item in sent for problem in problems(model, item.body)):
            lines.append(f"- webhook `{name}` ({model}): {problem}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report())
