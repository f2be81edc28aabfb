"""The GC pause nests and counts across threads; the collector always comes back as it was."""

from __future__ import annotations

import gc
import threading

from accelerator.gcpause import collection_paused, without_collection


def test_pauses_nest_and_the_last_one_out_resumes() -> None:
    assert gc.isenabled()
    with collection_paused():
        with collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_pauses_in_threads_leave_the_collector_on() -> None:
    inside = threading.Barrier(4)
    seen: list[bool] = []

    @without_collection
    def turn() -> None:
        inside.wait()  # all four are paused at once
        seen.append(gc.isenabled())

    threads = [threading.Thread(target=turn) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [False] * 4
    assert gc.isenabled()


def test_an_error_inside_still_resumes() -> None:
    try:
        with collection_paused():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.isenabled()
