"""Safe fixes applied to the model: renames (naming and lower-case findings) and type changes.

A rename also rewrites every reference to the renamed element (key columns, clustering keys and
foreign keys pointing at it), so the fixed project is still valid. Findings address elements by
their `object` path (`catalog.schema.table.column`). All renames are collected first and applied in
one pass, with foreign-key targets resolved by their original names: linear in the model size.
"""

from __future__ import annotations

from collections.abc import Iterator

from accelerator.model.copying import copied, copy_project
from accelerator.model.elements import Catalog, Column, ForeignKey, Project, Schema, Table
from accelerator.model.findings import Finding

Element = Catalog | Schema | Table | Column

# What a fix's replacement is, by the rule id's first segment: a new name or a new type.
FIX_KINDS: dict[str, str] = {"naming": "rename", "uc": "rename", "types": "retype"}


def apply_fixes(project: Project, findings: list[Finding]) -> Project:
    """A copy of `project` with every fix of `findings` that has a replacement applied."""
    fixed = copy_project(project)
    elements = dict(_paths(fixed))
    renames: dict[int, str] = {}
    retypes: dict[int, str] = {}
    for finding in findings:
        if finding.fix is None or finding.fix.replacement is None or finding.object is None:
            continue
        element = elements.get(finding.object)
        kind = FIX_KINDS.get(finding.rule.split(".", 1)[0])
        if element is None or kind is None:
            continue
        if kind == "rename":
            renames[id(element)] = finding.fix.replacement
        elif isinstance(element, Column):
            retypes[id(element)] = finding.fix.replacement
    if renames or retypes:
        for catalog in fixed.catalogs:
            _apply_to_catalog(catalog, renames, retypes)
    return fixed


def _paths(project: Project) -> Iterator[tuple[str, Element]]:
    for catalog in project.catalogs:
        yield catalog.name, catalog
        for schema in catalog.schemas:
            schema_path = f"{catalog.name}.{schema.name}"
            yield schema_path, schema
            for table in schema.tables:
                table_path = f"{schema_path}.{table.name}"
                yield table_path, table
                for column in table.columns:
                    yield f"{table_path}.{column.name}", column


def _apply_to_catalog(catalog: Catalog, renames: dict[int, str], retypes: dict[int, str]) -> None:
    by_name = {(s.name.lower(), t.name.lower()): (s, t) for s in catalog.schemas for t in s.tables}
    # Resolve every foreign key's target before any rename changes the names it uses.
    targets = {
        id(fk): by_name.get((fk.ref_schema.lower(), fk.ref_table.lower()))
        for schema in catalog.schemas
        for table in schema.tables
        for fk in table.foreign_keys
    }
    column_renames: dict[int, dict[str, str]] = {}  # id(table) -> {old column name lower: new name}
    catalog.name = renames.get(id(catalog), catalog.name)
    for schema in catalog.schemas:
        schema.name = renames.get(id(schema), schema.name)
        for table in schema.tables:
            table.name = renames.get(id(table), table.name)
            mapping: dict[str, str] = {}
            for position, column in enumerate(table.columns):
                new_name, new_type = renames.get(id(column)), retypes.get(id(column))
                if new_name is None and new_type is None:
                    continue
                update = {"name": new_name} if new_name is not None else {}
                if new_type is not None:
                    update["type"] = new_type
                table.columns[position] = copied(column, **update)  # columns are shared with the input
                if new_name is not None:
                    mapping[column.name.lower()] = new_name
            if mapping:
                column_renames[id(table)] = mapping
    for schema in catalog.schemas:
        for table in schema.tables:
            own = column_renames.get(id(table), {})
            if own:
                if table.primary_key:
                    table.primary_key = copied(
                        table.primary_key, columns=_renamed(table.primary_key.columns, own)
                    )
                table.unique_keys = [
                    copied(key, columns=_renamed(key.columns, own)) for key in table.unique_keys
                ]
                table.cluster_by = _renamed(table.cluster_by, own)
            table.foreign_keys = [
                _retarget(fk, own, targets.get(id(fk)), column_renames) for fk in table.foreign_keys
            ]


def _retarget(
    fk: ForeignKey,
    own: dict[str, str],
    target: tuple[Schema, Table] | None,
    column_renames: dict[int, dict[str, str]],
) -> ForeignKey:
    update: dict[str, object] = {}
    if own:
        update["columns"] = _renamed(fk.columns, own)
    if target is not None:
        schema, table = target
        update["ref_schema"], update["ref_table"] = schema.name, table.name
        update["ref_columns"] = _renamed(fk.ref_columns, column_renames.get(id(table), {}))
    return copied(fk, **update) if update else fk


def _renamed(columns: list[str], mapping: dict[str, str]) -> list[str]:
    return [mapping.get(column.lower(), column) for column in columns] if mapping else list(columns)
