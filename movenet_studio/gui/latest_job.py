"""Recurring computations off the GUI thread where only the newest answer counts.

A panel that redraws from data recorded elsewhere (the Timeline's jitter and lag over the
whole recording) must not compute on the GUI thread: tens of milliseconds there are tens
of milliseconds the window cannot react to input or draw the video. :class:`LatestJobRunner`
runs such jobs on one worker thread of its own with a one-slot "latest job wins" mailbox
(:class:`~movenet_studio.core.worker.LatestMailbox`, as frames reach the inference worker):

* a job submitted while another waits replaces it (never a queue of outdated work);
* each job carries a *token*; :meth:`LatestJobRunner.invalidate` (a new source, a reset)
  makes every job submitted before it stale: its answer is dropped when it arrives, so
  nothing computed from old data is ever drawn;
* answers arrive as the :attr:`~LatestJobRunner.finished` signal in the GUI thread.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from typing import Callable

from PySide6.QtCore import QObject, Signal, Slot

from ..core.worker import LatestMailbox

log = logging.getLogger(__name__)

#: How long :meth:`LatestJobRunner.stop` waits for a running job by default, in seconds.
STOP_TIMEOUT_S = 5.0

_FAILED = object()  # what a job that raised hands back (nothing is emitted for it)


class LatestJobRunner(QObject):
    """One worker thread running the newest submitted job. Create and command it in the GUI thread.

    Args:
        name: the worker thread's name.
        parent: Qt parent (the panel).

    Signals (GUI thread):
        finished(object, float): a current job's return value and its run time in ms. Jobs
            made stale by :meth:`invalidate` and jobs that raised (logged) emit nothing.
    """

    finished = Signal(object, float)
    _done = Signal(int, int, object, float)  # worker thread -> GUI thread: token, job number, value, ms

    def __init__(self, name: str = "movenet-latest-job", parent: QObject | None = None):
        super().__init__(parent)
        self._name = name
        self._jobs: LatestMailbox[tuple[int, int, Callable[[], object] | None]] = LatestMailbox()
        self._token = 0          # GUI thread: jobs submitted under an older token are stale
        self._submitted = 0      # GUI thread: number of the newest job submitted
        self._answered = 0       # GUI thread: number of the newest job answered (or given up)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.stale_answers = 0   #: answers dropped because :meth:`invalidate` came after their job
        self._done.connect(self._on_done)

    @property
    def busy(self) -> bool:
        """True from :meth:`submit` until the answer of that job arrived (GUI thread)."""
        return self._answered < self._submitted

    def submit(self, job: Callable[[], object]) -> None:
        """Run ``job()`` on the worker thread, replacing a job still waiting (GUI thread).

        `job` must be thread-safe (read only thread-safe data such as a recorder's
        snapshots) and must not touch Qt objects.
        """
        if self._stopping.is_set():
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()
        self._submitted += 1
        self._jobs.put((self._token, self._submitted, job))

    def invalidate(self) -> None:
        """Drop the waiting job and the answers of all jobs submitted so far (GUI thread)."""
        self._token += 1
        self._jobs.clear()
        self._answered = self._submitted

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> bool:
        """End the worker thread (after the job it runs, if any); True when it has ended.

        Safe to call more than once; later :meth:`submit` calls are ignored.
        """
        self._stopping.set()
        self.invalidate()
        self._jobs.put((self._token, 0, None))  # wake the thread
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def _run(self) -> None:
        while not self._stopping.is_set():
            item = self._jobs.take()
            if item is None or item[2] is None:
                continue
            token, number, job = item
            start = time.perf_counter()
            try:
                value = job()
            except Exception:  # noqa: BLE001 - a failed job is logged; the panel keeps its last figures
                log.warning("background job failed:\n%s", traceback.format_exc().rstrip())
                value = _FAILED
            if not self._stopping.is_set():
                self._done.emit(token, number, value, (time.perf_counter() - start) * 1000)

    @Slot(int, int, object, float)
    def _on_done(self, token: int, number: int, value: object, ms: float) -> None:
        if token != self._token:
            self.stale_answers += 1  # made stale by invalidate(): computed from data no longer shown
            return
        self._answered = max(self._answered, number)
        if value is not _FAILED:
            self.finished.emit(value, ms)

