"""`BoundedLru`: a thread-safe mapping that forgets its least recently used entries beyond a bound.

The bound is a number of entries, a total size (each entry's by a size function: the bytes of a
blob, the characters of a text), or both. An entry larger than the size bound on its own is not
kept (and evicts nothing). Pure: no I/O, so the core and the channels both use it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedLru(Generic[K, V]):
    """At most `max_entries` entries and `max_size` in all (by `size(key, value)`), the least
    recently used (read by `get` or written by `put`) forgotten first. A bound is read at each
    write, so lowering one applies at the next write. Safe to share between threads."""

    def __init__(
        self,
        max_entries: int | None = None,
        *,
        max_size: int | None = None,
        size: Callable[[K, V], int] | None = None,
    ) -> None:
        if max_entries is None and max_size is None:
            raise ValueError("BoundedLru needs a bound: max_entries, max_size or both")
        if (max_size is None) != (size is None):
            raise ValueError("BoundedLru: max_size and size (the size function) go together")
        self.max_entries = max_entries
        self.max_size = max_size
        self._size_of = size
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()  # key -> (value, its size)
        self._total = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value, now the most recently used; None when it is not kept."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: K, value: V) -> None:
        """Keep `value` as the most recently used, in place of what `key` held."""
        with self._lock:
            self._forget(key)
            self._keep(key, value)

    def put_new(self, key: K, value: V) -> bool:
        """Keep `value` unless `key` is kept already (then nothing changes, not even its recency);
        whether `value` was kept."""
        with self._lock:
            return key not in self._items and self._keep(key, value)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._total = 0

    def __contains__(self, key: object) -> bool:
        """Whether `key` is kept (its recency unchanged)."""
        with self._lock:
            return key in self._items

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __iter__(self) -> Iterator[K]:
        """The keys, least recently used first (a copy: the cache may change meanwhile)."""
        with self._lock:
            return iter(list(self._items))

    @property
    def total_size(self) -> int:
        """The kept entries' sizes, added up (0 without a size function)."""
        with self._lock:
            return self._total

    def _forget(self, key: K) -> None:
        dropped = self._items.pop(key, None)
        if dropped is not None:
            self._total -= dropped[1]

    def _keep(self, key: K, value: V) -> bool:
        weight = 0 if self._size_of is None else self._size_of(key, value)
        if self.max_size is not None and weight > self.max_size:
            return False
        self._items[key] = (value, weight)
        self._total += weight
        while (self.max_entries is not None and len(self._items) > self.max_entries) or (
            self.max_size is not None and self._total > self.max_size
        ):
            self._total -= self._items.popitem(last=False)[1][1]
        return key in self._items  # not when the bound is no entries at all
