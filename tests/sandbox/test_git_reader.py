"""The sandbox's fast git layer answers exactly as git's own commands do: objects and refs read through
the kept-open `cat-file` process (also after other git processes wrote them), the in-memory shortcuts
for ancestry, merge bases, commit lists and merges (on linear and merged history), diffs (counts from
--numstat, patches on demand, renames, binaries), tree listings and blobs written without git; and a
bot turn's warm PR read runs no git process at all."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from accelerator.sandbox import RunningSandbox
from accelerator.sandbox import git as git_module
from accelerator.sandbox.git import GitRepository, Signature, split_patch

ME = Signature("Ada", "ada@example.com", 1_700_000_000)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepository:
    return GitRepository.init(tmp_path / "r.git", "main")


def commit(repo: GitRepository, files: dict[str, tuple[str, bytes]], parents: list[str], message: str) -> str:
    tree = repo.write_flat_tree(
        {path: (mode, repo.write_blob(content)) for path, (mode, content) in files.items()}
    )
    return repo.commit_tree(tree, parents, message, ME, ME)


def git(repo: GitRepository, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(repo.path), *args], capture_output=True, text=True, check=False
    ).stdout.strip()


def history(repo: GitRepository) -> dict[str, str]:
    """root -> a -> b -> c (linear), side branching off a, merge = c + side."""
    lines = "".join(f"line {n}\n" for n in range(200)).encode()
    found = {"root": commit(repo, {"f.txt": ("100644", lines)}, [], "root")}
    found["a"] = commit(repo, {"f.txt": ("100644", lines + b"a\n")}, [found["root"]], "a")
    found["b"] = commit(
        repo, {"f.txt": ("100644", lines + b"a\n"), "x.sh": ("100755", b"#!/bin/sh\n")}, [found["a"]], "b"
    )
    found["c"] = commit(
        repo,
        {"g.txt": ("100644", lines + b"a\n"), "x.sh": ("100755", b"#!/bin/sh\n"), "bin": ("100644", b"\0\1")},
        [found["b"]],
        "c",
    )
    found["side"] = commit(repo, {"f.txt": ("100644", b"other\n" + lines + b"a\n")}, [found["a"]], "side")
    found["merge"] = commit(repo, {"g.txt": ("100644", b"merged\n")}, [found["c"], found["side"]], "merge")
    return found


def test_the_reader_sees_what_other_git_processes_write(repo: GitRepository) -> None:
    assert repo.resolve_commit("refs/heads/main") is None
    first = commit(repo, {"a": ("100644", b"1\n")}, [], "one")
    repo.update_ref("refs/heads/main", first)
    assert repo.resolve_commit("refs/heads/main") == first
    git(repo, "pack-refs", "--all")
    second = commit(repo, {"a": ("100644", b"2\n")}, [first], "two")
    git(repo, "update-ref", "refs/heads/main", second)
    assert repo.ref("refs/heads/main") == second
    git(repo, "repack", "-a", "-d", "-q")
    git(repo, "prune-packed")
    assert repo.commit(second).parents == [first]
    assert repo.object_type(repo.commit(second).tree) == "tree"
    git(repo, "update-ref", "-d", "refs/heads/main")
    assert repo.ref("refs/heads/main") is None
    assert repo.tree_of("refs/heads/main") is None
    assert repo.object_types([first, "0" * 40]) == {first: "commit", "0" * 40: None}
    repo.shared.reader.close()  # a reader that went away is started again
    assert repo.object_type(first) == "commit"


def test_ancestry_shortcuts_agree_with_git_on_linear_and_merged_history(repo: GitRepository) -> None:
    shas = history(repo)
    for one in shas.values():
        for other in shas.values():
            expected_ancestor = (
                subprocess.run(
                    ["git", "--git-dir", str(repo.path), "merge-base", "--is-ancestor", one, other],
                    check=False,
                ).returncode
                == 0
            )
            assert repo.is_ancestor(one, other) is expected_ancestor
            assert repo.merge_base(one, other) == (git(repo, "merge-base", one, other) or None)
            assert repo.rev_list(other, exclude=[one]) == git(repo, "rev-list", other, f"^{one}").split()
            assert (
                repo.rev_list(other, exclude=[one], limit=1, skip=1)
                == git(repo, "rev-list", "--max-count=1", "--skip=1", other, f"^{one}").split()
            )
            code = subprocess.run(
                [
                    "git",
                    "--git-dir",
                    str(repo.path),
                    "merge-tree",
                    "--write-tree",
                    "--no-messages",
                    one,
                    other,
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            assert repo.merge_trees(one, other) == (code.stdout.split()[0] if code.returncode == 0 else None)


def test_diffs_read_as_git_prints_them(repo: GitRepository) -> None:
    shas = history(repo)
    for old, new in (("root", "c"), ("a", "b"), ("b", "c"), ("c", "merge"), (None, "side")):
        base = shas[old] if old else None
        changes = repo.diff(base, shas[new])
        raw = git(repo, "diff-tree", "-r", "-M", "--numstat", base or git_module.EMPTY_TREE, shas[new])
        rows = [line.split("\t") for line in raw.splitlines()]
        patch = subprocess.run(
            [
                "git",
                "--git-dir",
                str(repo.path),
                "diff-tree",
                "-r",
                "-M",
                "-p",
                "--full-index",
                base or git_module.EMPTY_TREE,
                shas[new],
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        sections = split_patch(patch)
        assert len(changes) == len(rows) == len(sections)
        for change, row, section in zip(changes, rows, sections, strict=True):
            assert (change.additions, change.deletions) == (
                int(row[0]) if row[0] != "-" else 0,
                int(row[1]) if row[1] != "-" else 0,
            )
            assert change.path == row[-1].split(" => ")[-1].rstrip("}")
            if row[0] == "-" or row[:2] == ["0", "0"]:
                assert change.patch is None  # a binary file, or an exact rename: no hunks
            else:
                assert change.patch is not None and change.patch.startswith("@@")
                assert change.patch in section
                body = "\n" + change.patch
                assert (body.count("\n+"), body.count("\n-")) == (change.additions, change.deletions)
    renamed = [change for change in repo.diff(shas["b"], shas["c"]) if change.status == "renamed"]
    assert [(change.previous_path, change.path) for change in renamed] == [("f.txt", "g.txt")]
    assert repo.diff(shas["root"], shas["c"], "x.sh")[0].status == "added"


def test_tree_listings_and_entries_match_ls_tree(repo: GitRepository) -> None:
    files = {
        "README.md": ("100644", b"hi\n"),
        "bin/run": ("100755", b"#!/bin/sh\n"),
        "link": ("120000", b"README.md"),
        "a/b/c.txt": ("100644", b"deep\n"),
        "a/z.txt": ("100644", b"z\n"),
    }
    head = commit(repo, files, [], "tree")
    tree = repo.commit(head).tree
    for recursive in (False, True):
        assert repo.list_tree(tree, recursive) == repo.ls_tree(
            "--long", *(["-r", "-t"] if recursive else []), tree
        )
    for path in ("README.md", "bin/run", "link", "a", "a/b", "a/b/c.txt", "nope", "a/nope", "README.md/x"):
        listed = [entry for entry in repo.ls_tree("--long", head, "--", path) if entry.path == path]
        assert repo.entry(head, path) == (listed[0] if listed else None), path
    with pytest.raises(git_module.GitFailure):
        repo.entry("f" * 40, "README.md")


def test_blobs_are_written_as_git_writes_them(repo: GitRepository) -> None:
    for content in (b"", b"hello\n", bytes(range(256)) * 1000):
        sha = repo.write_blob(content)
        expected = (
            subprocess.run(["git", "hash-object", "--stdin"], input=content, capture_output=True, check=True)
            .stdout.decode()
            .strip()
        )
        assert sha == expected
        assert repo.read_blob(sha) == content
        assert repo.write_blob(content) == sha
    assert repo.write_blobs([b"x", b"y"]) == [repo.write_blob(b"x"), repo.write_blob(b"y")]
    check = subprocess.run(
        ["git", "--git-dir", str(repo.path), "fsck", "--full"], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stderr


@pytest.fixture
def processes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    started: list[str] = []
    real = subprocess.run

    def counting(args: list[str], *rest: object, **options: object) -> object:
        if args and args[0] == "git":
            started.append(args[3])
        return real(args, *rest, **options)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "run", counting)
    yield started


def test_a_bot_turn_reads_the_pr_without_git_processes(sandbox: RunningSandbox, processes: list[str]) -> None:
    def call(login: str, method: str, url: str, **options: object) -> object:
        with httpx.Client(base_url=sandbox.api_url, headers={"Authorization": f"token {login}"}) as client:
            response = client.request(method, url, **options)  # type: ignore[arg-type]
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    call("alice", "POST", "/user/repos", json={"name": "turn", "auto_init": True})
    base = "/repos/alice/turn"
    main = call("alice", "GET", f"{base}/git/ref/heads/main")["object"]["sha"]  # type: ignore[index]
    call("alice", "POST", f"{base}/git/refs", json={"ref": "refs/heads/feature", "sha": main})
    head = main
    for turn in range(3):
        tree = call(
            "alice",
            "POST",
            f"{base}/git/trees",
            json={"base_tree": head, "tree": [{"path": f"f{turn}.txt", "mode": "100644", "content": "x\n"}]},
        )["sha"]  # type: ignore[index]
        head = call(
            "alice", "POST", f"{base}/git/commits", json={"message": "m", "tree": tree, "parents": [head]}
        )["sha"]  # type: ignore[index]
        if turn == 0:
            call("alice", "PATCH", f"{base}/git/refs/heads/feature", json={"sha": head})
            call("alice", "POST", f"{base}/pulls", json={"title": "t", "head": "feature", "base": "main"})
            continue
        processes.clear()
        call("alice", "PATCH", f"{base}/git/refs/heads/feature", json={"sha": head})
        assert len(processes) <= 3, processes  # update-ref, the push's paths, the PR's diff
        processes.clear()
        pull = call("alice", "GET", f"{base}/pulls/1")
        call("alice", "GET", f"{base}/contents/f0.txt", params={"ref": head})
        assert processes == []
        assert pull["head"]["sha"] == head and pull["changed_files"] == turn + 1  # type: ignore[index]
