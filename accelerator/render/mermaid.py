"""A Mermaid `erDiagram` of one catalog: an entity per table, attributes, relationships from FKs.

Mermaid's grammar is narrow (entity and attribute names are words, comments are double-quoted
strings with no escape), so every name is reduced to `[A-Za-z0-9_-]` and every comment loses its
double quotes, angle brackets and line breaks; the data dictionary next to the diagram keeps the exact text.

A table's entity and relationship lines are a `cache.DIAGRAM_ENTITIES` piece, made from the table,
its entity name and the entity names of the tables its foreign keys reference (they depend on the
whole catalog); the kind keys the foreign keys' labels too, which the model's JSON leaves out.
"""

from __future__ import annotations

import re
from functools import lru_cache

from accelerator.model.elements import Catalog, Column, Table
from accelerator.render.cache import DIAGRAM_ENTITIES
from accelerator.render.sql_context import sorted_by_name

_NOT_WORD = re.compile(r"[^A-Za-z0-9_-]+")

# A table's entity name and those of the tables its foreign keys reference (None: not in the catalog).
EntityNames = tuple[str, tuple[str | None, ...]]


@lru_cache(maxsize=8192)
def mermaid_word(text: str) -> str:
    word = _NOT_WORD.sub("_", text).strip("_") or "_"
    return word if word[0].isalpha() or word[0] == "_" else f"_{word}"


def mermaid_type(type_text: str) -> str:
    """`DECIMAL(12,2)` -> `DECIMAL_12_2`, `ARRAY<STRING>` -> `ARRAY_STRING`: Mermaid types are words."""
    return mermaid_word(type_text)


def mermaid_string(text: str) -> str:
    """Mermaid labels have no escape and may be read as HTML: no `"`, no `<`/`>`, one line."""
    return " ".join(text.replace('"', "'").replace("<", "‹").replace(">", "›").split())


def entity_names(catalog: Catalog) -> dict[tuple[str, str], str]:
    """`schema.table` -> a unique entity name (`schema_table`, then `_2`, `_3` if two collide)."""
    names: dict[tuple[str, str], str] = {}
    used: set[str] = set()
    for schema in sorted_by_name(catalog.schemas):
        for table in sorted_by_name(schema.tables):
            base = mermaid_word(f"{schema.name}_{table.name}")
            name, counter = base, 1
            while name.lower() in used:
                counter += 1
                name = f"{base}_{counter}"
            used.add(name.lower())
            names[(schema.name.lower(), table.name.lower())] = name
    return names


def render_er_diagram(catalog: Catalog) -> str:
    names = entity_names(catalog)
    lines = ["erDiagram"]
    relationships: list[str] = []
    for schema in sorted_by_name(catalog.schemas):
        for table in sorted_by_name(schema.tables):
            entity = names[(schema.name.lower(), table.name.lower())]
            parents = tuple(
                names.get((fk.ref_schema.lower(), fk.ref_table.lower())) for fk in table.foreign_keys
            )
            text, table_relationships = DIAGRAM_ENTITIES.piece(_entity, (entity, parents), table)
            lines.append(text)
            relationships.extend(table_relationships)
    return "\n".join(lines + relationships) + "\n"


def _entity(names: EntityNames, table: Table) -> tuple[str, tuple[str, ...]]:
    """The entity's lines, joined, and its relationship lines."""
    entity, parents = names
    lines = [f"    {entity} {{"]
    lines.extend(
        f"        {_attribute(column, keys)}"
        for column, keys in zip(table.columns, keys_by_column(table), strict=True)
    )
    lines.append("    }")
    return "\n".join(lines), tuple(_relationships(table, entity, parents))


def _attribute(column: Column, keys: list[str]) -> str:
    text = f"{mermaid_type(column.type)} {mermaid_word(column.name)}"
    if keys:
        text += " " + ", ".join(keys)
    if column.comment:
        text += f' "{mermaid_string(column.comment)}"'
    return text


def keys_by_column(table: Table) -> list[list[str]]:
    """The `PK`, `FK`, `UK` markers (in that order) of each column of `table`, in column order."""
    primary = {c.lower() for c in table.primary_key.columns} if table.primary_key else set()
    foreign = {c.lower() for fk in table.foreign_keys for c in fk.columns}
    unique = {c.lower() for uk in table.unique_keys for c in uk.columns}
    result = []
    for column in table.columns:
        name = column.name.lower()
        keys = []
        if name in primary:
            keys.append("PK")
        if name in foreign:
            keys.append("FK")
        if name in unique:
            keys.append("UK")
        result.append(keys)
    return result


def _relationships(table: Table, entity: str, parents: tuple[str | None, ...]) -> list[str]:
    lines = []
    for fk, parent in zip(table.foreign_keys, parents, strict=True):
        if parent is None:
            continue  # a reference outside this catalog: build_project reports dangling ones
        optional = any((c := table.column(name)) is None or c.nullable for name in fk.columns)
        parent_side = "|o" if optional else "||"
        label = mermaid_string(fk.label or ", ".join(fk.columns))
        lines.append(f'    {parent} {parent_side}--o{{ {entity} : "{label}"')
    return lines
