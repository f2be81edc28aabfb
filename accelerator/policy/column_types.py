"""Forbidden column types per name pattern (`rules.types.forbidden`), e.g. no FLOAT/DOUBLE for
money-like columns; the fix is the configured replacement type."""

from __future__ import annotations

from accelerator.model.elements import Project
from accelerator.model.findings import Fix
from accelerator.policy.policy import CompiledTypeRule, Policy
from accelerator.policy.reporting import Reporter, name_location


def base_type(databricks_type: str) -> str:
    return databricks_type.split("(", 1)[0].split("<", 1)[0].strip().upper()


def check_types(project: Project, policy: Policy, reporter: Reporter) -> None:
    type_rules = [rule for rule in policy.type_rules if reporter.enabled(rule.rule_id)]
    if not type_rules:
        return
    verdicts: dict[tuple[str, str], CompiledTypeRule | None] = {}  # (type, name) pairs repeat
    for catalog, schema, table in project.iter_tables():
        for column in table.columns:
            key = (column.type, column.name)
            if key not in verdicts:
                verdicts[key] = _forbidding_rule(column.type, column.name, type_rules)
            compiled = verdicts[key]
            if compiled is None:
                continue
            rule = compiled.rule
            fix = None
            if rule.replacement:
                fix = Fix(
                    description=f"change the type of {column.name} to {rule.replacement}",
                    replacement=rule.replacement,
                )
            advice = f"; use {rule.replacement}" if rule.replacement else ""
            reporter.report(
                compiled.rule_id,
                f"column {schema.name}.{table.name}.{column.name} is {column.type}, which the policy "
                f"forbids for {rule.name} columns{advice}",
                span=column.span or name_location(column),  # the whole definition: the type is wrong
                object=f"{catalog.name}.{schema.name}.{table.name}.{column.name}",
                fix=fix,
            )


def _forbidding_rule(
    column_type: str, name: str, type_rules: list[CompiledTypeRule]
) -> CompiledTypeRule | None:
    base, full = base_type(column_type), column_type.upper()
    for compiled in type_rules:
        if (base in compiled.types or full in compiled.types) and compiled.columns.search(name):
            return compiled
    return None
