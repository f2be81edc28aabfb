"""What a change takes away from protection: compare two governed models (before and after a turn).

A classified column that loses its class, a tag, or its mask (or whose mask lets more groups see
clear values, or turns to a weaker strategy), and a broad principal (everybody: `account users`,
`users`, `rules.grants.broad_principals`) that gains a privilege or an ownership, are each a
`governance.weakened` finding naming the object and what was lost. It is a warning, and an error
where `rules.governance.confirm_weakening` lists an environment it affects: the caller then asks
for an explicit confirmation. A renamed table or column is followed (same schema and columns; same
table, position and type); a dropped one is not a weakening (its data is gone with it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence

from accelerator.model.elements import Catalog, Column, Grant, Project, Schema, Span, Table
from accelerator.model.findings import Finding, Severity
from accelerator.policy.broad_grants import BUILTIN_BROAD_PRINCIPALS, principal_key
from accelerator.policy.policy import Policy
from accelerator.policy.privileges import OWNERSHIP

RULE = "governance.weakened"
# How much a mask hides: a change to a lower rank shows more of the value.
_STRATEGY_RANK = {"null": 3, "redact": 3, "hash": 2, "partial": 1}
Securable = Catalog | Schema | Table


def weakened(
    before: Project,
    after: Project,
    policy: Policy,
    *,
    same_content: Callable[[Table, Table], bool] | None = None,
) -> list[Finding]:
    """The `governance.weakened` findings of the change from `before` to `after` (both governed;
    `policy` is the one `after` was governed with). Empty when the rule is switched off.
    `same_content`: tables it says are equal in content (render.cache's keys) lose nothing."""
    base = policy.severity(RULE)
    if base is None:
        return []
    environments = [env.name for env in after.environments]
    confirm = [env for env in policy.spec.rules.governance.confirm_weakening if env in environments]
    broad = {
        principal_key(p) for p in (*BUILTIN_BROAD_PRINCIPALS, *policy.spec.rules.grants.broad_principals)
    }
    findings: list[Finding] = []

    def report(message: str, where: str, span: Span | None, affected: Sequence[str]) -> None:
        needs = [env for env in confirm if env in affected]
        severity: Severity = "error" if needs else base
        if needs:
            message += (
                f"; the policy asks for a confirmation of such a change in {', '.join(needs)} "
                "(rules.governance.confirm_weakening)"
            )
        findings.append(Finding(rule=RULE, severity=severity, message=message, span=span, object=where))

    for old, new, where in _securables(before, after):
        if (
            same_content is not None
            and isinstance(old, Table)
            and isinstance(new, Table)
            and same_content(old, new)
        ):
            continue  # equal in content (the same name, grants, owner and columns): nothing lost
        same_access = old.grants == new.grants and old.owner == new.owner
        gained = {} if same_access else _broad_gains(old, new, broad, environments)
        for privilege, envs in gained.items():
            what = (
                f"{where} is now owned by {new.owner}, a broad principal (everybody)"
                if privilege == OWNERSHIP
                else f"{privilege.replace('_', ' ')} on {where} is now granted to a broad principal "
                f"(everybody: {', '.join(_holders(new.grants, privilege, broad, envs))})"
            )
            report(f"{what} in {', '.join(envs)}", where, new.name_span or new.span, envs)
        if isinstance(old, Table) and isinstance(new, Table) and any(_protected(c) for c in old.columns):
            for column_before, column_after in _paired_columns(old, new):
                lost = _column_losses(column_before, column_after)
                if lost:
                    name = f"{where}.{column_before.name}"
                    renamed = (
                        f" (renamed to {column_after.name})"
                        if column_after.name != column_before.name
                        else ""
                    )
                    span = column_after.name_span or column_after.span
                    report(f"column {name}{renamed} {'; '.join(lost)}", name, span, environments)
    return findings


def _protected(column: Column) -> bool:
    """Whether the column has something to lose: a class or a mask (tags count only beside these)."""
    return bool(column.classification) or column.mask is not None


def _column_losses(before: Column, after: Column) -> list[str]:
    if not _protected(before):
        return []
    lost: list[str] = []
    if before.classification and not after.classification:
        lost.append(f"is no longer classified (was {before.classification})")
    elif before.classification and after.classification != before.classification:
        lost.append(f"changes class from {before.classification} to {after.classification}")
    if before.classification or before.mask:
        gone = [f"{key}={value}" for key, value in before.tags.items() if after.tags.get(key) != value]
        if gone:
            lost.append(f"loses the tag{'s' if len(gone) > 1 else ''} {', '.join(gone)}")
    if before.mask is not None:
        if after.mask is None:
            lost.append(
                f"loses its mask ({before.mask.strategy}): its values are shown in clear to every reader"
            )
        else:
            exempt = [g for g in after.mask.exempt_groups if g not in before.mask.exempt_groups]
            if exempt:
                lost.append(f"its mask now shows clear values to {', '.join(exempt)}")
            if _STRATEGY_RANK.get(after.mask.strategy, 0) < _STRATEGY_RANK.get(before.mask.strategy, 0):
                lost.append(f"its mask weakens from {before.mask.strategy} to {after.mask.strategy}")
    return lost


def _broad_gains(
    old: Securable, new: Securable, broad: set[str], universe: list[str]
) -> dict[str, list[str]]:
    """Privileges (and OWNERSHIP) broad principals hold on `new` and did not on `old`, with where."""
    had, has = _broad_held(old, broad, universe), _broad_held(new, broad, universe)
    gained: dict[str, list[str]] = {}
    for env in universe:
        for privilege in sorted(has.get(env, set()) - had.get(env, set())):
            gained.setdefault(privilege, []).append(env)
    return gained


def _broad_held(securable: Securable, broad: set[str], universe: list[str]) -> dict[str, set[str]]:
    held: dict[str, set[str]] = {env: set() for env in universe}
    for grant in securable.grants:
        if principal_key(grant.principal) in broad:
            for env in grant.environments or universe:
                held.setdefault(env, set()).update(grant.privileges)
    if securable.owner is not None and principal_key(securable.owner) in broad:
        for env in universe:
            held[env].add(OWNERSHIP)
    return held


def _holders(grants: list[Grant], privilege: str, broad: set[str], envs: list[str]) -> list[str]:
    return sorted(
        {
            g.principal
            for g in grants
            if principal_key(g.principal) in broad
            and privilege in g.privileges
            and (not g.environments or set(g.environments) & set(envs))
        }
    )


def _securables(before: Project, after: Project) -> Iterator[tuple[Securable, Securable, str]]:
    """Every catalog, schema and table of `after` with its counterpart in `before` (renamed tables
    followed), and its qualified name in `after`."""
    old_catalogs = {c.name.lower(): c for c in before.catalogs}
    for catalog in after.catalogs:
        old_catalog = old_catalogs.get(catalog.name.lower())
        if old_catalog is None:
            continue
        yield old_catalog, catalog, catalog.name
        old_schemas = {s.name.lower(): s for s in old_catalog.schemas}
        for schema in catalog.schemas:
            old_schema = old_schemas.get(schema.name.lower())
            if old_schema is None:
                continue
            yield old_schema, schema, f"{catalog.name}.{schema.name}"
            for old_table, table in _paired_tables(old_schema, schema):
                yield old_table, table, f"{catalog.name}.{schema.name}.{table.name}"


def _paired_tables(before: Schema, after: Schema) -> list[tuple[Table, Table]]:
    old = {t.name.lower(): t for t in before.tables}
    new_names = {t.name.lower() for t in after.tables}
    pairs, unmatched = [], []
    for table in after.tables:
        found = old.get(table.name.lower())
        if found is not None:
            pairs.append((found, table))
        else:
            unmatched.append(table)
    gone = [t for t in before.tables if t.name.lower() not in new_names]
    for table in unmatched:  # a renamed table keeps its columns
        columns = [c.name.lower() for c in table.columns]
        match = next((t for t in gone if [c.name.lower() for c in t.columns] == columns), None)
        if match is not None:
            gone.remove(match)
            pairs.append((match, table))
    return pairs


def _paired_columns(before: Table, after: Table) -> list[tuple[Column, Column]]:
    old = {c.name.lower(): c for c in before.columns}
    new_names = {c.name.lower() for c in after.columns}
    pairs = []
    for position, column in enumerate(after.columns):
        found = old.get(column.name.lower())
        if found is None and position < len(before.columns):  # renamed in place: same position and type
            candidate = before.columns[position]
            if candidate.name.lower() not in new_names and candidate.type == column.type:
                found = candidate
        if found is not None:
            pairs.append((found, column))
    return pairs


def weakening_digest(findings: Sequence[Finding]) -> str:
    """One digest of what a change weakens (each finding's rule, object and message, in any
    order): a confirmation given for one weakening does not cover another."""
    lines = sorted(f"{f.rule}\n{f.object or ''}\n{f.message}" for f in findings)
    return hashlib.sha256("\n\n".join(lines).encode("utf-8")).hexdigest()[:16]
