"""`/uc allow` in a pull request: the commenter's repository role (GitHub's role name, where the
legacy permission says write for maintain) decides: a writer is refused, a maintainer gets past it
(here to the gate lookup: the PR's first migration has no drop to approve)."""

from __future__ import annotations

from tests.channels.github.conftest import BOT_LOGIN, Harness


def last_bot_reply(repo, number: int) -> str:  # type: ignore[no-untyped-def]
    return [c.body for c in repo.get_pull(number).get_issue_comments() if c.user.login == BOT_LOGIN][-1]


def test_only_a_maintainer_may_approve_a_destructive_change(harness: Harness) -> None:
    repo = harness.repository()
    repo.add_to_collaborators("mia", "maintain")
    pull = harness.open_pull(repo)
    harness.settle()
    command = "/uc allow DS103 on sales.orders.ip_address in prod"
    bob = harness.client("bob").get_repo("alice/lakehouse").get_pull(pull.number)
    bob.create_issue_comment(command)
    harness.settle()
    assert "Only a maintainer (maintain or admin permission)" in last_bot_reply(repo, pull.number)
    assert "bob has write permission" in last_bot_reply(repo, pull.number)
    mia = harness.client("mia").get_repo("alice/lakehouse").get_pull(pull.number)
    mia.create_issue_comment(command)
    harness.settle()
    reply = last_bot_reply(repo, pull.number)  # past the role check: the gate lookup answers
    assert "Only a maintainer" not in reply and "no destructive change DS103" in reply, reply
