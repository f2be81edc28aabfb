"""One statement, read and executed as one user: the Unity Catalog DDL forms matched word by word
(`sqltext.Cursor`), the DML and queries through sqlglot's Databricks dialect (`query.py`, `rows.py`).
A form not listed here fails with UNSUPPORTED_FEATURE.SANDBOX naming it, never silently."""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from accelerator.sandbox.databricks import errors as e
from accelerator.sandbox.databricks import types
from accelerator.sandbox.databricks.alter_table import alter_table
from accelerator.sandbox.databricks.catalog import DEFAULT_SCHEMA, INFORMATION_SCHEMA, CatalogStore, touched
from accelerator.sandbox.databricks.errors import SqlError
from accelerator.sandbox.databricks.model import Catalog, Function, RowFilter, Schema, Securable, Table
from accelerator.sandbox.databricks.query import Result
from accelerator.sandbox.databricks.rows import run_dml_or_query
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

PRIVILEGE_WORDS = {
    ("ALL", "PRIVILEGES"): "ALL_PRIVILEGES",
    ("USE", "CATALOG"): "USE_CATALOG",
    ("USE", "SCHEMA"): "USE_SCHEMA",
    ("CREATE", "SCHEMA"): "CREATE_SCHEMA",
    ("CREATE", "TABLE"): "CREATE_TABLE",
    ("CREATE", "FUNCTION"): "CREATE_FUNCTION",
    ("CREATE", "VOLUME"): "CREATE_VOLUME",
    ("CREATE", "MODEL"): "CREATE_MODEL",
    ("CREATE", "MATERIALIZED", "VIEW"): "CREATE_MATERIALIZED_VIEW",
    ("CREATE", "CATALOG"): "CREATE_CATALOG",
    ("APPLY", "TAG"): "APPLY_TAG",
    ("READ", "VOLUME"): "READ_VOLUME",
    ("WRITE", "VOLUME"): "WRITE_VOLUME",
    ("EXTERNAL", "USE", "SCHEMA"): "EXTERNAL_USE_SCHEMA",
}
SINGLE_PRIVILEGES = {"SELECT", "MODIFY", "MANAGE", "BROWSE", "EXECUTE", "REFRESH"}
# Which privileges each securable takes (a child's privilege may be granted on a parent: inherited).
APPLICABLE = {
    "CATALOG": {
        "ALL_PRIVILEGES", "USE_CATALOG", "USE_SCHEMA", "CREATE_SCHEMA", "CREATE_TABLE", "CREATE_FUNCTION",
        "CREATE_VOLUME", "CREATE_MODEL", "CREATE_MATERIALIZED_VIEW", "APPLY_TAG", "BROWSE", "EXECUTE", "MODIFY",
        "SELECT", "MANAGE", "READ_VOLUME", "WRITE_VOLUME", "REFRESH", "EXTERNAL_USE_SCHEMA",
    },
    "SCHEMA": {
        "ALL_PRIVILEGES", "USE_SCHEMA", "CREATE_TABLE", "CREATE_FUNCTION", "CREATE_VOLUME", "CREATE_MODEL",
        "CREATE_MATERIALIZED_VIEW", "APPLY_TAG", "EXECUTE", "MODIFY", "SELECT", "MANAGE", "READ_VOLUME",
        "WRITE_VOLUME", "REFRESH", "EXTERNAL_USE_SCHEMA",
    },
    "TABLE": {"ALL_PRIVILEGES", "SELECT", "MODIFY", "APPLY_TAG", "MANAGE", "BROWSE"},
    "FUNCTION": {"ALL_PRIVILEGES", "EXECUTE", "MANAGE"},
}  # fmt: skip


FORM_WORDS = {
    "TABLE", "TABLES", "SCHEMA", "SCHEMAS", "CATALOG", "CATALOGS", "FUNCTION", "FUNCTIONS", "VIEW", "VIEWS",
    "VOLUME", "VOLUMES", "INTO", "MATERIALIZED", "TEMPORARY", "EXTERNAL", "LOCATION", "CONNECTION", "SHARE",
    "RECIPIENT", "PROVIDER", "CREDENTIAL", "GRANTS", "TBLPROPERTIES", "COLUMNS", "PARTITIONS", "STREAMING",
}  # fmt: skip


def _form(cursor: Cursor) -> str:
    """The statement's leading keywords (`OPTIMIZE`, `CREATE VIEW`), never its names."""
    words: list[str] = []
    for offset in range(3):
        token = cursor.peek(offset)
        if token is None or token.kind != "word" or (words and token.text.upper() not in FORM_WORDS):
            break
        words.append(token.text.upper())
    first = cursor.peek()
    return " ".join(words) or (first.text if first is not None else "empty")


# --- CREATE ----------------------------------------------------------------------------------------


def create(session: Session, cursor: Cursor) -> Result:
    cursor.expect("CREATE")
    replace = cursor.accept("OR", "REPLACE")
    if cursor.accept("CATALOG"):
        return create_catalog(session, cursor)
    if cursor.accept("SCHEMA") or cursor.accept("DATABASE"):
        return create_schema(session, cursor)
    if cursor.accept("TABLE"):
        return create_table(session, cursor, replace)
    if cursor.accept("FUNCTION"):
        return create_function(session, cursor, replace)
    token = cursor.peek()
    what = token.text.upper() if token is not None else ""
    raise e.unsupported(f"CREATE {'OR REPLACE ' if replace else ''}{what}".strip())


def create_catalog(session: Session, cursor: Cursor) -> Result:
    uc = session.uc
    exists_ok = cursor.accept("IF", "NOT", "EXISTS")
    name = session.catalog_name(cursor.qualified())
    comment = storage = None
    while not cursor.at_end():
        if cursor.accept("MANAGED", "LOCATION"):
            storage = cursor.string()
        elif cursor.accept("COMMENT"):
            comment = cursor.string()
        else:
            raise cursor.error("expected MANAGED LOCATION or COMMENT")
    if name in uc.metastore.catalogs:
        if exists_ok:
            return Result()
        raise e.catalog_exists(name)
    if not uc.is_admin(session.user) and not _metastore_grant(uc, session.user, "CREATE_CATALOG"):
        raise e.insufficient_permissions(session.user, "CREATE CATALOG", "Metastore", "metastore")
    uc.metastore.catalogs[name] = uc.new_catalog(name, session.user, comment, storage)
    return Result()


def _metastore_grant(uc: CatalogStore, user: str, privilege: str) -> bool:
    principals = uc.principals(user)
    return any(
        principal.lower() in principals and privilege in granted
        for principal, granted in uc.metastore.grants.items()
    )


def create_schema(session: Session, cursor: Cursor) -> Result:
    uc = session.uc
    exists_ok = cursor.accept("IF", "NOT", "EXISTS")
    catalog_name, name = session.schema_name(cursor.qualified())
    comment = None
    while not cursor.at_end():
        if cursor.accept("MANAGED", "LOCATION"):
            cursor.string()
        elif cursor.accept("COMMENT"):
            comment = cursor.string()
        else:
            raise cursor.error("expected MANAGED LOCATION or COMMENT")
    catalog = uc.catalog(catalog_name)
    if name in catalog.schemas or name == INFORMATION_SCHEMA:
        if exists_ok:
            return Result()
        raise e.schema_exists(catalog_name, name)
    uc.require(session.user, [catalog], "USE_CATALOG", "Catalog", catalog_name)
    uc.require(session.user, [catalog], "CREATE_SCHEMA", "Catalog", catalog_name)
    catalog.schemas[name] = Schema(
        name=name, owner=session.user, comment=comment, created_by=session.user, updated_by=session.user
    )
    return Result()


def create_table(session: Session, cursor: Cursor, replace: bool) -> Result:
    uc = session.uc
    exists_ok = cursor.accept("IF", "NOT", "EXISTS")
    catalog_name, schema_name, name = session.table_name(cursor.qualified())
    if schema_name == INFORMATION_SCHEMA:
        raise e.insufficient_permissions(
            session.user, "CREATE TABLE", "Schema", f"{catalog_name}.{schema_name}"
        )
    table = Table(name=name, owner=session.user, created_by=session.user, updated_by=session.user)
    if cursor.at("AS") or cursor.at("LIKE"):
        raise e.unsupported("CREATE TABLE AS/LIKE")
    cursor.expect("(")
    while True:
        if cursor.accept("CONSTRAINT"):
            constraint_name = cursor.name()
            table.constraints.append(read_constraint(session, cursor, constraint_name, name))
        elif cursor.at("PRIMARY", "KEY") or cursor.at("FOREIGN", "KEY") or cursor.at("CHECK"):
            table.constraints.append(read_constraint(session, cursor, None, name))
        else:
            column = read_column(session, cursor)
            if table.column(column.name) is not None:
                raise e.SqlError(
                    "COLUMN_ALREADY_EXISTS",
                    "42711",
                    f"The column `{column.name}` already exists. Choose another name.",
                )
            table.columns.append(column)
        if not cursor.accept(","):
            break
    cursor.expect(")")
    while not cursor.at_end():
        if cursor.accept("USING"):
            provider = cursor.name()
            if provider.upper() != "DELTA":
                raise e.unsupported(f"CREATE TABLE USING {provider.upper()}")
        elif cursor.accept("COMMENT"):
            table.comment = cursor.string()
        elif cursor.accept("CLUSTER", "BY"):
            if cursor.accept("AUTO"):
                table.cluster_auto = True
            elif cursor.accept("NONE"):
                pass
            else:
                table.cluster_by = cursor.names_in_parentheses()
        elif cursor.accept("TBLPROPERTIES"):
            table.properties.update(cursor.pairs())
        elif cursor.accept("PARTITIONED", "BY"):
            raise e.unsupported("CREATE TABLE ... PARTITIONED BY")
        elif cursor.accept("WITH", "ROW", "FILTER"):
            function = ".".join(session.table_name(cursor.qualified()))
            cursor.expect("ON")
            table.row_filter = RowFilter(function=function, columns=cursor.names_in_parentheses())
        else:
            raise cursor.error("expected USING, COMMENT, CLUSTER BY, TBLPROPERTIES or WITH ROW FILTER")
    catalog = uc.catalog(catalog_name)
    schema = uc.schema(catalog_name, schema_name)
    path = f"{catalog_name}.{schema_name}.{name}"
    if name in schema.tables:
        if exists_ok:
            return Result()
        if not replace:
            raise e.table_exists(catalog_name, schema_name, name)
        uc.require_manage(session.user, [catalog, schema, schema.tables[name]], "Table", path)
    uc.require_use(session.user, catalog, schema)
    uc.require(session.user, [catalog, schema], "CREATE_TABLE", "Schema", f"{catalog_name}.{schema_name}")
    validate_table(session, table, path)
    for column in table.columns:
        if column.identity is not None:
            table.identity_next[column.name.lower()] = column.identity.start
        if (
            column.default is not None
            and table.properties.get("delta.feature.allowColumnDefaults") != "supported"
        ):
            raise e.SqlError(
                "WRONG_COLUMN_DEFAULTS_FOR_DELTA_FEATURE_NOT_ENABLED",
                "0AKDE",
                f"Failed to execute CREATE TABLE command because it assigned a column DEFAULT value, but the "
                f"corresponding table feature was not enabled. Please retry the command again after executing "
                f"ALTER TABLE {path} SET TBLPROPERTIES('delta.feature.allowColumnDefaults' = 'supported').",
            )
    schema.tables[name] = table
    return Result()


def validate_table(session: Session, table: Table, path: str) -> None:
    """Constraints name existing columns, a key's columns are NOT NULL, clustering names columns,
    names are unique in the schema (keys) and the table (checks)."""
    seen: set[str] = set()
    for constraint in table.constraints:
        if constraint.name.lower() in seen:
            raise e.constraint_exists(constraint.name, path)
        seen.add(constraint.name.lower())
        for column_name in constraint.columns:
            column = table.column(column_name)
            if column is None:
                raise e.unresolved_column(column_name, path, [c.name for c in table.columns][:5])
            if constraint.kind == "PRIMARY KEY" and column.nullable:
                raise e.nullable_key_column(column.name, path)
        if constraint.kind == "FOREIGN KEY":
            check_reference(session, table, constraint, path)
        if constraint.kind == "CHECK":
            check_expression(session, table, constraint, path)
    if len([c for c in table.constraints if c.kind == "PRIMARY KEY"]) > 1:
        raise e.SqlError("MULTIPLE_PRIMARY_KEYS", "42P16", f"Table {path} can have only one PRIMARY KEY.")
    for column_name in table.cluster_by:
        if table.column(column_name) is None:
            raise e.unresolved_column(column_name, path, [c.name for c in table.columns][:5])


def create_function(session: Session, cursor: Cursor, replace: bool) -> Result:
    uc = session.uc
    exists_ok = cursor.accept("IF", "NOT", "EXISTS")
    catalog_name, schema_name, name = session.table_name(cursor.qualified())
    cursor.expect("(")
    parameters: list[tuple[str, str]] = []
    if not cursor.at(")"):
        while True:
            parameter = cursor.name()
            parameters.append((parameter, types.check_known(cursor.data_type())))
            if cursor.accept("DEFAULT"):
                cursor.expression()
            if cursor.accept("COMMENT"):
                cursor.string()
            if not cursor.accept(","):
                break
    cursor.expect(")")
    cursor.expect("RETURNS")
    if cursor.at("TABLE"):
        raise e.unsupported("CREATE FUNCTION ... RETURNS TABLE")
    returns = types.check_known(cursor.data_type())
    comment = None
    while not cursor.at("RETURN"):
        if cursor.accept("LANGUAGE"):
            language = cursor.name()
            if language.upper() != "SQL":
                raise e.unsupported(f"CREATE FUNCTION LANGUAGE {language.upper()}")
        elif cursor.accept("COMMENT"):
            comment = cursor.string()
        elif (
            cursor.accept("DETERMINISTIC")
            or cursor.accept("NOT", "DETERMINISTIC")
            or cursor.accept("CONTAINS", "SQL")
            or cursor.accept("READS", "SQL", "DATA")
        ):
            pass
        else:
            raise cursor.error("expected RETURN")
    cursor.expect("RETURN")
    body = cursor.rest()
    tree = parse_expression(body)
    names = {p.lower() for p, _ in parameters}
    for column in tree.find_all(exp.Column):
        if column.name.lower() not in names:
            raise e.unresolved_column(
                column.name, f"{catalog_name}.{schema_name}.{name}", [p for p, _ in parameters]
            )
    cursor.index = len(cursor.tokens)
    catalog = uc.catalog(catalog_name)
    schema = uc.schema(catalog_name, schema_name)
    existing = schema.functions.get(name)
    if existing is not None:
        if exists_ok and not replace:
            return Result()
        if not replace:
            raise e.routine_exists(catalog_name, schema_name, name)
        uc.require_manage(
            session.user, [catalog, schema, existing], "Function", f"{catalog_name}.{schema_name}.{name}"
        )
    uc.require_use(session.user, catalog, schema)
    uc.require(session.user, [catalog, schema], "CREATE_FUNCTION", "Schema", f"{catalog_name}.{schema_name}")
    function = Function(
        name=name,
        owner=existing.owner if existing else session.user,
        comment=comment,
        parameters=parameters,
        returns=returns,
        body=body,
        created_by=existing.created_by if existing else session.user,
        updated_by=session.user,
        grants=existing.grants if existing else {},
    )
    schema.functions[name] = function
    return Result()


# --- DROP ------------------------------------------------------------------------------------------


def drop(session: Session, cursor: Cursor) -> Result:
    uc = session.uc
    cursor.expect("DROP")
    kind = cursor.next().text.upper()
    if kind == "DATABASE":
        kind = "SCHEMA"
    if kind not in ("CATALOG", "SCHEMA", "TABLE", "FUNCTION"):
        raise e.unsupported(f"DROP {kind}")
    if_exists = cursor.accept("IF", "EXISTS")
    parts = cursor.qualified()
    cascade = cursor.accept("CASCADE")
    cursor.accept("RESTRICT")
    cursor.end()
    try:
        if kind == "CATALOG":
            name = session.catalog_name(parts)
            catalog = uc.catalog(name)
            uc.require_manage(session.user, [catalog], "Catalog", name)
            if not cascade and any(s != DEFAULT_SCHEMA or catalog.schemas[s].tables for s in catalog.schemas):
                raise e.SqlError(
                    "SCHEMA_NOT_EMPTY",
                    "2BP01",
                    f"Cannot drop catalog `{name}` because it contains schemas. Use CASCADE.",
                )
            del uc.metastore.catalogs[name]
        elif kind == "SCHEMA":
            catalog_name, name = session.schema_name(parts)
            schema = uc.schema(catalog_name, name)
            uc.require_manage(
                session.user, [uc.catalog(catalog_name), schema], "Schema", f"{catalog_name}.{name}"
            )
            if not cascade and (schema.tables or schema.functions):
                raise e.schema_not_empty(catalog_name, name)
            for table_name in list(schema.tables):
                drop_references_to(uc, f"{catalog_name}.{name}.{table_name}")
            del uc.catalog(catalog_name).schemas[name]
        elif kind == "TABLE":
            catalog_name, schema_name, name = session.table_name(parts)
            table = uc.table(catalog_name, schema_name, name)
            uc.require_manage(
                session.user,
                chain_of(uc, catalog_name, schema_name, name),
                "Table",
                f"{catalog_name}.{schema_name}.{name}",
            )
            drop_references_to(uc, f"{catalog_name}.{schema_name}.{name}")
            del uc.schema(catalog_name, schema_name).tables[table.name]
        else:
            catalog_name, schema_name, name = session.table_name(parts)
            function = uc.function(catalog_name, schema_name, name)
            uc.require_manage(
                session.user,
                [uc.catalog(catalog_name), uc.schema(catalog_name, schema_name), function],
                "Function",
                f"{catalog_name}.{schema_name}.{name}",
            )
            del uc.schema(catalog_name, schema_name).functions[name]
    except SqlError as failure:
        missing = failure.error_class in (
            "NO_SUCH_CATALOG_EXCEPTION", "SCHEMA_NOT_FOUND", "TABLE_OR_VIEW_NOT_FOUND", "ROUTINE_NOT_FOUND"
        )  # fmt: skip
        if if_exists and missing:
            return Result()
        raise
    return Result()


def drop_references_to(uc: CatalogStore, path: str) -> None:
    """Foreign keys of other tables that reference a dropped table go with it (Unity Catalog's keys are
    informational)."""
    for catalog in uc.metastore.catalogs.values():
        for schema in catalog.schemas.values():
            for table in schema.tables.values():
                table.constraints = [
                    c for c in table.constraints if c.ref_table != path or c.kind != "FOREIGN KEY"
                ]


# --- ALTER CATALOG / SCHEMA ------------------------------------------------------------------------


def alter(session: Session, cursor: Cursor) -> Result:
    cursor.expect("ALTER")
    if cursor.accept("CATALOG"):
        name = session.catalog_name(cursor.qualified())
        catalog = session.uc.catalog(name)
        return alter_container(session, cursor, [catalog], "Catalog", name)
    if cursor.accept("SCHEMA") or cursor.accept("DATABASE"):
        catalog_name, name = session.schema_name(cursor.qualified())
        chain = chain_of(session.uc, catalog_name, name)
        return alter_container(session, cursor, chain, "Schema", f"{catalog_name}.{name}")
    if cursor.accept("TABLE"):
        return alter_table(session, cursor)
    raise e.unsupported("ALTER " + _form(cursor))


def alter_container(session: Session, cursor: Cursor, chain: list[Securable], kind: str, name: str) -> Result:
    uc, target = session.uc, chain[-1]
    if kind == "Schema":
        uc.require_use(session.user, chain[0])  # type: ignore[arg-type]
    if cursor.accept("SET", "OWNER", "TO") or cursor.accept("OWNER", "TO"):
        owner = cursor.name()
        cursor.end()
        set_owner(session, chain, kind, name, owner)
    elif cursor.accept("SET", "TAGS"):
        tags = cursor.pairs()
        cursor.end()
        require_tagging(session, chain, kind, name)
        set_tags(target.tags, tags)
    elif cursor.accept("UNSET", "TAGS"):
        keys = cursor.keys()
        cursor.end()
        require_tagging(session, chain, kind, name)
        for key in keys:
            target.tags.pop(key, None)
    elif cursor.accept("SET", "DBPROPERTIES") or cursor.accept("SET", "PROPERTIES"):
        raise e.unsupported(f"ALTER {kind.upper()} SET DBPROPERTIES")
    elif cursor.accept("RENAME", "TO"):
        raise e.unsupported(f"ALTER {kind.upper()} RENAME TO")
    else:
        raise e.unsupported(f"ALTER {kind.upper()} ... {_form(cursor)}")
    touched(target, session.user)
    return Result()


# --- COMMENT ON ------------------------------------------------------------------------------------


def comment_on(session: Session, cursor: Cursor) -> Result:
    uc = session.uc
    cursor.expect("COMMENT", "ON")
    kind = cursor.next().text.upper()
    if kind == "DATABASE":
        kind = "SCHEMA"
    parts = cursor.qualified()
    cursor.expect("IS")
    text = cursor.string_or_null()
    cursor.end()
    if kind == "CATALOG":
        name = session.catalog_name(parts)
        chain: list[Securable] = [uc.catalog(name)]
        shown = name
    elif kind == "SCHEMA":
        catalog_name, name = session.schema_name(parts)
        chain = chain_of(uc, catalog_name, name)
        shown = f"{catalog_name}.{name}"
    elif kind == "TABLE":
        catalog_name, schema_name, name = session.table_name(parts)
        chain = chain_of(uc, catalog_name, schema_name, name)
        shown = f"{catalog_name}.{schema_name}.{name}"
    elif kind == "COLUMN":
        if len(parts) < 2:
            raise e.parse_error(".".join(parts), "COMMENT ON COLUMN names table.column")
        catalog_name, schema_name, name = session.table_name(parts[:-1])
        chain = chain_of(uc, catalog_name, schema_name, name)
        table = chain[-1]
        assert isinstance(table, Table)
        shown = f"{catalog_name}.{schema_name}.{name}"
        column = table.column(parts[-1])
        if column is None:
            raise e.unresolved_column(parts[-1], shown, [c.name for c in table.columns][:5])
        uc.require_manage(session.user, chain, "Table", shown)
        column.comment = text
        touched(table, session.user)
        return Result()
    else:
        raise e.unsupported(f"COMMENT ON {kind}")
    uc.require_manage(session.user, chain, kind.title(), shown)
    chain[-1].comment = text
    touched(chain[-1], session.user)
    return Result()


# --- GRANT / REVOKE --------------------------------------------------------------------------------


def read_privileges(cursor: Cursor) -> list[str]:
    found: list[str] = []
    while True:
        matched = None
        for words, privilege in sorted(PRIVILEGE_WORDS.items(), key=lambda item: -len(item[0])):
            if cursor.accept(*words):
                matched = privilege
                break
        if matched is None:
            token = cursor.next()
            text = token.text.upper()
            if text in SINGLE_PRIVILEGES or (token.kind == "word" and "_" in text):
                matched = text
            else:
                cursor.index -= 1
                raise cursor.error("expected a privilege")
        found.append(matched)
        if not cursor.accept(","):
            return found


def securable(session: Session, cursor: Cursor) -> tuple[list[Securable], str, str]:
    """`ON CATALOG c` / `ON SCHEMA c.s` / `ON [TABLE] c.s.t` / `ON FUNCTION c.s.f`: chain, kind, name."""
    uc = session.uc
    kind = "TABLE"
    for word in ("CATALOG", "SCHEMA", "DATABASE", "TABLE", "FUNCTION", "VIEW"):
        if cursor.accept(word):
            kind = {"DATABASE": "SCHEMA", "VIEW": "TABLE"}.get(word, word)
            break
    parts = cursor.qualified()
    if kind == "CATALOG":
        name = session.catalog_name(parts)
        return [uc.catalog(name)], kind, name
    if kind == "SCHEMA":
        catalog_name, name = session.schema_name(parts)
        return chain_of(uc, catalog_name, name), kind, f"{catalog_name}.{name}"
    catalog_name, schema_name, name = session.table_name(parts)
    if kind == "FUNCTION":
        function = uc.function(catalog_name, schema_name, name)
        return (
            [*chain_of(uc, catalog_name, schema_name), function],
            kind,
            f"{catalog_name}.{schema_name}.{name}",
        )
    return chain_of(uc, catalog_name, schema_name, name), kind, f"{catalog_name}.{schema_name}.{name}"


def grant(session: Session, cursor: Cursor) -> Result:
    revoke = cursor.accept("REVOKE")
    if not revoke:
        cursor.expect("GRANT")
    privileges = read_privileges(cursor)
    cursor.expect("ON")
    if cursor.at("METASTORE"):
        raise e.unsupported("GRANT ... ON METASTORE")
    chain, kind, name = securable(session, cursor)
    cursor.expect("FROM" if revoke else "TO")
    principal = cursor.name()
    cursor.end()
    for privilege in privileges:
        if privilege not in APPLICABLE[kind]:
            raise e.SqlError(
                "INVALID_PARAMETER_VALUE.PRIVILEGE",
                "22023",
                f"Privilege {privilege.replace('_', ' ')} is not applicable to this entity [{kind.lower()}:{name}].",
            )
    session.uc.require_manage(session.user, chain, kind.title(), name)
    grants = chain[-1].grants
    key = next((p for p in grants if p.lower() == principal.lower()), principal)
    held = set(grants.get(key, []))
    held = held - set(privileges) if revoke else held | set(privileges)
    if held:
        grants[key] = sorted(held)
    else:
        grants.pop(key, None)
    return Result()


# --- SHOW / DESCRIBE / USE -------------------------------------------------------------------------


def show(session: Session, cursor: Cursor) -> Result:
    uc = session.uc
    cursor.expect("SHOW")
    if cursor.accept("CATALOGS"):
        cursor.end()
        visible = [
            c.name
            for c in uc.metastore.catalogs.values()
            if uc.can_browse(session.user, [c]) or _below(uc, session.user, c)
        ]
        return Result([("catalog", "STRING")], [[name] for name in sorted(visible)])
    if cursor.accept("SCHEMAS") or cursor.accept("DATABASES"):
        catalog_name = session.default_catalog
        if cursor.accept("IN") or cursor.accept("FROM"):
            catalog_name = session.catalog_name(cursor.qualified())
        cursor.end()
        catalog = uc.catalog(catalog_name)
        uc.require(session.user, [catalog], "USE_CATALOG", "Catalog", catalog_name)
        names = sorted([*catalog.schemas, INFORMATION_SCHEMA])
        return Result([("databaseName", "STRING")], [[name] for name in names])
    if cursor.accept("TABLES"):
        catalog_name, schema_name = session.default_catalog, session.default_schema
        if cursor.accept("IN") or cursor.accept("FROM"):
            catalog_name, schema_name = session.schema_name(cursor.qualified())
        cursor.end()
        schema = uc.schema(catalog_name, schema_name)
        uc.require_use(session.user, uc.catalog(catalog_name), schema)
        return Result(
            [("database", "STRING"), ("tableName", "STRING"), ("isTemporary", "BOOLEAN")],
            [[schema_name, name, False] for name in sorted(schema.tables)],
        )
    if cursor.accept("TBLPROPERTIES"):
        catalog_name, schema_name, name = session.table_name(cursor.qualified())
        cursor.end()
        table = uc.table(catalog_name, schema_name, name)
        uc.require_use(session.user, uc.catalog(catalog_name), uc.schema(catalog_name, schema_name))
        return Result(
            [("key", "STRING"), ("value", "STRING")],
            [[k, v] for k, v in sorted(table_properties(table).items())],
        )
    if cursor.accept("GRANTS"):
        principal = None if cursor.at("ON") else cursor.name()
        cursor.expect("ON")
        chain, kind, name = securable(session, cursor)
        cursor.end()
        rows = [
            [who, privilege.replace("_", " "), kind, name]
            for who, privileges in sorted(chain[-1].grants.items())
            for privilege in privileges
            if principal is None or who.lower() == principal.lower()
        ]
        return Result(
            [
                ("Principal", "STRING"),
                ("ActionType", "STRING"),
                ("ObjectType", "STRING"),
                ("ObjectKey", "STRING"),
            ],
            rows,
        )
    raise e.unsupported("SHOW " + _form(cursor))


def _below(uc: CatalogStore, user: str, catalog: Catalog) -> bool:
    return any(uc.can_browse(user, [s]) for s in catalog.schemas.values())


def table_properties(table: Table) -> dict[str, str]:
    """The table's properties as SHOW TBLPROPERTIES lists them: CHECK constraints as delta.constraints.*."""
    found = dict(table.properties)
    for constraint in table.constraints:
        if constraint.kind == "CHECK":
            found[f"delta.constraints.{constraint.name.lower()}"] = constraint.expression or ""
    return found


def describe(session: Session, cursor: Cursor) -> Result:
    uc = session.uc
    cursor.next()  # DESCRIBE / DESC
    if cursor.accept("CATALOG"):
        cursor.accept("EXTENDED")
        name = session.catalog_name(cursor.qualified())
        cursor.end()
        catalog = uc.catalog(name)
        uc.require(session.user, [catalog], "USE_CATALOG", "Catalog", name)
        return _info(
            [("Catalog Name", catalog.name), ("Comment", catalog.comment or ""), ("Owner", catalog.owner)]
        )
    if cursor.accept("SCHEMA") or cursor.accept("DATABASE"):
        cursor.accept("EXTENDED")
        catalog_name, name = session.schema_name(cursor.qualified())
        cursor.end()
        schema = uc.schema(catalog_name, name)
        uc.require_use(session.user, uc.catalog(catalog_name), schema)
        return _info(
            [
                ("Catalog Name", catalog_name),
                ("Namespace Name", schema.name),
                ("Comment", schema.comment or ""),
                ("Owner", schema.owner),
            ]
        )
    if cursor.accept("FUNCTION"):
        raise e.unsupported("DESCRIBE FUNCTION")
    cursor.accept("TABLE")
    cursor.accept("EXTENDED")
    catalog_name, schema_name, name = session.table_name(cursor.qualified())
    cursor.end()
    table = uc.table(catalog_name, schema_name, name)
    uc.require_use(session.user, uc.catalog(catalog_name), uc.schema(catalog_name, schema_name))
    return Result(
        [("col_name", "STRING"), ("data_type", "STRING"), ("comment", "STRING")],
        [[c.name, c.type.lower(), c.comment] for c in table.columns],
    )


def _info(pairs: list[tuple[str, str]]) -> Result:
    return Result([("info_name", "STRING"), ("info_value", "STRING")], [[k, v] for k, v in pairs])


def use(session: Session, cursor: Cursor) -> Result:
    """USE CATALOG/SCHEMA checks the object exists; each statement of the API runs on its own, so the
    default it would set is the request's `catalog`/`schema`."""
    cursor.expect("USE")
    if cursor.accept("CATALOG"):
        session.uc.catalog(session.catalog_name(cursor.qualified()))
    else:
        cursor.accept("SCHEMA") or cursor.accept("DATABASE")
        session.uc.schema(*session.schema_name(cursor.qualified()))
    cursor.end()
    return Result()


DDL: dict[str, Callable[[Session, Cursor], Result]] = {
    "CREATE": create,
    "DROP": drop,
    "ALTER": alter,
    "COMMENT": comment_on,
    "GRANT": grant,
    "REVOKE": grant,
    "SHOW": show,
    "DESCRIBE": describe,
    "DESC": describe,
    "USE": use,
}


def run(session: Session, statement: str) -> Result:
    """Reads the statement's form and runs it; a form that changes the metastore runs atomically."""
    cursor = Cursor(statement)
    if cursor.at_end():
        raise e.parse_error("end of input", "empty statement")
    first = cursor.peek()
    assert first is not None
    word = first.text.upper() if first.kind == "word" else first.text
    if word in ("SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES", "("):
        return run_dml_or_query(session, statement)
    handler = DDL.get(word)
    if handler is None:
        raise e.unsupported(_form(cursor))
    if word in ("SHOW", "DESCRIBE", "DESC", "USE"):
        return handler(session, cursor)
    with session.uc.change():
        return handler(session, cursor)
