"""A bare git repository driven by git plumbing: real objects and real SHAs.

Every call runs the `git` program with a fixed argument list (never a shell); user text only ever
reaches git after validation, as an object id, a checked ref name, a path behind `--`, or stdin.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

ZERO_SHA = "0" * 40


class GitFailure(Exception):
    """git refused an operation (an unknown object, a bad ref): the API turns it into 404/422."""


@dataclass(frozen=True)
class Signature:
    name: str
    email: str
    timestamp: int  # seconds since the epoch, UTC

    def environment(self, role: str) -> dict[str, str]:
        return {
            f"GIT_{role}_NAME": self.name,
            f"GIT_{role}_EMAIL": self.email,
            f"GIT_{role}_DATE": f"{self.timestamp} +0000",
        }


@dataclass(frozen=True)
class TreeEntry:
    mode: str
    kind: str  # blob, tree or commit
    sha: str
    size: int | None
    path: str


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    tree: str
    parents: list[str]
    author: Signature
    committer: Signature
    message: str


class GitRepository:
    """One bare repository on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def run(self, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> bytes:
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.path),  # no user's ~/.gitconfig changes what the sandbox writes
            "GIT_CONFIG_NOSYSTEM": "1",
            "LC_ALL": "C",
            **(env or {}),
        }
        result = subprocess.run(
            ["git", "--git-dir", str(self.path), *args],
            input=stdin,
            capture_output=True,
            env=environment,
            check=False,
        )
        if result.returncode != 0:
            raise GitFailure(result.stderr.decode("utf-8", "replace").strip())
        return result.stdout

    @classmethod
    def init(cls, path: Path, default_branch: str) -> GitRepository:
        path.mkdir(parents=True)
        repository = cls(path)
        repository.run("init", "--quiet", "--bare", f"--initial-branch={default_branch}")
        return repository

    def write_blob(self, content: bytes) -> str:
        return self.run("hash-object", "-w", "--stdin", stdin=content).decode().strip()

    def read_blob(self, sha: str) -> bytes:
        return self.run("cat-file", "blob", sha)

    def object_type(self, sha: str) -> str | None:
        try:
            return self.run("cat-file", "-t", sha).decode().strip()
        except GitFailure:
            return None

    def resolve_commit(self, revision: str) -> str | None:
        """The commit a full ref name or a SHA names, or None."""
        try:
            out = self.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}")
        except GitFailure:
            return None
        return out.decode().strip() or None

    def ref(self, name: str) -> str | None:
        try:
            return self.run("rev-parse", "--verify", "--quiet", "--end-of-options", name).decode().strip()
        except GitFailure:
            return None

    def refs(self, prefix: str = "refs/") -> dict[str, str]:
        out = self.run("for-each-ref", "--format=%(refname) %(objectname)", prefix).decode()
        found: dict[str, str] = {}
        for line in out.splitlines():
            name, _, sha = line.partition(" ")
            found[name] = sha
        return found

    def update_ref(self, name: str, new: str, old: str | None = None) -> None:
        """Set a ref; with `old`, only if it still points there (ZERO_SHA: only if it does not exist)."""
        args = ["update-ref", "--no-deref", name, new]
        if old is not None:
            args.append(old)
        self.run(*args)

    def delete_ref(self, name: str) -> None:
        self.run("update-ref", "-d", name)

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        try:
            self.run("merge-base", "--is-ancestor", ancestor, descendant)
        except GitFailure:
            return False
        return True

    def commit(self, sha: str) -> CommitInfo:
        raw = self.run("cat-file", "commit", sha).decode("utf-8", "replace")
        header, _, message = raw.partition("\n\n")
        tree, parents = "", []
        people: dict[str, Signature] = {}
        for line in header.splitlines():
            key, _, value = line.partition(" ")
            if key == "tree":
                tree = value
            elif key == "parent":
                parents.append(value)
            elif key in ("author", "committer"):
                identity, _, when = value.rpartition("> ")
                name, _, email = identity.partition(" <")
                people[key] = Signature(name, email, int(when.split(" ")[0]))
        return CommitInfo(sha, tree, parents, people["author"], people["committer"], message)

    def entry(self, commit: str, path: str) -> TreeEntry | None:
        """The tree entry at `path` in `commit` (the root tree for an empty path), or None."""
        if not path:
            return TreeEntry("040000", "tree", self.commit(commit).tree, None, "")
        out = self.run("ls-tree", "--long", commit, "--", path).decode()
        for line in out.splitlines():
            entry = parse_tree_line(line)
            if entry.path == path:
                return entry
        return None

    def list_tree(self, tree: str, recursive: bool = False) -> list[TreeEntry]:
        args = ["ls-tree", "--long", *(["-r", "-t"] if recursive else []), tree]
        return [parse_tree_line(line) for line in self.run(*args).decode().splitlines()]

    def tree_with_file(self, base_commit: str | None, path: str, blob: str, mode: str = "100644") -> str:
        """A new tree: the base commit's tree with `path` set to `blob`, through a throwaway index."""
        with tempfile.TemporaryDirectory() as scratch:
            env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
            if base_commit is not None:
                self.run("read-tree", base_commit, env=env)
            self.run("update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}", env=env)
            return self.run("write-tree", env=env).decode().strip()

    def commit_tree(
        self, tree: str, parents: list[str], message: str, author: Signature, committer: Signature
    ) -> str:
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        env = {**author.environment("AUTHOR"), **committer.environment("COMMITTER")}
        return self.run(*args, stdin=message.encode(), env=env).decode().strip()


def parse_tree_line(line: str) -> TreeEntry:
    meta, _, path = line.partition("\t")
    mode, kind, sha, size = meta.split()
    return TreeEntry(mode, kind, sha, None if size == "-" else int(size), path)
