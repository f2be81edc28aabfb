"""A pull request's head, read through the API into a scratch directory the terminal channel's readers
understand: `accelerator.yaml`, the ERD files its globs match, the policy, and what the last
generation left under the output directory (model.json, each environment's migrations and sum,
approvals.json). Nothing else is fetched: the other files are known by their git blob sha, which is
enough to tell whether a generated file changed.

The head is untrusted: only regular files are read (a symbolic link is not followed), paths with
`..` or absolute paths are refused, every file is at most `MAX_FILE_BYTES` and a head at most
`MAX_HEAD_BYTES` in all. Blobs are cached by their sha (content-addressed, so never stale).
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from github import GithubException
from github.GitTree import GitTree
from github.Repository import Repository

from accelerator.config import CONFIG_NAMES, ProjectConfig, load_config
from accelerator.errors import AcceleratorError
from accelerator.lru import BoundedLru

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_HEAD_BYTES = 64 * 1024 * 1024
MAX_TREE_ENTRIES = 100_000
HISTORY_FILES = re.compile(
    r"^(model\.json|approvals\.json|sql/[^/]+/(V[^/]*\.sql|migrations\.sum|model\.json))$"
)


def git_blob_sha(data: bytes) -> str:
    """The sha git gives a blob of these bytes (what trees list)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class Entry:
    path: str
    sha: str
    size: int


@dataclass
class Tree:
    """A commit's files: path -> blob (regular files only; links and submodules are left out)."""

    commit: str
    sha: str  # the tree's own sha
    files: dict[str, Entry] = field(default_factory=dict)
    obj: GitTree | None = None  # the API's object: the base_tree of the next commit


def safe_path(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return bool(parts) and not path.startswith("/") and ".." not in parts and "\0" not in path


def _normal(path: str) -> str:
    return PurePosixPath(path).as_posix().removeprefix("./")


# Blob texts by sha, a few tens of megabytes at most; shared by the workers of a process.
BLOBS: BoundedLru[str, bytes] = BoundedLru(max_size=64 * 1024 * 1024, size=lambda _sha, data: len(data))


def repo_key(repo: Repository) -> str:
    """The repository as a cache key, without a request (a lazy `Repository` knows only its url)."""
    requester = repo.requester
    return f"{requester.base_url}{repo.url.removeprefix(requester.base_url)}".lower()


class TreeCache:
    """Commits' listings by (repository, commit sha), at most `limit_entries` files in all: what a
    commit holds never changes. It keeps the trees the bot read and those of the commits it made, so
    the next turn on the bot's own head reads no tree. Shared by the workers of a process."""

    def __init__(self, limit_entries: int = 1_000_000) -> None:
        self._trees: BoundedLru[tuple[str, str], Tree] = BoundedLru(
            max_size=limit_entries, size=lambda _key, tree: len(tree.files) + 1
        )

    def get(self, repository: str, commit: str) -> Tree | None:
        return self._trees.get((repository, commit))

    def clear(self) -> None:
        self._trees.clear()

    def put(self, repository: str, tree: Tree) -> None:
        """Keep the listing (not the API's object) unless the commit's is kept already."""
        self._trees.put_new((repository, tree.commit), Tree(tree.commit, tree.sha, tree.files))


TREES = TreeCache()


def tree_object(repo: Repository, sha: str) -> GitTree:
    """The tree as the API's object, made without a request: `create_git_tree` and
    `create_git_commit` use only its sha."""
    url = f"{repo.url}/git/trees/{sha}"
    return GitTree(repo.requester, {}, {"sha": sha, "url": url}, completed=False)


def tree_at(repo: Repository, commit: str) -> Tree:
    """`read_tree`, through `TREES`: no request for a commit whose tree the process knows."""
    key = repo_key(repo)
    cached = TREES.get(key, commit)
    if cached is not None:
        return Tree(cached.commit, cached.sha, cached.files, obj=tree_object(repo, cached.sha))
    found = read_tree(repo, commit)
    TREES.put(key, found)
    return found


def tree_after(parent: Tree, commit: str, tree_sha: str, files: dict[str, bytes | None]) -> Tree:
    """The listing of a commit made on `parent`'s tree by writing `files` (path -> bytes, None:
    deleted) as regular files, as git builds it: a written path replaces what was at it and below
    it, and a file where one of its directories goes."""
    listing = dict(parent.files)
    directories = {name.rsplit("/", depth)[0] for name in listing for depth in range(1, name.count("/") + 1)}
    for path, data in files.items():
        listing.pop(path, None)
        if path in directories:  # a file where a directory was: what was below it goes
            below = f"{path}/"
            for name in [n for n in listing if n.startswith(below)]:
                del listing[name]
        parts = path.split("/")
        for depth in range(1, len(parts)):
            listing.pop("/".join(parts[:depth]), None)
        if data is not None:
            listing[path] = Entry(path, git_blob_sha(data), len(data))
            directories.update("/".join(parts[:depth]) for depth in range(1, len(parts)))
    return Tree(commit, tree_sha, listing)


def read_tree(repo: Repository, commit: str) -> Tree:
    """A commit's listing as GitHub gives it (one request; `tree_at` caches it)."""
    tree = repo.get_git_tree(commit, recursive=True)
    if tree.raw_data.get("truncated"):
        raise AcceleratorError(
            f"the tree of {commit[:12]} is too large for one listing (GitHub truncated it)",
            hint="keep the repository's files under 100,000 entries",
        )
    found = Tree(commit, tree.sha, obj=tree)
    for element in tree.tree[:MAX_TREE_ENTRIES]:
        if element.type == "blob" and element.mode in ("100644", "100755") and safe_path(element.path):
            found.files[element.path] = Entry(element.path, element.sha, int(element.size or 0))
    return found


def read_blob(repo: Repository, entry: Entry) -> bytes:
    cached = BLOBS.get(entry.sha)
    if cached is not None:
        return cached
    if entry.size > MAX_FILE_BYTES:
        raise AcceleratorError(
            f"{entry.path} is {entry.size:,} bytes, more than the bot reads ({MAX_FILE_BYTES:,})",
            hint="split the file, or keep large files out of the ERD globs and the output directory",
        )
    blob = repo.get_git_blob(entry.sha)
    data = base64.b64decode(blob.content) if blob.encoding == "base64" else blob.content.encode("utf-8")
    if git_blob_sha(data) != entry.sha:
        raise AcceleratorError(f"{entry.path}: the blob read does not match its sha {entry.sha}")
    BLOBS.put_new(entry.sha, data)
    return data


@dataclass
class Head:
    """A PR head in a scratch directory, with the files it holds (by blob sha)."""

    tree: Tree
    root: Path
    config_file: Path | None
    config: ProjectConfig | None = None

    @property
    def sha(self) -> str:
        return self.tree.commit

    def text(self, path: str) -> str | None:
        local = self.root / path
        return local.read_bytes().decode("utf-8", "replace") if local.is_file() else None


def _write(root: Path, path: str, data: bytes) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def wanted_paths(config: ProjectConfig, files: dict[str, Entry]) -> list[str]:
    """The files of the head the conversation reads: the ERDs (by the rules `accelerator check`
    reads them with: `ProjectConfig.erd_paths_in`), the policy and the history."""
    paths: list[str] = []
    for index in range(len(config.erd)):
        paths.extend(config.erd_paths_in(index, files))
    if config.policy and _normal(config.policy) in files:
        paths.append(_normal(config.policy))
    output = _normal(config.output).rstrip("/") + "/"
    paths.extend(
        sorted(p for p in files if p.startswith(output) and HISTORY_FILES.match(p.removeprefix(output)))
    )
    return list(dict.fromkeys(paths))


@contextmanager
def checked_out(repo: Repository, commit: str) -> Iterator[Head]:
    """The head's config, sources and history in a scratch directory, removed afterwards."""
    tree = tree_at(repo, commit)
    root = Path(tempfile.mkdtemp(prefix="accelerator-pr-"))
    try:
        name = next((n for n in CONFIG_NAMES if n in tree.files), None)
        if name is None:
            yield Head(tree, root, None)
            return
        config_path = root / name
        _write(root, name, read_blob(repo, tree.files[name]))
        config = load_config(config_path, trusted=False)  # a PR's own bot: and memory: are not read
        total = 0
        for path in wanted_paths(config, tree.files):
            entry = tree.files[path]
            total += entry.size
            if total > MAX_HEAD_BYTES:
                raise AcceleratorError(
                    f"the ERDs, policy and history of {commit[:12]} hold more than {MAX_HEAD_BYTES:,} bytes",
                    hint="keep the ERD globs to the model's files",
                )
            _write(root, path, read_blob(repo, entry))
        yield Head(tree, root, config_path, config)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def file_at(repo: Repository, ref: str, path: str) -> str | None:
    """One file's text at a ref through the contents API (the base branch's config); None if absent."""
    try:
        content = repo.get_contents(path, ref=ref)
    except GithubException as failure:
        if failure.status == 404:
            return None
        raise
    if isinstance(content, list) or content.type != "file" or content.size > MAX_FILE_BYTES:
        return None
    data = content.decoded_content
    if git_blob_sha(data) == content.sha:  # a head holding the same file reads it from the cache
        BLOBS.put_new(content.sha, data)
    return data.decode("utf-8", "replace")
