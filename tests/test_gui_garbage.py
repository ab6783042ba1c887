"""Garbage collection happens in the GUI thread only while a window is open."""

from __future__ import annotations

import gc
import threading

from movenet_studio.gui.garbage import GuiThreadGarbageCollector


class _Cycle:
    """A reference cycle that records the thread that freed it."""

    freed_in: list[str] = []

    def __init__(self):
        self.me = self

    def __del__(self):
        _Cycle.freed_in.append(threading.current_thread().name)


def test_a_window_takes_over_collection_and_gives_it_back(make_window, qtbot):
    assert gc.isenabled()
    window = make_window(source=None)
    assert not gc.isenabled()  # automatic collection off: no collection in a worker thread

    _Cycle.freed_in.clear()
    for _ in range(3):
        _Cycle()
    worker = threading.Thread(target=lambda: [object() for _ in range(100_000)], name="allocating-worker")
    worker.start()
    worker.join()
    assert "allocating-worker" not in _Cycle.freed_in  # the worker's allocations collected nothing

    window.close()  # the last collector's stop collects, in the GUI thread
    assert gc.isenabled()
    assert _Cycle.freed_in == [threading.main_thread().name] * 3


def test_the_timer_collects_a_generation_over_its_threshold(qtbot):
    collector = GuiThreadGarbageCollector()
    collector.start()
    try:
        _Cycle.freed_in.clear()
        _Cycle()
        kept = [[] for _ in range(2 * gc.get_threshold()[0])]  # generation 0 over its threshold
        assert collector.collect() >= 1 and _Cycle.freed_in == [threading.main_thread().name]
        del kept
    finally:
        collector.stop()


def test_nested_collectors_restore_only_at_the_last_stop(qtbot):
    first, second = GuiThreadGarbageCollector(), GuiThreadGarbageCollector()
    first.start()
    second.start()
    first.stop()
    assert not gc.isenabled()
    second.stop()
    assert gc.isenabled()
