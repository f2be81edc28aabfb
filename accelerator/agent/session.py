"""One conversation thread on the memory: each turn is one PostgreSQL transaction.

A turn's transaction holds the graph's checkpoint (PostgresSaver on the turn's connection), the
user and assistant messages (keyed by the turn's event id) and the new file versions. Killed at any
point before COMMIT, the turn leaves no trace and is done again; after COMMIT it is complete, and
the channel writes the working tree from the committed state, idempotently. Callers hold
`lock()` (the thread's advisory lock) around each turn so that turns of one thread never interleave.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, cast

from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.types import Command
from psycopg import Connection
from psycopg.rows import DictRow

from accelerator.agent import replies
from accelerator.agent.crash import crash_point
from accelerator.agent.derived import DerivedCache, Inputs, LedgerMissing
from accelerator.agent.graph import compiled_graph
from accelerator.agent.limits import storable
from accelerator.agent.llm import ToolCallingModel, propose_turn
from accelerator.agent.nodes import AgentContext
from accelerator.agent.state import ConversationState, Turn
from accelerator.errors import AcceleratorError
from accelerator.gcpause import collection_paused
from accelerator.generate import Generation, MigrationHistory
from accelerator.memory import Conversation, MemoryPool, MemoryStore
from accelerator.memory.checkpoints import create_checkpoint_tables
from accelerator.memory.transactions import pooled_transaction
from accelerator.model.elements import Project
from accelerator.plan.migrations import SUM_FILE, migration_version


@dataclass
class TurnResult:
    reply: str
    state: ConversationState
    duplicate: bool = False  # the event was handled before (a redelivery): nothing ran
    since: str | None = None  # for a duplicate: what became of its edits since (e.g. "since undone")
    # The turn's generation when it rendered (None: it changed nothing, or the sources do not
    # build): `added` its new migrations, `removed` the generated files it took away
    generation: Generation | None = None

    @property
    def removed(self) -> list[str]:
        """Generated files (relative to the output directory) the channel deletes: a migration
        withdrawn by an undo, the baseline of an environment that caught up."""
        return list(self.generation.removed) if self.generation is not None else []

    @property
    def rejected(self) -> bool:
        """The turn was refused (nothing applied), now or when it was first handled."""
        if self.duplicate:
            return replies.is_rejection(self.reply)
        return self.state.get("outcome") == "rejected"


def _since(store: MemoryStore, thread_id: str, source_id: str) -> str | None:
    """Whether the edits of an applied turn were undone later, replaying the undo and redo stacks
    from the recorded outcomes. Read only for a redelivered event."""
    outcomes = [
        (message.source_id, (message.payload or {}).get("outcome"))
        for message in store.messages(thread_id)
        if message.role == "assistant" and isinstance(message.payload, dict)
    ]
    if (source_id, "applied") not in outcomes:
        return None
    applied: list[str | None] = []
    undone: list[str | None] = []
    for source, outcome in outcomes:
        if outcome == "applied":
            applied.append(source)
            undone.clear()
        elif outcome == "undone" and applied:
            undone.append(applied.pop())
        elif outcome == "redone" and undone:
            applied.append(undone.pop())
    return None if source_id in applied else "since undone"


def storable_turn(turn: Turn) -> Turn:
    """The turn with text the memory can store (NUL and lone surrogates as U+FFFD); its event id,
    and so its identity, stays what the channel made it from the original text."""
    text, author = turn.get("text", ""), turn.get("author")
    clean_text, clean_author = storable(text), storable(author) if author else author
    if clean_text == text and clean_author == author:
        return turn
    return {**turn, "text": clean_text, "author": clean_author}


def _state_of(values: Mapping[str, Any]) -> dict[str, Any]:
    """The thread's state as `get_state` reads it back, from what `invoke` returned (which adds the
    pending interrupt)."""
    return {key: value for key, value in values.items() if key != "__interrupt__"}


class ConversationSession:
    def __init__(
        self,
        pool: MemoryPool,
        thread_id: str,
        *,
        schema: str = "accelerator",
        channel: str = "cli",
        llm: ToolCallingModel | None = None,
        terraform: bool = False,
        backend: dict[str, dict[str, Any]] | None = None,
        output_prefix: str = "generated",
        record_generated: bool = True,
        history: MigrationHistory | None = None,
    ) -> None:
        """`history`: the migrations the thread's opening starts from (the working tree's output
        directory, or the pull request base's); none: each environment starts at `V0001__initial`.
        `output_prefix`: where the generated files are, as the memory records them."""
        self.pool = pool
        self.thread_id = thread_id
        self.schema = schema
        self.channel = channel
        self.store = MemoryStore(pool, schema)
        self.derived = DerivedCache(base=history or MigrationHistory(None, output=output_prefix))
        self.derived.loader = partial(self._load_ledger, self.store)
        self.llm = llm
        self.terraform = terraform
        self.backend = backend
        self.output_prefix = output_prefix
        self.record_generated = record_generated
        # Compiled once per process; each transaction gets a copy bound to its connection's checkpointer.
        self.graph = compiled_graph()
        self.config: Any = {"configurable": {"thread_id": thread_id}}
        create_checkpoint_tables(pool, schema)  # once per process, pool and schema
        # While this session holds the thread's lock (in the thread that took it), nobody else can
        # change the thread's state: `state()` answers from the last state read or committed since.
        self._lock_holder: int | None = None
        self._known: dict[str, Any] | None = None

    def open(
        self, repo: str | None = None, pr_number: int | None = None, *, created_by: int | None = None
    ) -> Conversation:
        """The conversation's row, created by `created_by` (users.id) if it is new."""
        return self.store.open_conversation(
            self.thread_id, self.channel, repo=repo, pr_number=pr_number, created_by=created_by
        )

    def lock(self) -> AbstractContextManager[None]:
        return self._locked()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self.store.thread_lock(self.thread_id):
            self._lock_holder, self._known = threading.get_ident(), None
            try:
                yield
            finally:
                self._lock_holder, self._known = None, None

    def _remember(self, values: dict[str, Any] | None) -> None:
        """The thread's state now, as read or committed under the lock (None: not known)."""
        if self._lock_holder == threading.get_ident():
            self._known = values

    def state(self) -> ConversationState | None:
        """The state as of the last completed turn, or None for a thread that never started. Under
        `lock()` it is read once: after that, the turns this session commits are the only changes.
        Read-only: the top level is a copy, the values (sources, findings, ...) are the remembered
        state's own; a caller that changes one must copy it first."""
        if self._known is not None and self._lock_holder == threading.get_ident():
            return cast(ConversationState, dict(self._known))
        snapshot = self.store._run(lambda conn: self._graph(conn).get_state(self.config), transaction=False)
        self._remember(dict(snapshot.values) if snapshot.values else None)
        return cast(ConversationState, snapshot.values) if snapshot.values else None

    def start(self, initial: ConversationState) -> TurnResult:
        """Load the sources into a new thread; a thread that already started is returned as it is."""
        self._remember(None)  # until committed: a failed COMMIT may or may not have happened
        with self._transaction() as (conn, context):
            graph = self._graph(conn)
            existing = graph.get_state(self.config).values
            if existing:
                self._remember(dict(existing))
                return TurnResult(
                    existing.get("reply", ""), cast(ConversationState, existing), duplicate=True
                )
            with collection_paused():  # the turn's model lives on: see gcpause.py
                values = self._invoke(graph, initial, context)
            crash_point("turn.checkpointed")
        crash_point("turn.committed")
        self._remember(_state_of(values))
        return TurnResult(values["reply"], cast(ConversationState, values), generation=context.generation)

    def turn(self, turn: Turn) -> TurnResult:
        """Run one human turn; an event already handled returns its stored reply and runs nothing.

        The LLM (if any) is asked first, outside the turn's transaction: a slow model holds no
        transaction. A caller that locks the thread calls `propose` before `lock()`, so that it
        holds no lock either."""
        crash_point("turn.begin")
        turn = self.propose(storable_turn(turn))
        known, self._known = self._known, None  # until committed (see start)
        with self._transaction() as (conn, context):
            graph = self._graph(conn)
            stored = context.store.stored_reply(f"{turn['event']}:assistant")
            crash_point("turn.event_checked")
            if stored is not None:
                if known is None or self._lock_holder != threading.get_ident():
                    known = dict(graph.get_state(self.config).values)
                self._remember(known)
                state = cast(ConversationState, dict(known))
                since = _since(context.store, self.thread_id, f"{turn['event']}:assistant")
                return TurnResult(stored, state, duplicate=True, since=since)
            with collection_paused():
                values = self._invoke(graph, Command(resume=turn), context)
            crash_point("turn.checkpointed")
        crash_point("turn.committed")
        self._remember(_state_of(values))
        return TurnResult(values["reply"], cast(ConversationState, values), generation=context.generation)

    def _invoke(self, graph: Any, value: Any, context: AgentContext) -> dict[str, Any]:
        """Run the graph in the turn's transaction; a ledger the memory lacks is the channel's error."""
        self.derived.loader = partial(self._load_ledger, context.store)  # the turn's own transaction
        try:
            return cast(dict[str, Any], graph.invoke(value, self.config, context=context, durability="exit"))
        except LedgerMissing as error:
            raise AcceleratorError(
                str(error),
                hint="the memory records the generated files of each turn unless the session is told not to "
                "(record_generated=False); start a new thread from the working tree",
            ) from None
        finally:
            self.derived.loader = partial(self._load_ledger, self.store)

    def propose(self, turn: Turn) -> Turn:
        """The turn with the LLM's proposal for a text the grammar does not parse (once per turn)."""
        turn = storable_turn(turn)
        if self.llm is None or "proposed" in turn or "proposal_error" in turn:
            return turn

        def answered(event: str) -> bool:  # a redelivered event asks no model
            return self.store.stored_reply(f"{event}:assistant") is not None

        return propose_turn(turn, self.llm, self.state, self.derived, answered=answered)

    def generation(self, state: ConversationState) -> Generation | None:
        """The generated files of a state (cached; recomputed after a restart, its migrations read
        from the memory), None if it does not build. Each environment's SQL is its versioned
        migrations and migrations.sum, as the state's last turn left them."""
        inputs = replace(Inputs.of(state), renames=())  # settled: no change is pending
        try:
            return self.derived.generation(
                inputs, state["sources"], terraform=self.terraform, backend=self.backend
            )
        except AcceleratorError:
            return None
        except LedgerMissing as error:
            raise AcceleratorError(str(error), hint="start a new thread from the working tree") from None

    def _load_ledger(self, store: MemoryStore, files: Mapping[str, str]) -> MigrationHistory:
        """The migrations of a generation, from the file versions the memory recorded: `files`
        (path relative to the output directory -> sha256) name them. A migration first recorded by
        a turn (not the opening) was made by the conversation: it can be withdrawn, when the model
        is again the model.json recorded last before that turn."""
        prefix = f"{self.output_prefix}/"
        latest = {
            f.path[len(prefix) :]: f for f in store.latest_files(self.thread_id) if f.path.startswith(prefix)
        }
        for path, digest in sorted(files.items()):
            stored = latest.get(path)
            if stored is None or stored.sha256 != digest:
                raise LedgerMissing(
                    f"thread {self.thread_id}: the memory does not hold {prefix}{path} as its last turn "
                    f"generated it (sha256 {digest[:12]})"
                )
        first_turn: dict[str, int] = {}
        models: list[tuple[int, str]] = []  # (turn, sha256) of each model.json the turns generated
        for version in store.turn_files(self.thread_id):
            path = version.path[len(prefix) :]
            if version.path.startswith(prefix) and path in files:
                first_turn[path] = min(first_turn.get(path, version.turn), version.turn)
            if version.path == f"{prefix}model.json":
                models.append((version.turn, version.sha256))
        migrations: dict[str, dict[str, str]] = {}
        sums: dict[str, str | None] = {}
        withdrawable: dict[str, dict[str, str]] = {}
        for path in files:
            parts = path.split("/")
            if len(parts) != 3 or parts[0] != "sql":
                continue
            if migration_version(parts[2]) is not None:
                migrations.setdefault(parts[1], {})[parts[2]] = latest[path].content
                made = first_turn.get(path, 0)
                before = [sha for turn, sha in sorted(models) if turn < made]  # the model before it
                if made > 0 and before:
                    withdrawable.setdefault(parts[1], {})[parts[2]] = before[-1]
            elif parts[2] == SUM_FILE:
                sums[parts[1]] = latest[path].content
        model = files.get("model.json") and latest["model.json"].content
        return MigrationHistory(
            Project.model_validate_json(model) if model else None,
            migrations,
            sums,
            approvals=self.derived.base.approvals,
            output=self.output_prefix,
            withdrawable=withdrawable,
        )

    @contextmanager
    def _transaction(self) -> Iterator[tuple[Connection[DictRow], AgentContext]]:
        with pooled_transaction(self.pool) as conn:
            store = MemoryStore.in_transaction(conn, self.schema)
            yield (
                conn,
                AgentContext(
                    store=store,
                    derived=self.derived,
                    terraform=self.terraform,
                    backend=self.backend,
                    output_prefix=self.output_prefix,
                    record_generated=self.record_generated,
                ),
            )

    def _graph(self, conn: Connection[DictRow]) -> Any:
        return self.graph.copy({"checkpointer": PostgresSaver(conn)})
