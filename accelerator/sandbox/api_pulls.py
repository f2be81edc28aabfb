"""A PR's edits, files, commits and merge (a real merge commit on its base), its review comments (on a
line of its diff, replies in threads) and its reviews, with the webhooks GitHub sends for each."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from accelerator.sandbox import validate
from accelerator.sandbox.api_issues import body_text, edit_record, may_moderate
from accelerator.sandbox.core import Call, Handler, Result, Sandbox, integer, number, paginate
from accelerator.sandbox.errors import GitHubError, not_found, validation_failed
from accelerator.sandbox.git import Signature
from accelerator.sandbox.state import Record, now

HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")
NOT_IN_DIFF = "Pull request review thread line must be part of the diff and Pull request review thread diff hunk can't be blank"
MAX_PULL_COMMITS = 250  # GitHub lists at most 250 commits of a PR


def unprocessable(*errors: str) -> GitHubError:
    """GitHub's 422 for review threads and reviews: `Unprocessable Entity` with sentences as errors."""
    return GitHubError(422, "Unprocessable Entity", list(errors))


def pull_of(sandbox: Sandbox, call: Call) -> tuple[Record, Record]:
    repository = sandbox.repository(call)
    return repository, sandbox.state.pull(repository, number(call))


def emit_pull(
    sandbox: Sandbox, repository: Record, pull: Record, sender: str, action: str, **extra: Any
) -> None:
    sandbox.emit(
        "pull_request",
        repository,
        sender,
        action=action,
        number=pull["number"],
        pull_request=sandbox.shapes.pull(repository, pull, full=True),
        **extra,
    )


# the PR itself


def edit_pull(sandbox: Sandbox, call: Call) -> Result:
    repository, pull = pull_of(sandbox, call)
    git = sandbox.state.git(repository)
    base_change: dict[str, Any] = {}
    if "base" in call.body:
        base = validate.branch_name(str(call.body["base"]))
        if git.resolve_commit(f"refs/heads/{base}") is None:
            raise validation_failed("PullRequest", "base", f"Proposed base branch '{base}' was not found")
        if base != pull["base"]:
            may_moderate(sandbox, repository, call.user, pull["user"])
            base_change = {"base": {"ref": {"from": pull["base"]}, "sha": {"from": pull["base_sha"]}}}
    reopened = call.body.get("state") == "open" and pull["state"] == "closed"
    if reopened and git.resolve_commit(f"refs/heads/{pull['head']}") is None:
        raise validation_failed("PullRequest", "state", "The head branch no longer exists")
    actions = edit_record(sandbox, call, repository, pull, "PullRequest")
    if base_change:
        with sandbox.state.lock:
            pull["base"] = str(call.body["base"])
            tip = git.resolve_commit(f"refs/heads/{pull['base']}")
            pull["base_sha"] = tip
            pull["updated_at"] = now()
            sandbox.state.changed_in(repository, "pulls", str(pull["number"]))
        if "edited" not in actions:
            actions.insert(0, "edited")
    for action in actions:
        extra = {"changes": {**pull.get("last_changes", {}), **base_change}} if action == "edited" else {}
        emit_pull(sandbox, repository, pull, call.user, action, **extra)
    return 200, sandbox.shapes.pull(repository, pull, full=True)


def pull_files(sandbox: Sandbox, call: Call) -> Result:
    repository, pull = pull_of(sandbox, call)
    changes = sandbox.state.pull_files(repository, pull)
    return 200, [
        sandbox.shapes.file(repository, change, pull["head_sha"]) for change in paginate(call, changes)
    ]


def pull_commits(sandbox: Sandbox, call: Call) -> Result:
    repository, pull = pull_of(sandbox, call)
    git = sandbox.state.git(repository)
    shas = git.rev_list(
        pull["head_sha"], exclude=[sandbox.state.pull_base(repository, pull)], limit=MAX_PULL_COMMITS
    )
    shas.reverse()  # oldest first
    return 200, [sandbox.shapes.rest_commit(repository, git.commit(sha)) for sha in paginate(call, shas)]


def merge_pull(sandbox: Sandbox, call: Call) -> Result:
    """A real merge (or squash, or rebase of a linear branch) on the base branch; 405 on a conflict."""
    repository = sandbox.writable(call)
    pull = sandbox.state.pull(repository, number(call))
    git = sandbox.state.git(repository)
    method = call.body.get("merge_method", "merge")
    if method not in ("merge", "squash", "rebase"):
        raise validation_failed("PullRequest", "merge_method", "merge_method must be merge, squash or rebase")
    title = validate.text(call.body.get("commit_title"), "commit_title", "PullRequest", 1024, required=False)
    message = validate.text(
        call.body.get("commit_message"), "commit_message", "PullRequest", 65536, required=False
    )
    user = sandbox.state.user(call.user)["login"]
    me = Signature(user, f"{user}@users.noreply.sandbox", now())
    with sandbox.state.lock:
        if pull["state"] != "open":
            raise GitHubError(405, "Pull Request is not mergeable")
        expected = call.body.get("sha")
        if expected is not None and expected != pull["head_sha"]:
            raise GitHubError(409, "Head branch was modified. Review and try the merge again.")
        base_ref = f"refs/heads/{pull['base']}"
        base_tip = git.resolve_commit(base_ref)
        if base_tip is None:
            raise GitHubError(405, "Base branch was modified. Review and try the merge again.")
        head = pull["head_sha"]
        if method == "rebase":
            if not git.is_ancestor(base_tip, head):
                raise GitHubError(405, "This branch can't be rebased")
            merged = base_tip
            for sha in reversed(git.rev_list(head, exclude=[base_tip])):
                info = git.commit(sha)
                merged = git.commit_tree(info.tree, [merged], info.message, info.author, me)
        else:
            tree = git.merge_trees(base_tip, head)
            if tree is None:
                raise GitHubError(405, "Pull Request is not mergeable")
            if method == "merge":
                first = (
                    title or f"Merge pull request #{pull['number']} from {repository['owner']}/{pull['head']}"
                )
                text = f"{first}\n\n{message or pull['title']}\n"
                merged = git.commit_tree(tree, [base_tip, head], text, me, me)
            else:
                first = title or f"{pull['title']} (#{pull['number']})"
                listed = "\n\n".join(
                    f"* {git.commit(sha).message.strip()}"
                    for sha in reversed(git.rev_list(head, exclude=[base_tip]))
                )
                merged = git.commit_tree(tree, [base_tip], f"{first}\n\n{message or listed}\n", me, me)
        git.update_ref(base_ref, merged, base_tip)
        pull.update(
            {
                "state": "closed",
                "merged": True,
                "merged_at": now(),
                "closed_at": now(),
                "merged_by": user,
                "merge_commit_sha": merged,
                "merged_base_sha": base_tip,
                "updated_at": now(),
            }
        )
        repository["pushed_at"] = now()
        sandbox.state.changed_in(repository, "pulls", str(pull["number"]))
        sandbox.state.changed_in(repository, "pushed_at")
    sandbox.pushed(repository, base_ref, base_tip, merged, call.user)
    emit_pull(sandbox, repository, pull, call.user, "closed")
    return 200, {"sha": merged, "merged": True, "message": "Pull Request successfully merged"}


def merged_status(sandbox: Sandbox, call: Call) -> Result:
    _, pull = pull_of(sandbox, call)
    if not pull.get("merged"):
        raise not_found()
    return 204, None


# where a review comment goes on the diff


@dataclass(frozen=True)
class Spot:
    """A commentable line of a file's diff: its position (lines below the first `@@`) and its hunk."""

    position: int
    hunk: int  # which hunk of the file
    diff_hunk: str  # the hunk's text up to this line


def spots(patch: str) -> dict[tuple[str, int], Spot]:
    """Every line a review comment may name in a file's patch: (side, line number) -> where it is."""
    found: dict[tuple[str, int], Spot] = {}
    lines = patch.split("\n")
    old = new = position = hunk_start = 0
    hunk = -1
    for index, text in enumerate(lines):
        header = HUNK.match(text)
        if header:
            if hunk >= 0:
                position += 1  # a later hunk's header counts as a position, as GitHub counts them
            old, new, hunk, hunk_start = int(header.group(1)), int(header.group(2)), hunk + 1, index
            continue
        position += 1
        if text.startswith("\\") or hunk < 0:
            continue
        spot = Spot(position, hunk, "\n".join(lines[hunk_start : index + 1]))
        if text.startswith("-"):
            found[("LEFT", old)] = spot
            old += 1
        elif text.startswith("+"):
            found[("RIGHT", new)] = spot
            new += 1
        else:
            found[("LEFT", old)] = spot
            found[("RIGHT", new)] = spot
            old += 1
            new += 1
    return found


def side_of(value: object, field: str) -> str:
    side = "RIGHT" if value is None else value
    if side not in ("LEFT", "RIGHT"):
        raise validation_failed(
            "PullRequestReviewComment", field, f"{field} must be LEFT or RIGHT", code="invalid"
        )
    return str(side)


def place(
    sandbox: Sandbox, repository: Record, pull: Record, commit: str, entry: dict[str, Any]
) -> dict[str, Any]:
    """Where an inline comment goes (`path` + `line` + `side`, optionally `start_line`, or the legacy
    `position`, or `subject_type: file`): the fields its record keeps, or GitHub's 422."""
    path = entry.get("path")
    if not isinstance(path, str) or not path:
        raise validation_failed(
            "PullRequestReviewComment", "path", "path wasn't supplied.", code="missing_field"
        )
    changes = {change.path: change for change in sandbox.state.pull_files(repository, pull, commit=commit)}
    change = changes.get(path)
    if change is None:
        raise unprocessable("Path could not be resolved")
    found = spots(change.patch or "")
    where: dict[str, Any] = {"path": path, "commit_id": commit, "start_line": None, "start_side": None}
    if entry.get("subject_type") == "file":
        return {
            **where,
            "line": None,
            "side": None,
            "position": None,
            "diff_hunk": "",
            "subject_type": "file",
        }
    if entry.get("line") is None and entry.get("position") is not None:
        position = integer(entry.get("position"), "position", "PullRequestReviewComment")
        matches = [(key, spot) for key, spot in found.items() if spot.position == position]
        if not matches:
            raise unprocessable(NOT_IN_DIFF)
        (on_side, on_line), at = sorted(matches, key=lambda match: match[0][0] != "RIGHT")[0]
        return {**where, "line": on_line, "side": on_side, "position": at.position, "diff_hunk": at.diff_hunk}
    line = integer(entry.get("line"), "line", "PullRequestReviewComment") or 0
    side = side_of(entry.get("side"), "side")
    spot = found.get((side, line))
    if spot is None:
        raise unprocessable(NOT_IN_DIFF)
    if entry.get("start_line") is not None:
        start_line = integer(entry.get("start_line"), "start_line", "PullRequestReviewComment") or 0
        start_side = side_of(entry.get("start_side") or side, "start_side")
        start = found.get((start_side, start_line))
        if start is None:
            raise unprocessable(NOT_IN_DIFF)
        if start.hunk != spot.hunk:
            raise unprocessable(
                "Pull request review thread start line must be part of the same hunk as the line."
            )
        if start.position >= spot.position:
            raise unprocessable("Pull request review thread start line must precede the end line.")
        where.update(start_line=start_line, start_side=start_side)
    return {**where, "line": line, "side": side, "position": spot.position, "diff_hunk": spot.diff_hunk}


def commit_of(sandbox: Sandbox, repository: Record, pull: Record, value: object) -> str:
    """A comment's `commit_id`: one of the PR's commits (its head by default)."""
    if value is None:
        return str(pull["head_sha"])
    sha = validate.sha(value, "commit_id")
    git = sandbox.state.git(repository)
    if sha != pull["head_sha"] and (
        git.object_type(sha) != "commit" or not git.is_ancestor(sha, pull["head_sha"])
    ):
        raise unprocessable("Commit could not be resolved")  # not a commit of this PR
    return sha


def new_review(sandbox: Sandbox, pull: Record, user: str, body: str, state: str, commit: str) -> Record:
    return {
        "id": sandbox.state.new_id(),
        "number": pull["number"],
        "user": sandbox.state.user(user)["login"],
        "body": body,
        "state": state,
        "commit_id": commit,
        "submitted_at": now() if state != "PENDING" else None,
    }


def new_comment(
    sandbox: Sandbox,
    pull: Record,
    review: Record,
    user: str,
    body: str,
    where: dict[str, Any],
    reply_to: int | None,
) -> Record:
    return {
        "id": sandbox.state.new_id(),
        "number": pull["number"],
        "review_id": review["id"],
        "user": review["user"],
        "body": body,
        "in_reply_to": reply_to,
        "subject_type": "line",
        "created_at": now(),
        "updated_at": now(),
        **where,
    }


def webhook_review(sandbox: Sandbox, repository: Record, review: Record) -> dict[str, Any]:
    """A review as `pull_request_review` payloads carry it: its state in lower case (the REST API's is
    upper case)."""
    shaped = sandbox.shapes.review(repository, review)
    shaped["state"] = str(review["state"]).lower()
    return shaped


def post_review_comment(sandbox: Sandbox, call: Call, reply_to: int | None) -> Result:
    repository, pull = pull_of(sandbox, call)
    sandbox.state.require(repository, call.user, "pull")
    body = body_text(call, "PullRequestReviewComment", required=True)
    if reply_to is not None:
        parent = sandbox.state.find(repository, "review_comments", reply_to)
        if parent["number"] != pull["number"]:
            raise not_found()
        root = parent["in_reply_to"] or parent["id"]  # replies join the thread's first comment
        where = {
            key: parent[key] for key in ("path", "commit_id", "start_line", "start_side", "line", "side")
        }
        where.update(position=parent["position"], diff_hunk=parent["diff_hunk"])
        where["subject_type"] = parent.get("subject_type", "line")
    else:
        root = None
        commit = commit_of(sandbox, repository, pull, call.body.get("commit_id"))
        where = place(sandbox, repository, pull, commit, call.body)
    with sandbox.state.lock:
        review = new_review(sandbox, pull, call.user, "", "COMMENTED", where["commit_id"])
        comment = new_comment(sandbox, pull, review, call.user, body, where, root)
        repository["reviews"].append(review)
        repository["review_comments"].append(comment)
        sandbox.state.item(repository, "reviews", review)
        sandbox.state.item(repository, "review_comments", comment)
    shaped = sandbox.shapes.review_comment(repository, comment)
    shaped_pull = sandbox.shapes.pull(repository, pull)
    sandbox.emit(
        "pull_request_review_comment",
        repository,
        call.user,
        action="created",
        comment=shaped,
        pull_request=shaped_pull,
    )
    sandbox.emit(
        "pull_request_review",
        repository,
        call.user,
        action="submitted",
        review=webhook_review(sandbox, repository, review),
        pull_request=shaped_pull,
    )
    return 201, shaped


def create_review_comment(sandbox: Sandbox, call: Call) -> Result:
    reply_to = call.body.get("in_reply_to")
    if reply_to is not None:
        reply_to = integer(reply_to, "in_reply_to", "PullRequestReviewComment")
    elif call.body.get("commit_id") is None:
        raise validation_failed(
            "PullRequestReviewComment", "commit_id", "commit_id wasn't supplied.", code="missing_field"
        )
    return post_review_comment(sandbox, call, reply_to)


def reply_to_review_comment(sandbox: Sandbox, call: Call) -> Result:
    return post_review_comment(sandbox, call, number(call, "comment_id"))


def visible(comment: Record, repository: Record) -> bool:
    """A comment of a pending review is its author's draft: GitHub lists it to nobody else."""
    for review in repository["reviews"]:
        if review["id"] == comment["review_id"]:
            return bool(review["state"] != "PENDING")
    return True


def list_review_comments(sandbox: Sandbox, call: Call) -> Result:
    repository, pull = pull_of(sandbox, call)
    found = [
        comment
        for comment in repository["review_comments"]
        if comment["number"] == pull["number"] and visible(comment, repository)
    ]
    return 200, [sandbox.shapes.review_comment(repository, comment) for comment in paginate(call, found)]


def review_comment_of(sandbox: Sandbox, call: Call) -> tuple[Record, Record]:
    repository = sandbox.repository(call)
    return repository, sandbox.state.find(repository, "review_comments", number(call, "comment_id"))


def get_review_comment(sandbox: Sandbox, call: Call) -> Result:
    repository, comment = review_comment_of(sandbox, call)
    return 200, sandbox.shapes.review_comment(repository, comment)


def edit_review_comment(sandbox: Sandbox, call: Call) -> Result:
    repository, comment = review_comment_of(sandbox, call)
    may_moderate(sandbox, repository, call.user, comment["user"])
    body = body_text(call, "PullRequestReviewComment", required=True)
    with sandbox.state.lock:
        previous = comment["body"]
        comment["body"] = body
        comment["updated_at"] = now()
        sandbox.state.item(repository, "review_comments", comment)
    shaped = sandbox.shapes.review_comment(repository, comment)
    pull = sandbox.state.pull(repository, comment["number"])
    sandbox.emit(
        "pull_request_review_comment",
        repository,
        call.user,
        action="edited",
        changes={"body": {"from": previous}},
        comment=shaped,
        pull_request=sandbox.shapes.pull(repository, pull),
    )
    return 200, shaped


def delete_review_comment(sandbox: Sandbox, call: Call) -> Result:
    repository, comment = review_comment_of(sandbox, call)
    may_moderate(sandbox, repository, call.user, comment["user"])
    shaped = sandbox.shapes.review_comment(repository, comment)
    with sandbox.state.lock:
        repository["review_comments"].remove(comment)
        sandbox.state.item_gone(repository, "review_comments", comment["id"])
    pull = sandbox.state.pull(repository, comment["number"])
    sandbox.emit(
        "pull_request_review_comment",
        repository,
        call.user,
        action="deleted",
        comment=shaped,
        pull_request=sandbox.shapes.pull(repository, pull),
    )
    return 204, None


# reviews

REVIEW_STATES = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}


def check_review_event(event: str | None, user: str, pull: Record, body: str, comments: int) -> None:
    """GitHub's refusals of a review's `event` (None: a review left pending)."""
    if event is not None and event not in REVIEW_STATES:
        raise unprocessable(f"Unknown event {event!r}: use APPROVE, REQUEST_CHANGES or COMMENT")
    own = user.lower() == str(pull["user"]).lower()
    if event == "APPROVE" and own:
        raise unprocessable("Can not approve your own pull request")
    if event == "REQUEST_CHANGES" and own:
        raise unprocessable("Can not request changes on your own pull request")
    if event in ("REQUEST_CHANGES", "COMMENT") and not body and not comments:
        raise unprocessable(f"Body is required when using {event} events")
    if pull["state"] != "open" and event is not None:
        raise unprocessable("Can not review a closed pull request")


def emit_submitted(
    sandbox: Sandbox, repository: Record, pull: Record, user: str, review: Record, comments: list[Record]
) -> None:
    """The webhooks of a submitted review: each inline comment's, then the review's."""
    shaped_pull = sandbox.shapes.pull(repository, pull)
    for comment in comments:
        sandbox.emit(
            "pull_request_review_comment",
            repository,
            user,
            action="created",
            comment=sandbox.shapes.review_comment(repository, comment),
            pull_request=shaped_pull,
        )
    review_hook = webhook_review(sandbox, repository, review)
    sandbox.emit("pull_request_review", repository, user, action="submitted", review=review_hook,
                 pull_request=shaped_pull)  # fmt: skip


def create_review(sandbox: Sandbox, call: Call) -> Result:
    """A review with a body and inline comments, all or nothing; without `event` it stays PENDING."""
    repository, pull = pull_of(sandbox, call)
    sandbox.state.require(repository, call.user, "pull")
    body = body_text(call, "PullRequestReview")
    event = call.body.get("event")
    entries = call.body.get("comments") or []
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise validation_failed(
            "PullRequestReview", "comments", "comments must be a list of objects", code="invalid"
        )
    check_review_event(event, call.user, pull, body, len(entries))
    commit = commit_of(sandbox, repository, pull, call.body.get("commit_id"))
    placed = []
    for entry in entries:
        comment_body = validate.text(
            entry.get("body"), "body", "PullRequestReviewComment", validate.MAX_COMMENT_CHARS
        )
        placed.append((comment_body, place(sandbox, repository, pull, commit, entry)))
    with sandbox.state.lock:
        if event is None:
            for review in repository["reviews"]:
                if (
                    review["number"] == pull["number"]
                    and review["state"] == "PENDING"
                    and review["user"] == call.user
                ):
                    raise unprocessable("User can only have one pending review per pull request")
        review = new_review(sandbox, pull, call.user, body, REVIEW_STATES.get(event or "", "PENDING"), commit)
        comments = [
            new_comment(sandbox, pull, review, call.user, text, where, None) for text, where in placed
        ]
        repository["reviews"].append(review)
        repository["review_comments"].extend(comments)
        sandbox.state.item(repository, "reviews", review)
        for comment in comments:
            sandbox.state.item(repository, "review_comments", comment)
    shaped = sandbox.shapes.review(repository, review)
    if event is not None:
        emit_submitted(sandbox, repository, pull, call.user, review, comments)
    return 200, shaped


def submit_review(sandbox: Sandbox, call: Call) -> Result:
    """`POST .../reviews/{review_id}/events`: its author submits a PENDING review (its comments then
    reach everyone, with the webhooks GitHub sends on submission); `body` replaces the review's."""
    repository, review = review_of(sandbox, call)
    _, pull = pull_of(sandbox, call)
    event = call.body.get("event")
    if event is None:
        raise unprocessable("Unknown event None: use APPROVE, REQUEST_CHANGES or COMMENT")
    body = body_text(call, "PullRequestReview") if call.body.get("body") is not None else review["body"]
    with sandbox.state.lock:
        if review["state"] != "PENDING":
            raise unprocessable("Can not submit a review that is not pending")
        comments = [c for c in repository["review_comments"] if c["review_id"] == review["id"]]
        check_review_event(event, call.user, pull, body, len(comments))
        review.update(state=REVIEW_STATES[event], body=body, submitted_at=now())
        sandbox.state.item(repository, "reviews", review)
    emit_submitted(sandbox, repository, pull, call.user, review, comments)
    return 200, sandbox.shapes.review(repository, review)


def list_reviews(sandbox: Sandbox, call: Call) -> Result:
    repository, pull = pull_of(sandbox, call)
    found = [
        review
        for review in repository["reviews"]
        if review["number"] == pull["number"]
        and (review["state"] != "PENDING" or review["user"] == call.login)
    ]
    return 200, [sandbox.shapes.review(repository, review) for review in paginate(call, found)]


def review_of(sandbox: Sandbox, call: Call) -> tuple[Record, Record]:
    repository, pull = pull_of(sandbox, call)
    review = sandbox.state.find(repository, "reviews", number(call, "review_id"))
    if review["number"] != pull["number"] or (review["state"] == "PENDING" and review["user"] != call.login):
        raise not_found()
    return repository, review


def get_review(sandbox: Sandbox, call: Call) -> Result:
    repository, review = review_of(sandbox, call)
    return 200, sandbox.shapes.review(repository, review)


def review_comments(sandbox: Sandbox, call: Call) -> Result:
    repository, review = review_of(sandbox, call)
    found = [comment for comment in repository["review_comments"] if comment["review_id"] == review["id"]]
    return 200, [sandbox.shapes.review_comment(repository, comment) for comment in paginate(call, found)]


REPO = "/repos/{owner}/{repo}"


def create_fork(sandbox: Sandbox, call: Call) -> Result:
    """`POST /repos/{owner}/{repo}/forks`: the caller's fork (202, as GitHub answers while it copies)."""
    source = sandbox.repository(call)
    sandbox.state.require(source, call.user, "pull")
    if call.body.get("organization") is not None:
        raise validation_failed("Fork", "organization", "the sandbox has no organizations", code="invalid")
    name = call.body.get("name")
    if name is not None and not isinstance(name, str):
        raise validation_failed("Fork", "name", "name must be a string", code="invalid")
    if name is None and source["owner"].lower() == call.user.lower():
        raise validation_failed("Fork", "name", "a repository cannot be forked by its owner", code="invalid")
    fork = sandbox.state.fork_repository(source, call.user, name)
    return 202, sandbox.shapes.repository(fork, call.user)


ROUTES: list[tuple[str, str, Handler]] = [
    ("POST", REPO + "/forks", create_fork),
    ("GET", REPO + "/pulls/comments/{comment_id}", get_review_comment),
    ("PATCH", REPO + "/pulls/comments/{comment_id}", edit_review_comment),
    ("DELETE", REPO + "/pulls/comments/{comment_id}", delete_review_comment),
    ("PATCH", REPO + "/pulls/{number}", edit_pull),
    ("GET", REPO + "/pulls/{number}/files", pull_files),
    ("GET", REPO + "/pulls/{number}/commits", pull_commits),
    ("PUT", REPO + "/pulls/{number}/merge", merge_pull),
    ("GET", REPO + "/pulls/{number}/merge", merged_status),
    ("POST", REPO + "/pulls/{number}/comments", create_review_comment),
    ("GET", REPO + "/pulls/{number}/comments", list_review_comments),
    ("POST", REPO + "/pulls/{number}/comments/{comment_id}/replies", reply_to_review_comment),
    ("POST", REPO + "/pulls/{number}/reviews", create_review),
    ("GET", REPO + "/pulls/{number}/reviews", list_reviews),
    ("GET", REPO + "/pulls/{number}/reviews/{review_id}", get_review),
    ("GET", REPO + "/pulls/{number}/reviews/{review_id}/comments", review_comments),
    ("POST", REPO + "/pulls/{number}/reviews/{review_id}/events", submit_review),
]
