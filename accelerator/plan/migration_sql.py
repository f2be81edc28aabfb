"""`migration_sql(changes, environment)`: the Databricks SQL statements of changes, in one environment.

One function per kind of change (a table from change type to function). Statements come in
`applying_order` (ownership last) and carry no trailing semicolon: each can be executed on its own.
Physical catalog names come from the environment (`{env}_{domain}`). With `terraform=True`,
Terraform owns catalogs and schemas (their creation, drop, comment, owner and grants) and, as
`deployment.grants_in` says, the grants on tables: their changes write no SQL, and the statements
start by checking that the catalogs and schemas they use exist. Catalog and schema tags stay in the
SQL (the Terraform render declares none). A change that Delta cannot apply in place says so in `CHANGES.md`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from accelerator.model.elements import Environment, ForeignKey, PrimaryKey, Table
from accelerator.model.mask_sql import mask_function_sql, masked_kind
from accelerator.model.sql_definitions import (
    check_name,
    checked_check,
    column_definition,
    foreign_key_name,
    primary_key_name,
)
from accelerator.plan import changes as c
from accelerator.plan.paths import ObjectPath
from accelerator.plan.quoting import checked_default, checked_privilege, checked_type, ident, literal

COLUMN_MAPPING = "ALTER TABLE {table} SET TBLPROPERTIES ('delta.columnMapping.mode' = 'name')"
TYPE_WIDENING = "ALTER TABLE {table} SET TBLPROPERTIES ('delta.enableTypeWidening' = 'true')"
COLUMN_DEFAULTS = "ALTER TABLE {table} SET TBLPROPERTIES ('delta.feature.allowColumnDefaults' = 'supported')"
NEW_TABLE_PROPERTIES = {"delta.columnMapping.mode": "name"}  # so that columns can be renamed and dropped
GrantsIn = Literal["sql", "terraform", "both"]  # deployment.grants_in
SECURABLES = {"catalog": "CATALOG", "schema": "SCHEMA", "table": "TABLE"}
TERRAFORM_OWNS = (c.AddCatalog, c.AddSchema, c.DropCatalog, c.DropSchema, c.SetComment, c.SetOwner,
                  c.GrantPrivileges, c.RevokePrivileges)  # fmt: skip


@dataclass(frozen=True)
class Place:
    """Where the statements of one environment go."""

    environment: Environment

    def name(self, path: ObjectPath) -> str:
        """The physical name of the object holding `path` (a column: its table)."""
        parts = [self.environment.catalog_name(path.catalog), path.schema, path.table]
        return ident(*[part for part in parts if part])

    def table(self, path: ObjectPath) -> str:
        return self.name(path.table_path())


def migration_sql(
    changes: Sequence[c.Change],
    environment: Environment,
    *,
    terraform: bool = False,
    grants_in: GrantsIn = "both",
) -> list[str]:
    """With `terraform`, the statements start with a check that each catalog and schema they touch
    exists (Terraform creates them first; a missing one fails before anything is applied)."""
    place, pieces, touched = (
        Place(environment),
        list[tuple[int, int, int, Piece]](),
        set[tuple[str, str | None]](),
    )
    for index, change in enumerate(c.applying_order(list(changes))):
        if not _sql_owns(change, terraform=terraform, grants_in=grants_in):
            continue
        placed = PIECES[type(change)](place, change) if type(change) in PIECES else [_whole(place, change)]
        if any(piece.statements for piece in placed):
            touched |= _containers(change)
        pieces += [(piece.phase, piece.rank, index, piece) for piece in placed]
    statements = _assembled([piece for *_, piece in sorted(pieces, key=lambda item: item[:3])])
    if terraform and statements:
        statements = _existence_checks(place, touched) + statements
    return statements


@dataclass(frozen=True)
class Piece:
    """Statements of one change and where they go: by phase, then by rank within the phase, then in
    the changes' order. A restore (a constraint a change lifted, put back) is left out when the
    migration already adds the same constraint with the same statement."""

    phase: int
    rank: int
    statements: list[str]
    restore: bool = False


# Ranks within a phase: in phase 2, a key is dropped after the table renames (before the columns it
# names are dropped, phase 3); in phase 7, a key is added once its columns are NOT NULL, and foreign
# keys once every key they may reference is in place.
RANKS: dict[type[c.Change], int] = {c.SetPrimaryKey: 1, c.AddForeignKey: 2}
KEY_DROP = (2, 1)
KEY_ADD, FOREIGN_KEY_ADD = (7, RANKS[c.SetPrimaryKey]), (7, RANKS[c.AddForeignKey])


def _whole(place: Place, change: c.Change) -> Piece:
    return Piece(change.phase, RANKS.get(type(change), 0), SQL[type(change)](place, change))


def _assembled(pieces: list[Piece]) -> list[str]:
    added = {statement for piece in pieces if not piece.restore for statement in piece.statements}
    statements: list[str] = []
    for piece in pieces:
        for statement in piece.statements:
            if piece.restore:
                if statement in added:
                    continue
                added.add(statement)
            statements.append(statement)
    return statements


def _sql_owns(change: c.Change, *, terraform: bool, grants_in: GrantsIn) -> bool:
    """Whether the migration writes `change`: Terraform, when enabled, owns catalogs and schemas, and
    the grants that `deployment.grants_in` gives it (as render's whole-model SQL and Terraform do)."""
    if not terraform:
        return True  # nothing else would apply it
    container = change.path.kind in ("catalog", "schema")
    if isinstance(change, (c.GrantPrivileges, c.RevokePrivileges)):
        return grants_in == "sql" if container else grants_in in ("sql", "both")
    return not (container and isinstance(change, TERRAFORM_OWNS))


def _containers(change: c.Change) -> set[tuple[str, str | None]]:
    """The catalogs and schemas (catalog, schema or None) the statements of `change` need."""
    path = change.path
    found: set[tuple[str, str | None]] = {(path.catalog, path.schema)} if path.catalog else set()
    if isinstance(change, c.SetMask):
        found.add((path.catalog, change.function_schema))
    if isinstance(change, c.AddForeignKey):
        found.add((path.catalog, change.foreign_key.ref_schema))
    restored = change.referencing if isinstance(change, c.SetPrimaryKey) else ()
    if isinstance(change, c.ChangeColumnType):
        restored = change.held.foreign_keys
    for held in restored:
        found |= {(path.catalog, held.table.schema), (path.catalog, held.foreign_key.ref_schema)}
    return found


def _existence_checks(place: Place, touched: set[tuple[str, str | None]]) -> list[str]:
    """`DESCRIBE SCHEMA` per schema (it fails on a missing catalog too), `SHOW SCHEMAS IN` per catalog
    with no schema touched (`DESCRIBE CATALOG` would do, but sqlglot's Databricks dialect cannot parse
    it, and every generated file must parse)."""
    schemas = sorted(
        {(cat, schema) for cat, schema in touched if schema}, key=lambda p: (p[0].lower(), p[1].lower())
    )
    covered = {cat.lower() for cat, _ in schemas}
    catalogs = sorted(
        {cat for cat, schema in touched if not schema and cat.lower() not in covered}, key=str.lower
    )
    return [f"SHOW SCHEMAS IN {place.name(ObjectPath(cat))}" for cat in catalogs] + [
        f"DESCRIBE SCHEMA {place.name(ObjectPath(cat, schema))}" for cat, schema in schemas
    ]


# --- helpers ---------------------------------------------------------------------------------------


def _pairs(items: dict[str, str]) -> str:
    return ", ".join(f"{literal(key)} = {literal(value)}" for key, value in sorted(items.items()))


def _names(names: Sequence[str]) -> str:
    return ", ".join(ident(name) for name in names)


def _add_check(table: str, path: ObjectPath, column: str, values: Sequence[str]) -> str:
    name = ident(check_name(path.table or "", column))
    allowed = ", ".join(literal(value) for value in values)
    return f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({ident(column)} IN ({allowed}))"


def _drop_check_statement(table: str, path: ObjectPath, column: str) -> str:
    return f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {ident(check_name(path.table or '', column))}"


def _alter_column(place: Place, path: ObjectPath) -> str:
    return f"ALTER TABLE {place.table(path)} ALTER COLUMN {ident(path.column or '')}"


# --- one function per kind of change ---------------------------------------------------------------


def _add_catalog(place: Place, change: c.AddCatalog) -> list[str]:
    root = place.environment.catalog_storage_root(change.path.catalog)
    location = f" MANAGED LOCATION {literal(root)}" if root is not None else ""
    comment = f" COMMENT {literal(change.catalog.comment)}" if change.catalog.comment is not None else ""
    return [f"CREATE CATALOG {place.name(change.path)}{location}{comment}"]


def _add_schema(place: Place, change: c.AddSchema) -> list[str]:
    comment = f" COMMENT {literal(change.schema.comment)}" if change.schema.comment is not None else ""
    return [f"CREATE SCHEMA {place.name(change.path)}{comment}"]


def _add_table(place: Place, change: c.AddTable) -> list[str]:
    table: Table = change.table
    lines = [column_definition(column) for column in table.columns]
    if table.primary_key:
        name = primary_key_name(table.name, table.primary_key.name)
        lines.append(f"CONSTRAINT {ident(name)} PRIMARY KEY ({_names(table.primary_key.columns)})")
    text = f"CREATE TABLE {place.name(change.path)} ({', '.join(lines)})"
    if table.comment is not None:
        text += f" COMMENT {literal(table.comment)}"
    if table.cluster_by:
        text += f" CLUSTER BY ({_names(table.cluster_by)})"
    elif table.cluster_by_auto:
        text += " CLUSTER BY AUTO"
    properties = NEW_TABLE_PROPERTIES | dict(table.properties)
    if any(column.default is not None for column in table.columns):
        properties.setdefault("delta.feature.allowColumnDefaults", "supported")
    return [f"{text} TBLPROPERTIES ({_pairs(properties)})"]


def _drop(kind: str, cascade: bool) -> Callable[[Place, c.Change], list[str]]:
    def statements(place: Place, change: c.Change) -> list[str]:
        return [f"DROP {kind} {place.name(change.path)}{' CASCADE' if cascade else ''}"]

    return statements


def _rename_table(place: Place, change: c.RenameTable) -> list[str]:
    return [
        f"ALTER TABLE {place.name(change.path.with_table(change.old))} RENAME TO {place.name(change.path)}"
    ]


def _add_column(place: Place, change: c.AddColumn) -> list[str]:
    table, column = place.table(change.path), change.column
    statements = [COLUMN_DEFAULTS.format(table=table)] if column.default is not None else []
    statements.append(
        f"ALTER TABLE {table} ADD COLUMNS ({column_definition(column, with_constraints=False)})"
    )
    if not column.nullable:
        if column.default is not None:  # existing rows: the default, before NOT NULL can hold
            value = checked_default(column.default)
            statements.append(
                f"UPDATE {table} SET {ident(column.name)} = {value} WHERE {ident(column.name)} IS NULL"
            )
        statements.append(f"{_alter_column(place, change.path)} SET NOT NULL")
    return statements


def _drop_column(place: Place, change: c.DropColumn) -> list[str]:
    table = place.table(change.path)
    statements = [COLUMN_MAPPING.format(table=table)]
    if change.column.allowed_values:
        statements.append(_drop_check_statement(table, change.path, change.column.name))
    return [*statements, f"ALTER TABLE {table} DROP COLUMN {ident(change.column.name)}"]


def _rename_column(place: Place, change: c.RenameColumn) -> list[str]:
    table, new = place.table(change.path), change.path.column or ""
    statements = [] if change.column_mapping else [COLUMN_MAPPING.format(table=table)]
    if change.allowed_values:
        statements.append(_drop_check_statement(table, change.path, change.old))
    statements.append(f"ALTER TABLE {table} RENAME COLUMN {ident(change.old)} TO {ident(new)}")
    if change.allowed_values:
        statements.append(_add_check(table, change.path, new, change.allowed_values))
    return statements


def _change_type(place: Place, change: c.ChangeColumnType) -> list[str]:
    return [statement for piece in _change_type_pieces(place, change) for statement in piece.statements]


def _change_type_pieces(place: Place, change: c.ChangeColumnType) -> list[Piece]:
    """A rewrite drops the column: first the constraints that name it (Delta refuses the drop while
    one does), put back after it, as the new model declares them."""
    rewrite = _rewrite_column(place, change)
    held, column = change.held, change.column
    if change.kind in ("same", "widening") or not (held or column.allowed_values):
        return [Piece(change.phase, 0, rewrite)]
    table, check = place.table(change.path), column.allowed_values
    lifted = [_drop_primary_key(place, change.path)] if held.primary_key else []
    lifted += [
        _drop_foreign_key_statement(place, k.table, k.foreign_key)
        for k in held.foreign_keys
        if k.table == change.path.table_path()
    ]
    lifted += [f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {ident(name)}" for name, _ in held.checks]
    if check:
        lifted.append(_drop_check_statement(table, change.path, column.name))
    checks = [_add_check(table, change.path, column.name, check)] if check else []
    checks += [
        f"ALTER TABLE {table} ADD CONSTRAINT {ident(name)} CHECK ({checked_check(k, None)})"
        for name, k in held.checks
    ]
    pieces = [Piece(change.phase, 0, lifted + rewrite + checks)]
    if held.primary_key:
        pieces.append(Piece(*KEY_ADD, [_add_primary_key(place, change.path, held.primary_key)], restore=True))
    return [*pieces, _restored_foreign_keys(place, held.foreign_keys)]


def _rewrite_column(place: Place, change: c.ChangeColumnType) -> list[str]:
    table, kind, new_type = place.table(change.path), change.kind, checked_type(change.new)
    if kind == "same":
        return []
    if kind == "widening":
        return [TYPE_WIDENING.format(table=table), f"{_alter_column(place, change.path)} TYPE {new_type}"]
    # Delta changes no other type in place: a new column takes the converted values and the name.
    column, name = change.column, change.path.column or ""
    temporary = f"{name}__retyped"
    position = f"AFTER {ident(change.after)}" if change.after else "FIRST"
    statements = [
        COLUMN_MAPPING.format(table=table),
        f"ALTER TABLE {table} ADD COLUMNS ({ident(temporary)} {new_type})",
        f"UPDATE {table} SET {ident(temporary)} = CAST({ident(name)} AS {new_type})",
        f"ALTER TABLE {table} DROP COLUMN {ident(name)}",
        f"ALTER TABLE {table} RENAME COLUMN {ident(temporary)} TO {ident(name)}",
        f"{_alter_column(place, change.path)} {position}",
    ]
    if column.default is not None:
        statements += [
            COLUMN_DEFAULTS.format(table=table),
            f"{_alter_column(place, change.path)} SET DEFAULT {checked_default(column.default)}",
        ]
    if not column.nullable:
        statements.append(f"{_alter_column(place, change.path)} SET NOT NULL")
    if column.comment is not None:
        statements += _set_comment(place, c.SetComment(path=change.path, old=None, new=column.comment))
    if column.tags:
        statements.append(f"{_alter_column(place, change.path)} SET TAGS ({_pairs(column.tags)})")
    return statements


def _set_nullability(place: Place, change: c.SetNullability) -> list[str]:
    return [f"{_alter_column(place, change.path)} {'DROP' if change.nullable else 'SET'} NOT NULL"]


def _set_default(place: Place, change: c.SetDefault) -> list[str]:
    if change.new is None:
        return [f"{_alter_column(place, change.path)} DROP DEFAULT"]
    table = place.table(change.path)
    return [
        COLUMN_DEFAULTS.format(table=table),
        f"{_alter_column(place, change.path)} SET DEFAULT {checked_default(change.new)}",
    ]


def _reorder(place: Place, change: c.ReorderColumns) -> list[str]:
    statements, table = [], change.path
    current = list(change.before)
    for position, name in enumerate(change.order):
        if position < len(current) and current[position] == name:
            continue
        where = "FIRST" if position == 0 else f"AFTER {ident(change.order[position - 1])}"
        statements.append(f"{_alter_column(place, table.with_column(name))} {where}")
        current.remove(name)
        current.insert(position, name)
    return statements


def _set_comment(place: Place, change: c.SetComment) -> list[str]:
    kind = change.path.kind.upper()
    name = place.name(change.path) + (f".{ident(change.path.column)}" if change.path.column else "")
    text = literal(change.new) if change.new is not None else "NULL"
    return [f"COMMENT ON {kind} {name} IS {text}"]


def _tags_target(place: Place, path: ObjectPath) -> str:
    if path.kind == "column":
        return _alter_column(place, path)
    return f"ALTER {SECURABLES[path.kind]} {place.name(path)}"


def _set_tag(place: Place, change: c.SetTag) -> list[str]:
    return [f"{_tags_target(place, change.path)} SET TAGS ({_pairs({change.key: change.new})})"]


def _unset_tag(place: Place, change: c.UnsetTag) -> list[str]:
    return [f"{_tags_target(place, change.path)} UNSET TAGS ({literal(change.key)})"]


def _set_mask(place: Place, change: c.SetMask) -> list[str]:
    mask, column_type = change.mask, checked_type(change.column_type)
    function = (place.environment.catalog_name(change.path.catalog), change.function_schema, mask.function)
    kind = masked_kind(mask.strategy, column_type)
    return [
        mask_function_sql(function, column_type, kind, mask.exempt_groups),
        f"{_alter_column(place, change.path)} SET MASK {ident(*function)}",
    ]


def _drop_mask(place: Place, change: c.DropMask) -> list[str]:
    return [f"{_alter_column(place, change.path)} DROP MASK"]


def _set_owner(place: Place, change: c.SetOwner) -> list[str]:
    if change.new is None:
        return []  # Unity Catalog keeps the owner it has
    return [f"ALTER {SECURABLES[change.path.kind]} {place.name(change.path)} OWNER TO {ident(change.new)}"]


def _grant(place: Place, change: c.GrantPrivileges) -> list[str]:
    if not change.applies_in(place.environment.name):
        return []
    privileges = ", ".join(checked_privilege(p) for p in change.privileges)
    securable = f"{SECURABLES[change.path.kind]} {place.name(change.path)}"
    return [f"GRANT {privileges} ON {securable} TO {ident(change.principal)}"]


def _revoke(place: Place, change: c.RevokePrivileges) -> list[str]:
    lost = change.lost_in(place.environment.name)
    if not lost:
        return []
    privileges = ", ".join(checked_privilege(p) for p in lost)
    securable = f"{SECURABLES[change.path.kind]} {place.name(change.path)}"
    return [f"REVOKE {privileges} ON {securable} FROM {ident(change.principal)}"]


def _drop_check(place: Place, change: c.DropCheck) -> list[str]:
    return [_drop_check_statement(place.table(change.path), change.path, change.path.column or "")]


def _set_check(place: Place, change: c.SetCheck) -> list[str]:
    table, column = place.table(change.path), change.path.column or ""
    return [
        _drop_check_statement(table, change.path, column),
        _add_check(table, change.path, column, change.new),
    ]


def _drop_table_check(place: Place, change: c.DropTableCheck) -> list[str]:
    return [f"ALTER TABLE {place.table(change.path)} DROP CONSTRAINT IF EXISTS {ident(change.name)}"]


def _add_table_check(place: Place, change: c.AddTableCheck) -> list[str]:
    expression = checked_check(change.check, None)
    return [
        f"ALTER TABLE {place.table(change.path)} ADD CONSTRAINT {ident(change.name)} CHECK ({expression})"
    ]


def _set_primary_key(place: Place, change: c.SetPrimaryKey) -> list[str]:
    return [statement for piece in _primary_key_pieces(place, change) for statement in piece.statements]


def _primary_key_pieces(place: Place, change: c.SetPrimaryKey) -> list[Piece]:
    """The old key goes before any column it names is dropped; the new one comes once its columns
    are NOT NULL, and the foreign keys that the drop's CASCADE took, once every key is back."""
    pieces = [Piece(*KEY_DROP, [_drop_primary_key(place, change.path)])] if change.old else []
    if change.new:
        pieces += [
            Piece(*KEY_ADD, [_add_primary_key(place, change.path, change.new)]),
            _restored_foreign_keys(place, change.referencing),
        ]
    return pieces


def _drop_primary_key(place: Place, table: ObjectPath) -> str:
    return f"ALTER TABLE {place.table(table)} DROP PRIMARY KEY IF EXISTS CASCADE"


def _add_primary_key(place: Place, table: ObjectPath, key: PrimaryKey) -> str:
    name = ident(primary_key_name(table.table or "", key.name))
    return f"ALTER TABLE {place.table(table)} ADD CONSTRAINT {name} PRIMARY KEY ({_names(key.columns)})"


def _restored_foreign_keys(place: Place, keys: Sequence[c.ForeignKeyOf]) -> Piece:
    statements = [_add_foreign_key_statement(place, held.table, held.foreign_key) for held in keys]
    return Piece(*FOREIGN_KEY_ADD, statements, restore=True)


def _add_foreign_key(place: Place, change: c.AddForeignKey) -> list[str]:
    return [_add_foreign_key_statement(place, change.path, change.foreign_key)]


def _add_foreign_key_statement(place: Place, table: ObjectPath, fk: ForeignKey) -> str:
    name = ident(foreign_key_name(table.table or "", fk.columns, fk.name))
    referenced = place.name(ObjectPath(table.catalog, fk.ref_schema, fk.ref_table))
    return (
        f"ALTER TABLE {place.table(table)} ADD CONSTRAINT {name} FOREIGN KEY ({_names(fk.columns)}) "
        f"REFERENCES {referenced} ({_names(fk.ref_columns)})"
    )


def _drop_foreign_key(place: Place, change: c.DropForeignKey) -> list[str]:
    return [_drop_foreign_key_statement(place, change.path, change.foreign_key)]


def _drop_foreign_key_statement(place: Place, table: ObjectPath, fk: ForeignKey) -> str:
    name = ident(foreign_key_name(table.table or "", fk.columns, fk.name))
    return f"ALTER TABLE {place.table(table)} DROP CONSTRAINT IF EXISTS {name}"


def _set_clustering(place: Place, change: c.SetClustering) -> list[str]:
    keys = f"({_names(change.cluster_by)})" if change.cluster_by else ("AUTO" if change.auto else "NONE")
    return [f"ALTER TABLE {place.table(change.path)} CLUSTER BY {keys}"]


def _set_property(place: Place, change: c.SetProperty) -> list[str]:
    return [f"ALTER TABLE {place.table(change.path)} SET TBLPROPERTIES ({_pairs({change.key: change.new})})"]


def _unset_property(place: Place, change: c.UnsetProperty) -> list[str]:
    return [f"ALTER TABLE {place.table(change.path)} UNSET TBLPROPERTIES IF EXISTS ({literal(change.key)})"]


def _no_sql(place: Place, change: c.Change) -> list[str]:
    """Model only (classification, unique keys), Terraform's side (environments, deployment), or not
    possible in place (an identity): see CHANGES.md."""
    return []


SQL: dict[type[c.Change], Callable[[Place, Any], list[str]]] = {
    c.AddCatalog: _add_catalog,
    c.AddSchema: _add_schema,
    c.AddTable: _add_table,
    c.DropCatalog: _drop("CATALOG", cascade=True),
    c.DropSchema: _drop("SCHEMA", cascade=True),
    c.DropTable: _drop("TABLE", cascade=False),
    c.RenameTable: _rename_table,
    c.AddColumn: _add_column,
    c.DropColumn: _drop_column,
    c.RenameColumn: _rename_column,
    c.ChangeColumnType: _change_type,
    c.SetNullability: _set_nullability,
    c.SetDefault: _set_default,
    c.SetIdentity: _no_sql,
    c.ReorderColumns: _reorder,
    c.SetComment: _set_comment,
    c.SetTag: _set_tag,
    c.UnsetTag: _unset_tag,
    c.SetClassification: _no_sql,
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
    c.SetUniqueKeys: _no_sql,
    c.AddForeignKey: _add_foreign_key,
    c.DropForeignKey: _drop_foreign_key,
    c.SetClustering: _set_clustering,
    c.SetProperty: _set_property,
    c.UnsetProperty: _unset_property,
    c.AddEnvironment: _no_sql,
    c.DropEnvironment: _no_sql,
    c.SetCatalogTemplate: _no_sql,
    c.SetCatalogStorage: _no_sql,
    c.SetCatalogIsolation: _no_sql,
    c.SetDeployment: _no_sql,
}

# The changes whose statements go to more than one place (see `Piece`).
PIECES: dict[type[c.Change], Callable[[Place, Any], list[Piece]]] = {
    c.ChangeColumnType: _change_type_pieces,
    c.SetPrimaryKey: _primary_key_pieces,
}
