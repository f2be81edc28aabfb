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
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
MODES = {"100644": "blob", "100755": "blob", "120000": "blob", "040000": "tree", "160000": "commit"}


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
class FileChange:
    """One file of a diff, as GitHub's `files` list it: status, line counts and the patch's hunks."""

    status: str  # added, removed, modified, renamed
    path: str
    previous_path: str | None
    sha: str  # the blob after the change (before it, for a removed file)
    additions: int
    deletions: int
    patch: str | None  # from the first `@@`, None for a binary file


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
        code, out, err = self.run_status(*args, stdin=stdin, env=env)
        if code != 0:
            raise GitFailure(err.decode("utf-8", "replace").strip())
        return out

    def run_status(
        self, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
    ) -> tuple[int, bytes, bytes]:
        """git's exit status, output and errors, for commands whose non-zero status is an answer."""
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
        return result.returncode, result.stdout, result.stderr

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
        self.run("update-server-info")  # dumb HTTP clients read info/refs

    def delete_ref(self, name: str) -> None:
        self.run("update-ref", "-d", name)
        self.run("update-server-info")

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
        for entry in self.ls_tree("--long", commit, "--", path):
            if entry.path == path:
                return entry
        return None

    def list_tree(self, tree: str, recursive: bool = False) -> list[TreeEntry]:
        return self.ls_tree("--long", *(["-r", "-t"] if recursive else []), tree)

    def ls_tree(self, *args: str) -> list[TreeEntry]:
        out = self.run("ls-tree", "-z", *args)
        return [
            parse_tree_line(record.decode("utf-8", "surrogateescape"))
            for record in out.split(b"\0")
            if record
        ]

    def object_types(self, shas: list[str]) -> dict[str, str | None]:
        """Each object's type (blob, tree, commit, tag), None for a missing one, in one git call."""
        out = self.run(
            "cat-file",
            "--batch-check=%(objectname) %(objecttype)",
            stdin="".join(f"{sha}\n" for sha in shas).encode(),
        )
        found: dict[str, str | None] = dict.fromkeys(shas)
        for line in out.decode().splitlines():
            name, _, kind = line.partition(" ")
            if kind != "missing" and name in found:
                found[name] = kind
        return found

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

    def flat_tree(self, tree: str) -> dict[str, tuple[str, str]]:
        """Every file (blob or gitlink) under `tree`: path -> (mode, sha)."""
        out = self.run("ls-tree", "-r", "-z", "--full-tree", tree)
        found: dict[str, tuple[str, str]] = {}
        for record in out.split(b"\0"):
            if record:
                meta, _, path = record.partition(b"\t")
                mode, _, sha = meta.decode().split(" ")
                found[path.decode("utf-8", "surrogateescape")] = (mode, sha)
        return found

    def write_flat_tree(self, files: dict[str, tuple[str, str]]) -> str:
        """The tree holding exactly `files` (path -> (mode, sha)), through a throwaway index."""
        lines = b"".join(
            f"{mode} {sha}\t".encode() + path.encode("utf-8", "surrogateescape") + b"\0"
            for path, (mode, sha) in sorted(files.items())
        )
        with tempfile.TemporaryDirectory() as scratch:
            env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
            self.run("update-index", "-z", "--index-info", stdin=lines, env=env)
            return self.run("write-tree", env=env).decode().strip()

    def tree_of(self, treeish: str) -> str | None:
        """The tree a tree or commit SHA names, or None."""
        try:
            out = self.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{treeish}^{{tree}}")
        except GitFailure:
            return None
        return out.decode().strip() or None

    def rev_list(
        self,
        start: str,
        exclude: list[str] | None = None,
        path: str | None = None,
        limit: int | None = None,
        skip: int = 0,
    ) -> list[str]:
        """The commits reachable from `start` and from none of `exclude`, newest first (touching `path`)."""
        args = ["rev-list", *([f"--max-count={limit}"] if limit is not None else []), f"--skip={skip}"]
        args += [start, *(f"^{sha}" for sha in exclude or [])]
        if path:
            args += ["--", path]
        return self.run(*args).decode().split()

    def merge_base(self, one: str, other: str) -> str | None:
        code, out, _ = self.run_status("merge-base", one, other)
        return out.decode().strip() if code == 0 else None

    def merge_trees(self, ours: str, theirs: str) -> str | None:
        """The tree of merging two commits (git merge-tree, no worktree), or None when they conflict."""
        code, out, err = self.run_status("merge-tree", "--write-tree", "--no-messages", ours, theirs)
        if code == 1:
            return None
        if code != 0:
            raise GitFailure(err.decode("utf-8", "replace").strip())
        return out.decode().split()[0]

    def changed_paths(self, commit: str) -> dict[str, list[str]]:
        """A commit's added, removed and modified paths against its first parent (push payloads)."""
        info = self.commit(commit)
        old = info.parents[0] if info.parents else EMPTY_TREE
        out = self.run("diff-tree", "-r", "-z", "--no-renames", "--name-status", old, commit)
        fields = [part.decode("utf-8", "replace") for part in out.split(b"\0") if part]
        found: dict[str, list[str]] = {"added": [], "removed": [], "modified": []}
        for status, path in zip(fields[0::2], fields[1::2], strict=False):
            found[{"A": "added", "D": "removed"}.get(status[:1], "modified")].append(path)
        return found

    def diff(self, old: str | None, new: str, path: str | None = None) -> list[FileChange]:
        """The files `new` changes from `old` (a commit or tree; None: the empty tree), renames found."""
        base = old or EMPTY_TREE
        limit = ["--", path] if path else []
        raw = self.run("diff-tree", "-r", "-z", "-M", "--raw", base, new, *limit)
        patches = self.run("diff-tree", "-r", "-M", "-p", "--no-color", "--full-index", base, new, *limit)
        fields = [part.decode("utf-8", "surrogateescape") for part in raw.split(b"\0") if part]
        entries: list[tuple[str, str, str, str | None]] = []
        index = 0
        while index < len(fields):
            meta = fields[index].lstrip(":").split(" ")
            status = meta[4][:1]
            if status in ("R", "C"):
                entries.append((status, meta[3], fields[index + 2], fields[index + 1]))
                index += 3
            else:
                entries.append((status, meta[3] if status != "D" else meta[2], fields[index + 1], None))
                index += 2
        sections = split_patch(patches.decode("utf-8", "replace"))
        changes = []
        for (status, sha, file_path, previous), section in zip(entries, sections, strict=False):
            hunk_start = section.find("\n@@")
            patch = section[hunk_start + 1 :].removesuffix("\n") if hunk_start >= 0 else None
            additions = deletions = 0
            for line in (patch or "").split("\n"):
                if line.startswith("+"):
                    additions += 1
                elif line.startswith("-"):
                    deletions += 1
            changes.append(
                FileChange(
                    {"A": "added", "D": "removed", "R": "renamed", "C": "copied"}.get(status, "modified"),
                    file_path,
                    previous,
                    sha,
                    additions,
                    deletions,
                    patch,
                )
            )
        return changes


def split_patch(text: str) -> list[str]:
    """A `git diff -p` output cut into one section per file (each starts with `diff --git`)."""
    sections: list[str] = []
    for line in text.split("\n"):
        if line.startswith("diff --git ") or not sections:
            sections.append("")
        sections[-1] += line + "\n"
    return [section for section in sections if section.startswith("diff --git ")]


def parse_tree_line(line: str) -> TreeEntry:
    meta, _, path = line.partition("\t")
    mode, kind, sha, size = meta.split()
    return TreeEntry(mode, kind, sha, None if size == "-" else int(size), path)
