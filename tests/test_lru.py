"""`accelerator.lru.BoundedLru`: the least recently used entries go first, by count and by size; an
entry over the size bound is not kept; threads writing at once keep the bounds and the accounting."""

from __future__ import annotations

import sys
import threading

import pytest

from accelerator.lru import BoundedLru


def by_length(max_size: int, max_entries: int | None = None) -> BoundedLru[str, str]:
    return BoundedLru(max_entries, max_size=max_size, size=lambda _key, text: len(text))


def test_the_least_recently_used_entry_goes_first_by_count() -> None:
    cache: BoundedLru[str, int] = BoundedLru(3)
    for number, key in enumerate("abc"):
        cache.put(key, number)
    assert cache.get("a") == 0  # now the most recent: b is the oldest
    cache.put("d", 3)
    assert list(cache) == ["c", "a", "d"]
    assert "b" not in cache and cache.get("b") is None
    cache.put("e", 4)
    assert list(cache) == ["a", "d", "e"] and len(cache) == 3


def test_the_least_recently_used_entries_go_first_by_size() -> None:
    cache = by_length(10)
    cache.put("a", "xxxx")
    cache.put("b", "xxx")
    cache.put("c", "xxx")
    assert cache.total_size == 10
    cache.get("a")
    cache.put("d", "xxxxx")  # 15: b (3) and c (3) go, a (read last) stays
    assert list(cache) == ["a", "d"] and cache.total_size == 9


def test_both_bounds_hold_at_once() -> None:
    cache = by_length(100, max_entries=2)
    for key in "abc":
        cache.put(key, "x")
    assert list(cache) == ["b", "c"] and cache.total_size == 2


def test_an_entry_over_the_size_bound_is_not_kept_and_evicts_nothing() -> None:
    cache = by_length(5)
    cache.put("a", "xx")
    cache.put("b", "xx")
    assert cache.put_new("big", "x" * 6) is False
    cache.put("big", "x" * 6)
    assert "big" not in cache and list(cache) == ["a", "b"] and cache.total_size == 4
    cache.put("c", "x" * 5)  # exactly the bound: kept, the others go
    assert list(cache) == ["c"] and cache.total_size == 5


def test_put_replaces_and_refreshes_put_new_keeps_the_first() -> None:
    cache = by_length(100)
    cache.put("a", "one")
    cache.put("b", "two")
    assert cache.put_new("a", "other") is False  # kept already: unchanged, and not refreshed
    assert list(cache) == ["a", "b"] and cache.get("a") == "one"
    assert cache.put_new("c", "three") is True
    cache.put("b", "four!")  # replaced, and now the most recent
    assert cache.get("b") == "four!" and list(cache) == ["a", "c", "b"] and cache.total_size == 13
    cache.put("b", "x" * 101)  # a replacement over the bound: the old value goes too (it is stale)
    assert "b" not in cache and cache.total_size == 8


def test_contains_does_not_refresh_and_clear_forgets_everything() -> None:
    cache: BoundedLru[str, None] = BoundedLru(2)
    cache.put("a", None)
    cache.put("b", None)
    assert "a" in cache  # a stays the oldest
    cache.put("c", None)
    assert list(cache) == ["b", "c"]
    cache.clear()
    assert len(cache) == 0 and not cache and cache.total_size == 0


def test_lowering_a_bound_applies_at_the_next_write() -> None:
    cache = by_length(100, max_entries=10)
    for key in "abcde":
        cache.put(key, "xx")
    cache.max_entries, cache.max_size = 3, 4
    cache.put("f", "xx")
    assert list(cache) == ["e", "f"] and cache.total_size == 4


def test_a_bound_is_required_and_a_size_bound_needs_its_function() -> None:
    with pytest.raises(ValueError, match="needs a bound"):
        BoundedLru()
    with pytest.raises(ValueError, match="go together"):
        BoundedLru(max_size=10)
    with pytest.raises(ValueError, match="go together"):
        BoundedLru(5, size=lambda _key, _value: 1)


def test_threads_writing_at_once_keep_the_bounds_and_the_accounting() -> None:
    cache = by_length(5_000, max_entries=300)
    threads = 8
    barrier = threading.Barrier(threads)
    seen: list[tuple[int, int]] = []
    failures: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            barrier.wait()
            for number in range(2_000):
                key = f"{(worker * 7 + number) % 500}"
                value = "x" * (1 + number % 40)
                if number % 3:
                    cache.put(key, value)
                else:
                    cache.put_new(key, value)
                found = cache.get(key)
                assert found is None or set(found) == {"x"}
                seen.append((len(cache), cache.total_size))
        except BaseException as failure:  # a thread's failure fails the test
            failures.append(failure)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often: races show if the lock does not hold
    try:
        workers = [threading.Thread(target=write, args=(worker,)) for worker in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        sys.setswitchinterval(interval)
    assert not failures
    assert len(seen) == threads * 2_000
    assert all(count <= 300 and size <= 5_000 for count, size in seen)
    kept = {key: cache.get(key) for key in cache}
    assert len(kept) == len(cache) <= 300 and None not in kept.values()
    assert cache.total_size == sum(len(value or "") for value in kept.values())
