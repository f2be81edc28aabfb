"""`git clone http://HOST:PORT/OWNER/REPO.git` with the real git: smart HTTP (protocol 0 and 2), dumb
HTTP, a private repository behind credentials, pushing refused, and a fetch after the API moved a branch."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from accelerator.sandbox import RunningSandbox
from tests.sandbox.conftest import client


def git(*args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cwd or Path.cwd()),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=check
    )


def web(sandbox: RunningSandbox) -> str:
    return sandbox.api_url.removesuffix("/api/v3")


@pytest.mark.parametrize("protocol", ["0", "2"])
def test_git_clone_reads_what_the_api_wrote(sandbox: RunningSandbox, tmp_path: Path, protocol: str) -> None:
    repo = client(sandbox, "alice").get_user().create_repo("lake", auto_init=True)
    repo.create_git_ref("refs/heads/feature", repo.get_branch("main").commit.sha)
    repo.create_file("erd/sales.dbml", "sales", "Table sales {}\n", branch="feature")
    clone = tmp_path / "clone"
    git(
        "-c",
        f"protocol.version={protocol}",
        "clone",
        f"{web(sandbox)}/alice/lake.git",
        str(clone),
        cwd=tmp_path,
    )
    assert (clone / "README.md").read_text().startswith("# lake")
    git("checkout", "feature", cwd=clone)
    assert (clone / "erd" / "sales.dbml").read_text() == "Table sales {}\n"
    assert git("rev-parse", "HEAD", cwd=clone).stdout.strip() == repo.get_branch("feature").commit.sha

    moved = repo.create_file("b.txt", "b", "b\n", branch="feature")["commit"].sha
    git("-c", f"protocol.version={protocol}", "fetch", "origin", cwd=clone)
    assert git("rev-parse", "origin/feature", cwd=clone).stdout.strip() == moved

    (clone / "c.txt").write_text("c\n")
    git("add", "c.txt", cwd=clone)
    git("commit", "-m", "c", cwd=clone)
    pushed = git("push", "origin", "HEAD:feature", cwd=clone, check=False)
    assert pushed.returncode != 0
    assert repo.get_branch("feature").commit.sha == moved


def test_dumb_http_and_a_private_repository(sandbox: RunningSandbox, tmp_path: Path) -> None:
    alice = client(sandbox, "alice").get_user()
    alice.create_repo("open", auto_init=True)
    dumb = tmp_path / "dumb"
    git("-c", "http.version=HTTP/1.1", "clone", f"{web(sandbox)}/alice/open.git", str(dumb), cwd=tmp_path)
    assert (dumb / "README.md").exists()
    # a dumb client: GIT_SMART_HTTP=0 makes git read info/refs and the object files
    env_clone = subprocess.run(
        ["git", "clone", f"{web(sandbox)}/alice/open.git", str(tmp_path / "dumb2")],
        env={
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "GIT_SMART_HTTP": "0",
            "GIT_TERMINAL_PROMPT": "0",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert env_clone.returncode == 0 and (tmp_path / "dumb2" / "README.md").exists()

    alice.create_repo("secret", auto_init=True, private=True)
    refused = git(
        "clone", f"{web(sandbox)}/alice/secret.git", str(tmp_path / "no"), cwd=tmp_path, check=False
    )
    assert refused.returncode != 0
    host = web(sandbox).removeprefix("http://")
    stranger = git(
        "clone", f"http://x:eve@{host}/alice/secret.git", str(tmp_path / "eve"), cwd=tmp_path, check=False
    )
    assert stranger.returncode != 0
    git("clone", f"http://x:alice@{host}/alice/secret.git", str(tmp_path / "yes"), cwd=tmp_path)
    assert (tmp_path / "yes" / "README.md").exists()
    missing = git(
        "clone", f"{web(sandbox)}/alice/none.git", str(tmp_path / "none"), cwd=tmp_path, check=False
    )
    assert missing.returncode != 0
