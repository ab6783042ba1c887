"""Decode ahead: a source wrapper whose frames are read on a background thread.

Video decode (the ``read`` stage) then overlaps inference instead of adding to it, as in
the app, where a reader thread feeds the inference worker. Used by the headless commands
(``infer``, ``bench``, ``export``).
"""

from __future__ import annotations

import queue
import threading

from .sources import Frame, Source

_END = object()


class _Failure:
    """An exception raised by the wrapped source, carried to the consumer."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


class PrefetchSource(Source):
    """Reads `source` on a background thread, up to `depth` frames ahead.

    :meth:`read` returns the frames in order and re-raises, in the caller's thread, any
    error the wrapped source raised (e.g. :class:`~.errors.SourceError`). :meth:`seek`
    and :meth:`close` stop the reader thread first (joined, not left behind).

    Args:
        source: the source to read; it is used only by the reader thread until
            :meth:`close` or :meth:`seek`.
        depth: how many decoded frames may wait (memory: depth x one frame).
    """

    def __init__(self, source: Source, depth: int = 3) -> None:
        self.source = source
        self.name, self.is_live = source.name, source.is_live
        self.frame_count, self.fps = source.frame_count, source.fps
        self._depth = max(1, depth)
        self._thread: threading.Thread | None = None
        self._finished = False
        self._start()

    def _start(self) -> None:
        self._queue: queue.Queue = queue.Queue(self._depth)
        self._stop = threading.Event()
        self._finished = False
        self._thread = threading.Thread(target=self._run, args=(self._queue, self._stop),
                                        name=f"prefetch {self.name}", daemon=True)
        self._thread.start()

    def _run(self, frames: queue.Queue, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                item = self.source.read()
            except Exception as exc:  # carried to read() in the consumer's thread
                item = _Failure(exc)
            frames.put(_END if item is None else item)
            if item is None or isinstance(item, _Failure):
                return

    def _halt(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        while self._thread.is_alive():
            try:  # make room so a blocked put() returns and the thread sees the stop
                self._queue.get(timeout=0.05)
            except queue.Empty:
                pass
        self._thread.join()
        self._thread = None

    @property
    def skipped_frames(self) -> int:
        """Frames the wrapped source passed over as undecodable (see :class:`~.sources.Source`)."""
        return self.source.skipped_frames

    def read(self) -> Frame | None:
        """The next frame, or None at the end.

        Raises:
            Exception: whatever the wrapped source raised while reading this frame.
        """
        if self._finished or self._thread is None:
            return None
        item = self._queue.get()
        if item is _END:
            self._finished = True
            return None
        if isinstance(item, _Failure):
            self._finished = True
            raise item.error
        return item

    def seek(self, index: int) -> None:
        """Stop reading ahead, seek the wrapped source, and read ahead from `index`."""
        self._halt()
        self.source.seek(index)
        self._start()

    def close(self) -> None:
        """Stop the reader thread and close the wrapped source."""
        self._halt()
        self.source.close()
