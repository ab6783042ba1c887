"""The progress bar of long commands (export, bench, eval, layers, batch, quantize), on stderr, drawn by tqdm."""

from __future__ import annotations

import sys
from typing import TextIO

from tqdm import tqdm

from ..core.progress import Progress


class ProgressBar:
    """A progress listener (:data:`~movenet_studio.core.progress.ProgressListener`) drawing a
    bar with rate and ETA: pass it as ``JobControl(bar)`` to a core job.

    On a terminal tqdm redraws the line in place (at most 10 times a second); otherwise (logs,
    CI) one line in tqdm's format is written at every 10 % step, so logs stay short. The job's
    message (the current file, configuration or layer) follows the figures. It never cancels
    (Ctrl-C is a ``KeyboardInterrupt``); call :meth:`finish` after a job that may have left
    the line open.

    Args:
        label: what is being done, e.g. the source's name or ``bench``.
        stream: where to draw (default stderr).
        unit: what is counted, e.g. ``frame`` (the rate reads ``frame/s``) or ``person``.
    """

    def __init__(self, label: str, stream: TextIO | None = None, unit: str = "it"):
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.unit = unit
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._bar: tqdm | None = None
        self._decile = -1

    def __call__(self, progress: Progress) -> None:
        done, total = progress.done, progress.total
        if self.tty:
            if self._bar is None:
                self._bar = tqdm(total=total, desc=self.label, unit=self.unit, file=self.stream, mininterval=0.1,
                                 dynamic_ncols=True)
            bar = self._bar
            if bar.total != total:
                bar.total = total
            if progress.message:
                bar.set_postfix_str(progress.message, refresh=False)
            bar.update(done - bar.n)
            if done >= total:
                self.finish()
            return
        decile = int(10 * done / total) if total else 10
        if decile == self._decile:
            return
        self._decile = decile
        self.stream.write(self.line(done, total, progress.elapsed_s, progress.message) + "\n")
        self.stream.flush()

    def line(self, done: int, total: int, elapsed: float, message: str = "") -> str:
        """The bar text in tqdm's format, e.g. ``pose_1.mp4:  37%|###  | 45/120 [00:01<00:02, 28.10frame/s]``."""
        return tqdm.format_meter(done, total, elapsed, ncols=120, prefix=self.label, ascii=True, unit=self.unit,
                                 postfix=message or None)

    def finish(self) -> None:
        """End an in-place line left open (at the end, or after a cancel or an error)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
