"""What the bot writes in a pull request: ONE sticky summary comment, found by a hidden marker and
edited in place, and ONE reply per comment turn, found by its own marker (so a retried turn never
replies twice). Both stay under GitHub's 65,536-character limit: long parts are collapsed in
`<details>` and shortened with a count of what was left out, the rest linked to the branch's files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from accelerator.agent.limits import MAX_ECHO_CHARS, bounded_reply, echo
from accelerator.model import Finding

SUMMARY_MARKER = "<!-- accelerator:summary -->"
MAX_BODY_CHARS = 60_000  # under GitHub's 65,536, with room for the markers
MAX_FINDINGS_LISTED = 50
MAX_FILES_LISTED = 100
SEVERITIES = ("error", "warn", "info")
HEADINGS = {"error": "Errors", "warn": "Warnings", "info": "Notes"}
MERMAID = re.compile(r"```mermaid\n.*?```", re.DOTALL)


def reply_marker(key: str) -> str:
    return f"<!-- accelerator:reply {key} -->"


def escape(text: str) -> str:
    """Text from an ERD or a user, shown in Markdown without becoming markup or a mention."""
    text = text.replace("\r", "").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"@(?=\w)", "@\u200b", text).replace("`", "'")


def _longest_backticks(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def fence(text: str, info: str = "text") -> str:
    """`text` as a fenced code block: the fence is longer than any run of backticks in the text, so
    no line of it (a source line holding ```) closes the block early; nothing inside is markup."""
    bar = "`" * max(3, _longest_backticks(text) + 1)
    return f"{bar}{info}\n{text}\n{bar}"


def code(text: str, limit: int = MAX_ECHO_CHARS) -> str:
    """A user's text as inline code on one line, cut to `limit` characters: delimited by more
    backticks than any run inside it, so it neither ends early nor becomes markup or a mention."""
    shown = echo(" ".join(text.split()), limit)
    if not shown:
        return "` `"
    bar = "`" * (_longest_backticks(shown) + 1)
    pad = " " if "`" in shown else ""
    return f"{bar}{pad}{shown}{pad}{bar}"


def quote(text: str, limit: int = 500) -> str:
    shown = text if len(text) <= limit else text[:limit] + " ..."
    return "\n".join(f"> {escape(line)}" for line in shown.splitlines() or [""])


@dataclass
class SummaryInputs:
    findings: Sequence[Finding] = ()
    problem: str | None = None  # the head cannot be read or built: why
    generated: Mapping[str, list[str]] = field(default_factory=dict)  # env (or "docs") -> changed paths
    diagram: str | None = None  # the changed domain's Mermaid block
    last_edits: Sequence[str] = ()
    last_author: str | None = None
    commit: str | None = None
    head: str | None = None
    fork: bool = False
    moved: bool = False
    prefix: str = "/uc"
    blob_url: str | None = None  # https://github.com/OWNER/REPO/blob/BRANCH


def _finding_line(finding: Finding, blob_url: str | None) -> str:
    where = ""
    if finding.file:
        place = f"{finding.file}:{finding.line}" if finding.line else finding.file
        anchor = f"#L{finding.line}" if finding.line else ""
        where = (
            f"[`{escape(place)}`]({blob_url}/{finding.file}{anchor}) " if blob_url else f"`{escape(place)}` "
        )
    return f"- {where}**{escape(finding.rule)}** {escape(finding.message)}"


def _listed(lines: Sequence[str], limit: int, what: str) -> list[str]:
    if len(lines) <= limit:
        return list(lines)
    return [*lines[:limit], f"- ... and {len(lines) - limit} more {what}"]


def findings_section(findings: Sequence[Finding], blob_url: str | None, limit: int) -> list[str]:
    counts = {severity: sum(1 for f in findings if f.severity == severity) for severity in SEVERITIES}
    lines = [
        "### Governance",
        "",
        f"**{counts['error']} error(s), {counts['warn']} warning(s), {counts['info']} note(s)**",
        "",
    ]
    for severity in SEVERITIES:
        chosen = [_finding_line(f, blob_url) for f in findings if f.severity == severity]
        if not chosen:
            continue
        body = _listed(chosen, limit, HEADINGS[severity].lower())
        if severity == "error":
            lines += [f"#### {HEADINGS[severity]}", "", *body, ""]
        else:
            summary = f"{HEADINGS[severity]} ({len(chosen)})"
            lines += ["<details>", f"<summary>{summary}</summary>", "", *body, "", "</details>", ""]
    return lines


def generated_section(generated: Mapping[str, list[str]], blob_url: str | None, limit: int) -> list[str]:
    if not any(generated.values()):
        return ["### Generated files", "", "Up to date: nothing to regenerate.", ""]
    lines = ["### Generated files", ""]
    for group, paths in sorted(generated.items()):
        if not paths:
            continue
        shown = [f"- [`{p}`]({blob_url}/{p})" if blob_url else f"- `{p}`" for p in paths]
        lines += [
            "<details>",
            f"<summary><b>{escape(group)}</b>: {len(paths)} file(s) changed</summary>",
            "",
            *_listed(shown, limit, "files"),
            "",
            "</details>",
            "",
        ]
    return lines


def summary_body(inputs: SummaryInputs) -> str:
    """The sticky comment; shortened step by step until it fits `MAX_BODY_CHARS`."""
    for findings_limit, files_limit, diagram in (
        (MAX_FINDINGS_LISTED, MAX_FILES_LISTED, True),
        (20, 30, False),
        (5, 5, False),
        (0, 0, False),
    ):
        body = _summary(inputs, findings_limit, files_limit, diagram)
        if len(body) <= MAX_BODY_CHARS:
            return body
    return body[: MAX_BODY_CHARS - 200] + "\n\n... (shortened: the full report is in the branch's files)\n"


def _summary(inputs: SummaryInputs, findings_limit: int, files_limit: int, diagram: bool) -> str:
    lines = [SUMMARY_MARKER, "## Unity Catalog accelerator", ""]
    if inputs.head:
        lines += [
            f"At {inputs.head[:12]}" + (f", regenerated in {inputs.commit[:12]}." if inputs.commit else "."),
            "",
        ]
    if inputs.fork:
        lines += [
            "> This pull request comes from a fork: the bot does not push to forks. Run "
            "`accelerator generate` and push the generated files, or allow edits by maintainers "
            "and ask a maintainer to re-run.",
            "",
        ]
    if inputs.moved:
        lines += ["> The branch moved during the last turn three times; push again to regenerate.", ""]
    if inputs.problem:
        lines += ["### The pull request does not build", "", fence(inputs.problem[:5000]), ""]
    else:
        lines += findings_section(inputs.findings, inputs.blob_url, findings_limit)
        lines += generated_section(
            inputs.generated, None if files_limit == 0 else inputs.blob_url, files_limit
        )
    if diagram and inputs.diagram:
        lines += [
            "<details>",
            "<summary>Diagram of the changed domain</summary>",
            "",
            inputs.diagram,
            "",
            "</details>",
            "",
        ]
    if inputs.last_edits:
        who = f" (by @{inputs.last_author})" if inputs.last_author else ""
        lines += [
            "### Last edits" + who,
            "",
            *_listed([f"- {escape(e)}" for e in inputs.last_edits], 20, "edits"),
            "",
        ]
        lines += [f"Undo them with a comment `{inputs.prefix} undo` (and `{inputs.prefix} redo`).", ""]
    lines += [f"Talk to me in a comment: `{inputs.prefix} help` lists what I understand."]
    return "\n".join(lines) + "\n"


def diagram_of(docs: Mapping[str, str], changed: Iterable[str]) -> str | None:
    """The Mermaid block of the first changed domain document (else of the first document)."""
    ordered = [p for p in changed if p in docs] + sorted(docs)
    for path in ordered:
        found = MERMAID.search(docs[path])
        if found is not None and len(found.group(0)) <= 20_000:
            return found.group(0)
    return None


def reply_body(key: str, command: str, reply: str, commit_url: str | None, note: str | None = None) -> str:
    """A reply: its marker, the command quoted, the reply, the commit and a note; the whole under
    `MAX_BODY_CHARS` (a longer one keeps its start and says it was shortened)."""
    lines = [reply_marker(key), quote(command), "", reply.strip()[:50_000]]
    if commit_url:
        lines += ["", f"Committed: {commit_url}"]
    if note:
        lines += ["", note]
    return bounded_reply("\n".join(lines), MAX_BODY_CHARS - 1) + "\n"
