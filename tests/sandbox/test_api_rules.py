"""What the sandbox refuses, as GitHub does: no token, other users' writes, bad paths and refs, limits."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from accelerator.sandbox import SandboxState, create_app

API = "http://testserver/api/v3"


def auth(login: str) -> dict[str, str]:
    return {"Authorization": f"token {login}"}


@pytest.fixture
def api(tmp_path: Path) -> TestClient:
    client = TestClient(create_app(SandboxState(tmp_path), API), base_url="http://testserver")
    made = client.post("/api/v3/user/repos", json={"name": "repo", "auto_init": True}, headers=auth("alice"))
    assert made.status_code == 201
    return client


def put(api: TestClient, path: str, content: bytes, login: str = "alice", **extra: object):  # type: ignore[no-untyped-def]
    body = {"message": "m", "content": base64.b64encode(content).decode(), **extra}
    return api.put(f"/api/v3/repos/alice/repo/contents/{path}", json=body, headers=auth(login))


def test_no_token_is_401_with_githubs_body(api: TestClient) -> None:
    answer = api.get("/api/v3/user")
    assert answer.status_code == 401
    assert answer.json()["message"] == "Requires authentication"
    assert "documentation_url" in answer.json()
    assert api.get("/api/v3/user", headers={"Authorization": "Basic xyz"}).status_code == 401
    assert api.post("/api/v3/user/repos", json={"name": "x"}).status_code == 401


def test_bearer_and_bot_logins(api: TestClient) -> None:
    assert api.get("/api/v3/user", headers={"Authorization": "Bearer carol"}).json()["type"] == "User"
    bot = api.get("/api/v3/user", headers=auth("accelerator[bot]")).json()
    assert (bot["login"], bot["type"]) == ("accelerator[bot]", "Bot")
    assert api.get("/api/v3/users/carol").json()["url"] == f"{API}/users/carol"
    assert api.get("/api/v3/users/nobody-yet").status_code == 404


def test_every_answer_carries_rate_limit_headers_and_unknown_routes_are_404(api: TestClient) -> None:
    answer = api.get("/api/v3/repos/alice/repo/unknown/thing", headers=auth("alice"))
    assert answer.status_code == 404
    assert answer.json()["message"] == "Not Found"
    assert answer.headers["x-ratelimit-limit"] == "5000"
    assert int(api.get("/api/v3/rate_limit").headers["x-ratelimit-remaining"]) > 0


def test_writing_takes_push_permission(api: TestClient) -> None:
    assert put(api, "a.txt", b"a", login="mallory").status_code == 403
    answer = api.put(
        "/api/v3/repos/alice/repo/collaborators/mallory",
        json={"permission": "admin"},
        headers=auth("mallory"),
    )
    assert answer.status_code == 403
    assert (
        api.put(
            "/api/v3/repos/alice/repo/collaborators/mallory",
            json={"permission": "triage"},
            headers=auth("alice"),
        ).status_code
        == 204
    )
    assert put(api, "a.txt", b"a", login="mallory").status_code == 403
    permission = api.get("/api/v3/repos/alice/repo/collaborators/mallory/permission", headers=auth("alice"))
    assert (permission.json()["permission"], permission.json()["role_name"]) == ("read", "triage")
    refused = api.put(
        "/api/v3/repos/alice/repo/collaborators/x", json={"permission": "owner"}, headers=auth("alice")
    )
    assert refused.status_code == 422


def test_a_private_repository_is_hidden_from_others(api: TestClient) -> None:
    api.post("/api/v3/user/repos", json={"name": "secret", "private": True}, headers=auth("alice"))
    assert api.get("/api/v3/repos/alice/secret", headers=auth("alice")).status_code == 200
    assert api.get("/api/v3/repos/alice/secret", headers=auth("eve")).status_code == 404
    assert api.get("/api/v3/repos/alice/secret").status_code == 404


@pytest.mark.parametrize(
    "path", ["%2E%2E/x", "a/%2E%2E/b", "a//b", ".git/config", "a/%2E/b", "A/.GIT/hooks", "a%00b"]
)
def test_paths_outside_the_tree_are_refused(api: TestClient, path: str) -> None:
    assert put(api, path, b"x").status_code in (404, 422)


@pytest.mark.parametrize(
    "ref",
    [
        "refs/heads/a..b",
        "refs/heads/x.lock",
        "refs/heads/-x/.y",
        "heads/main",
        "refs/heads/a b",
        "refs/heads/@{x}",
    ],
)
def test_ref_names_are_checked_as_git_does(api: TestClient, ref: str) -> None:
    sha = api.get("/api/v3/repos/alice/repo/branches/main", headers=auth("alice")).json()["commit"]["sha"]
    answer = api.post(
        "/api/v3/repos/alice/repo/git/refs", json={"ref": ref, "sha": sha}, headers=auth("alice")
    )
    assert answer.status_code == 422


def test_a_branch_named_like_an_option_stays_a_branch(api: TestClient) -> None:
    sha = api.get("/api/v3/repos/alice/repo/branches/main", headers=auth("alice")).json()["commit"]["sha"]
    made = api.post(
        "/api/v3/repos/alice/repo/git/refs",
        json={"ref": "refs/heads/--force", "sha": sha},
        headers=auth("alice"),
    )
    assert made.status_code == 201
    assert put(api, "f.txt", b"f", branch="--force").status_code == 201


def test_updating_a_file_needs_its_sha(api: TestClient) -> None:
    assert put(api, "f.txt", b"one").status_code == 201
    missing = put(api, "f.txt", b"two")
    assert missing.status_code == 422
    assert put(api, "f.txt", b"two", sha="0" * 40).status_code == 409
    assert put(api, "f.txt", b"x", sha="not-a-sha").status_code == 422
    assert put(api, "new.txt", b"x", sha="1" * 40).status_code == 409
    assert put(api, "f.txt", b"x", branch="nope").status_code == 404


def test_a_comment_over_65536_characters_is_refused(api: TestClient) -> None:
    sha = api.get("/api/v3/repos/alice/repo/branches/main", headers=auth("alice")).json()["commit"]["sha"]
    api.post(
        "/api/v3/repos/alice/repo/git/refs", json={"ref": "refs/heads/f", "sha": sha}, headers=auth("alice")
    )
    assert put(api, "f.txt", b"f", branch="f").status_code == 201
    pull = api.post(
        "/api/v3/repos/alice/repo/pulls",
        json={"title": "t", "head": "f", "base": "main"},
        headers=auth("alice"),
    )
    assert pull.status_code == 201
    url = "/api/v3/repos/alice/repo/issues/1/comments"
    too_long = api.post(url, json={"body": "x" * 65537}, headers=auth("bob"))
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["message"] == "Body is too long (maximum is 65536 characters)"
    assert api.post(url, json={"body": "x" * 65536}, headers=auth("bob")).status_code == 201
    assert (
        api.post(
            "/api/v3/repos/alice/repo/issues/9/comments", json={"body": "x"}, headers=auth("bob")
        ).status_code
        == 404
    )
    again = api.post(
        "/api/v3/repos/alice/repo/pulls",
        json={"title": "t", "head": "f", "base": "main"},
        headers=auth("alice"),
    )
    assert again.status_code == 422
    nothing = api.post(
        "/api/v3/repos/alice/repo/pulls",
        json={"title": "t", "head": "main", "base": "f"},
        headers=auth("alice"),
    )
    assert nothing.status_code == 422


def test_a_bad_body_is_400(api: TestClient) -> None:
    answer = api.post("/api/v3/user/repos", content=b"{not json", headers=auth("alice"))
    assert answer.status_code == 400
    assert answer.json()["message"] == "Problems parsing JSON"
    assert api.post("/api/v3/user/repos", json={"name": "../x"}, headers=auth("alice")).status_code == 422
    assert api.post("/api/v3/user/repos", json={"name": "repo"}, headers=auth("alice")).status_code == 422


def test_a_directory_lists_its_entries(api: TestClient) -> None:
    assert put(api, "erd/sales.dbml", b"Table t {}\n").status_code == 201
    root = api.get("/api/v3/repos/alice/repo/contents", headers=auth("alice")).json()
    assert sorted((item["path"], item["type"]) for item in root) == [("README.md", "file"), ("erd", "dir")]
    inside = api.get("/api/v3/repos/alice/repo/contents/erd", headers=auth("alice")).json()
    assert [(item["path"], item["type"], item["size"]) for item in inside] == [("erd/sales.dbml", "file", 11)]
