"""What a re-render reuses: each table's pieces of output, kept under the table's content.

A chat turn changes one table, but the project is re-parsed and re-governed, so every table is a new
object, equal in content to the last turn's. Every output (model.json, the SQL of each environment,
the docs and their diagram) is assembled from per-table pieces, and each kind of piece is a
`PieceKind` declared at the end of this module. A piece is made by a function of two arguments,
`make(place, table)`, and kept under the one key `PieceKind.piece` builds from those same arguments:

- `place`, a hashable value holding everything besides the table that the piece reads (its schema's
  name, the templates, the catalog's physical name, the environment, the deployment settings, the
  names of the entities it references...), compared by value;
- the table's `content_key`: the JSON pydantic writes for it (in Rust), every field including what
  the policy added; what the model excludes from its JSON (spans, a column's `source_type`, a foreign
  key's `label`) is not in it, so a kind whose text shows one of those declares it (`shown`).

A make function reads nothing else, so the piece is a pure function of its key and a hit is exact.
A failed make stores nothing, so its error is raised again, with the current spans. `verify_hits`
turns on a check (the test suite runs with it) that makes the piece again on a hit and raises
`StalePieceError` if the two differ: a key that misses something its piece reads fails there.

Content keys are computed once per table within a render pass (`render_pass`, opened by `generate`
and by each renderer), so the SQL of each environment, the docs and model.json share them. The
memo lives only as long as the pass and holds the tables it keys, so an id is never reused while
it stands, and a table changed in place between two renders is simply keyed again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

from pydantic_core import PydanticSerializationError

from accelerator.model.elements import Table

PlaceT = TypeVar("PlaceT", bound=Hashable)
ValueT = TypeVar("ValueT")

# Each kind holds the pieces of this many table versions (the SQL 4x, for four environments): a
# 1,000-table model and as many edited versions, so one turn's edit never evicts the unchanged rest.
MAX_TABLE_VERSIONS = 2048

_table_json = Table.__pydantic_serializer__.to_json
# id(table) -> (the table, its content key) for the render pass in progress, if any.
_PASS: ContextVar[dict[int, tuple[Table, bytes | None]] | None] = ContextVar("render_pass", default=None)


class StalePieceError(AssertionError):
    """A cached piece differs from what its key makes now: the key misses something the piece reads."""


class HitsAndMisses(NamedTuple):
    hits: int
    misses: int


@dataclass
class _Verification:
    every: int = 0  # verify every n-th hit of each kind; 0: never


_verification = _Verification()


def verify_hits(every: int = 1) -> int:
    """Make the piece again on every `every`-th hit of each kind (0: never) and raise
    `StalePieceError` if it differs from the cached one; returns the previous setting. For tests: a
    verified hit costs what a miss does."""
    previous, _verification.every = _verification.every, max(every, 0)
    return previous


def content_key(table: Table) -> bytes | None:
    """The table's content as JSON (spans excluded), or None if it cannot be written (a lone
    surrogate in a name, say): then nothing of that table is cached."""
    memo = _PASS.get()
    if memo is not None:
        entry = memo.get(id(table))
        if entry is not None:
            if _verification.every and entry[1] != _written(table):
                raise StalePieceError(f"table {table.name!r} was changed in place after it was keyed")
            return entry[1]
    key = _written(table)
    if memo is not None:
        memo[id(table)] = (table, key)
    return key


def same_content(first: Table, second: Table) -> bool:
    """Whether the two tables are equal in content (their content keys, memoised in a render pass,
    are equal): what a model diff may skip. False when either cannot be keyed."""
    if first is second:
        return True
    key = content_key(first)
    return key is not None and key == content_key(second)


def _written(table: Table) -> bytes | None:
    try:
        return _table_json(table, warnings=False)
    except PydanticSerializationError:
        return None


# The content keys of some tables, kept beyond the pass that computed them (`kept_keys`), with the
# tables themselves, so that an id is not reused while its key is kept.
KeptKeys = dict[int, tuple[Table, bytes | None]]


@contextmanager
def render_pass(kept: KeptKeys | None = None) -> Iterator[None]:
    """Share content keys among the renders inside (nested passes join the outermost one). `kept`:
    keys an earlier pass computed for tables the caller holds unchanged since (`kept_keys`), e.g. a
    conversation's last generated model, which the next turn's migrations are diffed against."""
    if _PASS.get() is not None:
        yield
        return
    token = _PASS.set(dict(kept) if kept else {})
    try:
        yield
    finally:
        _PASS.reset(token)


def kept_keys(tables: Iterable[Table]) -> KeptKeys:
    """The content keys the pass in progress has for `tables` (those it keyed), to start a later
    pass with (`render_pass(kept=...)`); nothing outside a pass."""
    memo = _PASS.get()
    if memo is None:
        return {}
    return {id(table): entry for table in tables if (entry := memo.get(id(table))) is not None}


class PieceKind(Generic[PlaceT, ValueT]):
    """A thread-safe LRU map of at most `maxsize` immutable pieces of one kind, each made by
    `make(place, table)` and kept under `(place, content_key(table), *shown(table))`."""

    def __init__(
        self, name: str, maxsize: int, shown: Callable[[Table], tuple[Hashable, ...]] | None = None
    ) -> None:
        self.name = name
        self.maxsize = maxsize
        self._shown = shown
        self._items: OrderedDict[Hashable, ValueT] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = self._misses = 0
        _KINDS.append(self)

    def key(self, place: PlaceT, table: Table) -> Hashable | None:
        """What the piece of `table` at `place` is kept under; None when the table has no content key."""
        content = content_key(table)
        if content is None:
            return None
        if self._shown is None:
            return (place, content)
        return (place, content, self._shown(table))

    def piece(self, make: Callable[[PlaceT, Table], ValueT], place: PlaceT, table: Table) -> ValueT:
        """The piece under the key of `place` and `table`, made by `make(place, table)` when missing."""
        key = self.key(place, table)
        if key is None:
            return make(place, table)
        verify = False
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self._hits += 1
                verify = _verification.every > 0 and self._hits % _verification.every == 0
            else:
                self._misses += 1
        if found is None:
            found = make(place, table)  # a failed make raises here and stores nothing
            with self._lock:
                self._items[key] = found
                if len(self._items) > self.maxsize:
                    self._items.popitem(last=False)
        elif verify:
            self._verify(found, make(place, table), key)
        return found

    def _verify(self, cached: ValueT, fresh: ValueT, key: Hashable) -> None:
        if fresh != cached:
            shown = repr(key)
            raise StalePieceError(
                f"a cached {self.name} differs from what its key makes now: the key misses something "
                f"the piece reads\nkey: {shown[:400]}{'...' if len(shown) > 400 else ''}\n"
                f"cached: {cached!r}\nfresh: {fresh!r}"
            )

    def hits_and_misses(self) -> HitsAndMisses:
        with self._lock:
            return HitsAndMisses(self._hits, self._misses)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_KINDS: list[PieceKind[Any, Any]] = []


def clear() -> None:
    """Forget every cached piece (hit and miss counts stay)."""
    for kind in _KINDS:
        kind.clear()


def statistics() -> dict[str, HitsAndMisses]:
    """Hits and misses of each kind of piece since the process started."""
    return {kind.name: kind.hits_and_misses() for kind in _KINDS}


def _relationship_labels(table: Table) -> tuple[Hashable, ...]:
    return tuple(fk.label for fk in table.foreign_keys)


# -- the kinds of pieces, and what each shows of a table beyond its content --------------------------

# A table's canonical JSON, indented for its place in model.json (`render.model_json`); place: None.
MODEL_JSON_TABLES: PieceKind[None, bytes] = PieceKind("model.json table", MAX_TABLE_VERSIONS)
# A table's section of the data dictionary (`render.markdown`); place: its schema's name.
DOCS_TABLES: PieceKind[str, str] = PieceKind("docs table section", MAX_TABLE_VERSIONS)
# A table's diagram entity and relationship lines (`render.mermaid`): place: its entity name and
# those of the tables its foreign keys reference; the foreign keys' labels are shown too.
DIAGRAM_ENTITIES: PieceKind[tuple[str, tuple[str | None, ...]], tuple[str, tuple[str, ...]]] = PieceKind(
    "diagram entity", MAX_TABLE_VERSIONS, shown=_relationship_labels
)
