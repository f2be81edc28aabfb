"""What differs between the intended tables of an ERD file and those its patched text reads as, in
sentences a reply can show (`edit/patch.py: _verify`), instead of a JSON diff."""

from __future__ import annotations

import json
from typing import Any

_SHOWN = 3  # differences named; the rest are counted


def _tables(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`erd_tables`'s canonical dict -> {"schema.table": table}."""
    return {
        f"{schema['name']}.{table['name']}": table
        for catalog in data["catalogs"]
        for schema in catalog["schemas"]
        for table in schema["tables"]
    }


def _key(key: dict[str, Any]) -> str:
    """A key as written in SQL: `(a, b)`, or `(a) -> crm.customers (b)` for a foreign key."""
    text = f"({', '.join(key['columns'])})"
    if "ref_table" in key:
        text += f" -> {key.get('ref_schema')}.{key['ref_table']} ({', '.join(key.get('ref_columns', []))})"
    return text


def _value(value: object) -> str:
    if value is None or value == []:
        return "none"
    keys = value if isinstance(value, list) else [value]
    if all(isinstance(key, dict) and isinstance(key.get("columns"), list) for key in keys):
        return ", ".join(map(_key, keys))
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def _fields(where: str, want: dict[str, Any], got: dict[str, Any], skip: tuple[str, ...] = ()) -> list[str]:
    return [
        f"{where} has {name} {_value(got.get(name))} instead of {_value(want.get(name))}"
        for name in sorted(set(want) | set(got))
        if name not in skip and want.get(name) != got.get(name)
    ]


def _columns(where: str, want: list[dict[str, Any]], got: list[dict[str, Any]]) -> list[str]:
    wanted = {column["name"]: column for column in want}
    read = {column["name"]: column for column in got}
    found = [f"{where}.{name} is missing" for name in wanted if name not in read]
    found += [f"{where}.{name} appears, not intended" for name in read if name not in wanted]
    for name in (name for name in wanted if name in read):
        found += _fields(f"{where}.{name}", wanted[name], read[name], skip=("name",))
    if not found and [c["name"] for c in want] != [c["name"] for c in got]:
        found.append(f"the columns of {where} are in another order")
    return found


def describe_difference(want: dict[str, Any], got: dict[str, Any]) -> str:
    """One sentence naming what differs (table, column, field: what was read instead of what was
    intended), the first few differences of canonical `erd_tables` dicts `want` and `got`."""
    intended, read = _tables(want), _tables(got)
    found = [f"table {name} is missing" for name in intended if name not in read]
    found += [f"table {name} appears, not intended" for name in read if name not in intended]
    for name in (name for name in intended if name in read):
        found += _fields(name, intended[name], read[name], skip=("name", "columns"))
        found += _columns(name, intended[name].get("columns", []), read[name].get("columns", []))
    if not found:
        return "the tables are read in another order"
    more = len(found) - _SHOWN
    return "; ".join(found[:_SHOWN]) + (
        f" (and {more} more difference{'s' * (more > 1)})" if more > 0 else ""
    )
