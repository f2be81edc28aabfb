"""Canonical JSON of a model: sorted, stable, byte-identical for the same input, no spans.

Catalogs, schemas and tables are sorted by name; columns and key columns keep their declared order
(order is meaning there); grants are sorted; dict keys are sorted. `render.model_json` writes the
same text from per-table pieces it keeps between renders.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from accelerator.model.elements import Project

# What json.dumps(sort_keys=True, indent=2, ensure_ascii=False) writes, without its pure-Python cost.
OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS


def canonical_dict(project: Project) -> dict[str, Any]:
    data = project.model_dump(mode="json")
    for catalog in data["catalogs"]:
        sort_grants(catalog)
        for schema in catalog["schemas"]:
            sort_grants(schema)
            for table in schema["tables"]:
                canonical_table(table)
            schema["tables"].sort(key=lambda t: t["name"].lower())
        catalog["schemas"].sort(key=lambda s: s["name"].lower())
    data["catalogs"].sort(key=lambda c: c["name"].lower())
    return data


def canonical_json(project: Project) -> str:
    """`canonical_dict` as indented JSON text with sorted keys."""
    data = canonical_dict(project)
    try:
        return orjson.dumps(data, option=OPTIONS).decode() + "\n"
    except orjson.JSONEncodeError:  # an integer beyond 64 bits (an identity START WITH, say)
        return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def canonical_table(table: dict[str, Any]) -> None:
    """Sort a table's grants and keys in its JSON data, in place."""
    sort_grants(table)
    table["foreign_keys"].sort(key=lambda fk: json.dumps(fk, sort_keys=True))
    table["unique_keys"].sort(key=lambda uk: json.dumps(uk, sort_keys=True))


def sort_grants(node: dict[str, Any]) -> None:
    """Sort the grants (and each grant's lists) of a catalog's, schema's or table's JSON data, in place."""
    for grant in node["grants"]:
        grant["privileges"] = sorted(set(grant["privileges"]))
        grant["environments"] = sorted(set(grant["environments"]))
    node["grants"].sort(key=lambda g: (g["principal"], g["environments"], g["privileges"]))
