"""Check runs (the App's only: GitHub refuses other tokens), their annotations (at most 50 per request,
appended across updates) and the runs of a commit, with the `check_run` webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from accelerator.sandbox import validate
from accelerator.sandbox.core import Call, Handler, Result, Sandbox, number, paginate, resolve
from accelerator.sandbox.errors import GitHubError, not_found, validation_failed
from accelerator.sandbox.state import Record, now

STATUSES = ("queued", "in_progress", "completed", "waiting", "requested", "pending")
CONCLUSIONS = (
    "action_required",
    "cancelled",
    "failure",
    "neutral",
    "success",
    "skipped",
    "stale",
    "timed_out",
)
LEVELS = ("notice", "warning", "failure")
MAX_ANNOTATIONS = 50  # per request, as GitHub limits them
MAX_OUTPUT_CHARS = 65535  # summary and text


def invalid(field: str, message: str) -> GitHubError:
    return validation_failed("CheckRun", field, message, code="invalid")


def the_app(sandbox: Sandbox, call: Call) -> None:
    """Only the App (the bot's token) writes check runs, as on GitHub."""
    if call.user != sandbox.state.bot_login:
        raise GitHubError(403, "You must authenticate via a GitHub App.")


def timestamp(value: object, field: str) -> int | None:
    if value is None:
        return None
    try:
        return int(datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp())
    except ValueError as failure:
        raise invalid(field, f"{field} {value!r} is not an ISO 8601 timestamp") from failure


def text(value: object, field: str, limit: int, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise validation_failed("CheckRun", field, f"{field} wasn't supplied.", code="missing_field")
    if len(value) > limit:
        raise invalid(field, f"{field} is too long (maximum is {limit} characters)")
    return value


def read_annotations(value: object) -> list[Record]:
    """The annotations of one request, checked: at most 50 (GitHub's 422 beyond), each with a path,
    lines, a level and a message."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid("output.annotations", "output.annotations must be a list")
    if len(value) > MAX_ANNOTATIONS:
        raise GitHubError(
            422,
            f"Invalid request.\n\nNo more than {MAX_ANNOTATIONS} items are allowed; {len(value)} were supplied.",
        )
    read = []
    for index, item in enumerate(value):
        where = f"output.annotations[{index}]"
        if not isinstance(item, dict):
            raise invalid(where, f"{where} must be an object")
        path = item.get("path")
        if not isinstance(path, str) or not path:
            raise invalid(f"{where}.path", f"{where}.path wasn't supplied")
        lines = [item.get(key) for key in ("start_line", "end_line")]
        if not all(isinstance(line, int) and not isinstance(line, bool) and line >= 0 for line in lines):
            raise invalid(where, f"{where} needs start_line and end_line (integers)")
        if item.get("annotation_level") not in LEVELS:
            raise invalid(
                f"{where}.annotation_level", f"{where}.annotation_level must be one of {', '.join(LEVELS)}"
            )
        message = text(item.get("message"), f"{where}.message", 64 * 1024, required=True)
        columns = [item.get(key) for key in ("start_column", "end_column")]
        if any(column is not None for column in columns) and lines[0] != lines[1]:
            raise invalid(where, f"{where}: start_column and end_column only go with start_line == end_line")
        read.append(
            {
                "path": path,
                "start_line": lines[0],
                "end_line": lines[1],
                "start_column": columns[0],
                "end_column": columns[1],
                "annotation_level": item["annotation_level"],
                "title": text(item.get("title"), f"{where}.title", 255),
                "message": message,
                "raw_details": text(item.get("raw_details"), f"{where}.raw_details", 64 * 1024),
            }
        )
    return read


def apply(run: Record, body: dict[str, Any]) -> list[Record]:
    """Set a run's fields from a create or update request; returns the annotations to append."""
    if "name" in body:
        run["name"] = text(body["name"], "name", 255, required=True)
    for field in ("details_url", "external_id"):
        if field in body:
            run[field] = text(body[field], field, 2048)
    status = body.get("status")
    if status is not None and status not in STATUSES:
        raise invalid("status", f"status must be one of {', '.join(STATUSES)}")
    conclusion = body.get("conclusion")
    if conclusion is not None and conclusion not in CONCLUSIONS:
        raise invalid("conclusion", f"conclusion must be one of {', '.join(CONCLUSIONS)}")
    if status == "completed" and conclusion is None and run.get("conclusion") is None:
        raise invalid("conclusion", "conclusion is required when status is completed")
    if conclusion is not None:
        run["status"], run["conclusion"] = "completed", conclusion
        run["completed_at"] = timestamp(body.get("completed_at"), "completed_at") or now()
    elif status is not None:
        run["status"] = status
    if "started_at" in body:
        run["started_at"] = timestamp(body["started_at"], "started_at") or run["started_at"]
    output = body.get("output")
    if output is None:
        return []
    if not isinstance(output, dict):
        raise invalid("output", "output must be an object")
    run["output"] = {
        "title": text(output.get("title"), "output.title", 255) or run["output"].get("title"),
        "summary": text(output.get("summary"), "output.summary", MAX_OUTPUT_CHARS, required=True),
        "text": text(output.get("text"), "output.text", MAX_OUTPUT_CHARS) or run["output"].get("text"),
    }
    return read_annotations(output.get("annotations"))


def emit_run(sandbox: Sandbox, repository: Record, run: Record, sender: str, action: str) -> None:
    sandbox.emit(
        "check_run",
        repository,
        sender,
        action=action,
        check_run=sandbox.shapes.check_run(repository, run, True),
    )


def create_check_run(sandbox: Sandbox, call: Call) -> Result:
    repository = sandbox.repository(call)
    the_app(sandbox, call)
    head_sha = validate.sha(call.body.get("head_sha"), "head_sha")
    if sandbox.state.git(repository).object_type(head_sha) != "commit":
        raise GitHubError(422, f"No commit found for SHA: {head_sha}")
    text(call.body.get("name"), "name", 255, required=True)
    with sandbox.state.lock:
        suites: dict[str, int] = repository["check_suites"]
        if head_sha not in suites:
            suites[head_sha] = sandbox.state.new_id()
            sandbox.state.changed_in(repository, "check_suites", head_sha)
        run: Record = {
            "id": sandbox.state.new_id(),
            "head_sha": head_sha,
            "suite_id": suites[head_sha],
            "name": "",
            "details_url": None,
            "external_id": None,
            "status": "queued",
            "conclusion": None,
            "started_at": now(),
            "completed_at": None,
            "output": {"title": None, "summary": None, "text": None},
            "annotations": [],
        }
        run["annotations"] = apply(run, call.body)
        repository["check_runs"][str(run["id"])] = run
        sandbox.state.changed_in(repository, "check_runs", str(run["id"]))
    emit_run(sandbox, repository, run, call.user, "created")
    if run["status"] == "completed":
        emit_run(sandbox, repository, run, call.user, "completed")
    return 201, sandbox.shapes.check_run(repository, run)


def run_of(sandbox: Sandbox, call: Call) -> tuple[Record, Record]:
    repository = sandbox.repository(call)
    run: Record | None = repository["check_runs"].get(str(number(call, "check_run_id")))
    if run is None:
        raise not_found()
    return repository, run


def update_check_run(sandbox: Sandbox, call: Call) -> Result:
    repository, run = run_of(sandbox, call)
    the_app(sandbox, call)
    with sandbox.state.lock:
        was = run["status"]
        changed = dict(run)
        added = apply(changed, call.body)  # all checked before anything is kept
        run.update(changed)
        run["annotations"] = [*run["annotations"], *added]
        sandbox.state.changed_in(repository, "check_runs", str(run["id"]))
    if run["status"] == "completed" and was != "completed":
        emit_run(sandbox, repository, run, call.user, "completed")
    return 200, sandbox.shapes.check_run(repository, run)


def get_check_run(sandbox: Sandbox, call: Call) -> Result:
    repository, run = run_of(sandbox, call)
    return 200, sandbox.shapes.check_run(repository, run)


def list_annotations(sandbox: Sandbox, call: Call) -> Result:
    repository, run = run_of(sandbox, call)
    return 200, [
        sandbox.shapes.annotation(repository, run, item) for item in paginate(call, run["annotations"])
    ]


def commit_check_runs(sandbox: Sandbox, call: Call) -> Result:
    """A commit's runs, newest first; `filter=latest` (the default) keeps each name's most recent."""
    repository = sandbox.repository(call)
    sha = resolve(sandbox, repository, call.params["ref"], missing=422)
    runs = sorted(
        (run for run in repository["check_runs"].values() if run["head_sha"] == sha),
        key=lambda run: -int(run["id"]),
    )
    if call.query.get("filter", "latest") == "latest":
        latest: dict[str, Record] = {}
        for run in runs:
            latest.setdefault(run["name"], run)
        runs = list(latest.values())
    if "check_name" in call.query:
        runs = [run for run in runs if run["name"] == call.query["check_name"]]
    if "status" in call.query:
        runs = [run for run in runs if run["status"] == call.query["status"]]
    page = paginate(call, runs)
    return 200, {
        "total_count": len(runs),
        "check_runs": [sandbox.shapes.check_run(repository, run) for run in page],
    }


REPO = "/repos/{owner}/{repo}"
ROUTES: list[tuple[str, str, Handler]] = [
    ("POST", REPO + "/check-runs", create_check_run),
    ("GET", REPO + "/check-runs/{check_run_id}", get_check_run),
    ("PATCH", REPO + "/check-runs/{check_run_id}", update_check_run),
    ("GET", REPO + "/check-runs/{check_run_id}/annotations", list_annotations),
    ("GET", REPO + "/commits/{ref:path}/check-runs", commit_check_runs),
]
