"""How many GitHub requests a turn makes (issue 12): each one is a round trip, and GitHub counts them
against the installation's rate limit. Counted at PyGithub's requester (every HTTP request the bot's
workers send, retries and redirects included), per delivery; the bounds are counts, not times."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from github import GithubException
from github.Requester import Requester

from accelerator.channels.github import commits
from accelerator.channels.github.checks import PUBLISHED
from accelerator.channels.github.commits import COMMITS
from accelerator.channels.github.events import Event
from accelerator.channels.github.snapshot import BLOBS, TREES, Entry, Head, Tree, read_tree, repo_key, tree_at
from tests.channels.github.conftest import Harness

RENAME = "/uc rename column crm.customers.full_name to customer_name"


class RequestLog:
    """(verb, path) of each request the bot's workers sent, by the delivery they were running."""

    def __init__(self) -> None:
        self.by_delivery: dict[str, list[tuple[str, str]]] = {}
        self.keys: dict[str, str] = {}
        self._current = threading.local()
        self._lock = threading.Lock()

    def running(self, event: Event) -> None:
        self._current.delivery = event.delivery
        with self._lock:
            self.by_delivery.setdefault(event.delivery, [])
            self.keys[event.delivery] = event.key

    def sent(self, verb: str, url: str) -> None:
        delivery = getattr(self._current, "delivery", None)
        if delivery is None:  # the test's own clients
            return
        path = url.split("?", 1)[0]
        with self._lock:
            self.by_delivery[delivery].append((verb, path))

    def turns(self, key: str) -> list[list[tuple[str, str]]]:
        """The requests of each delivery of this event key that made any, in arrival order."""
        with self._lock:
            return [list(r) for d, r in self.by_delivery.items() if self.keys[d] == key and r]


@pytest.fixture
def requests_of(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> Iterator[RequestLog]:
    log = RequestLog()
    raw = Requester._Requester__requestRaw  # type: ignore[attr-defined]

    def counted(self: Requester, cnx: Any, verb: str, url: str, *args: Any, **kwargs: Any) -> Any:
        log.sent(verb, url)
        return raw(self, cnx, verb, url, *args, **kwargs)

    monkeypatch.setattr(Requester, "_Requester__requestRaw", counted)
    handle = harness.bot.handle

    def handled(event: Event) -> Any:
        log.running(event)
        try:
            return handle(event)
        finally:
            log._current.delivery = None

    monkeypatch.setattr(harness.bot, "handle", handled)
    yield log


def show(requests: list[tuple[str, str]]) -> str:
    return "\n".join(f"  {verb} {path}" for verb, path in requests)


def count(requests: list[tuple[str, str]], verb: str, part: str) -> int:
    return sum(1 for v, path in requests if v == verb and part in path)


def forget_everything() -> None:
    """What another replica would know: nothing of what this process read or made."""
    BLOBS.clear()
    TREES.clear()
    COMMITS.clear()
    PUBLISHED.clear()


def test_a_warm_comment_turn_makes_few_requests(harness: Harness, requests_of: RequestLog) -> None:
    repo = harness.repository()
    pull = harness.open_pull(repo)
    harness.settle()
    bob = harness.client("bob").get_repo("alice/lakehouse").get_pull(pull.number)
    bob.create_issue_comment(RENAME)
    harness.settle()
    bob.create_issue_comment("/uc rename column crm.customers.customer_name to full_name")
    harness.settle()
    [opened] = requests_of.turns("pull_request.opened")
    # the pull, the base's config, the head's commits (one listing), tree and config blob, the tree
    # with the files' texts, the commit, the ref (read, moved), the comments, the check, the summary
    assert len(opened) <= 13, show(opened)
    assert count(opened, "POST", "/git/blobs") == 0 and count(opened, "GET", "/git/commits/") <= 1
    turns = requests_of.turns("issue_comment.created")
    assert len(turns) == 2
    for turn in turns:
        # the pull, the base's config, the permission, the eyes, the tree, the commit, the ref (read,
        # moved), the comments, the reply, the check, the summary: nothing read of the bot's own head
        assert len(turn) <= 12, show(turn)
        assert count(turn, "GET", "/permission") == 1, show(turn)
        assert count(turn, "GET", "/git/") == 1 and count(turn, "GET", "/git/ref/") == 1, show(turn)
        assert count(turn, "POST", "/git/blobs") == 0, show(turn)
        assert count(turn, "GET", "/check-runs") == 0, show(turn)
        assert count(turn, "GET", "/issues/1/comments") == 1, show(turn)
    assert "full_name varchar(200)" in harness.text(repo, "erd/retail.dbml")


def test_a_turn_after_another_replicas_reads_what_it_must(harness: Harness, requests_of: RequestLog) -> None:
    """Nothing remembered (the previous turn ran in another process): the head's commit, tree and
    changed files are read, the check runs listed; still no request per blob written."""
    repo = harness.repository()
    pull = harness.open_pull(repo)
    harness.settle()
    forget_everything()
    bob = harness.client("bob").get_repo("alice/lakehouse").get_pull(pull.number)
    bob.create_issue_comment(RENAME)
    harness.settle()
    [turn] = requests_of.turns("issue_comment.created")
    assert count(turn, "GET", "/git/commits/") == 1 and count(turn, "GET", "/git/trees/") == 1, show(turn)
    assert count(turn, "POST", "/git/blobs") == 0, show(turn)
    assert "customer_name varchar(200)" in harness.text(repo, "erd/retail.dbml")
    head = repo.get_branch("feature").commit.sha
    replies = [c for c in repo.get_issue(pull.number).get_comments() if "accelerator:reply" in c.body]
    assert len(replies) == 1 and f"/commit/{head}" in replies[0].body
    runs = [r for r in repo.get_commit(head).get_check_runs() if r.name == "accelerator/governance"]
    assert len(runs) == 1


def test_a_human_push_lists_the_branchs_commits_once(harness: Harness, requests_of: RequestLog) -> None:
    repo = harness.repository()
    harness.open_pull(repo)
    harness.settle()
    forget_everything()
    for index in range(3):  # three commits by hand, pushed one after another (the last is the turn)
        erd = repo.get_contents("erd/retail.dbml", ref="feature")
        assert not isinstance(erd, list)
        text = erd.decoded_content.decode().replace(
            "  city varchar(100)\n", f"  city varchar(100)\n  region_{index} varchar(50)\n"
        )
        repo.update_file("erd/retail.dbml", f"region {index}", text, erd.sha, branch="feature")
    harness.settle()
    pushes = requests_of.turns("pull_request.synchronize")
    assert pushes
    for push in pushes:  # each walks the branch to the commit the conversation saw in one listing
        assert count(push, "GET", "/git/commits/") == 0, show(push)
        assert count(push, "GET", "/commits") <= 1, show(push)
    assert "region_2 varchar(50)" in harness.text(repo, "erd/retail.dbml")
    assert '"region_2"' in harness.text(repo, "generated/model.json")


def test_the_remembered_tree_of_a_commit_the_bot_made_is_githubs(harness: Harness) -> None:
    """The listing the bot derives for its own commit (no request) is the one GitHub answers,
    also where a written file replaces a directory, a directory replaces a file, and a file goes."""
    repo = harness.repository()
    main = repo.get_branch("main").commit.sha
    repo.create_git_ref("refs/heads/scratch", main)
    bot_repo = harness.bot.github.get_repo("alice/lakehouse")
    parent = tree_at(bot_repo, main)
    files: dict[str, str | None] = {
        "policies": "a file where a directory was\n",  # policies/governance.yaml goes
        "erd/retail.dbml/part.dbml": "Table t {\n  id int\n}\n",  # a directory where a file was
        "README.md": None,
        "docs/new.md": "# new\n",
    }
    made = commits.commit_files(bot_repo, "scratch", main, parent, files, "scratch\n\nAccelerator-Turn: x\n")
    remembered = TREES.get(repo_key(bot_repo), made)
    assert remembered is not None
    actual = read_tree(repo, made)
    assert remembered.sha == actual.sha
    assert remembered.files == actual.files
    assert "policies/governance.yaml" not in remembered.files and "erd/retail.dbml" not in remembered.files
    assert BLOBS.get(remembered.files["docs/new.md"].sha) == b"# new\n"
    assert commits.commit_info(bot_repo, made).parents == (main,)


def test_a_file_too_large_for_the_tree_request_is_a_blob_of_its_own(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, requests_of: RequestLog
) -> None:
    monkeypatch.setattr(commits, "INLINE_MAX_BYTES", 10)
    repo = harness.repository()
    main = repo.get_branch("main").commit.sha
    repo.create_git_ref("refs/heads/scratch", main)
    bot_repo = harness.bot.github.get_repo("alice/lakehouse")
    event = Event("test", "large", {})
    requests_of.running(event)
    try:
        files: dict[str, str | None] = {"big.txt": "more than ten bytes\n", "small.txt": "small\n"}
        made = commits.commit_files(bot_repo, "scratch", main, tree_at(bot_repo, main), files, "big\n")
    finally:
        requests_of._current.delivery = None
    sent = requests_of.by_delivery["large"]
    assert count(sent, "POST", "/git/blobs") == 1, show(sent)
    assert harness.text(repo, "big.txt", ref="scratch") == "more than ten bytes\n"
    assert harness.text(repo, "small.txt", ref="scratch") == "small\n"
    assert repo.get_branch("scratch").commit.sha == made


def test_the_texts_beyond_the_tree_requests_budget_are_blobs(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, requests_of: RequestLog
) -> None:
    monkeypatch.setattr(commits, "INLINE_BUDGET", 34)  # each text is 17 characters as JSON
    repo = harness.repository()
    main = repo.get_branch("main").commit.sha
    repo.create_git_ref("refs/heads/scratch", main)
    bot_repo = harness.bot.github.get_repo("alice/lakehouse")
    requests_of.running(Event("test", "budget", {}))
    try:
        files: dict[str, str | None] = {f"f{index}.txt": "a\n" * 5 for index in range(3)}
        commits.commit_files(bot_repo, "scratch", main, tree_at(bot_repo, main), files, "budget\n")
    finally:
        requests_of._current.delivery = None
    sent = requests_of.by_delivery["budget"]
    assert count(sent, "POST", "/git/blobs") == 1, show(sent)  # two fit the budget, the third does not
    assert [harness.text(repo, f"f{index}.txt", ref="scratch") for index in range(3)] == ["a\n" * 5] * 3


def test_who_may_not_edit_costs_one_permission_read(harness: Harness, requests_of: RequestLog) -> None:
    repo = harness.repository()
    pull = harness.open_pull(repo)
    harness.settle()
    harness.client("carol").get_repo("alice/lakehouse").get_pull(pull.number).create_issue_comment(RENAME)
    harness.settle()
    [turn] = requests_of.turns("issue_comment.created")
    assert count(turn, "GET", "/permission") == 1, show(turn)
    assert count(turn, "POST", "/issues/1/comments") == 1, show(turn)
    assert count(turn, "POST", "/git/") == 0, show(turn)


def test_a_hand_edit_whose_merge_base_is_gone_is_kept(tmp_path: Path, harness: Harness) -> None:
    """The tree the conversation last saw is remembered but its blob is gone from GitHub (a force
    push dropped the commit): the hand edit is kept as it is, as when the tree could not be read."""

    class Gone:
        url = "/repos/alice/gone"
        requester = SimpleNamespace(base_url="http://github.invalid/api/v3", is_not_lazy=False)

        def get_git_blob(self, sha: str) -> Any:
            raise GithubException(404, {"message": "Not Found"}, {})

    repo = Gone()
    seen = Tree("a" * 40, "b" * 40, {"erd/x.dbml": Entry("erd/x.dbml", "c" * 40, 10)})
    TREES.put(repo_key(repo), seen)  # type: ignore[arg-type]
    (tmp_path / "erd").mkdir()
    (tmp_path / "erd" / "x.dbml").write_text("Table human {}\n")
    head = Head(Tree("d" * 40, "e" * 40, {"erd/x.dbml": Entry("erd/x.dbml", "f" * 40, 15)}), tmp_path, None)
    state: Any = {"sources": {"erd/x.dbml": "Table conversation {}\n"}}
    hand = harness.bot._hand_edits(repo, state, head, "a" * 40)  # type: ignore[arg-type]
    assert hand == {"erd/x.dbml": "Table human {}\n"}
