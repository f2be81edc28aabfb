"""Naming rules per kind (catalog, schema, table, column) on top of Unity Catalog's own limits.

Every fixable naming finding of one element carries the same replacement: the name with every
configured correction applied (case style, prefix, suffix, lower case), so fixes never conflict.
"""

from __future__ import annotations

from accelerator.model.elements import Located, Project
from accelerator.model.findings import Fix
from accelerator.policy.identifiers import convert_case, uc_name_problem
from accelerator.policy.policy import CompiledNameRules, Policy
from accelerator.policy.reporting import Reporter, name_location

_CASE_SENSITIVE_STYLES = {"camelCase", "PascalCase", "UPPER_SNAKE"}
Problem = tuple[str, str, Fix | None]  # rule id, message, fix


def check_names(project: Project, policy: Policy, reporter: Reporter) -> None:
    naming = policy.naming
    lower_enabled = reporter.enabled("uc.name.lowercase")
    cache: dict[tuple[str, str], list[Problem]] = {}  # names repeat (id, created_at, ...)

    def check(element: Located, name: str, kind: str, *where: str) -> None:
        problems = cache.get((kind, name))
        if problems is None:
            problems = cache[(kind, name)] = _problems(name, kind, naming[kind], policy, lower_enabled)
        if not problems:  # the usual case: no location string to build
            return
        span, qualified = name_location(element), ".".join(where)
        for rule, message, fix in problems:
            reporter.report(rule, message, span=span, object=qualified, fix=fix)

    for catalog in project.catalogs:
        check(catalog, catalog.name, "catalog", catalog.name)
        for schema in catalog.schemas:
            check(schema, schema.name, "schema", catalog.name, schema.name)
            for table in schema.tables:
                check(table, table.name, "table", catalog.name, schema.name, table.name)
                for column in table.columns:
                    check(column, column.name, "column", catalog.name, schema.name, table.name, column.name)


def suggested_name(name: str, compiled: CompiledNameRules, lower: bool) -> str:
    rules = compiled.rules
    suggestion = convert_case(name, rules.case) if rules.case else name
    if rules.prefix and not suggestion.startswith(rules.prefix):
        suggestion = rules.prefix + suggestion
    if rules.suffix and not suggestion.endswith(rules.suffix):
        suggestion += rules.suffix
    if lower and rules.case not in _CASE_SENSITIVE_STYLES:
        suggestion = suggestion.lower()
    return suggestion


def _problems(
    name: str, kind: str, compiled: CompiledNameRules, policy: Policy, lower_enabled: bool
) -> list[Problem]:
    problems: list[Problem] = []
    uc_problem = uc_name_problem(name)
    if uc_problem:
        rule, text = uc_problem
        problems.append((rule, f"{kind} name {name!r} {text}", None))
    rules = compiled.rules
    fixable: list[tuple[str, str]] = []
    if compiled.case is not None and not compiled.case.fullmatch(name):
        fixable.append((f"naming.{kind}.case", f"{kind} name {name!r} is not {rules.case}"))
    if rules.prefix and not name.startswith(rules.prefix):
        fixable.append(
            (f"naming.{kind}.prefix", f"{kind} name {name!r} does not start with {rules.prefix!r}")
        )
    if rules.suffix and not name.endswith(rules.suffix):
        fixable.append((f"naming.{kind}.suffix", f"{kind} name {name!r} does not end with {rules.suffix!r}"))
    if lower_enabled and name != name.lower():
        message = f"{kind} name {name!r} has upper-case letters; Unity Catalog stores it as {name.lower()!r}"
        fixable.append(("uc.name.lowercase", message))
    if fixable:
        suggestion = suggested_name(name, compiled, lower_enabled)
        for rule, message in fixable:
            replacement = suggestion.lower() if rule == "uc.name.lowercase" else suggestion
            fix = Fix(description=f"rename {kind} {name} to {replacement}", replacement=replacement)
            problems.append((rule, f"{message}; use {replacement!r}", fix))
    if compiled.pattern is not None and not compiled.pattern.fullmatch(name):
        problems.append(
            (f"naming.{kind}.pattern", f"{kind} name {name!r} does not match {rules.pattern!r}", None)
        )
    if rules.forbid_reserved_words and name.lower() in policy.reserved_words:
        message = f"{kind} name {name!r} is an SQL reserved word; it must be quoted everywhere"
        problems.append((f"naming.{kind}.reserved", message, None))
    if rules.max_length is not None and len(name) > rules.max_length:
        message = f"{kind} name {name!r} is {len(name)} characters long; the policy allows {rules.max_length}"
        problems.append((f"naming.{kind}.max_length", message, None))
    return problems
