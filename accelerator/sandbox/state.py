"""The sandbox's state: users, repositories (bare git repositories under `<state>/repos`), their
collaborators, issues, pull requests, comments, reviews, check runs, hooks, kept in `<state>/state.json`
(webhook deliveries appended to `<state>/deliveries.jsonl`) so a
restart on the same directory continues where it was."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
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


def now() -> int:
    return int(time.time())


class SandboxState:
    """Everything the sandbox knows; one lock serialises every change, as one GitHub repository would."""

    def __init__(self, root: Path, bot_login: str = "accelerator[bot]") -> None:
        self.root = root
        self.bot_login = bot_login
        self.lock = threading.RLock()
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
                        self.data["deliveries"].append(json.loads(line))
        for repository in self.data["repositories"].values():
            upgrade(repository)

    def save(self) -> None:
        scratch = self.file.with_suffix(".tmp")
        kept = {key: value for key, value in self.data.items() if key != "deliveries"}
        # compact: json's C encoder (an indented dump takes the pure-Python one, ten times slower)
        scratch.write_text(json.dumps(kept, separators=(",", ":")), encoding="utf-8")
        scratch.replace(self.file)  # atomic: a crash never leaves half a state

    def new_id(self) -> int:
        value = int(self.data["next_id"])
        self.data["next_id"] = value + 1
        return value

    # users

    def user(self, login: str) -> Record:
        """The user `login`, created on first use (the bot's login is a Bot)."""
        with self.lock:
            users: dict[str, Record] = self.data["users"]
            key = login.lower()
            if key not in users:
                validate.login(login)
                users[key] = {
                    "login": login,
                    "id": self.new_id(),
                    "type": "Bot" if login == self.bot_login else "User",
                    "created_at": now(),
                }
                self.save()
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
            self.save()
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
            self.save()

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
        branch's previous commit or ZERO_SHA)."""
        git = self.git(repository)
        with self.lock:
            head = git.resolve_commit(f"refs/heads/{branch}")
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
            git.update_ref(f"refs/heads/{branch}", commit, head or ZERO_SHA)
            repository["pushed_at"] = now()
            self.save()
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
            self.save()
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
            self.save()
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
            for other in repository["pulls"].values():
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
            self.save()
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
            for pull in repository["pulls"].values():
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
            self.save()
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
            self.save()
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
            self.save()
            return comment

    def comments(self, repository: Record, number: int) -> list[Record]:
        self.issue(repository, number)
        return [comment for comment in repository["comments"] if comment["number"] == number]

    def comment(self, repository: Record, comment_id: int) -> Record:
        for comment in repository["comments"]:
            if comment["id"] == comment_id:
                found: Record = comment
                return found
        raise not_found()

    def edit_comment(self, repository: Record, comment: Record, body: str) -> str:
        """Set a comment's body; returns the body it had."""
        with self.lock:
            previous = str(comment["body"])
            comment["body"] = body
            comment["updated_at"] = now()
            self.save()
            return previous

    def delete_comment(self, repository: Record, comment: Record) -> None:
        with self.lock:
            repository["comments"].remove(comment)
            repository["reactions"] = [
                reaction
                for reaction in repository["reactions"]
                if (reaction["subject"], reaction["subject_id"]) != ("issue_comment", comment["id"])
            ]
            self.save()

    def react(
        self, repository: Record, subject: str, subject_id: int, login: str, content: str
    ) -> tuple[Record, bool]:
        """A user's reaction on a comment: (the reaction, whether it is new; one per user and content)."""
        with self.lock:
            login = self.user(login)["login"]
            for reaction in repository["reactions"]:
                if (reaction["subject"], reaction["subject_id"], reaction["user"], reaction["content"]) == (
                    subject,
                    subject_id,
                    login,
                    content,
                ):
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
            self.save()
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
            self.save()
            return issue

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

    def new_delivery_id(self) -> int:
        with self.lock:
            return self.new_id()

    def record_delivery(self, delivery: Record, response: Record | None = None) -> None:
        """Keep a delivery; `response` becomes its repository hook's `last_response`."""
        with self.lock:
            self.data["deliveries"].append(delivery)
            with self.deliveries_file.open("a", encoding="utf-8") as lines:
                lines.write(json.dumps(delivery, separators=(",", ":")) + "\n")
            if response is not None:
                for repository in self.data["repositories"].values():
                    for hook in repository["hooks"]:
                        if hook["id"] == delivery.get("hook_id") and hook.get("last_response") != response:
                            hook["last_response"] = response
                            self.save()


def upgrade(repository: Record) -> None:
    """Give a repository record every collection the sandbox keeps (older state files lack some)."""
    for key, kind in COLLECTIONS.items():
        repository.setdefault(key, kind())
