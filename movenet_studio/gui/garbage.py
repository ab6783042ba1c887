"""Garbage collection in the GUI thread only, while a window is open.

Python's cyclic garbage collector runs in whichever thread happens to allocate when a
generation's threshold is crossed: with a window open that is often the inference worker,
a reader or an export thread. If that collection frees Qt objects (widgets, plot items and
their signal connections hold reference cycles), Qt deletes them outside the GUI thread,
and PySide releases the GIL inside those destructors, so the GUI thread can run while the
collector is halfway through tearing objects down. The result is a segmentation fault
"while garbage-collecting" at a random later moment (seen in the test suite while an export
or a benchmark ran beside playback). pyqtgraph documents the same hazard and the same cure
(``pyqtgraph.util.garbage_collector.GarbageCollector``): switch automatic collection off and
collect from a timer in the GUI thread. This module does that, and switches automatic
collection back on when the last window has closed.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

#: How often the GUI thread looks at the collector's counts (ms).
COLLECT_INTERVAL_MS = 500


class GuiThreadGarbageCollector(QObject):
    """Collect garbage from a GUI-thread timer while at least one instance is active.

    The first :meth:`start` of any instance turns automatic collection off (remembering
    whether it was on); each timer tick collects the oldest generation whose count is over
    its threshold, as the automatic collector would. The last :meth:`stop` collects once
    more and restores automatic collection. Create, start and stop it in the GUI thread.
    """

    _active = 0
    _was_enabled = True

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(COLLECT_INTERVAL_MS)
        self._timer.timeout.connect(self.collect)
        self._running = False

    def start(self) -> None:
        """Take over collection (idempotent)."""
        if self._running:
            return
        self._running = True
        cls = GuiThreadGarbageCollector
        if cls._active == 0:
            cls._was_enabled = gc.isenabled()
            gc.disable()
        cls._active += 1
        self._timer.start()

    def stop(self) -> None:
        """Collect once more and, after the last active instance, restore automatic collection."""
        if not self._running:
            return
        self._running = False
        self._timer.stop()
        cls = GuiThreadGarbageCollector
        cls._active -= 1
        if cls._active == 0:
            gc.collect()
            if cls._was_enabled:
                gc.enable()

    def collect(self) -> int:
        """Collect the oldest generation over its threshold (0 when none is); returns what
        :func:`gc.collect` found unreachable."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                return gc.collect(generation)
        return 0
