"""Broad principals (everybody in the account or the workspace) holding powerful privileges.

`account users` and `users`, plus any principal `rules.grants.broad_principals` lists, are broad. A
privilege in `rules.grants.restricted_privileges[<env>]` (OWNERSHIP stands for owning the securable)
held by a broad principal in that environment is `grants.restricted_privilege` (error); one in
`rules.grants.powerful_privileges` elsewhere is `grants.broad_principal` (warn). Grants are judged
as the policy writes them, at the line of the offending privilege; owners as the model holds them.
"""

from __future__ import annotations

from collections.abc import Iterator

from accelerator.model.elements import Catalog, Project, Schema, Span, Table
from accelerator.policy.grants import policy_grants
from accelerator.policy.policy import Path, Policy
from accelerator.policy.privileges import ALL_KNOWN, OWNERSHIP, normalize_privilege
from accelerator.policy.reporting import Reporter, name_location

BUILTIN_BROAD_PRINCIPALS = ("account users", "users")


def principal_key(principal: str) -> str:
    """`Account  Users` and `` `account users` `` name the same principal."""
    return " ".join(principal.strip().strip("`").split()).casefold()


def check_broad_grants(project: Project, policy: Policy, reporter: Reporter) -> None:
    if not (reporter.enabled("grants.broad_principal") or reporter.enabled("grants.restricted_privilege")):
        return
    rules = policy.spec.rules.grants
    broad = {principal_key(p) for p in (*BUILTIN_BROAD_PRINCIPALS, *rules.broad_principals)}
    universe = [env.name for env in project.environments]
    judge = _Judge(policy, reporter, universe)
    for path, grant, environments in policy_grants(policy):
        if principal_key(grant.principal) not in broad:
            continue
        privileges = {
            privilege: (*path, "privileges", position)
            for position, written in enumerate(grant.privileges)
            if (privilege := normalize_privilege(written)) in ALL_KNOWN
        }
        where = f"{grant.on} {grant.name}"
        judge(grant.principal, privileges, environments, f"grant of {{}} on {where}", object=grant.name)
    for securable, qualified, defaults in _owned(project, policy):
        if securable.owner is None or principal_key(securable.owner) not in broad:
            continue
        if defaults is None:
            judge.owner(securable.owner, name_location(securable), f"{{}} of {qualified}", qualified)
        else:  # an owner from the policy's *_defaults is reported once, at the default
            kind = str(defaults[0]).removesuffix("_defaults")
            what = f"{{}} of every {kind} ({defaults[0]}.owner)"
            judge.owner(securable.owner, policy.locations.span(defaults), what, qualified)


class _Judge:
    def __init__(self, policy: Policy, reporter: Reporter, universe: list[str]) -> None:
        rules = policy.spec.rules.grants
        self.policy, self.reporter, self.universe = policy, reporter, universe
        self.powerful = frozenset(rules.powerful_privileges)
        self.restricted = {
            env: frozenset(privileges) for env, privileges in rules.restricted_privileges.items()
        }
        self.reported: set[tuple[str, Span | None, str]] = set()

    def __call__(
        self, principal: str, privileges: dict[str, Path], environments: list[str], what: str, *, object: str
    ) -> None:
        """Judge `privileges` (each with where the policy writes it) granted to the broad `principal`
        in `environments` ([] = all); `what` names the grant with `{}` for the privileges."""
        restricted: dict[str, list[str]] = {}  # privilege -> environments
        powerful: dict[str, list[str]] = {}
        for env in environments or self.universe:
            banned = self.restricted.get(env, frozenset())
            for privilege in privileges:
                if privilege in banned:
                    restricted.setdefault(privilege, []).append(env)
                elif privilege in self.powerful:
                    powerful.setdefault(privilege, []).append(env)
        if restricted:
            span = self.policy.locations.span(privileges[next(iter(restricted))])
            self._report("grants.restricted_privilege", principal, restricted, what, span, object)
        if powerful:
            span = self.policy.locations.span(privileges[next(iter(powerful))])
            self._report("grants.broad_principal", principal, powerful, what, span, object)

    def owner(self, principal: str, span: Span | None, what: str, qualified: str) -> None:
        """Judge `principal` owning a securable: ownership holds in every environment."""
        restricted = [env for env in self.universe if OWNERSHIP in self.restricted.get(env, frozenset())]
        powerful = [env for env in self.universe if env not in restricted and OWNERSHIP in self.powerful]
        if restricted:
            self._report(
                "grants.restricted_privilege", principal, {OWNERSHIP: restricted}, what, span, qualified
            )
        if powerful:
            self._report("grants.broad_principal", principal, {OWNERSHIP: powerful}, what, span, qualified)

    def _report(
        self,
        rule: str,
        principal: str,
        found: dict[str, list[str]],
        what: str,
        span: Span | None,
        object: str,
    ) -> None:
        environments = sorted({env for envs in found.values() for env in envs})
        listing = ", ".join(privilege.replace("_", " ") for privilege in found)
        key = (rule, span, f"{principal}|{listing}|{environments}")
        if key in self.reported:
            return  # e.g. one table_defaults owner for every table
        self.reported.add(key)
        subject = what.format(listing)
        where = f" in {', '.join(environments)}" if environments else ""
        to = "by" if OWNERSHIP in found else "to"
        if rule == "grants.restricted_privilege":
            message = (
                f"{subject} {to} {principal}{where}: {principal} is a broad principal (everybody), and the "
                f"policy restricts {listing} there (rules.grants.restricted_privileges); give it to a "
                "smaller group, or limit it to other environments"
            )
        else:
            message = (
                f"{subject} {to} {principal}{where}: {principal} is a broad principal (everybody), and "
                f"{listing} is powerful; give it to a smaller group"
            )
        self.reporter.report(rule, message, span=span, object=object)


def _owned(project: Project, policy: Policy) -> Iterator[tuple[Catalog | Schema | Table, str, Path | None]]:
    """Every securable, its qualified name, and the policy default its owner came from (if it did)."""
    spec = policy.spec

    def default(path: Path, template: str | None, names: dict[str, str], owner: str | None) -> Path | None:
        return path if template and owner == template.format(**names) else None

    for catalog in project.catalogs:
        names = {"catalog": catalog.name, "schema": "", "table": ""}
        yield (
            catalog,
            catalog.name,
            default(("catalog_defaults", "owner"), spec.catalog_defaults.owner, names, catalog.owner),
        )
        for schema in catalog.schemas:
            names["schema"] = schema.name
            qualified = f"{catalog.name}.{schema.name}"
            yield (
                schema,
                qualified,
                default(("schema_defaults", "owner"), spec.schema_defaults.owner, names, schema.owner),
            )
            for table in schema.tables:
                names["table"] = table.name
                yield (
                    table,
                    f"{qualified}.{table.name}",
                    default(("table_defaults", "owner"), spec.table_defaults.owner, names, table.owner),
                )
