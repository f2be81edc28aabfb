"""`accelerator propose` and `propose` in `accelerator chat` (both in `chat.py`, which imports this
module): the terminal conversation's edits and
regenerated files become a branch (`accelerator/<thread-slug>`) and a pull request whose body lists
the edits and the findings. The PR continues the SAME thread: the bot's turns on it (`github:OWNER/
REPO#N`, linked in the memory) run in this conversation, so its history and `undo` carry over.

The repository is `--repo OWNER/REPO`, else the one `git remote get-url origin` names; GitHub is
`GITHUB_API_URL` (default https://api.github.com) with `GITHUB_TOKEN`. The bot must use the same
memory database as the terminal for the PR to continue the thread (it is linked there).
"""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from accelerator.channels.cli.app import out
from accelerator.errors import AcceleratorError

if TYPE_CHECKING:
    from github import Github

    from accelerator.agent.session import ConversationSession
    from accelerator.channels.github.propose import Proposal
    from accelerator.memory import MemoryStore

FULL_NAME = re.compile(r"^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$")
REMOTE = re.compile(r"[:/]([A-Za-z0-9-]{1,39})/([A-Za-z0-9._-]{1,100}?)(?:\.git)?/?$")
TitleOption = Annotated[str | None, typer.Option("--title", help="the pull request's title")]
BaseOption = Annotated[
    str | None, typer.Option("--base", help="the branch to merge into (default: the repository's default)")
]
RepoOption = Annotated[
    str | None, typer.Option("--repo", help="OWNER/REPO (default: from `git remote get-url origin`)")
]


def repository_from_remote(url: str) -> str | None:
    """OWNER/REPO from a remote URL (https, ssh, `git@host:owner/repo.git`); None if it names none."""
    found = REMOTE.search(url.strip())
    if found is None:
        return None
    name = f"{found.group(1)}/{found.group(2)}"
    return name if FULL_NAME.match(name) and not name.endswith((".", "/")) else None


def repository_of(root: Path, repo: str | None) -> str:
    """`--repo`, else the repository `origin` names."""
    if repo is not None:
        if not FULL_NAME.match(repo):
            raise AcceleratorError(f"--repo {repo!r} is not OWNER/REPO", hint="e.g. --repo alice/lakehouse")
        return repo
    try:
        done = subprocess.run(
            ["git", "remote", "get-url", "origin"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        done = None
    url = done.stdout.strip() if done is not None and done.returncode == 0 else ""
    name = repository_from_remote(url) if url else None
    if name is None:
        where = f"origin is {url!r}" if url else "this working tree has no git remote `origin`"
        raise AcceleratorError(
            f"cannot tell which GitHub repository to open the pull request in: {where}",
            hint="pass --repo OWNER/REPO",
        )
    return name


def github_from_env(env: Mapping[str, str] | None = None) -> Github:
    """A PyGithub client for GITHUB_API_URL with GITHUB_TOKEN."""
    from github import Auth, Github, GithubRetry

    from accelerator.channels.github.settings import api_url_from, write_spacing_from

    env = os.environ if env is None else env
    token = env.get("GITHUB_TOKEN") or ""
    if not token:
        raise AcceleratorError(
            "GITHUB_TOKEN is not set: the pull request cannot be opened",
            hint="export GITHUB_TOKEN=<a token with contents and pull-requests write> (e.g. `gh auth token`)",
        )
    spacing = write_spacing_from(env)
    return Github(
        base_url=api_url_from(env),
        auth=Auth.Token(token),
        retry=GithubRetry(total=3),
        timeout=30,
        seconds_between_writes=spacing or None,
    )


def propose_session(
    session: ConversationSession,
    store: MemoryStore,
    github: Github,
    repository: str,
    *,
    thread: str,
    project: str,
    output: str,
    title: str | None = None,
    base: str | None = None,
) -> Proposal:
    """Open (or update) the pull request of the session's thread: its sources and generated files."""
    from github import GithubException

    from accelerator.channels.github.commits import commit_message
    from accelerator.channels.github.propose import (
        branch_name,
        changed_files,
        open_proposal,
        proposal_body,
        thread_edits,
    )

    state = session.state()
    if state is None:
        raise AcceleratorError(
            f"thread {thread} has no conversation yet: there is nothing to propose",
            hint="run `accelerator chat` in this working tree and make an edit first",
        )
    generation = session.generation(state)
    if generation is None:
        raise AcceleratorError(
            "the conversation's sources do not build: fix them before proposing them",
            hint="`accelerator check` shows why",
        )
    edits = thread_edits(store, thread)
    title = " ".join((title or "").split()) or (
        f"accelerator: {edits[-1]}" if edits else f"accelerator: {project}"
    )
    try:
        repo = github.get_repo(repository)
        return open_proposal(
            repo,
            store,
            thread,
            base=base or repo.default_branch,
            branch=branch_name(thread),
            title=title,
            files_of=lambda head: changed_files(state["sources"], generation, output, head),
            body_of=lambda files: proposal_body(edits, generation.findings, list(files), thread=thread),
            message=commit_message(title, f"propose:{uuid.uuid4().hex}"),
        )
    except GithubException as failure:
        message = failure.data.get("message") if isinstance(failure.data, dict) else None
        raise AcceleratorError(
            f"GitHub answered {failure.status} for {repository}: {message or failure}",
            hint="check GITHUB_TOKEN (contents and pull-requests write), GITHUB_API_URL and --repo",
        ) from None


def proposal_title(text: str) -> str | None:
    """The title of a chat line that is exactly one `propose` command ("" without a title), else None."""
    from accelerator.edit import parse_commands

    parsed = parse_commands(text)
    if parsed.errors or len(parsed.commands) != 1 or parsed.commands[0].op != "propose":
        return None
    return str(getattr(parsed.commands[0], "title", None) or "")


def print_proposal(proposal: Proposal) -> None:
    what = "opened" if proposal.created else "updated"
    commit = f" (commit {proposal.commit[:12]})" if proposal.commit else " (no new commit)"
    out.print(f"{what} pull request #{proposal.number}: {proposal.url}{commit}", markup=False)
    out.print(f"branch {proposal.branch}; comments on it continue this conversation", markup=False)
