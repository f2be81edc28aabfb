"""`apply_changes(project, changes)`: the model the changes lead to; what replaying migrations means.

Each kind of change has one function (a table from change type to function, as sqlglot renders
nodes), applied in `applying_order` to a deep copy: the input is never changed. A change whose object
is missing raises `ChangeNotApplicable`, which says the changes are not of this model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from accelerator.errors import AcceleratorError
from accelerator.model.copying import deep_copied
from accelerator.model.elements import Catalog, Column, Grant, Project, Schema, Table
from accelerator.model.sql_definitions import expression_check_name
from accelerator.plan import changes as c
from accelerator.plan.paths import ObjectPath


class ChangeNotApplicable(AcceleratorError):
    """A change names an object the model does not have (or already has, for an addition)."""


def apply_changes(project: Project, changes: Sequence[c.Change]) -> Project:
    updated = deep_copied(project)
    for change in c.applying_order(list(changes)):
        APPLY[type(change)](updated, change)
    return updated


def _missing(path: ObjectPath, what: str) -> ChangeNotApplicable:
    return ChangeNotApplicable(f"{what} {path} is not in the model", hint="the changes are of another model")


def _catalog(project: Project, path: ObjectPath) -> Catalog:
    catalog = project.catalog(path.catalog)
    if catalog is None:
        raise _missing(path, "catalog")
    return catalog


def _schema(project: Project, path: ObjectPath) -> Schema:
    schema = _catalog(project, path).schema(path.schema or "")
    if schema is None:
        raise _missing(path, "schema")
    return schema


def _table(project: Project, path: ObjectPath) -> Table:
    table = _schema(project, path).table(path.table or "")
    if table is None:
        raise _missing(path, "table")
    return table


def _column(project: Project, path: ObjectPath) -> Column:
    column = _table(project, path).column(path.column or "")
    if column is None:
        raise _missing(path, "column")
    return column


def _holder(project: Project, path: ObjectPath) -> Catalog | Schema | Table | Column:
    locators: dict[str, Callable[[Project, ObjectPath], Catalog | Schema | Table | Column]] = {
        "catalog": _catalog,
        "schema": _schema,
        "table": _table,
        "column": _column,
    }
    return locators[path.kind](project, path)


def _governed(project: Project, path: ObjectPath) -> Catalog | Schema | Table:
    holder = _holder(project, path)
    assert not isinstance(holder, Column), f"{path} is a column"
    return holder


def _lower(names: Sequence[str]) -> set[str]:
    return {name.lower() for name in names}


# --- one function per kind of change ---------------------------------------------------------------


def _add_catalog(project: Project, change: c.AddCatalog) -> None:
    if project.catalog(change.catalog.name) is not None:
        raise ChangeNotApplicable(f"catalog {change.path} exists already")
    project.catalogs.append(deep_copied(change.catalog))


def _add_schema(project: Project, change: c.AddSchema) -> None:
    catalog = _catalog(project, change.path)
    if catalog.schema(change.schema.name) is not None:
        raise ChangeNotApplicable(f"schema {change.path} exists already")
    catalog.schemas.append(deep_copied(change.schema))


def _add_table(project: Project, change: c.AddTable) -> None:
    schema = _schema(project, change.path)
    if schema.table(change.table.name) is not None:
        raise ChangeNotApplicable(f"table {change.path} exists already")
    schema.tables.append(deep_copied(change.table))


def _drop_catalog(project: Project, change: c.DropCatalog) -> None:
    catalog = _catalog(project, change.path)
    project.catalogs = [other for other in project.catalogs if other is not catalog]


def _drop_schema(project: Project, change: c.DropSchema) -> None:
    catalog, schema = _catalog(project, change.path), _schema(project, change.path)
    catalog.schemas = [other for other in catalog.schemas if other is not schema]


def _drop_table(project: Project, change: c.DropTable) -> None:
    schema, table = _schema(project, change.path), _table(project, change.path)
    schema.tables = [other for other in schema.tables if other is not table]


def _rename_table(project: Project, change: c.RenameTable) -> None:
    _table(project, change.path.with_table(change.old)).name = change.path.table or ""


def _add_column(project: Project, change: c.AddColumn) -> None:
    table = _table(project, change.path)
    if table.column(change.column.name) is not None:
        raise ChangeNotApplicable(f"column {change.path} exists already")
    table.columns.append(deep_copied(change.column))


def _drop_column(project: Project, change: c.DropColumn) -> None:
    table, column = _table(project, change.path), _column(project, change.path)
    table.columns = [other for other in table.columns if other is not column]


def _rename_column(project: Project, change: c.RenameColumn) -> None:
    _column(project, change.path.with_column(change.old)).name = change.path.column or ""


def _change_type(project: Project, change: c.ChangeColumnType) -> None:
    column = _column(project, change.path)
    column.type, column.source_type = change.new, change.column.source_type


def _set_nullability(project: Project, change: c.SetNullability) -> None:
    _column(project, change.path).nullable = change.nullable


def _set_default(project: Project, change: c.SetDefault) -> None:
    _column(project, change.path).default = change.new


def _set_identity(project: Project, change: c.SetIdentity) -> None:
    identity = change.column.identity
    _column(project, change.path).identity = deep_copied(identity) if identity else None


def _reorder(project: Project, change: c.ReorderColumns) -> None:
    table = _table(project, change.path)
    by_name = {column.name.lower(): column for column in table.columns}
    if _lower(change.order) != set(by_name):
        raise ChangeNotApplicable(f"the columns of {change.path} are not {', '.join(change.order)}")
    table.columns = [by_name[name.lower()] for name in change.order]


def _set_comment(project: Project, change: c.SetComment) -> None:
    _holder(project, change.path).comment = change.new


def _set_tag(project: Project, change: c.SetTag) -> None:
    _holder(project, change.path).tags[change.key] = change.new


def _unset_tag(project: Project, change: c.UnsetTag) -> None:
    _holder(project, change.path).tags.pop(change.key, None)


def _set_classification(project: Project, change: c.SetClassification) -> None:
    _column(project, change.path).classification = change.new


def _set_mask(project: Project, change: c.SetMask) -> None:
    _column(project, change.path).mask = deep_copied(change.mask)


def _drop_mask(project: Project, change: c.DropMask) -> None:
    _column(project, change.path).mask = None


def _set_owner(project: Project, change: c.SetOwner) -> None:
    _governed(project, change.path).owner = change.new


def _grant(project: Project, change: c.GrantPrivileges) -> None:
    holder = _governed(project, change.path)
    holder.grants = _regranted(
        holder.grants, change.principal, change.environments, add=set(change.privileges)
    )


def _revoke(project: Project, change: c.RevokePrivileges) -> None:
    holder = _governed(project, change.path)
    holder.grants = _regranted(
        holder.grants, change.principal, change.environments, remove=set(change.privileges)
    )


def _regranted(
    grants: list[Grant],
    principal: str,
    environments: tuple[str, ...],
    *,
    add: set[str] | None = None,
    remove: set[str] | None = None,
) -> list[Grant]:
    """The grants with those of (principal, environments) merged into one declaration and changed."""
    same = [
        g for g in grants if g.principal == principal and tuple(sorted(set(g.environments))) == environments
    ]
    privileges = {p for g in same for p in g.privileges} | (add or set())
    privileges -= remove or set()
    kept = [g for g in grants if not any(g is s for s in same)]
    if privileges:
        kept.append(
            Grant(principal=principal, privileges=sorted(privileges), environments=list(environments))
        )
    return kept


def _drop_check(project: Project, change: c.DropCheck) -> None:
    _column(project, change.path).allowed_values = None


def _set_check(project: Project, change: c.SetCheck) -> None:
    _column(project, change.path).allowed_values = list(change.new)


def _drop_table_check(project: Project, change: c.DropTableCheck) -> None:
    table = _table(project, change.path)
    table.checks = [k for k in table.checks if expression_check_name(table.name, k) != change.name]


def _add_table_check(project: Project, change: c.AddTableCheck) -> None:
    _table(project, change.path).checks.append(deep_copied(change.check))


def _set_primary_key(project: Project, change: c.SetPrimaryKey) -> None:
    _table(project, change.path).primary_key = deep_copied(change.new) if change.new else None


def _set_unique_keys(project: Project, change: c.SetUniqueKeys) -> None:
    _table(project, change.path).unique_keys = [deep_copied(key) for key in change.new]


def _add_foreign_key(project: Project, change: c.AddForeignKey) -> None:
    _table(project, change.path).foreign_keys.append(deep_copied(change.foreign_key))


def _drop_foreign_key(project: Project, change: c.DropForeignKey) -> None:
    table = _table(project, change.path)
    wanted = change.foreign_key.model_dump(mode="json")
    for position, foreign_key in enumerate(table.foreign_keys):
        if foreign_key.model_dump(mode="json") == wanted:
            del table.foreign_keys[position]
            return
    raise _missing(change.path, "foreign key on " + ", ".join(change.foreign_key.columns) + " of")


def _set_clustering(project: Project, change: c.SetClustering) -> None:
    table = _table(project, change.path)
    table.cluster_by, table.cluster_by_auto = list(change.cluster_by), change.auto


def _set_property(project: Project, change: c.SetProperty) -> None:
    _table(project, change.path).properties[change.key] = change.new


def _unset_property(project: Project, change: c.UnsetProperty) -> None:
    _table(project, change.path).properties.pop(change.key, None)


def _add_environment(project: Project, change: c.AddEnvironment) -> None:
    project.environments.append(deep_copied(change.environment))


def _drop_environment(project: Project, change: c.DropEnvironment) -> None:
    project.environments = [e for e in project.environments if e.name != change.name]


def _set_catalog_template(project: Project, change: c.SetCatalogTemplate) -> None:
    environment = project.environment(change.name)
    if environment is None:
        raise ChangeNotApplicable(f"environment {change.name} is not in the model")
    environment.catalog_template = change.new


def _set_catalog_storage(project: Project, change: c.SetCatalogStorage) -> None:
    environment = project.environment(change.name)
    if environment is None:
        raise ChangeNotApplicable(f"environment {change.name} is not in the model")
    environment.storage_root = change.new


def _set_catalog_isolation(project: Project, change: c.SetCatalogIsolation) -> None:
    environment = project.environment(change.name)
    if environment is None:
        raise ChangeNotApplicable(f"environment {change.name} is not in the model")
    environment.isolation_mode = change.new


def _set_deployment(project: Project, change: c.SetDeployment) -> None:
    project.deployment = change.new.model_copy()


APPLY: dict[type[c.Change], Callable[[Project, Any], None]] = {
    c.AddCatalog: _add_catalog,
    c.AddSchema: _add_schema,
    c.AddTable: _add_table,
    c.DropCatalog: _drop_catalog,
    c.DropSchema: _drop_schema,
    c.DropTable: _drop_table,
    c.RenameTable: _rename_table,
    c.AddColumn: _add_column,
    c.DropColumn: _drop_column,
    c.RenameColumn: _rename_column,
    c.ChangeColumnType: _change_type,
    c.SetNullability: _set_nullability,
    c.SetDefault: _set_default,
    c.SetIdentity: _set_identity,
    c.ReorderColumns: _reorder,
    c.SetComment: _set_comment,
    c.SetTag: _set_tag,
    c.UnsetTag: _unset_tag,
    c.SetClassification: _set_classification,
    c.SetMask: _set_mask,
    c.DropMask: _drop_mask,
    c.SetOwner: _set_owner,
    c.GrantPrivileges: _grant,
    c.RevokePrivileges: _revoke,
    c.DropCheck: _drop_check,
    c.SetCheck: _set_check,
    c.DropTableCheck: _drop_table_check,
    c.AddTableCheck: _add_table_check,
    c.SetPrimaryKey: _set_primary_key,
    c.SetUniqueKeys: _set_unique_keys,
    c.AddForeignKey: _add_foreign_key,
    c.DropForeignKey: _drop_foreign_key,
    c.SetClustering: _set_clustering,
    c.SetProperty: _set_property,
    c.UnsetProperty: _unset_property,
    c.AddEnvironment: _add_environment,
    c.DropEnvironment: _drop_environment,
    c.SetCatalogTemplate: _set_catalog_template,
    c.SetCatalogStorage: _set_catalog_storage,
    c.SetCatalogIsolation: _set_catalog_isolation,
    c.SetDeployment: _set_deployment,
}
