"""model.json: `canonical_json(project)`, written from each table's JSON text kept between renders.

A table's part is a `cache.MODEL_JSON_TABLES` piece: its canonical JSON, indented for its place in
the file (project > catalogs > catalog > schemas > schema > tables), written by orjson inside dicts
and lists nested as deep, then cut out. The rest of the file is written every time.
"""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from pydantic_core import from_json

from accelerator.model.canonical import OPTIONS, canonical_json, canonical_table, sort_grants
from accelerator.model.elements import Catalog, Project, Schema, Table
from accelerator.render.cache import MODEL_JSON_TABLES, content_key, render_pass

_NESTED_PREFIX = len(b'{\n  "a": [\n    {\n      "a": [\n        {\n          "a": [\n            ')
_NESTED_SUFFIX = len(b"\n          ]\n        }\n      ]\n    }\n  ]\n}")


def render_model_json(project: Project) -> str:
    """What `canonical_json(project)` writes."""
    with render_pass():
        try:
            return orjson.dumps(_with_table_fragments(project), option=OPTIONS).decode() + "\n"
        except orjson.JSONEncodeError:  # an integer beyond 64 bits: canonical_json falls back to json
            return canonical_json(project)


def _with_table_fragments(project: Project) -> dict[str, Any]:
    """`canonical_dict(project)` with each table as an `orjson.Fragment` of its JSON text."""
    data = project.model_dump(mode="json", exclude={"catalogs"})
    data["catalogs"] = [_catalog_node(catalog) for catalog in _by_name(project.catalogs)]
    return data


def _catalog_node(catalog: Catalog) -> dict[str, Any]:
    node = catalog.model_dump(mode="json", exclude={"schemas"})
    sort_grants(node)
    node["schemas"] = [_schema_node(schema) for schema in _by_name(catalog.schemas)]
    return node


def _schema_node(schema: Schema) -> dict[str, Any]:
    node = schema.model_dump(mode="json", exclude={"tables"})
    sort_grants(node)
    node["tables"] = [
        orjson.Fragment(MODEL_JSON_TABLES.piece(_table_fragment, None, table))
        for table in _by_name(schema.tables)
    ]
    return node


def _table_fragment(_: None, table: Table) -> bytes:
    key = content_key(table)  # the pass computed it for the piece's key already
    # The key is the same JSON model_dump(mode="json") gives, parsed back losslessly (big ints too).
    node = table.model_dump(mode="json") if key is None else from_json(key)
    canonical_table(node)
    nested = orjson.dumps({"a": [{"a": [{"a": [node]}]}]}, option=OPTIONS)
    return nested[_NESTED_PREFIX:-_NESTED_SUFFIX]


NamedT = TypeVar("NamedT", Catalog, Schema, Table)


def _by_name(items: list[NamedT]) -> list[NamedT]:
    return sorted(items, key=lambda item: item.name.lower())
