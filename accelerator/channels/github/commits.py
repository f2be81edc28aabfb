"""One commit per turn through the Git Data API: a tree on `base_tree` holding the changed files'
texts -> a commit whose parent is the head the turn read -> a fast-forward update of the branch.
Never forced: when the branch moved meanwhile (422 "not a fast forward"), `BranchMoved` tells the
caller to read the new head and do the turn on it.

Each commit carries the trailer `Accelerator-Turn: <delivery id>`, so a worker that died between the
commit and the reply finds its commit on the branch instead of committing twice, and a push made by
the bot is known as its own.

Requests: the texts go in the tree request itself (no request per blob; a file over
`INLINE_MAX_BYTES`, or beyond `INLINE_BUDGET` in all, is a blob of its own), the parent is named by its sha (no read of it), and what
a commit holds is remembered by sha (`COMMITS`, `snapshot.TREES`, `snapshot.BLOBS`: immutable), so
the next turn on the bot's own head reads neither the commit, its tree nor the files it wrote.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

from github import GithubException, InputGitTreeElement
from github.GitCommit import GitCommit
from github.GitRef import GitRef
from github.GitTree import GitTree
from github.Repository import Repository

from accelerator.channels.github.snapshot import (
    BLOBS,
    TREES,
    Tree,
    git_blob_sha,
    repo_key,
    tree_after,
    tree_object,
)
from accelerator.lru import BoundedLru

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


MAX_KEPT_MESSAGE = 65_536  # characters of a commit message the cache keeps (the bot's are a few lines)


@dataclass(frozen=True)
class CommitInfo:
    """What the bot reads of a commit: its trailer, its parents, and its message when it is short (a
    pushed commit's message is untrusted and may be megabytes: the cache keeps it bounded)."""

    sha: str
    trailer: str | None
    parents: tuple[str, ...]
    message: str = ""

    @classmethod
    def of(cls, sha: str, message: str, parents: tuple[str, ...]) -> CommitInfo:
        kept = message if len(message) <= MAX_KEPT_MESSAGE else ""
        return cls(sha, trailer_of(message), parents, kept)


# Commits by (repository, sha): read once, or made by the bot (a commit never changes).
COMMITS: BoundedLru[tuple[str, str], CommitInfo] = BoundedLru(4096)


def _remember(repository: str, info: CommitInfo) -> None:
    COMMITS.put((repository, info.sha), info)


INLINE_MAX_BYTES = 8 * 1024 * 1024  # a larger file is sent as a blob of its own, not in the tree request
INLINE_BUDGET = 12 * 1024 * 1024  # the texts of one tree request, as JSON; the files beyond are blobs


def commit_info(repo: Repository, sha: str, ahead: int = 1) -> CommitInfo:
    """The commit, from `COMMITS` or one request; `ahead` > 1: the commit and its ancestors (that
    many at most) are listed in that request, for a walk that goes on."""
    key = repo_key(repo)
    found = COMMITS.get((key, sha))
    if found is None and ahead > 1:
        _list_commits(repo, sha, ahead)
        found = COMMITS.get((key, sha))
    if found is None:
        commit = repo.get_git_commit(sha)
        found = CommitInfo.of(commit.sha, commit.message, tuple(parent.sha for parent in commit.parents))
        _remember(key, found)
    return found


def _list_commits(repo: Repository, sha: str, count: int) -> None:
    """`count` commits from `sha` (its ancestors, newest first) into `COMMITS`: one request."""
    _, items = repo.requester.requestJsonAndCheck(
        "GET", f"{repo.url}/commits", parameters={"sha": sha, "per_page": max(1, min(count, 100))}
    )
    key = repo_key(repo)
    for item in items if isinstance(items, list) else []:
        commit = item.get("commit") if isinstance(item, dict) else None
        parents = item.get("parents") if isinstance(item, dict) else None
        if (
            not isinstance(commit, dict)
            or not isinstance(commit.get("message"), str)
            or not isinstance(parents, list)
        ):
            continue
        shas = tuple(p["sha"] for p in parents if isinstance(p, dict) and isinstance(p.get("sha"), str))
        if isinstance(item.get("sha"), str) and len(shas) == len(parents):
            _remember(key, CommitInfo.of(item["sha"], commit["message"], shas))


def find_turn_commit(repo: Repository, head: str, delivery: str, stop: str | None = None) -> str | None:
    """The commit carrying `delivery`'s trailer among the head's first-parent ancestors, up to the
    commit the conversation last saw (`stop`) or `MAX_WALK` commits: one request when the first
    parents are in one listing, none on the bot's own head (`COMMITS`)."""
    sha: str | None = head
    for walked in range(MAX_WALK):
        if sha is None:
            return None
        commit = commit_info(repo, sha, 1 if sha == stop else MAX_WALK - walked)
        if commit.trailer == delivery:
            return sha
        if sha == stop or not commit.parents:
            return None
        sha = commit.parents[0]
    return None


def head_is_bots(repo: Repository, head: str) -> bool:
    """Whether the head commit is one of the bot's own (it carries the trailer). A human's push
    lists its ancestors too: the turn that follows walks them (`find_turn_commit`)."""
    return commit_info(repo, head, MAX_WALK).trailer is not None


def commit_object(repo: Repository, sha: str) -> GitCommit:
    """A commit as the API's object, made without a request: `create_git_commit` names its
    parents by sha only."""
    url = f"{repo.url}/git/commits/{sha}"
    return GitCommit(repo.requester, {}, {"sha": sha, "url": url}, completed=False)


def branch_ref(repo: Repository, branch: str) -> GitRef:
    """The branch's ref as the API's object, made without a request, at the `git/refs/...` url
    that PATCH takes (`get_git_ref` names it `git/ref/...`, which only GET takes)."""
    url = f"{repo.url}/git/refs/heads/{urllib.parse.quote(branch)}"
    return GitRef(repo.requester, {}, {"ref": f"refs/heads/{branch}", "url": url}, completed=False)


def make_commit(
    repo: Repository,
    parent: str,
    base_tree: GitTree | Tree,
    files: Mapping[str, str | None],
    message: str,
) -> str:
    """A commit of `files` (path -> text; None deletes) on `parent` and its tree, no branch moved:
    the texts go in the tree request itself (two writes whatever the number of files: writes are
    spaced). With the parent's listing (a `snapshot.Tree`), what the commit holds is remembered."""
    base = base_tree.obj if isinstance(base_tree, Tree) else base_tree
    if base is None:
        assert isinstance(base_tree, Tree)
        base = tree_object(repo, base_tree.sha)
    elements = []
    written: dict[str, bytes | None] = {}
    budget = INLINE_BUDGET
    for path, text in sorted(files.items()):
        if text is None:
            elements.append(InputGitTreeElement(path, "100644", "blob", sha=None))
            written[path] = None
            continue
        data = text.encode("utf-8")
        written[path] = data
        size = len(json.dumps(text)) if len(data) <= INLINE_MAX_BYTES else budget + 1
        if size <= budget:
            budget -= size
            elements.append(InputGitTreeElement(path, "100644", "blob", content=text))
        else:
            elements.append(
                InputGitTreeElement(path, "100644", "blob", sha=repo.create_git_blob(text, "utf-8").sha)
            )
    tree = repo.create_git_tree(elements, base)
    commit = repo.create_git_commit(message, tree, [commit_object(repo, parent)])
    key = repo_key(repo)
    _remember(key, CommitInfo.of(commit.sha, commit.message, tuple(p.sha for p in commit.parents)))
    for text_bytes in written.values():
        if text_bytes is not None:  # the next turn reads this head: no need to fetch them
            BLOBS.put_new(git_blob_sha(text_bytes), text_bytes)
    if isinstance(base_tree, Tree):
        TREES.put(key, tree_after(base_tree, commit.sha, tree.sha, written))
    return str(commit.sha)


def commit_files(
    repo: Repository,
    branch: str,
    parent: str,
    base_tree: GitTree | Tree,
    files: Mapping[str, str | None],
    message: str,
) -> str:
    """Commit `files` (path -> text; None deletes the file) on top of `parent` and move `branch` to
    it; the new sha."""
    sha = make_commit(repo, parent, base_tree, files, message)
    move_branch(repo, branch, parent, sha)
    return sha


def move_branch(repo: Repository, branch: str, parent: str, sha: str) -> None:
    """Fast-forward `branch` from `parent` to `sha`; `BranchMoved` when it is elsewhere. The branch
    is read first: GitHub takes any fast-forward, and a branch reset behind `parent` (a force push
    during the turn) must not be moved forward over what it dropped."""
    ref = repo.get_git_ref(f"heads/{branch}")
    if ref.object.sha != parent:
        raise BranchMoved(f"{branch} moved from {parent[:12]} to {ref.object.sha[:12]}")
    try:
        branch_ref(repo, branch).edit(sha, force=False)
    except GithubException as failure:
        if failure.status == 422:
            raise BranchMoved(f"{branch} moved from {parent[:12]}") from failure
        raise
