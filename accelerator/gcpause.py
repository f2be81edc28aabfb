"""Pausing Python's cyclic garbage collector while the pipeline builds a model.

A 1,000-table model is a graph of ~10^6 objects that all stay alive until the pipeline returns, so
the collections its allocations trigger find nothing and cost a third of the run (see benchmarks/).
Reference counting still frees everything acyclic; afterwards the collector resumes, as it was, and
collects the young generation once, so that this deferred work is paid here and not at some later
allocation.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def collection_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
            # the young objects' one collection, here rather than at whichever allocation comes next
            gc.collect(0)


def without_collection(function: Callable[P, R]) -> Callable[P, R]:
    """Decorator form of `collection_paused`."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with collection_paused():
            return function(*args, **kwargs)

    return wrapper
