"""What every handler works with: the request read (`Call`), the sandbox (state, shapes, webhooks),
ref resolution, pagination, and the events a ref move sends (`push`, then `pull_request` `synchronize`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from accelerator.sandbox import validate
from accelerator.sandbox.errors import GitHubError, not_found
from accelerator.sandbox.git import ZERO_SHA
from accelerator.sandbox.shapes import Shapes
from accelerator.sandbox.state import Record, SandboxState
from accelerator.sandbox.webhooks import WebhookSender

log = logging.getLogger("accelerator.sandbox")
PUSH_COMMITS = 20  # GitHub lists at most 20 commits in a push payload


@dataclass
class Call:
    """One request, read: who asks, the path parameters, the query and the JSON body; `headers` are
    extra response headers a handler sets (pagination's `Link`)."""

    login: str | None
    params: dict[str, str]
    query: dict[str, str]
    body: dict[str, Any]
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def user(self) -> str:
        if self.login is None:
            raise GitHubError(401, "Requires authentication")
        return self.login


Result = tuple[int, Any]
Handler = Callable[["Sandbox", Call], Result]


def bearer(header: str | None) -> str | None:
    """The login an `Authorization: token LOGIN` or `Bearer LOGIN` header names."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() not in ("token", "bearer") or not token.strip():
        raise GitHubError(401, "Bad credentials")
    login = token.strip()
    if not validate.LOGIN.match(login):
        raise GitHubError(401, "Bad credentials")
    return login


class Sandbox:
    """The state, its JSON shapes and the webhook sender: what every handler works with."""

    def __init__(self, state: SandboxState, api_url: str, webhooks: WebhookSender) -> None:
        self.state = state
        self.shapes = Shapes(state, api_url)
        self.webhooks = webhooks

    def repository(self, call: Call) -> Record:
        return self.state.repository(call.params["owner"], call.params["repo"], call.login)

    def writable(self, call: Call) -> Record:
        """The repository, once the caller is known to hold push permission on it."""
        repository = self.repository(call)
        self.state.require(repository, call.user, "push")
        return repository

    def emit(self, event: str, repository: Record, sender: str, **payload: Any) -> None:
        self.webhooks.send(
            event,
            {
                **payload,
                "repository": self.shapes.repository(repository),
                "sender": self.shapes.user(sender),
                "installation": {"id": 1, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ"},
            },
            repository,
        )

    def pushed(self, repository: Record, ref: str, before: str, after: str, sender: str) -> None:
        """A ref moved (any write to a branch or tag): `push`, then `synchronize` for the PRs it heads."""
        git = self.state.git(repository)
        forced = before != ZERO_SHA and after != ZERO_SHA and not git.is_ancestor(before, after)
        if after == ZERO_SHA:
            shas: list[str] = []
        elif before == ZERO_SHA:
            others = [sha for name, sha in git.refs("refs/heads/").items() if name != ref]
            # a branch made where another is (the usual new branch) brings no commit: no git process
            shas = [] if after in others else git.rev_list(after, exclude=others, limit=PUSH_COMMITS)
        else:
            shas = git.rev_list(after, exclude=[before], limit=PUSH_COMMITS)
        commits = [
            self.shapes.push_commit(repository, git.commit(sha), git.changed_paths(sha)) for sha in shas
        ]
        commits.reverse()  # oldest first, as GitHub lists them
        head = None
        if after != ZERO_SHA:
            head = commits[-1] if commits else self.shapes.push_commit(repository, git.commit(after), {})
        full_name = f"{repository['owner']}/{repository['name']}"
        pusher = self.state.user(sender)["login"]
        self.emit(
            "push",
            repository,
            sender,
            ref=ref,
            before=before,
            after=after,
            created=before == ZERO_SHA,
            deleted=after == ZERO_SHA,
            forced=forced,
            base_ref=None,
            compare=f"{self.shapes.web}/{full_name}/compare/{before[:12]}...{after[:12]}",
            commits=commits,
            head_commit=head,
            pusher={"name": pusher, "email": f"{pusher}@users.noreply.sandbox"},
        )
        if ref.startswith("refs/heads/"):
            self.branch_moved(repository, ref.removeprefix("refs/heads/"), sender)

    def branch_moved(self, repository: Record, branch: str, sender: str) -> None:
        """Every open PR whose head moved gets `pull_request` `synchronize`, as any push does."""
        moved = [(repository, pull) for pull in self.state.synchronize(repository, branch)]
        moved += self.state.fork_pulls_moved(repository, branch)  # a fork's PRs upstream
        for base, pull in moved:
            self.emit(
                "pull_request",
                base,
                sender,
                action="synchronize",
                number=pull["number"],
                before=pull.get("previous_head_sha"),
                after=pull["head_sha"],
                pull_request=self.shapes.pull(base, pull, full=True),
            )


def resolve(sandbox: Sandbox, repository: Record, ref: str, missing: int = 404) -> str:
    """A branch, tag, full ref or SHA, as GitHub's `ref` parameters accept, to a commit SHA (or 404, or
    with `missing=422` the answer of the commits endpoints)."""
    git = sandbox.state.git(repository)
    candidates = [ref] if validate.SHA.match(ref) else []
    for prefix in ("refs/heads/", "refs/tags/", ""):
        name = f"{prefix}{ref}"
        try:
            candidates.append(validate.ref_name(name))
        except GitHubError:
            continue
    for candidate in candidates:
        commit = git.resolve_commit(candidate)
        if commit is not None:
            return commit
    if missing == 422:
        raise GitHubError(422, f"No commit found for SHA: {ref}")
    raise GitHubError(404, f"No commit found for the ref {ref}")


def number(call: Call, key: str = "number") -> int:
    value = call.params[key]
    if not value.isdigit() or len(value) > 12:
        raise not_found()
    return int(value)


def integer(value: object, field_name: str, resource: str, required: bool = True) -> int | None:
    """A JSON integer field (not a bool), or a 422 naming it."""
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise GitHubError(
            422, "Invalid request.", [{"resource": resource, "field": field_name, "code": "invalid"}]
        )
    return value


def page_numbers(call: Call) -> tuple[int, int]:
    def read(name: str, default: int) -> int:
        value = call.query.get(name, "")
        return int(value) if value.isdigit() and 0 < len(value) < 7 else default

    return read("page", 1), min(max(read("per_page", 30), 1), 100)


def paginate(call: Call, items: list[Any]) -> list[Any]:
    """One page of `items` (`page`, `per_page`: 30 by default, 100 at most) with GitHub's `Link` header."""
    page, per_page = page_numbers(call)
    last = max(1, -(-len(items) // per_page))
    if call.url and last > 1:
        parts = urlsplit(call.url)
        query = dict(parse_qsl(parts.query))

        def link(target: int, rel: str) -> str:
            wanted = urlencode({**query, "page": str(target), "per_page": str(per_page)})
            return f'<{urlunsplit(parts._replace(query=wanted))}>; rel="{rel}"'

        links = []
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links += [link(1, "first"), link(page - 1, "prev")]
        if links:
            call.headers["Link"] = ", ".join(links)
    return items[(page - 1) * per_page : page * per_page]
