"""One progress / cancel protocol for every long job of the core.

Long jobs (bench :func:`~.bench.runner.run_bench`, evaluation
:func:`~.evaluation.run.evaluate`, export :func:`~.output.export.export_video` and
:func:`~.output.export_job.run_export`, layers :meth:`~.layers.runner.LayerComparison.run`, batch
:func:`~.distributed.batch_run.run_tasks`) take one optional ``control: JobControl``. Through it they

- report :class:`Progress` (``done`` of ``total`` work units, a short message, the seconds
  since the job started) to the caller's listener, in the job's own thread: the CLI's
  :class:`~movenet_studio.cli.progress.ProgressBar`, the window's
  :class:`~movenet_studio.gui.background.BackgroundTask` (which turns it into a Qt signal);
- stop when the caller cancels the :class:`CancelToken` (from any thread): every
  :meth:`JobControl.report` is a cancellation point, and jobs call
  :meth:`JobControl.raise_if_cancelled` where they can stop between reports. Either raises
  :class:`~.errors.Cancelled`, after which the job removes what it had written (no partial
  file) and re-raises it. A job with a useful partial result (bench: the configurations
  measured so far) attaches it as ``Cancelled.partial``.

Ctrl-C in the CLI stays a ``KeyboardInterrupt`` (raised wherever the job is); jobs clean up
for it the same way. Nothing here imports Qt.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

from .errors import Cancelled

__all__ = ["CancelToken", "Cancelled", "JobControl", "Progress", "ProgressListener"]


@dataclass(frozen=True, slots=True)
class Progress:
    """One progress report of a long job.

    Attributes:
        done: work units finished (frames, invokes, persons, images, sources), 0..total.
        total: work units of the whole job (>= 1; an estimate for sources of unknown length).
        message: what is being done now, short (e.g. ``lightning/tflite/2t: raw inference``),
            or ``""``.
        elapsed_s: seconds since the job started (its :class:`JobControl` was made).
    """

    done: int
    total: int
    message: str = ""
    elapsed_s: float = 0.0

    @property
    def fraction(self) -> float:
        """done / total clipped to 0..1 (1 when total is 0)."""
        return min(1.0, max(0.0, self.done / self.total)) if self.total else 1.0


#: Receives each :class:`Progress` of a job, in the job's thread; must return quickly.
ProgressListener = Callable[[Progress], object]


class CancelToken:
    """A thread-safe "please stop" flag: the caller cancels, the job checks.

    Cancelling is one-way (a token is never reset); make a new token for a new job.
    """

    __slots__ = ("_event",)

    def __init__(self):
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the job to stop (any thread); it stops at its next cancellation point."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._event.is_set()

    def raise_if_cancelled(self, message: str = "cancelled") -> None:
        """Raise :class:`~.errors.Cancelled` (with `message`) once :meth:`cancel` was called."""
        if self._event.is_set():
            raise Cancelled(message)


class JobControl:
    """What a long job is given: where its progress goes and the token that stops it.

    Args:
        listener: called with each :class:`Progress`, in the job's thread (None: progress is
            dropped). Its return value is ignored; it may cancel :attr:`token`.
        token: the :class:`CancelToken` the caller cancels (default: a new one).

    Attributes:
        token: the cancel token.
        started: ``time.perf_counter()`` when this control was made (the job's start).
    """

    __slots__ = ("listener", "token", "started")

    def __init__(self, listener: ProgressListener | None = None, token: CancelToken | None = None):
        self.listener = listener
        self.token = token if token is not None else CancelToken()
        self.started = time.perf_counter()

    @property
    def cancelled(self) -> bool:
        """True once the token was cancelled."""
        return self.token.cancelled

    def raise_if_cancelled(self, message: str = "cancelled") -> None:
        """Raise :class:`~.errors.Cancelled` (with `message`) once the token was cancelled."""
        self.token.raise_if_cancelled(message)

    def report(self, done: int, total: int, message: str = "") -> None:
        """Send ``Progress(done, total, message, elapsed)`` to the listener; a cancellation point.

        Raises:
            Cancelled: the token was cancelled (before or by the listener); message
                ``cancelled after DONE of TOTAL``.
        """
        if self.listener is not None:
            self.listener(Progress(int(done), int(total), message, time.perf_counter() - self.started))
        self.token.raise_if_cancelled(f"cancelled after {done} of {total}")
