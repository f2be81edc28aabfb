"""The conversation graph on a real PostgreSQL: turns, one-turn messages, closest matches, undo, the LLM path."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage

from accelerator.agent.derived import DerivedCache, Inputs
from accelerator.agent.llm import OpenAICompatibleChatModel, configured_model, propose_edits, propose_turn
from accelerator.agent.session import ConversationSession, TurnResult
from accelerator.agent.state import ConversationState
from accelerator.edit.governance_edits import Classify
from accelerator.memory import MemoryStore, open_pool, resolve_connection
from accelerator.memory.pool import MemoryPool
from accelerator.memory.store import thread_lock_key

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "retail"
ERD, POLICY = "erd/retail.dbml", "policies/governance.yaml"


def initial_state(thread_id: str, root: Path = EXAMPLE) -> ConversationState:
    return ConversationState(
        thread_id=thread_id,
        project="retail",
        erds=[
            {
                "file": ERD,
                "catalog": "retail",
                "format": None,
                "dialect": "postgres",
                "default_schema": "default",
            }
        ],
        policy_file=POLICY,
        environments=["dev", "staging", "prod"],
        sources={ERD: (root / ERD).read_text(), POLICY: (root / POLICY).read_text()},
    )


@dataclass
class Conversation:
    session: ConversationSession
    store: MemoryStore
    counter: int = 0

    def say(self, text: str, **extra: Any) -> TurnResult:
        self.counter += 1
        with self.session.lock():
            return self.session.turn({"event": f"test:{self.counter}", "text": text, **extra})  # type: ignore[typeddict-item]


@pytest.fixture
def memory_pool(database_url: str) -> Iterator[MemoryPool]:
    pool = open_pool(resolve_connection(url=database_url, env={}), min_size=1, max_size=4, timeout=10)
    MemoryStore(pool).migrate()
    try:
        yield pool
    finally:
        pool.close()


def start_conversation(pool: MemoryPool, thread_id: str = "test:thread", **options: Any) -> Conversation:
    session = ConversationSession(pool, thread_id, **options)
    session.open()
    with session.lock():
        session.start(initial_state(thread_id))
    return Conversation(session, MemoryStore(pool))


@pytest.fixture
def conversation(memory_pool: MemoryPool) -> Conversation:
    return start_conversation(memory_pool)


def copy_example(target: Path) -> Path:
    root = target / "retail"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("generated", ".accelerator"))
    return root


# -- turns ------------------------------------------------------------------------------------------


def test_opening_records_the_sources_and_a_turn_edits_them(conversation: Conversation) -> None:
    stored = {f.path: f for f in conversation.store.latest_files("test:thread")}
    assert {ERD, POLICY} <= set(stored) and any(path.startswith("generated/sql/") for path in stored)

    result = conversation.say("rename column crm.customers.full_name to customer_name")

    assert result.state["outcome"] == "applied"
    assert "customer_name varchar(200)" in result.state["sources"][ERD]
    assert "full_name" not in result.state["sources"][ERD].split("Table crm.customers")[1].split("}")[0]
    assert result.state["previous"][ERD] == (EXAMPLE / ERD).read_text()
    assert "rename column crm.customers.full_name → customer_name" in result.reply
    latest = {f.path: f for f in conversation.store.latest_files("test:thread")}
    assert latest[ERD].content == result.state["sources"][ERD]
    messages = conversation.store.messages("test:thread")
    assert [(m.seq, m.role) for m in messages] == [(1, "user"), (2, "assistant")]
    assert messages[1].payload["edits"] == ["rename column crm.customers.full_name → customer_name"]
    # the typed edit, with the model's names: a later diff can tell a rename from a drop and an add
    assert messages[1].payload["ops"] == [
        {"op": "rename_column", "table": "crm.customers", "column": "full_name", "new_name": "customer_name"}
    ]


def test_several_commands_of_one_message_are_one_turn(conversation: Conversation) -> None:
    result = conversation.say(
        "rename column crm.customers.full_name to customer_name\n"
        "grant select on table crm.customers to `support` in prod; status"
    )
    assert result.state["outcome"] == "applied" and result.state["turn"] == 1
    assert len(result.state["last_edits"]) == 2
    assert (
        "- name: support" in result.state["sources"][POLICY] or "support" in result.state["sources"][POLICY]
    )
    assert "turns: 1" in result.reply  # status answers after the edits
    assert len(conversation.store.messages("test:thread")) == 2


def test_an_unknown_column_is_answered_with_the_closest_match_and_nothing_changes(
    conversation: Conversation,
) -> None:
    before = conversation.session.state()
    assert before is not None
    result = conversation.say("rename column crm.customers.ful_name to customer_name")
    assert result.state["outcome"] == "rejected"
    assert "did you mean `full_name`" in result.reply and "Nothing was applied" in result.reply
    assert result.state["sources"] == before["sources"] and result.state["turn"] == 1


def test_one_bad_command_rejects_the_whole_turn(conversation: Conversation) -> None:
    result = conversation.say("rename column crm.customers.full_name to customer_name\nrenam table x y")
    assert result.state["outcome"] == "rejected"
    assert "is not a command" in result.reply and "rename table T to NAME" in result.reply
    assert "full_name varchar(200)" in result.state["sources"][ERD]


def test_an_edit_that_breaks_governance_is_rejected(conversation: Conversation) -> None:
    result = conversation.say('comment on crm.customers ""')  # table comments are required (error)
    assert result.state["outcome"] == "rejected"
    assert "governance findings" in result.reply and "metadata.table.comment" in result.reply
    assert result.state["sources"][ERD] == (EXAMPLE / ERD).read_text()


def test_undo_reverts_the_last_turn_once(conversation: Conversation) -> None:
    conversation.say("grant select on table crm.customers to `support` in prod")
    undone = conversation.say("undo")
    assert undone.state["outcome"] == "undone"
    assert undone.state["sources"][POLICY] == (EXAMPLE / POLICY).read_text()
    again = conversation.say("undo")
    assert again.reply == "Nothing to undo."
    assert "undo available: no" in conversation.say("status").reply


def test_undo_records_the_ops_it_reverted_and_a_rejected_turn_none(conversation: Conversation) -> None:
    conversation.say("grant select on table customers to `support` in prod")
    conversation.say("undo")
    conversation.say("drop column crm.customers.nope")
    payloads = [m.payload for m in conversation.store.messages("test:thread") if m.role == "assistant"]
    grant = {"op": "grant", "securable_kind": "table", "securable": "crm.customers", "principal": "support",
             "privileges": ["SELECT"], "environment": "prod"}  # fmt: skip
    assert [(p["outcome"], p["ops"]) for p in payloads] == [
        ("applied", [grant]),
        ("undone", [grant]),
        ("rejected", []),
    ]


def test_undo_with_edits_in_one_message_is_refused(conversation: Conversation) -> None:
    result = conversation.say("undo\nrename column crm.customers.full_name to customer_name")
    assert result.state["outcome"] == "rejected" and "on its own" in result.reply


def test_a_redelivered_event_runs_nothing(conversation: Conversation) -> None:
    with conversation.session.lock():
        first = conversation.session.turn({"event": "e1", "text": "tag crm.customers tier=gold"})
        again = conversation.session.turn({"event": "e1", "text": "tag crm.customers tier=gold"})
    assert again.duplicate and again.reply == first.reply
    assert len(conversation.store.messages("test:thread")) == 2


def test_hand_edits_are_adopted_before_the_turn(conversation: Conversation) -> None:
    edited = (EXAMPLE / ERD).read_text().replace("city varchar(100)", "town varchar(100)")
    result = conversation.say("status", adopted={ERD: edited})
    assert result.state["sources"][ERD] == edited
    assert {f.path: f.content for f in conversation.store.latest_files("test:thread")}[ERD] == edited


def test_the_state_keeps_sources_and_digests_not_generated_files(conversation: Conversation) -> None:
    state = conversation.say("status").state
    assert set(state["artifacts"]) >= {"model.json", "sql/prod/V0001__initial.sql", "docs/retail.md"}
    assert all(len(digest) == 64 for digest in state["artifacts"].values())
    assert len(repr(state)) < 4 * sum(len(text) for text in state["sources"].values())


# -- the LLM path -----------------------------------------------------------------------------------


class ScriptedToolModel(FakeMessagesListChatModel):
    """langchain_core's scripted model, with `bind_tools` (it has none): answers are scripted.
    `observe` (if set) runs at each call, e.g. to look at the database while the model "thinks"."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        self.__dict__.setdefault("bound_tools", []).extend(tools)
        return self

    def invoke(self, *args: Any, **kwargs: Any) -> Any:
        self.__dict__["calls"] = self.__dict__.get("calls", 0) + 1
        if self.__dict__.get("observe"):
            self.__dict__["observe"]()
        return super().invoke(*args, **kwargs)


def tool_call(name: str, **args: Any) -> AIMessage:
    return AIMessage(
        content="", tool_calls=[{"name": name, "args": args, "id": "call-1", "type": "tool_call"}]
    )


def test_free_text_goes_to_the_llm_and_its_tool_calls_are_validated_like_commands(
    memory_pool: MemoryPool,
) -> None:
    model = ScriptedToolModel(
        responses=[tool_call("RenameColumn", table="customers", column="full_name", new_name="customer_name")]
    )
    conversation = start_conversation(memory_pool, llm=model)
    result = conversation.say("please call the full name column customer_name")
    assert result.state["outcome"] == "applied"
    assert "customer_name varchar(200)" in result.state["sources"][ERD]
    assert model.__dict__["bound_tools"][0].__name__ == "RenameTable"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (tool_call("RenameColumn", table="customers", column="full_name"), "invalid RenameColumn"),
        (tool_call("DropTable", table="customers"), "unknown tool"),
        (tool_call("RenameColumn", table="customers", column="fullname", new_name="x"), "did you mean"),
        (AIMessage(content="I would rather chat"), "is not a command"),
    ],
)
def test_what_the_llm_proposes_is_never_trusted(
    memory_pool: MemoryPool, answer: AIMessage, expected: str
) -> None:
    conversation = start_conversation(memory_pool, llm=ScriptedToolModel(responses=[answer]))
    result = conversation.say("do something clever with the customers")
    assert result.state["outcome"] == "rejected" and expected in result.reply
    assert result.state["sources"][ERD] == (EXAMPLE / ERD).read_text()


def held_by_others(database_url: str, thread_id: str) -> dict[str, int]:
    """From a connection of its own: open transactions and advisory locks of the thread elsewhere."""
    key = thread_lock_key(thread_id)
    with psycopg.connect(database_url, autocommit=True) as conn:
        in_transaction = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND state LIKE 'idle in transaction%%' AND pid <> pg_backend_pid()"
        ).fetchone()
        locks = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND ((classid::bigint << 32) | objid::bigint) = %(key)s",
            {"key": key & 0xFFFFFFFFFFFFFFFF},
        ).fetchone()
    assert in_transaction is not None and locks is not None
    return {"transactions": in_transaction[0], "thread_locks": locks[0]}


def test_the_llm_is_asked_with_no_transaction_and_no_lock_held(
    memory_pool: MemoryPool, database_url: str
) -> None:
    model = ScriptedToolModel(
        responses=[tool_call("RenameColumn", table="customers", column="full_name", new_name="customer_name")]
        * 2
    )
    seen: list[dict[str, int]] = []
    model.__dict__["observe"] = lambda: seen.append(held_by_others(database_url, "test:thread"))
    conversation = start_conversation(memory_pool, llm=model)
    session = conversation.session
    with session.lock():  # the probe sees a held lock and an open transaction: it can tell
        assert held_by_others(database_url, "test:thread")["thread_locks"] == 1
    with memory_pool.connection() as conn, conn.transaction():
        conn.execute("SELECT 1")
        assert held_by_others(database_url, "test:thread")["transactions"] == 1

    # as a channel does: the proposal first, then the thread's lock and the turn's transaction
    turn = propose_turn({"event": "llm:1", "text": "call full_name customer_name"}, model, session.state,
                        session.derived)  # fmt: skip
    with session.lock():
        result = session.turn(turn)
    assert result.state["outcome"] == "applied" and model.__dict__["calls"] == 1
    # a session asked directly (the caller's lock aside) asks before its transaction too
    again = session.turn({"event": "llm:2", "text": "call customer_name full_name please"})
    assert (
        again.state["outcome"] == "rejected" and "`full_name` not found" in again.reply
    )  # resolved in the turn
    assert seen == [{"transactions": 0, "thread_locks": 0}] * 2


def test_a_redelivered_free_text_event_does_not_ask_the_llm_again(memory_pool: MemoryPool) -> None:
    model = ScriptedToolModel(
        responses=[
            tool_call(
                "Grant", privileges=["select"], securable_kind="table", securable="customers", principal="bi"
            )
        ]
    )
    conversation = start_conversation(memory_pool, llm=model)
    with conversation.session.lock():
        first = conversation.session.turn({"event": "e1", "text": "let bi read the customers"})
        again = conversation.session.turn({"event": "e1", "text": "let bi read the customers"})
    assert first.state["outcome"] == "applied" and again.duplicate and again.reply == first.reply
    assert model.__dict__["calls"] == 1


def test_the_openai_compatible_model_sends_tools_and_reads_tool_calls() -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(
            {
                "url": str(request.url),
                "auth": request.headers.get("authorization"),
                **json.loads(request.content),
            }
        )
        call = {"id": "c1", "type": "function", "function": {"name": "Classify", "arguments": json.dumps(
            {"table": "crm.customers", "column": "phone", "classification": "pii.phone"})}}  # fmt: skip
        return httpx.Response(
            200, json={"choices": [{"message": {"role": "assistant", "content": None, "tool_calls": [call]}}]}
        )

    model = OpenAICompatibleChatModel(
        base_url="https://llm.example/v1/", model="m", api_key="k", transport=httpx.MockTransport(handler)
    )
    project = initial_project()
    edits = propose_edits(model, "phone numbers are personal data", project)
    assert edits == [Classify(table="crm.customers", column="phone", classification="pii.phone")]
    assert seen[0]["url"] == "https://llm.example/v1/chat/completions" and seen[0]["auth"] == "Bearer k"
    assert {tool["function"]["name"] for tool in seen[0]["tools"]} >= {"RenameColumn", "Grant"}
    assert "crm.customers" in seen[0]["messages"][0]["content"]


def test_no_llm_is_configured_without_settings() -> None:
    assert configured_model({}) is None
    configured = configured_model(
        {"ACCELERATOR_LLM_BASE_URL": "http://localhost:8000/v1", "OPENAI_API_KEY": "k"}
    )
    assert configured is not None and configured.api_key == "k"


def initial_project() -> Any:
    state = initial_state("x")
    return DerivedCache().governed(Inputs.of(state), state["sources"]).project
