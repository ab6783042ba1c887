"""Resident memory and thread count over a long run (soak tests, ``infer --loop``)."""

from __future__ import annotations

import threading

import psutil

#: Frames after which memory is taken as warmed up (runtimes allocate lazily at first).
WARM_UP_FRAMES = 100


class ResourceMonitor:
    """Samples this process's resident memory (RSS) and thread counts.

    Call :meth:`frame_done` after each frame; the baseline is taken after
    :data:`WARM_UP_FRAMES` frames, then the peak is tracked every 100 frames.

    Attributes:
        baseline_mb, peak_mb, last_mb: RSS in MB (10^6 bytes), None until measured.
        baseline_threads, last_threads: Python threads (``threading.active_count()``) at those points.
        baseline_os_threads, last_os_threads: all threads of the process, native runtime and
            Qt threads included (``psutil.Process().num_threads()``).
    """

    def __init__(self) -> None:
        self._process = psutil.Process()
        self.baseline_mb: float | None = None
        self.peak_mb: float | None = None
        self.last_mb: float | None = None
        self.baseline_threads: int | None = None
        self.last_threads: int | None = None
        self.baseline_os_threads: int | None = None
        self.last_os_threads: int | None = None
        self.frames = 0

    def _rss_mb(self) -> float:
        return self._process.memory_info().rss / 1e6

    def frame_done(self, count: int) -> None:
        """Record that `count` frames are done (cheap except every 100th frame)."""
        self.frames = count
        if count % 100:
            return
        rss = self._rss_mb()
        threads, os_threads = threading.active_count(), self._process.num_threads()
        if count == WARM_UP_FRAMES:
            self.baseline_mb, self.baseline_threads, self.baseline_os_threads = rss, threads, os_threads
        self.peak_mb = rss if self.peak_mb is None else max(self.peak_mb, rss)
        self.last_mb, self.last_threads, self.last_os_threads = rss, threads, os_threads

    @property
    def growth_mb(self) -> float | None:
        """Peak RSS after warm-up minus the warmed-up baseline, MB."""
        if self.baseline_mb is None or self.peak_mb is None:
            return None
        return self.peak_mb - self.baseline_mb

    def to_json(self) -> dict:
        """The figures as a JSON object."""
        return {"frames": self.frames, "rss_after_warmup_mb": self.baseline_mb, "rss_peak_mb": self.peak_mb,
                "rss_last_mb": self.last_mb, "rss_growth_mb": self.growth_mb,
                "threads_after_warmup": self.baseline_threads, "threads_last": self.last_threads,
                "os_threads_after_warmup": self.baseline_os_threads, "os_threads_last": self.last_os_threads}

    def summary(self) -> str:
        """One line: memory after warm-up, peak, growth, and threads."""
        if self.baseline_mb is None:
            return f"memory: {self._rss_mb():.1f} MB resident ({self.frames} frames, too few to measure growth)"
        return (f"memory: {self.baseline_mb:.1f} MB resident after {WARM_UP_FRAMES} frames, peak {self.peak_mb:.1f} MB "
                f"(growth {self.growth_mb:+.1f} MB over {self.frames} frames); "
                f"threads {self.baseline_threads} -> {self.last_threads} "
                f"(all threads {self.baseline_os_threads} -> {self.last_os_threads})")
