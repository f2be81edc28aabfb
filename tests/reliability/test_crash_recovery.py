"""SIGKILL `accelerator chat` at every named point of a turn; the next process resumes with no lost or
duplicated message, and the working tree matches the last completed turn.

One chain of processes walks all the crash points (each process dies at one point, the next resumes
from the same turns file: committed turns are skipped, the interrupted one is done again), checking
the invariants after every death; a last process without a crash point finishes the conversation.
"""

from __future__ import annotations

from pathlib import Path

from accelerator.agent.crash import CRASH_ENV, CRASH_POINTS
from accelerator.channels.cli.chat import local_thread_id

from .conftest import committed_state, messages, run_chat

TURNS = [
    "rename column crm.customers.full_name to customer_name",
    "grant select on table crm.customers to `support` in prod",
    "undo",
    "status",
    'add column sales.orders.sales_channel varchar(20) comment "Where the order was placed"',
    "drop column sales.orders.no_such_column",
]
# The order in which the points are met across the chain: opening, then turns 1 to 3 (the last
# points are also met by turns skipped as already done).
CHAIN = [
    *("session.opened", "session.locked", "govern.done", "render.done", "publish.files"),
    *("wait.before_interrupt", "turn.checkpointed", "turn.committed", "session.materialized"),
    *("turn.begin", "turn.event_checked", "interpret.parsed", "interpret.done", "apply.patched"),
    *("apply.done", "publish.before_messages", "publish.user_message", "publish.assistant_message"),
    *("materialize.sources", "materialize.generated", "undo.done", "turn.replied", "turn.unlocked"),
]


def check_invariants(database_url: str, thread_id: str) -> int:
    """Messages are gapless user/assistant pairs of one event each, and the checkpoint agrees."""
    rows = messages(database_url)
    assert [row["seq"] for row in rows] == list(range(1, len(rows) + 1))
    assert len(rows) % 2 == 0
    for user, assistant in zip(rows[::2], rows[1::2], strict=True):
        assert (user["role"], assistant["role"]) == ("user", "assistant")
        assert user["source_id"].removesuffix(":user") == assistant["source_id"].removesuffix(":assistant")
    events = [row["source_id"] for row in rows]
    assert len(events) == len(set(events))
    state = committed_state(database_url, thread_id)
    assert (state or {}).get("turn", 0) == len(rows) // 2
    return len(rows) // 2


def test_every_crash_point_is_survived(project: Path, database_url: str, tmp_path: Path) -> None:
    assert sorted(CHAIN) == sorted(CRASH_POINTS)
    turns = tmp_path / "turns.txt"
    turns.write_text("\n".join(TURNS) + "\n")
    args = ["--turns", str(turns), "--database-url", database_url]
    thread_id = local_thread_id(
        [project / "accelerator.yaml", project / "erd/retail.dbml", project / "policies/governance.yaml"]
    )
    completed = []
    for index, point in enumerate(CHAIN):
        run = run_chat(args, project, tmp_path / f"{index}.log", {CRASH_ENV: point})
        assert run.killed, f"{point} was not reached:\n{run.output}"
        completed.append(check_invariants(database_url, thread_id))
    # turns 1 and 2 commit along the chain (the points after a commit die with the turn done)
    assert completed == sorted(completed) and completed[-1] == 2, list(zip(CHAIN, completed, strict=True))

    final = run_chat(args, project, tmp_path / "final.log")
    assert final.exit_code == 1, final.output  # turn 6 is rejected: --turns says so in its exit code
    assert check_invariants(database_url, thread_id) == len(TURNS)
    assert final.output.count("(already done)") == 2

    state = committed_state(database_url, thread_id)
    assert state is not None
    erd = (project / "erd/retail.dbml").read_text()
    policy = (project / "policies/governance.yaml").read_text()
    assert state["sources"] == {"erd/retail.dbml": erd, "policies/governance.yaml": policy}
    assert "customer_name varchar(200)" in erd and "sales_channel" in erd
    assert "support" not in policy  # granted in turn 2, undone in turn 3
    assert final.output.count("Nothing was applied.") == 1  # turn 6 names no column: rejected
    assert "sales_channel" in (project / "generated/model.json").read_text()
    bodies = [row["body"] for row in messages(database_url)]
    assert "not found" in bodies[-1] and bodies[-2] == TURNS[-1]
