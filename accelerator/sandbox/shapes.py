"""The JSON the sandbox answers with, shaped as GitHub's REST objects, URLs under the sandbox's base."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from accelerator.sandbox.git import CommitInfo, TreeEntry
from accelerator.sandbox.state import CLASSIC, ROLES, Record, SandboxState


def iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def node_id(kind: str, number: int) -> str:
    return base64.b64encode(f"0:{kind}{number}".encode()).decode().rstrip("=")


class Shapes:
    """Renders state records as GitHub objects; `api` is `http://host:port/api/v3`, `web` its site."""

    def __init__(self, state: SandboxState, api: str) -> None:
        self.state = state
        self.api = api.rstrip("/")
        self.web = self.api.removesuffix("/api/v3")

    def user(self, login: str) -> dict[str, Any]:
        record = self.state.user(login)
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

    def repository(self, repository: Record, viewer: str | None = None) -> dict[str, Any]:
        full_name = f"{repository['owner']}/{repository['name']}"
        api = f"{self.api}/repos/{full_name}"
        role = self.state.role(repository, viewer)
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
            "fork": False,
            "url": api,
            "git_url": f"{self.web}/{full_name}.git",
            "clone_url": f"{self.web}/{full_name}.git",
            "pulls_url": f"{api}/pulls{{/number}}",
            "issues_url": f"{api}/issues{{/number}}",
            "contents_url": f"{api}/contents/{{+path}}",
            "hooks_url": f"{api}/hooks",
            "default_branch": repository["default_branch"],
            "created_at": iso(repository["created_at"]),
            "updated_at": iso(repository["pushed_at"]),
            "pushed_at": iso(repository["pushed_at"]),
            "archived": False,
            "disabled": False,
        }
        if role is not None:
            shaped["permissions"] = {name: ROLES.index(role) >= ROLES.index(name) for name in ROLES}
        return shaped

    def permission(self, repository: Record, login: str) -> dict[str, Any]:
        role = self.state.role(repository, login)
        return {
            "permission": CLASSIC[role] if role else "none",
            "role_name": {"pull": "read", "push": "write"}.get(role, role) if role else "none",
            "user": self.user(login),
        }

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
            "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None},
        }

    def branch(self, repository: Record, name: str, info: CommitInfo) -> dict[str, Any]:
        api = f"{self.api}/repos/{repository['owner']}/{repository['name']}"
        return {
            "name": name,
            "commit": {
                "sha": info.sha,
                "node_id": node_id("Commit", int(info.sha[:8], 16)),
                "url": f"{api}/commits/{info.sha}",
                "html_url": f"{self.web}/{repository['owner']}/{repository['name']}/commit/{info.sha}",
                "commit": self.commit(repository, info),
                "author": None,
                "committer": None,
                "parents": [{"sha": parent, "url": f"{api}/commits/{parent}"} for parent in info.parents],
            },
            "protected": False,
            "_links": {
                "self": f"{api}/branches/{name}",
                "html": f"{self.web}/{repository['owner']}/{repository['name']}/tree/{name}",
            },
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

    def pull(self, repository: Record, pull: Record) -> dict[str, Any]:
        full_name = f"{repository['owner']}/{repository['name']}"
        api = f"{self.api}/repos/{full_name}"
        number = pull["number"]
        shaped_repository = self.repository(repository)
        return {
            "url": f"{api}/pulls/{number}",
            "id": pull["id"],
            "node_id": node_id("PullRequest", pull["id"]),
            "html_url": f"{self.web}/{full_name}/pull/{number}",
            "diff_url": f"{self.web}/{full_name}/pull/{number}.diff",
            "patch_url": f"{self.web}/{full_name}/pull/{number}.patch",
            "issue_url": f"{api}/issues/{number}",
            "commits_url": f"{api}/pulls/{number}/commits",
            "review_comments_url": f"{api}/pulls/{number}/comments",
            "comments_url": f"{api}/issues/{number}/comments",
            "statuses_url": f"{api}/statuses/{pull['head_sha']}",
            "number": number,
            "state": pull["state"],
            "locked": False,
            "title": pull["title"],
            "user": self.user(pull["user"]),
            "body": pull["body"],
            "created_at": iso(pull["created_at"]),
            "updated_at": iso(pull["updated_at"]),
            "closed_at": None,
            "merged_at": None,
            "merge_commit_sha": None,
            "draft": False,
            "head": {
                "label": f"{repository['owner']}:{pull['head']}",
                "ref": pull["head"],
                "sha": pull["head_sha"],
                "user": self.user(repository["owner"]),
                "repo": shaped_repository,
            },
            "base": {
                "label": f"{repository['owner']}:{pull['base']}",
                "ref": pull["base"],
                "sha": pull["base_sha"],
                "user": self.user(repository["owner"]),
                "repo": shaped_repository,
            },
            "merged": False,
            "author_association": self.association(repository, pull["user"]),
        }

    def association(self, repository: Record, login: str) -> str:
        role = self.state.role(repository, login)
        if role == "admin" and login.lower() == repository["owner"].lower():
            return "OWNER"
        return "COLLABORATOR" if role else "NONE"

    def issue_comment(self, repository: Record, comment: Record) -> dict[str, Any]:
        full_name = f"{repository['owner']}/{repository['name']}"
        api = f"{self.api}/repos/{full_name}"
        return {
            "id": comment["id"],
            "node_id": node_id("IssueComment", comment["id"]),
            "url": f"{api}/issues/comments/{comment['id']}",
            "html_url": f"{self.web}/{full_name}/pull/{comment['number']}#issuecomment-{comment['id']}",
            "issue_url": f"{api}/issues/{comment['number']}",
            "body": comment["body"],
            "user": self.user(comment["user"]),
            "created_at": iso(comment["created_at"]),
            "updated_at": iso(comment["updated_at"]),
            "author_association": self.association(repository, comment["user"]),
        }

    def issue_of_pull(self, repository: Record, pull: Record) -> dict[str, Any]:
        """The issue a PR is (issue_comment payloads carry it, with its `pull_request` link)."""
        full_name = f"{repository['owner']}/{repository['name']}"
        api = f"{self.api}/repos/{full_name}"
        number = pull["number"]
        return {
            "url": f"{api}/issues/{number}",
            "id": pull["id"],
            "node_id": node_id("Issue", pull["id"]),
            "number": number,
            "title": pull["title"],
            "user": self.user(pull["user"]),
            "state": pull["state"],
            "body": pull["body"],
            "html_url": f"{self.web}/{full_name}/pull/{number}",
            "comments_url": f"{api}/issues/{number}/comments",
            "created_at": iso(pull["created_at"]),
            "updated_at": iso(pull["updated_at"]),
            "pull_request": {
                "url": f"{api}/pulls/{number}",
                "html_url": f"{self.web}/{full_name}/pull/{number}",
            },
            "author_association": self.association(repository, pull["user"]),
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
        "installation_id": 1,
        "repository_id": record["repository_id"],
        "throttled_at": None,
    }
    if full:
        shaped["url"] = record["url"]
        shaped["request"] = record["request"]
        shaped["response"] = {"headers": {}, "payload": None}
    return shaped
