"""A pull request from a fork: the bot reports generation and findings (summary, check run) but pushes
nothing, to the fork or anywhere, and says what the author can do."""

from __future__ import annotations

from accelerator.channels.github.checks import CHECK_NAME
from accelerator.channels.github.summary import SUMMARY_MARKER
from tests.channels.github.conftest import BOT_LOGIN, Harness


def branches(harness: Harness, full_name: str) -> dict[str, str]:
    """Every branch of a sandbox repository and its commit, as git has them."""
    owner, name = full_name.split("/")
    state = harness.sandbox.state
    return state.git(state.repository(owner, name, owner)).refs("refs/heads/")


def test_a_fork_pull_request_is_reported_and_nothing_is_pushed(harness: Harness) -> None:
    upstream = harness.repository()
    carol = harness.client("carol")
    fork = carol.get_repo("alice/lakehouse").create_fork()
    assert fork.full_name == "carol/lakehouse" and fork.fork
    main = fork.get_branch("main").commit.sha
    assert main == upstream.get_branch("main").commit.sha  # the fork shares the history
    fork.create_git_ref("refs/heads/feature", main)
    erd = fork.get_contents("erd/retail.dbml", ref="feature")
    assert not isinstance(erd, list)
    text = erd.decoded_content.decode() + "\nTable sales.returns {\n  return_id bigint [pk]\n}\n"
    fork.update_file("erd/retail.dbml", "add returns", text, erd.sha, branch="feature")
    fork_head = fork.get_branch("feature").commit.sha
    upstream_branches = branches(harness, "alice/lakehouse")
    pull = carol.get_repo("alice/lakehouse").create_pull(
        base="main", head="carol:feature", title="Returns", body="from my fork"
    )
    assert pull.head.repo.full_name == "carol/lakehouse" and pull.head.sha == fork_head
    harness.settle()
    # nothing pushed: not to the fork, not to the upstream
    assert fork.get_branch("feature").commit.sha == fork_head
    assert branches(harness, "alice/lakehouse") == upstream_branches
    # generation and findings are reported: the summary and the check run on the fork's head
    comments = [
        c.body for c in upstream.get_pull(pull.number).get_issue_comments() if c.user.login == BOT_LOGIN
    ]
    assert len(comments) == 1 and comments[0].startswith(SUMMARY_MARKER), comments
    summary = comments[0]
    assert "comes from a fork" in summary and "accelerator generate" in summary  # what the author can do
    assert "### Governance" in summary and "### Generated files" in summary
    runs = [r for r in upstream.get_commit(fork_head).get_check_runs() if r.name == CHECK_NAME]
    assert len(runs) == 1 and runs[0].conclusion is not None
    # a maintainer's command on the fork's PR: understood, answered, still nothing pushed
    bob = harness.client("bob").get_repo("alice/lakehouse").get_pull(pull.number)
    bob.create_issue_comment("/uc rename column crm.customers.full_name to customer_name")
    harness.settle()
    assert fork.get_branch("feature").commit.sha == fork_head
    assert branches(harness, "alice/lakehouse") == upstream_branches
    replies = [
        c.body
        for c in upstream.get_pull(pull.number).get_issue_comments()
        if c.user.login == BOT_LOGIN and not c.body.startswith(SUMMARY_MARKER)
    ]
    assert len(replies) == 1, replies
    assert "fork" in replies[0] and "nothing was committed" in replies[0]
    assert "accelerator generate" in replies[0] or "allow edits" in replies[0].lower(), replies[0]
