"""Exactly once, in order: a worker dying between the memory and the branch, or between the commit
and the reply; a branch that moves during a turn; ten comments at once; a summary too long for a
comment."""

from __future__ import annotations

from typing import Any

import pytest

from accelerator.agent import session as agent_session
from accelerator.channels.github import commits, pipeline
from accelerator.channels.github.commits import trailer_of
from accelerator.channels.github.summary import MAX_BODY_CHARS, SUMMARY_MARKER, SummaryInputs, summary_body
from accelerator.model import Finding
from tests.channels.github.conftest import Harness
from tests.channels.github.test_pull_requests import bot_comments

RENAME = "/uc rename column crm.customers.full_name to customer_name"


def commits_since(repo: Any, head: str, stop: str) -> list[Any]:
    found = []
    sha = head
    while sha != stop:
        commit = repo.get_git_commit(sha)
        found.append(commit)
        sha = commit.parents[0].sha
    return found


def dies_once(monkeypatch: pytest.MonkeyPatch, module: Any, point: str) -> list[str]:
    """The worker dies (an exception it does not handle) the first time it passes `point`."""
    died: list[str] = []
    original = module.crash_point

    def crash(name: str) -> None:
        if name == point and not died:
            died.append(name)
            raise RuntimeError(f"killed at {name}")
        original(name)

    monkeypatch.setattr(module, "crash_point", crash)
    return died


@pytest.mark.parametrize(
    ("module", "point"),
    [(pipeline, "github.committed"), (pipeline, "github.replied"), (agent_session, "turn.committed")],
)
def test_a_worker_dying_mid_turn_finishes_it_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, module: Any, point: str
) -> None:
    repo = harness.repository()
    pull = harness.open_pull(repo)
    harness.settle()
    before = repo.get_branch("feature").commit.sha
    died = dies_once(monkeypatch, module, point)
    harness.client("bob").get_repo("alice/lakehouse").get_pull(pull.number).create_issue_comment(RENAME)
    harness.settle()
    assert died == [point]
    made = commits_since(repo, repo.get_branch("feature").commit.sha, before)
    assert len(made) == 1 and trailer_of(made[0].message) is not None  # one commit, none twice
    assert "customer_name varchar(200)" in harness.text(repo, "erd/retail.dbml")
    replies = [c for c in bot_comments(repo.get_pull(pull.number)) if "accelerator:reply" in c]
    assert len(replies) == 1 and f"/commit/{made[0].sha}" in replies[0]
    statuses = [d.status.value for d in harness.store.deliveries("github:alice/lakehouse#1")]
    assert statuses and set(statuses) == {"done"}


def test_a_branch_moving_during_a_turn_is_redone_on_the_new_head(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = harness.repository()
    pull = harness.open_pull(repo)
    harness.settle()
    original = commits.commit_files
    pushed: list[str] = []

    def racing(repo_: Any, branch: str, parent: str, *args: Any) -> str:
        if not pushed:  # a human pushes while the bot works on `parent`
            erd = repo.get_contents("erd/retail.dbml", ref="feature")
            text = erd.decoded_content.decode().replace(
                "  postal_code varchar(20)\n",
                "  postal_code varchar(20)\n  region varchar(50) [note: 'Region']\n",
            )
            pushed.append(
                repo.update_file("erd/retail.dbml", "region", text, erd.sha, branch="feature")["commit"].sha
            )
        return original(repo_, branch, parent, *args)

    monkeypatch.setattr(commits, "commit_files", racing)
    harness.client("bob").get_repo("alice/lakehouse").get_pull(pull.number).create_issue_comment(RENAME)
    harness.settle()
    head = repo.get_branch("feature").commit
    assert head.commit.parents[0].sha == pushed[0]  # on top of the human's commit, never forced
    text = harness.text(repo, "erd/retail.dbml")
    assert "customer_name varchar(200)" in text and "region varchar(50)" in text
    assert '"region"' in harness.text(repo, "generated/model.json")


def test_ten_comments_at_once_are_all_applied_in_order(harness: Harness) -> None:
    repo = harness.repository()
    pull = harness.open_pull(repo)
    harness.settle()
    bob = harness.client("bob").get_repo("alice/lakehouse").get_pull(pull.number)
    for index in range(10):
        bob.create_issue_comment(f'/uc add column crm.customers.extra_{index} string comment "extra {index}"')
    harness.settle(timeout=120)
    text = harness.text(repo, "erd/retail.dbml")
    positions = [text.find(f"extra_{index} ") for index in range(10)]
    assert all(p > 0 for p in positions) and positions == sorted(positions), positions
    replies = [c for c in bot_comments(repo.get_pull(pull.number)) if "accelerator:reply" in c]
    assert len(replies) == 10
    state = harness.bot.sessions.get("github:alice/lakehouse#1").state()
    assert state is not None and state["sources"]["erd/retail.dbml"] == text
    messages = harness.store.messages("github:alice/lakehouse#1")
    said = [m.body for m in messages if m.role == "user" and "extra_" in m.body]
    assert said == [
        f'add column crm.customers.extra_{index} string comment "extra {index}"' for index in range(10)
    ]


def test_a_summary_never_exceeds_a_comment() -> None:
    findings = [
        Finding(rule="naming.column.case", severity="error" if i % 3 else "warn", message="x" * 300)
        for i in range(5000)
    ]
    generated = {"dev": [f"generated/sql/dev/V{i:04d}__x.sql" for i in range(3000)]}
    body = summary_body(SummaryInputs(findings=findings, generated=generated, diagram="```mermaid\n" + "a" * 19000 + "```",
                                      last_edits=["e" * 1000] * 100, blob_url="https://github.com/a/b/blob/main"))  # fmt: skip
    assert len(body) <= MAX_BODY_CHARS < 65_536
    assert body.startswith(SUMMARY_MARKER) and "more errors" in body
