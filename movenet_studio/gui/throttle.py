"""Refresh a panel with the newest result at most every few frames' worth of time."""

from __future__ import annotations

import time
from typing import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

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
        parent: the panel; owns the timer.
        interval_ms: minimum time between two refreshes.
        while_visible: refresh only while `parent` is visible, and catch up with the newest
            data when it appears (for panels whose drawing is costly: heads, model input).
    """

    def __init__(self, refresh: Callable[[], None], parent: QWidget, interval_ms: int = REFRESH_INTERVAL_MS,
                 *, while_visible: bool = False):
        super().__init__(parent)
        self._refresh = refresh
        self._panel = parent
        self._while_visible = while_visible
        if while_visible:
            parent.installEventFilter(self)
        self.interval_ms = interval_ms
        self._refreshed_at = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(refresh)

    def request(self) -> None:
        """New data is there: refresh now, or schedule one refresh for when it is due."""
        if self._while_visible and not self._panel.isVisible():
            return
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

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        """With ``while_visible``: refresh when the panel appears."""
        if event.type() == QEvent.Type.Show:
            self._refresh()
        return False
