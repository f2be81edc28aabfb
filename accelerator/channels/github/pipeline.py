"""The pull request's turns, on top of `ConversationSession` (one thread per PR: `github:OWNER/REPO#N`).

- A push (`opened`, `reopened`, `synchronize`, `ready_for_review`) is a turn: the head's config,
  ERDs and policy are read; sources changed on the branch since the commit the conversation last
  saw are hand edits, adopted into the conversation; the files are regenerated and only what
  changed is committed. A head that carries the bot's trailer is the bot's own push, not a turn.
- A comment addressed to the bot by a user who may edit is a command turn: an `eyes` reaction, the
  turn (hand edits adopted first), one commit, one reply.
- `closed` closes the conversation; a reopen resumes it.

Exactly once: the conversation's memory turn is keyed by the comment (or the head) so a redelivery
or an edited comment runs nothing again; the commit is found by its trailer, the reply by its
marker; the commit the conversation last saw (`conversations.head_sha`) tells a hand edit from a
turn whose commit never reached the branch (a worker killed between the two), which is committed
on the retry instead of being undone.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from github import GithubException
from github.PullRequest import PullRequest
from github.Repository import Repository

from accelerator.agent.crash import crash_point
from accelerator.agent.derived import Inputs
from accelerator.channels.github import commits, summary
from accelerator.channels.github.checks import PUBLISHED, publish_check
from accelerator.channels.github.client import BotIdentity, permission
from accelerator.channels.github.events import (
    Command,
    Context,
    Event,
    Registry,
    TurnReport,
    command_text,
    ignored_because,
)
from accelerator.channels.github.merge import merge3
from accelerator.channels.github.propose import differing, not_generated
from accelerator.channels.github.settings import BotSettings
from accelerator.channels.github.snapshot import (
    Head,
    Tree,
    checked_out,
    file_at,
    read_blob,
    repo_key,
    tree_at,
)
from accelerator.config import CONFIG_NAMES, BotConfig, load_trusted_settings
from accelerator.errors import AcceleratorError
from accelerator.plan.migrations import migration_version

if TYPE_CHECKING:
    from github import Github

    from accelerator.agent.session import ConversationSession, TurnResult
    from accelerator.agent.state import ConversationState
    from accelerator.generate import Generation, MigrationHistory
    from accelerator.memory import MemoryPool, MemoryStore
    from accelerator.model import Finding
    from accelerator.model.elements import Project

log = logging.getLogger("accelerator.github")

MAX_REDO = 3  # turns redone on a branch that moved, before giving up (never forced)
MAX_SESSIONS = 64  # conversations whose derived caches a process keeps warm
PUSH_TEXT = "status"
MAX_REVIEW_COMMENTS = 50  # inline comments of one review read as one turn
MAX_REACTIONS = 10  # what a push turn asks: it adopts the head's changes and reports


class Sessions:
    """Conversation sessions by thread, their derived caches warm (an LRU). The queue runs a
    conversation's deliveries one at a time, so a session is never used by two workers at once."""

    def __init__(
        self,
        factory: Callable[[str, str, MigrationHistory | None], ConversationSession],
        size: int = MAX_SESSIONS,
    ) -> None:
        self.factory = factory
        self.size = size
        self._items: OrderedDict[str, ConversationSession] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self, thread_id: str, output: str | None = None, history: MigrationHistory | None = None
    ) -> ConversationSession:
        """The thread's session; made again when the project's output directory is another one.
        `history`: the head's migrations, which a new thread's opening starts from."""
        with self._lock:
            found = self._items.get(thread_id)
            if found is None or (output is not None and found.output_prefix != output):
                found = self.factory(thread_id, output or "generated", history)
                self._items[thread_id] = found
            self._items.move_to_end(thread_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
            return found


class PullRequestBot:
    """Handles one event at a time per conversation; any number of conversations in parallel."""

    def __init__(
        self,
        pool: MemoryPool,
        settings: BotSettings,
        github: Github,
        *,
        schema: str = "accelerator",
        terraform: bool = False,
    ) -> None:
        from accelerator.agent.session import ConversationSession
        from accelerator.memory import MemoryStore

        self.pool = pool
        self.schema = schema
        self.settings = settings
        self._github = github
        self._clients = threading.local()
        self.identity = BotIdentity(settings, github)
        self.store: MemoryStore = MemoryStore(pool, schema)
        self.terraform = terraform

        def session(thread_id: str, output: str, history: MigrationHistory | None) -> ConversationSession:
            return ConversationSession(
                pool,
                thread_id,
                schema=schema,
                channel="github",
                terraform=terraform,
                output_prefix=output,
                history=history,
            )

        self.sessions = Sessions(session)
        self.registry = Registry()
        self.registry.on(
            "pull_request.opened", "pull_request.reopened", "pull_request.synchronize",
            "pull_request.ready_for_review",
        )(self.on_push)  # fmt: skip
        self.registry.on("pull_request.closed")(self.on_closed)
        self.registry.on("issue_comment.created", "issue_comment.edited")(self.on_comment)
        # An inline comment comes with its review's `submitted` (a single comment is a review too):
        # the review is the turn, so that a review with several comments is ONE turn.
        self.registry.on("pull_request_review.submitted")(self.on_review)
        from accelerator.channels.github.issues import install

        install(self)  # issue commands, the regenerate PR, a PR continuing a conversation's thread

    @property
    def github(self) -> Github:
        """This thread's client: the one given, cloned per worker thread (same token, retries and
        write spacing). PyGithub's connection is not thread-safe: one client shared by threads can send
        one thread's request with another's verb, URL and body (PyGithub/PyGithub#2052)."""
        client: Github | None = getattr(self._clients, "github", None)
        if client is None:
            client = self._clients.github = self._github.withLazy(True)
        return client

    # -- entry ----------------------------------------------------------------------------------------

    def ignored(self, event: Event) -> str | None:
        """Why the event is not a turn (from the payload alone), None when it is one."""
        if event.thread_id is None:
            return f"{event.key} belongs to no pull request"
        if not self.registry.handles(event):
            return f"{event.key} is not handled"
        return ignored_because(event, self.identity.login, None)  # the prefix is the base branch's

    def handle(self, event: Event) -> list[TurnReport]:
        reason = self.ignored(event)
        if reason is not None:
            log.debug("delivery %s (%s) ignored: %s", event.delivery, event.key, reason)
            return [TurnReport(event.thread_id or "", "ignored", note=reason)]
        context = Context.of(event, self.github)
        return [report for report in self.registry.dispatch(context) if isinstance(report, TurnReport)]

    # -- handlers -------------------------------------------------------------------------------------

    def on_closed(self, ctx: Context) -> TurnReport:
        self.store.open_conversation(ctx.thread_id, "github", repo=ctx.repository, pr_number=ctx.number)
        self.store.close_conversation(ctx.thread_id)
        return TurnReport(ctx.thread_id, "close")

    def on_push(self, ctx: Context) -> TurnReport:
        pull = ctx.repo.get_pull(ctx.number)
        if pull.state != "open":
            return TurnReport(ctx.thread_id, "ignored", note="the pull request is closed")
        head = _payload_head(ctx.event)
        if ctx.event.action == "synchronize" and head and head != pull.head.sha:
            return TurnReport(ctx.thread_id, "ignored", note="superseded by a newer push (queued behind)")
        if ctx.event.action == "synchronize" and head and head == self._last_seen(ctx.thread_id):
            return TurnReport(ctx.thread_id, "ignored", note="the bot's own push")
        if ctx.event.action == "synchronize" and head and commits.head_is_bots(ctx.repo, head):
            return TurnReport(ctx.thread_id, "ignored", note="the bot's own push")
        user = self.store.upsert_user(github_login=ctx.sender) if ctx.sender else None
        return self.turn(ctx, pull, None, user.id if user else None)

    def trusted(self, repo: Repository, base: str) -> BotConfig:
        """The `bot:` settings of the base branch's accelerator.yaml (never the PR's own: a pull
        request cannot grant itself permissions); the defaults when it has none or a broken one."""
        for name in CONFIG_NAMES:
            text = file_at(repo, base, name)
            if text is None:
                continue
            try:
                return load_trusted_settings(text, f"{base}:{name}").bot
            except AcceleratorError as error:
                log.warning("the bot: settings of %s are ignored: %s", base, error.format())
                break
        return BotConfig(prefix=self.settings.prefix)

    def on_comment(self, ctx: Context) -> TurnReport:
        """A comment on the pull request (its conversation tab)."""
        pull = ctx.repo.get_pull(ctx.number)
        config = self.trusted(ctx.repo, pull.base.ref)
        command = self.comment_command(ctx, config)
        if isinstance(command, TurnReport):
            return command
        return self.turn(ctx, pull, command, command.user_id, prefix=config.prefix)

    def comment_command(self, ctx: Context, config: BotConfig) -> Command | TurnReport:
        """The event's comment (on a pull request or an issue) as a command: ignored when it is not
        addressed to the bot, one polite reply to who may not edit; else acknowledged (eyes)."""
        comment = ctx.event.comment
        comment_id, body, url = comment.get("id"), comment.get("body"), comment.get("html_url")
        text = command_text(body, config.prefix, self.identity.login) if isinstance(body, str) else None
        if not isinstance(comment_id, int) or text is None:
            return TurnReport(ctx.thread_id, "ignored", note="not addressed to the bot")
        key = f"comment:{comment_id}"
        refused = self._refused(ctx, config, key, text)
        if refused is not None:
            return refused
        self._acknowledge(ctx.repo.get_issue(ctx.number).get_comment(comment_id))
        user = self.store.upsert_user(github_login=ctx.sender)
        return Command(key, text or "help", ctx.sender, user.id, url if isinstance(url, str) else None)

    def on_review(self, ctx: Context) -> TurnReport:
        """A submitted review: its body and its inline comments addressed to the bot are ONE turn;
        an inline comment's "this" is the table or column declared on its ERD line."""
        review = ctx.event.payload.get("review")
        review = review if isinstance(review, dict) else {}
        review_id, body, url = review.get("id"), review.get("body"), review.get("html_url")
        if not isinstance(review_id, int):
            return TurnReport(ctx.thread_id, "ignored", note="a review without an id")
        pull = ctx.repo.get_pull(ctx.number)
        config = self.trusted(ctx.repo, pull.base.ref)
        said: list[str] = []
        meant: list[str] = []
        inline: list[Any] = []
        text = (
            command_text(body, config.prefix, self.identity.login) if isinstance(body, str) and body else None
        )
        if text:
            said.append(text)
            meant.append(text)
        for comment in list(pull.get_single_review_comments(review_id))[:MAX_REVIEW_COMMENTS]:
            part = command_text(comment.body or "", config.prefix, self.identity.login)
            if not part:
                continue
            place = {"path": comment.path, "line": comment.raw_data.get("line") or comment.original_line}
            said.append(part)
            meant.append(self._resolve_this(ctx.thread_id, place, part))
            inline.append(comment)
        if not said:
            return TurnReport(ctx.thread_id, "ignored", note="no part of the review is addressed to the bot")
        key = f"review:{review_id}"
        refused = self._refused(ctx, config, key, "\n".join(said))
        if refused is not None:
            return refused
        for comment in inline[:MAX_REACTIONS]:
            self._acknowledge(comment)
        user = self.store.upsert_user(github_login=ctx.sender)
        command = Command(
            key,
            "\n".join(meant),
            ctx.sender,
            user.id,
            url if isinstance(url, str) else None,
            review_comment=inline[0].id if inline else None,
            shown="\n".join(said),
        )
        return self.turn(ctx, pull, command, user.id, prefix=config.prefix)

    def _refused(self, ctx: Context, config: BotConfig, key: str, text: str) -> TurnReport | None:
        """One polite reply, and nothing else, to someone who may not edit."""
        level = self.permission(ctx, ctx.sender)
        if config.may_edit(level):
            return None
        allowed = ", ".join(config.edit_permissions)
        note = (
            f"Sorry @{ctx.sender}, only people with {allowed} permission on this "
            f"repository can change it through me (yours: {level}). Nothing was changed."
        )
        issue = ctx.repo.get_issue(ctx.number)
        replied = self._reply_once(issue, key, summary.reply_body(key, text, note, None))
        return TurnReport(ctx.thread_id, "refused", reply=note, replied=replied)

    def permission(self, ctx: Context, login: str) -> str:
        """The user's permission on the delivery's repository, asked once per delivery (the refusal
        and the turn both need it)."""
        found = ctx.permissions.get(login)
        if found is None:
            found = ctx.permissions[login] = permission(self.github, ctx.repository, login)
        return found

    def _acknowledge(self, comment: Any) -> None:
        """The eyes reaction: the comment was heard (before the turn runs)."""
        try:
            comment.create_reaction("eyes")
        except GithubException as failure:  # an acknowledgement is not worth failing the turn
            log.warning("no eyes reaction on a comment: %s", failure.status)

    # -- a turn ---------------------------------------------------------------------------------------

    def turn(
        self,
        ctx: Context,
        pull: PullRequest,
        command: Command | None,
        user_id: int | None,
        *,
        prefix: str | None = None,
    ) -> TurnReport:
        thread, repo, delivery = ctx.thread_id, ctx.repo, ctx.event.delivery
        session = self.sessions.get(thread)
        session.open(repo=ctx.repository, pr_number=ctx.number, created_by=user_id)
        report = TurnReport(thread, "comment" if command else "push")
        fork = pull.head.repo is None or pull.head.repo.full_name != ctx.repository
        branch, head_sha = pull.head.ref, pull.head.sha
        if prefix is None:
            prefix = self.trusted(repo, pull.base.ref).prefix
        inputs = summary.SummaryInputs(prefix=prefix, fork=fork)
        result: TurnResult | None = None
        made = False  # the turn made the head commit itself (no check run can be on it yet)
        for attempt in range(MAX_REDO + 1):
            last_seen = self._last_seen(thread)
            found = None
            if attempt == 0 and not fork:
                found = commits.find_turn_commit(repo, head_sha, delivery, stop=last_seen)
            if found is not None:  # committed before a crash: finish the turn on it, commit nothing
                self.store.set_head_sha(thread, found)
                report.commit = head_sha = last_seen = found
            try:
                with checked_out(repo, head_sha) as head:
                    result, files, inputs = self._run(session, ctx, head, last_seen, command, inputs)
                    base = head.tree
            except AcceleratorError as problem:  # the head cannot be read (a broken accelerator.yaml)
                inputs = replace(inputs, problem=problem.format(), head=head_sha)
                if command is not None:
                    shown = summary.fence(problem.format()[:5000])
                    note = f"I cannot read this pull request's head:\n\n{shown}"
                    result = None
                    report.reply = note
                break
            report.files = sorted(files)
            if fork or not files:
                self.store.set_head_sha(thread, head_sha)
                break
            message = commits.commit_message(_subject(result, command), delivery)
            try:
                report.commit = commits.commit_files(repo, branch, head_sha, base, files, message)
            except commits.BranchMoved:
                log.info(
                    "%s moved during turn %s (attempt %d): redone on the new head",
                    branch,
                    delivery,
                    attempt + 1,
                )
                head_sha = repo.get_pull(ctx.number).head.sha
                continue
            made = True
            crash_point("github.committed")
            self.store.set_head_sha(thread, report.commit)
            break
        else:
            report.moved = True
        inputs = replace(inputs, commit=report.commit, moved=report.moved)
        if result is not None:
            report.duplicate, report.ran = result.duplicate, not result.duplicate
            report.reply = result.reply
        self._write_back(ctx, pull, command, report, inputs, made=made)
        return report

    def _turn(self, ctx: Context, command: Command, head_sha: str, adopted: dict[str, str]) -> Any:
        from accelerator.agent.state import Turn

        turn = Turn(
            event=f"{ctx.thread_id}:{command.key}",
            text=command.text,
            author=command.author,
            user_id=command.user_id,
            source={"kind": "comment", "id": command.key, "url": command.url},
            commit_sha=head_sha,
            # `allow`, and `confirm` of somebody else's edits, need maintain or admin (the agent checks)
            permission=self.permission(ctx, command.author),
        )
        if adopted:
            turn["adopted"] = adopted
        return turn

    def _run(
        self,
        session: ConversationSession,
        ctx: Context,
        head: Head,
        last_seen: str | None,
        command: Command | None,
        inputs: summary.SummaryInputs,
    ) -> tuple[TurnResult | None, dict[str, str | None], summary.SummaryInputs]:
        """The memory turn(s) on this head, then the files that differ from it."""
        from accelerator.agent.state import Turn
        from accelerator.channels.cli.chat import base_history, read_inputs

        inputs = replace(inputs, head=head.sha, blob_url=None)
        if head.config_file is None:
            missing = (
                "no accelerator.yaml at the head of this pull request: run `accelerator init` and push it"
            )
            return None, {}, replace(inputs, problem=missing)
        local = read_inputs(head.config_file, None, None, None)
        output = PurePosixPath(local.config.output).as_posix().strip("/")
        session = self.sessions.get(ctx.thread_id, output, base_history(local))
        initial: ConversationState = {**local.initial, "thread_id": ctx.thread_id, "worktree": None}
        result: TurnResult | None = None
        with session.lock():
            state = session.state()
            if state is None:
                result = session.start(initial)
                state = result.state
                hand: dict[str, str] = {}
            else:
                hand = self._hand_edits(ctx.repo, state, head, last_seen)
            if command is not None:
                result = session.turn(self._turn(ctx, command, head.sha, hand))
                if not result.duplicate:
                    hand = {}
            if hand:
                adopt = Turn(
                    event=f"{ctx.thread_id}:push:{head.sha}",
                    text=PUSH_TEXT,
                    author=ctx.sender or None,
                    source={"kind": "push", "id": ctx.event.delivery, "commit": head.sha},
                    commit_sha=head.sha,
                    adopted=hand,
                )
                pushed = session.turn(adopt)
                result = result or pushed
            state = session.state() or state  # after every turn of this head
            files, generated, generation = self._materialize(session, state, head)
        findings: list[Finding] = list(generation.findings) if generation is not None else []
        problem: str | None = None
        if generation is None:
            first = state.get("findings", {}).get("first") or ["the sources do not build"]
            problem = "\n".join(first)
        docs = {p: t for p, t in (generation.files.items() if generation else ()) if p.startswith("docs/")}
        out = PurePosixPath(head.config.output if head.config else "generated").as_posix()
        changed_docs = [p.removeprefix(out + "/") for p in files]
        inputs = replace(
            inputs,
            findings=findings,
            problem=problem,
            generated=generated,
            diagram=summary.diagram_of(docs, changed_docs),
            last_edits=list(state.get("last_edits") or []),
        )
        return result, files, inputs

    def _hand_edits(
        self, repo: Repository, state: ConversationState, head: Head, last_seen: str | None
    ) -> dict[str, str]:
        """Sources the branch changed since the commit the conversation last saw, where they differ
        from the conversation's. A source the conversation changed but never committed (a worker
        killed in between) is the same blob at both commits: not a hand edit."""
        seen: Tree | None = None
        if last_seen is not None and last_seen != head.sha:
            try:
                seen = tree_at(repo, last_seen)
            except GithubException:  # the commit is gone (a force push): compare texts only
                seen = None
        hand: dict[str, str] = {}
        if last_seen == head.sha:
            return hand
        for file, text in state["sources"].items():
            current = head.text(file)
            if current is None or current == text:
                continue
            before = seen.files.get(file) if seen is not None else None
            entry = head.tree.files.get(file)
            if before is not None and entry is not None and before.sha == entry.sha:
                continue  # the branch did not touch it: the conversation's text is the newer
            if before is not None:  # both may have changed it: the human's change on the conversation's
                try:
                    base = read_blob(repo, before).decode("utf-8", "replace")
                except GithubException:  # gone (the tree was remembered, a force push): no merge
                    base = None
                merged = None if base is None else merge3(base, text, current)
                if base is not None and merged is None:
                    log.warning("%s: a hand edit overlaps the conversation's; the hand edit is kept", file)
                current = current if merged is None else merged
                if current == text:
                    continue
            hand[file] = current
        return hand

    def _materialize(
        self, session: ConversationSession, state: ConversationState, head: Head
    ) -> tuple[dict[str, str | None], dict[str, list[str]], Generation | None]:
        """The files of the state (sources and the generated output, each environment's versioned
        migrations as the agent made them) that differ from the head: path -> text (None: deleted, a
        migration an undo withdrew), and the changed ones by group. A migration of the head that the
        conversation did not make (another pull request's, brought in by "Update branch", or one
        written by hand) is never deleted: it is kept, with a `migrations.foreign` error."""
        files: dict[str, str | None] = dict(differing(head, state["sources"].items()))
        generation = session.generation(state)
        generated: dict[str, list[str]] = {}
        if generation is None or head.config is None:
            return files, generated, generation
        out = PurePosixPath(head.config.output).as_posix().strip("/")
        made: set[str] | None = None  # read from the memory only when the head has such a file
        foreign: list[Finding] = []
        for path in not_generated(head, out, generation):
            made = made if made is not None else recorded_files(session)
            if path in made:  # the conversation's own, withdrawn (an undo) or a baseline caught up
                files[path] = None
                generated.setdefault(path.removeprefix(f"{out}/").split("/")[1], []).append(path)
            elif migration_version(path.rsplit("/", 1)[1]) is not None:
                foreign.append(foreign_migration(path))
        if foreign:
            generation = replace(generation, gates=[*generation.gates, *foreign])
        changed = differing(
            head, ((f"{out}/{relative}", text) for relative, text in generation.files.items())
        )
        for path, text in changed:
            files[path] = text
            parts = path.removeprefix(f"{out}/").split("/")
            group = parts[1] if parts[0] in ("sql", "terraform") and len(parts) > 2 else "model and docs"
            generated.setdefault(group, []).append(path)
        return files, generated, generation

    # -- writing back ---------------------------------------------------------------------------------

    def _write_back(
        self,
        ctx: Context,
        pull: PullRequest,
        command: Command | None,
        report: TurnReport,
        inputs: summary.SummaryInputs,
        *,
        made: bool = False,
    ) -> None:
        issue = ctx.repo.get_issue(ctx.number)
        html = pull.head.repo.html_url if pull.head.repo is not None else None
        blob_url = (
            f"{html}/blob/{report.commit or inputs.head}" if html and (report.commit or inputs.head) else None
        )
        inputs = replace(inputs, blob_url=blob_url, last_author=command.author if command else None)
        comments = list(issue.get_comments())
        mine = [c for c in comments if c.user is not None and c.user.login == self.identity.login]
        if command is not None:
            repo_url = pull.html_url.rsplit("/pull/", 1)[0]  # the pull's own data: no request for the repo
            commit_url = f"{repo_url}/commit/{report.commit}" if report.commit else None
            note = None
            if report.moved:
                note = "The branch kept moving while I worked (3 times): nothing was committed; push again or retry."
            elif inputs.fork:
                note = (
                    "This pull request comes from a fork: I do not push to forks, so nothing was committed. "
                    "The author can make the edit above on the fork's branch, run `accelerator generate` and "
                    "push: the next push is checked again."
                )
            said = command.shown or command.text
            if command.shown and command.shown != command.text:
                understood = f"Understood as: {summary.code(command.text)}"
                note = "\n\n".join(part for part in (understood, note) if part)
            body = summary.reply_body(command.key, said, report.reply or "", commit_url, note)
            marker = summary.reply_marker(command.key)
            if command.review_comment is not None:
                thread = [
                    c
                    for c in pull.get_review_comments()
                    if c.user is not None and c.user.login == self.identity.login
                ]
                if not any(marker in (c.body or "") for c in thread):
                    pull.create_review_comment_reply(command.review_comment, body)
                    report.replied = True
            elif not any(marker in (c.body or "") for c in mine):
                issue.create_comment(body)
                report.replied = True
            crash_point("github.replied")
        self._check(ctx.repo, report.commit or inputs.head, inputs, made=made)
        body = summary.summary_body(inputs)
        sticky = next((c for c in mine if summary.SUMMARY_MARKER in (c.body or "")), None)
        # a turn that ran nothing new (a redelivery, an edited comment already handled) leaves it be
        if sticky is None:
            issue.create_comment(body)
        elif sticky.body != body and (report.ran or report.commit is not None or report.files):
            sticky.edit(body)

    def _check(
        self, repo: Repository, head: str | None, inputs: summary.SummaryInputs, *, made: bool = False
    ) -> None:
        """The head's check run, once (`made`: the turn made the head commit itself)."""
        if head is None:
            return
        key = (repo_key(repo), head)
        if key in PUBLISHED:
            return
        try:
            publish_check(
                repo, head, inputs.findings, inputs.problem, bot_login=self.identity.login, new_commit=made
            )
            PUBLISHED.add(key)
        except GithubException as failure:  # a token without checks: write (Actions' default, forks)
            if failure.status not in (403, 404):
                raise
            log.warning("no check run on %s: %s", head[:12], failure.status)

    def _resolve_this(self, thread_id: str, comment: dict[str, Any], text: str) -> str:
        """An inline comment's "this": the table or column declared on the commented ERD line."""
        if not THIS.search(text):
            return text
        path, line = comment.get("path"), comment.get("line") or comment.get("original_line")
        session = self.sessions.get(thread_id)
        state = session.state()
        if state is None or not isinstance(path, str) or not isinstance(line, int):
            return text
        try:
            governed = session.derived.governed(Inputs.of(state), state["sources"])
        except AcceleratorError:
            return text
        found = object_at(governed.project, path, line)
        if found is None:
            return text
        kind, name = found
        text = RENAME_THIS.sub(f"rename {kind} {name}", text)
        return THIS.sub(name, text)

    def _reply_once(self, issue: Any, key: str, body: str) -> bool:
        marker = summary.reply_marker(key)
        for comment in issue.get_comments():
            if (
                comment.user is not None
                and comment.user.login == self.identity.login
                and marker in (comment.body or "")
            ):
                return False
        issue.create_comment(body)
        return True

    def _last_seen(self, thread_id: str) -> str | None:
        try:
            return self.store.conversation(thread_id).head_sha
        except AcceleratorError:
            return None


THIS = re.compile(r"\bthis\b", re.IGNORECASE)
RENAME_THIS = re.compile(r"\brename\s+this\b", re.IGNORECASE)


def object_at(project: Project, path: str, line: int) -> tuple[str, str] | None:
    """("column" | "table", its qualified name) declared on `line` of `path`: the column whose span
    holds the line, else the table's."""
    table_found: tuple[str, str] | None = None
    for catalog in project.catalogs:
        for schema in catalog.schemas:
            for table in schema.tables:
                name = f"{catalog.name}.{schema.name}.{table.name}"
                for column in table.columns:
                    span = column.span
                    if span is not None and span.file == path and span.line <= line <= span.end_line:
                        return "column", f"{name}.{column.name}"
                span = table.span
                if span is not None and span.file == path and span.line <= line <= span.end_line:
                    table_found = ("table", name)
    return table_found


def _payload_head(event: Event) -> str | None:
    pull = event.payload.get("pull_request")
    head = pull.get("head") if isinstance(pull, dict) else None
    sha = head.get("sha") if isinstance(head, dict) else None
    return sha if isinstance(sha, str) else None


def _subject(result: TurnResult | None, command: Command | None) -> str:
    if command is not None:
        return f"accelerator: {command.text.splitlines()[0] if command.text else 'turn'}"
    return "accelerator: regenerate"


def elapsed(start: float) -> float:
    return time.perf_counter() - start


def recorded_files(session: ConversationSession) -> set[str]:
    """The generated files (repository paths) the conversation's memory holds: its turns' and the
    opening's, not a hand edit a turn adopted. Only these may be deleted when the generation no
    longer has them; the generation removes only a migration a turn made (`withdrawable`: never one
    of the opening) and the baseline model.json of an environment that caught up."""
    return {version.path for version in session.store.turn_files(session.thread_id) if not version.adopted}


def foreign_migration(path: str) -> Finding:
    """The error for a migration of the branch that the conversation did not make: kept as it is."""
    from accelerator.model import Finding
    from accelerator.model.elements import Span

    return Finding(
        rule="migrations.foreign",
        severity="error",
        message=(
            f"{path} was not generated by this conversation (it came from another branch, e.g. by "
            "'Update branch', or was written by hand): I keep it, but the migrations and migrations.sum I "
            "generate do not count it. If it belongs to the base branch, run `accelerator generate` on this "
            "branch and push (the migrations then follow it); if not, delete it and push"
        ),
        span=Span(file=path, line=1, column=1, end_line=1, end_column=1),
    )
