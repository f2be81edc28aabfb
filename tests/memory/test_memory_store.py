"""MemoryStore against a real PostgreSQL: conversations, ordered messages, files, deliveries, prune."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta

import pytest

from accelerator.errors import ConversationNotFoundError
from accelerator.memory import (
    DeliveryStatus,
    FileKind,
    MemoryStore,
    NewFile,
    Role,
    checkpointer,
    transcript,
)
from accelerator.memory.pool import MemoryPool

THREAD = "github:acme/data#7"


def test_messages_come_back_in_order_with_roles_and_payload(store: MemoryStore) -> None:
    alice = store.upsert_user(github_login="alice", display_name="Alice")
    conversation = store.open_conversation(
        THREAD, "github", repo="acme/data", pr_number=7, created_by=alice.id
    )
    assert conversation.status == "open" and conversation.created_by == alice.id

    store.append_message(THREAD, "user", "rename customers.email_addr to email", author="alice")
    store.append_message(THREAD, Role.ASSISTANT, "done", payload={"edits": [{"op": "rename"}]})

    messages = store.messages(THREAD)
    assert [(m.seq, m.role, m.body) for m in messages] == [
        (1, Role.USER, "rename customers.email_addr to email"),
        (2, Role.ASSISTANT, "done"),
    ]
    assert messages[1].payload == {"edits": [{"op": "rename"}]}
    assert [entry["seq"] for entry in transcript(store, THREAD)] == [1, 2]


def test_an_unknown_thread_is_a_typed_error_with_a_hint(store: MemoryStore) -> None:
    with pytest.raises(ConversationNotFoundError) as raised:
        store.append_message("nowhere", "user", "hello")
    assert raised.value.hint
    with pytest.raises(ConversationNotFoundError):
        transcript(store, "nowhere")


def test_a_role_outside_the_four_is_refused(store: MemoryStore) -> None:
    store.open_conversation(THREAD, "cli")
    with pytest.raises(ValueError):
        store.append_message(THREAD, "robot", "beep")
    assert store.messages(THREAD) == []


def test_seq_is_gapless_under_concurrent_appends(store: MemoryStore) -> None:
    store.open_conversation(THREAD, "github")
    writers, per_writer = 6, 15
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        start.wait()
        try:
            for index in range(per_writer):
                store.append_message(THREAD, "user", f"{writer}-{index}", source_id=f"c-{writer}-{index}")
                # a redelivery racing the original must neither duplicate nor burn a seq
                store.append_message(THREAD, "user", "again", source_id=f"c-{writer}-{index}")
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert [m.seq for m in store.messages(THREAD)] == list(range(1, writers * per_writer + 1))


def test_a_redelivered_comment_is_stored_once(store: MemoryStore) -> None:
    store.open_conversation(THREAD, "github")
    first = store.append_message(THREAD, "user", "grant select", source_id="comment-991")
    again = store.append_message(THREAD, "user", "grant select", source_id="comment-991")
    assert again == first
    store.append_message(THREAD, "assistant", "ok")
    assert [m.seq for m in store.messages(THREAD)] == [1, 2]


def test_files_are_deduplicated_by_content_and_the_latest_recording_wins(store: MemoryStore) -> None:
    store.open_conversation(THREAD, "github")
    first = store.record_file(THREAD, "erd/retail.dbml", "erd", "Table a {}", git_sha="c1")
    store.record_file(THREAD, "erd/retail.dbml", FileKind.ERD, "Table b {}", git_sha="c2")
    back_again = store.record_file(THREAD, "erd/retail.dbml", "erd", "Table a {}", git_sha="c3")
    store.record_file(THREAD, "policies/pii.yaml", "policy", "rules: []")

    assert back_again.id == first.id  # A -> B -> A keeps one copy of A ...
    latest = {f.path: f for f in store.latest_files(THREAD)}
    assert latest["erd/retail.dbml"].content == "Table a {}"  # ... and A is the latest again
    assert latest["policies/pii.yaml"].kind is FileKind.POLICY
    with pytest.raises(ValueError):
        store.record_file(THREAD, "x", "binary", "?")


def test_several_files_are_recorded_in_one_call_the_same_way(store: MemoryStore) -> None:
    store.open_conversation(THREAD, "cli")
    store.record_file(THREAD, "erd/retail.dbml", "erd", "Table a {}")
    store.record_files(
        THREAD,
        [
            NewFile("erd/retail.dbml", FileKind.ERD, "Table b {}"),
            NewFile("generated/model.json", "generated", "{}", sha256=hashlib.sha256(b"{}").hexdigest()),
        ],
    )
    store.record_files(THREAD, [NewFile("erd/retail.dbml", "erd", "Table a {}", git_sha="c9")])  # A again
    latest = {f.path: f for f in store.latest_files(THREAD)}
    assert latest["erd/retail.dbml"].content == "Table a {}" and latest["erd/retail.dbml"].git_sha == "c9"
    assert latest["generated/model.json"].kind is FileKind.GENERATED
    store.record_files(THREAD, [])  # nothing to do
    with pytest.raises(ConversationNotFoundError):
        store.record_files("no-such-thread", [NewFile("a", "erd", "x")])


def test_a_delivery_is_processed_exactly_once_unless_it_failed(store: MemoryStore) -> None:
    assert store.begin_delivery("d-1", "issue_comment") is True
    assert store.begin_delivery("d-1", "issue_comment") is False
    store.finish_delivery("d-1", DeliveryStatus.DONE)
    assert store.begin_delivery("d-1", "issue_comment") is False
    assert store.delivery_status("d-1") is DeliveryStatus.DONE

    assert store.begin_delivery("d-2", "push") is True
    store.finish_delivery("d-2", "failed", error="GitHub 502")
    assert store.begin_delivery("d-2", "push") is True  # a failed one may be retried
    with pytest.raises(KeyError):
        store.finish_delivery("never-begun", "done")


def test_concurrent_claims_of_one_delivery_have_one_winner(store: MemoryStore) -> None:
    claimants = 6
    start = threading.Barrier(claimants)
    results: list[bool] = []

    def claim() -> None:
        start.wait()
        results.append(store.begin_delivery("d-race", "pull_request"))

    threads = [threading.Thread(target=claim) for _ in range(claimants)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * (claimants - 1) + [True]


def test_conversations_list_with_message_counts_and_close(store: MemoryStore) -> None:
    store.open_conversation("t-1", "github", repo="acme/data", pr_number=1)
    store.open_conversation("t-2", "cli")
    store.append_message("t-1", "user", "hello")
    summaries = {s.thread_id: s for s in store.list_conversations()}
    assert summaries["t-1"].message_count == 1 and summaries["t-2"].message_count == 0
    assert store.close_conversation("t-1") is True
    assert store.close_conversation("t-1") is False
    assert store.conversation("t-1").status == "closed"
    reopened = store.open_conversation("t-1", "github")
    assert reopened.status == "open" and reopened.repo == "acme/data"


def test_users_are_upserted_by_login(store: MemoryStore) -> None:
    first = store.upsert_user(github_login="bob")
    second = store.upsert_user(github_login="bob", databricks_user="bob@acme.com", display_name="Bob")
    assert second.id == first.id and second.databricks_user == "bob@acme.com"
    assert store.upsert_user(databricks_user="bob@acme.com").id == first.id
    with pytest.raises(ValueError):
        store.upsert_user()


def test_prune_deletes_old_closed_conversations_and_their_checkpoints(
    store: MemoryStore, pool: MemoryPool
) -> None:
    saver = checkpointer(pool, store.schema)
    for thread in ("old-closed", "old-open"):
        store.open_conversation(thread, "github")
        store.append_message(thread, "user", "hi")
        store.record_file(thread, "erd/a.dbml", "erd", "Table a {}")
        _write_checkpoint(saver, thread)
    store.close_conversation("old-closed")

    assert store.prune(closed_older_than=timedelta(days=1)) == 0  # closed just now: too young
    with pool.connection() as conn:
        conn.execute("UPDATE conversations SET closed_at = now() - interval '40 days'")
    assert store.prune(closed_older_than=timedelta(days=30)) == 1

    assert [s.thread_id for s in store.list_conversations()] == ["old-open"]
    assert saver.get_tuple({"configurable": {"thread_id": "old-closed", "checkpoint_ns": ""}}) is None
    assert saver.get_tuple({"configurable": {"thread_id": "old-open", "checkpoint_ns": ""}}) is not None
    with pool.connection() as conn:
        for table in ("checkpoints", "checkpoint_blobs", "checkpoint_writes", "messages", "files"):
            remaining = conn.execute(f"SELECT count(*) AS n FROM {table}").fetchone()
            assert remaining is not None
            if table.startswith("checkpoint"):
                orphans = conn.execute(
                    f"SELECT count(*) AS n FROM {table} WHERE thread_id = 'old-closed'"
                ).fetchone()
                assert orphans == {"n": 0}
            else:
                assert remaining["n"] == 1


def _write_checkpoint(saver: object, thread_id: str) -> None:
    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import empty_checkpoint
    from langgraph.checkpoint.postgres import PostgresSaver

    assert isinstance(saver, PostgresSaver)
    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"erd": "Table a {}"}
    checkpoint["channel_versions"] = {"erd": "1"}
    config: RunnableConfig = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
    stored = saver.put(config, checkpoint, {"source": "input", "step": 0}, {"erd": "1"})
    saver.put_writes(stored, [("erd", "Table b {}")], task_id="task-1")
