"""End to end: `propose` in `accelerator chat` (and `accelerator propose`) opens a PR in the sandbox
with the conversation's edits and regenerated files; the bot's turns on that PR continue the SAME
thread (its history and `undo` carry over)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accelerator.channels.github.commits import trailer_of
from accelerator.channels.github.propose import branch_name
from accelerator.cli import app
from tests.channels.github.conftest import CONFIG, RETAIL, Harness

runner = CliRunner()


def local_tree(root: Path, schema: str) -> Path:
    """The working tree of alice/lakehouse's main, its memory in the test's schema."""
    (root / "erd").mkdir(parents=True)
    (root / "policies").mkdir()
    (root / "accelerator.yaml").write_text(CONFIG + f"memory:\n  schema: {schema}\n")
    (root / "erd" / "retail.dbml").write_text((RETAIL / "erd" / "retail.dbml").read_text())
    (root / "policies" / "governance.yaml").write_text((RETAIL / "policies" / "governance.yaml").read_text())
    return root


@pytest.fixture
def terminal(harness: Harness, tmp_path: Path, schema_name: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = local_tree(tmp_path / "work", schema_name)
    monkeypatch.chdir(root)
    monkeypatch.setenv("GITHUB_API_URL", harness.sandbox.api_url)
    monkeypatch.setenv("GITHUB_TOKEN", "bob")
    monkeypatch.setenv("ACCELERATOR_WRITE_SPACING", "0")
    return root


def chat(root: Path, url: str, lines: str, *extra: str):  # type: ignore[no-untyped-def]
    turns = root.parent / f"turns-{abs(hash(lines))}.txt"
    turns.write_text(lines)
    return runner.invoke(app, ["chat", "--turns", str(turns), "--database-url", url, *extra])


def test_propose_in_a_chat_opens_a_pull_request_that_continues_its_thread(
    harness: Harness, terminal: Path, module_database_url: str
) -> None:
    repo = harness.repository()
    harness.settle()
    main = repo.get_branch("main").commit.sha
    result = chat(
        terminal,
        module_database_url,
        'rename column crm.customers.full_name to customer_name\npropose "Rename the name"\n',
        "--repo",
        "alice/lakehouse",
    )
    assert result.exit_code == 0, result.output
    thread = re.search(r"session (local:[0-9a-f]+)", result.output)
    assert thread is not None, result.output
    found = re.search(r"opened pull request #(\d+): (\S+)", result.output)
    assert found is not None, result.output
    harness.settle()
    pull = repo.get_pull(int(found.group(1)))
    assert pull.html_url == found.group(2) and pull.title == "Rename the name"
    assert pull.head.ref == branch_name(thread.group(1)) and pull.base.ref == "main"
    assert "rename column crm.customers.full_name" in pull.body and "### Governance" in pull.body
    head = repo.get_branch(pull.head.ref).commit
    assert head.commit.parents[0].sha == main and trailer_of(head.commit.message) is not None
    erd = harness.text(repo, "erd/retail.dbml", ref=pull.head.ref)
    assert "customer_name varchar(200)" in erd
    assert harness.text(repo, "generated/model.json", ref=pull.head.ref)
    # the PR is the chat's thread: its opening turn had nothing to commit, its undo is the chat's edit's
    assert harness.store.linked_thread(f"github:alice/lakehouse#{pull.number}") == thread.group(1)
    assert repo.get_branch(pull.head.ref).commit.sha == head.sha
    # the terminal's user made the edit: a writer may not take it back, the owner (admin) may
    bob = harness.client("bob").get_repo("alice/lakehouse")
    bob.get_pull(pull.number).create_issue_comment("/uc undo")
    harness.settle()
    assert "customer_name" in harness.text(repo, "erd/retail.dbml", ref=pull.head.ref)
    repo.get_pull(pull.number).create_issue_comment("/uc undo")
    harness.settle()
    erd = harness.text(repo, "erd/retail.dbml", ref=pull.head.ref)
    assert "full_name varchar(200)" in erd and "customer_name" not in erd
    said = [m.body for m in harness.store.transcript(thread.group(1)) if str(m.role.value) == "user"]
    assert said == ["rename column crm.customers.full_name to customer_name", "undo", "undo"]
    conversation = harness.store.conversation(thread.group(1))
    assert conversation.repo == "alice/lakehouse" and conversation.pr_number == pull.number


def test_accelerator_propose_from_the_shell_opens_then_updates_one_pull_request(
    harness: Harness, terminal: Path, module_database_url: str
) -> None:
    repo = harness.repository()
    harness.settle()
    url = module_database_url
    first = chat(terminal, url, "rename column crm.customers.full_name to customer_name\n")
    assert first.exit_code == 0, first.output
    proposed = runner.invoke(
        app, ["propose", "--repo", "alice/lakehouse", "--title", "Renames", "--database-url", url]
    )
    assert proposed.exit_code == 0, proposed.output
    assert "opened pull request #" in proposed.output
    harness.settle()
    git = ["git", "-C", str(terminal)]
    subprocess.run([*git, "init", "--quiet"], check=True)
    subprocess.run([*git, "remote", "add", "origin", "git@github.com:alice/lakehouse.git"], check=True)
    second = chat(terminal, url, "rename column crm.customers.email to email_address\npropose\n")  # origin
    assert second.exit_code == 0, second.output
    assert "updated pull request #" in second.output
    harness.settle()
    pulls = list(repo.get_pulls(state="all"))
    assert len(pulls) == 1 and pulls[0].title == "Renames"
    erd = harness.text(repo, "erd/retail.dbml", ref=pulls[0].head.ref)
    assert "customer_name" in erd and "email_address" in erd
    body = repo.get_pull(pulls[0].number).body
    assert "email_address" in body and "customer_name" in body


def test_propose_without_a_conversation_or_a_token_is_a_clear_error(
    harness: Harness, terminal: Path, module_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.repository()
    none_yet = runner.invoke(
        app, ["propose", "--repo", "alice/lakehouse", "--database-url", module_database_url]
    )
    assert none_yet.exit_code == 2 and "has no conversation yet" in none_yet.output
    monkeypatch.delenv("GITHUB_TOKEN")
    no_token = runner.invoke(
        app, ["propose", "--repo", "alice/lakehouse", "--database-url", module_database_url]
    )
    assert no_token.exit_code == 2 and "GITHUB_TOKEN is not set" in no_token.output
    assert list(harness.client("alice").get_repo("alice/lakehouse").get_pulls(state="all")) == []
