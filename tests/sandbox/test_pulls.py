"""A PR's edits, files, commits, review comments on its diff, reviews and merge, through PyGithub, with the
webhooks GitHub sends for each; the merge is a real merge commit git reads back."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from github import GithubException
from github.Repository import Repository

from accelerator.sandbox import RunningSandbox
from accelerator.sandbox.api_pulls import NOT_IN_DIFF, spots
from tests.sandbox.conftest import Receiver, client

ERD = "".join(f"line {n}\n" for n in range(1, 21))


def setup(sandbox: RunningSandbox, name: str) -> Repository:
    """alice's repository with erd.dbml (20 lines) on main and a branch `feature` changing line 10."""
    repo = client(sandbox, "alice").get_user().create_repo(name, auto_init=True)
    repo.add_to_collaborators("bob", "push")
    repo.create_file("erd.dbml", "erd", ERD)
    repo.create_git_ref("refs/heads/feature", repo.get_branch("main").commit.sha)
    current = repo.get_contents("erd.dbml", ref="feature")
    assert not isinstance(current, list)
    changed = ERD.replace("line 10\n", "line ten\n")
    repo.update_file("erd.dbml", "ten", changed, current.sha, branch="feature")
    repo.create_file("notes.md", "notes", "a\nb\n", branch="feature")
    return repo


def test_review_comments_sit_on_lines_of_the_diff(sandbox: RunningSandbox, receiver: Receiver) -> None:
    repo = setup(sandbox, "review")
    pull = repo.create_pull(base="main", head="feature", title="Ten", body="spell it")
    files = pull.get_files()
    assert [(f.filename, f.status, f.additions, f.deletions) for f in files] == [
        ("erd.dbml", "modified", 1, 1),
        ("notes.md", "added", 2, 0),
    ]
    assert [c.commit.message for c in pull.get_commits()] == ["ten", "notes"]
    assert [p.number for p in repo.get_pulls(head="alice:feature")] == [pull.number]
    assert [p.number for p in repo.get_pulls(head="alice:other")] == []
    assert [p.number for p in repo.get_pulls(base="main", state="all")] == [pull.number]
    full = repo.get_pull(pull.number)
    assert (full.changed_files, full.additions, full.deletions, full.commits, full.mergeable) == (
        2,
        3,
        1,
        2,
        True,
    )

    bob = client(sandbox, "bob").get_repo("alice/review").get_pull(pull.number)
    head = bob.head.sha
    commit = client(sandbox, "bob").get_repo("alice/review").get_commit(head)
    comment = bob.create_review_comment("say 10", commit, "erd.dbml", line=10, side="RIGHT")
    assert (comment.path, comment.line, comment.side, comment.position) == ("erd.dbml", 10, "RIGHT", 5)
    assert comment.diff_hunk.endswith("+line ten")
    left = bob.create_review_comment("was fine", commit, "erd.dbml", line=10, side="LEFT")
    assert left.original_line == 10 and left.side == "LEFT"
    context = bob.create_review_comment("context", commit, "erd.dbml", line=12, side="RIGHT")
    assert context.line == 12
    for path, line in (("erd.dbml", 1), ("erd.dbml", 20), ("README.md", 1)):
        with pytest.raises(GithubException) as outside:
            bob.create_review_comment("nope", commit, path, line=line, side="RIGHT")
        assert outside.value.status == 422
    with pytest.raises(GithubException) as outside:
        bob.create_review_comment("nope", commit, "erd.dbml", line=1, side="RIGHT")
    assert outside.value.data["errors"] == [NOT_IN_DIFF]

    reply = pull.create_review_comment_reply(comment.id, "done")
    assert (reply.in_reply_to_id, reply.path, reply.line) == (comment.id, "erd.dbml", 10)
    threaded = repo.get_pull(pull.number).create_review_comment(
        "also", commit, "erd.dbml", line=10, in_reply_to=reply.id
    )
    assert threaded.in_reply_to_id == comment.id  # a reply to a reply joins the thread's first comment
    reply.edit("done, thanks")
    assert repo.get_pull(pull.number).get_review_comment(reply.id).body == "done, thanks"
    assert reply.create_reaction("+1").content == "+1"
    listed = [(c.body, c.user.login) for c in repo.get_pull(pull.number).get_review_comments()]
    assert listed == [
        ("say 10", "bob"),
        ("was fine", "bob"),
        ("context", "bob"),
        ("done, thanks", "alice"),
        ("also", "alice"),
    ]

    sandbox.webhooks.wait_idle()
    events = [(d.event, d.payload.get("action")) for d in receiver.deliveries if d.event != "push"]
    assert events[:3] == [
        ("pull_request", "opened"),
        ("pull_request_review_comment", "created"),
        ("pull_request_review", "submitted"),
    ]
    assert events[-1] == ("pull_request_review_comment", "edited")
    created = next(d for d in receiver.deliveries if d.event == "pull_request_review_comment").payload
    assert created["comment"]["line"] == 10 and created["pull_request"]["number"] == pull.number


def test_a_review_with_inline_comments_is_all_or_nothing(sandbox: RunningSandbox, receiver: Receiver) -> None:
    repo = setup(sandbox, "reviews")
    pull = repo.create_pull(base="main", head="feature", title="Ten")
    bob = client(sandbox, "bob").get_repo("alice/reviews").get_pull(pull.number)
    commit = repo.get_commit(pull.head.sha)
    with pytest.raises(GithubException) as bad_line:
        bob.create_review(
            commit,
            "two notes",
            "REQUEST_CHANGES",
            [{"path": "erd.dbml", "line": 10, "body": "ok"}, {"path": "erd.dbml", "line": 2, "body": "out"}],
        )
    assert bad_line.value.status == 422
    assert list(pull.get_reviews()) == []
    review = bob.create_review(
        commit,
        "two notes",
        "REQUEST_CHANGES",
        [
            {"path": "erd.dbml", "line": 10, "side": "RIGHT", "body": "ten?"},
            {"path": "notes.md", "start_line": 1, "line": 2, "body": "both lines"},
        ],
    )
    assert (review.state, review.body, review.user.login) == ("CHANGES_REQUESTED", "two notes", "bob")
    comments = list(repo.get_pull(pull.number).get_review_comments())
    assert [(c.path, c.line, c.start_line, c.pull_request_review_id) for c in comments] == [
        ("erd.dbml", 10, None, review.id),
        ("notes.md", 2, 1, review.id),
    ]
    with pytest.raises(GithubException) as own:
        pull.create_review(commit, "lgtm", "APPROVE")
    assert own.value.data["errors"] == ["Can not approve your own pull request"]
    client(sandbox, "carol").get_repo("alice/reviews").get_pull(pull.number).create_review(
        commit, "lgtm", "APPROVE"
    )
    assert [r.state for r in pull.get_reviews()] == ["CHANGES_REQUESTED", "APPROVED"]

    sandbox.webhooks.wait_idle()
    events = [(d.event, d.payload.get("action")) for d in receiver.deliveries if d.event != "push"]
    assert events == [
        ("pull_request", "opened"),
        ("pull_request_review_comment", "created"),
        ("pull_request_review_comment", "created"),
        ("pull_request_review", "submitted"),
        ("pull_request_review", "submitted"),
    ]
    submitted = [d.payload for d in receiver.deliveries if d.event == "pull_request_review"]
    assert [p["review"]["state"] for p in submitted] == ["changes_requested", "approved"]  # lower case here


def test_edit_close_reopen_and_merge(sandbox: RunningSandbox, receiver: Receiver, tmp_path: Path) -> None:
    repo = setup(sandbox, "merge")
    pull = repo.create_pull(base="main", head="feature", title="Ten")
    pull.edit(title="Line ten", body="renamed")
    pull.edit(state="closed")
    assert repo.get_pull(pull.number).state == "closed"
    pull.edit(state="open")
    repo.create_file("other.txt", "main moves on", "x\n")  # the base moves: a true merge
    base_before = repo.get_branch("main").commit.sha
    with pytest.raises(GithubException) as stale:
        pull.merge(sha="0" * 40)
    assert stale.value.status == 409
    status = pull.merge(commit_message="ship it")
    assert status.merged
    merged = repo.get_pull(pull.number)
    assert (merged.state, merged.merged, merged.merged_by.login) == ("closed", True, "alice")
    assert merged.merge_commit_sha == status.sha == repo.get_branch("main").commit.sha
    assert pull.is_merged()
    assert [f.filename for f in merged.get_files()] == ["erd.dbml", "notes.md"]  # still the PR's diff
    commit = repo.get_git_commit(status.sha)
    assert [p.sha for p in commit.parents] == [base_before, merged.head.sha]
    assert commit.message.startswith(f"Merge pull request #{pull.number} from alice/feature\n\nship it")
    bare = tmp_path / "state" / "repos" / "alice" / "merge.git"
    shown = subprocess.run(
        ["git", "--git-dir", str(bare), "show", f"{status.sha}:erd.dbml"],
        capture_output=True,
        check=True,
        text=True,
    )
    assert "line ten" in shown.stdout
    with pytest.raises(GithubException) as again:
        pull.merge()
    assert (again.value.status, again.value.data["message"]) == (405, "Pull Request is not mergeable")

    sandbox.webhooks.wait_idle()
    events = [(d.event, d.payload.get("action")) for d in receiver.deliveries if d.event != "push"]
    assert events == [
        ("pull_request", "opened"),
        ("pull_request", "edited"),
        ("pull_request", "closed"),
        ("pull_request", "reopened"),
        ("pull_request", "closed"),
    ]
    edited = next(d.payload for d in receiver.deliveries if d.payload.get("action") == "edited")
    assert edited["changes"] == {"title": {"from": "Ten"}, "body": {"from": ""}}
    closes = [d.payload for d in receiver.deliveries if d.payload.get("action") == "closed"]
    assert [c["pull_request"]["merged"] for c in closes] == [False, True]
    main_push = [d.payload for d in receiver.deliveries if d.event == "push"][-1]
    assert (main_push["ref"], main_push["after"]) == ("refs/heads/main", status.sha)


def test_a_conflict_is_405_and_squash_makes_one_commit(sandbox: RunningSandbox) -> None:
    repo = setup(sandbox, "conflict")
    pull = repo.create_pull(base="main", head="feature", title="Ten")
    current = repo.get_contents("erd.dbml")
    assert not isinstance(current, list)
    repo.update_file("erd.dbml", "main's ten", ERD.replace("line 10\n", "line 10!\n"), current.sha)
    assert repo.get_pull(pull.number).mergeable is False
    with pytest.raises(GithubException) as conflict:
        pull.merge()
    assert (conflict.value.status, conflict.value.data["message"]) == (405, "Pull Request is not mergeable")

    repo.create_git_ref("refs/heads/clean", repo.get_branch("main").commit.sha)
    repo.create_file("one.txt", "one", "1", branch="clean")
    repo.create_file("two.txt", "two", "2", branch="clean")
    clean = repo.create_pull(base="main", head="clean", title="Two files")
    before = repo.get_branch("main").commit.sha
    status = clean.merge(merge_method="squash")
    squashed = repo.get_git_commit(status.sha)
    assert [p.sha for p in squashed.parents] == [before]
    assert squashed.message.startswith(f"Two files (#{clean.number})")
    assert sorted(f.filename for f in repo.get_commit(status.sha).files) == ["one.txt", "two.txt"]


def test_diff_positions_count_lines_below_the_first_hunk() -> None:
    patch = "@@ -1,2 +1,2 @@\n a\n-b\n+B\n@@ -10 +10,2 @@\n x\n+y"
    found = spots(patch)
    assert found[("RIGHT", 1)].position == 1
    assert found[("LEFT", 2)].position == 2
    assert found[("RIGHT", 2)].position == 3
    assert found[("RIGHT", 11)].position == 6  # the second header counts as position 4
    assert found[("RIGHT", 11)].diff_hunk == "@@ -10 +10,2 @@\n x\n+y"
    assert ("RIGHT", 5) not in found
