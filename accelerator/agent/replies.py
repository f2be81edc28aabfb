"""The texts of the agent's replies: opening, applied, rejected, status, explain, help."""

from __future__ import annotations

from collections.abc import Sequence

from accelerator.agent.limits import MAX_EDITS_PER_MESSAGE, MAX_MESSAGE_CHARS, listed
from accelerator.agent.state import (
    MAX_LISTED_FINDINGS,
    ApprovalRecord,
    ConversationState,
    FindingSummary,
    HeldTurn,
    Revision,
)
from accelerator.edit.help import HELP_TEXT
from accelerator.edit.names import ModelNames
from accelerator.errors import AcceleratorError, CommandSyntaxError
from accelerator.model import Finding, Project
from accelerator.report import location


def summarize_findings(findings: Sequence[Finding]) -> FindingSummary:
    by_rule: dict[str, int] = {}
    for finding in findings:
        if finding.severity == "error":
            by_rule[finding.rule] = by_rule.get(finding.rule, 0) + 1
    listed = [f for f in findings if f.severity == "error"] or [f for f in findings if f.severity == "warn"]
    return FindingSummary(
        error=sum(1 for f in findings if f.severity == "error"),
        warn=sum(1 for f in findings if f.severity == "warn"),
        info=sum(1 for f in findings if f.severity == "info"),
        by_rule=by_rule,
        first=[f"{location(f)}: {f.rule}: {f.message}" for f in listed[:MAX_LISTED_FINDINGS]],
    )


def broken_sources(error: AcceleratorError) -> FindingSummary:
    """The summary when the sources do not even parse: the error is the only finding."""
    return FindingSummary(error=1, warn=0, info=0, by_rule={"input": 1}, first=[error.format()])


def findings_line(summary: FindingSummary) -> str:
    return f"findings: {summary['error']} error(s), {summary['warn']} warning(s), {summary['info']} info"


def opening(state: ConversationState) -> str:
    files = ", ".join(sorted(state.get("sources", {})))
    return f"Session {state['thread_id']} on {files}.\n{findings_line(state['findings'])}"


def applied(
    descriptions: Sequence[str],
    summary: FindingSummary,
    changed: Sequence[str],
    *,
    notes: Sequence[str] = (),
    weakened: Sequence[Finding] = (),
) -> str:
    lines = ["Applied:", *(f"- {text}" for text in listed(descriptions)), *(f"- {note}" for note in notes)]
    lines.append(f"changed: {', '.join(listed(changed)) or 'no source text'}")
    if weakened:
        lines.append("Weakened protection:")
        lines.extend(f"- {line}" for line in listed([f"{location(f)}: {f.message}" for f in weakened]))
    lines.append(findings_line(summary))
    return "\n".join(lines)


REJECTED = "Nothing was applied."


def rejected(reason: str) -> str:
    return f"{REJECTED}\n{reason}"


def is_rejection(reply: str) -> bool:
    """Whether a stored reply refused its turn (how a redelivered event's outcome is known)."""
    return reply.startswith(REJECTED)


def syntax_errors(errors: Sequence[CommandSyntaxError]) -> str:
    parts = listed([error.format() for error in errors])
    parts.append("Write `help` for the list of commands.")
    return rejected("\n".join(parts))


def does_not_build(error: AcceleratorError) -> str:
    return rejected(f"The edited sources would not build, so the turn is rejected whole:\n{error.format()}")


def whose(revision: Revision, author: str | None) -> str:
    """Whose edit an undo or redo takes: in a shared conversation it may be somebody else's."""
    by = revision["author"]
    if by is None or by == author:
        return f"turn {revision['turn']}"
    return f"turn {revision['turn']}, an edit by {by}"


def cannot_undo(verb: str, revision: Revision, whose: str, moved: Sequence[str]) -> str:
    return (
        f"Cannot {verb} {whose}: {', '.join(moved)} changed since (edited by hand), "
        f"and {verb} would lose that change.\nEdit the file instead, or {verb} after reverting the hand edit."
    )


def too_long(length: int) -> str:
    return rejected(
        f"The message is {length:,} characters long; a message may hold at most {MAX_MESSAGE_CHARS:,}.\n"
        "Send the edits in several shorter messages."
    )


def too_many_edits(count: int) -> str:
    return rejected(
        f"The message holds {count:,} edits; a message may hold at most {MAX_EDITS_PER_MESSAGE}.\n"
        "Send them in several messages (each is applied whole, or not at all)."
    )


def governance_gate(new_errors: dict[str, int], summary: FindingSummary) -> str:
    rules = ", ".join(f"{rule} (+{count})" for rule, count in sorted(new_errors.items()))
    listed = "\n".join(f"- {line}" for line in summary["first"])
    return rejected(
        f"These edits would add error-severity governance findings: {rules}.\n{listed}\n"
        "Adjust the edit (e.g. a snake_case name, a comment, a classification) and try again."
    )


def weakening_gate(lost: Sequence[Finding]) -> str:
    """A turn held back: what it would take away, and how to apply it anyway."""
    listed_lines = "\n".join(f"- {line}" for line in listed(weakening_lines(lost)))
    return rejected(
        f"These edits would weaken protection where the policy requires a confirmation "
        f"(rules.governance.confirm_weakening):\n{listed_lines}\n"
        "Reply `confirm` to apply them anyway (the weakening is recorded with your name), or send "
        "other edits to drop them."
    )


def weakening_lines(lost: Sequence[Finding]) -> list[str]:
    """The findings that need a confirmation, located, as a held turn shows them."""
    return [f"{location(f)}: {f.message}" for f in lost if f.severity == "error"]


def nothing_to_confirm() -> str:
    return rejected(
        "Nothing awaits a confirmation: `confirm` applies the edits of a turn that was held because "
        "it weakens protection where the policy requires a confirmation."
    )


def confirm_alone() -> str:
    return rejected(
        "`confirm` applies the held edits as they were: send it on its own, without other commands."
    )


def weakening_changed(held: HeldTurn, lost: Sequence[Finding]) -> str:
    """`confirm` after the sources changed: the weakening it would confirm is not the one shown."""
    now = weakening_lines(lost)
    shown = "\n".join(f"- {line}" for line in listed(held["lost"]))
    current = "\n".join(f"- {line}" for line in listed(now)) if now else "- nothing that needs a confirmation"
    return rejected(
        f"The edits held at turn {held['turn']} ({'; '.join(listed(held['edits']))}) now weaken protection "
        f"differently from what was confirmed, as the sources changed since.\nShown then:\n{shown}\n"
        f"Now:\n{current}\nSend the edits again to see what they would weaken now."
    )


def confirm_not_allowed(held: HeldTurn, author: str | None) -> str:
    return rejected(
        f"Only {held['author'] or 'the author of the held edits'} or a maintainer can confirm the edits "
        f"held at turn {held['turn']}; {author or 'you'} may send the edits again as their own."
    )


def confirmed_note(held: HeldTurn, by: str | None) -> str:
    asked = f" (asked by {held['author']})" if held["author"] and held["author"] != by else ""
    return (
        f"confirmed by {by or 'an unknown user'}{asked}: applied although it weakens protection "
        f"where the policy requires a confirmation (held at turn {held['turn']})"
    )


def held_discarded(held: HeldTurn) -> str:
    return (
        f"The edits held for a confirmation at turn {held['turn']} ({'; '.join(listed(held['edits']))}) "
        "were dropped: send them again to apply them."
    )


def approved(approvals: Sequence[ApprovalRecord], covered: Sequence[str]) -> str:
    lines = ["Approved:"]
    for approval, gate in zip(approvals, covered, strict=True):
        where = f"in {approval['environment']}" if approval["environment"] else "in every environment"
        lines.append(
            f"- {approval['code']} on {approval['object_path']} {where} by {approval['approved_by']} at "
            f"{approval['approved_at']} (change {approval['change_digest']}: {gate}); void once that change changes"
        )
    return "\n".join(lines)


def status(state: ConversationState) -> str:
    last, held = state.get("last_edits") or [], state.get("held")
    lines = [
        f"thread: {state['thread_id']}",
        f"turns: {state.get('turn', 0)}",
        "last edits: " + ("; ".join(last) if last else "none"),
        "undo available: " + ("yes" if state.get("undoable") else "no"),
        *([f"awaiting `confirm`: {'; '.join(held['edits'])} (turn {held['turn']})"] if held else []),
        findings_line(state["findings"]),
        "sources: " + ", ".join(f"{file} ({digest[:8]})" for file, digest in state.get("hashes", {}).items()),
    ]
    return "\n".join(lines)


def explain(target: str | None, state: ConversationState, project: Project | None) -> str:
    if target is None:
        last = state.get("last_edits") or []
        return "The last turn: " + ("; ".join(last) if last else "no edits yet")
    if project is None:
        return f"Cannot explain {target}: the sources do not parse."
    names = ModelNames(project)
    try:
        ref = names.table(target)
        table = ref[2]
        columns = ", ".join(c.name for c in table.columns)
        return (
            f"table {names.qualified_table(ref)}: {table.comment or 'no comment'}; owner {table.owner}; "
            f"tags {table.tags}; columns: {columns}"
        )
    except AcceleratorError:
        pass
    table_name, _, column_name = target.rpartition(".")
    try:
        ref = names.table(table_name)
        column = names.column(ref, column_name)
    except AcceleratorError as error:
        return error.format()
    return (
        f"column {names.qualified_table(ref)}.{column.name}: {column.type}"
        f"{'' if column.nullable else ' NOT NULL'}; {column.comment or 'no comment'}; "
        f"classification {column.classification or 'none'}; mask {column.mask.strategy if column.mask else 'none'}; "
        f"tags {column.tags}"
    )


def help_text() -> str:
    return HELP_TEXT
