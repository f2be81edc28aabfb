"""The sandbox's state: users, repositories (bare git repositories under `<state>/repos`), their
collaborators, issues, pull requests, comments, reviews, check runs, hooks, Apps and tokens, so a
restart on the same directory continues where it was.

On disk (`<state>/`):
- `state.json`: a snapshot of everything, with the generation of the journal that follows it;
- `journal-<generation>.jsonl`: every change since the snapshot, one line per change (a JSON list of
  operations: set or delete a key, upsert or drop a record of a list by its id), appended before the
  request that made it is answered;
- `deliveries.jsonl`: webhook deliveries, appended one per line as they are made.

A change costs one short append, whatever the state holds (not a rewrite of the whole state); the
journal is folded into a new snapshot when it outgrows the snapshot (so its cost per change stays
constant) and at each start. Durability: every change is handed to the operating system (`write`)
before its lock is released, so before the request is answered: a `kill -9` of the sandbox loses no
acknowledged write (a change cut mid-line, never acknowledged, is dropped at the next start). Nothing
is `fsync`ed: a machine crash or power loss may lose the last seconds, as the page cache had them.
What a kill does lose: webhooks queued but not yet delivered (they are not re-sent after a restart;
delivered ones are in `deliveries.jsonl`).

Every change made under `state.lock` must be named with `changed`, `changed_in`, `item` or
`item_gone`: the journal writes what they name (the value as it is when the outermost lock is
released), and what is not named is lost at a restart (`tests/sandbox/conftest.py` reloads each
test's state and compares it with the live one)."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from accelerator.sandbox import validate
from accelerator.sandbox.errors import GitHubError, not_found, validation_failed
from accelerator.sandbox.git import ZERO_SHA, FileChange, GitFailure, GitRepository, Signature

# GitHub's repository roles, lowest first; `permission` answers with the classic names.
ROLES = ["pull", "triage", "push", "maintain", "admin"]
CLASSIC = {"pull": "read", "triage": "read", "push": "write", "maintain": "write", "admin": "admin"}
Record = dict[str, Any]
# What a repository record holds beyond its first version's keys (a state.json written before gets them).
COLLECTIONS: dict[str, type] = {
    "issues": dict,
    "review_comments": list,
    "reviews": list,
    "reactions": list,
    "check_runs": dict,
    "check_suites": dict,
    "hooks": list,
}
# The parts of a repository record whose changes do not change its shape (`Shapes.repository`).
UNSHAPED = {"comments", "review_comments", "reviews", "reactions", "check_runs", "check_suites", "hooks"}
COMPACT_BYTES = 4 * 1024 * 1024  # a journal this long (and longer than the snapshot) is folded into it
PUT_ATTEMPTS = 3  # a file write's attempts (the last under the lock) when its branch moves under it
GENERATION = "journal_generation"  # the snapshot's key naming the journal that follows it


def now() -> int:
    return int(time.time())


class StateLock:
    """The state's re-entrant lock: leaving its outermost hold writes the changes made under it to the
    journal, as one line (so before the request that made them is answered)."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.inner = threading.RLock()
        self.depth = 0  # changed only by the thread holding `inner`

    def __enter__(self) -> StateLock:
        self.inner.acquire()
        self.depth += 1
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.depth -= 1
        try:
            if self.depth == 0:
                self.state.flush()
        finally:
            self.inner.release()


class Index:
    """A repository's issue comments by id and by issue, its reactions by subject (what every
    comment's shape looks up), its open issues and PRs, and its open PRs by head branch and head
    commit (what a push, a new PR and a check run look up), kept as they change: the comments and
    reactions by the state's methods that change them, the issues and PRs by `changed_in`."""

    def __init__(self, repository: Record) -> None:
        self.comments: dict[int, Record] = {}
        self.threads: dict[int, list[Record]] = {}
        self.reactions: dict[tuple[str, int], list[Record]] = {}
        self.open: set[tuple[str, str]] = set()  # ("pulls" or "issues", number)
        self.by_branch: dict[str, set[str]] = {}  # open PRs' numbers by head branch (forks' too)
        self.by_sha: dict[str, set[str]] = {}  # open PRs' numbers by head commit
        self.filed: dict[str, tuple[str, str] | None] = {}  # a PR's (branch, sha) as filed above
        for comment in repository["comments"]:
            self.add_comment(comment)
        for reaction in repository["reactions"]:
            self.add_reaction(reaction)
        for kind in ("pulls", "issues"):
            for number, record in repository[kind].items():
                self.record_changed(kind, number, record)

    def record_changed(self, kind: str, number: str, record: Record | None) -> None:
        """File an issue or a PR again as it is now (None: it is gone)."""
        is_open = record is not None and record.get("state") == "open"
        if is_open:
            self.open.add((kind, number))
        else:
            self.open.discard((kind, number))
        if kind != "pulls":
            return
        was = self.filed.pop(number, None)
        if was is not None:
            self.by_branch.get(was[0], set()).discard(number)
            self.by_sha.get(was[1], set()).discard(number)
        if record is not None and is_open:
            branch, sha = str(record["head"]), str(record["head_sha"])
            self.by_branch.setdefault(branch, set()).add(number)
            self.by_sha.setdefault(sha, set()).add(number)
            self.filed[number] = (branch, sha)

    def open_pulls(self, repository: Record, numbers: set[str] | None) -> list[Record]:
        """The open PRs of `numbers` (from `by_branch` or `by_sha`), oldest first."""
        found = [repository["pulls"].get(number) for number in sorted(numbers or (), key=int)]
        return [pull for pull in found if pull is not None and pull["state"] == "open"]

    def add_comment(self, comment: Record) -> None:
        self.comments[int(comment["id"])] = comment
        self.threads.setdefault(int(comment["number"]), []).append(comment)

    def remove_comment(self, comment: Record) -> None:
        self.comments.pop(int(comment["id"]), None)
        thread = self.threads.get(int(comment["number"]), [])
        if comment in thread:
            thread.remove(comment)

    def add_reaction(self, reaction: Record) -> None:
        self.reactions.setdefault((reaction["subject"], int(reaction["subject_id"])), []).append(reaction)


class SandboxState:
    """Everything the sandbox knows; one lock serialises every change, as one GitHub repository would."""

    def __init__(self, root: Path, bot_login: str = "accelerator[bot]") -> None:
        self.root = root
        self.bot_login = bot_login
        self.lock = StateLock(self)
        self.file = root / "state.json"
        # Deliveries (each with its payload) are appended to their own file, one JSON line each, so a
        # delivery does not rewrite the whole state and the state stays small.
        self.deliveries_file = root / "deliveries.jsonl"
        root.mkdir(parents=True, exist_ok=True)
        self.data: Record = (
            json.loads(self.file.read_text(encoding="utf-8"))
            if self.file.exists()
            else {"next_id": 1, "users": {}, "repositories": {}}
        )
        self.generation = int(self.data.pop(GENERATION, 0))
        journal = self.journal_path(self.generation)
        replayed = journal.exists() and journal.stat().st_size > 0
        self.replay(journal)
        for stale in root.glob("journal-*.jsonl"):  # a fold cut short left the previous one
            if stale != self.journal_path(self.generation):
                stale.unlink()
        self.data.setdefault("apps", {})
        self.data.setdefault("app_tokens", {})
        earlier = self.data.setdefault("deliveries", [])
        if earlier and not self.deliveries_file.exists():  # a state.json that kept them itself
            self.deliveries_file.write_text(
                "".join(json.dumps(item, separators=(",", ":")) + "\n" for item in earlier), encoding="utf-8"
            )
            self.data["deliveries"] = []
        if self.deliveries_file.exists():
            with self.deliveries_file.open(encoding="utf-8") as lines:
                for line in lines:
                    if line.strip():
                        try:
                            self.data["deliveries"].append(json.loads(line))
                        except ValueError:  # the last line, cut by a kill: that delivery is lost
                            continue
        for repository in self.data["repositories"].values():
            upgrade(repository)
        self.pending: list[tuple[str, tuple[Any, ...], Any]] = []
        self.indexes: dict[str, Index] = {}
        self.versions: dict[str, int] = {}  # per repository: bumped when its shape may change
        self.journal: Any = None
        self.journal_bytes = 0
        self.snapshot_bytes = 0
        self.deliveries_out: Any = None
        if replayed or not self.file.exists():
            self.compact()
        else:
            self.snapshot_bytes = self.file.stat().st_size
            self.open_journal()

    # the journal

    def journal_path(self, generation: int) -> Path:
        return self.root / f"journal-{generation}.jsonl"

    def open_journal(self) -> None:
        path = self.journal_path(self.generation)
        self.journal = path.open("ab", buffering=0)
        self.journal_bytes = path.stat().st_size

    def replay(self, path: Path) -> int:
        """Apply a journal's changes to `data` (a last line cut by a kill is dropped); how many."""
        if not path.exists():
            return 0
        lines = path.read_bytes().split(b"\n")
        lists: dict[int, tuple[list[Record], dict[int, Record]]] = {}
        applied = 0
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                operations = json.loads(line)
            except ValueError:
                if number >= len(lines) - 1:
                    break  # the change being written when the sandbox was killed, never acknowledged
                raise ValueError(f"{path}:{number}: not a JSON line; the state cannot be read") from None
            for operation in operations:
                apply(self.data, operation, lists)
            applied += 1
        return applied

    def compact(self) -> None:
        """Fold the journal into a new snapshot: write it whole, then start an empty journal."""
        if self.journal is not None:
            self.journal.close()
        previous = self.journal_path(self.generation)
        self.generation += 1
        kept = {key: value for key, value in self.data.items() if key != "deliveries"}
        kept[GENERATION] = self.generation
        scratch = self.file.with_suffix(".tmp")
        # compact: json's C encoder (an indented dump takes the pure-Python one, ten times slower)
        text = json.dumps(kept, separators=(",", ":"))
        scratch.write_text(text, encoding="utf-8")
        scratch.replace(self.file)  # atomic: a crash never leaves half a state
        self.snapshot_bytes = len(text)
        previous.unlink(missing_ok=True)
        self.journal_path(self.generation).unlink(missing_ok=True)
        self.open_journal()

    def flush(self) -> None:
        """Write the changes named since the last flush as one journal line (the lock is held)."""
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        operations = []
        for kind, path, value in pending:
            if kind == "set":
                found = resolve_path(self.data, path)
                operations.append(["set", list(path), found] if found is not MISSING else ["del", list(path)])
            elif kind == "item":
                operations.append(["item", list(path), value])
            else:
                operations.append(["drop", list(path), value])
        line = (json.dumps(operations, separators=(",", ":")) + "\n").encode()
        view = memoryview(line)
        while view:
            view = view[self.journal.write(view) :]
        self.journal_bytes += len(line)
        if self.journal_bytes > max(COMPACT_BYTES, 2 * self.snapshot_bytes):
            self.compact()

    def touch(self, path: tuple[Any, ...]) -> None:
        if len(path) > 2 and path[0] == "repositories" and path[2] not in UNSHAPED:
            self.versions[path[1]] = self.versions.get(path[1], 0) + 1
            index = self.indexes.get(path[1])
            if index is not None and len(path) == 4 and path[2] in ("pulls", "issues"):
                record = self.data["repositories"][path[1]][path[2]].get(path[3])
                index.record_changed(path[2], path[3], record)

    def changed(self, *path: str) -> None:
        """Journal the value at `path` (keys from the state's root) as it is when the lock is released
        (its deletion if it is gone by then). Call with the lock held."""
        assert self.lock.depth > 0, "a change is journaled under the state's lock"
        self.pending.append(("set", path, None))
        self.touch(path)

    def changed_in(self, repository: Record, *path: str) -> None:
        """`changed` for a path inside a repository's record."""
        self.changed("repositories", key_of(repository), *path)

    def item(self, repository: Record, collection: str, record: Record) -> None:
        """Journal a record of one of the repository's lists (comments, reviews, hooks...), new or
        changed (found again by its id)."""
        assert self.lock.depth > 0, "a change is journaled under the state's lock"
        path = ("repositories", key_of(repository), collection)
        self.pending.append(("item", path, record))
        self.touch(path)

    def item_gone(self, repository: Record, collection: str, record_id: int) -> None:
        assert self.lock.depth > 0, "a change is journaled under the state's lock"
        path = ("repositories", key_of(repository), collection)
        self.pending.append(("drop", path, record_id))
        self.touch(path)

    def version(self, repository: Record) -> int:
        """Changes when anything a repository's shape shows may have changed."""
        return self.versions.get(key_of(repository), 0)

    def index(self, repository: Record) -> Index:
        key = key_of(repository)
        found = self.indexes.get(key)
        if found is None:
            with self.lock:
                found = self.indexes.get(key) or Index(repository)
                self.indexes[key] = found
        return found

    def new_id(self) -> int:
        value = int(self.data["next_id"])
        self.data["next_id"] = value + 1
        self.changed("next_id")
        return value

    # users

    def user(self, login: str) -> Record:
        """The user `login`, created on first use (the bot's login is a Bot)."""
        users: dict[str, Record] = self.data["users"]
        key = login.lower()
        known = users.get(key)
        if known is not None:
            return known
        with self.lock:
            if key not in users:
                validate.login(login)
                users[key] = {
                    "login": login,
                    "id": self.new_id(),
                    "type": "Bot" if login == self.bot_login else "User",
                    "created_at": now(),
                }
                self.changed("users", key)
            found: Record = users[key]
            return found

    def known_user(self, login: str) -> Record:
        found = self.data["users"].get(login.lower())
        if found is None:
            raise not_found()
        return dict(found)

    # repositories

    def git(self, repository: Record) -> GitRepository:
        return GitRepository(self.root / "repos" / repository["owner"] / f"{repository['name']}.git")

    def repository(self, owner: str, name: str, viewer: str | None = None) -> Record:
        """The repository, or 404 (also when `viewer` may not see a private one, as GitHub hides it)."""
        found: Record | None = self.data["repositories"].get(f"{owner}/{name}".lower())
        if found is None or (found["private"] and self.role(found, viewer) is None):
            raise not_found()
        return found

    def create_repository(
        self, owner: str, name: str, private: bool, auto_init: bool, description: str
    ) -> Record:
        validate.repository_name(name)
        with self.lock:
            key = f"{owner}/{name}".lower()
            if key in self.data["repositories"]:
                raise validation_failed("Repository", "name", "name already exists on this account")
            owner_login = self.user(owner)["login"]
            repository: Record = {
                "id": self.new_id(),
                "owner": owner_login,
                "name": name,
                "private": private,
                "description": description or None,
                "default_branch": "main",
                "created_at": now(),
                "pushed_at": now(),
                "collaborators": {},
                "next_number": 1,
                "pulls": {},
                "comments": [],
            }
            upgrade(repository)
            git = GitRepository.init(self.git(repository).path, "main")
            if auto_init:
                self.user(owner)
                signature = Signature(owner_login, f"{owner_login}@users.noreply.sandbox", now())
                blob = git.write_blob(
                    f"# {name}\n".encode() + (f"\n{description}\n".encode() if description else b"")
                )
                tree = git.tree_with_file(None, "README.md", blob)
                commit = git.commit_tree(tree, [], "Initial commit", signature, signature)
                git.update_ref("refs/heads/main", commit, ZERO_SHA)
            self.data["repositories"][key] = repository
            self.changed("repositories", key)
            return repository

    def role(self, repository: Record, login: str | None) -> str | None:
        if login is None:
            return None
        if login.lower() == repository["owner"].lower():
            return "admin"
        role = repository["collaborators"].get(login.lower())
        return str(role) if role else None

    def require(self, repository: Record, login: str, role: str) -> None:
        """403 unless `login` holds at least `role` on the repository (anyone may read a public one)."""
        if role == "pull" and not repository["private"]:
            return
        held = self.role(repository, login)
        if held is None or ROLES.index(held) < ROLES.index(role):
            raise validate.forbidden(repository["owner"], repository["name"], login)

    def set_collaborator(self, repository: Record, login: str, permission: str) -> None:
        if permission not in ROLES:
            raise validation_failed(
                "Repository", "permission", f"permission must be one of {', '.join(ROLES)}"
            )
        with self.lock:
            self.user(login)
            repository["collaborators"][login.lower()] = permission
            self.changed_in(repository, "collaborators", login.lower())

    # files and refs

    def put_file(
        self,
        repository: Record,
        path: str,
        content: bytes,
        message: str,
        branch: str,
        expected_sha: str | None,
        author: str,
    ) -> tuple[str, bool, str]:
        """Commit `content` at `path` on `branch`: (the commit's SHA, whether the file is new, the
        branch's previous commit or ZERO_SHA). The blob, trees and commit are written without the
        state's lock (objects, content-addressed: a `git commit-tree` process under it held every other
        write and webhook lane up); the lock is taken to move the branch, only if it is still where
        the commit was made on, else it is made again on the branch's new tip, as if the writes had
        come one after the other (the last attempt holds the lock throughout, so a write always ends)."""
        for attempt in range(PUT_ATTEMPTS):
            with self.lock if attempt == PUT_ATTEMPTS - 1 else contextlib.nullcontext():
                done = self.put_file_once(repository, path, content, message, branch, expected_sha, author)
            if done is not None:
                return done
        raise AssertionError("the last attempt holds the lock: the branch cannot move under it")

    def put_file_once(
        self,
        repository: Record,
        path: str,
        content: bytes,
        message: str,
        branch: str,
        expected_sha: str | None,
        author: str,
    ) -> tuple[str, bool, str] | None:
        """`put_file`'s work once; None when the branch moved before the commit could be put on it."""
        git = self.git(repository)
        ref = f"refs/heads/{branch}"
        head = git.resolve_commit(ref)
        if head is None and git.refs("refs/heads/"):
            raise GitHubError(404, f"Branch {branch} not found")
        current = git.entry(head, path) if head else None
        if current is not None and current.kind != "blob":
            raise validation_failed("Content", "path", f"{path} is a directory")
        if current is not None and expected_sha is None:
            raise validation_failed("Content", "sha", '"sha" wasn\'t supplied.', code="missing_field")
        if current is not None and expected_sha != current.sha:
            raise GitHubError(409, f"{path} does not match {expected_sha}")
        if current is None and expected_sha is not None:
            raise GitHubError(409, f"{path} does not match {expected_sha}")
        blob = git.write_blob(content)
        tree = git.tree_with_file(head, path, blob)
        signature = Signature(author, f"{author}@users.noreply.sandbox", now())
        commit = git.commit_tree(tree, [head] if head else [], message, signature, signature)
        with self.lock:
            if git.resolve_commit(ref) != head or (head is None and git.refs("refs/heads/")):
                return None  # the branch moved (or the first branch was made) meanwhile
            git.update_ref(ref, commit, head or ZERO_SHA)
            repository["pushed_at"] = now()
            self.changed_in(repository, "pushed_at")
            return commit, current is None, head or ZERO_SHA

    def create_ref(self, repository: Record, ref: str, sha: str) -> None:
        validate.ref_name(ref)
        git = self.git(repository)
        with self.lock:
            if git.object_type(sha) is None:
                raise validation_failed("Reference", "sha", "Object does not exist")
            if git.ref(ref) is not None:
                raise validation_failed("Reference", "ref", "Reference already exists")
            git.update_ref(ref, sha, ZERO_SHA)

    def move_ref(self, repository: Record, ref: str, sha: str, force: bool) -> str:
        """Point an existing ref at `sha`: fast-forward only unless forced. Returns the old SHA."""
        git = self.git(repository)
        with self.lock:
            old = git.ref(ref)
            if old is None:
                raise validation_failed("Reference", "ref", "Reference does not exist")
            if git.object_type(sha) is None:
                raise validation_failed("Reference", "sha", "Object does not exist")
            if not force and not git.is_ancestor(old, sha):
                raise GitHubError(422, "Update is not a fast forward")
            try:
                git.update_ref(ref, sha, old)
            except GitFailure as failure:
                raise GitHubError(422, "Reference update failed") from failure
            repository["pushed_at"] = now()
            self.changed_in(repository, "pushed_at")
            return old

    # pull requests and comments

    def fork_repository(self, source: Record, owner: str, name: str | None = None) -> Record:
        """`owner`'s fork of `source`: a new repository sharing its history (every branch and tag);
        the existing one when `owner` forked it already, as GitHub answers."""
        source_key = f"{source['owner']}/{source['name']}".lower()
        with self.lock:
            name = name or source["name"]
            existing: Record | None = self.data["repositories"].get(f"{owner}/{name}".lower())
            if existing is not None and existing.get("parent") == source_key:
                return existing
            fork = self.create_repository(owner, name, source["private"], False, source["description"] or "")
            self.git(fork).run(
                "fetch",
                "--quiet",
                str(self.git(source).path),
                "+refs/heads/*:refs/heads/*",
                "+refs/tags/*:refs/tags/*",
            )
            fork["parent"] = source_key
            fork["default_branch"] = source["default_branch"]
            self.changed_in(fork, "parent")
            self.changed_in(fork, "default_branch")
            return fork

    def create_pull(
        self,
        repository: Record,
        author: str,
        title: str,
        body: str,
        head: str,
        base: str,
        head_repository: Record | None = None,
    ) -> Record:
        """`head_repository`: a fork the head branch lives in (its commits are fetched into the base
        repository as `refs/pull/N/head`, as GitHub keeps them)."""
        git = self.git(repository)
        with self.lock:
            if head_repository is not None:
                head_sha = self.git(head_repository).resolve_commit(f"refs/heads/{head}")
                if head_sha is not None:
                    git.run("fetch", "--quiet", str(self.git(head_repository).path), f"refs/heads/{head}")
            else:
                head_sha = git.resolve_commit(f"refs/heads/{head}")
            base_sha = git.resolve_commit(f"refs/heads/{base}")
            if head_sha is None:
                raise validation_failed("PullRequest", "head", "head is invalid", code="invalid")
            if base_sha is None:
                raise validation_failed("PullRequest", "base", "base is invalid", code="invalid")
            if head == base or git.is_ancestor(head_sha, base_sha):
                raise validation_failed("PullRequest", "head", f"No commits between {base} and {head}")
            head_key = None
            if head_repository is not None:
                head_key = f"{head_repository['owner']}/{head_repository['name']}".lower()
            index = self.index(repository)
            for other in index.open_pulls(repository, index.by_branch.get(head)):
                if (
                    other["state"] == "open"
                    and other["head"] == head
                    and other["base"] == base
                    and other.get("head_repo") == head_key
                ):
                    raise validation_failed(
                        "PullRequest",
                        "head",
                        f"A pull request already exists for {repository['owner']}:{head}.",
                    )
            number = int(repository["next_number"])
            repository["next_number"] = number + 1
            pull: Record = {
                "id": self.new_id(),
                "number": number,
                "user": self.user(author)["login"],
                "title": title,
                "body": body or None,
                "state": "open",
                "head": head,
                "head_sha": head_sha,
                "base": base,
                "base_sha": base_sha,
                "created_at": now(),
                "updated_at": now(),
            }
            if head_repository is not None:
                pull["head_repo"] = head_key
                git.update_ref(f"refs/pull/{number}/head", head_sha)
            repository["pulls"][str(number)] = pull
            self.changed_in(repository, "next_number")
            self.changed_in(repository, "pulls", str(number))
            return pull

    def pull(self, repository: Record, number: int) -> Record:
        found: Record | None = repository["pulls"].get(str(number))
        if found is None:
            raise not_found()
        return found

    def synchronize(self, repository: Record, branch: str) -> list[Record]:
        """The open PRs whose head is `branch`, moved to its new commit (each is a `synchronize`)."""
        git = self.git(repository)
        moved = []
        with self.lock:
            sha = git.resolve_commit(f"refs/heads/{branch}")
            index = self.index(repository)
            for pull in index.open_pulls(repository, index.by_branch.get(branch)):
                if (
                    pull["state"] == "open"
                    and pull["head"] == branch
                    and not pull.get("head_repo")  # a fork's branch of the same name is another branch
                    and sha
                    and pull["head_sha"] != sha
                ):
                    pull["previous_head_sha"] = pull["head_sha"]
                    pull["head_sha"] = sha
                    pull["updated_at"] = now()
                    moved.append(pull)
                    self.changed_in(repository, "pulls", str(pull["number"]))
        return moved

    def fork_pulls_moved(self, fork: Record, branch: str) -> list[tuple[Record, Record]]:
        """The open PRs of other repositories whose head is `branch` of the fork `fork`, moved to its
        new commit (fetched into the base as `refs/pull/N/head`): each is a `synchronize` there."""
        key = f"{fork['owner']}/{fork['name']}".lower()
        moved: list[tuple[Record, Record]] = []
        with self.lock:
            sha = self.git(fork).resolve_commit(f"refs/heads/{branch}")
            upstream = self.data["repositories"].get(fork.get("parent") or "")
            if sha is None or upstream is None:
                return moved
            for pull in upstream["pulls"].values():
                if pull["state"] != "open" or pull.get("head_repo") != key or pull["head"] != branch:
                    continue
                if pull["head_sha"] == sha:
                    continue
                git = self.git(upstream)
                git.run("fetch", "--quiet", str(self.git(fork).path), f"refs/heads/{branch}")
                git.update_ref(f"refs/pull/{pull['number']}/head", sha)
                pull["previous_head_sha"] = pull["head_sha"]
                pull["head_sha"] = sha
                pull["updated_at"] = now()
                moved.append((upstream, pull))
                self.changed_in(upstream, "pulls", str(pull["number"]))
        return moved

    def add_comment(self, repository: Record, number: int, author: str, body: str) -> Record:
        with self.lock:
            self.issue(repository, number)
            comment: Record = {
                "id": self.new_id(),
                "number": number,
                "user": self.user(author)["login"],
                "body": body,
                "created_at": now(),
                "updated_at": now(),
            }
            repository["comments"].append(comment)
            self.index(repository).add_comment(comment)
            self.item(repository, "comments", comment)
            return comment

    def comments(self, repository: Record, number: int) -> list[Record]:
        self.issue(repository, number)
        return list(self.index(repository).threads.get(number, []))

    def comment_count(self, repository: Record, number: int) -> int:
        return len(self.index(repository).threads.get(number, []))

    def comment(self, repository: Record, comment_id: int) -> Record:
        found = self.index(repository).comments.get(comment_id)
        if found is None:
            raise not_found()
        return found

    def pulls_at(self, repository: Record, sha: str) -> list[Record]:
        """The open PRs whose head is the commit `sha`, oldest first."""
        index = self.index(repository)
        return [
            pull for pull in index.open_pulls(repository, index.by_sha.get(sha)) if pull["head_sha"] == sha
        ]

    def reactions(self, repository: Record, subject: str, subject_id: int) -> list[Record]:
        """The reactions on one comment (`subject`: issue_comment or review_comment), oldest first."""
        return list(self.index(repository).reactions.get((subject, subject_id), []))

    def edit_comment(self, repository: Record, comment: Record, body: str) -> str:
        """Set a comment's body; returns the body it had."""
        with self.lock:
            previous = str(comment["body"])
            comment["body"] = body
            comment["updated_at"] = now()
            self.item(repository, "comments", comment)
            return previous

    def delete_comment(self, repository: Record, comment: Record) -> None:
        with self.lock:
            repository["comments"].remove(comment)
            index = self.index(repository)
            index.remove_comment(comment)
            self.item_gone(repository, "comments", comment["id"])
            gone = index.reactions.pop(("issue_comment", int(comment["id"])), [])
            if gone:
                ids = {reaction["id"] for reaction in gone}
                repository["reactions"] = [r for r in repository["reactions"] if r["id"] not in ids]
                for reaction_id in ids:
                    self.item_gone(repository, "reactions", reaction_id)

    def react(
        self, repository: Record, subject: str, subject_id: int, login: str, content: str
    ) -> tuple[Record, bool]:
        """A user's reaction on a comment: (the reaction, whether it is new; one per user and content)."""
        with self.lock:
            login = self.user(login)["login"]
            for reaction in self.index(repository).reactions.get((subject, subject_id), []):
                if (reaction["user"], reaction["content"]) == (login, content):
                    return reaction, False
            reaction = {
                "id": self.new_id(),
                "subject": subject,
                "subject_id": subject_id,
                "user": login,
                "content": content,
                "created_at": now(),
            }
            repository["reactions"].append(reaction)
            self.index(repository).add_reaction(reaction)
            self.item(repository, "reactions", reaction)
            return reaction, True

    # issues (a PR is an issue too: one number sequence for both)

    def create_issue(self, repository: Record, author: str, title: str, body: str) -> Record:
        with self.lock:
            number = int(repository["next_number"])
            repository["next_number"] = number + 1
            issue: Record = {
                "id": self.new_id(),
                "number": number,
                "user": self.user(author)["login"],
                "title": title,
                "body": body or None,
                "state": "open",
                "created_at": now(),
                "updated_at": now(),
            }
            repository["issues"][str(number)] = issue
            self.changed_in(repository, "next_number")
            self.changed_in(repository, "issues", str(number))
            return issue

    def record_changed(self, repository: Record, record: Record) -> None:
        """Journal an issue or a PR (one number sequence for both) after a change."""
        number = str(record["number"])
        self.changed_in(
            repository, "pulls" if repository["pulls"].get(number) is record else "issues", number
        )

    def issue(self, repository: Record, number: int) -> Record:
        """The issue or the PR numbered `number`, or 404."""
        found: Record | None = repository["issues"].get(str(number)) or repository["pulls"].get(str(number))
        if found is None:
            raise not_found()
        return found

    # what a PR changes

    def pull_base(self, repository: Record, pull: Record) -> str:
        """The base a PR is compared with: the base branch's tip while open, the tip it had once merged."""
        if pull.get("merged_base_sha"):
            return str(pull["merged_base_sha"])
        if pull["state"] == "open":
            tip = self.git(repository).resolve_commit(f"refs/heads/{pull['base']}")
            if tip is not None:
                return tip
        return str(pull["base_sha"])

    def pull_files(
        self, repository: Record, pull: Record, path: str | None = None, commit: str | None = None
    ) -> list[FileChange]:
        """The files a PR changes (as of its head, or of `commit`): from the merge base of its base and
        that commit to the commit (GitHub's three-dot diff)."""
        git = self.git(repository)
        base = self.pull_base(repository, pull)
        head = commit or pull["head_sha"]
        return git.diff(git.merge_base(base, head), head, path)

    def mergeable(self, repository: Record, pull: Record) -> bool:
        git = self.git(repository)
        return git.merge_trees(self.pull_base(repository, pull), pull["head_sha"]) is not None

    def find(self, repository: Record, collection: str, record_id: int) -> Record:
        """A record of one of the repository's lists (review comments, reviews, hooks) by id, or 404."""
        for record in repository[collection]:
            if record["id"] == record_id:
                found: Record = record
                return found
        raise not_found()

    # webhook deliveries

    def record_delivery(
        self, delivery: Record, response: Record | None = None, line: str | None = None
    ) -> None:
        """Keep a delivery (`line`: its JSON, when the caller has it); `response` becomes its repository
        hook's `last_response`. A delivery without an `id` gets the next one here, under the same hold
        of the lock (`line` then is its JSON without the id)."""
        with self.lock:
            if delivery.get("id") is None:
                delivery["id"] = self.new_id()
                if line is not None:
                    line = f'{{"id":{delivery["id"]},{line[1:]}'
            self.data["deliveries"].append(delivery)
            if self.deliveries_out is None:
                self.deliveries_out = self.deliveries_file.open("ab", buffering=0)
                if self.deliveries_out.tell() and not self.deliveries_file.read_bytes().endswith(b"\n"):
                    self.deliveries_out.write(b"\n")  # after a line a kill cut short
            text = line if line is not None else json.dumps(delivery, separators=(",", ":"))
            view = memoryview((text + "\n").encode())
            while view:
                view = view[self.deliveries_out.write(view) :]
            if response is not None:
                for repository in self.data["repositories"].values():
                    for hook in repository["hooks"]:
                        if hook["id"] == delivery.get("hook_id") and hook.get("last_response") != response:
                            hook["last_response"] = response
                            self.item(repository, "hooks", hook)

    def close(self) -> None:
        """Close the journal's and the deliveries' files (every change is already written)."""
        with self.lock:
            for handle in (self.journal, self.deliveries_out):
                if handle is not None:
                    handle.close()
            self.journal = self.deliveries_out = None


MISSING = object()


def key_of(repository: Record) -> str:
    """The repository's key in `data["repositories"]`."""
    return f"{repository['owner']}/{repository['name']}".lower()


def resolve_path(data: Record, path: tuple[Any, ...]) -> Any:
    found: Any = data
    for key in path:
        if not isinstance(found, dict) or key not in found:
            return MISSING
        found = found[key]
    return found


def apply(
    data: Record, operation: list[Any], lists: dict[int, tuple[list[Record], dict[int, Record]]]
) -> None:
    """One journal operation: `["set", path, value]`, `["del", path]`, `["item", path, record]` (the
    list at `path` gets the record, replacing the one of its id) or `["drop", path, id]`. `lists` keeps
    each list's records by id across a replay (the list itself too, so its `id()` stays its own)."""
    kind, path = operation[0], operation[1]
    if kind == "del":
        parent = resolve_path(data, tuple(path[:-1]))
        if isinstance(parent, dict):
            parent.pop(path[-1], None)
        return
    parent = data
    for key in path[:-1]:
        parent = parent.setdefault(key, {})
    if kind == "set":
        parent[path[-1]] = operation[2]
        return
    records: list[Record] = parent.setdefault(path[-1], [])
    known = lists.get(id(records))
    if known is None:
        known = lists[id(records)] = (records, {record["id"]: record for record in records})
    by_id = known[1]
    if kind == "item":
        value: Record = operation[2]
        existing = by_id.get(value["id"])
        if existing is None:
            records.append(value)
            by_id[value["id"]] = value
        else:
            existing.clear()
            existing.update(value)
    elif kind == "drop":
        gone = by_id.pop(operation[2], None)
        if gone is not None:
            records.remove(gone)
    else:
        raise ValueError(f"unknown journal operation {kind!r}")


def upgrade(repository: Record) -> None:
    """Give a repository record every collection the sandbox keeps (older state files lack some)."""
    for key, kind in COLLECTIONS.items():
        repository.setdefault(key, kind())
