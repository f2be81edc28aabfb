"""Keys: every table has a primary key; a foreign key references the primary key or a unique key
of its target, column by column with compatible types. (Unity Catalog does not enforce keys, so
a wrong one silently misleads every tool that reads it.)"""

from __future__ import annotations

import re
from functools import lru_cache

from accelerator.model.elements import Catalog, ForeignKey, Project, Schema, Table
from accelerator.policy.policy import Policy
from accelerator.policy.reporting import Reporter, name_location

_INTEGERS = {"TINYINT", "SMALLINT", "INT", "INTEGER", "BIGINT", "BYTE", "SHORT", "LONG"}
_FLOATS = {"FLOAT", "DOUBLE", "REAL"}
_STRINGS = {"STRING", "VARCHAR", "CHAR"}
_DECIMAL = re.compile(r"^(?:DECIMAL|NUMERIC|DEC)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)$")


@lru_cache(maxsize=1024)  # a few types repeat over every key column
def type_family(databricks_type: str) -> str:
    """A type's comparison class: integer, float, string, decimal(scale), or the type itself."""
    normalized = re.sub(r"\s+", "", databricks_type.upper())
    base = normalized.split("(", 1)[0]
    if base in _INTEGERS:
        return "integer"
    if base in _FLOATS:
        return "float"
    if base in _STRINGS:
        return "string"
    decimal = _DECIMAL.match(normalized)
    if decimal:
        return f"decimal(scale={decimal.group(2) or 0})"
    return normalized


def check_keys(project: Project, policy: Policy, reporter: Reporter) -> None:
    for catalog in project.catalogs:
        tables = {(s.name.lower(), t.name.lower()): t for s in catalog.schemas for t in s.tables}
        for schema in catalog.schemas:
            for table in schema.tables:
                where = f"{catalog.name}.{schema.name}.{table.name}"
                if table.primary_key is None:
                    reporter.report(
                        "keys.primary_key",
                        f"table {schema.name}.{table.name} has no primary key",
                        span=name_location(table),
                        object=where,
                    )
                for fk in table.foreign_keys:
                    target = tables.get((fk.ref_schema.lower(), fk.ref_table.lower()))
                    if target is not None:  # a dangling reference is a ModelError, raised by build
                        _check_foreign_key(catalog, schema, table, fk, target, where, reporter)


def _check_foreign_key(
    catalog: Catalog,
    schema: Schema,
    table: Table,
    fk: ForeignKey,
    target: Table,
    where: str,
    reporter: Reporter,
) -> None:
    span = fk.span or name_location(table)
    described = f"foreign key ({', '.join(fk.columns)}) of {schema.name}.{table.name}"
    referenced = {c.lower() for c in fk.ref_columns}
    keys = [target.primary_key.columns] if target.primary_key else []
    keys += [unique.columns for unique in target.unique_keys]
    if not any({c.lower() for c in key} == referenced for key in keys):
        reporter.report(
            "keys.foreign_key.target",
            f"{described} references {fk.ref_schema}.{fk.ref_table} ({', '.join(fk.ref_columns)}), "
            f"which is neither its primary key nor a unique key",
            span=span,
            object=where,
        )
    for name, ref_name in zip(fk.columns, fk.ref_columns, strict=False):
        column, ref_column = table.column(name), target.column(ref_name)
        if column is None or ref_column is None:
            continue
        if type_family(column.type) != type_family(ref_column.type):
            reporter.report(
                "keys.foreign_key.types",
                f"{described}: {name} is {column.type} but {fk.ref_table}.{ref_name} is {ref_column.type}",
                span=span,
                object=f"{where}.{name}",
            )
