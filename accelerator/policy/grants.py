"""Grants from the policy put on the model's catalogs, schemas and tables.

Each privilege is normalized (`use schema` -> `USE_SCHEMA`) and checked against what Unity Catalog
allows on that securable; a bad one is an error finding at its line in the policy file and is left
out of the model. Grants to the same principal for the same environments are merged, so governing
an already governed project changes nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from functools import lru_cache

from accelerator.model.elements import Catalog, Grant, Project, Schema, Span, Table
from accelerator.policy.policy import Path, Policy
from accelerator.policy.privileges import normalize_privilege, privilege_problem
from accelerator.policy.reporting import Reporter
from accelerator.policy.schema import GrantSpec

Securable = Catalog | Schema | Table


def policy_grants(policy: Policy) -> list[tuple[Path, GrantSpec, list[str]]]:
    """Every grant the policy writes: (where in the policy, the grant, its environments; [] = all)."""
    entries: list[tuple[Path, GrantSpec, list[str]]] = [
        (("grants", index), grant, list(grant.environments)) for index, grant in enumerate(policy.spec.grants)
    ]
    for env_name, env in (policy.spec.environments or {}).items():
        entries.extend(
            (("environments", env_name, "grants", index), grant, [env_name])
            for index, grant in enumerate(env.grants)
        )
    return entries


def attach_grants(project: Project, policy: Policy, reporter: Reporter) -> None:
    for path, grant, environments in policy_grants(policy):
        privileges = _valid_privileges(path, grant, policy, reporter)
        targets = _targets(project, grant, path, policy, reporter)
        if not privileges:
            continue
        for target in targets:
            add_grant(target, grant.principal, privileges, environments, policy.locations.span(path))


def _valid_privileges(path: Path, grant: GrantSpec, policy: Policy, reporter: Reporter) -> list[str]:
    privileges: list[str] = []
    for position, written in enumerate(grant.privileges):
        privilege = normalize_privilege(written)
        problem = privilege_problem(privilege, grant.on)
        if problem is None:
            if privilege not in privileges:
                privileges.append(privilege)
            continue
        message, hint = problem
        reporter.report(
            "grants.privilege",
            f"grant to {grant.principal} on {grant.on} {grant.name}: {message}; {hint}",
            span=policy.locations.span((*path, "privileges", position)),
            object=grant.name,
        )
    return privileges


def _targets(
    project: Project, grant: GrantSpec, path: Path, policy: Policy, reporter: Reporter
) -> list[Securable]:
    name = grant.name.strip()
    parts = [part.lower() for part in name.split(".")]
    targets: list[Securable] = []
    known: list[str] = []
    if grant.on == "catalog":
        known = [c.name for c in project.catalogs]
        targets = [c for c in project.catalogs if name == "*" or c.name.lower() == name.lower()]
    elif grant.on == "schema":
        for catalog in project.catalogs:
            for schema in catalog.schemas:
                known.append(schema.name)
                if name == "*" or _matches(parts, [catalog.name, schema.name]):
                    targets.append(schema)
    else:
        for catalog, schema, table in project.iter_tables():
            known.append(f"{schema.name}.{table.name}")
            if name == "*" or _matches(parts, [catalog.name, schema.name, table.name]):
                targets.append(table)
    if not targets and name != "*":
        reporter.report(
            "grants.target",
            f"grant to {grant.principal} names {grant.on} {name!r}, which the model does not have{_closest(name, known)}",
            span=policy.locations.span((*path, "name")),
            object=name,
        )
    return targets


def _matches(parts: list[str], qualified: list[str]) -> bool:
    """`parts` names the securable `qualified` (catalog, schema[, table]) by its last names;
    `*` as the last part matches every table of a schema."""
    names = [n.lower() for n in qualified]
    if len(parts) > len(names):
        return False
    tail = names[len(names) - len(parts) :]
    return all(
        p == n or (p == "*" and i == len(parts) - 1) for i, (p, n) in enumerate(zip(parts, tail, strict=True))
    )


def _closest(name: str, known: Sequence[str]) -> str:
    return _closest_of(name, tuple(known))


@lru_cache(maxsize=64)  # a grant that names nothing is reported again on every governance run
def _closest_of(name: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name.lower(), [k.lower() for k in known], n=1, cutoff=0.6)
    if close:
        return f"; did you mean {next(k for k in known if k.lower() == close[0])!r}?"
    return f"; known: {', '.join(sorted(known)[:10])}" if known else ""


def add_grant(
    target: Securable, principal: str, privileges: list[str], environments: list[str], span: Span | None
) -> None:
    envs = sorted(set(environments))
    for position, existing in enumerate(target.grants):
        if existing.principal == principal and sorted(set(existing.environments)) == envs:
            merged = existing.privileges + [p for p in privileges if p not in existing.privileges]
            target.grants[position] = existing.model_copy(update={"privileges": merged})
            return
    target.grants.append(
        Grant(principal=principal, privileges=list(privileges), environments=envs, span=span)
    )
