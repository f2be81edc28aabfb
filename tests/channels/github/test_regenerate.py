"""End to end: a push to the default branch that leaves the generated files stale opens ONE
regenerate PR, updated (never a second one) by the next stale push; fresh files open none."""

from __future__ import annotations

from github.Repository import Repository

from accelerator.channels.github.commits import trailer_of
from accelerator.channels.github.regenerate import REGENERATE_BRANCH
from accelerator.channels.github.snapshot import read_tree
from tests.channels.github.conftest import Harness


def generate_on_main(harness: Harness, repo: Repository) -> None:
    """main gets the generated files the bot makes (a feature PR's turn, merged)."""
    pull = harness.open_pull(repo)
    harness.settle()
    repo.get_pull(pull.number).merge(merge_method="merge")
    harness.settle()


def regenerate_pulls(repo: Repository) -> list[int]:
    return [p.number for p in repo.get_pulls(state="open") if p.head.ref == REGENERATE_BRANCH]


def test_fresh_generated_files_open_no_regenerate_pull_request(harness: Harness) -> None:
    repo = harness.repository()
    harness.settle()  # main has no generated files yet: not followed
    assert regenerate_pulls(repo) == []
    generate_on_main(harness, repo)
    assert regenerate_pulls(repo) == []
    notes = [r.note for r in harness.reports if r.thread_id == "github:alice/lakehouse@default"]
    assert "the generated files are up to date" in notes, notes


def test_a_hand_edit_of_generated_files_opens_one_regenerate_pull_request_then_updates_it(
    harness: Harness,
) -> None:
    repo = harness.repository()
    generate_on_main(harness, repo)
    model = repo.get_contents("generated/model.json", ref="main")
    assert not isinstance(model, list)
    fresh = model.decoded_content.decode()
    repo.update_file("generated/model.json", "hand edit", fresh + "\n", model.sha, branch="main")
    harness.settle()
    pulls = regenerate_pulls(repo)
    assert len(pulls) == 1
    pull = repo.get_pull(pulls[0])
    assert pull.base.ref == "main" and "generated/model.json" in pull.body
    head = repo.get_branch(REGENERATE_BRANCH).commit
    main = repo.get_branch("main").commit.sha
    assert head.commit.parents[0].sha == main and trailer_of(head.commit.message) is not None
    assert harness.text(repo, "generated/model.json", ref=REGENERATE_BRANCH) == fresh
    # another stale push: the same PR, its branch moved onto the new head
    docs = [p for p in read_tree(repo, main).files if p.startswith("generated/docs/")]
    assert docs, "the generation has docs"
    edited = repo.get_contents(docs[0], ref="main")
    assert not isinstance(edited, list)
    repo.update_file(docs[0], "edit docs", "edited by hand\n", edited.sha, branch="main")
    harness.settle()
    assert regenerate_pulls(repo) == pulls
    head = repo.get_branch(REGENERATE_BRANCH).commit
    assert head.commit.parents[0].sha == repo.get_branch("main").commit.sha
    assert harness.text(repo, docs[0], ref=REGENERATE_BRANCH) != "edited by hand\n"
    assert harness.text(repo, "generated/model.json", ref=REGENERATE_BRANCH) == fresh
    # merged: main is fresh again, and the next push opens nothing
    repo.get_pull(pulls[0]).merge(merge_method="merge")
    harness.settle()
    assert regenerate_pulls(repo) == []
