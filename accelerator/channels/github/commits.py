"""One commit per turn through the Git Data API: blobs -> a tree on `base_tree` -> a commit whose
parent is the head the turn read -> a fast-forward update of the branch. Never forced: when the
branch moved meanwhile (422 "not a fast forward"), `BranchMoved` tells the caller to read the new
head and do the turn on it.

Each commit carries the trailer `Accelerator-Turn: <delivery id>`, so a worker that died between the
commit and the reply finds its commit on the branch instead of committing twice, and a push made by
the bot is known as its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from github import GithubException, InputGitTreeElement
from github.GitTree import GitTree
from github.Repository import Repository

from accelerator.channels.github.snapshot import BLOBS, git_blob_sha

TRAILER = "Accelerator-Turn"
TRAILER_LINE = re.compile(rf"^{TRAILER}: (\S+)\s*$", re.MULTILINE)
MAX_WALK = 20  # commits looked at from the head when searching for a turn's trailer


class BranchMoved(Exception):
    """The branch is no longer at the commit the turn started from."""


def trailer_of(message: str) -> str | None:
    found = TRAILER_LINE.findall(message)
    return found[-1] if found else None


def commit_message(summary: str, delivery: str) -> str:
    first = " ".join(summary.split())[:72] or "accelerator: regenerate"
    return f"{first}\n\n{TRAILER}: {delivery}\n"


def find_turn_commit(repo: Repository, head: str, delivery: str, stop: str | None = None) -> str | None:
    """The commit carrying `delivery`'s trailer among the head's first-parent ancestors, up to the
    commit the conversation last saw (`stop`) or `MAX_WALK` commits."""
    sha: str | None = head
    for _ in range(MAX_WALK):
        if sha is None:
            return None
        commit = repo.get_git_commit(sha)
        if trailer_of(commit.message) == delivery:
            return sha
        if sha == stop or not commit.parents:
            return None
        sha = commit.parents[0].sha
    return None


def head_is_bots(repo: Repository, head: str) -> bool:
    """Whether the head commit is one of the bot's own (it carries the trailer)."""
    return trailer_of(repo.get_git_commit(head).message) is not None


def commit_files(
    repo: Repository,
    branch: str,
    parent: str,
    base_tree: GitTree,
    files: Mapping[str, str | None],
    message: str,
) -> str:
    """Commit `files` (path -> text; None deletes the file) on top of `parent` and move `branch` to
    it; the new sha."""
    elements = []
    for path, text in sorted(files.items()):
        if text is None:
            elements.append(InputGitTreeElement(path, "100644", "blob", sha=None))
            continue
        blob = repo.create_git_blob(text, "utf-8")
        data = text.encode("utf-8")
        if git_blob_sha(data) == blob.sha:  # the next turn reads this head: no need to fetch it
            BLOBS.put(blob.sha, data)
        elements.append(InputGitTreeElement(path, "100644", "blob", sha=blob.sha))
    tree = repo.create_git_tree(elements, base_tree)
    commit = repo.create_git_commit(message, tree, [repo.get_git_commit(parent)])
    ref = repo.get_git_ref(f"heads/{branch}")
    if ref.object.sha != parent:  # read first: its url is then GitHub's `git/refs/...`, which PATCH takes
        raise BranchMoved(f"{branch} moved from {parent[:12]} to {ref.object.sha[:12]}")
    try:
        ref.edit(commit.sha, force=False)
    except GithubException as failure:
        if failure.status == 422:
            raise BranchMoved(f"{branch} moved from {parent[:12]}") from failure
        raise
    return commit.sha
