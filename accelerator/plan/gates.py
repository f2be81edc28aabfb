"""Destructive-change gates: a destructive change in a migration is an error finding
(`migrations.destructive`) unless the policy allows its code in that environment
(`rules.migrations.allow_destructive`) or an approval covers it.

Each migration records its destructive changes in its header, one `-- gate <code> <digest> <object>`
line each, so that `check` gates what the migrations hold (the sum keeps the lines immutable). The
digest covers the change's code, object and description: an approval names the digest it saw, and is
void once the change it approved differs (another type, another column). Approvals live in
`<output>/approvals.json`, written by `accelerator allow`. Pure: texts in, texts and findings out.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

from accelerator.errors import AcceleratorError
from accelerator.model.elements import Located, Project, Span
from accelerator.model.findings import Finding
from accelerator.plan import changes as c

RULE = "migrations.destructive"
APPROVALS_FILE = "approvals.json"
GATE_LINE = re.compile(r"-- gate ([A-Z]{2}\d{3}) ([0-9a-f]{16}) (.+)")
DIGEST_LENGTH = 16


def change_digest(code: str, obj: str, description: str) -> str:
    """What an approval is bound to: another description of the same object is another change."""
    text = "\n".join([code, obj, " ".join(description.split())])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:DIGEST_LENGTH]


def digest_of(change: c.Change) -> str:
    return change_digest(change.code, str(change.path), change.describe())


def gate_lines(changes: Iterable[c.Change]) -> list[str]:
    """The header lines of a migration's destructive changes."""
    return [
        f"-- gate {change.code} {digest_of(change)} {change.path}"
        for change in changes
        if change.risk == "destructive"
    ]


@dataclass(frozen=True)
class Gate:
    """A destructive change recorded in a migration file (`file`, 1-based `line`)."""

    code: str
    digest: str
    object: str
    environment: str
    file: str
    line: int


def gates_in(file: str, text: str, environment: str) -> list[Gate]:
    gates = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("--"):
            break  # the header ends at the first statement
        match = GATE_LINE.fullmatch(line.strip())
        if match:
            gates.append(Gate(match[1], match[2], match[3], environment, file, number))
    return gates


@dataclass(frozen=True)
class Approval:
    code: str
    object_path: str
    environment: str | None  # None: every environment
    approved_by: str
    approved_at: str  # ISO 8601, UTC
    change_digest: str

    def names(self, gate: Gate) -> bool:
        """Same code and object, and its environment (or all): it covers the gate if the digest matches."""
        return (
            self.code == gate.code
            and self.object_path.lower() == gate.object.lower()
            and self.environment in (None, gate.environment)
        )


def parse_approvals(text: str, file: str) -> list[Approval]:
    try:
        data = json.loads(text)
        records = data["approvals"]
        return [
            Approval(**{key: record.get(key) for key in Approval.__dataclass_fields__}) for record in records
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise AcceleratorError(
            f"{file} is not an approvals file written by `accelerator allow`: {error}",
            hint="restore it from git, or delete it and approve again with `accelerator allow CODE on OBJECT`",
        ) from None


def render_approvals(approvals: Sequence[Approval]) -> str:
    ordered = sorted(approvals, key=lambda a: (a.object_path, a.code, a.environment or "", a.approved_at))
    return json.dumps({"approvals": [asdict(a) for a in ordered]}, indent=2, ensure_ascii=False) + "\n"


def with_approval(approvals: Sequence[Approval], new: Approval) -> list[Approval]:
    """`new` replaces an approval of the same code, object and environment (a renewed approval)."""
    kept = [
        a
        for a in approvals
        if (a.code, a.object_path.lower(), a.environment)
        != (new.code, new.object_path.lower(), new.environment)
    ]
    return [*kept, new]


def allowed_codes(allow_destructive: Mapping[str, str | Sequence[str]], environment: str) -> set[str] | None:
    """The codes the policy allows in `environment`; None: all of them."""
    allowed = allow_destructive.get(environment, [])
    if allowed == "all":
        return None
    return {code.upper() for code in allowed}


def gate_findings(
    gates: Sequence[Gate],
    approvals: Sequence[Approval],
    allow_destructive: Mapping[str, str | Sequence[str]],
    project: Project | None,
) -> list[Finding]:
    """An error per gate that neither the policy nor a matching approval covers, located at the
    object in the ERD (or its nearest declared parent), else at the migration's gate line."""
    findings = []
    for gate in gates:
        allowed = allowed_codes(allow_destructive, gate.environment)
        if allowed is None or gate.code in allowed:
            continue
        named = [a for a in approvals if a.names(gate)]
        if any(a.change_digest == gate.digest for a in named):
            continue
        message = (
            f"{gate.code} (destructive) on {gate.object} in {gate.environment}, "
            f"migration {gate.file.rsplit('/', 1)[-1]}"
        )
        if named:
            last = max(named, key=lambda a: a.approved_at)
            message += (
                f": the approval by {last.approved_by} at {last.approved_at} is void, the change it "
                "approved has changed since"
            )
        message += (
            f"; approve it with `accelerator allow {gate.code} on {gate.object} --env {gate.environment}` "
            f"(in a conversation `allow {gate.code} on {gate.object} in {gate.environment}`, in the PR "
            f"`/uc allow {gate.code} on {gate.object} in {gate.environment}`), or allow the code in "
            f"`rules.migrations.allow_destructive` for {gate.environment}"
        )
        span = _object_span(project, gate.object) if project is not None else None
        findings.append(
            Finding(
                rule=RULE,
                severity="error",
                message=message,
                span=span or Span(file=gate.file, line=gate.line, column=1, end_line=gate.line, end_column=1),
                object=gate.object,
            )
        )
    return findings


def clearance(
    change: c.Change,
    environment: str,
    approvals: Sequence[Approval],
    allow_destructive: Mapping[str, str | Sequence[str]],
) -> str | None:
    """Why a destructive change may pass its gate in `environment` (the PR summary shows it), or None."""
    allowed = allowed_codes(allow_destructive, environment)
    if allowed is None or change.code in allowed:
        return f"allowed in {environment} by the policy"
    gate = Gate(change.code, digest_of(change), str(change.path), environment, "", 0)
    approved = [a for a in approvals if a.names(gate) and a.change_digest == gate.digest]
    if approved:
        last = max(approved, key=lambda a: a.approved_at)
        return f"approved by {last.approved_by} at {last.approved_at}"
    return None


def _object_span(project: Project, path: str) -> Span | None:
    """The span of the object named `catalog.schema.table.column`, else of its nearest parent."""
    parts = path.split(".")
    found: list[Located] = []
    catalog = project.catalog(parts[0])
    if catalog is not None:
        found.append(catalog)
        schema = catalog.schema(parts[1]) if len(parts) > 1 else None
        if schema is not None:
            found.append(schema)
            table = schema.table(parts[2]) if len(parts) > 2 else None
            if table is not None:
                found.append(table)
                column = table.column(parts[3]) if len(parts) > 3 else None
                if column is not None:
                    found.append(column)
    return next((item.span for item in reversed(found) if item.span is not None), None)


# -- approving: which gate an `allow CODE on OBJECT [in ENV]` names --------------------------------


def diff_gates(changes: Mapping[str, Sequence[c.Change]]) -> list[Gate]:
    """The destructive changes of a pending diff (environment -> its changes), as gates that no
    migration holds yet (`file` empty, `line` 0)."""
    return [
        Gate(change.code, digest_of(change), str(change.path), environment, "", 0)
        for environment, env_changes in changes.items()
        for change in env_changes
        if change.risk == "destructive"
    ]


def covered(gate: Gate, approvals: Sequence[Approval]) -> bool:
    """Whether an approval of this very change (same digest) covers the gate."""
    return any(a.names(gate) and a.change_digest == gate.digest for a in approvals)


def open_gates(
    gates: Sequence[Gate],
    approvals: Sequence[Approval],
    allow_destructive: Mapping[str, str | Sequence[str]] | None = None,
) -> list[Gate]:
    """The gates that still need an approval (neither the policy nor an approval covers them), one
    per code, object, environment and change, in their order."""
    found: dict[tuple[str, str, str, str], Gate] = {}
    for gate in gates:
        allowed = allowed_codes(allow_destructive or {}, gate.environment)
        if allowed is None or gate.code in allowed or covered(gate, approvals):
            continue
        found.setdefault((gate.code, gate.object.lower(), gate.environment, gate.digest), gate)
    return list(found.values())


def describe_gate(gate: Gate) -> str:
    where = f"migration {gate.file.rsplit('/', 1)[-1]}" if gate.file else "pending, in no migration yet"
    return f"{gate.code} on {gate.object} in {gate.environment} ({where})"


def _names_object(gate: Gate, obj: str) -> bool:
    """`obj` is the gate's object, or its path without the leading catalog (or catalog and schema)."""
    full, given = gate.object.lower(), obj.lower()
    return full == given or full.endswith("." + given)


def gate_to_approve(
    code: str,
    obj: str,
    environment: str | None,
    gates: Sequence[Gate],
    approvals: Sequence[Approval],
    allow_destructive: Mapping[str, str | Sequence[str]] | None = None,
) -> Gate:
    """The gate that `allow CODE on OBJECT [in ENVIRONMENT]` approves, among `gates` (the migrations'
    and the pending diff's, see `diff_gates`): one change, preferably one no approval covers yet (an
    approval of a covered change renews it). Raise `AcceleratorError` when none matches (naming the
    gates that await an approval) or when the words name different changes."""
    code = code.upper()
    matching = [
        g for g in gates if g.code == code and _names_object(g, obj) and environment in (None, g.environment)
    ]
    where = f" in {environment}" if environment else ""
    if not matching:
        waiting = open_gates(gates, approvals, allow_destructive)
        listed = "; ".join(describe_gate(g) for g in waiting[:10]) + ("; ..." if len(waiting) > 10 else "")
        raise AcceleratorError(
            f"no destructive change {code} on {obj}{where}, pending or in a migration; "
            + (f"awaiting an approval: {listed}" if waiting else "none awaits an approval"),
            hint="`accelerator plan` and `accelerator check` list the destructive changes with their code and object",
        )
    uncovered = [g for g in matching if not covered(g, approvals)] or matching
    digests = {g.digest for g in uncovered}
    objects = {g.object.lower() for g in uncovered}
    if len(objects) > 1:
        raise AcceleratorError(
            f"{code} on {obj}{where} names several objects: {', '.join(sorted(objects))}",
            hint="name the object by its whole path, catalog.schema.table[.column]",
        )
    if len(digests) > 1:
        raise AcceleratorError(
            f"{code} on {obj} names different changes in different environments: "
            + "; ".join(describe_gate(g) for g in uncovered),
            hint="approve each environment on its own (`--env ENV` in the terminal, `in ENV` in a conversation)",
        )
    return uncovered[0]


def approval_of(gate: Gate, environment: str | None, approved_by: str, approved_at: str) -> Approval:
    """The approval of `gate`'s change in `environment` (None: every environment that holds it)."""
    return Approval(gate.code, gate.object, environment, approved_by, approved_at, gate.digest)
