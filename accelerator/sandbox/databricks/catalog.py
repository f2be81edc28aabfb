"""The in-memory Unity Catalog's store: one metastore, one lock, every change atomic (put back as it was
on failure), the state saved as JSON after each change when a directory is given; lookups by name and
the privilege checks. `UnityCatalog.execute` runs statements through the runner `engine.py` installs
(importing the package installs it; the store itself never imports the statement forms)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from accelerator.sandbox.databricks import errors as e
from accelerator.sandbox.databricks.errors import SqlError
from accelerator.sandbox.databricks.model import (
    ACCOUNT_USERS,
    Catalog,
    Function,
    Metastore,
    Schema,
    Securable,
    Table,
    now_ms,
)
from accelerator.sandbox.databricks.query import Result

STATE_FILE = "databricks.json"
INFORMATION_SCHEMA = "information_schema"
DEFAULT_SCHEMA = "default"
# ALL PRIVILEGES stands for every privilege but MANAGE (and EXTERNAL USE SCHEMA).
NOT_IN_ALL = {"MANAGE", "EXTERNAL_USE_SCHEMA"}
# Privileges on a catalog or schema that make the objects below it visible (USE CATALOG alone does not).
VISIBLE_BELOW = {"ALL_PRIVILEGES", "BROWSE", "SELECT", "MODIFY", "MANAGE", "APPLY_TAG", "EXECUTE"}


class CatalogStore:
    """A metastore in memory; `state_dir` (optional) keeps it in `databricks.json` across restarts."""

    def __init__(self, state_dir: Path | None = None, admins: Sequence[str] = ()) -> None:
        self.lock = threading.RLock()
        self.file = state_dir / STATE_FILE if state_dir is not None else None
        if self.file is not None and self.file.exists():
            self.metastore = Metastore.model_validate_json(self.file.read_text(encoding="utf-8"))
        else:
            self.metastore = Metastore()
        for admin in admins:
            if admin.lower() not in {a.lower() for a in self.metastore.admins}:
                self.metastore.admins.append(admin)

    # persistence

    def save(self) -> None:
        if self.file is None:
            return
        self.file.parent.mkdir(parents=True, exist_ok=True)
        scratch = self.file.with_suffix(".tmp")
        scratch.write_text(self.metastore.model_dump_json(), encoding="utf-8")
        scratch.replace(self.file)

    @contextmanager
    def change(self) -> Iterator[Metastore]:
        """Runs a statement that changes the metastore: on any failure it is put back as it was (from a
        JSON snapshot, much cheaper than a deep copy), on success it is saved."""
        with self.lock:
            snapshot = self.metastore.model_dump_json()
            try:
                yield self.metastore
            except BaseException:
                self.metastore = Metastore.model_validate_json(snapshot)
                raise
            self.save()

    # workspace principals

    def add_members(self, group: str, members: Sequence[str]) -> None:
        with self.change() as metastore:
            found = metastore.groups.setdefault(group, [])
            for member in members:
                if member.lower() not in {m.lower() for m in found}:
                    found.append(member)

    def set_admin(self, user: str) -> None:
        with self.change() as metastore:
            if user.lower() not in {a.lower() for a in metastore.admins}:
                metastore.admins.append(user)

    def principals(self, user: str) -> set[str]:
        """The user, the groups it belongs to and `account users`, lower-case."""
        lowered = user.lower()
        groups = {
            group.lower()
            for group, members in self.metastore.groups.items()
            if lowered in {member.lower() for member in members}
        }
        return {lowered, ACCOUNT_USERS} | groups

    def is_admin(self, user: str) -> bool:
        return user.lower() in {admin.lower() for admin in self.metastore.admins}

    # lookups (names lower-case)

    def catalog(self, name: str) -> Catalog:
        found = self.metastore.catalogs.get(name.lower())
        if found is None:
            raise e.catalog_not_found(name)
        return found

    def schema(self, catalog: str, name: str) -> Schema:
        found = self.catalog(catalog).schemas.get(name.lower())
        if found is None:
            raise e.schema_not_found(catalog.lower(), name.lower())
        return found

    def table(self, catalog: str, schema: str, name: str) -> Table:
        try:
            found_schema = self.schema(catalog, schema)
        except SqlError as failure:
            raise e.table_not_found(catalog.lower(), schema.lower(), name.lower()) from failure
        found = found_schema.tables.get(name.lower())
        if found is None:
            raise e.table_not_found(catalog.lower(), schema.lower(), name.lower())
        return found

    def function(self, catalog: str, schema: str, name: str) -> Function:
        try:
            found_schema = self.schema(catalog, schema)
        except SqlError as failure:
            raise e.routine_not_found(catalog.lower(), schema.lower(), name.lower()) from failure
        found = found_schema.functions.get(name.lower())
        if found is None:
            raise e.routine_not_found(catalog.lower(), schema.lower(), name.lower())
        return found

    # privileges

    def holds(self, user: str, chain: Sequence[Securable], privileges: set[str]) -> bool:
        """Whether `user` owns one of `chain` (the securable and its parents) or holds one of
        `privileges` on one of them (privileges are inherited downwards)."""
        if self.is_admin(user):
            return True
        principals = self.principals(user)
        wanted = set(privileges)
        if wanted - NOT_IN_ALL:
            wanted.add("ALL_PRIVILEGES")
        for securable in chain:
            if securable.owner.lower() in principals:
                return True
            for principal, granted in securable.grants.items():
                if principal.lower() in principals and wanted & set(granted):
                    return True
        return False

    def require(self, user: str, chain: Sequence[Securable], privilege: str, kind: str, name: str) -> None:
        if not self.holds(user, chain, {privilege}):
            raise e.insufficient_permissions(user, privilege.replace("_", " "), kind, name)

    def require_use(self, user: str, catalog: Catalog, schema: Schema | None = None) -> None:
        self.require(user, [catalog], "USE_CATALOG", "Catalog", catalog.name)
        if schema is not None:
            self.require(user, [catalog, schema], "USE_SCHEMA", "Schema", f"{catalog.name}.{schema.name}")

    def require_manage(self, user: str, chain: Sequence[Securable], kind: str, name: str) -> None:
        """Owner of the object or a parent, MANAGE on one of them, or a metastore admin."""
        if not self.holds(user, chain, {"MANAGE"}):
            raise e.insufficient_permissions(user, "MANAGE", kind, name)

    def can_browse(self, user: str, chain: Sequence[Securable]) -> bool:
        """What information_schema shows a user: objects it owns or holds any privilege on (or below)."""
        if self.is_admin(user):
            return True
        principals = self.principals(user)
        for depth, securable in enumerate(chain):
            if securable.owner.lower() in principals:
                return True
            last = depth == len(chain) - 1
            for principal, granted in securable.grants.items():
                if principal.lower() in principals and (last or VISIBLE_BELOW & set(granted)):
                    return True
        return False

    # creation helpers

    def new_catalog(self, name: str, user: str, comment: str | None, storage_root: str | None) -> Catalog:
        catalog = Catalog(
            name=name.lower(), owner=user, comment=comment, storage_root=storage_root, created_by=user
        )
        catalog.updated_by = user
        catalog.schemas[DEFAULT_SCHEMA] = Schema(
            name=DEFAULT_SCHEMA,
            owner=user,
            comment="Default schema (auto-created)",
            created_by=user,
            updated_by=user,
        )
        return catalog


Runner = Callable[["UnityCatalog", str, str, str | None, str | None, dict[str, Any]], Result]


class UnityCatalog(CatalogStore):
    """The store that executes statements: `execute(statement, user, catalog=..., schema=...,
    parameters=...)` runs one as `user` and returns its result, or raises `SqlError` with
    Databricks' error class."""

    runner: ClassVar[Runner | None] = None  # engine.py installs it

    def execute(
        self,
        statement: str,
        user: str,
        catalog: str | None = None,
        schema: str | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> Result:
        run = UnityCatalog.runner
        if run is None:
            raise RuntimeError(
                "import accelerator.sandbox.databricks first: it installs the statement runner"
            )
        with self.lock:
            return run(self, statement, user, catalog, schema, parameters or {})


def touched(securable: Securable, user: str) -> None:
    securable.updated_at = now_ms()
    securable.updated_by = user


def dump(catalog: CatalogStore) -> str:
    """The metastore as JSON (tests and debugging)."""
    with catalog.lock:
        return json.dumps(catalog.metastore.model_dump(), indent=1, sort_keys=True)
