"""End to end: the sandbox sends signed webhooks to the bot's intake; its workers run the turns on the
real PostgreSQL and write back through the sandbox's API (PyGithub)."""

from __future__ import annotations

from accelerator.channels.github.checks import CHECK_NAME
from accelerator.channels.github.commits import TRAILER, trailer_of
from accelerator.channels.github.snapshot import read_tree
from accelerator.channels.github.summary import SUMMARY_MARKER
from tests.channels.github.conftest import BOT_LOGIN, Harness


def changed(repo, before: str, after: str) -> set[str]:  # type: ignore[no-untyped-def]
    """The files that differ between two commits (their trees, as git lists them)."""
    old, new = read_tree(repo, before).files, read_tree(repo, after).files
    return {p for p in old.keys() | new.keys() if (old.get(p) or 0) != (new.get(p) or 0)}


def bot_comments(pull) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.body for c in pull.get_issue_comments() if c.user.login == BOT_LOGIN]


def test_opening_a_pull_request_commits_the_generated_files_once(harness: Harness) -> None:
    repo = harness.repository()
    pull = harness.open_pull(repo)
    harness.settle()
    head = repo.get_branch("feature").commit
    assert trailer_of(head.commit.message) is not None, head.commit.message
    assert f"{TRAILER}: " in head.commit.message
    assert head.commit.parents[0].sha == pull.head.sha  # one commit, on the head the turn read
    files = changed(repo, pull.head.sha, head.sha)
    assert "generated/model.json" in files
    assert any(f.startswith("generated/sql/dev/V0001") for f in files)
    assert "erd/retail.dbml" not in files  # nothing to patch in the sources
    comments = bot_comments(repo.get_pull(pull.number))
    assert len(comments) == 1 and comments[0].startswith(SUMMARY_MARKER)
    assert "### Governance" in comments[0] and "### Generated files" in comments[0]
    # the bot's own push (synchronize) is not a new turn: still one commit, one comment
    assert repo.get_branch("feature").commit.sha == head.sha
    kinds = [r.kind for r in harness.reports]
    assert kinds.count("push") == 1, kinds


def test_a_rename_comment_patches_the_erd_regenerates_and_replies(harness: Harness) -> None:
    repo = harness.repository()
    pull = harness.open_pull(repo)
    harness.settle()
    before = repo.get_branch("feature").commit.sha
    bob = harness.client("bob").get_repo("alice/lakehouse").get_pull(pull.number)
    comment = bob.create_issue_comment("/uc rename column crm.customers.full_name to customer_name")
    harness.settle()
    head = repo.get_branch("feature").commit
    assert head.commit.parents[0].sha == before  # exactly one new commit
    assert trailer_of(head.commit.message) is not None
    erd = harness.text(repo, "erd/retail.dbml")
    assert "  customer_name varchar(200) [note: 'Name as given by the customer']\n" in erd
    assert "full_name" not in erd
    files = changed(repo, before, head.sha)
    assert "erd/retail.dbml" in files and "generated/model.json" in files
    assert any(f.startswith("generated/sql/dev/V0002") for f in files), files
    comments = bot_comments(repo.get_pull(pull.number))
    assert len(comments) == 2  # the sticky summary, edited in place, and one reply
    reply = next(c for c in comments if "accelerator:reply" in c)
    assert "rename column crm.customers.full_name to customer_name" in reply
    assert f"/commit/{head.sha}" in reply
    sticky = next(c for c in comments if c.startswith(SUMMARY_MARKER))
    assert "### Last edits (by @bob)" in sticky and "/uc undo" in sticky
    reactions = [r.content for r in repo.get_issue(pull.number).get_comment(comment.id).get_reactions()]
    assert reactions == ["eyes"]


def test_who_may_not_edit_gets_one_polite_reply_and_bots_are_ignored(harness: Harness) -> None:
    repo = harness.repository()
    pull = harness.open_pull(repo)
    harness.settle()
    before = repo.get_branch("feature").commit.sha
    carol = harness.client("carol").get_repo("alice/lakehouse").get_pull(pull.number)  # public: may comment
    carol.create_issue_comment("/uc rename column crm.customers.full_name to name")
    other_bot = harness.client("renovate[bot]").get_repo("alice/lakehouse").get_pull(pull.number)
    other_bot.create_issue_comment("/uc drop table crm.customers")
    mine = harness.client(BOT_LOGIN).get_repo("alice/lakehouse").get_pull(pull.number)
    mine.create_issue_comment("/uc drop table crm.addresses")
    harness.client("bob").get_repo("alice/lakehouse").get_pull(pull.number).create_issue_comment(
        "LGTM, thanks"
    )
    harness.settle()
    assert repo.get_branch("feature").commit.sha == before  # nothing changed
    replies = [c for c in bot_comments(repo.get_pull(pull.number)) if "accelerator:reply" in c]
    replies = [c for c in replies if "only people with write" in c]
    assert len(replies) == 1 and "@carol" in replies[0] and "Nothing was changed" in replies[0]
    assert "full_name" in harness.text(repo, "erd/retail.dbml")
    assert [d.status.value for d in harness.store.deliveries("github:alice/lakehouse#1")].count("done") >= 2


def test_a_redelivery_changes_nothing(harness: Harness) -> None:
    repo = harness.repository()
    pull = harness.open_pull(repo)
    harness.settle()
    bob = harness.client("bob").get_repo("alice/lakehouse").get_pull(pull.number)
    said = bob.create_issue_comment("/uc rename column crm.customers.full_name to customer_name")
    harness.settle()
    head = repo.get_branch("feature").commit.sha
    comments = bot_comments(repo.get_pull(pull.number))
    said.edit("/uc rename column crm.customers.full_name to other_name")  # handled already: no new turn
    harness.settle()
    assert repo.get_branch("feature").commit.sha == head
    assert bot_comments(repo.get_pull(pull.number)) == comments
    alice = harness.client("alice")
    for delivery in harness.sandbox.state.data["deliveries"]:
        alice._Github__requester.requestJsonAndCheck(  # type: ignore[attr-defined]
            "POST", f"/app/hook/deliveries/{delivery['id']}/attempts"
        )
    harness.settle()
    assert repo.get_branch("feature").commit.sha == head
    assert bot_comments(repo.get_pull(pull.number)) == comments


def test_a_human_push_between_turns_is_adopted_not_overwritten(harness: Harness) -> None:
    repo = harness.repository()
    pull = harness.open_pull(repo)
    harness.settle()
    erd = repo.get_contents("erd/retail.dbml", ref="feature")
    assert not isinstance(erd, list)
    edited = erd.decoded_content.decode().replace(
        "  city varchar(100)\n", "  city varchar(100)\n  region varchar(50) [note: 'Region']\n"
    )
    repo.update_file("erd/retail.dbml", "add region by hand", edited, erd.sha, branch="feature")
    harness.settle()
    text = harness.text(repo, "erd/retail.dbml")
    assert "region varchar(50)" in text
    model = harness.text(repo, "generated/model.json")
    assert '"region"' in model  # regenerated from the hand edit
    bob = harness.client("bob").get_repo("alice/lakehouse").get_pull(pull.number)
    bob.create_issue_comment("/uc rename column crm.addresses.region to area")
    harness.settle()
    text = harness.text(repo, "erd/retail.dbml")
    assert "area varchar(50) [note: 'Region']" in text and "region" not in text
    state = harness.bot.sessions.get("github:alice/lakehouse#1").state()
    assert state is not None and state["sources"]["erd/retail.dbml"] == text


def test_closing_closes_the_conversation_and_reopening_resumes_it(harness: Harness) -> None:
    repo = harness.repository()
    pull = harness.open_pull(repo)
    harness.settle()
    repo.get_pull(pull.number).edit(state="closed")
    harness.settle()
    assert harness.store.conversation("github:alice/lakehouse#1").status == "closed"
    repo.get_pull(pull.number).edit(state="open")
    harness.settle()
    assert harness.store.conversation("github:alice/lakehouse#1").status == "open"


def test_the_bot_settings_come_from_the_base_branch_not_the_pull_request(harness: Harness) -> None:
    repo = harness.repository()
    config = repo.get_contents("accelerator.yaml", ref="main")
    assert not isinstance(config, list)
    trusted = config.decoded_content.decode() + "bot:\n  prefix: /db\n  edit_permissions: [admin]\n"
    repo.update_file("accelerator.yaml", "bot settings", trusted, config.sha, branch="main")

    def grant_itself(text: str) -> str:  # the PR's own bot: section would let writers edit with /uc
        return text + "\nTable sales.returns {\n  return_id bigint [pk]\n}\n"

    pull = harness.open_pull(repo, grant_itself)
    head_config = repo.get_contents("accelerator.yaml", ref="feature")
    assert not isinstance(head_config, list)
    forged = (
        head_config.decoded_content.decode()
        .replace("prefix: /db", "prefix: /uc")
        .replace("[admin]", "[write, admin]")
    )
    repo.update_file("accelerator.yaml", "grant", forged, head_config.sha, branch="feature")
    harness.settle()
    before = repo.get_branch("feature").commit.sha
    bob = harness.client("bob").get_repo("alice/lakehouse").get_pull(pull.number)
    bob.create_issue_comment("/uc rename column crm.customers.full_name to name")  # not the prefix
    bob.create_issue_comment("/db rename column crm.customers.full_name to name")  # bob only writes
    harness.settle()
    assert repo.get_branch("feature").commit.sha == before
    replies = [c for c in bot_comments(repo.get_pull(pull.number)) if "accelerator:reply" in c]
    assert len(replies) == 1 and "only people with admin permission" in replies[0]
    repo.get_pull(pull.number).create_issue_comment("/db rename column crm.customers.full_name to name")
    harness.settle()
    assert "  name varchar(200)" in harness.text(repo, "erd/retail.dbml")
    sticky = next(c for c in bot_comments(repo.get_pull(pull.number)) if c.startswith(SUMMARY_MARKER))
    assert "`/db undo`" in sticky


def test_a_check_run_with_annotations_on_the_erd_lines(harness: Harness) -> None:
    repo = harness.repository()

    def many_findings(text: str) -> str:  # 60 tables without comments: more than one batch of 50
        return text + "".join(f"\nTable sales.extra_{i} {{\n  extra_id bigint [pk]\n}}\n" for i in range(60))

    harness.open_pull(repo, many_findings)
    harness.settle()
    head = repo.get_branch("feature").commit.sha
    [run] = list(repo.get_commit(head).get_check_runs(check_name=CHECK_NAME))
    assert (run.status, run.conclusion) == ("completed", "failure")
    notes = list(run.get_annotations())
    assert len(notes) > 60
    located = [n for n in notes if n.title == "metadata.table.comment"]
    assert len(located) == 60 and all(n.path == "erd/retail.dbml" for n in located)
    assert {n.annotation_level for n in located} == {"failure"}
    text = harness.text(repo, "erd/retail.dbml").splitlines()
    assert all(text[n.start_line - 1].startswith("Table ") for n in located)


def test_an_inline_comment_renames_the_column_on_its_line_and_replies_in_its_thread(harness: Harness) -> None:
    repo = harness.repository()
    pull = harness.open_pull(
        repo, lambda text: text.replace("full_name varchar(200)", "full_name varchar(250)")
    )
    harness.settle()
    head = repo.get_branch("feature").commit
    lines = harness.text(repo, "erd/retail.dbml").splitlines()
    line = next(number for number, text in enumerate(lines, start=1) if text.startswith("  full_name "))
    bob = harness.client("bob").get_repo("alice/lakehouse").get_pull(pull.number)
    inline = bob.create_review_comment(
        "/uc rename this to customer_name", head, "erd/retail.dbml", line=line, side="RIGHT"
    )
    harness.settle()
    text = harness.text(repo, "erd/retail.dbml")
    assert "  customer_name varchar(250) [note: 'Name as given by the customer']" in text
    thread = [c for c in repo.get_pull(pull.number).get_review_comments() if c.user.login == BOT_LOGIN]
    assert len(thread) == 1 and thread[0].in_reply_to_id == inline.id
    assert "rename this to customer_name" in thread[0].body
    assert "Understood as: `rename column retail.crm.customers.full_name to customer_name`" in thread[0].body
    issue_replies = [c for c in bot_comments(repo.get_pull(pull.number)) if "accelerator:reply" in c]
    assert issue_replies == []  # the reply is in the review thread only


def test_undo_takes_the_edit_and_its_migration_back(harness: Harness) -> None:
    repo = harness.repository()
    pull = harness.open_pull(repo)
    harness.settle()
    opened = repo.get_branch("feature").commit.sha
    bob = harness.client("bob").get_repo("alice/lakehouse").get_pull(pull.number)
    bob.create_issue_comment("/uc rename column crm.customers.full_name to customer_name")
    harness.settle()
    renamed = repo.get_branch("feature").commit.sha
    assert any("V0002" in p for p in changed(repo, opened, renamed))
    bob.create_issue_comment("/uc undo")
    harness.settle()
    undone = repo.get_branch("feature").commit.sha
    assert "  full_name varchar(200)" in harness.text(repo, "erd/retail.dbml")
    files = read_tree(repo, undone).files
    assert not any("V0002" in p for p in files)  # the withdrawn migration is deleted from the branch
    assert files["generated/model.json"].sha == read_tree(repo, opened).files["generated/model.json"].sha


def test_a_review_with_three_inline_comments_is_one_turn(harness: Harness) -> None:
    repo = harness.repository()

    def touch(text: str) -> str:  # the commented lines must be part of the diff
        for old, new in (("full_name varchar(200)", "full_name varchar(250)"), ("phone varchar(32)", "phone varchar(40)"),
                         ("city varchar(100)", "city varchar(120)")):  # fmt: skip
            text = text.replace(old, new)
        return text

    pull = harness.open_pull(repo, touch)
    harness.settle()
    before = repo.get_branch("feature").commit
    lines = harness.text(repo, "erd/retail.dbml").splitlines()

    def line_of(prefix: str) -> int:
        return next(number for number, text in enumerate(lines, start=1) if text.startswith(prefix))

    bob = harness.client("bob").get_repo("alice/lakehouse").get_pull(pull.number)
    bob.create_review(
        before,
        body="Three renames, please. /uc is in the comments.",
        event="COMMENT",
        comments=[
            {
                "path": "erd/retail.dbml",
                "line": line_of("  full_name "),
                "body": "/uc rename this to customer_name",
            },
            {"path": "erd/retail.dbml", "line": line_of("  phone "), "body": "/uc rename this to mobile"},
            {"path": "erd/retail.dbml", "line": line_of("  city "), "body": "nice column"},  # not addressed
        ],
    )
    harness.settle()
    head = repo.get_branch("feature").commit
    assert head.commit.parents[0].sha == before.sha  # ONE commit for the whole review
    text = harness.text(repo, "erd/retail.dbml")
    assert (
        "  customer_name varchar(250)" in text
        and "  mobile varchar(40)" in text
        and "  city varchar(120)" in text
    )
    thread = [c for c in repo.get_pull(pull.number).get_review_comments() if c.user.login == BOT_LOGIN]
    assert len(thread) == 1 and "rename this to mobile" in thread[0].body
    users = [m for m in harness.store.messages("github:alice/lakehouse#1") if m.role == "user"]
    assert sum("mobile" in m.body for m in users) == 1


def test_a_review_left_pending_is_a_turn_when_it_is_submitted(harness: Harness) -> None:
    """A pending review sends no webhook; submitting it later (`POST .../reviews/{id}/events`) sends
    its comments and `submitted`: then it is one turn, like a review made in one go."""
    repo = harness.repository()
    pull = harness.open_pull(
        repo, lambda text: text.replace("full_name varchar(200)", "full_name varchar(250)")
    )
    harness.settle()
    before = repo.get_branch("feature").commit
    line = next(
        n
        for n, t in enumerate(harness.text(repo, "erd/retail.dbml").splitlines(), 1)
        if t.startswith("  full_name ")
    )
    bob = harness.client("bob").get_repo("alice/lakehouse").get_pull(pull.number)
    pending = bob.create_review(
        before,
        comments=[{"path": "erd/retail.dbml", "line": line, "body": "/uc rename this to customer_name"}],
    )
    assert pending.state == "PENDING"
    harness.settle()
    assert repo.get_branch("feature").commit.sha == before.sha  # nothing happened yet
    _, submitted = bob.requester.requestJsonAndCheck(
        "POST", f"{bob.url}/reviews/{pending.id}/events", input={"event": "COMMENT", "body": "done reviewing"}
    )
    assert submitted["state"] == "COMMENTED" and submitted["body"] == "done reviewing"
    harness.settle()
    head = repo.get_branch("feature").commit
    assert head.commit.parents[0].sha == before.sha
    assert "  customer_name varchar(250)" in harness.text(repo, "erd/retail.dbml")
