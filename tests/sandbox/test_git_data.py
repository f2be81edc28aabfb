"""Git data through PyGithub: blobs, trees (base_tree, content, sha, deletion), commits, a ref moved by
fast-forward (a PR head's move is a `synchronize`), and the commits endpoints read back by git itself."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest
from github import GithubException, InputGitAuthor, InputGitTreeElement

from accelerator.sandbox import RunningSandbox
from tests.sandbox.conftest import Receiver, client


def test_a_commit_of_several_files_through_git_data(
    sandbox: RunningSandbox, receiver: Receiver, tmp_path: Path
) -> None:
    repo = client(sandbox, "alice").get_user().create_repo("data", auto_init=True)
    main = repo.get_branch("main").commit.sha
    repo.create_git_ref("refs/heads/feature", main)
    repo.create_file("erd/old.dbml", "old", "Table old {}\n", branch="feature")
    pull = repo.create_pull(base="main", head="feature", title="t")

    blob = repo.create_git_blob("Table sales {}\n", "utf-8")
    assert repo.get_git_blob(blob.sha).content == "VGFibGUgc2FsZXMge30K\n"
    binary = repo.create_git_blob("AAEC/w==", "base64")
    head = repo.get_branch("feature").commit.sha
    base_tree = repo.get_git_tree(head)
    tree = repo.create_git_tree(
        [
            InputGitTreeElement("erd/sales.dbml", "100644", "blob", sha=blob.sha),
            InputGitTreeElement("bin/x", "100755", "blob", sha=binary.sha),
            InputGitTreeElement("notes.md", "100644", "blob", content="notes\n"),
            InputGitTreeElement("erd/old.dbml", "100644", "blob", sha=None),  # deleted
        ],
        base_tree,
    )
    assert sorted(entry.path for entry in tree.tree) == ["README.md", "bin", "erd", "notes.md"]
    listed = repo.get_git_tree(tree.sha, recursive=True).tree
    assert sorted((e.path, e.type) for e in listed) == [
        ("README.md", "blob"),
        ("bin", "tree"),
        ("bin/x", "blob"),
        ("erd", "tree"),
        ("erd/sales.dbml", "blob"),
        ("notes.md", "blob"),
    ]
    assert [e.mode for e in listed if e.path == "bin/x"] == ["100755"]
    author = InputGitAuthor("Alice", "alice@example.com", "2024-05-01T10:00:00Z")
    commit = repo.create_git_commit("sales domain", tree, [repo.get_git_commit(head)], author=author)
    assert (commit.author.name, commit.author.date.year, commit.parents[0].sha) == ("Alice", 2024, head)
    assert repo.get_git_commit(commit.sha).tree.sha == tree.sha

    ref = repo.get_git_ref("heads/feature")
    ref.edit(commit.sha)
    assert repo.get_pull(pull.number).head.sha == commit.sha
    one = repo.get_commit("feature")
    assert one.sha == commit.sha
    assert sorted((f.filename, f.status) for f in one.files) == [
        ("bin/x", "added"),
        ("erd/old.dbml", "removed"),
        ("erd/sales.dbml", "added"),
        ("notes.md", "added"),
    ]
    sales = next(f for f in one.files if f.filename == "erd/sales.dbml")
    assert (sales.additions, sales.patch) == (1, "@@ -0,0 +1 @@\n+Table sales {}")
    assert [c.sha for c in repo.get_commits(sha="feature")][:2] == [commit.sha, head]
    assert [c.sha for c in repo.get_commits(sha="feature", path="erd/old.dbml")] == [commit.sha, head]
    assert [c.sha for c in repo.get_commits(sha="main")] == [main]

    # git itself reads what the API wrote
    bare = tmp_path / "state" / "repos" / "alice" / "data.git"
    shown = subprocess.run(
        ["git", "--git-dir", str(bare), "show", f"{commit.sha}:bin/x"], capture_output=True, check=True
    )
    assert shown.stdout == b"\x00\x01\x02\xff"

    sandbox.webhooks.wait_idle()
    events = [(d.event, d.payload.get("action")) for d in receiver.wait_for(6)]
    assert events[-2:] == [("push", None), ("pull_request", "synchronize")]
    push = receiver.deliveries[-2].payload
    assert (push["before"], push["after"], push["forced"]) == (head, commit.sha, False)
    assert push["head_commit"]["removed"] == ["erd/old.dbml"]


def test_a_ref_moves_only_forward_unless_forced(sandbox: RunningSandbox) -> None:
    repo = client(sandbox, "alice").get_user().create_repo("ff", auto_init=True)
    first = repo.get_branch("main").commit
    tree = repo.create_git_tree([InputGitTreeElement("a", "100644", "blob", content="a")], first.commit.tree)
    side = repo.create_git_commit("side", tree, [repo.get_git_commit(first.sha)])
    other = repo.create_git_commit("other", tree, [repo.get_git_commit(first.sha)])
    ref = repo.get_git_ref("heads/main")
    ref.edit(side.sha)
    with pytest.raises(GithubException) as refused:
        ref.edit(other.sha)
    assert (refused.value.status, refused.value.data["message"]) == (422, "Update is not a fast forward")
    ref.edit(other.sha, force=True)
    assert repo.get_branch("main").commit.sha == other.sha
    repo.create_git_ref("refs/heads/gone", first.sha)
    repo.get_git_ref("heads/gone").delete()
    with pytest.raises(GithubException) as gone:
        repo.get_git_ref("heads/gone")
    assert gone.value.status == 404


def test_git_data_refuses_what_github_refuses(sandbox: RunningSandbox) -> None:
    repo = client(sandbox, "alice").get_user().create_repo("bad", auto_init=True)
    head = repo.get_branch("main").commit
    api = f"{sandbox.api_url}/repos/alice/bad"
    alice = {"Authorization": "token alice"}

    def post(path: str, body: object, headers: dict[str, str] = alice) -> httpx.Response:
        return httpx.post(f"{api}{path}", json=body, headers=headers)

    assert post("/git/blobs", {"content": "x"}, {"Authorization": "token mallory"}).status_code == 403
    assert post("/git/blobs", {"content": "%%", "encoding": "base64"}).status_code == 422
    assert post("/git/blobs", {"content": "x", "encoding": "utf-16"}).status_code == 422
    blob = post("/git/blobs", {"content": "x"}).json()["sha"]
    for entries in (
        [{"path": "../x", "mode": "100644", "type": "blob", "sha": blob}],
        [{"path": ".git/config", "mode": "100644", "type": "blob", "sha": blob}],
        [{"path": "x", "mode": "100644", "type": "blob", "sha": "1" * 40}],  # no such object
        [{"path": "x", "mode": "040000", "type": "tree", "sha": blob}],  # not a tree
        [{"path": "x", "mode": "100644", "type": "blob", "sha": blob, "content": "y"}],
        [{"path": "x", "mode": "777", "type": "blob", "sha": blob}],
    ):
        answer = post("/git/trees", {"tree": entries, "base_tree": head.commit.tree.sha})
        assert answer.status_code == 422, entries
        assert answer.json()["message"] == "Validation Failed"
    tree = head.commit.tree.sha
    assert post("/git/commits", {"message": "m", "tree": blob}).status_code == 422
    assert post("/git/commits", {"message": "m", "tree": tree, "parents": [blob]}).status_code == 422
    assert post("/git/commits", {"message": "m", "tree": tree, "author": {"name": "x"}}).status_code == 422
    assert httpx.get(f"{api}/git/blobs/{tree}", headers=alice).status_code == 404
    assert httpx.get(f"{api}/git/commits/{blob}", headers=alice).status_code == 404
    assert httpx.get(f"{api}/git/trees/{'2' * 40}", headers=alice).status_code == 404
    assert httpx.get(f"{api}/git/trees/main", headers=alice).json()["sha"] == tree


def test_commits_are_paginated_with_githubs_link_header(sandbox: RunningSandbox) -> None:
    repo = client(sandbox, "alice").get_user().create_repo("many", auto_init=True)
    for index in range(4):
        repo.create_file(f"f{index}.txt", f"commit {index}", "x")
    api = f"{sandbox.api_url}/repos/alice/many/commits"
    first = httpx.get(api, params={"per_page": 2}, headers={"Authorization": "token alice"})
    assert len(first.json()) == 2
    assert 'rel="next"' in first.headers["link"] and "page=2" in first.headers["link"]
    assert len(list(repo.get_commits())) == 5  # PyGithub follows the links
    newest = client(sandbox, "alice").get_repo("alice/many").get_commits()[0]
    assert newest.commit.message == "commit 3"
