"""The agent opens pull requests too: a conversation's edits and regenerated files become a branch
(`accelerator/<thread-slug>`) and a pull request, and that PR continues the conversation's thread.

- `open_proposal`: one commit on the branch (created from the base, or the existing one updated),
  the PR opened (or the open one found and its body refreshed), the thread linked under the PR's key;
- `linked_thread`: the bot's side: a PR the agent opened runs its turns in the thread it continues
  (`Registry.links`, installed with the issue commands and the regenerate PR by `issues.install`).

The link is recorded under the branch's key BEFORE the PR exists (its `opened` delivery may be
handled before `create_pull` returns), and under the PR's key once it does. Only a branch of the
repository itself (never a fork's) named `accelerator/...` is looked up by branch.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol

from github import GithubException
from github.PullRequest import PullRequest
from github.Repository import Repository

from accelerator.channels.github import commits, summary
from accelerator.channels.github.events import Context, thread_id
from accelerator.channels.github.snapshot import Head, checked_out, git_blob_sha
from accelerator.errors import AcceleratorError
from accelerator.plan.migrations import SUM_FILE, migration_version

if TYPE_CHECKING:
    from accelerator.agent.session import ConversationSession
    from accelerator.agent.state import ConversationState, Turn
    from accelerator.channels.github.client import BotIdentity
    from accelerator.channels.github.events import Command, Registry, TurnReport
    from accelerator.config import BotConfig
    from accelerator.generate import Generation, MigrationHistory
    from accelerator.memory import MemoryPool, MemoryStore
    from accelerator.model import Finding

BRANCH_PREFIX = "accelerator/"
MAX_REDO = 3  # the branch moved while committing: read it again and redo
MAX_EDITS_LISTED = 100
MAX_TITLE_CHARS = 256


class Sessions(Protocol):
    def get(
        self, thread_id: str, output: str | None = None, history: MigrationHistory | None = None
    ) -> ConversationSession: ...


class Bot(Protocol):
    """What the issue commands and the regenerate PR use of `pipeline.PullRequestBot` (not imported:
    the pipeline installs them)."""

    store: MemoryStore
    pool: MemoryPool
    schema: str
    terraform: bool
    registry: Registry
    identity: BotIdentity

    @property
    def sessions(self) -> Sessions: ...

    def trusted(self, repo: Repository, base: str) -> BotConfig: ...

    def _refused(self, ctx: Context, config: BotConfig, key: str, text: str) -> TurnReport | None: ...

    def comment_command(self, ctx: Context, config: BotConfig) -> Command | TurnReport: ...

    def _acknowledge(self, comment: Any) -> None: ...

    def _reply_once(self, issue: Any, key: str, body: str) -> bool: ...

    def _turn(self, ctx: Context, command: Command, head_sha: str, adopted: dict[str, str]) -> Turn: ...

    def _hand_edits(
        self, repo: Repository, state: ConversationState, head: Head, last_seen: str | None
    ) -> dict[str, str]: ...

    def _last_seen(self, thread_id: str) -> str | None: ...


def branch_key(repository: str, branch: str) -> str:
    """The alias a proposal's thread is linked under before its pull request exists."""
    return f"github:{repository}@branch:{branch}"


def branch_name(thread: str) -> str:
    """`accelerator/<thread-slug>`: a valid git branch name from any thread id."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", thread).strip("-.")
    slug = re.sub(r"\.{2,}", ".", slug)[:80].rstrip("-.")
    slug = re.sub(r"\.lock$", "-lock", slug) or "conversation"  # git refuses a `.lock` component
    return f"{BRANCH_PREFIX}{slug}"


class NothingToPropose(AcceleratorError):
    """The base already holds the conversation's sources and generated files."""


@dataclass(frozen=True)
class Proposal:
    number: int
    url: str
    branch: str
    commit: str | None  # the commit made now (None: the branch already held these files)
    created: bool  # a new pull request (False: the open one was updated)
    files: tuple[str, ...] = ()


# -- what a proposal holds ----------------------------------------------------------------------------


def changed_files(
    sources: Mapping[str, str], generation: Generation | None, output: str, head: Head
) -> dict[str, str | None]:
    """The sources and generated files that differ from `head`: path -> text; None deletes a
    versioned migration (or its sum, or model.json) the generation no longer has."""
    files: dict[str, str | None] = dict(differing(head, sources.items()))
    if generation is None:
        return files
    out = (PurePosixPath(head.config.output) if head.config else PurePosixPath(output)).as_posix().strip("/")
    files.update((path, None) for path in not_generated(head, out, generation))
    files.update(
        differing(head, ((f"{out}/{relative}", text) for relative, text in generation.files.items()))
    )
    return files


def differing(head: Head, files: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """The (path, text) of `files` that `head` does not hold as they are, in path order."""
    for path, text in sorted(files):
        entry = head.tree.files.get(path)
        if entry is None or entry.sha != git_blob_sha(text.encode("utf-8")):
            yield path, text


def not_generated(head: Head, out: str, generation: Generation) -> list[str]:
    """The head's versioned migrations, migrations.sum and baseline model.json files (of the
    generation's environments, under the output directory `out`) that the generation does not have."""
    environments = set(generation.environments)
    found = []
    for path in sorted(head.tree.files):
        relative = path.removeprefix(f"{out}/")
        parts = relative.split("/")
        if (
            path.startswith(f"{out}/sql/")
            and len(parts) == 3
            and parts[1] in environments
            and relative not in generation.files
            and (migration_version(parts[2]) is not None or parts[2] in (SUM_FILE, "model.json"))
        ):
            found.append(path)
    return found


def thread_edits(store: MemoryStore, thread: str) -> list[str]:
    """What the thread's turns changed, oldest first: each applied edit (with who asked), each undo
    and redo."""
    lines: list[str] = []
    authors: dict[int | None, str] = {}
    for entry in store.transcript(thread):
        role = str(getattr(entry.role, "value", entry.role))
        if role == "user" and entry.author:
            authors[entry.turn] = entry.author
        if role != "assistant" or not isinstance(entry.payload, dict):
            continue
        outcome = entry.payload.get("outcome")
        who = authors.get(entry.turn)
        by = f" ({who})" if who else ""
        if outcome in ("undone", "redone"):
            lines.append(f"{'undo' if outcome == 'undone' else 'redo'}{by}")
            continue
        for edit in entry.payload.get("edits") or []:
            if isinstance(edit, str) and edit:
                lines.append(f"{edit}{by}")
    return lines


def proposal_body(
    edits: Sequence[str],
    findings: Sequence[Finding],
    files: Sequence[str],
    *,
    thread: str,
    intro: str | None = None,
    closes: int | None = None,
) -> str:
    """The pull request's description: where it comes from, the edits, the files and the findings;
    under GitHub's body limit (the edits and files lists are shortened with a count)."""
    lines: list[str] = []
    if closes is not None:
        lines += [f"Closes #{closes}", ""]
    if intro:
        lines += [intro, ""]
    lines += [f"Opened by the accelerator from the conversation `{summary.escape(thread)}`: comment "
              "here to continue it (its history and `undo` carry over).", ""]  # fmt: skip
    lines += ["### Edits", ""]
    shown = [f"- {summary.escape(edit)}" for edit in edits] or ["- (none: the files are regenerated)"]
    if len(shown) > MAX_EDITS_LISTED:
        shown = [*shown[:MAX_EDITS_LISTED], f"- ... and {len(shown) - MAX_EDITS_LISTED} more"]
    lines += [*shown, ""]
    if files:
        listed = [f"- `{summary.escape(path)}`" for path in files[: summary.MAX_FILES_LISTED]]
        if len(files) > summary.MAX_FILES_LISTED:
            listed.append(f"- ... and {len(files) - summary.MAX_FILES_LISTED} more")
        lines += ["<details><summary>Files changed</summary>", "", *listed, "", "</details>", ""]
    lines += summary.findings_section(findings, None, summary.MAX_FINDINGS_LISTED)
    body = "\n".join(lines)
    return body if len(body) <= summary.MAX_BODY_CHARS else body[: summary.MAX_BODY_CHARS] + "\n\n..."


# -- opening it ---------------------------------------------------------------------------------------


def _branch_head(repo: Repository, branch: str) -> str | None:
    try:
        return str(repo.get_git_ref(f"heads/{branch}").object.sha)
    except GithubException as failure:
        if failure.status == 404:
            return None
        raise


def open_pull(repo: Repository, branch: str, base: str, title: str, body: str) -> tuple[PullRequest, bool]:
    """The open pull request of `branch` (its body refreshed), else a new one; and whether it is new."""
    owner = repo.full_name.split("/", 1)[0]
    for pull in repo.get_pulls(state="open", head=f"{owner}:{branch}"):
        if pull.head.ref == branch:
            if pull.body != body:
                pull.edit(body=body)
            return pull, False
    return repo.create_pull(base=base, head=branch, title=title[:MAX_TITLE_CHARS], body=body), True


def open_proposal(
    repo: Repository,
    store: MemoryStore,
    thread: str,
    *,
    base: str,
    branch: str,
    title: str,
    files_of: Callable[[Head], dict[str, str | None]],
    body_of: Callable[[Sequence[str]], str],
    message: str,
) -> Proposal:
    """Commit `files_of(head)` (what differs from the branch's head: the existing branch, else the
    base's) on `branch`, open its pull request (or update the open one) and link the PR to `thread`.
    Raises AcceleratorError when there is nothing to propose."""
    store.link_thread(branch_key(repo.full_name, branch), thread)  # before the PR's `opened`
    commit: str | None = None
    changed: list[str] = []
    for _attempt in range(MAX_REDO + 1):
        existing = _branch_head(repo, branch)
        start = existing or repo.get_branch(base).commit.sha
        with checked_out(repo, start) as head:
            files = files_of(head)
            tree = head.tree
        if not files:
            if existing is None:
                raise NothingToPropose(
                    f"nothing to propose: {base} already holds these sources and generated files",
                    hint="make an edit in the conversation first (e.g. `rename table T to NAME`)",
                )
            store.set_head_sha(thread, start)
            break
        made = commits.make_commit(repo, start, tree, files, message)
        try:
            if existing is None:
                repo.create_git_ref(f"refs/heads/{branch}", made)
            else:
                commits.move_branch(repo, branch, start, made)
        except commits.BranchMoved:
            continue
        except GithubException as failure:
            if existing is None and failure.status == 422:  # created meanwhile: read it again
                continue
            raise
        commit = made
        changed = sorted(files)
        store.set_head_sha(thread, commit)  # the PR's first turn sees no hand edit
        break
    else:
        raise AcceleratorError(f"{branch} kept moving while the proposal was committed", hint="try again")
    pull, created = open_pull(repo, branch, base, title, body_of(changed))
    store.link_thread(thread_id(repo.full_name, pull.number), thread)
    return Proposal(pull.number, pull.html_url, branch, commit, created, tuple(changed))


# -- the bot's side -----------------------------------------------------------------------------------


def linked_thread(store: MemoryStore, ctx: Context) -> str | None:
    """The thread a pull request continues: linked under its key, else (its first event) under its
    branch's key when the branch is the repository's own `accelerator/...`."""
    if ctx.event.scope != "pull":
        return None
    found = store.linked_thread(ctx.key)
    if found is not None:
        return found
    pull = ctx.event.payload.get("pull_request")
    head: Any = pull.get("head") if isinstance(pull, dict) else None
    ref = head.get("ref") if isinstance(head, dict) else None
    head_repo = head.get("repo") if isinstance(head, dict) else None
    name = head_repo.get("full_name") if isinstance(head_repo, dict) else None
    if not isinstance(ref, str) or not ref.startswith(BRANCH_PREFIX) or name != ctx.repository:
        return None
    found = store.linked_thread(branch_key(ctx.repository, ref))
    if found is not None:
        store.link_thread(ctx.key, found)
    return found
