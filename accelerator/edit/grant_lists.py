"""Granting and revoking on a securable's list of grants, as the model stores them.

A model grant is `(principal, privileges, environments)`, `environments == []` meaning every
environment. Granting adds only what the principal does not already hold there, to the entry with
exactly those environments (or a new one). Revoking in one environment from an entry that covers
several keeps the privileges in the others, so the result always means what was asked.
"""

from __future__ import annotations

from accelerator.errors import EditConflictError
from accelerator.model.elements import Grant as GrantEntry

ALL_PRIVILEGES = "ALL_PRIVILEGES"


def _applies(entry: GrantEntry, environment: str | None) -> bool:
    """Whether the entry grants in `environment` (None: in every environment)."""
    return not entry.environments or (environment is not None and environment in entry.environments)


def _where(securable: str, environment: str | None) -> str:
    return f"{securable} in {environment}" if environment else f"{securable} in every environment"


def _summary(entries: list[GrantEntry]) -> str:
    return "; ".join(
        f"{', '.join(e.privileges)} ({', '.join(e.environments) or 'every environment'})" for e in entries
    )


def grant_privileges(
    grants: list[GrantEntry], principal: str, privileges: list[str], environment: str | None, securable: str
) -> list[GrantEntry]:
    """The grants after granting `privileges` to `principal`; raise if it already holds them all."""
    held = {p for e in grants if e.principal == principal and _applies(e, environment) for p in e.privileges}
    missing = [p for p in privileges if p not in held and ALL_PRIVILEGES not in held]
    if not missing:
        raise EditConflictError(
            f"nothing to change: `{principal}` already has {', '.join(privileges)} on {_where(securable, environment)}",
            hint="its grants there: " + _summary([e for e in grants if e.principal == principal]),
        )
    environments = [environment] if environment else []
    updated = [entry.model_copy(deep=True) for entry in grants]
    target = next((e for e in updated if e.principal == principal and e.environments == environments), None)
    if target is None:
        updated.append(GrantEntry(principal=principal, privileges=missing, environments=environments))
    else:
        target.privileges = [*target.privileges, *missing]
    return updated


def revoke_privileges(
    grants: list[GrantEntry],
    principal: str,
    privileges: list[str],
    environment: str | None,
    securable: str,
    all_environments: list[str],
) -> list[GrantEntry]:
    """The grants after revoking `privileges` from `principal` in `environment` (None: everywhere);
    raise if it does not hold one of them there."""
    mine = [e for e in grants if e.principal == principal]
    affected = mine if environment is None else [e for e in mine if _applies(e, environment)]
    held = {p for e in affected for p in e.privileges}
    missing = [p for p in privileges if p not in held]
    if missing:
        where = f"{securable} in {environment}" if environment else securable
        raise EditConflictError(
            f"`{principal}` has no {', '.join(missing)} on {where} to revoke",
            hint=f"its grants on {securable}: {_summary(mine)}"
            if mine
            else f"it has no grants on {securable}",
        )
    affected_ids = {id(entry) for entry in affected}
    updated: list[GrantEntry] = []
    for entry in grants:
        revoked = [p for p in entry.privileges if p in privileges]
        if id(entry) not in affected_ids or not revoked:
            updated.append(entry.model_copy(deep=True))
            continue
        remaining = [p for p in entry.privileges if p not in privileges]
        if remaining:
            updated.append(entry.model_copy(update={"privileges": remaining}, deep=True))
        if environment is not None and entry.environments != [environment]:
            # the entry also grants elsewhere: keep the revoked privileges in the other environments
            others = [e for e in (entry.environments or all_environments) if e != environment]
            if others:
                updated.append(GrantEntry(principal=principal, privileges=revoked, environments=others))
    return updated
