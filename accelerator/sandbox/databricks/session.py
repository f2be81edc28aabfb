"""One statement's run as one user (`Session`: names resolved against the request's catalog and
schema, privileges, what a query reads through masks and row filters) and the pieces of the DDL forms
that CREATE TABLE and ALTER TABLE share (column definitions, constraints, tags, owners)."""

from __future__ import annotations

from typing import Any, cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from accelerator.sandbox.databricks import errors as e
from accelerator.sandbox.databricks import types
from accelerator.sandbox.databricks.catalog import DEFAULT_SCHEMA, INFORMATION_SCHEMA, CatalogStore
from accelerator.sandbox.databricks.information_schema import view
from accelerator.sandbox.databricks.model import (
    Column,
    Constraint,
    Function,
    Identity,
    Mask,
    Securable,
    Table,
)
from accelerator.sandbox.databricks.query import Context, Evaluator, Relation, truth
from accelerator.sandbox.databricks.sqltext import Cursor


class Session:
    """One statement's run: who runs it, the default catalog and schema, the named parameters."""

    def __init__(
        self,
        uc: CatalogStore,
        user: str,
        catalog: str | None,
        schema: str | None,
        parameters: dict[str, Any],
    ) -> None:
        self.uc = uc
        self.user = user
        self.default_catalog = (catalog or "main").lower()
        self.default_schema = (schema or DEFAULT_SCHEMA).lower()
        self.parameters = parameters

    # names

    def table_name(self, parts: list[str]) -> tuple[str, str, str]:
        parts = [part.lower() for part in parts]
        if len(parts) == 3:
            return parts[0], parts[1], parts[2]
        if len(parts) == 2:
            return self.default_catalog, parts[0], parts[1]
        if len(parts) == 1:
            return self.default_catalog, self.default_schema, parts[0]
        raise e.parse_error(".".join(parts), "a table name has at most three parts")

    def schema_name(self, parts: list[str]) -> tuple[str, str]:
        parts = [part.lower() for part in parts]
        if len(parts) == 2:
            return parts[0], parts[1]
        if len(parts) == 1:
            return self.default_catalog, parts[0]
        raise e.parse_error(".".join(parts), "a schema name has at most two parts")

    def catalog_name(self, parts: list[str]) -> str:
        if len(parts) != 1:
            raise e.parse_error(".".join(parts), "a catalog name has one part")
        return parts[0].lower()

    def context(self) -> Context:
        return Context(
            user=self.user,
            parameters=self.parameters,
            resolve=self.relation,
            groups=self.uc.principals(self.user),
        )

    def relation(self, table: exp.Table) -> Relation:
        parts = [part.name for part in table.parts]
        catalog, schema, name = self.table_name(parts)
        if schema == INFORMATION_SCHEMA:
            found_catalog = self.uc.catalog(catalog)
            self.uc.require(self.user, [found_catalog], "USE_CATALOG", "Catalog", catalog)
            return view(self.uc, self.user, found_catalog, name)
        found = self.uc.table(catalog, schema, name)
        self.require_table(catalog, schema, found, "SELECT")
        columns = [(column.name, column.type) for column in found.columns]
        return Relation(f"`{catalog}`.`{schema}`.`{name}`", columns, self.governed_rows(found))

    def governed_rows(self, table: Table) -> list[dict[str, Any]]:
        """The rows a query sees: the row filter keeps its rows, each column mask replaces its values
        (for every reader, the owner too, as Unity Catalog applies them)."""
        rows = table.rows
        if table.row_filter is not None:
            function = self.uc.function(*table.row_filter.function.split("."))
            names = [column.lower() for column in table.row_filter.columns]
            rows = [row for row in rows if truth(self.call(function, [row.get(n) for n in names])) is True]
        masked = [column for column in table.columns if column.mask is not None]
        if not masked:
            return rows
        functions = {c.name.lower(): self.uc.function(*c.mask.function.split(".")) for c in masked}  # type: ignore[union-attr]
        governed = []
        for row in rows:
            shown = dict(row)
            for column in masked:
                key = column.name.lower()
                using = [row.get(name.lower()) for name in column.mask.using]  # type: ignore[union-attr]
                shown[key] = self.call(functions[key], [row.get(key), *using])
            governed.append(shown)
        return governed

    def call(self, function: Function, arguments: list[Any]) -> Any:
        names = {name.lower(): name for name, _ in function.parameters}
        values = {
            name.lower(): value for (name, _), value in zip(function.parameters, arguments, strict=False)
        }
        return Evaluator(self.context(), names, function.name)(parse_expression(function.body), values)

    def require_table(self, catalog: str, schema: str, table: Table, privilege: str) -> None:
        found_catalog = self.uc.catalog(catalog)
        found_schema = self.uc.schema(catalog, schema)
        self.uc.require_use(self.user, found_catalog, found_schema)
        self.uc.require(
            self.user,
            [found_catalog, found_schema, table],
            privilege,
            "Table",
            f"{catalog}.{schema}.{table.name}",
        )

    def evaluator(self, table: Table, name: str) -> Evaluator:
        return Evaluator(self.context(), {c.name.lower(): c.name for c in table.columns}, name)

    def expression_value(
        self, text: str, row: dict[str, Any] | None = None, table: Table | None = None
    ) -> Any:
        tree = parse_expression(text)
        evaluate = self.evaluator(table, "") if table is not None else Evaluator(self.context())
        return evaluate(tree, row or {})


def parse_expression(text: str) -> exp.Expression:
    tree: exp.Expression
    try:
        tree = cast(exp.Expression, sqlglot.parse_one(text, read="databricks", into=exp.Condition))
    except SqlglotError:
        try:
            tree = sqlglot.parse_one(f"SELECT {text}", read="databricks").expressions[0]
        except SqlglotError as failure:
            raise e.parse_error(text[:40], "not an expression") from failure
    return tree


def chain_of(
    uc: CatalogStore, catalog: str, schema: str | None = None, table: str | None = None
) -> list[Securable]:
    found: list[Securable] = [uc.catalog(catalog)]
    if schema is not None:
        found.append(uc.schema(catalog, schema))
    if table is not None:
        found.append(uc.table(catalog, schema or "", table))
    return found


def read_column(session: Session, cursor: Cursor) -> Column:
    name = cursor.name()
    kind = types.check_known(cursor.data_type())
    column = Column(name=name, type=kind)
    while not cursor.at_end() and not cursor.at(",") and not cursor.at(")"):
        if cursor.accept("NOT", "NULL"):
            column.nullable = False
        elif cursor.accept("NULL"):
            column.nullable = True
        elif cursor.accept("DEFAULT"):
            column.default = cursor.expression("COMMENT", "NOT", "GENERATED", "MASK", "CONSTRAINT")
        elif cursor.accept("COMMENT"):
            column.comment = cursor.string()
        elif cursor.accept("GENERATED"):
            always = cursor.accept("ALWAYS")
            if not always:
                cursor.expect("BY", "DEFAULT")
            cursor.expect("AS")
            if cursor.accept("IDENTITY"):
                identity = Identity(always=always)
                if cursor.accept("("):
                    while not cursor.accept(")"):
                        if cursor.accept("START", "WITH"):
                            identity.start = cursor.integer()
                        elif cursor.accept("INCREMENT", "BY"):
                            identity.increment = cursor.integer()
                        else:
                            raise cursor.error("expected START WITH or INCREMENT BY")
                if identity.increment == 0:
                    raise e.invalid("IDENTITY INCREMENT BY cannot be 0")
                if parse_type_name(kind) != "BIGINT":
                    raise e.SqlError(
                        "DELTA_IDENTITY_COLUMNS_UNSUPPORTED_DATA_TYPE",
                        "428H2",
                        f"DataType {kind} is not supported for IDENTITY columns.",
                    )
                column.identity = identity
            else:
                cursor.expect("(")
                column.generated = cursor.expression()
                cursor.expect(")")
        elif cursor.accept("MASK"):
            column.mask = Mask(function=".".join(session.table_name(cursor.qualified())))
        elif cursor.accept("PRIMARY", "KEY"):
            raise e.unsupported("an inline PRIMARY KEY column constraint")
        else:
            raise cursor.error(f"unexpected in the definition of column {name}")
    return column


def parse_type_name(kind: str) -> str:
    return types.parse(kind)[0]


def read_constraint(session: Session, cursor: Cursor, name: str | None, table: str) -> Constraint:
    if cursor.accept("PRIMARY", "KEY"):
        columns = cursor.names_in_parentheses()
        while cursor.accept("RELY") or cursor.accept("NORELY") or cursor.accept("NOT", "ENFORCED"):
            pass
        return Constraint(name=name or f"{table}_pk", kind="PRIMARY KEY", columns=columns)
    if cursor.accept("FOREIGN", "KEY"):
        columns = cursor.names_in_parentheses()
        cursor.expect("REFERENCES")
        ref = ".".join(session.table_name(cursor.qualified()))
        ref_columns = cursor.names_in_parentheses() if cursor.at("(") else []
        while cursor.accept("RELY") or cursor.accept("NORELY") or cursor.accept("NOT", "ENFORCED"):
            pass
        return Constraint(
            name=name or f"{table}_{'_'.join(columns)}_fk",
            kind="FOREIGN KEY",
            columns=columns,
            ref_table=ref,
            ref_columns=ref_columns,
        )
    if cursor.accept("CHECK"):
        cursor.expect("(")
        expression = cursor.expression()
        cursor.expect(")")
        if name is None:
            raise e.parse_error("CHECK", "a CHECK constraint needs a name (CONSTRAINT name CHECK (...))")
        return Constraint(name=name, kind="CHECK", expression=expression)
    raise cursor.error("expected PRIMARY KEY, FOREIGN KEY or CHECK")


def check_reference(session: Session, table: Table, constraint: Constraint, path: str) -> None:
    catalog_name, schema_name, name = (constraint.ref_table or "..").split(".")
    same = f"{catalog_name}.{schema_name}.{name}" == path
    referenced = table if same else session.uc.table(catalog_name, schema_name, name)
    key = referenced.primary_key()
    ref_columns = constraint.ref_columns or (key.columns if key else [])
    for column_name in ref_columns:
        if referenced.column(column_name) is None:
            raise e.unresolved_column(
                column_name, constraint.ref_table or "", [c.name for c in referenced.columns][:5]
            )
    if key is None or [c.lower() for c in key.columns] != [c.lower() for c in ref_columns]:
        raise e.SqlError(
            "FOREIGN_KEY_REFERENCES_NON_PRIMARY_KEY",
            "42830",
            f"Foreign key {constraint.name} of {path} must reference the primary key of {constraint.ref_table} "
            f"({', '.join(ref_columns)} is not it).",
        )
    if len(ref_columns) != len(constraint.columns):
        raise e.SqlError(
            "FOREIGN_KEY_COLUMN_COUNT_MISMATCH",
            "42830",
            f"Foreign key {constraint.name} of {path} names {len(constraint.columns)} column(s) but references "
            f"{len(ref_columns)}.",
        )
    constraint.ref_columns = [referenced.column(c).name for c in ref_columns]  # type: ignore[union-attr]


def check_expression(session: Session, table: Table, constraint: Constraint, path: str) -> None:
    tree = parse_expression(constraint.expression or "")
    for column in tree.find_all(exp.Column):
        if table.column(column.name) is None:
            raise e.unresolved_column(column.name, path, [c.name for c in table.columns][:5])
    evaluate = session.evaluator(table, path)
    for row in table.rows:
        if truth(evaluate(tree, row)) is False:
            raise e.SqlError(
                "DELTA_NEW_CHECK_CONSTRAINT_VIOLATION",
                "23512",
                f"1 rows in {path} violate the new CHECK constraint ({constraint.expression})",
            )


MAX_TAGS = 50


def set_tags(target: dict[str, str], tags: dict[str, str]) -> None:
    for key, value in tags.items():
        if not key or len(key) > 255 or len(value) > 1000:
            raise e.invalid(f"Tag key {key!r} must be 1 to 255 characters and its value at most 1000.")
        target[key] = value
    if len(target) > MAX_TAGS:
        raise e.SqlError(
            "TAG_LIMIT_EXCEEDED",
            "54000",
            f"A securable can have at most {MAX_TAGS} tags ({len(target)} requested).",
        )


def require_tagging(session: Session, chain: list[Securable], kind: str, name: str) -> None:
    if not session.uc.holds(session.user, chain, {"APPLY_TAG", "MANAGE"}):
        raise e.insufficient_permissions(session.user, "APPLY TAG", kind, name)


def set_owner(session: Session, chain: list[Securable], kind: str, name: str, owner: str) -> None:
    session.uc.require_manage(session.user, chain, kind, name)
    if not owner.strip():
        raise e.invalid("The owner must be a user, service principal or group name.")
    chain[-1].owner = owner
