"""Two processes on one thread: the second waits for the thread's advisory lock; turns never interleave."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg

from accelerator.memory.store import thread_lock_key

from .conftest import messages, run_chat

REPOSITORY = Path(__file__).resolve().parents[2]


def test_a_turn_waits_while_another_process_holds_the_thread(
    project: Path, database_url: str, tmp_path: Path
) -> None:
    turns = tmp_path / "turns.txt"
    turns.write_text("status\n")
    args = ["--turns", str(turns), "--database-url", database_url, "--resume", "shared"]
    assert run_chat(args, project, tmp_path / "first.log").exit_code == 0  # creates the schema and thread
    later = tmp_path / "later.txt"
    later.write_text("status\nstatus\n")
    args[1] = str(later)
    result: list[object] = []
    with psycopg.connect(database_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (thread_lock_key("shared"),))
        waiter = threading.Thread(
            target=lambda: result.append(run_chat(args, project, tmp_path / "second.log"))
        )
        waiter.start()
        time.sleep(1.5)
        assert waiter.is_alive() and len(messages(database_url)) == 2  # blocked: nothing recorded
        holder.execute("SELECT pg_advisory_unlock(%s)", (thread_lock_key("shared"),))
        waiter.join(timeout=60)
    assert not waiter.is_alive() and len(messages(database_url)) == 6


def test_two_processes_on_one_thread_never_interleave(
    project: Path, database_url: str, tmp_path: Path
) -> None:
    lines = {
        "a": ["add column crm.customers.tier string", "status", "explain crm.customers.email", "status"],
        "b": ["status", "help", "rename column crm.addresses.city to town", "status"],
    }
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    processes = []
    for name, turns in lines.items():
        path = tmp_path / f"{name}.txt"
        path.write_text("\n".join(turns) + "\n")
        command = [
            sys.executable,
            "-m",
            "accelerator",
            "chat",
            "--turns",
            str(path),
            "--database-url",
            database_url,
        ]
        processes.append(
            subprocess.Popen(
                command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
        )
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs

    rows = messages(database_url)
    assert [row["seq"] for row in rows] == list(range(1, 17))
    for user, assistant in zip(rows[::2], rows[1::2], strict=True):
        assert (user["role"], assistant["role"]) == ("user", "assistant")
        assert user["source_id"].removesuffix(":user") == assistant["source_id"].removesuffix(":assistant")
    for turns in lines.values():  # each process's turns keep their order
        users = [row["body"] for row in rows if row["role"] == "user" and row["body"] in turns]
        assert [body for body in users if body != "status"] == [t for t in turns if t != "status"]
    erd = (project / "erd/retail.dbml").read_text()
    assert "town varchar(100)" in erd and "tier varchar" in erd  # both processes' edits, neither lost
