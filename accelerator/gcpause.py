"""Pausing Python's cyclic garbage collector while the pipeline builds a model.

A large model is a graph of up to millions of objects that all stay alive until the pipeline returns,
so the collections its allocations trigger find nothing, and a large share of the run goes to them
(benchmarks/bench_plan.py measures it; the figures are in the README).
Only entry points pause it (a CLI command, a conversation turn), never the core: a long-running
process collects between turns.
Reference counting still frees everything acyclic. The collector is process-wide, so pauses nest and
count across threads: the first one in switches it off (if it was on), the last one out switches it
back on and collects the young generation once, so the deferred work is paid there.
"""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def collection_paused() -> Iterator[None]:
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            resume = _depth == 0 and _was_enabled
            if resume:
                gc.enable()
        if resume:
            gc.collect(0)


def without_collection(function: Callable[P, R]) -> Callable[P, R]:
    """Decorator form of `collection_paused`."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with collection_paused():
            return function(*args, **kwargs)

    return wrapper
