"""`accelerator plan`'s preview: per environment, the pending changes with code, risk, description
and SQL, as text, JSON, or the Markdown a PR comment shows (collapsible SQL per environment)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from accelerator.model.elements import Project
from accelerator.plan import changes as c
from accelerator.plan.diff import diff
from accelerator.plan.gates import Approval, clearance
from accelerator.plan.migration_sql import migration_sql
from accelerator.plan.migrations import changes_in
from accelerator.plan.renames import Rename
from accelerator.plan.terraform_plan import TerraformChange

COMMENT_LIMIT = 60_000  # GitHub caps a comment at 65,536 characters; the rest of the summary needs room
TABLE_ROWS = 100  # rows of safe changes per environment in a comment; the risky ones are all listed
RISK_MARK = {"safe": "", "attention": "⚠️ ", "destructive": "🛑 "}


@dataclass(frozen=True)
class EnvironmentPlan:
    environment: str
    changes: tuple[c.Change, ...]
    statements: tuple[str, ...]
    terraform: tuple[TerraformChange, ...] | None = None  # None: no Terraform plan was given
    cleared: Mapping[int, str] = field(
        default_factory=dict
    )  # index of a destructive change -> why it may pass

    def note(self, index: int) -> str:
        return f" ({self.cleared[index]})" if index in self.cleared else ""

    @property
    def destructive(self) -> list[c.Change]:
        return [change for change in self.changes if change.risk == "destructive"]

    @property
    def data_loss(self) -> list[TerraformChange]:
        return [change for change in self.terraform or () if change.data_loss]


def plan_environments(
    previous: Project,
    current: Project,
    environments: Sequence[str],
    *,
    terraform: bool,
    renames: Sequence[Rename] = (),
    approvals: Sequence[Approval] = (),
    allow_destructive: Mapping[str, str | Sequence[str]] | None = None,
) -> list[EnvironmentPlan]:
    """With `approvals` and the policy's `allow_destructive`, each destructive change says whether
    and why it may pass its gate."""
    changes = tuple(diff(previous, current, renames=renames))
    plans = []
    for name in environments:
        environment = current.environment(name) or previous.environment(name)
        mine = tuple(changes_in(changes, name))
        grants_in = current.deployment.grants_in
        statements = (
            migration_sql(mine, environment, terraform=terraform, grants_in=grants_in) if environment else []
        )
        cleared = {
            index: why
            for index, change in enumerate(mine)
            if change.risk == "destructive"
            and (why := clearance(change, name, approvals, allow_destructive or {})) is not None
        }
        plans.append(EnvironmentPlan(name, mine, tuple(statements), cleared=cleared))
    return plans


def has_destructive(plans: Sequence[EnvironmentPlan]) -> bool:
    """A destructive schema change, or a Terraform plan that destroys or replaces a UC data object."""
    return any(plan.destructive or plan.data_loss for plan in plans)


def _terraform_json(plan: EnvironmentPlan) -> dict[str, Any]:
    if plan.terraform is None:
        return {}
    return {
        "terraform": [
            {
                "address": ch.address,
                "type": ch.type,
                "action": ch.action,
                "name": ch.name,
                "reason": ch.reason,
                "data_loss": ch.data_loss,
            }
            for ch in plan.terraform
        ],
        "terraform_data_loss": len(plan.data_loss),
    }


def plan_json(plans: Sequence[EnvironmentPlan]) -> str:
    data = {
        "environments": [
            {
                "environment": plan.environment,
                "changes": [
                    {
                        "code": ch.code,
                        "risk": ch.risk,
                        "object": str(ch.path),
                        "description": ch.describe(),
                        **({"cleared": plan.cleared[index]} if index in plan.cleared else {}),
                    }
                    for index, ch in enumerate(plan.changes)
                ],
                "destructive": len(plan.destructive),
                "sql": list(plan.statements),
                **_terraform_json(plan),
            }
            for plan in plans
        ],
        "destructive": has_destructive(plans),
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def plan_text(plans: Sequence[EnvironmentPlan]) -> str:
    lines: list[str] = []
    for plan in plans:
        lines += _terraform_text(plan)
        if not plan.changes:
            lines.append(f"{plan.environment}: no changes")
            continue
        lines.append(f"{plan.environment}: {_counts(plan)}")
        for index, change in enumerate(plan.changes):
            marker = "!!" if change.risk == "destructive" else " !" if change.risk == "attention" else "  "
            text = " ".join(change.describe().split()) + plan.note(index)
            lines.append(f"  {marker} {change.code} {change.risk:<11} {text}")
        if plan.statements:
            lines.append("  SQL:")
            lines += [
                f"    {line}" for statement in plan.statements for line in (statement + ";").splitlines()
            ]
    return "\n".join(lines) + "\n"


def _terraform_text(plan: EnvironmentPlan) -> list[str]:
    if plan.terraform is None:
        return []
    lines = [f"{plan.environment} (Terraform): {_terraform_counts(plan)}"]
    for change in plan.terraform:
        lines.append(f"  {'!!' if change.data_loss else '  '} {' '.join(change.describe().split())}")
    return lines


def _terraform_counts(plan: EnvironmentPlan) -> str:
    changes = plan.terraform or ()
    if not changes:
        return "no changes"
    lost = len(plan.data_loss)
    return f"{len(changes)} resource change(s)" + (
        f" ({lost} destroy or replace a Unity Catalog data object)" if lost else ""
    )


def _terraform_table(plan: EnvironmentPlan) -> str:
    if plan.terraform is None:
        return ""
    rows = [f"**{plan.environment}** (Terraform): {_terraform_counts(plan)}", ""]
    if not plan.terraform:
        return "\n".join(rows) + "\n"
    rows += ["| action | resource | Unity Catalog name |", "|---|---|---|"]
    ordered = [ch for ch in plan.terraform if ch.data_loss] + [
        ch for ch in plan.terraform if not ch.data_loss
    ]
    for change in ordered[:TABLE_ROWS]:
        action = f"🛑 **{change.action}**" if change.data_loss else change.action
        reason = f" ({_cell(change.reason)})" if change.reason else ""
        rows.append(f"| {action}{reason} | `{_cell(change.address)}` | {_cell(change.name or '')} |")
    if len(ordered) > TABLE_ROWS:
        rows.append(f"| | and {len(ordered) - TABLE_ROWS} more | |")
    return "\n".join(rows) + "\n"


def plan_markdown(plans: Sequence[EnvironmentPlan]) -> str:
    """The PR comment's section: a table of changes per environment, its SQL folded. Past GitHub's
    comment size, safe rows are counted instead of listed and the SQL is cut, saying so."""
    tables = [_terraform_table(plan) + _change_table(plan) for plan in plans]
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
    for index in sorted(plan.changes.index(change) for change in shown):
        change = plan.changes[index]
        risk = f"**{change.risk}**" if change.risk == "destructive" else change.risk
        text = _cell(change.describe() + plan.note(index))
        rows.append(f"| `{change.code}` | {RISK_MARK[change.risk]}{risk} | {text} |")
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
