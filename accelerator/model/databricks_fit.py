"""What every reader's model goes through so that it renders as valid Databricks SQL, and what it
says about it: a finding names each column, table or key it changed or left out.

- An identity column is BIGINT (Delta has `GENERATED ... AS IDENTITY` on BIGINT only): `serial`,
  `INT IDENTITY`, `AUTO_INCREMENT`, DBML `[increment]` are widened, with an `info`; a DEFAULT on it
  is dropped (a column is an identity or has a default), with a `warn`.
- A key column of a bare arbitrary-precision type (Oracle `NUMBER`, PostgreSQL `numeric`), which
  maps to DECIMAL(38,18) elsewhere, is DECIMAL(38,0) (keys are whole numbers), or the type of the
  key it references; an `info` says so.
- A foreign key column follows the key it references where this fit widened that key.
- A DEFAULT is typed for its column (`BOOLEAN DEFAULT 1` -> `TRUE`, `'{}'` -> `ARRAY()`, see
  `accelerator.model.defaults`); one that cannot be a value of the column's type is dropped, with a
  `warn` naming the column and the default.
- A table without columns is left out of the model (`CREATE TABLE t ()` is not valid), with a
  `warn`, and so is a foreign key referencing it.
- A UNIQUE key is kept for the docs; Databricks has no UNIQUE constraint, so an `info` says it is
  documented only. A schema without tables gets an `info` (it is created empty).
"""

from __future__ import annotations

import re

from accelerator.model.copying import copied
from accelerator.model.defaults import column_kind, fit_default
from accelerator.model.elements import Column, ForeignKey, Located, Schema, Span, Table
from accelerator.model.findings import Finding

_BARE_NUMBER = re.compile(r"\s*(?:number|numeric|decimal|dec)\s*", re.I)
_FLOATING_DECIMAL = "DECIMAL(38,18)"
_KEY_DECIMAL = "DECIMAL(38,0)"
_NARROWER_INTEGERS = ("TINYINT", "SMALLINT", "INT")


def fit_to_databricks(schemas: list[Schema]) -> list[Finding]:
    """Fit `schemas` in place; the findings say what changed or was left out. Columns are values
    (a reader may hand out the same ones to several parses): a column that changes is replaced by a
    changed copy in its table's list, never changed in place."""
    findings: list[Finding] = []
    tables = {
        (schema.name.lower(), table.name.lower()): table for schema in schemas for table in schema.tables
    }
    _drop_tables_without_columns(schemas, findings)
    # the columns whose type this fit changed, by id(); held here, so that no other column (a copy the
    # fit makes later) can be given the id of one that was replaced meanwhile
    changed: dict[int, Column] = {}
    defaults: list[list[int]] = []  # per table, in order: the positions of its columns with a default
    for schema in schemas:
        for table in schema.tables:
            keys: set[str] | None = None  # only a bare-number column needs them
            with_default: list[int] = []
            for position, column in enumerate(table.columns):
                fitted = column
                if column.identity is not None:
                    where = f"{schema.name}.{table.name}.{column.name}"
                    fitted = _fit_identity(column, where, changed, findings)
                elif column.type == _FLOATING_DECIMAL:
                    keys = _key_columns(table) if keys is None else keys
                    if column.name.lower() in keys:
                        where = f"{schema.name}.{table.name}.{column.name}"
                        fitted = _fit_bare_number_key(column, where, table, tables, changed, findings)
                if fitted is not column:
                    table.columns[position] = fitted
                if fitted.default is not None:
                    with_default.append(position)
            defaults.append(with_default)
    with_defaults = iter(defaults)
    for schema in schemas:
        for table in schema.tables:
            if changed:  # a key whose type changed: the foreign keys referencing it follow
                _follow_referenced_keys(schema, table, tables, changed, findings)
            for position in next(with_defaults):  # following a key changes a type, never a default
                column = table.columns[position]
                where = f"{schema.name}.{table.name}.{column.name}"
                table.columns[position] = _fit_default(column, where, findings)
            for unique in table.unique_keys:
                findings.append(_unique_documented_only(schema, table, unique.columns, unique))
        if not schema.tables:
            findings.append(
                Finding(
                    rule="model.schema.empty",
                    severity="info",
                    message=f"schema {schema.name} has no tables here: the generated SQL creates it empty",
                    span=schema.name_span or schema.span,
                    object=schema.name,
                )
            )
    return findings


def _drop_tables_without_columns(schemas: list[Schema], findings: list[Finding]) -> None:
    dropped: set[tuple[str, str]] = set()
    for schema in schemas:
        kept = []
        for table in schema.tables:
            if table.columns:
                kept.append(table)
                continue
            dropped.add((schema.name.lower(), table.name.lower()))
            findings.append(
                Finding(
                    rule="model.table.no_columns",
                    severity="warn",
                    message=f"table {schema.name}.{table.name} has no columns, and Databricks has no table "
                    f"without columns: it is left out of the generated SQL, Terraform and docs; declare its columns "
                    f"(in Mermaid, a block `{table.name} {{ type name }}`)",
                    span=table.name_span or table.span,
                    object=f"{schema.name}.{table.name}",
                )
            )
        if len(kept) != len(schema.tables):
            schema.tables = kept
    if not dropped:
        return
    # a schema only these tables declared (Mermaid, DBML) goes with them
    emptied = {name for name, _ in dropped}
    schemas[:] = [schema for schema in schemas if schema.tables or schema.name.lower() not in emptied]
    for schema in schemas:
        for table in schema.tables:
            kept_keys: list[ForeignKey] = []
            for fk in table.foreign_keys:
                if (fk.ref_schema.lower(), fk.ref_table.lower()) not in dropped:
                    kept_keys.append(fk)
                    continue
                findings.append(
                    Finding(
                        rule="model.table.no_columns",
                        severity="warn",
                        message=f"the foreign key ({', '.join(fk.columns)}) of {schema.name}.{table.name} "
                        f"references {fk.ref_schema}.{fk.ref_table}, which has no columns: it is left out",
                        span=fk.span or table.span,
                        object=f"{schema.name}.{table.name}",
                    )
                )
            table.foreign_keys = kept_keys


def _key_columns(table: Table) -> set[str]:
    names = {name.lower() for name in table.primary_key.columns} if table.primary_key else set()
    for fk in table.foreign_keys:
        names.update(name.lower() for name in fk.columns)
    return names


def _fit_identity(column: Column, where: str, changed: dict[int, Column], findings: list[Finding]) -> Column:
    span = _column_span(column)
    if column.default is not None:
        findings.append(
            Finding(
                rule="types.default.identity",
                severity="warn",
                message=f"column {where} is an identity column and has DEFAULT {column.default}; "
                f"Databricks allows one or the other: the DEFAULT is left out of the generated SQL",
                span=span,
                object=where,
            )
        )
        column = copied(column, default=None)
    if column.type == "BIGINT":
        return column
    source = column.source_type.strip()
    written = f"{source} ({column.type})" if source and source.upper() != column.type else column.type
    how = "widened to" if column.type in _NARROWER_INTEGERS else "made"
    findings.append(
        Finding(
            rule="types.identity.bigint",
            severity="info",
            message=f"identity column {where} is {written} in the source; Delta identity columns are BIGINT, "
            f"so it is {how} BIGINT",
            span=(column.identity.span if column.identity else None) or span,
            object=where,
        )
    )
    column = copied(column, type="BIGINT")
    changed[id(column)] = column
    return column


def _fit_bare_number_key(
    column: Column,
    where: str,
    table: Table,
    tables: dict[tuple[str, str], Table],
    changed: dict[int, Column],
    findings: list[Finding],
) -> Column:
    if column.type != _FLOATING_DECIMAL or not _BARE_NUMBER.fullmatch(column.source_type):
        return column
    target = _referenced_type(column, table, tables) or _KEY_DECIMAL
    findings.append(
        Finding(
            rule="types.number.key",
            severity="info",
            message=f"key column {where} is a bare {column.source_type.strip().upper()} (a decimal of any scale, "
            f"which Databricks does not have); keys are whole numbers, so it is {target}",
            span=_column_span(column),
            object=where,
        )
    )
    column = copied(column, type=target)
    changed[id(column)] = column
    return column


def _referenced_type(column: Column, table: Table, tables: dict[tuple[str, str], Table]) -> str | None:
    """The whole-number type of the key `column` references, where it is in this file."""
    for fk in table.foreign_keys:
        for name, ref_name in zip(fk.columns, fk.ref_columns, strict=False):
            if name.lower() != column.name.lower():
                continue
            target = tables.get((fk.ref_schema.lower(), fk.ref_table.lower()))
            ref = target.column(ref_name) if target else None
            if ref is not None and ref is not column and _is_whole_number(ref.type):
                return ref.type
    return None


def _is_whole_number(type_text: str) -> bool:
    return column_kind(type_text) == "integral" or type_text.replace(" ", "").endswith(",0)")


def _follow_referenced_keys(
    schema: Schema,
    table: Table,
    tables: dict[tuple[str, str], Table],
    changed: dict[int, Column],
    findings: list[Finding],
) -> None:
    for fk in table.foreign_keys:
        target = tables.get((fk.ref_schema.lower(), fk.ref_table.lower()))
        if target is None:
            continue
        for name, ref_name in zip(fk.columns, fk.ref_columns, strict=False):
            column, ref = table.column(name), target.column(ref_name)
            if column is None or ref is None or changed.get(id(ref)) is not ref or column.type == ref.type:
                continue
            if column.type not in _NARROWER_INTEGERS and column.type not in (_FLOATING_DECIMAL, _KEY_DECIMAL):
                continue
            where = f"{schema.name}.{table.name}.{column.name}"
            findings.append(
                Finding(
                    rule="types.foreign_key.follows",
                    severity="info",
                    message=f"foreign key column {where} is {column.type} and references "
                    f"{fk.ref_schema}.{fk.ref_table}.{ref.name}, which is {ref.type}: it is {ref.type} too",
                    span=_column_span(column),
                    object=where,
                )
            )
            position = next(i for i, own in enumerate(table.columns) if own is column)
            table.columns[position] = column = copied(column, type=ref.type)
            changed[id(column)] = column


def _fit_default(column: Column, where: str, findings: list[Finding]) -> Column:
    assert column.default is not None
    fitted, reason = fit_default(column.default, column.type)
    if fitted is not None:
        return column if fitted == column.default else copied(column, default=fitted)
    findings.append(
        Finding(
            rule="types.default.invalid",
            severity="warn",
            message=f"DEFAULT {column.default} of column {where} is not valid for its type {column.type} "
            f"({reason}): the default is left out of the generated SQL",
            span=_column_span(column),
            object=where,
        )
    )
    return copied(column, default=None)


def _unique_documented_only(schema: Schema, table: Table, columns: list[str], unique: Located) -> Finding:
    return Finding(
        rule="uc.unique.not_enforced",
        severity="info",
        message=f"UNIQUE ({', '.join(columns)}) of table {schema.name}.{table.name} is documented only: "
        f"Databricks has no UNIQUE constraint, so the generated SQL does not declare it and nothing enforces it",
        span=unique.span or table.name_span or table.span,
        object=f"{schema.name}.{table.name}",
    )


def _column_span(column: Column) -> Span | None:
    return column.span or column.name_span
