"""Issues (a PR is one too), one issue comment by id (read, edit, delete) and reactions on comments, with
the `issues` and `issue_comment` webhooks GitHub sends for them."""

from __future__ import annotations

from typing import Any

from accelerator.sandbox import validate
from accelerator.sandbox.core import Call, Handler, Result, Sandbox, number, paginate
from accelerator.sandbox.errors import validation_failed
from accelerator.sandbox.shapes import REACTIONS
from accelerator.sandbox.state import Record, now


def body_text(call: Call, resource: str, required: bool = False) -> str:
    """A `body` field: at most 65,536 characters, as GitHub limits every comment, issue and PR body."""
    return validate.text(
        call.body.get("body"), "body", resource, validate.MAX_COMMENT_CHARS, required=required
    )


def may_moderate(sandbox: Sandbox, repository: Record, login: str, author: str) -> None:
    """The author edits or deletes their own comment; others need push permission (403 otherwise)."""
    if login.lower() != author.lower():
        sandbox.state.require(repository, login, "push")


# issues


def create_issue(sandbox: Sandbox, call: Call) -> Result:
    repository = sandbox.repository(call)
    sandbox.state.require(repository, call.user, "pull")
    title = call.body.get("title")
    if isinstance(title, int) and not isinstance(title, bool):
        title = str(title)
    title = validate.text(title, "title", "Issue", validate.MAX_TITLE_CHARS)
    issue = sandbox.state.create_issue(repository, call.user, title, body_text(call, "Issue"))
    shaped = sandbox.shapes.issue(repository, issue)
    sandbox.emit("issues", repository, call.user, action="opened", issue=shaped)
    return 201, shaped


def list_issues(sandbox: Sandbox, call: Call) -> Result:
    """Issues and PRs (GitHub lists both here), newest first, by `state` (open by default)."""
    repository = sandbox.repository(call)
    wanted = call.query.get("state", "open")
    if wanted not in ("open", "closed", "all"):
        raise validation_failed("Issue", "state", "state must be one of open, closed, all", code="invalid")
    records = [*repository["issues"].values(), *repository["pulls"].values()]
    found = [record for record in records if wanted == "all" or record["state"] == wanted]
    found.sort(key=lambda record: -int(record["number"]))
    return 200, [sandbox.shapes.issue(repository, record) for record in paginate(call, found)]


def get_issue(sandbox: Sandbox, call: Call) -> Result:
    repository = sandbox.repository(call)
    return 200, sandbox.shapes.issue(repository, sandbox.state.issue(repository, number(call)))


def edit_record(sandbox: Sandbox, call: Call, repository: Record, record: Record, resource: str) -> list[str]:
    """Apply `title`, `body` and `state` to an issue or a PR; returns the webhook actions it makes
    (`edited` first, with its `changes` kept on the record for the payload, then `closed`/`reopened`)."""
    author = str(record["user"])
    may_moderate(sandbox, repository, call.user, author)
    changes: dict[str, Any] = {}
    with sandbox.state.lock:
        if "title" in call.body:
            title = validate.text(call.body["title"], "title", resource, validate.MAX_TITLE_CHARS)
            if title != record["title"]:
                changes["title"] = {"from": record["title"]}
                record["title"] = title
        if "body" in call.body:
            body = body_text(call, resource) or None
            if body != record["body"]:
                changes["body"] = {"from": record["body"] or ""}
                record["body"] = body
        actions = ["edited"] if changes else []
        state = call.body.get("state")
        if state is not None:
            if state not in ("open", "closed"):
                raise validation_failed(resource, "state", "state must be open or closed", code="invalid")
            if state != record["state"]:
                if record.get("merged"):
                    raise validation_failed(resource, "state", "A merged pull request cannot be reopened")
                record["state"] = state
                record["closed_at"] = now() if state == "closed" else None
                record["closed_by"] = call.user if state == "closed" else None
                actions.append("closed" if state == "closed" else "reopened")
        if actions:
            record["updated_at"] = now()
            record["last_changes"] = changes
            sandbox.state.record_changed(repository, record)
    return actions


def edit_issue(sandbox: Sandbox, call: Call) -> Result:
    repository = sandbox.repository(call)
    issue = sandbox.state.issue(repository, number(call))
    is_pull = issue is repository["pulls"].get(str(issue["number"]))
    actions = edit_record(sandbox, call, repository, issue, "Issue")
    for action in actions:
        extra = {"changes": issue.get("last_changes", {})} if action == "edited" else {}
        if is_pull:
            shaped_pull = sandbox.shapes.pull(repository, issue, full=True)
            sandbox.emit(
                "pull_request",
                repository,
                call.user,
                action=action,
                number=issue["number"],
                pull_request=shaped_pull,
                **extra,
            )
        else:
            sandbox.emit(
                "issues",
                repository,
                call.user,
                action=action,
                issue=sandbox.shapes.issue(repository, issue),
                **extra,
            )
    return 200, sandbox.shapes.issue(repository, issue)


# one issue comment


def comment_of(sandbox: Sandbox, call: Call) -> tuple[Record, Record]:
    repository = sandbox.repository(call)
    return repository, sandbox.state.comment(repository, number(call, "comment_id"))


def get_comment(sandbox: Sandbox, call: Call) -> Result:
    repository, comment = comment_of(sandbox, call)
    return 200, sandbox.shapes.issue_comment(repository, comment)


def edit_comment(sandbox: Sandbox, call: Call) -> Result:
    repository, comment = comment_of(sandbox, call)
    may_moderate(sandbox, repository, call.user, comment["user"])
    body = body_text(call, "IssueComment", required=True)
    previous = sandbox.state.edit_comment(repository, comment, body)
    shaped = sandbox.shapes.issue_comment(repository, comment)
    sandbox.emit(
        "issue_comment",
        repository,
        call.user,
        action="edited",
        changes={"body": {"from": previous}},
        issue=sandbox.shapes.issue(repository, sandbox.state.issue(repository, comment["number"])),
        comment=shaped,
    )
    return 200, shaped


def delete_comment(sandbox: Sandbox, call: Call) -> Result:
    repository, comment = comment_of(sandbox, call)
    may_moderate(sandbox, repository, call.user, comment["user"])
    shaped = sandbox.shapes.issue_comment(repository, comment)
    sandbox.state.delete_comment(repository, comment)
    sandbox.emit(
        "issue_comment",
        repository,
        call.user,
        action="deleted",
        issue=sandbox.shapes.issue(repository, sandbox.state.issue(repository, comment["number"])),
        comment=shaped,
    )
    return 204, None


# reactions


def reaction_content(call: Call) -> str:
    content = call.body.get("content")
    if content not in REACTIONS:
        raise validation_failed(
            "Reaction", "content", f"content must be one of {', '.join(REACTIONS)}", "invalid"
        )
    return str(content)


def react(sandbox: Sandbox, call: Call, subject: str) -> Result:
    repository = sandbox.repository(call)
    sandbox.state.require(repository, call.user, "pull")
    subject_id = number(call, "comment_id")
    if subject == "issue_comment":
        sandbox.state.comment(repository, subject_id)
    else:
        sandbox.state.find(repository, "review_comments", subject_id)
    reaction, created = sandbox.state.react(
        repository, subject, subject_id, call.user, reaction_content(call)
    )
    return (201 if created else 200), sandbox.shapes.reaction(reaction)


def reactions(sandbox: Sandbox, call: Call, subject: str) -> Result:
    repository = sandbox.repository(call)
    subject_id = number(call, "comment_id")
    if subject == "issue_comment":
        sandbox.state.comment(repository, subject_id)
    else:
        sandbox.state.find(repository, "review_comments", subject_id)
    wanted = call.query.get("content")
    found = [
        reaction
        for reaction in sandbox.state.reactions(repository, subject, subject_id)
        if wanted is None or reaction["content"] == wanted
    ]
    return 200, [sandbox.shapes.reaction(reaction) for reaction in paginate(call, found)]


def react_issue_comment(sandbox: Sandbox, call: Call) -> Result:
    return react(sandbox, call, "issue_comment")


def react_review_comment(sandbox: Sandbox, call: Call) -> Result:
    return react(sandbox, call, "review_comment")


def issue_comment_reactions(sandbox: Sandbox, call: Call) -> Result:
    return reactions(sandbox, call, "issue_comment")


def review_comment_reactions(sandbox: Sandbox, call: Call) -> Result:
    return reactions(sandbox, call, "review_comment")


REPO = "/repos/{owner}/{repo}"
ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", REPO + "/issues/comments/{comment_id}", get_comment),
    ("PATCH", REPO + "/issues/comments/{comment_id}", edit_comment),
    ("DELETE", REPO + "/issues/comments/{comment_id}", delete_comment),
    ("POST", REPO + "/issues/comments/{comment_id}/reactions", react_issue_comment),
    ("GET", REPO + "/issues/comments/{comment_id}/reactions", issue_comment_reactions),
    ("POST", REPO + "/pulls/comments/{comment_id}/reactions", react_review_comment),
    ("GET", REPO + "/pulls/comments/{comment_id}/reactions", review_comment_reactions),
    ("POST", REPO + "/issues", create_issue),
    ("GET", REPO + "/issues", list_issues),
    ("GET", REPO + "/issues/{number}", get_issue),
    ("PATCH", REPO + "/issues/{number}", edit_issue),
]
