"""The progress bar of long commands (export, bench, eval, layers, batch), on stderr."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from ..core.progress import Progress


def clock(seconds: float) -> str:
    """``m:ss`` (or ``h:mm:ss``) for a duration in seconds."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class ProgressBar:
    """A progress listener (:data:`~movenet_studio.core.progress.ProgressListener`) drawing a
    bar with rate and ETA: pass it as ``JobControl(bar)`` to a core job.

    On a terminal the line redraws in place, at most 10 times a second; otherwise (logs,
    CI) one line is written at every 10 % step, so logs stay short. It never cancels (Ctrl-C
    is a ``KeyboardInterrupt``); call :meth:`finish` after a job that may have left the line open.

    Args:
        label: what is being done, e.g. the source's name or ``bench``.
        stream: where to draw (default stderr).
        unit: unit of the rate, e.g. ``fps`` for frames.
    """

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30, unit: str = "/s"):
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.unit = unit
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last = 0.0
        self._decile = -1
        self._open = False

    def __call__(self, progress: Progress) -> None:
        done, total = progress.done, progress.total
        now = time.perf_counter()
        line = self.line(done, total, progress.elapsed_s, progress.message)
        if self.tty:
            if done < total and now - self._last < 0.1:
                return
            self._last = now
            self.stream.write(f"\r{line[:118]:<118}")
            self._open = True
            if done >= total:
                self.finish()
        else:
            decile = int(10 * done / total) if total else 10
            if decile == self._decile:
                return
            self._decile = decile
            self.stream.write(line + "\n")
        self.stream.flush()

    def line(self, done: int, total: int, elapsed: float, message: str = "") -> str:
        """The bar text, e.g. ``pose_1.mp4 [#######-----]  45/120  37%  28.1 fps  ETA 0:03``."""
        fraction = min(1.0, done / total) if total else 1.0
        filled = int(round(self.width * fraction))
        rate = done / elapsed if elapsed > 0 else 0.0
        if done >= total:
            tail = f"took {clock(elapsed)}"
        else:
            tail = f"ETA {clock((total - done) / rate)}" if rate > 0 else "ETA -:--"
        text = (f"{self.label} [{'#' * filled}{'-' * (self.width - filled)}] {done:>{len(str(total))}}/{total} "
                f"{fraction:4.0%}  {rate:5.1f} {self.unit}  {tail}")
        return f"{text}  {message}" if message else text

    def finish(self) -> None:
        """End an in-place line left open (at the end, or after a cancel or an error)."""
        if self.tty and self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False
