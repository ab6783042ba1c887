"""Where the GUI thread's time goes: per-slot and per-paint timing for measured runs.

The window's result slots, panel refreshes and view paints are marked with :func:`timed`.
While a :class:`SlotTimes` is recording (``gui --stats-json``: :class:`~.run_stats.RunStats`
starts one), each call's wall time and GUI-thread CPU time are added under its name;
otherwise a marked call costs one global lookup. Calls nest: ``engine.deliver`` holds every
result slot, a panel's ``add_result`` may hold its own ``refresh``.
"""

from __future__ import annotations

import functools
import time
from typing import Callable, TypeVar

import numpy as np

F = TypeVar("F", bound=Callable)

_recording: "SlotTimes | None" = None


class SlotTimes:
    """Wall and CPU time (ms) per marked name, GUI thread only."""

    def __init__(self) -> None:
        self._wall: dict[str, list[float]] = {}
        self._cpu: dict[str, float] = {}

    def add(self, name: str, wall_ms: float, cpu_ms: float) -> None:
        """Record one call of `name`."""
        self._wall.setdefault(name, []).append(wall_ms)
        self._cpu[name] = self._cpu.get(name, 0.0) + cpu_ms

    def start(self) -> None:
        """Record the marked calls from now on (forgetting earlier ones); one recorder at a time."""
        global _recording
        self._wall.clear()
        self._cpu.clear()
        _recording = self

    def stop(self) -> None:
        """Stop recording (what was recorded is kept)."""
        global _recording
        if _recording is self:
            _recording = None

    def summary(self, per: int) -> dict:
        """``{name: {"count", "wall_ms": {"p50", "p99", "max"}, "cpu_ms_per_frame"}}``, the
        costliest first; `per` = frames the CPU time is divided by (displayed frames)."""
        out = {}
        for name in sorted(self._cpu, key=self._cpu.get, reverse=True):
            wall = np.asarray(self._wall[name])
            out[name] = {"count": int(wall.size),
                         "wall_ms": {f"p{q}": round(float(np.percentile(wall, q)), 3) for q in (50, 99)}
                         | {"max": round(float(wall.max()), 3)},
                         "cpu_ms_per_frame": round(self._cpu[name] / max(1, per), 3)}
        return out


def timed(name: str) -> Callable[[F], F]:
    """Mark a GUI-thread method or function: its calls are timed under `name` while a
    :class:`SlotTimes` records. Put it under ``@Slot`` (the slot then wraps the timed call)."""
    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            recording = _recording
            if recording is None:
                return function(*args, **kwargs)
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                recording.add(name, (time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000)
        return wrapper  # type: ignore[return-value]
    return decorate


def time_item_paints(item, name: str) -> None:
    """Time the paints of graphics `item` (a QGraphicsItem, e.g. a pyqtgraph ImageItem) under
    `name`: which item of a view costs what (they nest in the view's own paint time)."""
    item.paint = timed(name)(item.paint)


def time_paints(widget, name: str) -> None:
    """Time the paint events of `widget` (a QWidget, e.g. a pyqtgraph view) under `name`."""
    widget.paintEvent = timed(name)(widget.paintEvent)
