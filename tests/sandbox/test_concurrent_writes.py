"""Writes that run side by side: a file written through the contents API builds its commit without the
state's lock and moves the branch only if it is still where that commit was made on, so writes racing
on one branch all land, one after another, as GitHub serialises them; blobs, trees and commits (the git
data API) are written side by side."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor

from github import Auth, Github

from accelerator.sandbox import RunningSandbox

WRITERS = 8


def client(sandbox: RunningSandbox, login: str) -> Github:
    return Github(base_url=sandbox.api_url, auth=Auth.Token(login), retry=None, seconds_between_writes=None)


def test_files_written_at_once_on_one_branch_all_land(sandbox: RunningSandbox) -> None:
    repo = client(sandbox, "alice").get_user().create_repo("racing", auto_init=True)
    before = repo.get_branch("main").commit.sha

    def write(number: int) -> str:
        own = client(sandbox, "alice").get_repo("alice/racing")  # one connection per writer
        made = own.create_file(
            f"files/f{number}.txt", f"write {number}", f"content {number}\n", branch="main"
        )
        return str(made["commit"].sha)

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        commits = list(pool.map(write, range(WRITERS)))
    assert len(set(commits)) == WRITERS
    git = sandbox.state.git(sandbox.state.repository("alice", "racing"))
    head = repo.get_branch("main").commit.sha
    chain, sha = [], head
    while sha != before:  # one straight line of the eight commits, none lost, none made twice
        chain.append(sha)
        parents = git.commit(sha).parents
        assert len(parents) == 1
        sha = parents[0]
    assert sorted(chain) == sorted(commits)
    for number in range(WRITERS):
        found = repo.get_contents(f"files/f{number}.txt", ref="main")
        assert not isinstance(found, list)
        assert base64.b64decode(found.content) == f"content {number}\n".encode()


def test_git_data_objects_written_at_once(sandbox: RunningSandbox) -> None:
    repo = client(sandbox, "alice").get_user().create_repo("objects", auto_init=True)
    main = repo.get_git_commit(repo.get_branch("main").commit.sha)

    def commit(number: int) -> tuple[str, str]:
        own = client(sandbox, "alice").get_repo("alice/objects")
        blob = own.create_git_blob(f"blob {number}\n", "utf-8")
        from github.InputGitTreeElement import InputGitTreeElement

        tree = own.create_git_tree(
            [InputGitTreeElement(f"b{number}.txt", "100644", "blob", sha=blob.sha)], main.tree
        )
        made = own.create_git_commit(f"commit {number}", tree, [main])
        return made.sha, tree.sha

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        made = list(pool.map(commit, range(WRITERS)))
    git = sandbox.state.git(sandbox.state.repository("alice", "objects"))
    for number, (sha, tree) in enumerate(made):
        assert git.commit(sha).tree == tree
        assert git.entry(sha, f"b{number}.txt") is not None
        assert git.entry(sha, "README.md") is not None
