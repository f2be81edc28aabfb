"""Events: the registry, the thread of a pull request, and whom the bot answers (pure, no I/O)."""

from __future__ import annotations

import pytest

from accelerator.channels.github.events import (
    Context,
    Event,
    Registry,
    command_text,
    ignored_because,
    thread_id,
)
from tests.channels.github.conftest import comment_payload, pull_payload

BOT = "accelerator[bot]"


def test_a_pull_request_is_one_thread() -> None:
    assert thread_id("alice/lakehouse", 7) == "github:alice/lakehouse#7"
    assert Event("pull_request", "d1", pull_payload(number=7)).thread_id == "github:alice/lakehouse#7"
    assert (
        Event("issue_comment", "d2", comment_payload("/uc help", number=7)).thread_id
        == "github:alice/lakehouse#7"
    )
    issue_only = comment_payload("/uc help")
    del issue_only["issue"]["pull_request"]
    issue_event = Event("issue_comment", "d3", issue_only)  # an issue, not a PR: its own conversation
    assert (issue_event.scope, issue_event.thread_id) == ("issue", "github:alice/lakehouse#1")
    forged = pull_payload()
    forged["repository"]["full_name"] = "../../etc"
    assert Event("pull_request", "d4", forged).thread_id is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "/uc rename column crm.customers.email_addr to email",
            "rename column crm.customers.email_addr to email",
        ),
        ("  /uc   status  ", "status"),
        ("/uc", ""),
        ("/ucx status", None),  # not the prefix followed by a space
        ("please /uc status", None),  # the prefix starts the comment
        ("@accelerator rename this to x", "rename this to x"),
        ("@accelerator[bot]: undo", "undo"),
        ("hey @accelerator, status", "hey status"),
        ("@accelerators status", None),
        ("looks good to me", None),
        ("see first line\n@accelerator undo", None),  # a mention addresses from the first line only
    ],
)
def test_only_addressed_text_is_a_command(body: str, expected: str | None) -> None:
    assert command_text(body, "/uc", BOT) == expected


def test_the_bot_ignores_itself_other_bots_apps_and_chatter() -> None:
    def why(payload: dict, name: str = "issue_comment") -> str | None:
        return ignored_because(Event(name, "d", payload), BOT, "/uc")

    assert why(comment_payload("/uc status")) is None
    assert why(comment_payload("/uc status", login=BOT, user_type="Bot")) == "sent by the bot itself"
    assert "another bot" in (why(comment_payload("/uc status", login="renovate[bot]", user_type="Bot")) or "")
    assert "another bot" in (why(comment_payload("/uc status", login="ci-helper", user_type="Bot")) or "")
    via_app = comment_payload("/uc status")
    via_app["comment"]["performed_via_github_app"] = {"slug": "other"}
    assert why(via_app) == "a comment made through a GitHub App"
    assert why(comment_payload("nice work")) == "a comment not addressed to the bot"
    assert why(pull_payload(), "pull_request") is None


def test_the_registry_routes_event_actions_in_order() -> None:
    registry = Registry()
    seen: list[str] = []
    registry.on("pull_request.opened", "pull_request.synchronize")(
        lambda ctx: seen.append(f"push {ctx.number}")
    )
    registry.on("pull_request")(lambda ctx: seen.append("any pull_request"))
    registry.on("issue_comment.created")(lambda ctx: seen.append(f"comment by {ctx.sender}"))
    opened = Event("pull_request", "d1", pull_payload("opened", number=3))
    assert registry.handles(opened)
    registry.dispatch(Context.of(opened, None))  # type: ignore[arg-type]
    registry.dispatch(Context.of(Event("issue_comment", "d2", comment_payload("/uc x")), None))  # type: ignore[arg-type]
    labeled = Event("pull_request", "d3", pull_payload("labeled"))
    registry.dispatch(Context.of(labeled, None))  # type: ignore[arg-type]
    assert seen == ["any pull_request", "push 3", "comment by bob", "any pull_request"]
    assert not registry.handles(Event("push", "d4", {"ref": "refs/heads/main"}))
    context = Context.of(opened, None)  # type: ignore[arg-type]
    assert (context.thread_id, context.sender, context.installation) == (
        "github:alice/lakehouse#3",
        "alice",
        None,
    )
    with pytest.raises(ValueError, match="belongs to no pull request"):
        Context.of(Event("push", "d5", {"ref": "x"}), None)  # type: ignore[arg-type]
