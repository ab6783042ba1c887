"""The worker's result hand-over: the newest :class:`~.results.EngineResult` waits for the
taker (the window's GUI thread) in one slot; a newer one replaces it (counted), and the taker
is notified once per take."""

from __future__ import annotations

import threading

from .results import EngineResult


class ResultHandOver:
    """One slot from the worker thread to the taker; thread-safe."""

    def __init__(self):
        self._lock = threading.Lock()
        self._latest: EngineResult | None = None
        self._notify_pending = False
        self.replaced = 0  #: results replaced by a newer one before they were taken

    def put(self, result: EngineResult) -> bool:
        """Store `result` (newest wins); True when the taker must be notified (it has been told of
        nothing since its last :meth:`take`)."""
        with self._lock:
            if self._latest is not None:
                self.replaced += 1
            self._latest = result
            notify = not self._notify_pending
            self._notify_pending = True
        return notify

    def take(self) -> EngineResult | None:
        """Remove and return the waiting result (None when there is none); the next :meth:`put`
        notifies again."""
        with self._lock:
            result, self._latest = self._latest, None
            self._notify_pending = False
        return result
