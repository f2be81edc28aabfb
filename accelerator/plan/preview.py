"""`accelerator plan`'s preview: per environment, the pending changes with code, risk, description
and SQL, as text, JSON, or the Markdown a PR comment shows (collapsible SQL per environment)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from accelerator.model.elements import Project
from accelerator.plan import changes as c
from accelerator.plan.diff import diff
from accelerator.plan.migration_sql import migration_sql
from accelerator.plan.migrations import changes_in
from accelerator.plan.renames import Rename

COMMENT_LIMIT = 60_000  # GitHub caps a comment at 65,536 characters; the rest of the summary needs room
TABLE_ROWS = 100  # rows of safe changes per environment in a comment; the risky ones are all listed
RISK_MARK = {"safe": "", "attention": "⚠️ ", "destructive": "🛑 "}


@dataclass(frozen=True)
class EnvironmentPlan:
    environment: str
    changes: tuple[c.Change, ...]
    statements: tuple[str, ...]

    @property
    def destructive(self) -> list[c.Change]:
        return [change for change in self.changes if change.risk == "destructive"]


def plan_environments(
    previous: Project,
    current: Project,
    environments: Sequence[str],
    *,
    terraform: bool,
    renames: Sequence[Rename] = (),
) -> list[EnvironmentPlan]:
    changes = tuple(diff(previous, current, renames=renames))
    plans = []
    for name in environments:
        environment = current.environment(name) or previous.environment(name)
        mine = tuple(changes_in(changes, name))
        grants_in = current.deployment.grants_in
        statements = (
            migration_sql(mine, environment, terraform=terraform, grants_in=grants_in) if environment else []
        )
        plans.append(EnvironmentPlan(name, mine, tuple(statements)))
    return plans


def has_destructive(plans: Sequence[EnvironmentPlan]) -> bool:
    return any(plan.destructive for plan in plans)


def plan_json(plans: Sequence[EnvironmentPlan]) -> str:
    data = {
        "environments": [
            {
                "environment": plan.environment,
                "changes": [
                    {"code": ch.code, "risk": ch.risk, "object": str(ch.path), "description": ch.describe()}
                    for ch in plan.changes
                ],
                "destructive": len(plan.destructive),
                "sql": list(plan.statements),
            }
            for plan in plans
        ],
        "destructive": has_destructive(plans),
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def plan_text(plans: Sequence[EnvironmentPlan]) -> str:
    lines: list[str] = []
    for plan in plans:
        if not plan.changes:
            lines.append(f"{plan.environment}: no changes")
            continue
        lines.append(f"{plan.environment}: {_counts(plan)}")
        for change in plan.changes:
            marker = "!!" if change.risk == "destructive" else " !" if change.risk == "attention" else "  "
            lines.append(f"  {marker} {change.code} {change.risk:<11} {' '.join(change.describe().split())}")
        if plan.statements:
            lines.append("  SQL:")
            lines += [
                f"    {line}" for statement in plan.statements for line in (statement + ";").splitlines()
            ]
    return "\n".join(lines) + "\n"


def plan_markdown(plans: Sequence[EnvironmentPlan]) -> str:
    """The PR comment's section: a table of changes per environment, its SQL folded. Past GitHub's
    comment size, safe rows are counted instead of listed and the SQL is cut, saying so."""
    tables = [_change_table(plan) for plan in plans]
    with_sql = sum(1 for plan in plans if plan.statements) or 1
    budget = (COMMENT_LIMIT - sum(len(table) for table in tables)) // with_sql - 200
    parts = ["### Schema changes", ""]
    for plan, table in zip(plans, tables, strict=True):
        parts.append(table)
        if not plan.statements:
            continue
        sql = "\n\n".join(statement + ";" for statement in plan.statements)
        if len(sql) > budget:
            sql = (
                sql[: max(budget, 0)].rsplit("\n", 1)[0]
                + "\n-- ... cut: run `accelerator plan` for the whole SQL"
            )
        fence = "`" * max(
            [3, *(len(run) + 1 for run in re.findall(r"`{3,}", sql))]
        )  # longer than any run inside
        summary = f"SQL for {plan.environment} ({len(plan.statements)} statements)"
        parts += [
            f"<details><summary>{summary}</summary>",
            "",
            f"{fence}sql",
            sql,
            fence,
            "",
            "</details>",
            "",
        ]
    return "\n".join(parts).rstrip() + "\n"


def _change_table(plan: EnvironmentPlan) -> str:
    if not plan.changes:
        return f"**{plan.environment}**: no changes\n"
    rows = [f"**{plan.environment}**: {_counts(plan)}", "", "| code | risk | change |", "|---|---|---|"]
    shown = [ch for ch in plan.changes if ch.risk != "safe"]
    shown += [ch for ch in plan.changes if ch.risk == "safe"][: max(TABLE_ROWS - len(shown), 0)]
    for change in sorted(shown, key=plan.changes.index):
        risk = f"**{change.risk}**" if change.risk == "destructive" else change.risk
        rows.append(f"| `{change.code}` | {RISK_MARK[change.risk]}{risk} | {_cell(change.describe())} |")
    if len(shown) < len(plan.changes):
        rows.append(f"| | | and {len(plan.changes) - len(shown)} more safe change(s) |")
    return "\n".join(rows) + "\n"


def _counts(plan: EnvironmentPlan) -> str:
    risks = [change.risk for change in plan.changes]
    text = f"{len(risks)} change(s)"
    details = [f"{risks.count(risk)} {risk}" for risk in ("destructive", "attention") if risk in risks]
    return text + (f" ({', '.join(details)})" if details else "")


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;")
