"""Measure a GUI run: throughput, drops, stage latencies and event-loop responsiveness.

``movenet-studio gui SOURCE --pace max --exit-after-frames N --stats-json PATH`` attaches a
:class:`RunStats` to the window and writes :meth:`RunStats.summary` to PATH at exit.

What is measured (between the first and the last result received, so model loading and
the first frame's set-up are left out):

* ``processed_frames`` / ``processed_fps``: frames the inference worker ran the model on
  (``Engine.processed``), per second of wall time.
* ``displayed_frames`` / ``displayed_fps``: results that reached the window and were drawn
  (``Engine.result_ready``); fewer than processed when the GUI thread coalesced results or
  the engine's delivery rate (``display_max_hz``: 30 at ``--pace max``) held them back.
* ``dropped_frames``: frames the reader offered that the worker never took (one-slot
  mailbox replaced them; realtime pace); ``render_skipped``: results replaced before the GUI
  thread picked them up; ``stale_frames``: discarded after a seek/switch.
* ``stages_ms``: per-stage pipeline latency (``FrameResult.timings_ms``) of the displayed
  results, p50/p95/mean; ``submit_to_result_ms``: from the reader's submit to the result;
  ``submit_to_result_over_total_p95``: its p95 over the pipeline's ``total`` p95 (how long
  a frame waits beside being processed; issue 18's realtime target is <= 2);
  ``capture_to_result_ms``: live sources, from the frame's capture (the source's own
  timestamps where it has them) to the result, p50/p95 (None for files).
* ``event_loop_lag_ms``: a :class:`LagProbe`, a precise QTimer firing every
  :data:`PROBE_INTERVAL_MS` on the GUI thread, records how late each tick is
  (``max(0, gap - interval)``): the time the event loop was busy and could not react to
  input. p50/p95/p99/max over the run.
* ``first_result_after_launch_s``: from the process's start (the command's launch) to the
  first result received: a warm start's time to the first processed frame.
* ``gui_thread_ms_per_displayed_frame``: the GUI thread's CPU time over the run (every
  result slot, the panels, Qt's painting) divided by the displayed frames: what one shown
  frame costs the thread that also has to answer the user (Linux; None elsewhere).
* ``gui_slots_ms``: where that time goes (:mod:`.slot_timing`): per result slot, panel
  refresh and view paint, calls, wall-time p50/p99/max (ms; the long blocks) and GUI-thread
  CPU ms per displayed frame. Calls nest (``engine.deliver`` holds all result slots;
  ``paint.video`` holds ``paint.video.ITEM``, each graphics item of the video view:
  ``frame``, ``skeleton.edge_items``, ``heads.final_item`` ...).
* ``cpu_s``: CPU seconds per thread during the run (Linux; GUI thread, engine, reader ...),
  and the load average before/after (the machine may be shared).
* ``memory``: resident memory and thread counts over the run
  (:class:`~movenet_studio.core.analysis.process_resources.ResourceMonitor`, counting results received):
  RSS after 100 results (warm-up), peak and last, growth = peak - warm-up; Python threads
  and all OS threads (runtime pools, Qt) at warm-up and last. For soak runs (``gui --loop``).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer, Slot

from ..core.atomic import atomic_output
from ..core.analysis.process_resources import ResourceMonitor
from .slot_timing import SlotTimes, time_item_paints, time_paints

#: Interval of the event-loop lag probe, in ms.
PROBE_INTERVAL_MS = 10


def _percentiles(values, qs=(50, 95, 99)) -> dict:
    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        return {"count": 0}
    out = {"count": int(data.size), **{f"p{q}": round(float(np.percentile(data, q)), 3) for q in qs}}
    out["mean"] = round(float(data.mean()), 3)
    out["max"] = round(float(data.max()), 3)
    return out


class LagProbe(QObject):
    """Measures event-loop lag: a precise repeating QTimer on the GUI thread that records how
    late each tick arrives (``gap - interval``, ms, floored at 0).

    Args:
        interval_ms: timer interval.
        parent: Qt parent (lives in the GUI thread).
    """

    def __init__(self, interval_ms: int = PROBE_INTERVAL_MS, parent: QObject | None = None):
        super().__init__(parent)
        self.interval_ms = int(interval_ms)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(self.interval_ms)
        self._timer.timeout.connect(self._tick)
        self._clock = QElapsedTimer()
        self._last_ns = 0
        self.lags_ms: list[float] = []

    @property
    def running(self) -> bool:
        """True while the timer runs."""
        return self._timer.isActive()

    def start(self) -> None:
        """Start (or restart) measuring; forgets earlier samples."""
        self.lags_ms = []
        self._clock.start()
        self._last_ns = 0
        self._timer.start()

    def stop(self) -> None:
        """Stop measuring (samples are kept)."""
        self._timer.stop()

    @Slot()
    def _tick(self) -> None:
        now = self._clock.nsecsElapsed()
        gap_ms = (now - self._last_ns) / 1e6
        self._last_ns = now
        self.lags_ms.append(max(0.0, gap_ms - self.interval_ms))

    def summary(self) -> dict:
        """``{"interval_ms", "count", "p50", "p95", "p99", "mean", "max"}`` of the lag, ms."""
        return {"interval_ms": self.interval_ms, **_percentiles(self.lags_ms)}


def _thread_cpu() -> dict[str, float]:
    """CPU seconds (user + system) per live thread, keyed by thread name (Linux; {} elsewhere)."""
    try:
        import psutil

        names = {t.native_id: t.name for t in threading.enumerate() if t.native_id is not None}
        out: dict[str, float] = {}
        for info in psutil.Process().threads():
            name = names.get(info.id, "other (runtime pools, Qt)")
            out[name] = out.get(name, 0.0) + info.user_time + info.system_time
        return out
    except Exception:  # noqa: BLE001 - best effort
        return {}


def _process_start() -> float:
    """When this process was started (``time.time()`` scale; psutil, 10 ms resolution on Linux)."""
    import psutil

    return psutil.Process().create_time()


def _load() -> list[float] | None:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except (AttributeError, OSError):
        return None


class RunStats(QObject):
    """Collects the figures of a window's run (see the module docstring). GUI thread only.

    Args:
        window: a :class:`~.main_window.MainWindow` (its ``engine``, ``player``, ``video_view``).
        probe_interval_ms: interval of the event-loop lag probe.
        stop_after: stop measuring by itself at this many results received (the first one
            included, as ``--exit-after-frames`` counts them), before the exit's screenshot.

    Call :meth:`stop` at the end (harmless when it stopped by itself), then :meth:`summary`
    or :meth:`write`.
    """

    def __init__(self, window, probe_interval_ms: int = PROBE_INTERVAL_MS, stop_after: int | None = None):
        super().__init__(window)
        self._window = window
        self.probe = LagProbe(probe_interval_ms, self)
        self._first: tuple[float, int, int, int, int] | None = None  # time, processed, dropped, skipped, stale
        self._first_result_at: float | None = None  # time.time() of the first result
        self._last: tuple[float, int, int, int, int] | None = None
        self._displayed = 0
        self._stages: dict[str, list[float]] = {}
        self._latency: list[float] = []
        self._capture_latency: list[float] = []  # live sources
        self._load_before = _load()
        self._cpu_before: dict[str, float] = {}
        self._cpu_after: dict[str, float] = {}
        self._process_cpu: tuple[float, float] = (0.0, 0.0)
        self._model = None
        self._source = None
        self._received = 0
        self._stop_after = stop_after
        self.memory = ResourceMonitor()  # RSS and threads every 100 results (soak runs)
        self.slots = SlotTimes()
        for name, view in (("video", window.video_view.graphics), ("latency", window.latency_panel.plot),
                           ("timeline", window.timeline.plots), ("heads", window.heads_panel.graphics),
                           ("model_input", window.model_input_view.graphics)):
            time_paints(view, f"paint.{name}")
        for name, item in window.video_view.paint_items():  # which item of the video view costs what
            time_item_paints(item, f"paint.video.{name}")
        window.engine.result_ready.connect(self._on_result)
        window.player.opened.connect(self._on_opened)

    @Slot(object)
    def _on_opened(self, info) -> None:
        self._source = info.spec

    @property
    def displayed(self) -> int:
        """Results received (and drawn) since measuring began, the first one excluded."""
        return self._displayed

    def _counters(self, result) -> tuple[float, int, int, int, int]:
        engine = self._window.engine
        return (time.perf_counter(), result.processed, result.dropped, engine.render_skipped, result.stale)

    @Slot(object)
    def _on_result(self, result) -> None:
        self._received += 1
        self.memory.frame_done(self._received)
        if self._first is None:  # measuring starts at the first result
            self._first_result_at = time.time()
            self._first = self._counters(result)
            self._cpu_before = _thread_cpu()
            self._process_cpu = (time.process_time(), 0.0)
            self.probe.start()
            self.slots.start()
            return
        if not self.probe.running:
            return
        self._last = self._counters(result)
        self._displayed += 1
        self._model = result.model
        for key, value in result.result.timings_ms.items():
            self._stages.setdefault(key, []).append(float(value))
        self._latency.append(float(result.latency_ms))
        if result.capture_to_result_ms is not None:
            self._capture_latency.append(float(result.capture_to_result_ms))
        if self._stop_after is not None and self._received >= self._stop_after:
            self.stop()

    def stop(self) -> None:
        """Stop measuring (call once the run is over, before the window's threads stop)."""
        if self.probe.running:
            self.probe.stop()
            self.slots.stop()
            self._cpu_after = _thread_cpu()
            self._process_cpu = (self._process_cpu[0], time.process_time())

    def summary(self) -> dict:
        """The figures as JSON-ready data (see the module docstring for definitions)."""
        first, last = self._first, self._last
        wall = (last[0] - first[0]) if first and last else 0.0
        delta = [(b - a) for a, b in zip(first[1:], last[1:])] if first and last else [0, 0, 0, 0]
        processed, dropped, skipped, stale = delta
        model = self._model
        config = model.config if model is not None else self._window.engine.config
        view = self._window.video_view
        options = view.overlay_options() if hasattr(view, "overlay_options") else None
        cpu = {name: round(self._cpu_after.get(name, 0.0) - self._cpu_before.get(name, 0.0), 3)
               for name in self._cpu_after} if self._cpu_after else {}
        gui_cpu = cpu.get(threading.main_thread().name)
        stages = {key: _percentiles(values, (50, 95)) for key, values in self._stages.items()}
        latency, total = _percentiles(self._latency, (50, 95)), stages.get("total", {})
        return {
            "source": self._source,
            "pace": self._window.player.pace.value,
            "model": model.spec.key if model is not None else config.model,
            "backend": config.backend,
            "threads": config.threads,
            "heads": bool(config.heads),
            "device": model.device if model is not None else None,
            "overlays": list(options.enabled()) if options is not None else None,
            "first_result_after_launch_s": (round(self._first_result_at - _process_start(), 3)
                                            if self._first_result_at is not None else None),
            "wall_s": round(wall, 3),
            "processed_frames": int(processed),
            "processed_fps": round(processed / wall, 2) if wall > 0 else None,
            "displayed_frames": self._displayed,
            "displayed_fps": round(self._displayed / wall, 2) if wall > 0 else None,
            "display_max_hz": self._window.engine.max_delivery_hz,
            "dropped_frames": int(dropped),
            "render_skipped": int(skipped),
            "stale_frames": int(stale),
            "stages_ms": stages,
            "submit_to_result_ms": latency,
            "capture_to_result_ms": (_percentiles(self._capture_latency, (50, 95)) if self._capture_latency
                                     else None),
            "submit_to_result_over_total_p95": (round(latency["p95"] / total["p95"], 3)
                                                if "p95" in latency and total.get("p95") else None),
            "event_loop_lag_ms": self.probe.summary(),
            "gui_thread_ms_per_displayed_frame": (round(gui_cpu * 1000 / self._displayed, 3)
                                                  if gui_cpu is not None and self._displayed else None),
            "gui_slots_ms": self.slots.summary(self._displayed),
            "cpu_s": {"process": round(self._process_cpu[1] - self._process_cpu[0], 3) if self._process_cpu[1]
                      else None, "threads": cpu},
            "load_average": {"before": self._load_before, "after": _load(), "cpus": os.cpu_count()},
            "memory": self.memory.to_json(),
            "definitions": {
                "window": "from the first result received to the last (model load excluded)",
                "first_result_after_launch_s": "process start to the first result received (start-up)",
                "processed_fps": "frames the inference worker ran / wall time",
                "displayed_fps": "results delivered to and drawn by the window / wall time",
                "event_loop_lag_ms": f"lateness of a {self.probe.interval_ms} ms precise QTimer on the GUI thread",
                "gui_thread_ms_per_displayed_frame": "CPU time of the GUI thread (result slots, panels, painting, "
                                                     "the lag probe) / displayed frames",
            },
        }

    def write(self, path: Path | str) -> dict:
        """Write :meth:`summary` as indented JSON to `path` (atomically); returns it.

        Raises:
            OSError: the folder is not writable.
        """
        import json

        data = self.summary()
        with atomic_output(Path(path)) as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
        return data
