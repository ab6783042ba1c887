"""Refresh a panel with the newest result at most every few frames' worth of time."""

from __future__ import annotations

import time
from typing import Callable

from PySide6.QtCore import QObject, QTimer

#: Panels redraw at most this often (ms); the video view itself draws every result.
REFRESH_INTERVAL_MS = 100


class RefreshThrottle(QObject):
    """Calls `refresh` at most every `interval_ms`: at once when enough time has passed since
    the last refresh, else once, later, from a single-shot timer (newer results in between
    only replace what that refresh will show).

    Usage: the panel keeps its newest data, calls :meth:`request` on each result, and calls
    :meth:`refreshed` at the start of its own ``refresh`` (also when refreshed directly).

    Args:
        refresh: the panel's refresh slot.
        parent: owner of the timer (the panel).
        interval_ms: minimum time between two refreshes.
    """

    def __init__(self, refresh: Callable[[], None], parent: QObject, interval_ms: int = REFRESH_INTERVAL_MS):
        super().__init__(parent)
        self._refresh = refresh
        self.interval_ms = interval_ms
        self._refreshed_at = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(refresh)

    def request(self) -> None:
        """New data is there: refresh now, or schedule one refresh for when it is due."""
        elapsed_ms = (time.perf_counter() - self._refreshed_at) * 1000
        if elapsed_ms >= self.interval_ms:
            self._refresh()
        elif not self._timer.isActive():
            self._timer.start(max(1, int(self.interval_ms - elapsed_ms)))

    def refreshed(self) -> None:
        """The panel is refreshing now: cancel a scheduled refresh and restart the interval."""
        self._timer.stop()
        self._refreshed_at = time.perf_counter()

    def cancel(self) -> None:
        """Drop a scheduled refresh (e.g. on reset)."""
        self._timer.stop()
