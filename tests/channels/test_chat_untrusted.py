"""`accelerator chat` under untrusted input: any text gets a reply, limits are clear refusals, a bad
database is one line and exit 2, the turns file and the working tree survive odd bytes and kills."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from accelerator.agent.limits import MAX_EDITS_PER_MESSAGE, MAX_MESSAGE_CHARS, MAX_REPLY_CHARS
from tests.channels.test_chat_cli import EXAMPLE, project, thread_of  # noqa: F401  (fixture)


def _turns(directory: Path, data: bytes, name: str = "turns.txt") -> Path:
    path = directory / name
    path.write_bytes(data)
    return path


def chat(turns: Path, database_url: str, *extra: str) -> tuple[int, str]:
    from typer.testing import CliRunner

    from accelerator.cli import app

    result = CliRunner().invoke(app, ["chat", "--turns", str(turns), "--database-url", database_url, *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_a_nul_byte_gets_a_reply_and_the_rerun_is_not_poisoned(
    project: Path,  # noqa: F811
    database_url: str,
    tmp_path: Path,
) -> None:
    turns = _turns(
        tmp_path, b'add column sales.orders.note string comment "a\x00b"\nhello\x00world\nstatus\n'
    )
    code, output = chat(turns, database_url)
    assert code == 1, output  # `hello...` is not a command: a rejected turn
    assert "Applied:" in output and "turns: 3" in output
    assert "a\ufffdb" in (project / "erd/retail.dbml").read_text()
    again_code, again = chat(turns, database_url)  # the same lines: the same turns, answered from memory
    assert again_code == 1 and again.count("(already done)") == 3, again
    with psycopg.connect(database_url) as conn:
        bodies = [row[0] for row in conn.execute("SELECT body FROM accelerator.messages WHERE role = 'user'")]
    assert "hello\ufffdworld" in bodies and len(bodies) == 3


def test_a_hand_edit_with_a_nul_byte_is_a_located_error(
    project: Path,  # noqa: F811
    database_url: str,
    tmp_path: Path,
) -> None:
    assert chat(_turns(tmp_path, b"status\n"), database_url)[0] == 0
    erd = project / "erd/retail.dbml"
    erd.write_bytes(erd.read_bytes().replace(b"Table", b"Ta\x00ble", 1))
    code, output = chat(_turns(tmp_path, b"status\n", "again.txt"), database_url)
    assert code == 2 and "erd/retail.dbml:" in output and "NUL" in output and "Traceback" not in output


def test_limits_are_clear_refusals_and_nothing_is_applied(
    project: Path,  # noqa: F811
    database_url: str,
    tmp_path: Path,
) -> None:
    before = (project / "erd/retail.dbml").read_text()
    many = "; ".join(f"add column sales.orders.c{i} string" for i in range(MAX_EDITS_PER_MESSAGE + 1))
    long = "add column sales.orders.x string comment " + '"' + "y" * MAX_MESSAGE_CHARS + '"'
    code, output = chat(_turns(tmp_path, f"{many}\n{long}\n".encode()), database_url)
    assert code == 1, output
    assert f"at most {MAX_EDITS_PER_MESSAGE}" in output and f"at most {MAX_MESSAGE_CHARS:,}" in output
    assert output.count("Nothing was applied.") == 2
    assert (project / "erd/retail.dbml").read_text() == before
    assert "y" * 300 not in output  # the long message is echoed cut, with "…"
    with psycopg.connect(database_url) as conn:
        longest = conn.execute("SELECT max(length(body)) FROM accelerator.messages WHERE role = 'assistant'")
        assert longest.fetchone()[0] <= MAX_REPLY_CHARS  # type: ignore[index]


def test_a_long_syntax_error_reply_fits_one_comment(
    project: Path,  # noqa: F811
    database_url: str,
    tmp_path: Path,
) -> None:
    text = "; ".join(["nonsense " + "z" * 150] * 120)  # under the message limit, one error per part
    assert len(text) < MAX_MESSAGE_CHARS
    code, _ = chat(_turns(tmp_path, (text + "\n").encode()), database_url)
    assert code == 1
    with psycopg.connect(database_url) as conn:
        (reply,) = conn.execute(
            "SELECT body FROM accelerator.messages WHERE role = 'assistant' AND turn = 1"
        ).fetchone()  # type: ignore[misc]
    assert len(reply) <= MAX_REPLY_CHARS and reply.startswith("Nothing was applied.")


def test_a_bad_database_url_is_one_line_and_exit_2_within_seconds(
    project: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    turns = _turns(tmp_path, b"status\n")
    for url in ("postgresql://nobody@127.0.0.1:1/none", "postgresql://a:s3cret@[::1", ""):
        started = time.monotonic()
        code, output = chat(turns, url)
        assert code == 2, (url, output)
        assert time.monotonic() - started < 15
        assert "Traceback" not in output and "s3cret" not in output
    assert "127.0.0.1:1" in chat(turns, "postgresql://nobody@127.0.0.1:1/none")[1]
    assert "--database-url is empty" in chat(turns, "")[1]
    assert not (project / ".accelerator").exists()  # no embedded database was started for ""


def test_a_bom_line_is_a_command_and_modes_are_kept(
    project: Path,  # noqa: F811
    database_url: str,
    tmp_path: Path,
) -> None:
    erd = project / "erd/retail.dbml"
    erd.chmod(0o644)
    code, output = chat(
        _turns(tmp_path, "\ufeffadd column sales.orders.note string\n".encode()), database_url
    )
    assert code == 0 and "Applied:" in output, output
    assert stat.S_IMODE(erd.stat().st_mode) == 0o644
    assert stat.S_IMODE((project / "generated/model.json").stat().st_mode) & 0o044  # readable by others


def test_a_temporary_file_of_a_killed_writer_is_removed(
    project: Path,  # noqa: F811
    database_url: str,
    tmp_path: Path,
) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    pid = int(dead.stdout)
    left = project / "erd" / f".retail.dbml.accelerator-{pid}-abc123.tmp"
    left.write_text("half")
    alive = project / "erd" / f".retail.dbml.accelerator-{os.getpid()}-def456.tmp"  # a live writer's
    alive.write_text("busy")
    mine = project / "erd" / ".notes.tmp"  # not ours
    mine.write_text("keep")
    assert chat(_turns(tmp_path, b"status\n"), database_url)[0] == 0
    assert not left.exists() and alive.exists() and mine.exists()


def test_a_turn_that_does_not_build_is_rejected_whole(
    project: Path,  # noqa: F811
    database_url: str,
    tmp_path: Path,
) -> None:
    assert chat(_turns(tmp_path, b"status\n"), database_url)[0] == 0
    before = (project / "erd/retail.dbml").read_text()
    generated = (project / "generated/model.json").read_text()
    code, output = chat(
        _turns(tmp_path, b"add column sales.orders.x string default drop\n", "b.txt"), database_url
    )
    assert code == 1 and "Nothing was applied." in output and "would not build" in output, output
    assert "DEFAULT 'drop'" in output and "Applied:" not in output
    assert (project / "erd/retail.dbml").read_text() == before
    assert (project / "generated/model.json").read_text() == generated
    status = chat(_turns(tmp_path, b"status\n", "c.txt"), database_url)[1]
    assert "undo available: no" in status and "last edits: none" in status


def test_a_rerun_after_undo_says_the_edit_was_undone(
    project: Path,  # noqa: F811
    database_url: str,
    tmp_path: Path,
) -> None:
    turns = _turns(tmp_path, b"add column sales.orders.remark string\n")
    assert chat(turns, database_url)[0] == 0
    assert chat(_turns(tmp_path, b"undo\n", "undo.txt"), database_url)[0] == 0
    assert "remark" not in (project / "erd/retail.dbml").read_text()
    code, output = chat(turns, database_url)
    assert code == 0 and "(already done earlier; since undone)" in output, output
    applied_again = chat(_turns(tmp_path, b"add column sales.orders.other string\n", "o.txt"), database_url)
    assert applied_again[0] == 0
    assert "(already done earlier; since undone)" in chat(turns, database_url)[1]


# -- the working tree is the truth ------------------------------------------------------------------


def test_a_hand_revert_is_adopted_not_restored(
    project: Path,  # noqa: F811
    database_url: str,
    tmp_path: Path,
) -> None:
    erd = project / "erd/retail.dbml"
    original = erd.read_text()
    assert chat(_turns(tmp_path, b"add column sales.orders.remark string\n"), database_url)[0] == 0
    assert "remark" in erd.read_text()
    erd.write_text(original)  # as `git checkout -- erd/retail.dbml` does
    code, output = chat(_turns(tmp_path, b"status\n", "s.txt"), database_url)
    assert code == 0 and "restored from the memory" not in output and "edited by hand" in output
    assert erd.read_text() == original
    assert "remark" not in (project / "generated/model.json").read_text()  # the turn took it in
    assert chat(_turns(tmp_path, b"status\n", "s2.txt"), database_url)[0] == 0
    assert erd.read_text() == original


def test_an_interrupted_turn_is_repaired_only_on_the_tree_it_started_from(
    project: Path,  # noqa: F811
    database_url: str,
    tmp_path: Path,
) -> None:
    from accelerator.channels.cli.worktree import begin_turn, journal_path

    erd = project / "erd/retail.dbml"
    original = erd.read_text()
    policy = (project / "policies/governance.yaml").read_text()
    assert chat(_turns(tmp_path, b"add column sales.orders.remark string\n"), database_url)[0] == 0
    edited = erd.read_text()
    # a crash between commit and write: the tree as the turn found it, and its journal
    erd.write_text(original)
    tree = {"erd/retail.dbml": original, "policies/governance.yaml": policy}
    begin_turn(project, thread_of(project), tree)
    output = chat(_turns(tmp_path, b"status\n", "s.txt"), database_url)[1]
    assert "restored from the memory: erd/retail.dbml" in output and erd.read_text() == edited
    assert not journal_path(project, thread_of(project)).exists()
    # the same journal, but somebody changed the tree since: their change stays
    begin_turn(project, thread_of(project), tree)
    erd.write_text(original.replace("city varchar(100)", "town varchar(100)"))
    output = chat(_turns(tmp_path, b"status\n", "s2.txt"), database_url)[1]
    assert "restored from the memory" not in output and "town varchar(100)" in erd.read_text()


def test_resume_from_another_tree_is_refused(
    project: Path,  # noqa: F811
    database_url: str,
    tmp_path: Path,
) -> None:
    assert chat(_turns(tmp_path, b"add column sales.orders.remark string\n"), database_url)[0] == 0
    other = tmp_path / "other"
    shutil.copytree(EXAMPLE, other, ignore=shutil.ignore_patterns("generated", ".accelerator"))
    os.chdir(other)
    code, output = chat(_turns(tmp_path, b"status\n", "s.txt"), database_url, "--resume", thread_of(project))
    assert code == 2 and "belongs to the working tree" in output and str(project) in output
    os.chdir(project)
    assert "remark" in (project / "erd/retail.dbml").read_text()
    assert "remark" not in (other / "erd/retail.dbml").read_text()
    assert chat(_turns(tmp_path, b"status\n", "s2.txt"), database_url)[0] == 0


def test_undo_after_a_hand_edit_keeps_the_hand_edit(
    project: Path,  # noqa: F811
    database_url: str,
    tmp_path: Path,
) -> None:
    erd = project / "erd/retail.dbml"
    assert chat(_turns(tmp_path, b"status\n"), database_url)[0] == 0
    erd.write_text(erd.read_text().replace("city varchar(100)", "town varchar(100)"))
    turns = b"add column sales.orders.remark string\nundo\n"
    assert chat(_turns(tmp_path, turns, "t.txt"), database_url)[0] == 0
    text = erd.read_text()
    assert "town varchar(100)" in text and "remark" not in text


def test_undo_is_multi_level_redo_takes_it_back_and_a_hand_edit_is_never_lost(
    project: Path,  # noqa: F811
    database_url: str,
    tmp_path: Path,
) -> None:
    erd = project / "erd/retail.dbml"
    original = erd.read_text()
    edits = b"add column sales.orders.first_note string\nadd column sales.orders.second_note string\n"
    assert chat(_turns(tmp_path, edits), database_url)[0] == 0
    code, output = chat(_turns(tmp_path, b"undo\nundo\nundo\n", "u.txt"), database_url)
    assert code == 0 and output.count("Undone:") == 2 and "Nothing to undo." in output, output
    assert erd.read_text() == original
    code, output = chat(_turns(tmp_path, b"redo\n", "r.txt"), database_url)
    assert code == 0 and "Redone:" in output and "first_note" in erd.read_text()
    assert "second_note" not in erd.read_text()
    # a hand edit of the file since: undoing the redone turn would lose it, so it is refused
    erd.write_text(erd.read_text().replace("city varchar(100)", "town varchar(100)"))
    code, output = chat(_turns(tmp_path, b"undo\n", "u2.txt"), database_url)
    assert "Cannot undo turn" in output and "edited by hand" in output, output
    assert "town varchar(100)" in erd.read_text() and "first_note" in erd.read_text()
