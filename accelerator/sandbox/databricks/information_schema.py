"""`<catalog>.information_schema` views, computed from the metastore with Databricks' column names:
what the user may see of that catalog (objects it owns or holds a privilege on, or below one).

Positions (`ordinal_position`, `position_in_unique_constraint`) count from 1, as Databricks' reference
says; numeric precision is in bits for the binary types (radix 2), in digits for DECIMAL (radix 10);
`character_maximum_length` is NULL (reserved, as documented). Privileges are written with spaces
(`USE SCHEMA`) as GRANT writes them; only privileges granted directly are listed (`inherited_from`
is 'NONE')."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from typing import Any

from accelerator.sandbox.databricks import errors as e
from accelerator.sandbox.databricks import types
from accelerator.sandbox.databricks.catalog import INFORMATION_SCHEMA, CatalogStore
from accelerator.sandbox.databricks.model import Catalog, Schema, Securable, Table
from accelerator.sandbox.databricks.query import Relation


def _time(ms: int) -> str:
    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC).isoformat()


def _s(*names: str) -> list[tuple[str, str]]:
    return [(name, "STRING") for name in names]


COLUMNS: dict[str, list[tuple[str, str]]] = {
    "catalogs": [
        *_s("catalog_name", "catalog_owner", "comment"),
        ("created", "TIMESTAMP"),
        ("created_by", "STRING"),
        ("last_altered", "TIMESTAMP"),
        ("last_altered_by", "STRING"),
    ],
    "schemata": [
        *_s("catalog_name", "schema_name", "schema_owner", "comment"),
        ("created", "TIMESTAMP"),
        ("created_by", "STRING"),
        ("last_altered", "TIMESTAMP"),
        ("last_altered_by", "STRING"),
    ],
    "tables": [
        *_s("table_catalog", "table_schema", "table_name", "table_type", "is_insertable_into", "commit_action"),
        *_s("table_owner", "comment"),
        ("created", "TIMESTAMP"),
        ("created_by", "STRING"),
        ("last_altered", "TIMESTAMP"),
        ("last_altered_by", "STRING"),
        *_s("data_source_format", "storage_sub_directory"),
    ],
    "columns": [
        *_s("table_catalog", "table_schema", "table_name", "column_name"),
        ("ordinal_position", "INT"),
        *_s("column_default", "is_nullable", "full_data_type", "data_type"),
        ("character_maximum_length", "LONG"),
        ("character_octet_length", "LONG"),
        ("numeric_precision", "INT"),
        ("numeric_precision_radix", "INT"),
        ("numeric_scale", "INT"),
        ("datetime_precision", "INT"),
        *_s("interval_type"),
        ("interval_precision", "INT"),
        ("maximum_cardinality", "LONG"),
        *_s("is_identity", "identity_generation", "identity_start", "identity_increment"),
        *_s("identity_maximum", "identity_minimum", "identity_cycle", "is_generated", "generation_expression"),
        *_s("is_system_time_period_start", "is_system_time_period_end", "system_time_period_timestamp_generation"),
        *_s("is_updatable"),
        ("partition_ordinal_position", "INT"),
        *_s("comment"),
    ],
    "catalog_tags": _s("catalog_name", "tag_name", "tag_value"),
    "schema_tags": _s("catalog_name", "schema_name", "tag_name", "tag_value"),
    "table_tags": _s("catalog_name", "schema_name", "table_name", "tag_name", "tag_value"),
    "column_tags": _s("catalog_name", "schema_name", "table_name", "column_name", "tag_name", "tag_value"),
    "table_constraints": _s(
        "constraint_catalog", "constraint_schema", "constraint_name", "table_catalog", "table_schema", "table_name",
        "constraint_type", "is_deferrable", "initially_deferred", "enforced", "comment",
    ),
    "key_column_usage": [
        *_s("constraint_catalog", "constraint_schema", "constraint_name", "table_catalog", "table_schema"),
        *_s("table_name", "column_name"),
        ("ordinal_position", "INT"),
        ("position_in_unique_constraint", "INT"),
    ],
    "constraint_column_usage": _s(
        "table_catalog", "table_schema", "table_name", "column_name", "constraint_catalog", "constraint_schema",
        "constraint_name",
    ),
    "constraint_table_usage": _s(
        "table_catalog", "table_schema", "table_name", "constraint_catalog", "constraint_schema", "constraint_name"
    ),
    "referential_constraints": _s(
        "constraint_catalog", "constraint_schema", "constraint_name", "unique_constraint_catalog",
        "unique_constraint_schema", "unique_constraint_name", "match_option", "update_rule", "delete_rule",
    ),
    "check_constraints": _s("constraint_catalog", "constraint_schema", "constraint_name", "check_clause", "sql_path"),
    "catalog_privileges": _s("grantor", "grantee", "catalog_name", "privilege_type", "is_grantable", "inherited_from"),
    "schema_privileges": _s(
        "grantor", "grantee", "catalog_name", "schema_name", "privilege_type", "is_grantable", "inherited_from"
    ),
    "table_privileges": _s(
        "grantor", "grantee", "table_catalog", "table_schema", "table_name", "privilege_type", "is_grantable",
        "inherited_from",
    ),
    "routine_privileges": _s(
        "grantor", "grantee", "specific_catalog", "specific_schema", "specific_name", "routine_catalog",
        "routine_schema", "routine_name", "privilege_type", "is_grantable", "inherited_from",
    ),
    "routines": _s(
        "specific_catalog", "specific_schema", "specific_name", "routine_catalog", "routine_schema", "routine_name",
        "routine_type", "data_type", "full_data_type", "routine_body", "routine_definition", "routine_owner", "comment",
    ),
    "column_masks": _s(
        "table_catalog", "table_schema", "table_name", "column_name", "mask_catalog", "mask_schema", "mask_name",
        "using_columns",
    ),
    "row_filters": _s(
        "table_catalog", "table_schema", "table_name", "filter_catalog", "filter_schema", "filter_name",
        "target_columns",
    ),
}  # fmt: skip


class Walker:
    """The catalog's objects the user may see."""

    def __init__(self, uc: CatalogStore, user: str, catalog: Catalog) -> None:
        self.uc, self.user, self.catalog = uc, user, catalog

    def visible(self, *chain: Securable) -> bool:
        return self.uc.can_browse(self.user, [self.catalog, *chain])

    def schemas(self) -> Iterator[Schema]:
        for name in sorted(self.catalog.schemas):
            schema = self.catalog.schemas[name]
            if self.visible(schema) or any(self.visible(schema, t) for t in schema.tables.values()):
                yield schema

    def tables(self) -> Iterator[tuple[Schema, Table]]:
        for schema in self.schemas():
            for name in sorted(schema.tables):
                table = schema.tables[name]
                if self.visible(schema, table):
                    yield schema, table


def _privileges(grants: dict[str, list[str]]) -> Iterator[tuple[str, str]]:
    for grantee in sorted(grants):
        for privilege in sorted(grants[grantee]):
            yield grantee, privilege.replace("_", " ")


BITS = {"TINYINT": 8, "SMALLINT": 16, "INT": 32, "BIGINT": 64, "FLOAT": 24, "DOUBLE": 53}


def _column_row(c: str, schema: Schema, table: Table, position: int) -> dict[str, Any]:
    column = table.columns[position]
    name, arguments = types.parse(column.type)
    identity = column.identity
    return {
        "table_catalog": c,
        "table_schema": schema.name,
        "table_name": table.name,
        "column_name": column.name,
        "ordinal_position": position + 1,
        "column_default": column.default,
        "is_nullable": "YES" if column.nullable else "NO",
        "full_data_type": column.type.lower(),
        "data_type": name,
        "character_maximum_length": None,
        "character_octet_length": None,
        "numeric_precision": arguments[0] if name == "DECIMAL" else BITS.get(name),
        "numeric_precision_radix": 10 if name == "DECIMAL" else (2 if name in BITS else None),
        "numeric_scale": arguments[1] if name == "DECIMAL" else (0 if name in types.INTEGERS else None),
        "datetime_precision": 3
        if name in ("TIMESTAMP", "TIMESTAMP_NTZ")
        else (0 if name == "DATE" else None),
        "interval_type": None,
        "interval_precision": None,
        "maximum_cardinality": None,
        "is_identity": "YES" if identity else "NO",
        "identity_generation": ("ALWAYS" if identity.always else "BY DEFAULT") if identity else None,
        "identity_start": str(identity.start) if identity else None,
        "identity_increment": str(identity.increment) if identity else None,
        "identity_maximum": None,
        "identity_minimum": None,
        "identity_cycle": "NO" if identity else None,
        "is_generated": "ALWAYS" if column.generated else "NEVER",
        "generation_expression": column.generated,
        "is_system_time_period_start": "NO",
        "is_system_time_period_end": "NO",
        "system_time_period_timestamp_generation": None,
        "is_updatable": "YES",
        "partition_ordinal_position": None,
        "comment": column.comment,
    }


def rows_of(name: str, w: Walker) -> list[dict[str, Any]]:
    c = w.catalog.name
    found: list[dict[str, Any]] = []
    add = found.append
    if name == "catalogs":
        add(
            {
                "catalog_name": c,
                "catalog_owner": w.catalog.owner,
                "comment": w.catalog.comment,
                "created": _time(w.catalog.created_at),
                "created_by": w.catalog.created_by,
                "last_altered": _time(w.catalog.updated_at),
                "last_altered_by": w.catalog.updated_by,
            }
        )
    elif name == "schemata":
        for schema in w.schemas():
            add(
                {
                    "catalog_name": c,
                    "schema_name": schema.name,
                    "schema_owner": schema.owner,
                    "comment": schema.comment,
                    "created": _time(schema.created_at),
                    "created_by": schema.created_by,
                    "last_altered": _time(schema.updated_at),
                    "last_altered_by": schema.updated_by,
                }
            )
        add(
            {
                "catalog_name": c,
                "schema_name": INFORMATION_SCHEMA,
                "schema_owner": "System user",
                "comment": "Information schema (auto-created)",
                "created": _time(w.catalog.created_at),
                "created_by": "System user",
                "last_altered": _time(w.catalog.created_at),
                "last_altered_by": "System user",
            }
        )
    elif name == "tables":
        for schema, table in w.tables():
            add(
                {
                    "table_catalog": c,
                    "table_schema": schema.name,
                    "table_name": table.name,
                    "table_type": "MANAGED",
                    "is_insertable_into": "YES",
                    "commit_action": "PRESERVE",
                    "table_owner": table.owner,
                    "comment": table.comment,
                    "created": _time(table.created_at),
                    "created_by": table.created_by,
                    "last_altered": _time(table.updated_at),
                    "last_altered_by": table.updated_by,
                    "data_source_format": "DELTA",
                    "storage_sub_directory": None,
                }
            )
    elif name == "columns":
        for schema, table in w.tables():
            found += [_column_row(c, schema, table, position) for position in range(len(table.columns))]
    elif name == "catalog_tags":
        found += [
            {"catalog_name": c, "tag_name": k, "tag_value": v} for k, v in sorted(w.catalog.tags.items())
        ]
    elif name == "schema_tags":
        for schema in w.schemas():
            found += [
                {"catalog_name": c, "schema_name": schema.name, "tag_name": k, "tag_value": v}
                for k, v in sorted(schema.tags.items())
            ]
    elif name == "table_tags":
        for schema, table in w.tables():
            found += [
                {
                    "catalog_name": c,
                    "schema_name": schema.name,
                    "table_name": table.name,
                    "tag_name": k,
                    "tag_value": v,
                }
                for k, v in sorted(table.tags.items())
            ]
    elif name == "column_tags":
        for schema, table in w.tables():
            for column in table.columns:
                found += [
                    {
                        "catalog_name": c,
                        "schema_name": schema.name,
                        "table_name": table.name,
                        "column_name": column.name,
                        "tag_name": k,
                        "tag_value": v,
                    }
                    for k, v in sorted(column.tags.items())
                ]
    elif name in (
        "table_constraints",
        "key_column_usage",
        "constraint_column_usage",
        "constraint_table_usage",
        "referential_constraints",
        "check_constraints",
    ):
        found += _constraints(name, w)
    elif name == "catalog_privileges":
        found += [
            {
                "grantor": w.catalog.owner,
                "grantee": grantee,
                "catalog_name": c,
                "privilege_type": privilege,
                "is_grantable": "NO",
                "inherited_from": "NONE",
            }
            for grantee, privilege in _privileges(w.catalog.grants)
        ]
    elif name == "schema_privileges":
        for schema in w.schemas():
            found += [
                {
                    "grantor": schema.owner,
                    "grantee": grantee,
                    "catalog_name": c,
                    "schema_name": schema.name,
                    "privilege_type": privilege,
                    "is_grantable": "NO",
                    "inherited_from": "NONE",
                }
                for grantee, privilege in _privileges(schema.grants)
            ]
    elif name == "table_privileges":
        for schema, table in w.tables():
            found += [
                {
                    "grantor": table.owner,
                    "grantee": grantee,
                    "table_catalog": c,
                    "table_schema": schema.name,
                    "table_name": table.name,
                    "privilege_type": privilege,
                    "is_grantable": "NO",
                    "inherited_from": "NONE",
                }
                for grantee, privilege in _privileges(table.grants)
            ]
    elif name in ("routines", "routine_privileges"):
        for schema in w.schemas():
            for function_name in sorted(schema.functions):
                function = schema.functions[function_name]
                names = {
                    "specific_catalog": c,
                    "specific_schema": schema.name,
                    "specific_name": function.name,
                    "routine_catalog": c,
                    "routine_schema": schema.name,
                    "routine_name": function.name,
                }
                if name == "routines":
                    add(
                        {
                            **names,
                            "routine_type": "FUNCTION",
                            "data_type": types.parse(function.returns)[0],
                            "full_data_type": function.returns.lower(),
                            "routine_body": "SQL",
                            "routine_definition": function.body,
                            "routine_owner": function.owner,
                            "comment": function.comment,
                        }
                    )
                else:
                    found += [
                        {
                            "grantor": function.owner,
                            "grantee": grantee,
                            **names,
                            "privilege_type": privilege,
                            "is_grantable": "NO",
                            "inherited_from": "NONE",
                        }
                        for grantee, privilege in _privileges(function.grants)
                    ]
    elif name == "column_masks":
        for schema, table in w.tables():
            for column in table.columns:
                if column.mask is not None:
                    mask_catalog, mask_schema, mask_name = column.mask.function.split(".")
                    add(
                        {
                            "table_catalog": c,
                            "table_schema": schema.name,
                            "table_name": table.name,
                            "column_name": column.name,
                            "mask_catalog": mask_catalog,
                            "mask_schema": mask_schema,
                            "mask_name": mask_name,
                            "using_columns": ",".join(column.mask.using) or None,
                        }
                    )
    elif name == "row_filters":
        for schema, table in w.tables():
            if table.row_filter is not None:
                filter_catalog, filter_schema, filter_name = table.row_filter.function.split(".")
                add(
                    {
                        "table_catalog": c,
                        "table_schema": schema.name,
                        "table_name": table.name,
                        "filter_catalog": filter_catalog,
                        "filter_schema": filter_schema,
                        "filter_name": filter_name,
                        "target_columns": ",".join(table.row_filter.columns),
                    }
                )
    return found


def _constraints(name: str, w: Walker) -> list[dict[str, Any]]:
    c = w.catalog.name
    found: list[dict[str, Any]] = []
    for schema, table in w.tables():
        where = {"table_catalog": c, "table_schema": schema.name, "table_name": table.name}
        for constraint in table.constraints:
            owner = {
                "constraint_catalog": c,
                "constraint_schema": schema.name,
                "constraint_name": constraint.name,
            }
            if name == "table_constraints":
                found.append(
                    {
                        **owner,
                        **where,
                        "constraint_type": constraint.kind,
                        "is_deferrable": "NO",
                        "initially_deferred": "NO",
                        "enforced": "YES" if constraint.kind == "CHECK" else "NO",
                        "comment": None,
                    }
                )
            elif name == "check_constraints" and constraint.kind == "CHECK":
                found.append({**owner, "check_clause": constraint.expression, "sql_path": None})
            elif name == "key_column_usage" and constraint.kind != "CHECK":
                for position, column in enumerate(constraint.columns):
                    found.append(
                        {
                            **owner,
                            **where,
                            "column_name": column,
                            "ordinal_position": position + 1,
                            "position_in_unique_constraint": position + 1
                            if constraint.kind == "FOREIGN KEY"
                            else None,
                        }
                    )
            elif name == "constraint_column_usage" and constraint.kind != "CHECK":
                if constraint.kind == "FOREIGN KEY":
                    ref_catalog, ref_schema, ref_table = (constraint.ref_table or "..").split(".")
                    ref = {"table_catalog": ref_catalog, "table_schema": ref_schema, "table_name": ref_table}
                    found += [{**ref, "column_name": col, **owner} for col in constraint.ref_columns]
                else:
                    found += [{**where, "column_name": col, **owner} for col in constraint.columns]
            elif name == "constraint_table_usage" and constraint.kind != "CHECK":
                if constraint.kind == "FOREIGN KEY":
                    ref_catalog, ref_schema, ref_table = (constraint.ref_table or "..").split(".")
                    found.append(
                        {
                            "table_catalog": ref_catalog,
                            "table_schema": ref_schema,
                            "table_name": ref_table,
                            **owner,
                        }
                    )
                else:
                    found.append({**where, **owner})
            elif name == "referential_constraints" and constraint.kind == "FOREIGN KEY":
                ref_catalog, ref_schema, ref_table = (constraint.ref_table or "..").split(".")
                key_name = _referenced_key(w.uc, ref_catalog, ref_schema, ref_table)
                found.append(
                    {
                        **owner,
                        "unique_constraint_catalog": ref_catalog,
                        "unique_constraint_schema": ref_schema,
                        "unique_constraint_name": key_name,
                        "match_option": "FULL",
                        "update_rule": "NO ACTION",
                        "delete_rule": "NO ACTION",
                    }
                )
    return found


def _referenced_key(uc: CatalogStore, catalog: str, schema: str, table: str) -> str | None:
    try:
        key = uc.table(catalog, schema, table).primary_key()
    except e.SqlError:
        return None
    return key.name if key else None


VIEWS: dict[str, Callable[[str, Walker], list[dict[str, Any]]]] = {name: rows_of for name in COLUMNS}


def view(uc: CatalogStore, user: str, catalog: Catalog, name: str) -> Relation:
    if name not in COLUMNS:
        raise e.table_not_found(catalog.name, INFORMATION_SCHEMA, name)
    rows = rows_of(name, Walker(uc, user, catalog))
    return Relation(f"`{catalog.name}`.`{INFORMATION_SCHEMA}`.`{name}`", COLUMNS[name], rows)
