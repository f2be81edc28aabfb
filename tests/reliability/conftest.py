"""Run `accelerator chat` as a child process cheaply: fork the test process (the modules are already
imported), redirect its output to a file, run the CLI, and report how it ended (exit code or signal).
Also: a copy of the retail example, and reads of the thread's committed state straight from the database.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from langgraph.checkpoint.postgres import PostgresSaver
from psycopg.rows import dict_row

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "retail"


@dataclass
class ChildRun:
    exit_code: int | None
    signal: int | None
    output: str

    @property
    def killed(self) -> bool:
        return self.signal == signal.SIGKILL


_warm: list[bool] = []


def warm_up() -> None:
    """Import and exercise once what every child needs (parsers' grammars, templates), before forking."""
    if _warm:
        return
    import accelerator.agent.session
    import accelerator.channels.cli.chat
    import accelerator.channels.cli.worktree  # noqa: F401
    from accelerator.agent.derived import DerivedCache, Inputs

    sources = {"erd/retail.dbml": (EXAMPLE / "erd/retail.dbml").read_text()}
    spec = {
        "file": "erd/retail.dbml",
        "catalog": "retail",
        "format": None,
        "dialect": "postgres",
        "default_schema": "default",
    }
    inputs = Inputs("retail", (spec,), None)  # type: ignore[arg-type]
    DerivedCache().generation(inputs, sources, terraform=False, backend=None)
    _warm.append(True)


def run_chat(args: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None) -> ChildRun:
    """`accelerator chat ARGS` in a forked child; env entries are set in the child only."""
    warm_up()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 70
        try:
            stream = open(log, "w", encoding="utf-8")  # noqa: SIM115 - closed by os._exit
            sys.stdout = sys.stderr = stream
            os.dup2(stream.fileno(), 1)
            os.dup2(stream.fileno(), 2)
            os.chdir(cwd)
            os.environ.update(env or {})
            from accelerator.memory import checkpoints

            checkpoints._set_up.clear()  # the parent's pools are not this process's
            from accelerator.cli import app

            try:
                app(["chat", *args], prog_name="accelerator")
                code = 0
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    output = log.read_text(encoding="utf-8") if log.exists() else ""
    if os.WIFSIGNALED(status):
        return ChildRun(None, os.WTERMSIG(status), output)
    return ChildRun(os.WEXITSTATUS(status), None, output)


def copy_example(target: Path) -> Path:
    root = target / "retail"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("generated", ".accelerator"))
    return root


def messages(database_url: str) -> list[dict[str, Any]]:
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        present = conn.execute("SELECT to_regclass('accelerator.messages') AS t").fetchone()
        if present is None or present["t"] is None:
            return []
        return conn.execute(
            "SELECT seq, role, body, source_id FROM accelerator.messages ORDER BY conversation_id, seq"
        ).fetchall()


def committed_state(database_url: str, thread_id: str) -> dict[str, Any] | None:
    with psycopg.connect(database_url, autocommit=True, row_factory=dict_row) as conn:
        conn.execute("SET search_path TO accelerator, public")
        present = conn.execute("SELECT to_regclass('accelerator.checkpoints') AS t").fetchone()
        if present is None or present["t"] is None:
            return None
        found = PostgresSaver(conn).get_tuple({"configurable": {"thread_id": thread_id}})
    return None if found is None else dict(found.checkpoint["channel_values"])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_example(tmp_path)
