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
    repo.run("pack-refs", "--all")
    second = commit(repo, {"a": ("100644", b"2\n")}, [first], "two")
    repo.run("update-ref", "refs/heads/main", second)  # answers about refs are kept until a ref moves
    assert repo.ref("refs/heads/main") == second
    git(repo, "repack", "-a", "-d", "-q")
    git(repo, "prune-packed")
    assert repo.commit(second).parents == [first]
    assert repo.object_type(repo.commit(second).tree) == "tree"
    git(repo, "update-ref", "refs/heads/other", first)  # the reader sees another process's refs
    other = repo.shared.reader.ask("info", "refs/heads/other")
    assert other is not None and other.sha == first
    repo.delete_ref("refs/heads/main")
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


def test_a_commits_changed_paths_are_git_diff_trees(repo: GitRepository) -> None:
    """Read from the trees without git: files added, removed, modified (content, mode, file <-> symlink),
    a file becoming a directory and back, a directory removed whole, a gitlink, names git sorts apart
    from Python's string order, non-ASCII names; each list in git's order."""
    link = "1" * 40
    states: list[dict[str, tuple[str, bytes]]] = [
        {
            "a.txt": ("100644", b"1"),
            "d/x": ("100644", b"x"),
            "d/e/y": ("100644", b"y"),
            "z": ("100644", b"z"),
        },
        {
            "a.txt": ("100755", b"1"),
            "d/x": ("100644", b"x2"),
            "d-e": ("100644", b"n"),
            "d0": ("120000", b"d"),
        },
        {
            "a.txt": ("120000", b"1"),
            "d": ("100644", b"now a file"),
            "é/ü.txt": ("100644", b"u"),
            "z": ("100644", b"z"),
        },
        {"a.txt/inner": ("100644", b"i"), "d/q/r/s": ("100644", b"deep"), "é/ü.txt": ("100644", b"v")},
        {},
    ]
    parent: list[str] = []
    for number, files in enumerate(states):
        entries = {path: (mode, repo.write_blob(content)) for path, (mode, content) in files.items()}
        if number == 3:
            entries["sub"] = ("160000", link)
        tree = repo.write_flat_tree(entries)
        sha = repo.commit_tree(tree, parent, f"state {number}", ME, ME)
        info = repo.commit(sha)
        assert repo.changed_paths(sha) == repo.changed_paths_by_git(info), number
        parent = [sha]


def git_tree(repo: GitRepository, files: dict[str, tuple[str, str]], tmp_path: Path) -> str:
    """The tree git's own update-index and write-tree make of `files`."""
    env = {"GIT_INDEX_FILE": str(tmp_path / "index")}
    (tmp_path / "index").unlink(missing_ok=True)
    lines = b"".join(f"{mode} {sha}\t{path}".encode() + b"\0" for path, (mode, sha) in files.items())
    repo.run("update-index", "-z", "--index-info", stdin=lines, env=env)
    return repo.run("write-tree", env=env).decode().strip()


def test_trees_are_written_as_git_writes_them(repo: GitRepository, tmp_path: Path) -> None:
    """Written without git (every tree along the paths, entries in git's order: `a-b` < `a.b` < `a/` <
    `a0`), each tree is the one git writes, and `flat_tree` reads back what was written."""
    blob, other = repo.write_blob(b"x\n"), repo.write_blob(b"y\n")
    files = {
        "a-b": ("100644", blob),
        "a.b": ("100755", blob),
        "a/x": ("100644", other),
        "a/deep/er/f": ("100644", blob),
        "a0": ("120000", other),
        "sub": ("160000", "1" * 40),
        "é/ü.txt": ("100644", blob),
    }
    tree = repo.write_flat_tree(files)
    assert tree == git_tree(repo, files, tmp_path)
    repo.shared.results = git_module.Cache(git_module.RESULTS_KEPT)  # read back from the objects
    assert repo.flat_tree(tree) == files
    base = repo.commit_tree(tree, [], "base", ME, ME)
    for path in ("a/x", "a/new/file", "top", "a/deep/er/g"):
        expected = git_tree(repo, {**files, path: ("100644", other)}, tmp_path)
        assert repo.tree_with_file(base, path, other) == expected, path
    assert repo.tree_with_file(None, "README.md", blob) == git_tree(
        repo, {"README.md": ("100644", blob)}, tmp_path
    )
    for refused in ({"a": ("100644", blob), "a/b": ("100644", blob)}, {"a/../b": ("100644", blob)}):
        with pytest.raises(git_module.GitFailure):
            repo.write_flat_tree(refused)
    with pytest.raises(git_module.GitFailure):
        repo.tree_with_file(base, "a0/x", blob)  # a0 is a file
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
        assert len(processes) <= 2, processes  # update-ref, the PR's diff (the push's paths: no git)
        processes.clear()
        pull = call("alice", "GET", f"{base}/pulls/1")
        call("alice", "GET", f"{base}/contents/f0.txt", params={"ref": head})
        assert processes == []
        assert pull["head"]["sha"] == head and pull["changed_files"] == turn + 1  # type: ignore[index]
