"""`diff(previous, current, renames=...)`: the typed changes that turn one model into the other.

Objects are matched by name (case-insensitively, as Unity Catalog does) and by the declared renames
only: a table or column that is gone and a similar one that appeared are a drop and an add. A new
catalog, schema or table is created bare (see `AddTable`) and its governance (tags, masks, checks,
foreign keys, grants, owner) follows as the changes from that bare object, so each kind of change
has one SQL form and one replay.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import sqlglot
from pydantic import BaseModel
from sqlglot import exp
from sqlglot.errors import SqlglotError

from accelerator.errors import ModelError, RenderError
from accelerator.model.copying import deep_copied
from accelerator.model.elements import Catalog, Check, Column, Grant, PrimaryKey, Project, Schema, Table
from accelerator.model.sql_definitions import checked_check, expression_check_name
from accelerator.plan import changes as c
from accelerator.plan.paths import ObjectPath
from accelerator.plan.renames import Rename
from accelerator.plan.type_widening import type_change_kind

COLUMN_MAPPING = ("delta.columnMapping.mode", "name")


# Whether two tables are equal in content (every field a diff compares): the caller's memoised
# content keys (`render.cache.same_content`), so a turn that changed one table compares only it.
SameContent = Callable[[Table, Table], bool]


def diff(
    previous: Project,
    current: Project,
    *,
    renames: Sequence[Rename] = (),
    same_content: SameContent | None = None,
) -> list[c.Change]:
    """The changes from `previous` to `current`, by object path, then kind of change.
    `same_content`: tables it says are equal in content are not compared (they have no change)."""
    differ = _Differ(
        renames=tuple(renames),
        environments=tuple(dict.fromkeys(e.name for e in [*previous.environments, *current.environments])),
        masks_schema=current.deployment.masks_schema,
        same_content=same_content,
    )
    differ.project(previous, current)
    return sorted(differ.found, key=c.change_order)


def bare_catalog(catalog: Catalog) -> Catalog:
    return Catalog(name=catalog.name, comment=catalog.comment)


def bare_schema(schema: Schema) -> Schema:
    return Schema(name=schema.name, comment=schema.comment)


def bare_column(column: Column) -> Column:
    return Column(
        name=column.name,
        type=column.type,
        source_type=column.source_type,
        nullable=column.nullable,
        default=column.default,
        identity=deep_copied(column.identity) if column.identity else None,
        comment=column.comment,
    )


def bare_table(table: Table) -> Table:
    return Table(
        name=table.name,
        columns=[bare_column(column) for column in table.columns],
        primary_key=deep_copied(table.primary_key) if table.primary_key else None,
        unique_keys=[deep_copied(key) for key in table.unique_keys],
        comment=table.comment,
        properties=dict(table.properties),
        cluster_by=list(table.cluster_by),
        cluster_by_auto=table.cluster_by_auto,
    )


NamedT = TypeVar("NamedT", Catalog, Schema, Table, Column)


def _by_name(items: Sequence[NamedT]) -> dict[str, NamedT]:
    return {item.name.lower(): item for item in items}


@dataclass
class _Differ:
    renames: tuple[Rename, ...]
    environments: tuple[str, ...]
    masks_schema: str | None
    same_content: SameContent | None = None
    found: list[c.Change] = field(default_factory=list)
    current_catalog: Catalog | None = None  # the new model's catalog being compared, for its keys

    def add(self, change: c.Change) -> None:
        self.found.append(change)

    # --- the project -------------------------------------------------------------------------------

    def project(self, previous: Project, current: Project) -> None:
        before = {e.name: e for e in previous.environments}
        after = {e.name: e for e in current.environments}
        for name in before.keys() - after.keys():
            self.add(c.DropEnvironment(name=name))
        for name, environment in after.items():
            if name not in before:
                self.add(c.AddEnvironment(environment=deep_copied(environment)))
                continue
            was = before[name]
            if was.catalog_template != environment.catalog_template:
                self.add(
                    c.SetCatalogTemplate(
                        name=name, old=was.catalog_template, new=environment.catalog_template
                    )
                )
            if was.storage_root != environment.storage_root:
                self.add(c.SetCatalogStorage(name=name, old=was.storage_root, new=environment.storage_root))
            if was.isolation_mode != environment.isolation_mode:
                self.add(
                    c.SetCatalogIsolation(name=name, old=was.isolation_mode, new=environment.isolation_mode)
                )
        if previous.deployment != current.deployment:
            self.add(
                c.SetDeployment(old=previous.deployment.model_copy(), new=current.deployment.model_copy())
            )
        old, new = _by_name(previous.catalogs), _by_name(current.catalogs)
        for key, catalog in old.items():
            if key not in new:
                self.add(c.DropCatalog(path=ObjectPath(catalog.name)))
        for key, catalog in new.items():
            if key in old:
                self.catalog(old[key], catalog)
            else:
                self.add(c.AddCatalog(path=ObjectPath(catalog.name), catalog=bare_catalog(catalog)))
                self.catalog(bare_catalog(catalog), catalog)

    def catalog(self, previous: Catalog, current: Catalog) -> None:
        path = ObjectPath(current.name)
        self.current_catalog = current
        self.settings(path, previous, current)
        old, new = _by_name(previous.schemas), _by_name(current.schemas)
        for key, schema in old.items():
            if key not in new:
                self.add(c.DropSchema(path=ObjectPath(current.name, schema.name)))
        for key, schema in new.items():
            if key in old:
                self.schema(current.name, old[key], schema)
            else:
                self.add(c.AddSchema(path=ObjectPath(current.name, schema.name), schema=bare_schema(schema)))
                self.schema(current.name, bare_schema(schema), schema)

    def schema(self, catalog: str, previous: Schema, current: Schema) -> None:
        path = ObjectPath(catalog, current.name)
        self.settings(path, previous, current)
        old, new = _by_name(previous.tables), _by_name(current.tables)
        pairs: list[tuple[Table, Table]] = []
        for rename in self.renames:
            if rename.kind != "table" or not rename.matches_table(catalog, previous.name, rename.old):
                continue
            was, now = old.get(rename.old.lower()), new.get(rename.new.lower())
            if was is None or now is None or rename.old.lower() in new or rename.new.lower() in old:
                continue  # not a rename of these two models (a table came back, or is new)
            pairs.append((old.pop(rename.old.lower()), new.pop(rename.new.lower())))
            self.add(c.RenameTable(path=path.with_table(now.name), old=was.name))
        for key, table in old.items():
            if key not in new:
                self.add(c.DropTable(path=path.with_table(table.name)))
            else:
                pairs.append((table, new.pop(key)))
        for table in new.values():
            self.add(c.AddTable(path=path.with_table(table.name), table=bare_table(table)))
            pairs.append((bare_table(table), table))
        same = self.same_content
        for was, now in pairs:
            if same is not None and same(was, now):
                continue  # equal in content: `table` would find no change (the names are equal too)
            self.table(path.with_table(now.name), path.with_table(was.name), was, now)

    # --- a table -----------------------------------------------------------------------------------

    def table(self, path: ObjectPath, old_path: ObjectPath, previous: Table, current: Table) -> None:
        self.settings(path, previous, current)
        old, new = _by_name(previous.columns), _by_name(current.columns)
        pairs: list[tuple[Column, Column]] = []
        matched: dict[str, str] = {}  # previous name (lower) -> current name
        for rename in self.renames:
            if rename.kind != "column" or not rename.matches_table(
                path.catalog, path.schema or "", previous.name
            ):
                continue
            was, now = old.get(rename.old.lower()), new.get(rename.new.lower())
            if was is None or now is None or rename.old.lower() in new or rename.new.lower() in old:
                continue
            pairs.append((old.pop(rename.old.lower()), new.pop(rename.new.lower())))
            matched[was.name.lower()] = now.name
            self.add(
                c.RenameColumn(
                    path=path.with_column(now.name),
                    old=was.name,
                    allowed_values=tuple(was.allowed_values) if was.allowed_values else None,
                    column_mapping=previous.properties.get(COLUMN_MAPPING[0]) == COLUMN_MAPPING[1],
                )
            )
        for key, column in old.items():
            if key not in new:
                self.add(c.DropColumn(path=path.with_column(column.name), column=deep_copied(column)))
            else:
                matched[key] = new[key].name
                pairs.append((column, new.pop(key)))
        added = sorted(new.values(), key=lambda column: column.name.lower())  # the diff's order
        for column in added:
            self.add(c.AddColumn(path=path.with_column(column.name), column=bare_column(column)))
            pairs.append((bare_column(column), column))
        order = [column.name for column in current.columns]
        for was, now in pairs:
            position = order.index(now.name)
            after = order[position - 1] if position else None
            self.column(path.with_column(now.name), old_path.with_column(was.name), was, now, after, current)
        kept = [matched[col.name.lower()] for col in previous.columns if col.name.lower() in matched]
        simulated = (*kept, *(column.name for column in added))
        if simulated != tuple(order):
            self.add(c.ReorderColumns(path=path, order=tuple(order), before=simulated))
        self.constraints(path, old_path, previous, current)

    def constraints(self, path: ObjectPath, old_path: ObjectPath, previous: Table, current: Table) -> None:
        if _dump(previous.primary_key) != _dump(current.primary_key):
            referencing = self.referencing(path, current.primary_key) if previous.primary_key else ()
            self.add(
                c.SetPrimaryKey(
                    path=path,
                    old=_copy(previous.primary_key),
                    new=_copy(current.primary_key),
                    referencing=referencing,
                )
            )
        if [_dump(k) for k in previous.unique_keys] != [_dump(k) for k in current.unique_keys]:
            self.add(
                c.SetUniqueKeys(
                    path=path,
                    old=tuple(deep_copied(k) for k in previous.unique_keys),
                    new=tuple(deep_copied(k) for k in current.unique_keys),
                )
            )
        old_checks = {expression_check_name(previous.name, k): k for k in previous.checks}
        new_checks = {expression_check_name(current.name, k): k for k in current.checks}
        for name, check in old_checks.items():
            if name not in new_checks or new_checks[name].expression != check.expression:
                self.add(c.DropTableCheck(path=old_path, name=name))
        for name, check in new_checks.items():
            if name not in old_checks or old_checks[name].expression != check.expression:
                self.add(c.AddTableCheck(path=path, check=deep_copied(check), name=name))
        old = {_key(fk): fk for fk in previous.foreign_keys}
        new = {_key(fk): fk for fk in current.foreign_keys}
        for key, foreign_key in old.items():
            if key not in new:
                self.add(c.DropForeignKey(path=old_path, foreign_key=deep_copied(foreign_key)))
        for key, foreign_key in new.items():
            if key not in old:
                self.add(c.AddForeignKey(path=path, foreign_key=deep_copied(foreign_key)))
        if (previous.cluster_by, previous.cluster_by_auto) != (current.cluster_by, current.cluster_by_auto):
            self.add(
                c.SetClustering(
                    path=path,
                    cluster_by=tuple(current.cluster_by),
                    auto=current.cluster_by_auto,
                    old_cluster_by=tuple(previous.cluster_by),
                    old_auto=previous.cluster_by_auto,
                )
            )
        for key in sorted(previous.properties.keys() - current.properties.keys()):
            self.add(c.UnsetProperty(path=path, key=key, old=previous.properties[key]))
        for key, value in sorted(current.properties.items()):
            if previous.properties.get(key) != value:
                self.add(c.SetProperty(path=path, key=key, old=previous.properties.get(key), new=value))

    def referencing(self, path: ObjectPath, key: PrimaryKey | None) -> tuple[c.ForeignKeyOf, ...]:
        """The new model's foreign keys (of any table of the catalog) on `key`, the key of `path`."""
        if key is None or self.current_catalog is None:
            return ()
        columns = {name.lower() for name in key.columns}
        schema, table = (path.schema or "").lower(), (path.table or "").lower()
        return tuple(
            c.ForeignKeyOf(ObjectPath(path.catalog, s.name, t.name), deep_copied(fk))
            for s in self.current_catalog.schemas
            for t in s.tables
            for fk in t.foreign_keys
            if (fk.ref_schema.lower(), fk.ref_table.lower()) == (schema, table)
            and {name.lower() for name in fk.ref_columns} == columns
        )

    def held_constraints(self, path: ObjectPath, table: Table, column: str) -> c.HeldConstraints:
        """The constraints of `table` (new model) that name `column`, and those on its key when the
        column is part of it: what a rewrite of the column must lift (see `c.HeldConstraints`)."""
        name = column.lower()
        key = table.primary_key
        if key is not None and name not in {part.lower() for part in key.columns}:
            key = None
        own = tuple(
            c.ForeignKeyOf(path, deep_copied(fk))
            for fk in table.foreign_keys
            if name in {part.lower() for part in fk.columns}
        )
        checks = tuple(
            (expression_check_name(table.name, check), deep_copied(check))
            for check in table.checks
            if _names_column(check, name)
        )
        return c.HeldConstraints(
            primary_key=deep_copied(key) if key else None,
            foreign_keys=own + self.referencing(path, key),
            checks=checks,
        )

    def column(
        self,
        path: ObjectPath,
        old_path: ObjectPath,
        previous: Column,
        current: Column,
        after: str | None,
        table: Table,
    ) -> None:
        type_changed = previous.type != current.type
        if type_changed:
            rewrite = type_change_kind(previous.type, current.type) not in ("same", "widening")
            held = self.held_constraints(path.table_path(), table, current.name) if rewrite else None
            self.add(
                c.ChangeColumnType(
                    path=path,
                    old=previous.type,
                    new=current.type,
                    column=deep_copied(current),
                    after=after,
                    held=held or c.HeldConstraints(),
                )
            )
        if previous.nullable != current.nullable:
            self.add(c.SetNullability(path=path, nullable=current.nullable))
        if previous.default != current.default:
            self.add(c.SetDefault(path=path, old=previous.default, new=current.default))
        if _dump(previous.identity) != _dump(current.identity):
            self.add(c.SetIdentity(path=path, column=deep_copied(current)))
        classified = previous.classification is not None
        self.comment_and_tags(path, previous, current, classified=classified)
        if previous.classification != current.classification:
            self.add(c.SetClassification(path=path, old=previous.classification, new=current.classification))
        if current.mask is not None and (type_changed or _dump(previous.mask) != _dump(current.mask)):
            schema = self.masks_schema or path.schema or ""
            self.add(
                c.SetMask(
                    path=path,
                    mask=deep_copied(current.mask),
                    column_type=current.type,
                    function_schema=schema,
                )
            )
        elif previous.mask is not None and current.mask is None:
            self.add(c.DropMask(path=path, old=deep_copied(previous.mask), classified=classified))
        if previous.allowed_values and not current.allowed_values:
            self.add(c.DropCheck(path=old_path, old=tuple(previous.allowed_values)))
        elif current.allowed_values and previous.allowed_values != current.allowed_values:
            old = tuple(previous.allowed_values) if previous.allowed_values else None
            self.add(c.SetCheck(path=path, old=old, new=tuple(current.allowed_values)))

    # --- what every object has ---------------------------------------------------------------------

    def settings(
        self, path: ObjectPath, previous: Catalog | Schema | Table, current: Catalog | Schema | Table
    ) -> None:
        """Comment, tags, grants and owner of a catalog, a schema or a table."""
        self.comment_and_tags(path, previous, current, classified=False)
        self.grants(path, previous.grants, current.grants)
        if previous.owner != current.owner:
            self.add(c.SetOwner(path=path, old=previous.owner, new=current.owner))

    def comment_and_tags(
        self,
        path: ObjectPath,
        previous: Catalog | Schema | Table | Column,
        current: Catalog | Schema | Table | Column,
        *,
        classified: bool,
    ) -> None:
        if previous.comment != current.comment:
            self.add(c.SetComment(path=path, old=previous.comment, new=current.comment))
        for key in sorted(previous.tags.keys() - current.tags.keys()):
            self.add(c.UnsetTag(path=path, key=key, old=previous.tags[key], classified=classified))
        for key, value in sorted(current.tags.items()):
            if previous.tags.get(key) != value:
                self.add(c.SetTag(path=path, key=key, old=previous.tags.get(key), new=value))

    def grants(self, path: ObjectPath, previous: list[Grant], current: list[Grant]) -> None:
        """Per principal and environments: what is newly declared, and what is no longer (with what
        each environment loses altogether)."""
        old, new = declared(previous), declared(current)
        for (principal, environments), privileges in sorted(new.items()):
            added = privileges - old.get((principal, environments), set())
            if added:
                self.add(
                    c.GrantPrivileges(
                        path=path,
                        principal=principal,
                        privileges=tuple(sorted(added)),
                        environments=environments,
                    )
                )
        for (principal, environments), privileges in sorted(old.items()):
            removed = privileges - new.get((principal, environments), set())
            if not removed:
                continue
            lost = []
            for environment in environments or self.environments:
                gone = removed - effective(current, principal, environment)
                if gone:
                    lost.append((environment, tuple(sorted(gone))))
            self.add(
                c.RevokePrivileges(
                    path=path,
                    principal=principal,
                    privileges=tuple(sorted(removed)),
                    environments=environments,
                    lost=tuple(lost),
                )
            )


def declared(grants: list[Grant]) -> dict[tuple[str, tuple[str, ...]], set[str]]:
    """Privileges by (principal, environments): how grants are declared (empty: every environment)."""
    found: dict[tuple[str, tuple[str, ...]], set[str]] = {}
    for grant in grants:
        key = (grant.principal, tuple(sorted(set(grant.environments))))
        found.setdefault(key, set()).update(grant.privileges)
    return found


def effective(grants: list[Grant], principal: str, environment: str) -> set[str]:
    return {
        privilege
        for grant in grants
        if grant.principal == principal and (not grant.environments or environment in grant.environments)
        for privilege in grant.privileges
    }


def _names_column(check: Check, column: str) -> bool:
    """Whether the CHECK's expression names `column` (lower case); one that cannot be read is
    taken to name every column, so that a rewrite lifts it rather than fails on it."""
    try:
        tree = sqlglot.parse_one(checked_check(check, None), read="databricks")
    except (SqlglotError, ValueError, RenderError, ModelError):
        return True
    return any(node.name.lower() == column for node in tree.find_all(exp.Column))


def _key(model: BaseModel) -> str:
    return json.dumps(model.model_dump(mode="json"), sort_keys=True)


def _dump(model: object) -> object:
    return model.model_dump(mode="json") if isinstance(model, BaseModel) else model


ModelT = TypeVar("ModelT", bound=BaseModel)


def _copy(model: ModelT | None) -> ModelT | None:
    return deep_copied(model) if model is not None else None
