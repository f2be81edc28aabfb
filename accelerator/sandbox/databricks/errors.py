"""The errors a statement fails with, as Databricks words them: `[ERROR_CLASS] message SQLSTATE: xxxxx`.

Each constructor is one Databricks error condition (docs.databricks.com/error-messages), with the
SQLSTATE Databricks gives it; the statement API reports the text as `status.error.message` and the
SQLSTATE as `status.sql_state`.

Where the refusal is real but its class is not in Databricks' published list, the sandbox names it
itself; those names are in `SANDBOX_NAMED`, and code must not match on them as if Databricks used them.
"""

from __future__ import annotations

from collections.abc import Iterable

SANDBOX_NAMED = frozenset(
    {
        "CONSTRAINT_DEPENDENCY",  # DROP PRIMARY KEY without CASCADE while foreign keys reference it
        "DELTA_NONNULLABLE_KEY_COLUMN",  # a PRIMARY KEY on a nullable column
        "FOREIGN_KEY_REFERENCES_NON_PRIMARY_KEY",
        "FOREIGN_KEY_COLUMN_COUNT_MISMATCH",
        "MASK_FUNCTION_PARAMETER_MISMATCH",
        "DELTA_IDENTITY_COLUMNS_ALTER_COLUMN_NOT_SUPPORTED",
        "TAG_LIMIT_EXCEEDED",
        "SANDBOX_TABLE_FULL",
        "UNSUPPORTED_FEATURE.SANDBOX",  # a form the sandbox does not execute
        "INVALID_PARAMETER_VALUE.RENAME_ACROSS_CATALOGS",
        "STATEMENT_TOO_LONG",
    }
)


class SqlError(Exception):
    """A statement failed: `error_class` (e.g. TABLE_OR_VIEW_NOT_FOUND), its SQLSTATE, the message, and
    the `error_code` the statement API answers with (a `ServiceErrorCode` of databricks-sdk)."""

    def __init__(
        self, error_class: str, sqlstate: str, message: str, error_code: str = "BAD_REQUEST"
    ) -> None:
        super().__init__(f"[{error_class}] {message} SQLSTATE: {sqlstate}")
        self.error_class = error_class
        self.sqlstate = sqlstate
        self.detail = message
        self.error_code = error_code

    @property
    def text(self) -> str:
        return str(self)


def quoted(*parts: str) -> str:
    return ".".join(f"`{part}`" for part in parts if part)


def catalog_not_found(catalog: str) -> SqlError:
    return SqlError("NO_SUCH_CATALOG_EXCEPTION", "42704", f"Catalog '{catalog}' was not found.")


def schema_not_found(catalog: str, schema: str) -> SqlError:
    return SqlError(
        "SCHEMA_NOT_FOUND",
        "42704",
        f"The schema {quoted(catalog, schema)} cannot be found. Verify the spelling and correctness of the "
        "schema and catalog.",
    )


def table_not_found(*parts: str) -> SqlError:
    return SqlError(
        "TABLE_OR_VIEW_NOT_FOUND",
        "42P01",
        f"The table or view {quoted(*parts)} cannot be found. Verify the spelling and correctness of the "
        "schema and catalog.",
    )


def routine_not_found(*parts: str) -> SqlError:
    return SqlError(
        "ROUTINE_NOT_FOUND", "42883", f"The routine {quoted(*parts)} cannot be found. Verify the spelling."
    )


def catalog_exists(catalog: str) -> SqlError:
    return SqlError(
        "CATALOG_ALREADY_EXISTS", "42P04", f"Cannot create catalog `{catalog}` because it already exists."
    )


def schema_exists(catalog: str, schema: str) -> SqlError:
    return SqlError(
        "SCHEMA_ALREADY_EXISTS",
        "42P06",
        f"Cannot create schema {quoted(catalog, schema)} because it already exists.",
    )


def table_exists(*parts: str) -> SqlError:
    return SqlError(
        "TABLE_OR_VIEW_ALREADY_EXISTS",
        "42P07",
        f"Cannot create table or view {quoted(*parts)} because it already exists.",
    )


def routine_exists(*parts: str) -> SqlError:
    return SqlError(
        "ROUTINE_ALREADY_EXISTS",
        "42723",
        f"Cannot create the function {quoted(*parts)} because it already exists.",
    )


def schema_not_empty(*parts: str) -> SqlError:
    return SqlError(
        "SCHEMA_NOT_EMPTY",
        "2BP01",
        f"Cannot drop a schema {quoted(*parts)} because it contains objects. Use DROP SCHEMA ... CASCADE.",
    )


def unresolved_column(column: str, table: str, candidates: Iterable[str]) -> SqlError:
    names = ", ".join(f"`{name}`" for name in candidates)
    return SqlError(
        "UNRESOLVED_COLUMN.WITH_SUGGESTION",
        "42703",
        f"A column, variable, or function parameter with name `{column}` cannot be resolved. Did you mean one "
        f"of the following? [{names}] (table {table}).",
    )


def field_exists(column: str, table: str) -> SqlError:
    return SqlError(
        "FIELD_ALREADY_EXISTS", "42710", f"Cannot add column, because `{column}` already exists in {table}."
    )


def rename_without_column_mapping(table: str) -> SqlError:
    return SqlError(
        "DELTA_UNSUPPORTED_RENAME_COLUMN",
        "0AKDC",
        f"Column rename is not supported for your Delta table {table}. Enable Column Mapping on your Delta "
        "table with mapping mode 'name' by running: ALTER TABLE table_name SET TBLPROPERTIES "
        "('delta.columnMapping.mode' = 'name').",
    )


def drop_without_column_mapping(table: str) -> SqlError:
    return SqlError(
        "DELTA_UNSUPPORTED_DROP_COLUMN",
        "0AKDC",
        f"DROP COLUMN is not supported for your Delta table {table}. Enable Column Mapping on your Delta "
        "table with mapping mode 'name' by running: ALTER TABLE table_name SET TBLPROPERTIES "
        "('delta.columnMapping.mode' = 'name').",
    )


def type_change(table: str, column: str, old: str, new: str, widening_disabled: bool) -> SqlError:
    hint = (
        " Enable type widening with ALTER TABLE table_name SET TBLPROPERTIES ('delta.enableTypeWidening' = 'true')."
        if widening_disabled
        else ""
    )
    return SqlError(
        "DELTA_UNSUPPORTED_ALTER_TABLE_CHANGE_COL_OP",
        "0AKDC",
        f"ALTER TABLE ALTER COLUMN is not supported for changing column `{column}` of {table} from {old} to "
        f"{new}.{hint}",
    )


def dependent_column(column: str, table: str, constraints: Iterable[str]) -> SqlError:
    names = ", ".join(constraints)
    return SqlError(
        "DELTA_CONSTRAINT_DEPENDENT_COLUMN_CHANGE",
        "42K09",
        f"Cannot alter column `{column}` of {table} because this column is referenced by the following "
        f"constraint(s): {names}",
    )


def constraint_exists(name: str, table: str) -> SqlError:
    return SqlError(
        "DELTA_CONSTRAINT_ALREADY_EXISTS", "42710", f"Constraint '{name}' already exists on {table}."
    )


def constraint_missing(name: str, table: str) -> SqlError:
    return SqlError(
        "DELTA_CONSTRAINT_DOES_NOT_EXIST",
        "42704",
        f"Cannot drop nonexistent constraint {name} from table {table}. To avoid throwing an error, provide "
        "the parameter IF EXISTS or set the SQL session configuration spark.databricks.constraints.ignoreMissing "
        "to true.",
    )


def constraint_referenced(name: str, table: str, by: Iterable[str]) -> SqlError:
    return SqlError(
        "CONSTRAINT_DEPENDENCY",
        "2BP01",
        f"Cannot drop the primary key {name} of {table}: foreign key(s) {', '.join(by)} reference it. Use "
        "DROP PRIMARY KEY ... CASCADE.",
    )


def nullable_key_column(column: str, table: str) -> SqlError:
    return SqlError(
        "DELTA_NONNULLABLE_KEY_COLUMN",
        "42831",
        f"Cannot create a PRIMARY KEY on {table}: its column `{column}` is nullable. Set the column NOT NULL first.",
    )


def not_null_violated(column: str) -> SqlError:
    return SqlError(
        "DELTA_NOT_NULL_CONSTRAINT_VIOLATED", "23502", f"NOT NULL constraint violated for column: {column}."
    )


def check_violated(name: str, expression: str) -> SqlError:
    return SqlError(
        "DELTA_VIOLATE_CONSTRAINT_WITH_VALUES",
        "23001",
        f"CHECK constraint {name} {expression} violated by row.",
    )


def insufficient_permissions(user: str, privilege: str, kind: str, name: str) -> SqlError:
    return SqlError(
        "INSUFFICIENT_PERMISSIONS",
        "42501",
        f"Insufficient privileges: User {user} does not have {privilege} on {kind} '{name}'.",
    )


def parse_error(near: str, detail: str = "") -> SqlError:
    extra = f" ({detail})" if detail else ""
    return SqlError("PARSE_SYNTAX_ERROR", "42601", f"Syntax error at or near '{near}'{extra}.")


def unsupported(form: str) -> SqlError:
    """A statement form the sandbox does not execute: never accepted silently."""
    return SqlError(
        "UNSUPPORTED_FEATURE.SANDBOX",
        "0A000",
        f"The Databricks sandbox does not execute {form} statements. Add the form to "
        "accelerator/sandbox/databricks/ if the accelerator needs it.",
    )


def invalid(message: str) -> SqlError:
    return SqlError("INVALID_PARAMETER_VALUE", "22023", message)


def datatype_mismatch(message: str) -> SqlError:
    return SqlError("DATATYPE_MISMATCH", "42K09", message)
