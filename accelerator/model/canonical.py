"""Canonical JSON of a model: sorted, stable, byte-identical for the same input, no spans.

Catalogs, schemas and tables are sorted by name; columns and key columns keep their declared order
(order is meaning there); grants are sorted; dict keys are sorted.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from accelerator.model.elements import Project

# orjson writes what json.dumps(sort_keys=True, indent=2, ensure_ascii=False) writes, ~15x faster.
_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS


def canonical_dict(project: Project) -> dict[str, Any]:
    data = project.model_dump(mode="json")
    for catalog in data["catalogs"]:
        _sort_grants(catalog)
        for schema in catalog["schemas"]:
            _sort_grants(schema)
            for table in schema["tables"]:
                _sort_grants(table)
                table["foreign_keys"].sort(key=lambda fk: json.dumps(fk, sort_keys=True))
                table["unique_keys"].sort(key=lambda uk: json.dumps(uk, sort_keys=True))
            schema["tables"].sort(key=lambda t: t["name"].lower())
        catalog["schemas"].sort(key=lambda s: s["name"].lower())
    data["catalogs"].sort(key=lambda c: c["name"].lower())
    return data


def canonical_json(project: Project) -> str:
    data = canonical_dict(project)
    try:
        return orjson.dumps(data, option=_OPTIONS).decode() + "\n"
    except orjson.JSONEncodeError:  # an integer beyond 64 bits (an identity START WITH, say)
        return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def _sort_grants(node: dict[str, Any]) -> None:
    for grant in node["grants"]:
        grant["privileges"] = sorted(set(grant["privileges"]))
        grant["environments"] = sorted(set(grant["environments"]))
    node["grants"].sort(key=lambda g: (g["principal"], g["environments"], g["privileges"]))
