"""Long jobs off the GUI thread (export, benchmark): one plain worker thread per job, with
progress, cooperative cancel and the outcome delivered as signals in the GUI thread.

:class:`BackgroundTask` is a QObject that lives in the GUI thread. Its job gets a core
:class:`~movenet_studio.core.progress.JobControl` (the one progress / cancel protocol of the
core): the job's :class:`~movenet_studio.core.progress.Progress` reports become the
:attr:`BackgroundTask.progress` signal, :meth:`BackgroundTask.cancel` cancels its token, and
the core's :class:`~movenet_studio.core.errors.Cancelled` ends it as cancelled. The worker
thread only emits signals (Qt queues them to the receivers' thread), so connect them to
bound slots of GUI-thread objects, never to lambdas. Progress is throttled to at most one
signal every :data:`PROGRESS_INTERVAL_S` (the first and last always go through), so a fast
job never floods the event loop.
"""

from __future__ import annotations

import threading
import time
import traceback
from typing import Callable

from PySide6.QtCore import QObject, Signal

from ..core.errors import Cancelled, StudioError
from ..core.progress import CancelToken, JobControl, Progress

#: Progress signals are emitted at most this often, in seconds (first and last always).
PROGRESS_INTERVAL_S = 0.05

#: How long :meth:`BackgroundTask.stop` waits for the worker by default, in seconds.
DEFAULT_JOIN_TIMEOUT = 10.0


#: What a job is: ``job(control) -> result``, run on the worker thread with a
#: :class:`~movenet_studio.core.progress.JobControl` (progress reports and the cancel token).
Job = Callable[[JobControl], object]


class BackgroundTask(QObject):
    """Runs one job on a worker thread. Create and command it in the GUI thread.

    Args:
        job: ``job(control) -> result``, run on the worker thread; it reports through
            ``control.report`` and stops with :class:`~movenet_studio.core.errors.Cancelled`
            soon after the token is cancelled (or returns early: None then counts as cancelled).
        name: thread name (shows in debuggers and leaked-thread reports).
        parent: Qt parent.

    Signals (delivered in the GUI thread when connected to GUI-thread slots):
        progress(int, int, str, float): done, total, message, seconds since start.
        succeeded(object): the job's return value.
        failed(str, str): message and details (a traceback for unexpected errors).
        cancelled(str): the job ended early on request; the message says what was kept.
        ended(): after any of the three outcomes (the thread is about to exit).
    """

    progress = Signal(int, int, str, float)
    succeeded = Signal(object)
    failed = Signal(str, str)
    cancelled = Signal(str)
    ended = Signal()

    def __init__(self, job: Job, *, name: str = "movenet-task", parent: QObject | None = None):
        super().__init__(parent)
        self._job = job
        self._name = name
        self._token = CancelToken()
        self._last_emit = 0.0
        self._thread: threading.Thread | None = None
        self.outcome: str | None = None  #: ``succeeded``, ``failed`` or ``cancelled`` once ended

    @property
    def is_running(self) -> bool:
        """True while the worker thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the worker thread (once)."""
        if self._thread is not None:
            raise RuntimeError("a BackgroundTask runs once")
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=False)
        self._thread.start()

    def cancel(self) -> None:
        """Ask the job to stop (any thread); the outcome arrives as :attr:`cancelled`."""
        self._token.cancel()

    @property
    def cancel_requested(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._token.cancelled

    def stop(self, timeout: float = DEFAULT_JOIN_TIMEOUT) -> bool:
        """Cancel and wait up to `timeout` seconds for the thread; True when it has ended."""
        self.cancel()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end without cancelling; True when it has ended."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _emit_progress(self, progress: Progress) -> None:
        """The job's progress listener (worker thread): throttled into :attr:`progress`."""
        now = time.perf_counter()
        if progress.done <= 0 or progress.done >= progress.total or now - self._last_emit >= PROGRESS_INTERVAL_S:
            self._last_emit = now
            self.progress.emit(progress.done, progress.total, progress.message, progress.elapsed_s)

    def _run(self) -> None:
        try:
            result = self._job(JobControl(self._emit_progress, self._token))
        except Cancelled as exc:
            self.outcome = "cancelled"
            self.cancelled.emit(str(exc) or "cancelled")
        except StudioError as exc:
            self.outcome = "failed"
            self.failed.emit(str(exc), "")
        except BaseException as exc:  # a job must never die silently
            self.outcome = "failed"
            self.failed.emit(f"{type(exc).__name__}: {exc}", traceback.format_exc())
        else:
            if self._token.cancelled and result is None:
                self.outcome = "cancelled"
                self.cancelled.emit("cancelled")
            else:
                self.outcome = "succeeded"
                self.succeeded.emit(result)
        finally:
            self.ended.emit()


def format_eta(done: int, total: int, elapsed_s: float) -> str:
    """``"45/120 · 28.1 /s · ETA 0:03"``: progress with rate and time left (``ETA –`` until known)."""
    rate = done / elapsed_s if elapsed_s > 0 and done > 0 else 0.0
    if rate > 0 and total > done:
        left = round((total - done) / rate)
        hours, rest = divmod(left, 3600)
        eta = f"ETA {hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"ETA {rest // 60}:{rest % 60:02d}"
    elif total and done >= total:
        eta = "finishing…"
    else:
        eta = "ETA –"
    rate_text = f"{rate:.1f}/s" if rate > 0 else "–/s"
    return f"{done}/{total} · {rate_text} · {eta}"
