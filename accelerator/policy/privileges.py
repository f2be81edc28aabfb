"""Unity Catalog privileges per securable (Privilege Model 1.0), and their normalization.

From Databricks' "Unity Catalog privileges and securable objects" reference. Privileges are written
with underscores (`USE_SCHEMA`), as the Terraform provider and the REST API spell them; the SQL
renderer turns `_` back into spaces. Metastore-level privileges (CREATE CATALOG, CREATE
CONNECTION, ...) and the pre-1.0 `USAGE`/`CREATE` are not grantable on these securables.
"""

from __future__ import annotations

import re

PRIVILEGES: dict[str, frozenset[str]] = {
    "catalog": frozenset(
        {
            "ALL_PRIVILEGES",
            "APPLY_TAG",
            "BROWSE",
            "CREATE_FUNCTION",
            "CREATE_MATERIALIZED_VIEW",
            "CREATE_MODEL",
            "CREATE_SCHEMA",
            "CREATE_TABLE",
            "CREATE_VOLUME",
            "EXECUTE",
            "EXTERNAL_USE_SCHEMA",
            "MANAGE",
            "MODIFY",
            "READ_VOLUME",
            "REFRESH",
            "SELECT",
            "USE_CATALOG",
            "USE_SCHEMA",
            "WRITE_VOLUME",
        }
    ),
    "schema": frozenset(
        {
            "ALL_PRIVILEGES",
            "APPLY_TAG",
            "CREATE_FUNCTION",
            "CREATE_MATERIALIZED_VIEW",
            "CREATE_MODEL",
            "CREATE_TABLE",
            "CREATE_VOLUME",
            "EXECUTE",
            "EXTERNAL_USE_SCHEMA",
            "MANAGE",
            "MODIFY",
            "READ_VOLUME",
            "REFRESH",
            "SELECT",
            "USE_SCHEMA",
            "WRITE_VOLUME",
        }
    ),
    "table": frozenset({"ALL_PRIVILEGES", "APPLY_TAG", "MANAGE", "MODIFY", "SELECT"}),
    "volume": frozenset({"ALL_PRIVILEGES", "APPLY_TAG", "MANAGE", "READ_VOLUME", "WRITE_VOLUME"}),
    "function": frozenset({"ALL_PRIVILEGES", "EXECUTE", "MANAGE"}),
}
ALL_KNOWN: frozenset[str] = frozenset().union(*PRIVILEGES.values())
_LEGACY = {
    "USAGE": "USE_CATALOG or USE_SCHEMA",
    "CREATE": "CREATE_SCHEMA or CREATE_TABLE",
    "ALL": "ALL_PRIVILEGES",
}
_SEPARATORS = re.compile(r"[\s_-]+")


def normalize_privilege(text: str) -> str:
    """`use schema` -> `USE_SCHEMA`."""
    return _SEPARATORS.sub("_", text.strip()).upper()


def privilege_problem(privilege: str, securable: str) -> tuple[str, str] | None:
    """(message, hint) when `privilege` (normalized) cannot be granted on `securable`, else None."""
    allowed = PRIVILEGES[securable]
    if privilege in allowed:
        return None
    listing = ", ".join(sorted(allowed))
    if privilege in ALL_KNOWN:
        return (
            f"privilege {privilege} does not apply to a {securable}",
            f"a {securable} takes {listing}",
        )
    if privilege in _LEGACY:
        return (
            f"unknown privilege {privilege} (a Hive-metastore or pre-1.0 privilege)",
            f"use {_LEGACY[privilege]}",
        )
    import difflib

    close = difflib.get_close_matches(privilege, sorted(ALL_KNOWN), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}? " if close else ""
    return f"unknown privilege {privilege}", f"{hint}a {securable} takes {listing}"


# Ownership is not a privilege (it cannot be granted), but the policy can restrict who owns what.
OWNERSHIP = "OWNERSHIP"
# What no privilege on a child replaces: USE CATALOG on its catalog and USE SCHEMA on its schema
# ("Unity Catalog privileges reference", "USE privileges"). BROWSE works without them by design and
# MANAGE has its own, lower, USE requirements; ALL PRIVILEGES includes the USE privileges of the
# securable it is granted on.
_NEEDS_NOTHING = frozenset({"BROWSE", "MANAGE", "USE_CATALOG"})
_NEEDS_USE_CATALOG_ONLY = {
    "catalog": frozenset({"CREATE_SCHEMA", "USE_SCHEMA"}),
    "schema": frozenset({"USE_SCHEMA", "ALL_PRIVILEGES"}),
    "table": frozenset(),
}


def use_privileges_needed(privilege: str, securable: str) -> tuple[bool, bool]:
    """(needs USE_CATALOG, needs USE_SCHEMA) for `privilege` (normalized) on a `securable` to work:
    on a catalog, USE_SCHEMA means on the catalog (inherited by every schema); otherwise on the
    parent schema."""
    if privilege in _NEEDS_NOTHING or (securable == "catalog" and privilege == "ALL_PRIVILEGES"):
        return False, False
    if privilege in _NEEDS_USE_CATALOG_ONLY.get(securable, frozenset()):
        return True, False
    return True, True
