"""The graph's nodes. Each takes the state and the runtime context and returns a state update.

Side effects happen in `publish` only (messages and files, through the context's store, inside the
turn's transaction); everything else is a pure function of the state, so a turn that dies before
its transaction commits is simply done again from the last checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from langgraph.runtime import Runtime
from langgraph.types import interrupt
from pydantic import TypeAdapter, ValidationError

from accelerator.agent import replies
from accelerator.agent.crash import crash_point
from accelerator.agent.derived import DerivedCache, Inputs, LedgerMissing
from accelerator.agent.limits import (
    MAX_EDITS_PER_MESSAGE,
    MAX_MESSAGE_CHARS,
    MAX_UNDO_LEVELS,
    bounded_reply,
    storable,
)
from accelerator.agent.state import (
    ApprovalRecord,
    ConversationState,
    HeldTurn,
    Revision,
    Turn,
    hashes_of,
    hunk,
    restored_text,
    sha256,
)
from accelerator.edit.approval_edits import Allow
from accelerator.edit.commands import parse_commands
from accelerator.edit.conversation_commands import Explain
from accelerator.edit.governance_edits import policy_follow_up, starting_policy
from accelerator.edit.names import ModelNames
from accelerator.edit.operation import EditBase, Question, resolve
from accelerator.edit.operations import EditOp, ParsedCommand
from accelerator.edit.patch import patch_sources
from accelerator.erd import ParsedErd
from accelerator.errors import AcceleratorError
from accelerator.generate import Generation, Governed
from accelerator.memory import FileKind, MemoryStore, NewFile, Role
from accelerator.plan.gates import Approval, Gate, approval_of, describe_gate, gate_to_approve, gates_in
from accelerator.plan.migrations import migration_version
from accelerator.policy.weakening import weakened, weakening_digest
from accelerator.render.cache import same_content

EDIT_OPS: TypeAdapter[EditOp] = TypeAdapter(EditOp)
UNDO_OPS = frozenset({"undo", "redo"})  # answered by the `undo` node, never combined with edits
MAX_APPROVALS = 100  # approvals a thread's state keeps (the channel has written the older ones)
MAX_GATES = 2_000  # gates a turn may carry from its channel
APPROVERS = frozenset({"admin", "maintain"})  # repository permissions that may approve and confirm
CHANGING_OUTCOMES = ("applied", "undone", "redone")  # outcomes that change the sources
COMMANDS: TypeAdapter[ParsedCommand] = TypeAdapter(ParsedCommand)


@dataclass
class AgentContext:
    """What the nodes use besides the state; never checkpointed."""

    store: MemoryStore  # bound to the turn's transaction
    derived: DerivedCache = field(default_factory=DerivedCache)
    terraform: bool = False
    backend: dict[str, dict[str, Any]] | None = None
    output_prefix: str = "generated"  # where generated files are recorded, relative to the project
    record_generated: bool = True
    generation: Generation | None = None  # the last render, for the channel to write out
    artifacts: dict[str, str] = field(default_factory=dict)  # sha256 of each of `generation.files`


Ctx = Runtime[AgentContext]


def _governed(state: ConversationState, ctx: AgentContext, sources: dict[str, str] | None = None) -> Governed:
    return ctx.derived.governed(Inputs.of(state), sources if sources is not None else state["sources"])


def _governed_or_none(state: ConversationState, ctx: AgentContext) -> Governed | None:
    try:
        return _governed(state, ctx)
    except AcceleratorError:
        return None


# -- opening ----------------------------------------------------------------------------------------


def load(state: ConversationState) -> dict[str, Any]:
    """The session's first step: the working tree's sources become the thread's."""
    sources = state["sources"]
    return {
        "hashes": hashes_of(sources),
        "previous": {},  # read only by threads without a stack (`_undo_stack`)
        "undoable": False,
        "turn": 0,
        "last_edits": [],
        "last_ops": [],
        "artifacts": {},
        "outcome": "opened",
        "message": None,
        "changed": sorted(sources),
    }


def govern(state: ConversationState, runtime: Ctx) -> dict[str, Any]:
    try:
        summary = replies.summarize_findings(_governed(state, runtime.context).findings)
    except AcceleratorError as error:
        summary = replies.broken_sources(error)
    crash_point("govern.done")
    return {"findings": summary}


def render(state: ConversationState, runtime: Ctx) -> dict[str, Any]:
    ctx = runtime.context
    try:
        generation = ctx.derived.generation(
            Inputs.of(state), state["sources"], terraform=ctx.terraform, backend=ctx.backend
        )
    except AcceleratorError:
        return {}  # broken sources: `govern` reported why; the last good artifacts stay
    ctx.generation = generation
    artifacts = ctx.artifacts = hashes_of(generation.files)
    before = state.get("artifacts") or {}
    crash_point("render.done")
    return {
        "artifacts": artifacts,
        "changed_artifacts": [path for path, digest in artifacts.items() if before.get(path) != digest],
    }


# -- a human turn -----------------------------------------------------------------------------------


def wait(state: ConversationState) -> dict[str, Any]:
    """Stop until the next human turn; nothing before `interrupt()` has effects (it runs again on resume)."""
    crash_point("wait.before_interrupt")
    turn: Turn = interrupt({"thread_id": state["thread_id"], "turn": state.get("turn", 0)})
    return {
        "message": turn,
        "reply": "",
        "outcome": "answered",
        "pending": [],
        "info": [],
        "changed": [],
        "confirming": None,
        "notices": [],
        "recorded": {},
    }


def interpret(state: ConversationState, runtime: Ctx) -> dict[str, Any]:
    """Message -> validated commands. Hand edits of the working tree are adopted first."""
    message = state["message"]
    assert message is not None
    update: dict[str, Any] = {"turn": state.get("turn", 0) + 1}
    adopted = {f: t for f, t in (message.get("adopted") or {}).items() if state["sources"].get(f) != t}
    if adopted:
        sources = {**state["sources"], **adopted}
        update |= _changed_sources(state, sources, list(adopted), undoable=False)
        state = {**state, **update}  # type: ignore[typeddict-item]
    if len(message["text"]) > MAX_MESSAGE_CHARS:
        return update | {"outcome": "rejected", "reply": replies.too_long(len(message["text"]))}
    parsed = parse_commands(message["text"])
    crash_point("interpret.parsed")
    commands: list[ParsedCommand] = list(parsed.commands)
    if parsed.errors:  # the LLM's proposal, if one was asked before the turn (llm.propose_turn)
        if message.get("proposal_error"):
            return update | {"outcome": "rejected", "reply": replies.rejected(message["proposal_error"])}
        if not message.get("proposed"):
            return update | {"outcome": "rejected", "reply": replies.syntax_errors(parsed.errors)}
        try:
            commands = [EDIT_OPS.validate_python(raw) for raw in message["proposed"]]
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
            reason = f"the language model proposed an invalid edit: {problems}"
            return update | {"outcome": "rejected", "reply": replies.rejected(reason)}
    edits = [c for c in commands if isinstance(c, EditBase)]
    others = [c for c in commands if not isinstance(c, EditBase)]
    if len(edits) > MAX_EDITS_PER_MESSAGE:
        return update | {"outcome": "rejected", "reply": replies.too_many_edits(len(edits))}
    if edits and any(c.op in UNDO_OPS for c in others):
        reason = "`undo` and `redo` cannot be combined with edits in one message: send each on its own."
        return update | {"outcome": "rejected", "reply": replies.rejected(reason)}
    if not commands:
        return update | {"reply": replies.help_text()}
    held = state.get("held")
    if any(c.op == "confirm" for c in others):
        return update | _confirm(held, message, edits, others)
    if any(c.op == "allow" for c in others):
        if sum(c.op == "allow" for c in others) > MAX_EDITS_PER_MESSAGE:
            return update | {"outcome": "rejected", "reply": replies.too_many_edits(len(others))}
        if edits or any(c.op in UNDO_OPS for c in others):
            reason = (
                "`allow` approves the changes there are now: send it on its own, before or after the edits."
            )
            return update | {"outcome": "rejected", "reply": replies.rejected(reason)}
        update |= _allow(state, runtime.context, message, [c for c in others if c.op == "allow"])
        if update.get("outcome") == "rejected":
            return update
        others = [c for c in others if c.op != "allow"]
    if held is not None and (edits or any(c.op in UNDO_OPS for c in others)):
        update |= {"held": None, "notices": [replies.held_discarded(held)]}  # another edit drops them
    crash_point("interpret.done")
    return update | {
        "pending": [e.model_dump(mode="json") for e in edits],
        "info": [c.model_dump(mode="json") for c in others],
    }


def _confirm(
    held: HeldTurn | None, message: Turn, edits: list[EditBase], others: list[ParsedCommand]
) -> dict[str, Any]:
    """A `confirm` turn: the held edits become the turn's, to be applied if their weakening is
    still the one shown (checked by `apply`)."""
    if edits or any(c.op != "confirm" for c in others):
        return {"outcome": "rejected", "reply": replies.confirm_alone()}
    if held is None:
        return {"outcome": "rejected", "reply": replies.nothing_to_confirm()}
    author, permission = message.get("author"), message.get("permission")
    if permission is not None and author != held["author"] and permission not in APPROVERS:
        return {"outcome": "rejected", "reply": replies.confirm_not_allowed(held, author)}
    return {"pending": held["ops"], "info": [], "held": None, "confirming": held}


def _allow(
    state: ConversationState, ctx: AgentContext, message: Turn, commands: list[ParsedCommand]
) -> dict[str, Any]:
    """Approve each destructive change named (all or none), bound to the change as the migrations
    hold it: the turn's `gates` where the channel passes them (a pull request: its base's migrations
    and the pending diff), else the conversation's own migrations (its generation). The channel
    writes the approvals (the state's `approvals`) to approvals.json after the turn."""

    def refused(reason: str) -> dict[str, Any]:
        return {"outcome": "rejected", "reply": replies.rejected(reason)}

    author, permission = message.get("author"), message.get("permission")
    if not author:
        return refused("An approval records who gave it, and this turn has no author.")
    if permission is not None and permission not in APPROVERS:
        return refused(
            f"Only a maintainer (maintain or admin permission) can approve a destructive change; "
            f"{author} has {permission} permission."
        )
    governed = _governed_or_none(state, ctx)
    if governed is None:
        return refused("The sources do not build a model (see the findings): fix them before approving.")
    raw_gates = message.get("gates")
    if raw_gates is not None and len(raw_gates) > MAX_GATES:
        return refused(
            f"The migrations hold {len(raw_gates):,} destructive changes, more than {MAX_GATES:,}."
        )
    gates = [Gate(**record) for record in raw_gates] if raw_gates is not None else _own_gates(state, ctx)
    if gates is None:
        return refused(
            "This conversation keeps no versioned migrations, so an approval cannot be bound to a change "
            "here: approve it in the terminal with `accelerator allow CODE on OBJECT`."
        )
    given = message.get("approvals")
    known = (
        [Approval(**record) for record in given] if given is not None else list(ctx.derived.base.approvals)
    )
    known += map(_approval, state.get("approvals") or [])
    allow_destructive = governed.policy.spec.rules.migrations.allow_destructive
    approved_at = message.get("received_at") or datetime.now(UTC).isoformat(timespec="seconds")
    new: list[ApprovalRecord] = []
    covered: list[str] = []
    for command in commands:
        assert isinstance(command, Allow)
        try:
            environment = ModelNames(governed.project).environment(command.environment)
            gate = gate_to_approve(
                command.code,
                command.object,
                environment,
                gates,
                [*known, *map(_approval, new)],
                allow_destructive,
            )
        except AcceleratorError as error:
            return refused(f"`{command.describe()}`: {error.format()}")
        approval = approval_of(gate, environment, author, approved_at)
        new.append(ApprovalRecord(**asdict(approval)))  # type: ignore[typeddict-item]
        covered.append(describe_gate(gate))
    approvals = [*(state.get("approvals") or []), *new][-MAX_APPROVALS:]
    return {
        "outcome": "answered",
        "reply": replies.approved(new, covered),
        "approvals": approvals,
        "recorded": {"approvals": list(new)},
    }


def _approval(record: ApprovalRecord) -> Approval:
    return Approval(**record)


def _own_gates(state: ConversationState, ctx: AgentContext) -> list[Gate] | None:
    """The destructive changes of the conversation's migrations (`sql/<env>/V*.sql` of its
    generation); None when it generates no versioned migrations."""
    try:
        generation = ctx.derived.generation(
            Inputs.of(state), state["sources"], terraform=ctx.terraform, backend=ctx.backend
        )
    except (AcceleratorError, LedgerMissing):
        return None
    gates: list[Gate] = []
    versioned = False
    for path, text in generation.files.items():
        parts = path.split("/")
        if len(parts) == 3 and parts[0] == "sql" and migration_version(parts[2]) is not None:
            versioned = True
            gates += gates_in(f"{ctx.output_prefix}/{path}", text, parts[1])
    return gates if versioned else None


def after_interpret(state: ConversationState) -> str:
    if state.get("outcome") in ("rejected", "answered") and state.get("reply"):
        return "publish"  # refused, or answered whole (help, an approval)
    if any(c["op"] in UNDO_OPS for c in state.get("info") or []):
        return "undo"
    return "apply" if state.get("pending") else "publish"


def _changed_sources(
    state: ConversationState, sources: dict[str, str], changed: list[str], *, undoable: bool
) -> dict[str, Any]:
    """The update for a turn that changes `changed`. An undoable change keeps the texts just before
    it (after any hand edit adopted in the same turn, so that `undo` never drops a hand edit)."""
    update: dict[str, Any] = {
        "sources": sources,
        "hashes": hashes_of(sources),
        "changed": sorted({*(state.get("changed") or []), *changed}),
    }
    if undoable:
        message = state.get("message") or {}
        before = {f: state["sources"][f] for f in changed if f in state["sources"]}
        revision = Revision(
            turn=state.get("turn", 0),
            author=message.get("author"),
            edits=[],
            ops=[],
            restore={f: hunk(sources[f], text) for f, text in before.items()},
            expect={f: sha256(sources[f]) for f in before},
        )
        stack = [*_undo_stack(state), revision][-MAX_UNDO_LEVELS:]
        update |= {"undo_stack": stack, "redo_stack": [], "previous": before, "undoable": True}
    return update


def _undo_stack(state: ConversationState) -> list[Revision]:
    """The undo stack; a thread checkpointed before there was one has its one `previous` level."""
    if "undo_stack" in state:
        return list(state.get("undo_stack") or [])
    previous = state.get("previous") or {}
    if not state.get("undoable") or not previous:
        return []
    sources = state["sources"]
    expect = {f: sha256(sources[f]) for f in previous if f in sources}
    edits, ops = state.get("last_edits") or [], state.get("last_ops") or []
    return [
        Revision(
            turn=state.get("turn", 0),
            author=None,
            edits=edits,
            ops=ops,
            restore={f: hunk(sources[f], text) for f, text in previous.items() if f in sources},
            expect=expect,
        )
    ]


def apply(state: ConversationState, runtime: Ctx) -> dict[str, Any]:
    """Patch the sources, op by op, each resolved against the model the previous one produced."""
    ctx, inputs = runtime.context, Inputs.of(state)
    ops = [EDIT_OPS.validate_python(raw) for raw in state.get("pending") or []]
    sources = dict(state["sources"])
    descriptions: list[str] = []
    applied: list[dict[str, Any]] = []  # the resolved edits, as JSON, for the message's payload
    changed: list[str] = []
    parsed: dict[str, ParsedErd] = {}  # the verifying re-parses of the last op, which governance takes over
    notes: list[str] = []  # what the turn did besides its edits (a policy file created, classes kept)
    try:
        before_governed = _governed(state, ctx)
        before = before_governed.findings
        for op in ops:
            governed = ctx.derived.governed(inputs, sources, parsed)
            parsed = {}
            try:
                resolved = resolve(op, governed.project).op
                descriptions.append(resolved.describe())
                applied.append(resolved.model_dump(mode="json"))
                if op.writes == "policy" and inputs.policy_file is None:
                    created, sources[created] = starting_policy()
                    inputs = replace(inputs, policy_file=created)
                    changed.append(created)
                    notes.append(
                        f"created {created} from the built-in policy: add `policy: {created}` to "
                        "accelerator.yaml so that later runs read it"
                    )
                patched = patch_sources(
                    resolved,  # with the model's names: a policy entry says `sales.orders`, not `orders`
                    governed.project,
                    sources,
                    policy_file=inputs.policy_file,
                    formats=inputs.formats,
                    dialects=inputs.dialects,
                    default_schemas=inputs.default_schemas,
                    erd_model=governed.model,
                    parsed=parsed,
                )
            except AcceleratorError as error:
                raise _TurnRejected(f"`{op.describe()}`: {error.format()}") from None
            sources.update(patched)
            changed.extend(file for file in patched if file not in changed)
            follow = policy_follow_up(governed.project, resolved, inputs.policy_file, sources)
            if follow is not None:  # a classified column keeps its class through a rename or a move
                sources[follow.file] = follow.text
                changed.extend([follow.file] if follow.file not in changed else [])
                notes.extend(follow.notes)
                inputs = replace(inputs, policy_file=follow.file)
            crash_point("apply.patched")
        after_governed = ctx.derived.governed(inputs, sources, parsed)
        after = after_governed.findings
        # One render pass: the weakening check compares only the tables whose content keys (the
        # generation's, and those kept of the last one's model) differ.
        with ctx.derived.render_pass():
            # The new sources must generate too (cached: `render` takes this very generation).
            ctx.derived.generation(inputs, sources, terraform=ctx.terraform, backend=ctx.backend)
            lost = weakened(
                before_governed.project,
                after_governed.project,
                after_governed.policy,
                same_content=same_content,
            )
    except _TurnRejected as rejected:
        return {"outcome": "rejected", "reply": replies.rejected(rejected.reason)}
    except AcceleratorError as error:  # the patched sources no longer build a valid model
        return {"outcome": "rejected", "reply": replies.does_not_build(error)}
    summary, previous_summary = replies.summarize_findings(after), replies.summarize_findings(before)
    new_errors = {
        rule: count - previous_summary["by_rule"].get(rule, 0)
        for rule, count in summary["by_rule"].items()
        if count > previous_summary["by_rule"].get(rule, 0)
    }
    if new_errors:
        return {"outcome": "rejected", "reply": replies.governance_gate(new_errors, summary)}
    needs_confirmation = [finding for finding in lost if finding.severity == "error"]
    confirming, author = state.get("confirming"), (state.get("message") or {}).get("author")
    recorded: dict[str, Any] = {}
    if confirming is not None:  # `confirm`: the weakening must be the one shown when it was held
        if not needs_confirmation or weakening_digest(needs_confirmation) != confirming["weakening"]:
            return {"outcome": "rejected", "reply": replies.weakening_changed(confirming, lost)}
        notes.append(replies.confirmed_note(confirming, author))
        recorded["confirmation"] = {
            "confirmed_by": author,
            "requested_by": confirming["author"],
            "held_turn": confirming["turn"],
            "weakening": confirming["weakening"],
            "lost": replies.weakening_lines(lost),
        }
    elif needs_confirmation:  # held until a `confirm`
        held = HeldTurn(
            turn=state.get("turn", 0),
            author=author,
            ops=list(state.get("pending") or []),
            edits=descriptions,
            weakening=weakening_digest(needs_confirmation),
            lost=replies.weakening_lines(lost),
        )
        return {"outcome": "rejected", "reply": replies.weakening_gate(lost), "held": held}
    crash_point("apply.done")
    update = _changed_sources(state, sources, changed, undoable=True)
    update["undo_stack"][-1] |= {"edits": descriptions, "ops": applied}
    return update | {
        "outcome": "applied",
        "last_edits": descriptions,
        "last_ops": applied,
        "recorded": recorded,
        "reply": replies.applied(descriptions, summary, changed, notes=notes, weakened=lost),
        **({"policy_file": inputs.policy_file} if inputs.policy_file != state.get("policy_file") else {}),
    }


class _TurnRejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def undo(state: ConversationState) -> dict[str, Any]:
    """`undo` takes the last revision off the undo stack, `redo` the last undone one back; either
    is refused when its files changed since (a hand edit adopted in between would be lost)."""
    redo = any(c["op"] == "redo" for c in state.get("info") or [])
    undo_stack, redo_stack = _undo_stack(state), list(state.get("redo_stack") or [])
    source, target = (redo_stack, undo_stack) if redo else (undo_stack, redo_stack)
    verb = "redo" if redo else "undo"
    if not source:
        return {"outcome": "answered", "reply": f"Nothing to {verb}."}
    revision = source.pop()
    message = state.get("message") or {}
    whose = replies.whose(revision, message.get("author"))
    author, permission = message.get("author"), message.get("permission")
    if permission is not None and author != revision["author"] and permission not in APPROVERS:
        # in a pull request, only the edit's author or a maintainer takes somebody's edit back
        return {
            "outcome": "answered",
            "reply": f"Only {revision['author'] or 'its author'} or a maintainer (maintain or admin "
            f"permission) can {verb} {whose}; {author} has {permission} permission. Nothing changed.",
        }
    sources = state["sources"]
    moved = [f for f, digest in sorted(revision["expect"].items()) if sha256(sources.get(f, "")) != digest]
    if moved:
        return {"outcome": "answered", "reply": replies.cannot_undo(verb, revision, whose, moved)}
    texts = {f: restored_text(sources.get(f, ""), change) for f, change in revision["restore"].items()}
    restored = {**sources, **texts}
    inverse = Revision(
        turn=revision["turn"],
        author=revision["author"],
        edits=revision["edits"],
        ops=revision["ops"],
        restore={f: hunk(text, sources.get(f, "")) for f, text in texts.items()},
        expect={f: sha256(text) for f, text in texts.items()},
    )
    target.append(inverse)
    update = _changed_sources(state, restored, list(revision["restore"]), undoable=False)
    crash_point("undo.done")
    stacks = (source, target) if not redo else (target, source)
    done = "Redone" if redo else "Undone"
    return update | {
        "undo_stack": stacks[0][-MAX_UNDO_LEVELS:],
        "redo_stack": stacks[1][-MAX_UNDO_LEVELS:],
        "undoable": bool(stacks[0]),
        "previous": {},  # read only by threads without a stack (`_undo_stack`)
        "outcome": "redone" if redo else "undone",
        "last_edits": [f"{verb}: {text}" for text in revision["edits"]],
        "last_ops": revision["ops"],
        "reply": f"{done}: "
        + ("; ".join(revision["edits"]) or "the last turn")
        + f" ({whose})\nrestored: {', '.join(sorted(revision['restore']))}",
    }


def after_change(state: ConversationState) -> str:
    return "govern" if state.get("outcome") in CHANGING_OUTCOMES or state.get("changed") else "publish"


# -- publish --------------------------------------------------------------------------------------------


def publish(state: ConversationState, runtime: Ctx) -> dict[str, Any]:
    """Compose the reply and record the turn: messages and changed files, in the turn's transaction."""
    ctx = runtime.context
    reply = state.get("reply") or ""
    if state.get("outcome") == "opened":
        reply = replies.opening(state)
    if state.get("outcome") in ("undone", "redone"):
        reply = _join(reply, replies.findings_line(state["findings"]))
    for raw in state.get("info") or []:
        answer = _answer(COMMANDS.validate_python(raw), state, ctx)
        reply = _join(reply, answer) if answer else reply
    for notice in state.get("notices") or []:
        reply = _join(reply, notice)
    reply = bounded_reply(storable(reply))
    store, thread = ctx.store, state["thread_id"]
    message = state.get("message")
    turn, user_id = state.get("turn", 0), (message or {}).get("user_id")
    policy_file = state.get("policy_file")
    kind = {file: FileKind.POLICY if file == policy_file else FileKind.ERD for file in state["sources"]}
    reply_id: int | None = None  # the assistant message: the turn's own file versions link to it
    crash_point("publish.before_messages")
    if message is not None:
        raw_source = message.get("source")  # JSON strings cannot hold a NUL: stored as U+FFFD
        source = {k: storable(v) if isinstance(v, str) else v for k, v in (raw_source or {}).items()}
        say = partial(store.append_message, thread, turn=turn, source=source or None,
                      commit_sha=message.get("commit_sha"))  # fmt: skip
        # Hand edits the turn took in are their own entry, with their versions, before the user's
        # words: who changed what stays answerable when the turn's edits change the file again.
        adopted = message.get("adopted") or {}
        hand_edited = sorted(f for f in adopted if f in (state.get("changed") or []) and f in kind)
        if hand_edited:
            entry = say(Role.SYSTEM, f"adopted hand edits of {', '.join(hand_edited)}",
                        author=message.get("author"), user_id=user_id,
                        payload={"turn": turn, "adopted": {f: sha256(adopted[f]) for f in hand_edited}},
                        source_id=f"{message['event']}:adopted")  # fmt: skip
            hand_files = [NewFile(f, kind[f], adopted[f]) for f in hand_edited]
            store.record_files(
                thread, hand_files, turn=turn, user_id=user_id, message_id=entry.id, adopted=True
            )
        say(Role.USER, storable(message["text"]), author=message.get("author"),
            source_id=f"{message['event']}:user", user_id=user_id)  # fmt: skip
        crash_point("publish.user_message")
        changed_model = state.get("outcome") in CHANGING_OUTCOMES
        payload = {"turn": turn, "outcome": state.get("outcome"),
                   "edits": state.get("last_edits") if changed_model else [],
                   "ops": state.get("last_ops") or [] if changed_model else [], "hashes": state.get("hashes"),
                   **(state.get("recorded") or {})}  # fmt: skip
        reply_id = say(Role.ASSISTANT, reply, author="accelerator", payload=payload,
                       source_id=f"{message['event']}:assistant").id  # fmt: skip
        crash_point("publish.assistant_message")
    files = [NewFile(file, kind[file], state["sources"][file]) for file in state.get("changed") or []]
    if ctx.record_generated and ctx.generation is not None:
        for path in state.get("changed_artifacts") or []:
            text, digest = ctx.generation.files.get(path), (state.get("artifacts") or {}).get(path)
            if text is not None and digest is not None and ctx.artifacts.get(path) == digest:
                files.append(NewFile(f"{ctx.output_prefix}/{path}", FileKind.GENERATED, text, sha256=digest))
    store.record_files(thread, files, turn=turn, user_id=user_id, message_id=reply_id)
    crash_point("publish.files")
    return {
        "reply": reply,
        "message": None,
        "pending": [],
        "info": [],
        "changed": [],
        "changed_artifacts": [],
        "confirming": None,
        "notices": [],
        "recorded": {},
    }


def _join(first: str, second: str) -> str:
    return f"{first}\n\n{second}" if first else second


def _explain(command: ParsedCommand, state: ConversationState, ctx: AgentContext) -> str:
    assert isinstance(command, Explain)
    governed = _governed_or_none(state, ctx)
    return replies.explain(command.target, state, governed.project if governed else None)


def _answer_question(command: ParsedCommand, state: ConversationState, ctx: AgentContext) -> str:
    """A read-only question, answered from the governed model (it changes nothing)."""
    assert isinstance(command, Question)
    governed = _governed_or_none(state, ctx)
    if governed is None:
        return f"Cannot answer `{command.describe()}`: the sources do not build a model (see the findings)."
    return command.answer(governed.project)


def _explain_object(command: ParsedCommand, state: ConversationState, ctx: AgentContext) -> str:
    """`explain X` from the model (tables, columns, schemas, catalogs); `explain` alone: the last change."""
    assert isinstance(command, Explain)
    return _answer_question(command, state, ctx) if command.target else _explain(command, state, ctx)


# How the agent answers the commands that do not edit, by `op` (undo and redo are the `undo` node).
_ANSWERS: dict[str, Callable[[ParsedCommand, ConversationState, AgentContext], str]] = {
    "status": lambda command, state, ctx: replies.status(state),
    "help": lambda command, state, ctx: replies.help_text(),
    "explain": _explain_object,
    "list_tables": _answer_question,
    "show_table": _answer_question,
    "classified_columns": _answer_question,
    "who_can": _answer_question,
    # a terminal channel opens the pull request itself; anywhere else there is nothing to open
    "propose": lambda command, state, ctx: (
        "`propose` opens a pull request from a terminal conversation (`accelerator chat`, or "
        "`accelerator propose`); in a pull request the edits are already proposed: nothing changed."
    ),
}


def _answer(command: ParsedCommand, state: ConversationState, ctx: AgentContext) -> str:
    answer = _ANSWERS.get(command.op)
    return answer(command, state, ctx) if answer else ""
