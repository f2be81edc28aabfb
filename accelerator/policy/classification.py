"""Classification: the policy's classes (pii.email, ...) matched to columns, which get the class,
its tags and its mask; a classified column must say what it holds (`classification.comment`).

A column's class comes from, in order: the ERD, the policy's `classified_columns` (a decision about
that one column, e.g. by `classify` or kept through a rename), the first class whose match fits. An
entry of `classified_columns` that names no column is `classification.column`, at the entry.

Mask functions are shared per (strategy, column type, exempt groups) within a schema, so their
names are `mask_<strategy>_<type>[_<groups>]`: `mask_redact_string_pii_readers`,
`mask_hash_decimal_10_2` (long group lists become a short hash).
"""

from __future__ import annotations

import difflib
import hashlib
import re

from accelerator.model.copying import copied
from accelerator.model.elements import Column, Mask, Project
from accelerator.policy.policy import CompiledClass, Policy
from accelerator.policy.reporting import Reporter, name_location

_NOT_IDENTIFIER = re.compile(r"[^a-z0-9]+")


def mask_function_name(strategy: str, column_type: str, exempt_groups: list[str] | None = None) -> str:
    name = f"mask_{strategy}_{_slug(column_type)}"
    groups = "_".join(_slug(group) for group in sorted(set(exempt_groups or [])))
    if len(groups) > 40:
        groups = hashlib.sha256(groups.encode()).hexdigest()[:10]
    return f"{name}_{groups}" if groups else name


def _slug(text: str) -> str:
    return _NOT_IDENTIFIER.sub("_", text.lower()).strip("_")


def classify(project: Project, policy: Policy, reporter: Reporter) -> None:
    classes = policy.classes
    by_name = policy.classes_by_name
    name_matches: dict[str, list[CompiledClass]] = {}  # column names repeat across tables
    masks: dict[tuple[int, str], Mask] = {}  # one Mask per (class, type): masks are never mutated
    check_comment = reporter.enabled("classification.comment")
    explicit = _explicit(policy)
    used: set[str] = set()
    for catalog, schema, table in project.iter_tables():
        for position, column in enumerate(table.columns):
            decided = None
            if explicit:
                names = (catalog.name.lower(), schema.name.lower(), table.name.lower(), column.name.lower())
                decided = explicit.get(names) or explicit.get(names[1:])
                if decided is not None:
                    used.add(decided[0])
            if column.classification:
                chosen = by_name.get(column.classification)
            elif decided is not None:
                chosen = by_name.get(decided[1])
            else:
                lowered = column.name.lower()
                candidates = name_matches.get(lowered)
                if candidates is None:
                    candidates = name_matches[lowered] = [c for c in classes if _name_matches(c, lowered)]
                chosen = None
                for candidate in candidates:
                    if _tags_match(candidate, column):
                        chosen = candidate
                        break
            if chosen is not None:
                column = table.columns[position] = _classified(column, chosen, policy, masks)
            if check_comment and column.classification and not (column.comment or "").strip():
                reporter.report(
                    "classification.comment",
                    f"column {schema.name}.{table.name}.{column.name} is classified "
                    f"{column.classification} but has no comment saying what it holds",
                    span=name_location(column),
                    object=f"{catalog.name}.{schema.name}.{table.name}.{column.name}",
                )
    if explicit and reporter.enabled("classification.column"):
        _report_unknown_columns(project, policy, reporter, used)


def _explicit(policy: Policy) -> dict[tuple[str, ...], tuple[str, str]]:
    """`classified_columns` by lower-case name parts: (entry as written, class)."""
    return {
        tuple(part.strip().lower() for part in key.split(".")): (key, name)
        for key, name in policy.spec.classified_columns.items()
    }


def _report_unknown_columns(project: Project, policy: Policy, reporter: Reporter, used: set[str]) -> None:
    unknown = [key for key in policy.spec.classified_columns if key not in used]
    if not unknown:
        return
    columns = [
        f"{schema.name}.{table.name}.{column.name}"
        for _, schema, table in project.iter_tables()
        for column in table.columns
    ]
    for key in unknown:
        close = difflib.get_close_matches(key.lower(), columns, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else "; rename or remove the entry"
        reporter.report(
            "classification.column",
            f"classified_columns names {key}, which is not a column of the model, so nothing is "
            f"classified {policy.spec.classified_columns[key]} by it{hint}",
            span=policy.locations.keys.get(("classified_columns", key))
            or policy.locations.span(("classified_columns", key)),
            object=key,
        )


def _name_matches(compiled: CompiledClass, lowered: str) -> bool:
    if not compiled.names and compiled.regex is None:
        return True  # a tags-only match
    return lowered in compiled.names or (
        compiled.regex is not None and compiled.regex.search(lowered) is not None
    )


def _tags_match(compiled: CompiledClass, column: Column) -> bool:
    required = compiled.rule.match.tags
    return not required or all(column.tags.get(key) == value for key, value in required.items())


def _classified(
    column: Column, compiled: CompiledClass, policy: Policy, masks: dict[tuple[int, str], Mask]
) -> Column:
    """The column with the class, its tags and its mask (a copy: the input project is shared)."""
    rule = compiled.rule
    update: dict[str, object] = {}
    if column.classification is None:
        update["classification"] = rule.name
    if rule.tags and any(key not in column.tags for key in rule.tags):
        update["tags"] = {**rule.tags, **column.tags}
    if rule.mask is not None and column.mask is None:
        key = (compiled.index, column.type)
        mask = masks.get(key)
        if mask is None:
            mask = masks[key] = Mask(
                function=mask_function_name(rule.mask.strategy, column.type, rule.mask.exempt_groups),
                strategy=rule.mask.strategy,
                exempt_groups=list(rule.mask.exempt_groups),
                span=policy.locations.span(("classification", compiled.index, "mask")),
            )
        update["mask"] = mask
    return copied(column, **update) if update else column
