"""ALTER TABLE: columns (add, drop, rename, type, nullability, default, comment, position, tags,
masks), constraints, properties, clustering, tags, row filters, owner and rename, with Delta's and
Unity Catalog's rules: renames and drops need column mapping, a type change must be a widening with
type widening enabled, a column a constraint names cannot be dropped, a key's columns are NOT NULL."""

from __future__ import annotations

from sqlglot import exp

from accelerator.sandbox.databricks import errors as e
from accelerator.sandbox.databricks import types
from accelerator.sandbox.databricks.catalog import CatalogStore, touched
from accelerator.sandbox.databricks.model import Column, Constraint, Mask, RowFilter, Table
from accelerator.sandbox.databricks.query import Result
from accelerator.sandbox.databricks.session import (
    Session,
    chain_of,
    check_expression,
    check_reference,
    parse_expression,
    read_column,
    read_constraint,
    require_tagging,
    set_owner,
    set_tags,
)
from accelerator.sandbox.databricks.sqltext import Cursor

COLUMN_MAPPING_MODES = {"none", "name", "id"}


class Target:
    """The table an ALTER TABLE names, with its path and its parents."""

    def __init__(self, session: Session, cursor: Cursor) -> None:
        self.session = session
        self.uc = session.uc
        self.catalog_name, self.schema_name, self.name = session.table_name(cursor.qualified())
        self.table = self.uc.table(self.catalog_name, self.schema_name, self.name)
        self.chain = chain_of(self.uc, self.catalog_name, self.schema_name, self.name)
        self.path = f"{self.catalog_name}.{self.schema_name}.{self.name}"
        self.shown = f"`{self.catalog_name}`.`{self.schema_name}`.`{self.name}`"
        self.uc.require_use(session.user, self.chain[0], self.chain[1])  # type: ignore[arg-type]

    def manage(self) -> None:
        self.uc.require_manage(self.session.user, self.chain, "Table", self.path)

    def column(self, name: str) -> Column:
        found = self.table.column(name)
        if found is None:
            raise e.unresolved_column(name, self.shown, [c.name for c in self.table.columns][:5])
        return found

    def dependents(self, column: str) -> list[str]:
        """The constraints that name `column`: this table's keys and checks, others' foreign keys."""
        wanted = column.lower()
        found = [
            c.name
            for c in self.table.constraints
            if wanted in [n.lower() for n in c.columns]
            or (c.kind == "CHECK" and wanted in check_columns(c.expression or ""))
        ]
        for table_path, other in all_tables(self.uc):
            for constraint in other.constraints:
                if constraint.ref_table == self.path and wanted in [
                    n.lower() for n in constraint.ref_columns
                ]:
                    found.append(f"{constraint.name} ({table_path})")
        return found


def check_columns(expression: str) -> set[str]:
    return {column.name.lower() for column in parse_expression(expression).find_all(exp.Column)}


def all_tables(uc: CatalogStore) -> list[tuple[str, Table]]:
    return [
        (f"{catalog.name}.{schema.name}.{table.name}", table)
        for catalog in uc.metastore.catalogs.values()
        for schema in catalog.schemas.values()
        for table in schema.tables.values()
    ]


def alter_table(session: Session, cursor: Cursor) -> Result:
    target = Target(session, cursor)
    table = target.table
    if cursor.accept("RENAME", "COLUMN"):
        rename_column(target, cursor)
    elif cursor.accept("RENAME", "TO"):
        rename_table(target, cursor)
    elif cursor.accept("SET", "OWNER", "TO") or cursor.accept("OWNER", "TO"):
        owner = cursor.name()
        cursor.end()
        set_owner(session, target.chain, "Table", target.path, owner)
    elif cursor.accept("SET", "TAGS"):
        tags = cursor.pairs()
        cursor.end()
        require_tagging(session, target.chain, "Table", target.path)
        set_tags(table.tags, tags)
    elif cursor.accept("UNSET", "TAGS"):
        keys = cursor.keys()
        cursor.end()
        require_tagging(session, target.chain, "Table", target.path)
        for key in keys:
            table.tags.pop(key, None)
    elif cursor.accept("SET", "TBLPROPERTIES"):
        set_properties(target, cursor.pairs())
        cursor.end()
    elif cursor.accept("UNSET", "TBLPROPERTIES"):
        if_exists = cursor.accept("IF", "EXISTS")
        keys = cursor.keys()
        cursor.end()
        unset_properties(target, keys, if_exists)
    elif cursor.accept("ADD", "CONSTRAINT"):
        name = cursor.name()
        add_constraint(target, read_constraint(session, cursor, name, table.name))
        cursor.end()
    elif cursor.at("ADD", "PRIMARY") or cursor.at("ADD", "FOREIGN") or cursor.at("ADD", "CHECK"):
        cursor.expect("ADD")
        add_constraint(target, read_constraint(session, cursor, None, table.name))
        cursor.end()
    elif cursor.accept("ADD", "COLUMNS") or cursor.accept("ADD", "COLUMN") or cursor.accept("ADD"):
        add_columns(target, cursor)
    elif cursor.accept("DROP", "CONSTRAINT"):
        if_exists = cursor.accept("IF", "EXISTS")
        name = cursor.name()
        cascade = cursor.accept("CASCADE")
        cursor.accept("RESTRICT")
        cursor.end()
        drop_constraint(target, table.constraint(name), name, if_exists, cascade)
    elif cursor.accept("DROP", "PRIMARY", "KEY"):
        if_exists = cursor.accept("IF", "EXISTS")
        cascade = cursor.accept("CASCADE")
        cursor.accept("RESTRICT")
        cursor.end()
        drop_constraint(target, table.primary_key(), "PRIMARY KEY", if_exists, cascade)
    elif cursor.accept("DROP", "FOREIGN", "KEY"):
        if_exists = cursor.accept("IF", "EXISTS")
        columns = [c.lower() for c in cursor.names_in_parentheses()]
        cursor.end()
        found = next(
            (
                c
                for c in table.constraints
                if c.kind == "FOREIGN KEY" and [n.lower() for n in c.columns] == columns
            ),
            None,
        )
        drop_constraint(target, found, f"FOREIGN KEY ({', '.join(columns)})", if_exists, False)
    elif cursor.accept("DROP", "ROW", "FILTER"):
        target.manage()
        cursor.end()
        table.row_filter = None
    elif cursor.accept("DROP", "COLUMNS") or cursor.accept("DROP", "COLUMN") or cursor.accept("DROP"):
        drop_columns(target, cursor)
    elif cursor.accept("ALTER", "COLUMN") or cursor.accept("CHANGE", "COLUMN") or cursor.accept("ALTER"):
        alter_column(target, cursor)
    elif cursor.accept("CLUSTER", "BY"):
        target.manage()
        if cursor.accept("AUTO"):
            table.cluster_by, table.cluster_auto = [], True
        elif cursor.accept("NONE"):
            table.cluster_by, table.cluster_auto = [], False
        else:
            names = cursor.names_in_parentheses()
            table.cluster_by = [target.column(name).name for name in names]
            table.cluster_auto = False
        cursor.end()
    elif cursor.accept("SET", "ROW", "FILTER"):
        target.manage()
        function_parts = session.table_name(cursor.qualified())
        cursor.expect("ON")
        columns = [target.column(name).name for name in cursor.names_in_parentheses()]
        cursor.end()
        session.uc.function(*function_parts)
        table.row_filter = RowFilter(function=".".join(function_parts), columns=columns)
    else:
        raise e.unsupported(
            "ALTER TABLE ... " + " ".join(t.text.upper() for t in cursor.tokens[cursor.index :][:3])
        )
    touched(table, session.user)
    return Result()


# --- the table -------------------------------------------------------------------------------------


def rename_table(target: Target, cursor: Cursor) -> None:
    target.manage()
    catalog_name, schema_name, name = target.session.table_name(cursor.qualified())
    cursor.end()
    if catalog_name != target.catalog_name:
        raise e.SqlError(
            "INVALID_PARAMETER_VALUE.RENAME_ACROSS_CATALOGS",
            "22023",
            f"Cannot move table {target.path} to another catalog ({catalog_name}).",
        )
    schema = target.uc.schema(catalog_name, schema_name)
    if name in schema.tables:
        raise e.table_exists(catalog_name, schema_name, name)
    del target.uc.schema(target.catalog_name, target.schema_name).tables[target.name]
    target.table.name = name
    schema.tables[name] = target.table
    new_path = f"{catalog_name}.{schema_name}.{name}"
    for _, other in all_tables(target.uc):
        for constraint in other.constraints:
            if constraint.ref_table == target.path:
                constraint.ref_table = new_path


def set_properties(target: Target, pairs: dict[str, str]) -> None:
    target.manage()
    table = target.table
    for key, value in pairs.items():
        if key.lower().startswith("delta.constraints."):
            raise e.SqlError(
                "DELTA_CANNOT_MODIFY_TABLE_PROPERTY",
                "42939",
                f"The Delta table configuration {key} cannot be specified by the user; use ADD CONSTRAINT.",
            )
        if key == "delta.columnMapping.mode":
            mode = value.lower()
            if mode not in COLUMN_MAPPING_MODES:
                raise e.invalid(f"Invalid column mapping mode '{value}' (none, name or id).")
            if mode == "none" and table.column_mapping:
                raise e.SqlError(
                    "DELTA_UNSUPPORTED_COLUMN_MAPPING_MODE_CHANGE",
                    "0AKDC",
                    f"Changing column mapping mode from '{table.properties['delta.columnMapping.mode']}' to "
                    "'none' is not supported.",
                )
        booleans = ("delta.enableTypeWidening", "delta.enableChangeDataFeed", "delta.enableDeletionVectors")
        if key in booleans and value.lower() not in ("true", "false"):
            raise e.invalid(f"{key} must be 'true' or 'false', not '{value}'.")
        if key == "delta.feature.allowColumnDefaults" and value != "supported":
            raise e.invalid(f"{key} must be 'supported', not '{value}'.")
    table.properties.update(pairs)


def unset_properties(target: Target, keys: list[str], if_exists: bool) -> None:
    target.manage()
    missing = [key for key in keys if key not in target.table.properties]
    if missing and not if_exists:
        raise e.SqlError(
            "UNSET_NONEXISTENT_PROPERTIES",
            "42K0J",
            f"Attempted to unset non-existent properties [{', '.join(missing)}] in table {target.shown}.",
        )
    for key in keys:
        if key == "delta.columnMapping.mode" and target.table.column_mapping:
            raise e.SqlError(
                "DELTA_UNSUPPORTED_COLUMN_MAPPING_MODE_CHANGE", "0AKDC", "Column mapping cannot be unset."
            )
        target.table.properties.pop(key, None)


# --- constraints -----------------------------------------------------------------------------------


def add_constraint(target: Target, constraint: Constraint) -> None:
    target.manage()
    table, session = target.table, target.session
    if table.constraint(constraint.name) is not None:
        raise e.constraint_exists(constraint.name, target.shown)
    if constraint.kind in ("PRIMARY KEY", "FOREIGN KEY"):
        schema = target.uc.schema(target.catalog_name, target.schema_name)
        for other in schema.tables.values():
            if any(
                c.name.lower() == constraint.name.lower() and c.kind != "CHECK" for c in other.constraints
            ):
                raise e.constraint_exists(
                    constraint.name, f"schema {target.catalog_name}.{target.schema_name}"
                )
    if constraint.kind == "PRIMARY KEY" and table.primary_key() is not None:
        raise e.SqlError(
            "MULTIPLE_PRIMARY_KEYS",
            "42P16",
            f"Table {target.shown} already has a PRIMARY KEY; drop it first.",
        )
    for name in constraint.columns:
        column = target.column(name)
        if constraint.kind == "PRIMARY KEY" and column.nullable:
            raise e.nullable_key_column(column.name, target.shown)
    constraint.columns = [target.column(name).name for name in constraint.columns]
    if constraint.kind == "FOREIGN KEY":
        check_reference(session, table, constraint, target.path)
        catalog_name, schema_name, name = (constraint.ref_table or "..").split(".")
        if constraint.ref_table != target.path:
            session.require_table(
                catalog_name, schema_name, target.uc.table(catalog_name, schema_name, name), "SELECT"
            )
    if constraint.kind == "CHECK":
        check_expression(session, table, constraint, target.shown)
    table.constraints.append(constraint)


def drop_constraint(
    target: Target, found: Constraint | None, name: str, if_exists: bool, cascade: bool
) -> None:
    target.manage()
    table = target.table
    if found is None:
        if if_exists:
            return
        raise e.constraint_missing(name, target.shown)
    if found.kind == "PRIMARY KEY":
        referencing = [
            (path, other, c)
            for path, other in all_tables(target.uc)
            for c in other.constraints
            if c.kind == "FOREIGN KEY" and c.ref_table == target.path and not (other is table and c is found)
        ]
        if referencing and not cascade:
            raise e.constraint_referenced(
                found.name, target.shown, [f"{c.name} ({p})" for p, _, c in referencing]
            )
        for _, other, constraint in referencing:
            other.constraints.remove(constraint)
    table.constraints.remove(found)


# --- columns ---------------------------------------------------------------------------------------


def add_columns(target: Target, cursor: Cursor) -> None:
    target.manage()
    session, table = target.session, target.table
    parenthesized = cursor.accept("(")
    added: list[tuple[Column, str | None]] = []
    while True:
        column = read_column(session, cursor)
        position = None
        if cursor.accept("FIRST"):
            position = ""
        elif cursor.accept("AFTER"):
            position = cursor.name()
        added.append((column, position))
        if not cursor.accept(","):
            break
    if parenthesized:
        cursor.expect(")")
    cursor.end()
    for column, position in added:
        if table.column(column.name) is not None:
            raise e.field_exists(column.name, target.shown)
        if column.identity is not None:
            raise e.SqlError(
                "DELTA_IDENTITY_COLUMNS_ALTER_COLUMN_NOT_SUPPORTED",
                "429BQ",
                "ALTER TABLE ADD COLUMN is not supported for IDENTITY columns.",
            )
        if (
            column.default is not None
            and table.properties.get("delta.feature.allowColumnDefaults") != "supported"
        ):
            raise default_feature(target)
        if not column.nullable and table.rows:
            raise e.not_null_violated(column.name)
        index = len(table.columns)
        if position == "":
            index = 0
        elif position is not None:
            index = table.columns.index(target.column(position)) + 1
        table.columns.insert(index, column)
        for row in table.rows:
            row[column.name.lower()] = None


def default_feature(target: Target) -> e.SqlError:
    return e.SqlError(
        "WRONG_COLUMN_DEFAULTS_FOR_DELTA_FEATURE_NOT_ENABLED",
        "0AKDE",
        "Failed to execute ALTER TABLE command because it assigned a column DEFAULT value, but the corresponding "
        f"table feature was not enabled. Please retry the command again after executing ALTER TABLE {target.shown} "
        "SET TBLPROPERTIES('delta.feature.allowColumnDefaults' = 'supported').",
    )


def drop_columns(target: Target, cursor: Cursor) -> None:
    target.manage()
    table = target.table
    if_exists = cursor.accept("IF", "EXISTS")
    names = cursor.names_in_parentheses() if cursor.at("(") else [cursor.name()]
    cursor.end()
    if not table.column_mapping:
        raise e.drop_without_column_mapping(target.shown)
    dropped = []
    for name in names:
        column = table.column(name)
        if column is None:
            if if_exists:
                continue
            raise e.unresolved_column(name, target.shown, [c.name for c in table.columns][:5])
        dependents = target.dependents(column.name)
        if dependents:
            raise e.dependent_column(column.name, target.shown, dependents)
        if column.name.lower() in [c.lower() for c in table.cluster_by]:
            raise e.SqlError(
                "DELTA_UNSUPPORTED_DROP_CLUSTERING_COLUMN",
                "0AKDC",
                f"Dropping clustering columns ({column.name}) is not supported; change CLUSTER BY first.",
            )
        dropped.append(column)
    if len(dropped) >= len(table.columns):
        raise e.SqlError(
            "DELTA_DROP_COLUMN_ON_SINGLE_FIELD_SCHEMA", "0AKDC", "Cannot drop every column of a table."
        )
    for column in dropped:
        table.columns.remove(column)
        for row in table.rows:
            row.pop(column.name.lower(), None)
        table.identity_next.pop(column.name.lower(), None)


def rename_column(target: Target, cursor: Cursor) -> None:
    target.manage()
    table = target.table
    old = cursor.name()
    cursor.expect("TO")
    new = cursor.name()
    cursor.end()
    column = target.column(old)
    if not table.column_mapping:
        raise e.rename_without_column_mapping(target.shown)
    if table.column(new) is not None and new.lower() != old.lower():
        raise e.SqlError(
            "COLUMN_ALREADY_EXISTS", "42711", f"The column `{new}` already exists in {target.shown}."
        )
    checks = [
        c.name
        for c in table.constraints
        if c.kind == "CHECK" and column.name.lower() in check_columns(c.expression or "")
    ]
    if checks:
        raise e.dependent_column(column.name, target.shown, checks)
    before, column.name = column.name, new
    lowered_before = before.lower()

    def renamed(names: list[str]) -> list[str]:
        return [new if name.lower() == lowered_before else name for name in names]

    for constraint in table.constraints:
        constraint.columns = renamed(constraint.columns)
    for _, other in all_tables(target.uc):
        for constraint in other.constraints:
            if constraint.ref_table == target.path:
                constraint.ref_columns = renamed(constraint.ref_columns)
    table.cluster_by = renamed(table.cluster_by)
    for row in table.rows:
        row[new.lower()] = row.pop(lowered_before, None)
    if lowered_before in table.identity_next:
        table.identity_next[new.lower()] = table.identity_next.pop(lowered_before)


def alter_column(target: Target, cursor: Cursor) -> None:
    session, table = target.session, target.table
    column = target.column(cursor.name())
    if cursor.accept("TYPE"):
        new_type = types.check_known(cursor.data_type())
        cursor.end()
        target.manage()
        change_type(target, column, new_type)
    elif cursor.accept("SET", "NOT", "NULL"):
        cursor.end()
        target.manage()
        if any(row.get(column.name.lower()) is None for row in table.rows):
            raise e.not_null_violated(column.name)
        column.nullable = False
    elif cursor.accept("DROP", "NOT", "NULL"):
        cursor.end()
        target.manage()
        primary = table.primary_key()
        if primary is not None and column.name.lower() in [c.lower() for c in primary.columns]:
            raise e.dependent_column(column.name, target.shown, [primary.name])
        column.nullable = True
    elif cursor.accept("SET", "DEFAULT"):
        expression = cursor.expression()
        cursor.end()
        target.manage()
        if table.properties.get("delta.feature.allowColumnDefaults") != "supported":
            raise default_feature(target)
        parse_expression(expression)
        column.default = expression
    elif cursor.accept("DROP", "DEFAULT"):
        cursor.end()
        target.manage()
        column.default = None
    elif cursor.accept("COMMENT"):
        column.comment = cursor.string_or_null()
        cursor.end()
        target.manage()
    elif cursor.accept("FIRST") or cursor.at("AFTER"):
        after = cursor.name() if cursor.accept("AFTER") else None
        cursor.end()
        target.manage()
        table.columns.remove(column)
        index = 0 if after is None else table.columns.index(target.column(after)) + 1
        table.columns.insert(index, column)
    elif cursor.accept("SET", "TAGS"):
        tags = cursor.pairs()
        cursor.end()
        require_tagging(session, target.chain, "Table", target.path)
        set_tags(column.tags, tags)
    elif cursor.accept("UNSET", "TAGS"):
        keys = cursor.keys()
        cursor.end()
        require_tagging(session, target.chain, "Table", target.path)
        for key in keys:
            column.tags.pop(key, None)
    elif cursor.accept("SET", "MASK"):
        parts = session.table_name(cursor.qualified())
        using = cursor.names_in_parentheses() if cursor.accept("USING", "COLUMNS") else []
        cursor.end()
        target.manage()
        set_mask(target, column, parts, using)
    elif cursor.accept("DROP", "MASK"):
        cursor.end()
        target.manage()
        column.mask = None
    else:
        raise e.unsupported(
            "ALTER TABLE ... ALTER COLUMN ... "
            + " ".join(t.text.upper() for t in cursor.tokens[cursor.index :][:2])
        )


def change_type(target: Target, column: Column, new_type: str) -> None:
    old = column.type
    if types.normalized(old) == types.normalized(new_type):
        return
    widening = types.is_widening(old, new_type)
    if not (widening and target.table.type_widening) and not types.is_relaxing(old, new_type):
        raise e.type_change(target.shown, column.name, old, new_type, widening_disabled=widening)
    checks = [
        c.name
        for c in target.table.constraints
        if c.kind == "CHECK" and column.name.lower() in check_columns(c.expression or "")
    ]
    if checks:
        raise e.dependent_column(column.name, target.shown, checks)
    column.type = new_type
    for row in target.table.rows:
        row[column.name.lower()] = types.coerce(row.get(column.name.lower()), new_type, column.name)


def set_mask(target: Target, column: Column, parts: tuple[str, str, str], using: list[str]) -> None:
    uc, session = target.uc, target.session
    function = uc.function(*parts)
    function_chain = [uc.catalog(parts[0]), uc.schema(parts[0], parts[1]), function]
    uc.require_use(session.user, function_chain[0], function_chain[1])  # type: ignore[arg-type]
    uc.require(session.user, function_chain, "EXECUTE", "Function", ".".join(parts))
    using_columns = [target.column(name).name for name in using]
    if len(function.parameters) != 1 + len(using_columns):
        raise e.SqlError(
            "MASK_FUNCTION_PARAMETER_MISMATCH",
            "42K09",
            f"The mask function {'.'.join(parts)} takes {len(function.parameters)} parameter(s); the column and "
            f"USING COLUMNS give {1 + len(using_columns)}.",
        )
    parameter_type = function.parameters[0][1]
    if types.normalized(parameter_type) != types.normalized(column.type) or types.normalized(
        function.returns
    ) != types.normalized(column.type):
        raise e.datatype_mismatch(
            f"The mask function {'.'.join(parts)} ({parameter_type}) RETURNS {function.returns} does not fit "
            f"column `{column.name}` of type {column.type}."
        )
    column.mask = Mask(function=".".join(parts), using=using_columns)
