"""Check runs through PyGithub: the App's only, 120 annotations in three requests (50 at most in one),
the runs of a commit, and the `check_run` webhooks."""

from __future__ import annotations

import pytest
from github import GithubException

from accelerator.sandbox import RunningSandbox
from tests.sandbox.conftest import Receiver, client

BOT = "accelerator[bot]"


def annotation(line: int) -> dict[str, object]:
    return {
        "path": "erd/sales.dbml",
        "start_line": line,
        "end_line": line,
        "annotation_level": "warning",
        "message": f"column {line} has no comment",
    }


def test_a_check_run_with_120_annotations_in_three_requests(
    sandbox: RunningSandbox, receiver: Receiver
) -> None:
    repo = client(sandbox, "alice").get_user().create_repo("checks", auto_init=True)
    repo.create_git_ref("refs/heads/f", repo.get_branch("main").commit.sha)
    head = repo.create_file("erd/sales.dbml", "sales", "Table s {}\n", branch="f")["commit"].sha
    pull = repo.create_pull(base="main", head="f", title="t")
    bot_repo = client(sandbox, BOT).get_repo("alice/checks")

    with pytest.raises(GithubException) as not_the_app:
        repo.create_check_run("accelerator", head)
    assert (not_the_app.value.status, not_the_app.value.data["message"]) == (
        403,
        "You must authenticate via a GitHub App.",
    )
    run = bot_repo.create_check_run(
        "accelerator",
        head,
        status="in_progress",
        output={
            "title": "Checking",
            "summary": "first 50",
            "annotations": [annotation(n) for n in range(50)],
        },
    )
    assert (run.status, run.conclusion, run.output.annotations_count) == ("in_progress", None, 50)
    assert [p.number for p in run.pull_requests] == [pull.number]
    with pytest.raises(GithubException) as too_many:
        run.edit(output={"title": "x", "summary": "y", "annotations": [annotation(n) for n in range(51)]})
    assert too_many.value.status == 422
    assert (
        too_many.value.data["message"]
        == "Invalid request.\n\nNo more than 50 items are allowed; 51 were supplied."
    )
    run.edit(
        output={
            "title": "Checking",
            "summary": "next 50",
            "annotations": [annotation(n) for n in range(50, 100)],
        }
    )
    run.edit(
        conclusion="failure",
        output={
            "title": "3 problems",
            "summary": "120",
            "annotations": [annotation(n) for n in range(100, 120)],
        },
    )
    assert (run.status, run.conclusion, run.output.annotations_count) == ("completed", "failure", 120)
    listed = list(run.get_annotations())
    assert len(listed) == 120
    assert [a.start_line for a in listed[:3]] == [0, 1, 2] and listed[
        -1
    ].message == "column 119 has no comment"
    assert repo.get_check_run(run.id).output.title == "3 problems"

    second = bot_repo.create_check_run(
        "lint", head, conclusion="success", output={"title": "ok", "summary": "ok"}
    )
    assert second.status == "completed"
    runs = repo.get_commit(head).get_check_runs()
    assert sorted((r.name, r.conclusion) for r in runs) == [("accelerator", "failure"), ("lint", "success")]
    assert [r.name for r in repo.get_commit(head).get_check_runs(check_name="lint")] == ["lint"]

    with pytest.raises(GithubException) as bad_level:
        run.edit(output={"summary": "s", "annotations": [{**annotation(1), "annotation_level": "fatal"}]})
    assert bad_level.value.status == 422
    with pytest.raises(GithubException) as no_commit:
        bot_repo.create_check_run("x", "1" * 40)
    assert no_commit.value.status == 422

    sandbox.webhooks.wait_idle()
    events = [(d.event, d.payload.get("action")) for d in receiver.deliveries if d.event == "check_run"]
    assert events == [
        ("check_run", "created"),
        ("check_run", "completed"),
        ("check_run", "created"),
        ("check_run", "completed"),
    ]
    completed = next(d.payload for d in receiver.deliveries if d.payload.get("action") == "completed")
    assert completed["check_run"]["output"]["annotations_count"] == 120
    assert completed["check_run"]["check_suite"]["head_branch"] == "f"
    assert completed["sender"]["type"] == "Bot"
