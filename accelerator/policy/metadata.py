"""Required metadata, judged after defaults: table comments, owners, required tags."""

from __future__ import annotations

from accelerator.model.elements import Catalog, Project, Schema, Table
from accelerator.policy.policy import Policy
from accelerator.policy.reporting import Reporter, name_location


def check_metadata(project: Project, policy: Policy, reporter: Reporter) -> None:
    required = policy.spec.rules.metadata.required_tags
    for catalog in project.catalogs:
        _require_tags(catalog, "catalog", catalog.name, required.catalog, reporter)
        for schema in catalog.schemas:
            where = f"{catalog.name}.{schema.name}"
            if not schema.owner:
                reporter.report(
                    "metadata.schema.owner",
                    f"schema {schema.name} has no owner",
                    span=name_location(schema),
                    object=where,
                )
            _require_tags(schema, "schema", where, required.schema_, reporter)
            for table in schema.tables:
                _check_table(
                    table, f"{where}.{table.name}", f"{schema.name}.{table.name}", required.table, reporter
                )


def _check_table(table: Table, where: str, short: str, required_tags: list[str], reporter: Reporter) -> None:
    if not (table.comment or "").strip():
        reporter.report(
            "metadata.table.comment",
            f"table {short} has no comment",
            span=name_location(table),
            object=where,
        )
    if not table.owner:
        reporter.report(
            "metadata.table.owner",
            f"table {short} has no owner; set one in the ERD or table_defaults.owner",
            span=name_location(table),
            object=where,
        )
    _require_tags(table, "table", where, required_tags, reporter)


def _require_tags(
    element: Catalog | Schema | Table, kind: str, where: str, required: list[str], reporter: Reporter
) -> None:
    missing = [tag for tag in required if tag not in element.tags]
    if missing:
        reporter.report(
            f"metadata.{kind}.tags",
            f"{kind} {element.name} lacks required tag(s) {', '.join(missing)}",
            span=name_location(element),
            object=where,
        )
