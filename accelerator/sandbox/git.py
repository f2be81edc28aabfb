"""A bare git repository driven by git plumbing: real objects and real SHAs.

Every call runs the `git` program with a fixed argument list (never a shell); user text only ever
reaches git after validation, as an object id, a checked ref name, a path behind `--`, or stdin.

Fast by design, since every API call of a bot turn reads the repository: objects and refs are read
through one `git cat-file --batch-command` process kept open per repository (not a process per
object), and what a commit SHA determines (its files, a diff, a merge base, a merge, a commit list
between two SHAs) is computed once and kept in memory: a SHA names immutable content. Objects are
written without git where git's format is simple (blobs, trees: loose objects), and what a ref names
is kept until a ref-writing git command run here (`update-ref`, `fetch`...) moves one: the sandbox is
the only writer of its repositories' refs (git over HTTP only reads).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import tempfile
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

ZERO_SHA = "0" * 40
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
MODES = {"100644": "blob", "100755": "blob", "120000": "blob", "040000": "tree", "160000": "commit"}
FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
SAFE_NAME = re.compile(r"^[^\s-][^\s]{0,1023}$")  # what may go on one cat-file command line
CHAIN_STEPS = 64  # parents followed in memory before asking git about ancestry
REF_WRITERS = {"update-ref", "fetch", "init", "pack-refs", "receive-pack", "push", "symbolic-ref"}
REPOSITORIES_KEPT = 32
NAMES_KEPT = 10_000  # ref-relative answers kept per repository between two ref moves  # repositories whose reader process and caches stay in memory
RESULTS_KEPT = 100_000  # cached results per repository, a list or a map weighing its length
DIFF_BYTES_KEPT = 64 * 1024 * 1024  # cached diffs per repository, by patch size
T = TypeVar("T")


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
    patches: Patches | None = field(default=None, compare=False, repr=False)
    index: int = 0  # this file's place in `patches`

    @property
    def patch(self) -> str | None:
        """The patch from the first `@@`, None for a binary file (made by git when first asked for)."""
        return self.patches.patch(self.index) if self.patches is not None else None


class Patches:
    """The patch text of one diff, one section per file, read with one git call on first use (a PR's
    shape needs only the line counts, which `--numstat` gives without megabytes of patch)."""

    def __init__(self, repository: GitRepository, base: str, new: str, path: str | None) -> None:
        self.repository = repository
        self.args = [base, new, *(["--", path] if path else [])]
        self.sections: list[str] | None = None
        self.lock = threading.Lock()

    def patch(self, index: int) -> str | None:
        with self.lock:
            if self.sections is None:
                out = self.repository.run(
                    "diff-tree", "-r", "-M", "-p", "--no-color", "--full-index", *self.args
                )
                self.sections = split_patch(out.decode("utf-8", "replace"))
            sections = self.sections
        if index >= len(sections):
            return None
        section = sections[index]
        hunk_start = section.find("\n@@")
        return section[hunk_start + 1 :].removesuffix("\n") if hunk_start >= 0 else None


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    tree: str
    parents: list[str]
    author: Signature
    committer: Signature
    message: str


class Cache:
    """A least-recently-used map whose entries weigh something (1 by default, a diff its size)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.weight = 0
        self.items: OrderedDict[tuple[Any, ...], tuple[Any, int]] = OrderedDict()
        self.lock = threading.Lock()

    def drop(self, key: tuple[Any, ...]) -> None:
        with self.lock:
            found = self.items.pop(key, None)
            if found is not None:
                self.weight -= found[1]

    def get(
        self, key: tuple[Any, ...], compute: Callable[[], T], weigh: Callable[[T], int] | None = None
    ) -> T:
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
                value: T = found[0]
                return value
        value = compute()  # outside the lock: two threads may compute it once each, with one result
        weight = weigh(value) if weigh else 1
        with self.lock:
            if key not in self.items and weight <= self.limit:
                self.items[key] = (value, weight)
                self.weight += weight
                while self.weight > self.limit:
                    _, (_, dropped) = self.items.popitem(last=False)
                    self.weight -= dropped
        return value


class Found(NamedTuple):
    """What `git cat-file` answers about an object: its SHA, type, size (and content, if asked)."""

    sha: str
    kind: str
    size: int
    content: bytes | None


class ObjectReader:
    """One `git cat-file --batch-command` process answering object and ref look-ups one line at a time
    (it sees objects and refs written after it started: git re-reads refs and re-scans packs)."""

    def __init__(self, path: Path, environment: dict[str, str]) -> None:
        self.path = path
        self.environment = environment
        self.process: subprocess.Popen[bytes] | None = None
        self.lock = threading.Lock()

    def start(self) -> subprocess.Popen[bytes]:
        if self.process is None or self.process.poll() is not None:
            self.process = subprocess.Popen(
                [
                    "git",
                    "--git-dir",
                    str(self.path),
                    "cat-file",
                    "--batch-command=%(objectname) %(objecttype) %(objectsize)",
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=self.environment,
            )
        return self.process

    def ask(self, command: str, name: str) -> Found | None:
        """(SHA, type, content for `contents`) of the object `name` names, or None when it names none."""
        with self.lock:
            for attempt in (1, 2):
                process = self.start()
                assert process.stdin is not None and process.stdout is not None
                try:
                    process.stdin.write(f"{command} {name}\n".encode())
                    process.stdin.flush()
                    header = process.stdout.readline()
                    if not header:
                        raise BrokenPipeError("git cat-file exited")
                    parts = header.decode().split()
                    if len(parts) != 3 or not parts[2].isdigit():
                        return None  # "<name> missing" or "<name> ambiguous"
                    content = None
                    if command == "contents":
                        size = int(parts[2])
                        content = process.stdout.read(size + 1)[:size]
                    return Found(parts[0], parts[1], int(parts[2]), content)
                except (BrokenPipeError, OSError, ValueError):
                    self.stop()
                    if attempt == 2:
                        raise GitFailure(f"git cat-file failed in {self.path}") from None
        return None

    def close(self) -> None:
        with self.lock:
            self.stop()

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    stream.close()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class Shared:
    """What every `GitRepository` of one path shares: the reader process and the caches."""

    def __init__(self, path: Path, environment: dict[str, str]) -> None:
        self.reader = ObjectReader(path, environment)
        self.results = Cache(RESULTS_KEPT)
        self.diffs = Cache(DIFF_BYTES_KEPT)
        self.server_info = threading.Lock()
        # `for-each-ref`'s answers by prefix, dropped whenever a git command that writes refs runs
        self.refs: dict[str, dict[str, str]] = {}
        # `info` answers about names that go through a ref (`refs/heads/main^{commit}`), likewise
        self.named: dict[str, Found | None] = {}
        self.refs_generation = 0
        self.refs_lock = threading.Lock()

    def refs_moved(self) -> None:
        with self.refs_lock:
            self.refs.clear()
            self.named.clear()
            self.refs_generation += 1

    def close(self) -> None:
        self.reader.close()


SHARED: OrderedDict[str, Shared] = OrderedDict()
SHARED_LOCK = threading.Lock()


def shared(path: Path, environment: dict[str, str]) -> Shared:
    key = str(path)
    with SHARED_LOCK:
        found = SHARED.get(key)
        if found is None:
            found = SHARED[key] = Shared(path, environment)
            while len(SHARED) > REPOSITORIES_KEPT:
                SHARED.popitem(last=False)[1].close()
        SHARED.move_to_end(key)
        return found


def close_all() -> None:
    """End every reader process (a stopped sandbox; the processes also end with this one)."""
    with SHARED_LOCK:
        for item in SHARED.values():
            item.close()
        SHARED.clear()


def weight(value: object) -> int:
    return 1 + len(value) if isinstance(value, list | dict) else 1


def is_sha(*values: str | None) -> bool:
    return all(value is not None and FULL_SHA.match(value) for value in values)


class GitRepository:
    """One bare repository on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.shared = shared(path, self.environment())

    def environment(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.path),  # no user's ~/.gitconfig changes what the sandbox writes
            "GIT_CONFIG_NOSYSTEM": "1",
            "LC_ALL": "C",
            **(extra or {}),
        }

    def ask(self, command: str, name: str) -> Found | None:
        """`git cat-file`'s answer. An `info` answer is kept: for a name that starts with a SHA, once
        the object exists (objects never change); for any other name, until a ref moves."""
        if command != "info":
            return self.shared.reader.ask(command, name)
        if FULL_SHA.match(name[:40]) and name[40:41] in ("", "^", ":"):
            found = self.shared.results.get(("info", name), lambda: self.shared.reader.ask("info", name))
            if found is None:  # not (yet) there: asked again next time
                self.shared.results.drop(("info", name))
            return found
        shared = self.shared
        with shared.refs_lock:
            if name in shared.named:
                return shared.named[name]
            generation = shared.refs_generation
        found = shared.reader.ask("info", name)
        with shared.refs_lock:
            if shared.refs_generation == generation:
                if len(shared.named) >= NAMES_KEPT:
                    shared.named.clear()
                shared.named[name] = found
        return found

    def cached(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        return self.shared.results.get(key, compute, weight)

    def run(self, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> bytes:
        code, out, err = self.run_status(*args, stdin=stdin, env=env)
        if code != 0:
            raise GitFailure(err.decode("utf-8", "replace").strip())
        return out

    def run_status(
        self, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
    ) -> tuple[int, bytes, bytes]:
        """git's exit status, output and errors, for commands whose non-zero status is an answer."""
        if args and args[0] in REF_WRITERS:
            self.shared.refs_moved()  # before and after: a reader between them computes again
            try:
                return self.spawn(args, stdin, env)
            finally:
                self.shared.refs_moved()
        return self.spawn(args, stdin, env)

    def spawn(
        self, args: tuple[str, ...], stdin: bytes | None, env: dict[str, str] | None
    ) -> tuple[int, bytes, bytes]:
        result = subprocess.run(
            ["git", "--git-dir", str(self.path), *args],
            input=stdin,
            capture_output=True,
            env=self.environment(env),
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
        """Store a blob as git does, as a zlib-compressed loose object (with no git process)."""
        return self.write_object("blob", content)

    def write_object(self, kind: str, content: bytes) -> str:
        """Store an object (blob, tree) as git does, as a zlib-compressed loose object; its SHA."""
        header = f"{kind} {len(content)}\0".encode()
        digest = hashlib.sha1(header, usedforsecurity=False)
        digest.update(content)
        sha = digest.hexdigest()
        directory = self.path / "objects" / sha[:2]
        if (directory / sha[2:]).exists():
            return sha  # already loose (one in a pack is written loose again, as git may do: harmless)
        directory.mkdir(exist_ok=True)
        compressor = zlib.compressobj(1)  # git's core.looseCompression default
        data = compressor.compress(header) + compressor.compress(content) + compressor.flush()
        handle, scratch = tempfile.mkstemp(prefix="tmp_obj_", dir=directory)
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.chmod(scratch, 0o444)
            os.replace(scratch, directory / sha[2:])
        except OSError:
            Path(scratch).unlink(missing_ok=True)
            raise
        return sha

    def write_tree(self, entries: dict[str, tuple[str, str]]) -> str:
        """Store a tree of `entries` (name -> (mode, SHA); a subtree's mode is 40000), its entries in
        git's order (a subtree's name compared as if it ended with `/`)."""

        def order(name: str) -> bytes:
            raw = name.encode("utf-8", "surrogateescape")
            return raw + b"/" if entries[name][0] == "40000" else raw

        content = b"".join(
            entries[name][0].encode()
            + b" "
            + name.encode("utf-8", "surrogateescape")
            + b"\0"
            + bytes.fromhex(entries[name][1])
            for name in sorted(entries, key=order)
        )
        sha = self.write_object("tree", content)
        self.shared.results.get(("tree_items", sha), lambda: dict(entries), weight)
        return sha

    def write_blobs(self, contents: list[bytes]) -> list[str]:
        """Store several blobs (their SHAs, in order)."""
        return [self.write_blob(content) for content in contents]

    def read_blob(self, sha: str) -> bytes:
        if SAFE_NAME.match(sha):
            found = self.ask("contents", sha)
            if found is not None and found.kind == "blob" and found.content is not None:
                return found.content
        return self.run("cat-file", "blob", sha)

    def object_type(self, sha: str) -> str | None:
        if SAFE_NAME.match(sha):
            found = self.ask("info", sha)
            return found.kind if found else None
        try:
            return self.run("cat-file", "-t", sha).decode().strip()
        except GitFailure:
            return None

    def peeled(self, revision: str, kind: str) -> str | None:
        """The `kind` (commit or tree) object a revision names, peeling tags and commits, or None."""
        if SAFE_NAME.match(revision):
            found = self.ask("info", f"{revision}^{{{kind}}}")
            return found.sha if found else None
        try:
            out = self.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{{kind}}}")
        except GitFailure:
            return None
        return out.decode().strip() or None

    def resolve_commit(self, revision: str) -> str | None:
        """The commit a full ref name or a SHA names, or None."""
        return self.peeled(revision, "commit")

    def ref(self, name: str) -> str | None:
        if SAFE_NAME.match(name):
            found = self.ask("info", name)
            return found.sha if found else None
        try:
            return self.run("rev-parse", "--verify", "--quiet", "--end-of-options", name).decode().strip()
        except GitFailure:
            return None

    def refs(self, prefix: str = "refs/") -> dict[str, str]:
        """Every ref under `prefix` and its object (kept until a git command that writes refs runs)."""
        shared = self.shared
        with shared.refs_lock:
            known = shared.refs.get(prefix)
            generation = shared.refs_generation
        if known is not None:
            return dict(known)
        out = self.run("for-each-ref", "--format=%(refname) %(objectname)", prefix).decode()
        found: dict[str, str] = {}
        for line in out.splitlines():
            name, _, sha = line.partition(" ")
            found[name] = sha
        with shared.refs_lock:
            if shared.refs_generation == generation:
                shared.refs[prefix] = found
        return dict(found)

    def update_ref(self, name: str, new: str, old: str | None = None) -> None:
        """Set a ref; with `old`, only if it still points there (ZERO_SHA: only if it does not exist)."""
        args = ["update-ref", "--no-deref", name, new]
        if old is not None:
            args.append(old)
        self.run(*args)
        self.server_info_stale()

    def delete_ref(self, name: str) -> None:
        self.run("update-ref", "-d", name)
        self.server_info_stale()

    def server_info_stale(self) -> None:
        """The refs moved: `info/refs` (what dumb HTTP clients read) is written again when next asked for."""
        with self.shared.server_info:
            (self.path / "info" / "refs").unlink(missing_ok=True)

    def server_info(self) -> bytes:
        """`info/refs` for dumb HTTP clients, written (`git update-server-info`) when refs moved since."""
        with self.shared.server_info:
            path = self.path / "info" / "refs"
            if not path.exists():
                self.run("update-server-info")
            return path.read_bytes()

    def chain(self, start: str, stop: str) -> list[str] | None:
        """The commits from `start` back to `stop` (left out) when `stop` is a first-parent ancestor
        within CHAIN_STEPS commits, each with one parent, newest first; else None (ask git)."""
        found: list[str] = []
        sha = start
        for _ in range(CHAIN_STEPS):
            if sha == stop:
                return found
            try:
                info = self.commit(sha)
            except GitFailure:
                return None
            if len(info.parents) != 1:
                return None
            found.append(sha)
            sha = info.parents[0]
        return None

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        def compute() -> bool:
            if self.object_type(ancestor) == "commit" and self.chain(descendant, ancestor) is not None:
                return True
            try:
                self.run("merge-base", "--is-ancestor", ancestor, descendant)
            except GitFailure:
                return False
            return True

        if not is_sha(ancestor, descendant):
            return compute()
        return self.cached(("is_ancestor", ancestor, descendant), compute)

    def commit(self, sha: str) -> CommitInfo:
        def compute() -> CommitInfo:
            found = self.ask("contents", sha) if SAFE_NAME.match(sha) else None
            if found is not None and found.kind == "commit" and found.content is not None:
                raw = found.content.decode("utf-8", "replace")
            else:
                raw = self.run("cat-file", "commit", sha).decode("utf-8", "replace")
            return parse_commit(sha, raw)

        if not is_sha(sha):
            return compute()
        return self.cached(("commit", sha), compute)

    def entry(self, commit: str, path: str) -> TreeEntry | None:
        """The tree entry at `path` in `commit` (the root tree for an empty path), or None."""
        if not path:
            return TreeEntry("040000", "tree", self.commit(commit).tree, None, "")

        def compute() -> TreeEntry | None:
            parent = path.rpartition("/")[0]
            where = f"{commit}:{parent}" if parent else f"{commit}^{{tree}}"
            found = self.ask("contents", where) if SAFE_NAME.match(where) else None
            if found is not None and found.kind == "tree" and found.content is not None:
                for entry in self.tree_entries(found.content, parent):
                    if entry.path == path:
                        return entry
                return None
            if found is not None or (SAFE_NAME.match(where) and self.tree_of(commit) is not None):
                return None  # `parent` is a file, or there is no such directory
            for entry in self.ls_tree("--long", commit, "--", path):
                if entry.path == path:
                    return entry
            return None

        if not is_sha(commit):
            return compute()
        return self.cached(("entry", commit, path), compute)

    def list_tree(self, tree: str, recursive: bool = False) -> list[TreeEntry]:
        def compute() -> list[TreeEntry]:
            if SAFE_NAME.match(tree):
                found = self.ask("contents", f"{tree}^{{tree}}")
                if found is not None and found.content is not None:
                    return self.walk_tree(found.content, "", recursive)
            return self.ls_tree("--long", *(["-r", "-t"] if recursive else []), tree)

        if not is_sha(tree):
            return compute()
        return list(self.cached(("list_tree", tree, recursive), compute))

    def tree_entries(self, data: bytes, directory: str) -> list[TreeEntry]:
        """A tree object's entries, as `git ls-tree --long` gives them (paths under `directory`)."""
        entries = []
        position = 0
        while position < len(data):
            space = data.index(b" ", position)
            nul = data.index(b"\0", space)
            mode = data[position:space].decode().rjust(6, "0")
            name = data[space + 1 : nul].decode("utf-8", "surrogateescape")
            sha = data[nul + 1 : nul + 21].hex()
            position = nul + 21
            kind = {"040000": "tree", "160000": "commit"}.get(mode, "blob")
            size = None
            if kind == "blob":
                found = self.ask("info", sha)
                if found is None:
                    raise GitFailure(f"the tree lists a missing blob {sha}")
                size = found.size
            entries.append(TreeEntry(mode, kind, sha, size, f"{directory}/{name}" if directory else name))
        return entries

    def walk_tree(self, data: bytes, directory: str, recursive: bool) -> list[TreeEntry]:
        """A tree's entries; recursive: each subtree's entry then its own, as `ls-tree -r -t` lists."""
        found: list[TreeEntry] = []
        for entry in self.tree_entries(data, directory):
            found.append(entry)
            if recursive and entry.kind == "tree":
                subtree = self.ask("contents", entry.sha)
                if subtree is None or subtree.content is None:
                    raise GitFailure(f"the tree lists a missing tree {entry.sha}")
                found += self.walk_tree(subtree.content, entry.path, True)
        return found

    def ls_tree(self, *args: str) -> list[TreeEntry]:
        out = self.run("ls-tree", "-z", *args)
        return [
            parse_tree_line(record.decode("utf-8", "surrogateescape"))
            for record in out.split(b"\0")
            if record
        ]

    def object_types(self, shas: list[str]) -> dict[str, str | None]:
        """Each object's type (blob, tree, commit, tag), None for a missing one."""
        if all(SAFE_NAME.match(sha) for sha in shas):
            return {sha: self.object_type(sha) for sha in shas}
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
        """A new tree: the base commit's tree with `path` set to `blob` (the trees along the path written
        again, the others shared; no git process)."""
        parts = path.split("/")
        check_path(path)
        trees: list[dict[str, tuple[str, str]]] = []
        tree: str | None = self.commit(base_commit).tree if base_commit is not None else None
        for depth, part in enumerate(parts):
            known = self.tree_items(tree) if tree is not None else {}
            if known is None:
                raise GitFailure(f"cannot read the tree {tree}")
            items = dict(known)
            trees.append(items)
            below = items.get(part)
            if depth < len(parts) - 1:
                if below is not None and below[0] != "40000":
                    raise GitFailure(f"{'/'.join(parts[: depth + 1])} is a file, not a directory: {path}")
                tree = below[1] if below is not None else None
            elif below is not None and below[0] == "40000":
                raise GitFailure(f"{path} is a directory")
        sha, entry_mode = blob, mode
        for part, items in zip(reversed(parts), reversed(trees), strict=True):
            items[part] = (entry_mode, sha)
            sha, entry_mode = self.write_tree(items), "40000"
        return sha

    def commit_tree(
        self, tree: str, parents: list[str], message: str, author: Signature, committer: Signature
    ) -> str:
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        env = {**author.environment("AUTHOR"), **committer.environment("COMMITTER")}
        return self.run(*args, stdin=message.encode(), env=env).decode().strip()

    def flat_tree(self, tree: str) -> dict[str, tuple[str, str]]:
        """Every file (blob or gitlink) under `tree`: path -> (mode, sha), read through the object
        reader (`git ls-tree -r` when a tree cannot be read so)."""

        def walk(sha: str, prefix: str, found: dict[str, tuple[str, str]]) -> bool:
            items = self.tree_items(sha)
            if items is None:
                return False
            for name, (mode, child) in items.items():
                if mode == "40000":
                    if not walk(child, f"{prefix}{name}/", found):
                        return False
                else:
                    found[f"{prefix}{name}"] = (mode.rjust(6, "0"), child)
            return True

        def compute() -> dict[str, tuple[str, str]]:
            found: dict[str, tuple[str, str]] = {}
            if is_sha(tree) and walk(tree, "", found):
                return found
            out = self.run("ls-tree", "-r", "-z", "--full-tree", tree)
            found = {}
            for record in out.split(b"\0"):
                if record:
                    meta, _, path = record.partition(b"\t")
                    mode, _, sha = meta.decode().split(" ")
                    found[path.decode("utf-8", "surrogateescape")] = (mode, sha)
            return found

        if not is_sha(tree):
            return compute()
        return dict(self.cached(("flat_tree", tree), compute))

    def write_flat_tree(self, files: dict[str, tuple[str, str]]) -> str:
        """The tree holding exactly `files` (path -> (mode, sha)), its subtrees written bottom up (no
        git process); a path that is a file and a directory at once is refused, as git refuses it."""
        root: dict[str, Any] = {}
        for path, entry in files.items():
            check_path(path)
            parts = path.split("/")
            node = root
            for depth, part in enumerate(parts[:-1]):
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise GitFailure(f"{'/'.join(parts[: depth + 1])} is both a file and a directory")
                node = child
            if parts[-1] in node:
                raise GitFailure(f"{path} is both a file and a directory")
            node[parts[-1]] = entry

        def write(node: dict[str, Any]) -> str:
            return self.write_tree(
                {
                    name: ("40000", write(child)) if isinstance(child, dict) else child
                    for name, child in node.items()
                }
            )

        tree = write(root)
        # the next tree based on this one starts from what it holds
        self.shared.results.get(("flat_tree", tree), lambda: dict(files), weight)
        return tree

    def tree_of(self, treeish: str) -> str | None:
        """The tree a tree or commit SHA names, or None."""
        return self.peeled(treeish, "tree")

    def rev_list(
        self,
        start: str,
        exclude: list[str] | None = None,
        path: str | None = None,
        limit: int | None = None,
        skip: int = 0,
    ) -> list[str]:
        """The commits reachable from `start` and from none of `exclude`, newest first (touching `path`)."""
        excluded = list(exclude or [])

        def compute() -> list[str]:
            if path is None and len(excluded) == 1:
                # a line of single-parent commits down to the one excluded: exactly what rev-list lists
                line = self.chain(start, excluded[0])
                if line is not None:
                    return line[skip:] if limit is None else line[skip : skip + limit]
            args = ["rev-list", *([f"--max-count={limit}"] if limit is not None else []), f"--skip={skip}"]
            args += [start, *(f"^{sha}" for sha in excluded)]
            if path:
                args += ["--", path]
            return self.run(*args).decode().split()

        if not is_sha(start, *excluded):
            return compute()
        return list(self.cached(("rev_list", start, tuple(excluded), path, limit, skip), compute))

    def merge_base(self, one: str, other: str) -> str | None:
        def compute() -> str | None:
            if self.object_type(one) == "commit" and self.chain(other, one) is not None:
                return one  # `one` is an ancestor of `other`: their only merge base
            code, out, _ = self.run_status("merge-base", one, other)
            return out.decode().strip() if code == 0 else None

        if not is_sha(one, other):
            return compute()
        return self.cached(("merge_base", one, other), compute)

    def merge_trees(self, ours: str, theirs: str) -> str | None:
        """The tree of merging two commits (git merge-tree, no worktree), or None when they conflict."""

        def compute() -> str | None:
            if self.object_type(ours) == "commit" and self.chain(theirs, ours) is not None:
                return self.commit(theirs).tree  # a fast-forward merges to `theirs` as it is
            code, out, err = self.run_status("merge-tree", "--write-tree", "--no-messages", ours, theirs)
            if code == 1:
                return None
            if code != 0:
                raise GitFailure(err.decode("utf-8", "replace").strip())
            return out.decode().split()[0]

        if not is_sha(ours, theirs):
            return compute()
        return self.cached(("merge_trees", ours, theirs), compute)

    def changed_paths(self, commit: str) -> dict[str, list[str]]:
        """A commit's added, removed and modified paths against its first parent (push payloads), as
        `git diff-tree -r --no-renames --name-status` lists them, each list in path order. Found by
        comparing the two commits' trees through the object reader, descending only into subtrees
        that differ (no git process: a push of a one-file commit reads a few trees)."""

        def compute() -> dict[str, list[str]]:
            info = self.commit(commit)
            old = self.commit(info.parents[0]).tree if info.parents else None
            found: dict[str, list[str]] = {"added": [], "removed": [], "modified": []}
            if not self.diff_trees(old, info.tree, "", found):
                return self.changed_paths_by_git(info)
            return {
                kind: [
                    path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                    for path in sorted(paths, key=lambda path: path.encode("utf-8", "surrogateescape"))
                ]
                for kind, paths in found.items()
            }

        if not is_sha(commit):
            return compute()
        return {key: list(paths) for key, paths in self.cached(("changed_paths", commit), compute).items()}

    def changed_paths_by_git(self, info: CommitInfo) -> dict[str, list[str]]:
        old = info.parents[0] if info.parents else EMPTY_TREE
        out = self.run("diff-tree", "-r", "-z", "--no-renames", "--name-status", old, info.sha)
        fields = [part.decode("utf-8", "replace") for part in out.split(b"\0") if part]
        found: dict[str, list[str]] = {"added": [], "removed": [], "modified": []}
        for status, path in zip(fields[0::2], fields[1::2], strict=False):
            found[{"A": "added", "D": "removed"}.get(status[:1], "modified")].append(path)
        return found

    def tree_items(self, tree: str) -> dict[str, tuple[str, str]] | None:
        """A tree object's entries, name -> (mode as git writes it, SHA), or None if it is not a tree."""

        def compute() -> dict[str, tuple[str, str]] | None:
            found = self.ask("contents", tree)
            if found is None or found.kind != "tree" or found.content is None:
                return None
            data, position, items = found.content, 0, {}
            while position < len(data):
                space = data.index(b" ", position)
                nul = data.index(b"\0", space)
                name = data[space + 1 : nul].decode("utf-8", "surrogateescape")
                items[name] = (data[position:space].decode(), data[nul + 1 : nul + 21].hex())
                position = nul + 21
            return items

        if not is_sha(tree):
            return None
        return self.cached(("tree_items", tree), compute)

    def diff_trees(self, old: str | None, new: str | None, prefix: str, found: dict[str, list[str]]) -> bool:
        """Add the files (blobs and gitlinks) that differ between two trees (None: no tree) to
        `found`'s added, removed and modified lists; False when a tree could not be read."""
        if old == new:
            return True
        before = self.tree_items(old) if old is not None else {}
        after = self.tree_items(new) if new is not None else {}
        if before is None or after is None:
            return False
        for name in before.keys() | after.keys():
            was, now = before.get(name), after.get(name)
            if was == now:
                continue
            path = f"{prefix}{name}"
            was_tree = was is not None and was[0] == "40000"
            now_tree = now is not None and now[0] == "40000"
            if was_tree or now_tree:
                if not self.diff_trees(
                    was[1] if was is not None and was_tree else None,
                    now[1] if now is not None and now_tree else None,
                    f"{path}/",
                    found,
                ):
                    return False
                if was is not None and not was_tree:
                    found["removed"].append(path)
                if now is not None and not now_tree:
                    found["added"].append(path)
            elif was is None:
                found["added"].append(path)
            elif now is None:
                found["removed"].append(path)
            else:
                found["modified"].append(path)
        return True

    def diff(self, old: str | None, new: str, path: str | None = None) -> list[FileChange]:
        """The files `new` changes from `old` (a commit or tree; None: the empty tree), renames found."""
        base = old or EMPTY_TREE
        if not is_sha(base, new):
            return self.compute_diff(base, new, path)
        return list(
            self.shared.diffs.get(
                ("diff", base, new, path),
                lambda: self.compute_diff(base, new, path),
                lambda changes: 1024 + sum(1024 + 64 * (c.additions + c.deletions) for c in changes),
            )
        )

    def compute_diff(self, base: str, new: str, path: str | None) -> list[FileChange]:
        """The raw diff and its line counts in one git call; the patch text comes when asked for."""
        limit = ["--", path] if path else []
        raw = self.run("diff-tree", "-r", "-z", "-M", "--raw", "--numstat", base, new, *limit)
        fields = [part.decode("utf-8", "surrogateescape") for part in raw.split(b"\0") if part]
        entries: list[tuple[str, str, str, str | None]] = []
        index = 0
        while index < len(fields) and fields[index].startswith(":"):
            meta = fields[index].lstrip(":").split(" ")
            status = meta[4][:1]
            if status in ("R", "C"):
                entries.append((status, meta[3], fields[index + 2], fields[index + 1]))
                index += 3
            else:
                entries.append((status, meta[3] if status != "D" else meta[2], fields[index + 1], None))
                index += 2
        counts: list[tuple[int, int]] = []
        while index < len(fields):  # "added<TAB>deleted<TAB>path", or for a rename "...<TAB>" old new
            added, deleted, rest = [*fields[index].split("\t", 2), "", ""][:3]
            counts.append((int(added) if added.isdigit() else 0, int(deleted) if deleted.isdigit() else 0))
            index += 1 if rest else 3
        patches = Patches(self, base, new, path)
        return [
            FileChange(
                {"A": "added", "D": "removed", "R": "renamed", "C": "copied"}.get(status, "modified"),
                file_path,
                previous,
                sha,
                *(counts[position] if position < len(counts) else (0, 0)),
                patches=patches,
                index=position,
            )
            for position, (status, sha, file_path, previous) in enumerate(entries)
        ]


def check_path(path: str) -> None:
    """A path git keeps in a tree: relative, no empty, `.`, `..` or `.git` component (as git's
    `verify_path` refuses them)."""
    if any(part in ("", ".", "..") or part.lower() == ".git" for part in path.split("/")):
        raise GitFailure(f"invalid path {path!r}")


def parse_commit(sha: str, raw: str) -> CommitInfo:
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


def split_patch(text: str) -> list[str]:
    """A `git diff -p` output cut into one section per file (each starts with `diff --git`), in time
    linear in its size (a PR's patch may be megabytes)."""
    starts = [match.start() for match in re.finditer(r"^diff --git ", text, re.MULTILINE)]
    sections = [text[start:end] for start, end in zip(starts, [*starts[1:], len(text)], strict=False)]
    if sections:
        sections[-1] += "\n"  # as the line-by-line cut always gave the last one
    return sections


def parse_tree_line(line: str) -> TreeEntry:
    meta, _, path = line.partition("\t")
    mode, kind, sha, size = meta.split()
    return TreeEntry(mode, kind, sha, None if size == "-" else int(size), path)
