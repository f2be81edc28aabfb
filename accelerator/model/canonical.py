"""Canonical JSON of a model: sorted, stable, byte-identical for the same input, no spans.

Catalogs, schemas and tables are sorted by name; columns and key columns keep their declared order
(order is meaning there); grants are sorted; dict keys are sorted.

This module also holds what lets a re-render reuse the work of the last one (`canonical_json` here,
the SQL and the docs in `accelerator.render`): a chat turn changes one table, but the project is
re-parsed and re-governed, so every table is a new object, equal in content to the last turn's.

- `content_key(table)` is the table's canonical content: the JSON pydantic writes for it (in Rust),
  every field including what the policy added (tags, grants, masks, classification, owner,
  properties, cluster_by); only what the model excludes from its JSON is left out (spans, a column's
  `source_type`, a foreign key's `label`), so a piece whose text shows one of those must key it too.
  It is computed once per Table object, which every renderer of a turn shares: the object is held
  weakly and its entry dropped when it is freed, so the memo is bounded by the live tables. This
  relies on the rule the pipeline keeps anyway: a model is a value once built, an edit copies it
  (`apply_edit`, governance); change a rendered table in place and its old key stays, so call
  `clear_caches()` after doing so.
- A `PieceCache` per kind of piece maps a key to an immutable piece of output (text, bytes, frozen
  records), LRU-bounded and locked. A piece's key is the table's content key plus everything else its
  text depends on (its schema's name, the environment, the templates...): the piece is a pure
  function of its key, which is why a hit is exact. A failed render stores nothing, so its error is
  raised again, with the current spans.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

import orjson
from pydantic_core import PydanticSerializationError, from_json

from accelerator.model.elements import Catalog, Project, Schema, Table

# orjson writes what json.dumps(sort_keys=True, indent=2, ensure_ascii=False) writes, ~15x faster.
_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS

ValueT = TypeVar("ValueT")

# Each cache holds the pieces of this many table versions (the SQL cache 4x, for four environments):
# a 1,000-table model and as many edited versions. With benchmarks/synthetic.py's tables (10 columns:
# 2 KB of key, 1 KB of SQL per environment, 5 KB of model.json) all full take ~40 MB.
MAX_TABLE_VERSIONS = 2048


class PieceCache(Generic[ValueT]):
    """A thread-safe LRU map of at most `maxsize` immutable pieces of output."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[Hashable, ValueT] = OrderedDict()
        self._lock = threading.Lock()
        _CACHES.append(self)

    def get(self, key: Hashable) -> ValueT | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: ValueT) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            if len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def get_or_make(self, key: Hashable | None, make: Callable[[], ValueT]) -> ValueT:
        """The piece under `key`, made and kept when missing; with no key (no content key for the
        table, see `content_key`), made and not kept."""
        if key is None:
            return make()
        found = self.get(key)
        if found is None:
            found = make()  # a failed make raises here and stores nothing
            self.put(key, found)
        return found

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


_CACHES: list[PieceCache[Any]] = []
# id(table) -> (weak reference to it, its content key); the reference tells a reused id apart.
_KEYS: dict[int, tuple[weakref.ref[Table], bytes | None]] = {}
_table_json = Table.__pydantic_serializer__.to_json


def content_key(table: Table) -> bytes | None:
    """The table's content as JSON (spans excluded), or None if it cannot be written (a lone
    surrogate in a name, say): then nothing of that table is cached."""
    ident = id(table)
    entry = _KEYS.get(ident)
    if entry is not None and entry[0]() is table:
        return entry[1]
    try:
        key: bytes | None = _table_json(table, warnings=False)
    except PydanticSerializationError:
        key = None
    _KEYS[ident] = (weakref.ref(table, lambda _: _KEYS.pop(ident, None)), key)
    return key


def clear_caches() -> None:
    """Forget every content key and cached piece (for tests, or after changing a model in place)."""
    _KEYS.clear()
    for cache in _CACHES:
        cache.clear()


# One table's canonical JSON, indented for its place in model.json (project > catalogs > catalog >
# schemas > schema > tables): written by orjson inside dicts and lists nested as deep, then cut out.
_TABLE_PIECES: PieceCache[bytes] = PieceCache(maxsize=MAX_TABLE_VERSIONS)
_NESTED_PREFIX = len(b'{\n  "a": [\n    {\n      "a": [\n        {\n          "a": [\n            ')
_NESTED_SUFFIX = len(b"\n          ]\n        }\n      ]\n    }\n  ]\n}")


def canonical_dict(project: Project) -> dict[str, Any]:
    data = project.model_dump(mode="json")
    for catalog in data["catalogs"]:
        _sort_grants(catalog)
        for schema in catalog["schemas"]:
            _sort_grants(schema)
            for table in schema["tables"]:
                _canonical_table(table)
            schema["tables"].sort(key=lambda t: t["name"].lower())
        catalog["schemas"].sort(key=lambda s: s["name"].lower())
    data["catalogs"].sort(key=lambda c: c["name"].lower())
    return data


def canonical_json(project: Project) -> str:
    """`canonical_dict` written by orjson, each table's part reused while its content is the same."""
    try:
        return orjson.dumps(_with_table_fragments(project), option=_OPTIONS).decode() + "\n"
    except orjson.JSONEncodeError:  # an integer beyond 64 bits (an identity START WITH, say)
        return json.dumps(canonical_dict(project), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def _with_table_fragments(project: Project) -> dict[str, Any]:
    """`canonical_dict(project)` with each table as an `orjson.Fragment` of its JSON text."""
    data = project.model_dump(mode="json", exclude={"catalogs"})
    data["catalogs"] = [_catalog_node(catalog) for catalog in _by_name(project.catalogs)]
    return data


def _catalog_node(catalog: Catalog) -> dict[str, Any]:
    node = catalog.model_dump(mode="json", exclude={"schemas"})
    _sort_grants(node)
    node["schemas"] = [_schema_node(schema) for schema in _by_name(catalog.schemas)]
    return node


def _schema_node(schema: Schema) -> dict[str, Any]:
    node = schema.model_dump(mode="json", exclude={"tables"})
    _sort_grants(node)
    node["tables"] = [orjson.Fragment(_table_fragment(table)) for table in _by_name(schema.tables)]
    return node


def _table_fragment(table: Table) -> bytes:
    key = content_key(table)

    def make() -> bytes:
        # The key is the same JSON model_dump(mode="json") gives, parsed back losslessly (big ints too).
        node = table.model_dump(mode="json") if key is None else from_json(key)
        _canonical_table(node)
        nested = orjson.dumps({"a": [{"a": [{"a": [node]}]}]}, option=_OPTIONS)
        return nested[_NESTED_PREFIX:-_NESTED_SUFFIX]

    return _TABLE_PIECES.get_or_make(key, make)


NamedT = TypeVar("NamedT", Catalog, Schema, Table)


def _by_name(items: list[NamedT]) -> list[NamedT]:
    return sorted(items, key=lambda item: item.name.lower())


def _canonical_table(table: dict[str, Any]) -> None:
    _sort_grants(table)
    table["foreign_keys"].sort(key=lambda fk: json.dumps(fk, sort_keys=True))
    table["unique_keys"].sort(key=lambda uk: json.dumps(uk, sort_keys=True))


def _sort_grants(node: dict[str, Any]) -> None:
    for grant in node["grants"]:
        grant["privileges"] = sorted(set(grant["privileges"]))
        grant["environments"] = sorted(set(grant["environments"]))
    node["grants"].sort(key=lambda g: (g["principal"], g["environments"], g["privileges"]))
