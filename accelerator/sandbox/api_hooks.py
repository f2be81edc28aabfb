"""Webhooks: a repository's hooks (created with a `ping`), and the deliveries of each hook and of the App's
hook, listed, read and redelivered with the same `X-GitHub-Delivery`."""

from __future__ import annotations

from typing import Any

from accelerator.sandbox import shapes
from accelerator.sandbox.core import Call, Handler, Result, Sandbox, number, paginate
from accelerator.sandbox.errors import GitHubError, not_found, validation_failed
from accelerator.sandbox.state import Record, now
from accelerator.sandbox.webhooks import APP_HOOK_ID

# The events a repository hook may subscribe to (GitHub's names; `*` is every event).
EVENTS = {
    "*",
    "check_run",
    "check_suite",
    "create",
    "delete",
    "issue_comment",
    "issues",
    "ping",
    "pull_request",
    "pull_request_review",
    "pull_request_review_comment",
    "pull_request_review_thread",
    "push",
    "status",
}
ZEN = "Keep it logically awesome."
MAX_HOOKS = 20  # GitHub's limit per event per repository


def invalid(message: str, field: str = "config") -> GitHubError:
    return validation_failed("Hook", field, message, code="custom")


def read_config(body: dict[str, Any], current: Record | None) -> Record:
    """A hook's `config` (url, content_type, secret, insecure_ssl), checked; merged over `current`."""
    config = body.get("config", {} if current else None)
    if not isinstance(config, dict):
        raise validation_failed("Hook", "config", "config wasn't supplied.", code="missing_field")
    merged = {**(current or {}), **{key: value for key, value in config.items() if value is not None}}
    url = merged.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > 2048:
        raise invalid(f"Config url {url!r} is not an http(s) URL")
    content_type = merged.get("content_type", "form")
    if content_type not in ("json", "form"):
        raise invalid("Config content_type must be json or form")
    secret = merged.get("secret")
    if secret is not None and (not isinstance(secret, str) or len(secret) > 1024):
        raise invalid("Config secret must be a string of at most 1024 characters")
    insecure = str(merged.get("insecure_ssl", "0"))
    return {"url": url, "content_type": content_type, "secret": secret or None, "insecure_ssl": insecure}


def read_events(value: object) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(event, str) for event in value):
        raise invalid("events must be a non-empty list of event names", "events")
    unknown = sorted(set(value) - EVENTS)
    if unknown:
        raise invalid(f"events has unknown or unsupported events: {', '.join(unknown)}", "events")
    return list(dict.fromkeys(value))


def admin_repository(sandbox: Sandbox, call: Call) -> Record:
    """A repository's hooks are its admins' (GitHub answers others 404)."""
    repository = sandbox.repository(call)
    if sandbox.state.role(repository, call.user) != "admin":
        raise not_found()
    return repository


def ping(sandbox: Sandbox, repository: Record, hook: Record, sender: str) -> None:
    payload = {
        "zen": ZEN,
        "hook_id": hook["id"],
        "hook": sandbox.shapes.hook(repository, hook),
        "repository": sandbox.shapes.repository(repository),
        "sender": sandbox.shapes.user(sender),
    }
    sandbox.webhooks.queue("ping", payload, sandbox.webhooks.hook_target(repository, hook))


def create_hook(sandbox: Sandbox, call: Call) -> Result:
    repository = admin_repository(sandbox, call)
    name = call.body.get("name", "web")
    if name != "web":
        raise invalid("name must be web (other services are gone from GitHub)", "name")
    config = read_config(call.body, None)
    events = read_events(call.body.get("events", ["push"]))
    active = call.body.get("active", True)
    if not isinstance(active, bool):
        raise invalid("active must be true or false", "active")
    with sandbox.state.lock:
        if len(repository["hooks"]) >= MAX_HOOKS:
            raise invalid(f"a repository has at most {MAX_HOOKS} hooks", "hooks")
        if any(hook["config"]["url"] == config["url"] for hook in repository["hooks"]):
            raise invalid("Hook already exists on this repository", "hook")
        hook: Record = {
            "id": sandbox.state.new_id(),
            "name": "web",
            "active": active,
            "events": events,
            "config": config,
            "created_at": now(),
            "updated_at": now(),
            "last_response": {"code": None, "status": "unused", "message": None},
        }
        repository["hooks"].append(hook)
        sandbox.state.item(repository, "hooks", hook)
    if active:
        ping(sandbox, repository, hook, call.user)
    return 201, sandbox.shapes.hook(repository, hook)


def list_hooks(sandbox: Sandbox, call: Call) -> Result:
    repository = admin_repository(sandbox, call)
    return 200, [sandbox.shapes.hook(repository, hook) for hook in paginate(call, repository["hooks"])]


def hook_of(sandbox: Sandbox, call: Call) -> tuple[Record, Record]:
    repository = admin_repository(sandbox, call)
    return repository, sandbox.state.find(repository, "hooks", number(call, "hook_id"))


def get_hook(sandbox: Sandbox, call: Call) -> Result:
    repository, hook = hook_of(sandbox, call)
    return 200, sandbox.shapes.hook(repository, hook)


def edit_hook(sandbox: Sandbox, call: Call) -> Result:
    repository, hook = hook_of(sandbox, call)
    config = read_config(call.body, hook["config"])
    events = list(hook["events"])
    if "events" in call.body:
        events = read_events(call.body["events"])
    if "add_events" in call.body:
        events = list(dict.fromkeys([*events, *read_events(call.body["add_events"])]))
    if "remove_events" in call.body:
        removed = set(read_events(call.body["remove_events"]))
        events = [event for event in events if event not in removed]
    active = call.body.get("active", hook["active"])
    if not isinstance(active, bool):
        raise invalid("active must be true or false", "active")
    with sandbox.state.lock:
        hook.update(config=config, events=events, active=active, updated_at=now())
        sandbox.state.item(repository, "hooks", hook)
    return 200, sandbox.shapes.hook(repository, hook)


def delete_hook(sandbox: Sandbox, call: Call) -> Result:
    repository, hook = hook_of(sandbox, call)
    with sandbox.state.lock:
        repository["hooks"].remove(hook)
        sandbox.state.item_gone(repository, "hooks", hook["id"])
    return 204, None


def ping_hook(sandbox: Sandbox, call: Call) -> Result:
    repository, hook = hook_of(sandbox, call)
    ping(sandbox, repository, hook, call.user)
    return 204, None


# deliveries


def deliveries_of(sandbox: Sandbox, hook_id: int) -> list[Record]:
    """A hook's deliveries, newest first (records from before hooks were told apart are the App's)."""
    found = [
        record for record in sandbox.state.data["deliveries"] if record.get("hook_id", APP_HOOK_ID) == hook_id
    ]
    found.reverse()
    return found


def find_delivery(sandbox: Sandbox, call: Call, hook_id: int) -> Record:
    wanted = call.params["delivery"]
    for record in deliveries_of(sandbox, hook_id):
        if str(record["id"]) == wanted:
            return record
    raise not_found()


def list_app_deliveries(sandbox: Sandbox, call: Call) -> Result:
    call.user  # noqa: B018 - the App's deliveries take authentication
    records = paginate(call, deliveries_of(sandbox, APP_HOOK_ID))
    return 200, [shapes.delivery(record, full=False) for record in records]


def get_app_delivery(sandbox: Sandbox, call: Call) -> Result:
    call.user  # noqa: B018
    return 200, shapes.delivery(find_delivery(sandbox, call, APP_HOOK_ID), full=True)


def redeliver_app(sandbox: Sandbox, call: Call) -> Result:
    call.user  # noqa: B018
    sandbox.webhooks.redeliver(find_delivery(sandbox, call, APP_HOOK_ID))
    return 202, {}


def list_hook_deliveries(sandbox: Sandbox, call: Call) -> Result:
    _, hook = hook_of(sandbox, call)
    records = paginate(call, deliveries_of(sandbox, hook["id"]))
    return 200, [shapes.delivery(record, full=False) for record in records]


def get_hook_delivery(sandbox: Sandbox, call: Call) -> Result:
    _, hook = hook_of(sandbox, call)
    return 200, shapes.delivery(find_delivery(sandbox, call, hook["id"]), full=True)


def redeliver_hook(sandbox: Sandbox, call: Call) -> Result:
    _, hook = hook_of(sandbox, call)
    sandbox.webhooks.redeliver(find_delivery(sandbox, call, hook["id"]))
    return 202, {}


REPO = "/repos/{owner}/{repo}"
ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/app/hook/deliveries", list_app_deliveries),
    ("GET", "/app/hook/deliveries/{delivery}", get_app_delivery),
    ("POST", "/app/hook/deliveries/{delivery}/attempts", redeliver_app),
    ("POST", REPO + "/hooks", create_hook),
    ("GET", REPO + "/hooks", list_hooks),
    ("GET", REPO + "/hooks/{hook_id}", get_hook),
    ("PATCH", REPO + "/hooks/{hook_id}", edit_hook),
    ("DELETE", REPO + "/hooks/{hook_id}", delete_hook),
    ("POST", REPO + "/hooks/{hook_id}/pings", ping_hook),
    ("GET", REPO + "/hooks/{hook_id}/deliveries", list_hook_deliveries),
    ("GET", REPO + "/hooks/{hook_id}/deliveries/{delivery}", get_hook_delivery),
    ("POST", REPO + "/hooks/{hook_id}/deliveries/{delivery}/attempts", redeliver_hook),
]
