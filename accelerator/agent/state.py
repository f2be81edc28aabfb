"""The conversation's LangGraph state, and what a human turn carries in.

Decision (checkpoint bytes per turn matter): the state holds what cannot be recomputed (the source
texts of the ERDs and the policy, the texts before the last turn for `undo`, the turn counter, the
last edits and reply) and small digests of what can: SHA-256 hashes of the sources and of the
generated files, and a findings summary (counts and the first error messages). The governed model,
the findings and the rendered files are recomputed deterministically from the sources (and cached
per process by source hash), so a turn that changes one ERD line checkpoints that file's text once,
not megabytes of SQL. LangGraph stores each channel as its own blob, so a turn that changes no
source (status, help, a rejected edit) writes no new source blob at all.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal, TypedDict

from accelerator.plan.migrations import file_hash

MAX_LISTED_FINDINGS = 10


class ErdSpec(TypedDict):
    """How to read one ERD file (everything `ErdInput` needs except the text)."""

    file: str  # the key in `sources`: relative to the project root
    catalog: str
    format: str | None
    dialect: str
    default_schema: str


class FindingSummary(TypedDict):
    error: int
    warn: int
    info: int
    by_rule: dict[str, int]  # error-severity findings per rule: the governance gate compares these
    first: list[str]  # the first error (else warning) messages, located, for replies


class Turn(TypedDict, total=False):
    """A human turn, as `Command(resume=...)` carries it into the graph's `wait` node."""

    event: str  # idempotency key: a comment id, a line of a turns file; unique in the memory
    text: str
    author: str | None
    user_id: int | None  # users.id, when the channel knows who wrote it (MemoryStore.upsert_user)
    # The event the turn came from, stored with its messages: {"kind": "comment", "id": ..., "url": ...},
    # {"kind": "delivery", "id": ...}, {"kind": "turns-file", "file": ..., "line": n}, {"kind": "stdin"}
    source: dict[str, Any]
    commit_sha: str | None  # the commit the working tree (a PR: its head) was at, where there is one
    # Sources the working tree changed by hand since the last turn: adopted before the edits.
    adopted: dict[str, str]
    # What the LLM proposed for a text the grammar does not parse, asked before the turn's
    # transaction and lock (`llm.propose_turn`): the edits as JSON, or why there are none.
    proposed: list[dict[str, Any]]
    proposal_error: str
    # For `allow`: the destructive changes an approval can name (the migrations' gates and the
    # pending diff's, `plan.gates.diff_gates`) and the approvals already recorded, as the channel
    # reads them from the output directory before the turn (absent: the channel cannot approve).
    gates: list[GateRecord]
    approvals: list[ApprovalRecord]
    # The author's permission on the repository, where the channel knows it (a PR: admin, maintain,
    # write, triage, read); `allow`, and `confirm` of somebody else's edits, need maintain or admin.
    permission: str
    received_at: str  # ISO 8601, UTC: when the channel received the turn (an approval's time)


class GateRecord(TypedDict):
    """A destructive change awaiting an approval (`plan.gates.Gate` as JSON)."""

    code: str
    digest: str
    object: str
    environment: str
    file: str  # the migration that holds it; "" for a change of the pending diff
    line: int


class ApprovalRecord(TypedDict):
    """An approval of a destructive change (`plan.gates.Approval` as JSON, as approvals.json holds it)."""

    code: str
    object_path: str
    environment: str | None
    approved_by: str
    approved_at: str
    change_digest: str


class HeldTurn(TypedDict):
    """A turn held back because it weakens protection where the policy asks for a confirmation:
    what `confirm` applies, if the weakening is still the one shown (`weakening`: its digest)."""

    turn: int
    author: str | None
    ops: list[dict[str, Any]]  # the turn's EditOps as written (resolved again when confirmed)
    edits: list[str]  # their descriptions, as the model resolved them
    weakening: str  # `policy.weakening.weakening_digest` of the findings that need the confirmation
    lost: list[str]  # those findings, located, as the reply showed them


class Hunk(TypedDict):
    """Lines `start`..`stop` of a text replaced by `text`: an edit is local, so a level of undo
    checkpoints the changed lines, not the whole file (the file's hash is checked before use)."""

    start: int
    stop: int
    text: str


def hunk(current: str, wanted: str) -> Hunk:
    """The one hunk that turns `current` into `wanted` (their common first and last lines kept)."""
    have, want = current.splitlines(keepends=True), wanted.splitlines(keepends=True)
    limit = min(len(have), len(want))
    start = 0
    while start < limit and have[start] == want[start]:
        start += 1
    end = 0
    while end < limit - start and have[-1 - end] == want[-1 - end]:
        end += 1
    return Hunk(start=start, stop=len(have) - end, text="".join(want[start : len(want) - end]))


def restored_text(current: str, change: Hunk) -> str:
    lines = current.splitlines(keepends=True)
    return "".join(lines[: change["start"]]) + change["text"] + "".join(lines[change["stop"] :])


class Revision(TypedDict):
    """One level of undo (or redo): whose turn it was, and the texts that take it back."""

    turn: int
    author: str | None
    edits: list[str]  # descriptions of the turn's edits
    ops: list[dict[str, Any]]
    restore: dict[str, Hunk]  # file -> the lines that take the file back (see `hunk`)
    expect: dict[str, str]  # file -> sha256 the source must still have (else a hand edit came since)


Outcome = Literal["opened", "applied", "undone", "redone", "rejected", "answered"]


class ConversationState(TypedDict, total=False):
    thread_id: str
    project: str
    erds: list[ErdSpec]
    policy_file: str | None
    environments: list[str]
    # accelerator.yaml's terraform.enabled: Terraform owns catalogs and schemas, so the migrations
    # leave them out (whether the turn also writes Terraform's files is the channel's choice)
    terraform_owns: bool
    sources: dict[str, str]  # file -> text: the ERDs and the policy as of the last completed turn
    worktree: str | None  # the local working tree a terminal thread mirrors (None: a PR's thread)
    hashes: dict[str, str]  # file -> sha256 of `sources`
    previous: dict[str, str]  # file -> text before the last applied turn (threads before the undo stack)
    undoable: bool
    undo_stack: list[Revision]  # the applied turns that `undo` takes back, last on top
    redo_stack: list[Revision]  # the undone turns that `redo` applies again; emptied by a new edit
    turn: int  # completed human turns
    findings: FindingSummary
    artifacts: dict[str, str]  # generated file (relative to the output directory) -> sha256
    last_edits: list[str]  # descriptions of the last applied turn's edits
    # The last applied turn's edits as JSON, with the model's names (after undo: the undone ones);
    # recorded in the assistant message's payload, so a diff can tell a rename from a drop and an add
    last_ops: list[dict[str, Any]]
    reply: str
    outcome: Outcome
    message: Turn | None  # the turn being processed; None between turns
    pending: list[dict[str, Any]]  # the turn's validated EditOps, as JSON
    info: list[dict[str, Any]]  # the turn's other commands (status, help, explain), as JSON
    changed: list[str]  # sources this turn changed (recorded as files by `publish`)
    changed_artifacts: list[str]  # generated files whose content this turn changed
    held: HeldTurn | None  # the edits awaiting `confirm`; discarded by the next edit, undo or redo
    confirming: HeldTurn | None  # during a `confirm` turn: the held turn it applies
    approvals: list[ApprovalRecord]  # granted by `allow` in this conversation (the channel writes them)
    notices: list[str]  # said after the turn's reply (e.g. held edits discarded)
    recorded: dict[str, Any]  # added to the turn's assistant message payload (a confirmation, approvals)


# sha256 of a text, kept by the text (see `TextDigests`): one memo for the migrations' sums, the
# model.json a generation follows and the digests a turn records.
sha256 = file_hash


def hashes_of(sources: dict[str, str]) -> dict[str, str]:
    return {file: sha256(text) for file, text in sorted(sources.items())}


def sources_key(sources: dict[str, str]) -> str:
    """One digest for a whole set of sources: the cache key of everything derived from them."""
    digest = hashlib.sha256()
    for file, text in sorted(sources.items()):
        digest.update(file.encode("utf-8") + b"\0" + sha256(text).encode("ascii") + b"\0")
    return digest.hexdigest()
