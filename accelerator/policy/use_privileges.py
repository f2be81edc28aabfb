"""Privileges imply their USE privileges: `SELECT` on a schema does nothing without `USE CATALOG` on
its catalog and `USE SCHEMA` on the schema, so a grant without them cannot work.

By `rules.grants.implied_use`, governance either adds the missing USE grants for the same principal
in the same environments (`add`, the default: merged into the principal's existing grants, so
governing twice changes nothing) or reports `grants.implied_use` at the grant's line in the policy
(`error`). A principal holds a USE privilege through the privilege itself, through ALL PRIVILEGES on
that securable, through USE SCHEMA / ALL PRIVILEGES on the catalog (for a schema), or by owning it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from accelerator.model.elements import Catalog, Grant, Project, Schema, Span, Table
from accelerator.policy.grants import add_grant
from accelerator.policy.policy import Policy
from accelerator.policy.privileges import use_privileges_needed
from accelerator.policy.reporting import Reporter

Securable = Catalog | Schema | Table
_HOLDS_USE_CATALOG = frozenset({"USE_CATALOG", "ALL_PRIVILEGES"})
_HOLDS_USE_SCHEMA = frozenset({"USE_SCHEMA", "ALL_PRIVILEGES"})


@dataclass(frozen=True)
class _Need:
    """`privilege` must be granted on `holder` (where it is added) to `principal` in `environments`."""

    holder: Securable
    kind: str  # catalog | schema: what `holder` is
    qualified: str  # `holder` with its catalog: how a policy grant and the finding's object name it
    privilege: str  # USE_CATALOG | USE_SCHEMA
    principal: str
    environments: list[str]  # [] = every environment
    missing: list[str]  # the environments where the principal does not hold it (sorted)
    cause: str  # e.g. "SELECT on table sales.orders"
    span: Span | None  # the grant that needs it


def check_use_privileges(project: Project, policy: Policy, reporter: Reporter) -> None:
    universe = {env.name for env in project.environments}
    adding = policy.spec.rules.grants.implied_use == "add"
    if not adding and not reporter.enabled("grants.implied_use"):
        return
    reported: set[tuple[object, ...]] = set()
    for need in _needs(project, universe):  # lazily: what one need adds covers the same need of later grants
        if adding:
            # a partly held USE privilege is added only where it is missing
            environments = need.environments if _none_held(need, universe) else need.missing
            add_grant(need.holder, need.principal, [need.privilege], environments, need.span)
            continue
        key = (need.span, need.principal, need.privilege, need.qualified, tuple(need.missing))
        if key not in reported:  # a grant on `sales.*` needs the same USE SCHEMA for every table
            reported.add(key)
            reporter.report("grants.implied_use", _message(need), span=need.span, object=need.qualified)


def _needs(project: Project, universe: set[str]) -> Iterator[_Need]:
    """The USE grants missing for the grants on every catalog, schema and table, parents first."""
    for catalog in project.catalogs:
        for grant in list(catalog.grants):
            yield from _missing(catalog, None, f"catalog {catalog.name}", grant, universe)
        for schema in catalog.schemas:
            for grant in list(schema.grants):
                yield from _missing(catalog, schema, f"schema {schema.name}", grant, universe)
            for table in schema.tables:
                for grant in list(table.grants):
                    what = f"table {schema.name}.{table.name}"
                    yield from _missing(catalog, schema, what, grant, universe, on_table=True)


def _missing(
    catalog: Catalog,
    schema: Schema | None,
    securable: str,
    grant: Grant,
    universe: set[str],
    *,
    on_table: bool = False,
) -> Iterator[_Need]:
    """What `grant`, on `catalog` (schema None), on `schema`, or on a table of it, lacks."""
    kind = "table" if on_table else ("catalog" if schema is None else "schema")
    needs_catalog = needs_schema = False
    for privilege in grant.privileges:
        catalog_use, schema_use = use_privileges_needed(privilege, kind)
        needs_catalog, needs_schema = needs_catalog or catalog_use, needs_schema or schema_use
    environments = sorted(set(grant.environments))
    wanted = _expand(environments, universe)

    def need(holder: Securable, privilege: str, held: set[str]) -> _Need:
        return _Need(
            holder=holder,
            kind="catalog" if isinstance(holder, Catalog) else "schema",
            qualified=holder.name if isinstance(holder, Catalog) else f"{catalog.name}.{holder.name}",
            privilege=privilege,
            principal=grant.principal,
            environments=environments,
            missing=sorted(wanted - held),
            cause=f"{', '.join(grant.privileges)} on {securable}",
            span=grant.span,
        )

    if needs_catalog:
        held = _held([catalog], grant.principal, _HOLDS_USE_CATALOG, universe)
        if wanted - held:
            yield need(catalog, "USE_CATALOG", held)
    if needs_schema:
        if schema is None:  # USE SCHEMA on a catalog is inherited by every schema of it
            held = _held([catalog], grant.principal, _HOLDS_USE_SCHEMA, universe)
            if catalog.schemas:
                held |= _held_by_all(catalog.schemas, grant.principal, universe)
        else:
            held = _held([catalog, schema], grant.principal, _HOLDS_USE_SCHEMA, universe)
        if wanted - held:
            yield need(catalog if schema is None else schema, "USE_SCHEMA", held)


def _expand(environments: Iterable[str], universe: set[str]) -> set[str]:
    chosen = set(environments)
    return chosen if chosen else set(universe)


def _held(
    holders: list[Securable], principal: str, privileges: frozenset[str], universe: set[str]
) -> set[str]:
    """The environments in which `principal` holds one of `privileges` on one of `holders`, or owns one."""
    held: set[str] = set()
    for holder in holders:
        if holder.owner == principal:
            return set(universe)
        for grant in holder.grants:
            if grant.principal == principal and privileges.intersection(grant.privileges):
                held |= _expand(grant.environments, universe)
    return held


def _held_by_all(schemas: list[Schema], principal: str, universe: set[str]) -> set[str]:
    """The environments in which `principal` holds USE SCHEMA on every one of `schemas`."""
    held = set(universe)
    for schema in schemas:
        held &= _held([schema], principal, _HOLDS_USE_SCHEMA, universe)
    return held


def _none_held(need: _Need, universe: set[str]) -> bool:
    return set(need.missing) == _expand(need.environments, universe)


def _message(need: _Need) -> str:
    use = need.privilege.replace("_", " ")
    where = f" in {', '.join(need.missing)}" if need.missing else ""
    envs = f", environments: [{', '.join(need.environments)}]" if need.environments else ""
    return (
        f"grant of {need.cause} to {need.principal} does not work without {use} on {need.kind} "
        f"{need.qualified}{where}; add `{{on: {need.kind}, name: {need.qualified}, principal: {need.principal}, "
        f"privileges: [{use}]{envs}}}` to grants, or set `rules.grants.implied_use: add`"
    )
