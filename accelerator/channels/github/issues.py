"""A `/uc` command in an issue (not a pull request): the issue is a conversation (`github:OWNER/REPO#N`)
whose edits are opened as a pull request against the default branch (`accelerator/issue-N`, its body
"Closes #N"); the reply in the issue links the PR, and the PR continues the issue's thread.

Only someone who may edit gets a turn (the default branch's `bot:` settings say who); anyone else
gets the polite refusal and nothing changes. A later command in the issue adds its edits to the same
branch and PR. Exactly once as on a PR: the memory turn is keyed by the comment, the commit found by
its trailer (nothing to commit the second time), the PR by its branch and the reply by its marker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from accelerator.channels.github import summary
from accelerator.channels.github.events import Command, Context, TurnReport
from accelerator.channels.github.propose import (
    Bot,
    NothingToPropose,
    changed_files,
    linked_thread,
    open_proposal,
    proposal_body,
    thread_edits,
)
from accelerator.errors import AcceleratorError

if TYPE_CHECKING:
    from accelerator.agent.session import TurnResult
    from accelerator.channels.github.snapshot import Head
    from accelerator.model import Finding

MAX_TITLE_WORDS = 12


def install(bot: Bot) -> None:
    """Register on the bot: a PR the agent opened continues its thread (`Registry.links`), a `/uc`
    command in an issue opens a PR, a stale default branch opens or updates the regenerate PR."""
    from accelerator.channels.github.regenerate import Regenerate

    bot.registry.links = lambda ctx: linked_thread(bot.store, ctx)
    bot.registry.on("issue_comment.created", "issue_comment.edited", scope="issue")(IssueCommands(bot))
    bot.registry.on("push", scope="repository")(Regenerate(bot))


def issue_branch(number: int) -> str:
    return f"accelerator/issue-{number}"


@dataclass
class _Turn:
    result: TurnResult | None = None
    findings: list[Finding] = field(default_factory=list)


class IssueCommands:
    """The handler of `issue_comment` on an issue."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    def __call__(self, ctx: Context) -> TurnReport:
        from accelerator.channels.github.commits import commit_message

        bot = self.bot
        repo = ctx.repo
        base = repo.default_branch
        config = bot.trusted(repo, base)
        command = bot.comment_command(ctx, config)
        if isinstance(command, TurnReport):
            return command
        key, issue = command.key, repo.get_issue(ctx.number)
        thread = ctx.thread_id
        done = _Turn()

        def files_of(head: Head) -> dict[str, str | None]:
            return self._turn(ctx, head, command, command.user_id, done)

        def body_of(files: Any) -> str:
            return proposal_body(
                thread_edits(bot.store, thread),
                done.findings,
                list(files),
                thread=thread,
                intro=f"Requested by @{summary.escape(ctx.sender)} in #{ctx.number}.",
                closes=ctx.number,
            )

        report = TurnReport(thread, "comment")
        words = " ".join(command.text.split()[:MAX_TITLE_WORDS])
        note: str | None = None
        commit_url: str | None = None
        try:
            proposal = open_proposal(
                repo,
                bot.store,
                thread,
                base=base,
                branch=issue_branch(ctx.number),
                title=f"accelerator: {words}",
                files_of=files_of,
                body_of=body_of,
                message=commit_message(f"accelerator: {words}", ctx.event.delivery),
            )
        except NothingToPropose:
            proposal = None  # a question, a rejected turn, or edits that change nothing
        except AcceleratorError as problem:
            proposal = None
            note = f"I could not open a pull request:\n\n```text\n{problem.format()}\n```"
        if proposal is not None:
            report.commit, report.files = proposal.commit, list(proposal.files)
            opened = "Opened" if proposal.created else "Updated"
            note = f"{opened} #{proposal.number}: {proposal.url}"
            report.note = note
            if proposal.commit:
                commit_url = f"{repo.html_url}/commit/{proposal.commit}"
        result = done.result
        if result is not None:
            report.duplicate, report.ran, report.reply = result.duplicate, not result.duplicate, result.reply
        reply = summary.reply_body(key, command.text, report.reply or "", commit_url, note)
        report.replied = bot._reply_once(issue, key, reply)
        return report

    def _turn(
        self, ctx: Context, head: Head, command: Command, user_id: int, done: _Turn
    ) -> dict[str, str | None]:
        """The command as a turn of the issue's thread, on the branch's (else the base's) head; the
        files it changes there."""
        from accelerator.channels.cli.chat import base_history, read_inputs

        if head.config_file is None or head.config is None:
            raise AcceleratorError(
                f"no accelerator.yaml at {head.sha[:12]} of {ctx.repository}",
                hint="run `accelerator init` and push it to the default branch",
            )
        local = read_inputs(head.config_file, None, None, None)
        output = PurePosixPath(local.config.output).as_posix().strip("/")
        thread = ctx.thread_id
        session = self.bot.sessions.get(thread, output, base_history(local))
        session.open(repo=ctx.repository, created_by=user_id)
        with session.lock():
            state = session.state()
            hand: dict[str, str] = {}
            if state is None:
                session.start({**local.initial, "thread_id": thread, "worktree": None})
            else:  # what was pushed to the proposal's branch by hand is adopted, never overwritten
                hand = self.bot._hand_edits(ctx.repo, state, head, self.bot._last_seen(thread))
            done.result = session.turn(self.bot._turn(ctx, command, head.sha, hand))
            state = session.state() or done.result.state
            generation = session.generation(state)
        done.findings = list(generation.findings) if generation is not None else []
        if done.result.rejected:
            return {}
        files = changed_files(state["sources"], generation, output, head)
        # a question, or edits that leave the sources as they are: no proposal (the generated files
        # of a stale default branch are the regenerate PR's business)
        return files if any(path in state["sources"] for path in files) else {}
