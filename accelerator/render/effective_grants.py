"""The grants of one securable in one environment, merged per principal and validated."""

from __future__ import annotations

from dataclasses import dataclass

from accelerator.model.elements import Grant
from accelerator.model.sql_quoting import checked_privilege


@dataclass(frozen=True)
class EffectiveGrant:
    principal: str
    privileges: tuple[str, ...]  # UPPER_SNAKE, sorted, unique

    @property
    def sql_privileges(self) -> str:
        """`USE_SCHEMA` -> `USE SCHEMA`: privileges are validated keywords, never user text."""
        return ", ".join(privilege.replace("_", " ") for privilege in self.privileges)


def grants_for_environment(grants: list[Grant], environment: str) -> list[EffectiveGrant]:
    """Grants that apply in `environment` (an empty `environments` list means every one), one per
    principal, sorted by principal, so the output does not depend on the policy's rule order."""
    by_principal: dict[str, set[str]] = {}
    for grant in grants:
        if grant.environments and environment not in grant.environments:
            continue
        privileges = by_principal.setdefault(grant.principal, set())
        privileges.update(checked_privilege(privilege, grant.span) for privilege in grant.privileges)
    return [
        EffectiveGrant(principal, tuple(sorted(privileges)))
        for principal, privileges in sorted(by_principal.items())
        if privileges
    ]
