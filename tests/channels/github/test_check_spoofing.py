"""A check run named accelerator/governance that another App or a workflow made (a green one a pull
request's own workflow posts) does not stand in for the bot's: the bot still publishes its own; its
own run, found again on a retry, does."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from accelerator.channels.github.checks import CHECK_NAME, made_by, publish_check
from accelerator.model import Finding

BOT = "uc-accelerator[bot]"
ERROR = Finding(rule="naming.table.case", severity="error", message="Orders: use snake_case")


class Repo:
    """The two calls publish_check makes, on the head's existing runs."""

    def __init__(self, *runs: Any) -> None:
        self.runs = list(runs)
        self.created: list[dict[str, Any]] = []

    def get_commit(self, sha: str) -> Any:
        return SimpleNamespace(
            get_check_runs=lambda check_name: [r for r in self.runs if r.name == check_name]
        )

    def create_check_run(self, name: str, head: str, **fields: Any) -> Any:
        self.created.append({"name": name, "head": head, **fields})
        return SimpleNamespace(id=len(self.created), edit=lambda **_: None)


def run(slug: str | None, conclusion: str = "success") -> Any:
    app = SimpleNamespace(slug=slug) if slug is not None else None
    return SimpleNamespace(name=CHECK_NAME, app=app, conclusion=conclusion)


def test_a_same_named_run_of_another_app_or_a_workflow_does_not_count() -> None:
    repo = Repo(run("github-actions"), run("someone-elses-app"), run(None))
    made = publish_check(repo, "abc123", [ERROR], None, bot_login=BOT)  # type: ignore[arg-type]
    assert made == 1
    assert [c["conclusion"] for c in repo.created] == ["failure"]


def test_the_bots_own_run_is_found_again_and_nothing_is_written() -> None:
    repo = Repo(run("someone-elses-app"), run("uc-accelerator", "failure"))
    assert publish_check(repo, "abc123", [ERROR], None, bot_login=BOT) is None  # type: ignore[arg-type]
    assert repo.created == []


def test_made_by_compares_the_apps_slug_with_the_bots_login() -> None:
    assert made_by(run("github-actions"), "github-actions[bot]")
    assert not made_by(run("github-actions"), BOT)
    assert not made_by(run(None), BOT)
