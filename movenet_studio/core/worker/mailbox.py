"""A one-slot "latest item wins" mailbox: how frames reach the inference worker.

Qt-free; used by :class:`~movenet_studio.core.worker.loop.InferenceWorker` for frames and
model requests, which share one condition so the worker waits on both at once.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class LatestMailbox(Generic[T]):
    """A one-slot mailbox where the newest item wins.

    :meth:`put` replaces a pending item (and says so, so the caller can count drops);
    :meth:`take` removes it. Thread-safe; several mailboxes may share one condition so a
    consumer can wait on all of them at once.

    Args:
        condition: the condition guarding the slot (default: a new one with an RLock).
    """

    def __init__(self, condition: threading.Condition | None = None):
        self.condition = condition or threading.Condition(threading.RLock())
        self._item: T | None = None
        self._has_item = False
        self.replaced = 0

    def put(self, item: T) -> bool:
        """Store `item`, replacing any pending one; returns True when one was replaced."""
        with self.condition:
            replaced = self._has_item
            if replaced:
                self.replaced += 1
            self._item, self._has_item = item, True
            self.condition.notify_all()
            return replaced

    def take_nowait(self) -> T | None:
        """Remove and return the pending item, or None when the slot is empty."""
        with self.condition:
            item, self._item, self._has_item = self._item, None, False
            self.condition.notify_all()
            return item

    def take(self, timeout: float | None = None) -> T | None:
        """Wait up to `timeout` seconds for an item and remove it (None on timeout)."""
        with self.condition:
            self.condition.wait_for(lambda: self._has_item, timeout)
            return self.take_nowait()

    def clear(self) -> bool:
        """Drop the pending item without counting it; returns True when there was one."""
        with self.condition:
            had = self._has_item
            self._item, self._has_item = None, False
            self.condition.notify_all()
            return had

    @property
    def pending(self) -> bool:
        """True when an item waits in the slot."""
        with self.condition:
            return self._has_item

    def wait_empty(self, timeout: float | None = None) -> bool:
        """Wait until the slot is empty; returns False on timeout."""
        with self.condition:
            return self.condition.wait_for(lambda: not self._has_item, timeout)
