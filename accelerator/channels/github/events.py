"""Events: a registry from `event.action` to a handler (Probot style), one `Context` per handled
event, and the rules of who and what the bot answers.

A pull request is one conversation: its thread id is `github:OWNER/REPO#N` (a PR the agent opened
from a terminal conversation or an issue continues that thread: `Registry.links`). A comment on an
issue (not a PR) is the issue's conversation, `github:OWNER/REPO#N` too (issues and PRs share their
numbers); a push to the default branch is the repository's, `github:OWNER/REPO@default`, so its
pushes are handled one at a time. Each event has a `scope` (`pull`, `issue`, `repository`) and a
handler is registered for one scope. The bot ignores itself,
every other bot (`sender.type == "Bot"`) and comments made through a GitHub App, so two bots cannot
loop; in a comment, only text addressed to it (the prefix, `/uc` by default, or an @mention) is a
command, everything else is conversation among humans. All of this is decided from the payload
alone, so the intake and the workers apply the same rules.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from github import Github
    from github.Repository import Repository

log = logging.getLogger("accelerator.github")

MAX_DELIVERY_ID_CHARS = 100
DELIVERY_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
FULL_NAME = re.compile(r"^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$")


def thread_id(full_name: str, number: int) -> str:
    return f"github:{full_name}#{number}"


@dataclass(frozen=True)
class Event:
    """One delivery as GitHub sent it: `X-GitHub-Event`, `X-GitHub-Delivery` and the JSON payload."""

    name: str
    delivery: str
    payload: dict[str, Any]

    @property
    def action(self) -> str | None:
        action = self.payload.get("action")
        return action if isinstance(action, str) else None

    @property
    def key(self) -> str:
        return f"{self.name}.{self.action}" if self.action else self.name

    @property
    def repository(self) -> str | None:
        repository = self.payload.get("repository")
        name = repository.get("full_name") if isinstance(repository, dict) else None
        return name if isinstance(name, str) and FULL_NAME.match(name) else None

    @property
    def scope(self) -> str | None:
        """`pull` (a pull request's event), `issue` (a comment on an issue that is no PR),
        `repository` (a push to the default branch), None (none the bot follows)."""
        if isinstance(self.payload.get("pull_request"), dict):
            return "pull"
        issue = self.payload.get("issue")
        if isinstance(issue, dict):
            return "pull" if isinstance(issue.get("pull_request"), dict) else "issue"
        if self.name == "push" and self.default_branch_push:
            return "repository"
        return None

    @property
    def default_branch_push(self) -> bool:
        """A push that moved (not deleted) the repository's default branch."""
        repository = self.payload.get("repository")
        default = repository.get("default_branch") if isinstance(repository, dict) else None
        after = self.payload.get("after")
        return (
            isinstance(default, str)
            and self.payload.get("ref") == f"refs/heads/{default}"
            and isinstance(after, str)
            and re.fullmatch(r"[0-9a-f]{40}", after) is not None
            and after != "0" * 40
        )

    @property
    def number(self) -> int | None:
        """The pull request (or, scope `issue`, the issue) the event belongs to; None: neither."""
        pull = self.payload.get("pull_request")
        if isinstance(pull, dict):
            value = pull.get("number", self.payload.get("number"))
            return value if isinstance(value, int) and value > 0 else None
        issue = self.payload.get("issue")
        if isinstance(issue, dict):
            value = issue.get("number")
            return value if isinstance(value, int) and value > 0 else None
        return None

    @property
    def thread_id(self) -> str | None:
        repository, number = self.repository, self.number
        if repository is not None and self.scope == "repository":
            return f"github:{repository}@default"
        return None if repository is None or number is None else thread_id(repository, number)

    @property
    def sender(self) -> dict[str, Any]:
        sender = self.payload.get("sender")
        return sender if isinstance(sender, dict) else {}

    @property
    def sender_login(self) -> str:
        login = self.sender.get("login")
        return login if isinstance(login, str) else ""

    @property
    def installation(self) -> int | None:
        installation = self.payload.get("installation")
        value = installation.get("id") if isinstance(installation, dict) else None
        return value if isinstance(value, int) else None

    @property
    def comment(self) -> dict[str, Any]:
        """The comment of a comment event, or the review of a review event (both have body and user)."""
        comment = self.payload.get("comment", self.payload.get("review"))
        return comment if isinstance(comment, dict) else {}


def command_text(body: str, prefix: str, bot_login: str | None) -> str | None:
    """The command a comment addresses to the bot, without its prefix or @mention; None when the
    comment is not addressed to it. The prefix must start the comment (after blank space); an
    @mention of the bot anywhere on the first line addresses the rest of the comment."""
    text = body.strip()
    if prefix and (text == prefix or text.startswith((prefix + " ", prefix + "\n", prefix + "\t"))):
        return text[len(prefix) :].strip()
    if bot_login:
        name = bot_login.removesuffix("[bot]")
        mention = re.compile(rf"(?<![\w@])@{re.escape(name)}(?:\[bot\])?(?![\w-])[,:]?\s*", re.IGNORECASE)
        first, _, rest = text.partition("\n")
        found = mention.search(first)
        if found is not None:
            command = (first[: found.start()] + first[found.end() :]).strip(" \t,:")
            return "\n".join(part for part in (command, rest.strip()) if part).strip()
    return None


def ignored_because(event: Event, bot_login: str | None, prefix: str | None) -> str | None:
    """Why this event is not the bot's business (None: it is). Pure: from the payload alone. With
    `prefix` None, whether a comment is addressed is left to the caller (the base branch's prefix)."""
    sender = event.sender
    login = event.sender_login
    if bot_login and login.lower() == bot_login.lower():
        return "sent by the bot itself"
    if sender.get("type") == "Bot" or login.endswith("[bot]"):
        return f"sent by another bot ({login})"
    if event.name in ("issue_comment", "pull_request_review_comment", "pull_request_review"):
        comment = event.comment
        if comment.get("performed_via_github_app"):
            return "a comment made through a GitHub App"
        user = comment.get("user")
        if isinstance(user, dict) and (
            user.get("type") == "Bot" or str(user.get("login", "")).endswith("[bot]")
        ):
            return "a comment by a bot"
        body = comment.get("body")
        if event.name == "pull_request_review":  # its inline comments are read by the worker
            return None
        if not isinstance(body, str):
            return "a comment without a body"
        if prefix is not None and command_text(body, prefix, bot_login) is None:
            return "a comment not addressed to the bot"
    return None


@dataclass
class Context:
    """What a handler works with: the event, its repository, PR and sender, and the client."""

    event: Event
    github: Github
    repository: str
    number: int
    sender: str
    installation: int | None = None
    _repo: Repository | None = field(default=None, repr=False)
    thread: str | None = None  # the thread this PR continues (`Registry.links`), when not its own
    permissions: dict[str, str] = field(default_factory=dict, repr=False)  # read once per delivery

    @property
    def key(self) -> str:
        """The event's own conversation: `github:OWNER/REPO#N` (`@default` for a push)."""
        if self.event.scope == "repository":
            return f"github:{self.repository}@default"
        return thread_id(self.repository, self.number)

    @property
    def thread_id(self) -> str:
        """The thread its turns run in: the one it continues, else its own."""
        return self.thread or self.key

    @property
    def repo(self) -> Repository:
        if self._repo is None:
            self._repo = self.github.get_repo(self.repository)  # lazy: no request until used
        return self._repo

    @classmethod
    def of(cls, event: Event, github: Github) -> Context:
        repository, number = event.repository, event.number
        if repository is not None and number is None and event.scope == "repository":
            number = 0  # a push: the repository's, no number
        if repository is None or number is None:
            raise ValueError(f"delivery {event.delivery} ({event.key}) belongs to no pull request")
        return cls(event, github, repository, number, event.sender_login, event.installation)


@dataclass
class TurnReport:
    """What a turn did on GitHub (for the caller, the tests and the metrics)."""

    thread_id: str
    kind: str  # push | comment | close | ignored | refused
    commit: str | None = None
    reply: str | None = None
    replied: bool = False
    duplicate: bool = False
    ran: bool = False  # a memory turn ran (not a redelivery of one)
    moved: bool = False
    note: str | None = None
    files: list[str] = field(default_factory=list)


@dataclass
class Command:
    key: str  # the turn's identity in the memory: comment:<id>
    text: str
    author: str
    user_id: int
    url: str | None
    review_comment: int | None = None  # an inline comment: the reply goes to its review thread
    shown: str | None = None  # what the user wrote, when `text` resolved "this" to an object


Handler = Callable[[Context], Any]


class Registry:
    """`event.action` (or a whole event) -> handlers, in registration order, each for one scope
    (`pull` by default: an `issue_comment` handler of a PR never sees an issue's comment).
    `links(context)`: the thread a pull request continues (None: its own), set on each context."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[tuple[str, Handler]]] = {}
        self.links: Callable[[Context], str | None] | None = None

    def on(self, *keys: str, scope: str = "pull") -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for key in keys:
                self._handlers.setdefault(key, []).append((scope, handler))
            return handler

        return register

    def handlers(self, event: Event) -> list[Handler]:
        scope = event.scope
        found = [
            *self._handlers.get(event.name, []),
            *(self._handlers.get(event.key, []) if event.action else []),
        ]
        return [handler for wanted, handler in found if wanted == scope]

    def handles(self, event: Event) -> bool:
        return bool(self.handlers(event))

    def dispatch(self, context: Context) -> list[Any]:
        found = self.handlers(context.event)
        if not found:
            log.debug("no handler for %s (delivery %s)", context.event.key, context.event.delivery)
        elif self.links is not None and context.thread is None:
            context.thread = self.links(context)
        return [handler(context) for handler in found]
