"""`accelerator chat`, `sessions` and `memory ...` on a copy of the retail example and a fresh database."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from accelerator.channels.cli.chat import local_thread_id
from accelerator.channels.cli.memory import parse_age
from accelerator.cli import app
from accelerator.errors import AcceleratorError
from accelerator.memory import MemoryConfig, MemoryStore, checkpoints, open_pool, resolve_connection
from accelerator.memory.schema import LATEST_VERSION

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "retail"
runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "retail"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("generated", ".accelerator"))
    monkeypatch.chdir(root)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    checkpoints._set_up.clear()  # pools of earlier tests are gone; their ids may be reused
    yield root


def invoke(*args: str, turns: str | None = None, database_url: str, directory: Path) -> Result:
    command = list(args)
    if turns is not None:
        path = directory / f"turns-{abs(hash((turns, len(args))))}.txt"
        path.write_text(turns)
        command += ["--turns", str(path)]
    return runner.invoke(app, [*command, "--database-url", database_url])


def thread_of(root: Path) -> str:
    return local_thread_id(
        [root / "accelerator.yaml", root / "erd/retail.dbml", root / "policies/governance.yaml"]
    )


def test_a_session_edits_the_tree_and_a_new_process_remembers_it(
    project: Path, database_url: str, tmp_path: Path
) -> None:
    turns = "rename column crm.customers.full_name to customer_name\n\ngrant select on table crm.customers to `support` in prod\nstatus\n"
    first = invoke("chat", turns=turns, database_url=database_url, directory=tmp_path)
    assert first.exit_code == 0, first.output
    assert f"session {thread_of(project)}" in first.output and "turns: 3" in first.output
    assert "customer_name varchar(200)" in (project / "erd/retail.dbml").read_text()
    assert "support" in (project / "policies/governance.yaml").read_text()
    assert "customer_name" in (project / "generated/model.json").read_text()
    assert not (project / "generated/terraform").exists()  # Terraform is opt-in in the chat loop

    again = invoke("chat", turns="status\n", database_url=database_url, directory=tmp_path)
    assert (
        "turns: 4" in again.output
        and "grant SELECT on table crm.customers to `support` in prod" in again.output
    )

    listed = json.loads(
        invoke("sessions", "--format", "json", database_url=database_url, directory=tmp_path).output
    )
    assert [(s["thread_id"], s["channel"], s["messages"]) for s in listed] == [(thread_of(project), "cli", 8)]
    shown = invoke(
        "memory",
        "show",
        thread_of(project),
        "--format",
        "json",
        database_url=database_url,
        directory=tmp_path,
    )
    transcript = json.loads(shown.output)
    assert [m["seq"] for m in transcript] == list(range(1, 9))
    assert [m["role"] for m in transcript[:2]] == ["user", "assistant"]
    text = invoke("memory", "show", thread_of(project), database_url=database_url, directory=tmp_path)
    assert "#1 user" in text.output and "rename column crm.customers.full_name" in text.output


def test_the_same_turns_file_is_not_applied_twice(project: Path, database_url: str, tmp_path: Path) -> None:
    turns = tmp_path / "turns.txt"
    turns.write_text("add column crm.customers.tier string\nstatus\n")
    for _ in range(2):
        result = runner.invoke(app, ["chat", "--turns", str(turns), "--database-url", database_url])
        assert result.exit_code == 0, result.output
    assert result.output.count("(already done)") == 2
    shown = invoke(
        "memory",
        "show",
        thread_of(project),
        "--format",
        "json",
        database_url=database_url,
        directory=tmp_path,
    )
    assert len(json.loads(shown.output)) == 4


def test_hand_edits_are_taken_in_and_generated_files_restored(
    project: Path, database_url: str, tmp_path: Path
) -> None:
    assert invoke("chat", turns="status\n", database_url=database_url, directory=tmp_path).exit_code == 0
    erd = project / "erd/retail.dbml"
    erd.write_text(erd.read_text().replace("city varchar(100)", "town varchar(100)"))
    result = invoke("chat", turns="explain crm.addresses\n", database_url=database_url, directory=tmp_path)
    assert "edited by hand" in result.output and "town" in result.output
    assert "town" in (project / "generated/model.json").read_text()

    docs = sorted((project / "generated/docs").iterdir())
    docs[0].unlink()  # generated files are rewritten from the state
    result = invoke("chat", database_url=database_url, directory=tmp_path)
    assert "restored from the memory" not in result.output
    assert "town varchar(100)" in erd.read_text() and docs[0].is_file()

    # model.json is recorded with the turn's files: the memory restores it
    (project / "generated/model.json").unlink()
    result = invoke("chat", database_url=database_url, directory=tmp_path)
    assert result.exit_code == 0, result.output
    assert (project / "generated/model.json").is_file()
    assert "town varchar(100)" in erd.read_text()


def test_resume_names_the_thread(project: Path, database_url: str, tmp_path: Path) -> None:
    result = invoke(
        "chat", "--resume", "pr:42", turns="help\n", database_url=database_url, directory=tmp_path
    )
    assert result.exit_code == 0 and "session pr:42" in result.output and "rename table" in result.output


def test_bad_usage_is_a_clear_error(project: Path, database_url: str, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["chat", "--turns", "nope.txt", "--database-url", database_url])
    assert missing.exit_code == 2 and "turns file nope.txt not found" in missing.output
    unknown = invoke("memory", "show", "no-such-thread", database_url=database_url, directory=tmp_path)
    assert unknown.exit_code == 2 and "no conversation for thread 'no-such-thread'" in unknown.output
    bad_age = invoke(
        "memory", "prune", "--closed-older-than", "soon", database_url=database_url, directory=tmp_path
    )
    assert bad_age.exit_code == 2 and "30d" in bad_age.output


def test_memory_migrate_doctor_and_prune(project: Path, database_url: str, tmp_path: Path) -> None:
    assert (
        f"at version {LATEST_VERSION}"
        in invoke("memory", "migrate", database_url=database_url, directory=tmp_path).output
    )
    doctor = invoke("memory", "doctor", "--format", "json", database_url=database_url, directory=tmp_path)
    report = json.loads(doctor.output)
    assert doctor.exit_code == 0 and report["reachable"] and report["schema_version"] == LATEST_VERSION
    pruned = invoke(
        "memory", "prune", "--closed-older-than", "30d", database_url=database_url, directory=tmp_path
    )
    assert pruned.exit_code == 0 and "pruned 0 conversation(s)" in pruned.output


def test_durations() -> None:
    assert parse_age("30d").days == 30 and parse_age("12h").seconds == 12 * 3600
    with pytest.raises(AcceleratorError):
        parse_age("30 days")


def _users_and_authors(database_url: str, thread_id: str) -> tuple[list[tuple[Any, ...]], list[Any]]:
    """(login, name, messages there) of the conversation's users, and (role, author) of its messages."""
    pool = open_pool(resolve_connection(MemoryConfig(), url=database_url), min_size=1, max_size=1)
    try:
        store = MemoryStore(pool)
        users = [(u.databricks_user, u.display_name) for u in store.participants(thread_id)]
        messages = store.messages(thread_id)
        assert store.conversation(thread_id).created_by == store.participants(thread_id)[0].id
    finally:
        pool.close()
    return users, [(m.role.value, m.author) for m in messages]


def test_the_git_user_is_recorded_and_authors_the_turns(
    project: Path, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("[user]\n\tname = Ada Lovelace\n\temail = ada@example.com\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for turns in ("status\n", "help\n"):  # a second session of the same user is the same row
        result = invoke("chat", turns=turns, database_url=database_url, directory=tmp_path)
        assert result.exit_code == 0, result.output
    users, authors = _users_and_authors(database_url, thread_of(project))
    assert users == [("ada@example.com", "Ada Lovelace")]
    assert authors == [("user", "ada@example.com"), ("assistant", "accelerator")] * 2


def test_without_a_git_identity_the_os_user_is_recorded(
    project: Path, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("LOGNAME", "grace")  # getpass.getuser() reads it first
    result = invoke("chat", turns="status\n", database_url=database_url, directory=tmp_path)
    assert result.exit_code == 0, result.output
    users, authors = _users_and_authors(database_url, thread_of(project))
    assert users == [("grace", None)]
    assert authors == [("user", "grace"), ("assistant", "accelerator")]


def test_a_turn_ties_its_messages_and_files_to_its_user_and_turn_number(
    project: Path, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("[user]\n\tname = Ada Lovelace\n\temail = ada@example.com\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    turns = "status\nrename column crm.customers.full_name to customer_name\n"
    result = invoke("chat", turns=turns, database_url=database_url, directory=tmp_path)
    assert result.exit_code == 0, result.output
    pool = open_pool(resolve_connection(MemoryConfig(), url=database_url), min_size=1, max_size=1)
    try:
        store = MemoryStore(pool)
        thread = thread_of(project)
        (ada,) = store.participants(thread)
        transcript = store.transcript(thread)
        produced = store.turn_files(thread)
    finally:
        pool.close()
    assert [(e.turn, e.role.value, e.user_id) for e in transcript] == [
        (1, "user", ada.id), (1, "assistant", None), (2, "user", ada.id), (2, "assistant", None)
    ]  # fmt: skip
    assert transcript[3].payload["ops"][0]["op"] == "rename_column"
    edited = [f for f in produced if f.path == "erd/retail.dbml" and f.turn == 2]
    assert len(edited) == 1 and edited[0].user_id == ada.id
