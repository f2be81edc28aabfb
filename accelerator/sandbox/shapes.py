"""The JSON the sandbox answers with, shaped as GitHub's REST objects, URLs under the sandbox's base."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from accelerator.sandbox.git import CommitInfo, FileChange, TreeEntry
from accelerator.sandbox.state import CLASSIC, ROLES, Record, SandboxState


def iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


REACTIONS = ["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"]


def node_id(kind: str, number: int) -> str:
    return base64.b64encode(f"0:{kind}{number}".encode()).decode().rstrip("=")


class Shapes:
    """Renders state records as GitHub objects; `api` is `http://host:port/api/v3`, `web` its site.

    A user's shape and a repository's (but its viewer's `permissions`) are made once and copied after:
    a user record never changes once made, and a repository's shape is made again when the state says
    something it shows changed (`SandboxState.version`)."""

    def __init__(self, state: SandboxState, api: str) -> None:
        self.state = state
        self.api = api.rstrip("/")
        self.web = self.api.removesuffix("/api/v3")
        self.users: dict[str, dict[str, Any]] = {}
        self.repositories: dict[int, tuple[int, dict[str, Any]]] = {}

    def user(self, login: str) -> dict[str, Any]:
        found = self.users.get(login.lower())
        if found is None:
            found = self.users[login.lower()] = self.make_user(self.state.user(login))
        return dict(found)

    def make_user(self, record: Record) -> dict[str, Any]:
        api = f"{self.api}/users/{record['login']}"
        return {
            "login": record["login"],
            "id": record["id"],
            "node_id": node_id("User", record["id"]),
            "avatar_url": f"{self.web}/avatars/{record['login']}",
            "gravatar_id": "",
            "url": api,
            "html_url": f"{self.web}/{record['login']}",
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": record["type"],
            "site_admin": False,
        }

    def full_user(self, login: str) -> dict[str, Any]:
        """A user as `GET /user` and `GET /users/{login}` answer (the profile fields, empty here)."""
        record = self.state.user(login)
        repositories = [r for r in self.state.data["repositories"].values() if r["owner"] == record["login"]]
        return {
            **self.user(login),
            "name": None,
            "company": None,
            "blog": "",
            "location": None,
            "email": None,
            "hireable": None,
            "bio": None,
            "twitter_username": None,
            "public_repos": sum(1 for r in repositories if not r["private"]),
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": iso(record["created_at"]),
            "updated_at": iso(record["created_at"]),
        }

    def repository(self, repository: Record, viewer: str | None = None) -> dict[str, Any]:
        version = self.state.version(repository)
        cached = self.repositories.get(repository["id"])
        if cached is None or cached[0] != version:
            cached = self.repositories[repository["id"]] = (version, self.make_repository(repository))
        shaped = dict(cached[1])
        role = self.state.role(repository, viewer)
        if role is not None:
            shaped["permissions"] = {name: ROLES.index(role) >= ROLES.index(name) for name in ROLES}
        return shaped

    def make_repository(self, repository: Record) -> dict[str, Any]:
        full_name = f"{repository['owner']}/{repository['name']}"
        api = f"{self.api}/repos/{full_name}"
        open_issues = len(self.state.index(repository).open)
        templates = {
            "archive_url": "/{archive_format}{/ref}",
            "assignees_url": "/assignees{/user}",
            "blobs_url": "/git/blobs{/sha}",
            "branches_url": "/branches{/branch}",
            "collaborators_url": "/collaborators{/collaborator}",
            "comments_url": "/comments{/number}",
            "commits_url": "/commits{/sha}",
            "compare_url": "/compare/{base}...{head}",
            "contents_url": "/contents/{+path}",
            "contributors_url": "/contributors",
            "deployments_url": "/deployments",
            "downloads_url": "/downloads",
            "events_url": "/events",
            "forks_url": "/forks",
            "git_commits_url": "/git/commits{/sha}",
            "git_refs_url": "/git/refs{/sha}",
            "git_tags_url": "/git/tags{/sha}",
            "hooks_url": "/hooks",
            "issue_comment_url": "/issues/comments{/number}",
            "issue_events_url": "/issues/events{/number}",
            "issues_url": "/issues{/number}",
            "keys_url": "/keys{/key_id}",
            "labels_url": "/labels{/name}",
            "languages_url": "/languages",
            "merges_url": "/merges",
            "milestones_url": "/milestones{/number}",
            "notifications_url": "/notifications{?since,all,participating}",
            "pulls_url": "/pulls{/number}",
            "releases_url": "/releases{/id}",
            "stargazers_url": "/stargazers",
            "statuses_url": "/statuses/{sha}",
            "subscribers_url": "/subscribers",
            "subscription_url": "/subscription",
            "tags_url": "/tags",
            "teams_url": "/teams",
            "trees_url": "/git/trees{/sha}",
        }
        shaped: dict[str, Any] = {
            "id": repository["id"],
            "node_id": node_id("Repository", repository["id"]),
            "name": repository["name"],
            "full_name": full_name,
            "private": repository["private"],
            "visibility": "private" if repository["private"] else "public",
            "owner": self.user(repository["owner"]),
            "html_url": f"{self.web}/{full_name}",
            "description": repository["description"],
            "fork": bool(repository.get("parent")),
            "url": api,
            **{key: f"{api}{suffix}" for key, suffix in templates.items()},
            "git_url": f"{self.web}/{full_name}.git",
            "ssh_url": f"{self.web}/{full_name}.git",
            "clone_url": f"{self.web}/{full_name}.git",
            "svn_url": f"{self.web}/{full_name}",
            "mirror_url": None,
            "homepage": None,
            "language": None,
            "forks_count": 0,
            "forks": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "watchers": 0,
            "subscribers_count": 0,
            "network_count": 0,
            "size": 0,
            "default_branch": repository["default_branch"],
            "open_issues_count": open_issues,
            "open_issues": open_issues,
            "is_template": False,
            "topics": [],
            "has_issues": True,
            "has_projects": False,
            "has_wiki": False,
            "has_pages": False,
            "has_downloads": False,
            "has_discussions": False,
            "archived": False,
            "disabled": False,
            "license": None,
            "allow_forking": False,
            "web_commit_signoff_required": False,
            "created_at": iso(repository["created_at"]),
            "updated_at": iso(repository["pushed_at"]),
            "pushed_at": iso(repository["pushed_at"]),
            "allow_merge_commit": True,
            "allow_squash_merge": True,
            "allow_rebase_merge": True,
            "allow_auto_merge": False,
            "delete_branch_on_merge": False,
        }
        return shaped

    def permission(self, repository: Record, login: str) -> dict[str, Any]:
        role = self.state.role(repository, login)
        return {
            "permission": CLASSIC[role] if role else "none",
            "role_name": self.role_name(role),
            "user": {**self.user(login), "role_name": self.role_name(role)},
        }

    @staticmethod
    def role_name(role: str | None) -> str:
        return {"pull": "read", "push": "write"}.get(role, role) if role else "none"

    def commit(self, repository: Record, info: CommitInfo) -> dict[str, Any]:
        """A git commit object (`/git/commits/{sha}`)."""
        api = f"{self.api}/repos/{repository['owner']}/{repository['name']}"
        return {
            "sha": info.sha,
            "node_id": node_id("Commit", int(info.sha[:8], 16)),
            "url": f"{api}/git/commits/{info.sha}",
            "html_url": f"{self.web}/{repository['owner']}/{repository['name']}/commit/{info.sha}",
            "author": {
                "name": info.author.name,
                "email": info.author.email,
                "date": iso(info.author.timestamp),
            },
            "committer": {
                "name": info.committer.name,
                "email": info.committer.email,
                "date": iso(info.committer.timestamp),
            },
            "tree": {"sha": info.tree, "url": f"{api}/git/trees/{info.tree}"},
            "message": info.message,
            "parents": [
                {
                    "sha": parent,
                    "url": f"{api}/git/commits/{parent}",
                    "html_url": f"{self.web}/commit/{parent}",
                }
                for parent in info.parents
            ],
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        }

    def branch(self, repository: Record, name: str, info: CommitInfo) -> dict[str, Any]:
        api = f"{self.api}/repos/{repository['owner']}/{repository['name']}"
        return {
            "name": name,
            "commit": self.rest_commit(repository, info),
            "_links": {
                "self": f"{api}/branches/{name}",
                "html": f"{self.web}/{repository['owner']}/{repository['name']}/tree/{name}",
            },
            "protected": False,
            "protection": {
                "enabled": False,
                "required_status_checks": {"enforcement_level": "off", "contexts": [], "checks": []},
            },
            "protection_url": f"{api}/branches/{name}/protection",
        }

    def ref(self, repository: Record, ref: str, sha: str) -> dict[str, Any]:
        api = f"{self.api}/repos/{repository['owner']}/{repository['name']}"
        return {
            "ref": ref,
            "node_id": base64.b64encode(f"0:Ref{repository['id']}:{ref}".encode()).decode(),
            "url": f"{api}/git/{ref}",
            "object": {"type": "commit", "sha": sha, "url": f"{api}/git/commits/{sha}"},
        }

    def content(self, repository: Record, entry: TreeEntry, ref: str, data: bytes | None) -> dict[str, Any]:
        full_name = f"{repository['owner']}/{repository['name']}"
        api = f"{self.api}/repos/{full_name}"
        is_file = entry.kind == "blob"
        shaped: dict[str, Any] = {
            "type": "file" if is_file else "dir",
            "name": entry.path.rsplit("/", 1)[-1],
            "path": entry.path,
            "sha": entry.sha,
            "size": entry.size or 0,
            "url": f"{api}/contents/{entry.path}?ref={ref}",
            "html_url": f"{self.web}/{full_name}/{'blob' if is_file else 'tree'}/{ref}/{entry.path}",
            "git_url": f"{api}/git/{'blobs' if is_file else 'trees'}/{entry.sha}",
            "download_url": f"{self.web}/{full_name}/raw/{ref}/{entry.path}" if is_file else None,
        }
        if data is not None:
            shaped["encoding"] = "base64"
            shaped["content"] = base64.encodebytes(data).decode()
        shaped["_links"] = {"self": shaped["url"], "git": shaped["git_url"], "html": shaped["html_url"]}
        return shaped

    def links(self, repository: Record) -> tuple[str, str]:
        """The repository's API URL and its web URL."""
        full_name = f"{repository['owner']}/{repository['name']}"
        return f"{self.api}/repos/{full_name}", f"{self.web}/{full_name}"

    def pull_head(
        self, repository: Record, pull: Record, owner: dict[str, Any], shaped: dict[str, Any]
    ) -> dict[str, Any]:
        """A PR's head: its branch in the base repository, or in a fork (`head_repo`)."""
        fork = self.state.data["repositories"].get(pull["head_repo"]) if pull.get("head_repo") else None
        if fork is not None:
            owner, shaped, repository = self.user(fork["owner"]), self.repository(fork), fork
        return {
            "label": f"{repository['owner']}:{pull['head']}",
            "ref": pull["head"],
            "sha": pull["head_sha"],
            "user": owner,
            "repo": shaped,
        }

    def pull(self, repository: Record, pull: Record, full: bool = False) -> dict[str, Any]:
        """A PR as `GET /pulls` lists it; `full` adds the counts and mergeability `GET /pulls/{n}` has."""
        api, web = self.links(repository)
        number = pull["number"]
        shaped_repository = self.repository(repository)
        owner = self.user(repository["owner"])
        base_sha = self.state.pull_base(repository, pull)
        shaped: dict[str, Any] = {
            "url": f"{api}/pulls/{number}",
            "id": pull["id"],
            "node_id": node_id("PullRequest", pull["id"]),
            "html_url": f"{web}/pull/{number}",
            "diff_url": f"{web}/pull/{number}.diff",
            "patch_url": f"{web}/pull/{number}.patch",
            "issue_url": f"{api}/issues/{number}",
            "commits_url": f"{api}/pulls/{number}/commits",
            "review_comments_url": f"{api}/pulls/{number}/comments",
            "review_comment_url": f"{api}/pulls/comments{{/number}}",
            "comments_url": f"{api}/issues/{number}/comments",
            "statuses_url": f"{api}/statuses/{pull['head_sha']}",
            "number": number,
            "state": pull["state"],
            "locked": False,
            "title": pull["title"],
            "user": self.user(pull["user"]),
            "body": pull["body"],
            "labels": [],
            "milestone": None,
            "active_lock_reason": None,
            "created_at": iso(pull["created_at"]),
            "updated_at": iso(pull["updated_at"]),
            "closed_at": iso(pull["closed_at"]) if pull.get("closed_at") else None,
            "merged_at": iso(pull["merged_at"]) if pull.get("merged_at") else None,
            "merge_commit_sha": pull.get("merge_commit_sha"),
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [],
            "requested_teams": [],
            "draft": False,
            "head": self.pull_head(repository, pull, owner, shaped_repository),
            "base": {
                "label": f"{repository['owner']}:{pull['base']}",
                "ref": pull["base"],
                "sha": base_sha,
                "user": owner,
                "repo": shaped_repository,
            },
            "_links": {
                name: {"href": href}
                for name, href in (
                    ("self", f"{api}/pulls/{number}"),
                    ("html", f"{web}/pull/{number}"),
                    ("issue", f"{api}/issues/{number}"),
                    ("comments", f"{api}/issues/{number}/comments"),
                    ("review_comments", f"{api}/pulls/{number}/comments"),
                    ("review_comment", f"{api}/pulls/comments{{/number}}"),
                    ("commits", f"{api}/pulls/{number}/commits"),
                    ("statuses", f"{api}/statuses/{pull['head_sha']}"),
                )
            },
            "author_association": self.association(repository, pull["user"]),
            "auto_merge": None,
        }
        if full:
            git = self.state.git(repository)
            changes = self.state.pull_files(repository, pull)
            mergeable = None if pull["state"] != "open" else self.state.mergeable(repository, pull)
            shaped.update(
                {
                    "merged": bool(pull.get("merged")),
                    "mergeable": mergeable,
                    "rebaseable": mergeable,
                    "mergeable_state": {True: "clean", False: "dirty", None: "unknown"}[mergeable],
                    "merged_by": self.user(pull["merged_by"]) if pull.get("merged_by") else None,
                    "comments": self.state.comment_count(repository, number),
                    "review_comments": sum(1 for c in repository["review_comments"] if c["number"] == number),
                    "maintainer_can_modify": False,
                    "commits": len(git.rev_list(pull["head_sha"], exclude=[base_sha])),
                    "additions": sum(change.additions for change in changes),
                    "deletions": sum(change.deletions for change in changes),
                    "changed_files": len(changes),
                }
            )
        return shaped

    def association(self, repository: Record, login: str) -> str:
        role = self.state.role(repository, login)
        if role == "admin" and login.lower() == repository["owner"].lower():
            return "OWNER"
        return "COLLABORATOR" if role else "NONE"

    def reactions(self, repository: Record, url: str, subject: str, subject_id: int) -> dict[str, Any]:
        """The reaction roll-up a comment carries."""
        counts = dict.fromkeys(REACTIONS, 0)
        for reaction in self.state.reactions(repository, subject, subject_id):
            counts[reaction["content"]] += 1
        return {"url": f"{url}/reactions", "total_count": sum(counts.values()), **counts}

    def reaction(self, reaction: Record) -> dict[str, Any]:
        return {
            "id": reaction["id"],
            "node_id": node_id("Reaction", reaction["id"]),
            "user": self.user(reaction["user"]),
            "content": reaction["content"],
            "created_at": iso(reaction["created_at"]),
        }

    def issue_comment(self, repository: Record, comment: Record) -> dict[str, Any]:
        api, web = self.links(repository)
        kind = "pull" if str(comment["number"]) in repository["pulls"] else "issues"
        url = f"{api}/issues/comments/{comment['id']}"
        return {
            "id": comment["id"],
            "node_id": node_id("IssueComment", comment["id"]),
            "url": url,
            "html_url": f"{web}/{kind}/{comment['number']}#issuecomment-{comment['id']}",
            "issue_url": f"{api}/issues/{comment['number']}",
            "body": comment["body"],
            "user": self.user(comment["user"]),
            "created_at": iso(comment["created_at"]),
            "updated_at": iso(comment["updated_at"]),
            "author_association": self.association(repository, comment["user"]),
            "performed_via_github_app": None,
            "reactions": self.reactions(repository, url, "issue_comment", comment["id"]),
        }

    def issue(self, repository: Record, issue: Record) -> dict[str, Any]:
        """An issue, or the issue a PR is (with its `pull_request` link)."""
        api, web = self.links(repository)
        number = issue["number"]
        is_pull = str(number) in repository["pulls"] and repository["pulls"][str(number)] is issue
        url = f"{api}/issues/{number}"
        closed_by = issue.get("closed_by") or (issue.get("merged_by") if is_pull else None)
        shaped: dict[str, Any] = {
            "url": url,
            "repository_url": api,
            "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments",
            "events_url": f"{url}/events",
            "html_url": f"{web}/{'pull' if is_pull else 'issues'}/{number}",
            "id": issue["id"],
            "node_id": node_id("Issue", issue["id"]),
            "number": number,
            "title": issue["title"],
            "user": self.user(issue["user"]),
            "labels": [],
            "state": issue["state"],
            "state_reason": issue.get("state_reason"),
            "locked": False,
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "comments": self.state.comment_count(repository, number),
            "created_at": iso(issue["created_at"]),
            "updated_at": iso(issue["updated_at"]),
            "closed_at": iso(issue["closed_at"]) if issue.get("closed_at") else None,
            "closed_by": self.user(closed_by) if closed_by and issue["state"] == "closed" else None,
            "author_association": self.association(repository, issue["user"]),
            "active_lock_reason": None,
            "body": issue["body"],
            "performed_via_github_app": None,
            "reactions": self.reactions(repository, url, "issue", issue["id"]),
            "timeline_url": f"{url}/timeline",
        }
        if is_pull:
            shaped["draft"] = False
            shaped["pull_request"] = {
                "url": f"{api}/pulls/{number}",
                "html_url": f"{web}/pull/{number}",
                "diff_url": f"{web}/pull/{number}.diff",
                "patch_url": f"{web}/pull/{number}.patch",
                "merged_at": iso(issue["merged_at"]) if issue.get("merged_at") else None,
            }
        return shaped

    def issue_of_pull(self, repository: Record, pull: Record) -> dict[str, Any]:
        """The issue a PR is (issue_comment payloads carry it, with its `pull_request` link)."""
        return self.issue(repository, pull)

    def blob(self, repository: Record, sha: str, data: bytes) -> dict[str, Any]:
        api, _ = self.links(repository)
        return {
            "sha": sha,
            "node_id": node_id("Blob", int(sha[:8], 16)),
            "size": len(data),
            "url": f"{api}/git/blobs/{sha}",
            "content": base64.encodebytes(data).decode(),
            "encoding": "base64",
        }

    def tree(self, repository: Record, sha: str, entries: list[TreeEntry]) -> dict[str, Any]:
        api, _ = self.links(repository)
        listed = []
        for entry in entries:
            item: dict[str, Any] = {
                "path": entry.path,
                "mode": entry.mode,
                "type": entry.kind,
                "sha": entry.sha,
            }
            if entry.kind == "blob":
                item["size"] = entry.size or 0
            if entry.kind != "commit":
                item["url"] = f"{api}/git/{entry.kind}s/{entry.sha}"
            listed.append(item)
        return {"sha": sha, "url": f"{api}/git/trees/{sha}", "tree": listed, "truncated": False}

    def person(self, login_or_name: str) -> dict[str, Any] | None:
        """The GitHub user a commit's author name is, when it is one the sandbox knows."""
        found = self.state.data["users"].get(login_or_name.lower())
        return self.user(found["login"]) if found else None

    def rest_commit(
        self, repository: Record, info: CommitInfo, files: list[FileChange] | None = None
    ) -> dict[str, Any]:
        """A commit as `/repos/{o}/{r}/commits` answers (`files` and `stats` for one commit)."""
        api, web = self.links(repository)
        git_commit = self.commit(repository, info)
        shaped: dict[str, Any] = {
            "url": f"{api}/commits/{info.sha}",
            "sha": info.sha,
            "node_id": git_commit["node_id"],
            "html_url": f"{web}/commit/{info.sha}",
            "comments_url": f"{api}/commits/{info.sha}/comments",
            "commit": {
                "url": git_commit["url"],
                "author": git_commit["author"],
                "committer": git_commit["committer"],
                "message": info.message,
                "tree": git_commit["tree"],
                "comment_count": 0,
                "verification": git_commit["verification"],
            },
            "author": self.person(info.author.name),
            "committer": self.person(info.committer.name),
            "parents": [
                {"sha": parent, "url": f"{api}/commits/{parent}", "html_url": f"{web}/commit/{parent}"}
                for parent in info.parents
            ],
        }
        if files is not None:
            additions = sum(change.additions for change in files)
            deletions = sum(change.deletions for change in files)
            shaped["stats"] = {"total": additions + deletions, "additions": additions, "deletions": deletions}
            shaped["files"] = [self.file(repository, change, info.sha) for change in files]
        return shaped

    def file(self, repository: Record, change: FileChange, ref: str) -> dict[str, Any]:
        api, web = self.links(repository)
        shaped: dict[str, Any] = {
            "sha": change.sha,
            "filename": change.path,
            "status": change.status,
            "additions": change.additions,
            "deletions": change.deletions,
            "changes": change.additions + change.deletions,
            "blob_url": f"{web}/blob/{ref}/{change.path}",
            "raw_url": f"{web}/raw/{ref}/{change.path}",
            "contents_url": f"{api}/contents/{change.path}?ref={ref}",
        }
        if change.patch is not None:
            shaped["patch"] = change.patch
        if change.previous_path is not None:
            shaped["previous_filename"] = change.previous_path
        return shaped

    def push_commit(
        self, repository: Record, info: CommitInfo, paths: dict[str, list[str]]
    ) -> dict[str, Any]:
        """A commit as a `push` payload lists it."""
        _, web = self.links(repository)

        def who(signature: Any) -> dict[str, Any]:
            person = {"name": signature.name, "email": signature.email}
            if self.state.data["users"].get(signature.name.lower()):
                person["username"] = signature.name
            return person

        return {
            "id": info.sha,
            "tree_id": info.tree,
            "distinct": True,
            "message": info.message,
            "timestamp": iso(info.committer.timestamp),
            "url": f"{web}/commit/{info.sha}",
            "author": who(info.author),
            "committer": who(info.committer),
            "added": paths.get("added", []),
            "removed": paths.get("removed", []),
            "modified": paths.get("modified", []),
        }

    def review_comment(self, repository: Record, comment: Record) -> dict[str, Any]:
        api, web = self.links(repository)
        url = f"{api}/pulls/comments/{comment['id']}"
        html = f"{web}/pull/{comment['number']}#discussion_r{comment['id']}"
        pull_url = f"{api}/pulls/{comment['number']}"
        shaped: dict[str, Any] = {
            "url": url,
            "pull_request_review_id": comment["review_id"],
            "id": comment["id"],
            "node_id": node_id("PullRequestReviewComment", comment["id"]),
            "diff_hunk": comment["diff_hunk"],
            "path": comment["path"],
            "position": comment["position"],
            "original_position": comment["position"],
            "commit_id": comment["commit_id"],
            "original_commit_id": comment["commit_id"],
            "user": self.user(comment["user"]),
            "body": comment["body"],
            "created_at": iso(comment["created_at"]),
            "updated_at": iso(comment["updated_at"]),
            "html_url": html,
            "pull_request_url": pull_url,
            "author_association": self.association(repository, comment["user"]),
            "_links": {"self": {"href": url}, "html": {"href": html}, "pull_request": {"href": pull_url}},
            "start_line": comment["start_line"],
            "original_start_line": comment["start_line"],
            "start_side": comment["start_side"],
            "line": comment["line"],
            "original_line": comment["line"],
            "side": comment["side"],
            "subject_type": comment.get("subject_type", "line"),
            "reactions": self.reactions(repository, url, "review_comment", comment["id"]),
        }
        if comment.get("in_reply_to") is not None:
            shaped["in_reply_to_id"] = comment["in_reply_to"]
        return shaped

    def review(self, repository: Record, review: Record) -> dict[str, Any]:
        api, web = self.links(repository)
        html = f"{web}/pull/{review['number']}#pullrequestreview-{review['id']}"
        pull_url = f"{api}/pulls/{review['number']}"
        shaped: dict[str, Any] = {
            "id": review["id"],
            "node_id": node_id("PullRequestReview", review["id"]),
            "user": self.user(review["user"]),
            "body": review["body"],
            "state": review["state"],
            "html_url": html,
            "pull_request_url": pull_url,
            "author_association": self.association(repository, review["user"]),
            "_links": {"html": {"href": html}, "pull_request": {"href": pull_url}},
            "commit_id": review["commit_id"],
        }
        if review.get("submitted_at"):
            shaped["submitted_at"] = iso(review["submitted_at"])
        return shaped

    def app(self) -> dict[str, Any]:
        """The GitHub App the bot is (check runs carry it)."""
        slug = self.state.bot_login.removesuffix("[bot]")
        return {
            "id": 1,
            "slug": slug,
            "node_id": node_id("App", 1),
            "client_id": "Iv1.sandbox",
            "owner": self.user(self.state.bot_login),
            "name": slug,
            "description": "the accelerator's bot, in the sandbox",
            "external_url": self.web,
            "html_url": f"{self.web}/apps/{slug}",
            "created_at": iso(0),
            "updated_at": iso(0),
            "permissions": {
                "checks": "write",
                "contents": "write",
                "issues": "write",
                "metadata": "read",
                "pull_requests": "write",
            },
            "events": ["check_run", "issue_comment", "pull_request", "pull_request_review", "push"],
        }

    def check_run(self, repository: Record, run: Record, webhook: bool = False) -> dict[str, Any]:
        api, web = self.links(repository)
        url = f"{api}/check-runs/{run['id']}"
        pulls = [
            {
                "url": f"{api}/pulls/{pull['number']}",
                "id": pull["id"],
                "number": pull["number"],
                "head": {
                    "ref": pull["head"],
                    "sha": pull["head_sha"],
                    "repo": {"id": repository["id"], "url": api, "name": repository["name"]},
                },
                "base": {
                    "ref": pull["base"],
                    "sha": self.state.pull_base(repository, pull),
                    "repo": {"id": repository["id"], "url": api, "name": repository["name"]},
                },
            }
            for pull in self.state.pulls_at(repository, run["head_sha"])
        ]
        suite: dict[str, Any] = {"id": run["suite_id"]}
        if webhook:
            branch = pulls[0]["head"]["ref"] if pulls else None
            suite.update(
                {
                    "node_id": node_id("CheckSuite", run["suite_id"]),
                    "head_branch": branch,
                    "head_sha": run["head_sha"],
                    "status": run["status"],
                    "conclusion": run["conclusion"],
                    "url": f"{api}/check-suites/{run['suite_id']}",
                    "before": None,
                    "after": run["head_sha"],
                    "pull_requests": pulls,
                    "app": self.app(),
                    "created_at": iso(run["started_at"]),
                    "updated_at": iso(run["completed_at"] or run["started_at"]),
                }
            )
        return {
            "id": run["id"],
            "head_sha": run["head_sha"],
            "node_id": node_id("CheckRun", run["id"]),
            "external_id": run["external_id"] or "",
            "url": url,
            "html_url": f"{web}/runs/{run['id']}",
            "details_url": run["details_url"] or f"{web}/runs/{run['id']}",
            "status": run["status"],
            "conclusion": run["conclusion"],
            "started_at": iso(run["started_at"]),
            "completed_at": iso(run["completed_at"]) if run["completed_at"] else None,
            "output": {
                "title": run["output"]["title"],
                "summary": run["output"]["summary"],
                "text": run["output"]["text"],
                "annotations_count": len(run["annotations"]),
                "annotations_url": f"{url}/annotations",
            },
            "name": run["name"],
            "check_suite": suite,
            "app": self.app(),
            "pull_requests": pulls,
        }

    def annotation(self, repository: Record, run: Record, item: Record) -> dict[str, Any]:
        _, web = self.links(repository)
        return {
            "path": item["path"],
            "start_line": item["start_line"],
            "end_line": item["end_line"],
            "start_column": item["start_column"],
            "end_column": item["end_column"],
            "annotation_level": item["annotation_level"],
            "title": item["title"],
            "message": item["message"],
            "raw_details": item["raw_details"],
            "blob_href": f"{web}/blob/{run['head_sha']}/{item['path']}",
        }

    def hook(self, repository: Record, hook: Record) -> dict[str, Any]:
        api, _ = self.links(repository)
        url = f"{api}/hooks/{hook['id']}"
        config = {key: hook["config"][key] for key in ("content_type", "insecure_ssl", "url")}
        if hook["config"].get("secret"):
            config["secret"] = "********"  # GitHub never shows a hook's secret
        return {
            "type": "Repository",
            "id": hook["id"],
            "name": hook["name"],
            "active": hook["active"],
            "events": hook["events"],
            "config": config,
            "updated_at": iso(hook["updated_at"]),
            "created_at": iso(hook["created_at"]),
            "url": url,
            "test_url": f"{url}/test",
            "ping_url": f"{url}/pings",
            "deliveries_url": f"{url}/deliveries",
            "last_response": hook["last_response"],
        }


def delivery(record: Record, full: bool) -> dict[str, Any]:
    """A hook delivery as `GET /app/hook/deliveries` lists it; `full` adds the request and the URL."""
    code = int(record["status_code"])
    shaped: dict[str, Any] = {
        "id": record["id"],
        "guid": record["guid"],
        "delivered_at": iso(record["delivered_at"]),
        "redelivery": record["redelivery"],
        "duration": record["duration"],
        "status": "OK"
        if 200 <= code < 300
        else (f"Invalid HTTP Response: {code}" if code else "failed to connect"),
        "status_code": code,
        "event": record["event"],
        "action": record["action"],
        "installation_id": record.get("installation_id", 1),
        "repository_id": record["repository_id"],
        "throttled_at": None,
    }
    if full:
        shaped["url"] = record["url"]
        shaped["request"] = record["request"]
        shaped["response"] = {"headers": {}, "payload": None}
    return shaped
