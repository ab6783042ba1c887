"""Latency panel: per-stage timings of the newest frame, rolling p50/p95, FPS, drops, and a plot.

Stage names come from :attr:`FrameResult.timings_ms`, so stages added to the pipeline later
(``heads``, ``smoothing`` ...) show up without changes here.
"""

from __future__ import annotations

from collections import deque
from typing import Mapping

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from .empty_state import EmptyState
from .readable import MIN_PLOT_HEIGHT, MIN_VISIBLE_ROWS, rows_height, WrappedLabel
from .tables import figures_table, fill_row
from ..throttle import RefreshThrottle
from ..engine import EngineResult, ModelInfo
from ..slot_timing import timed

#: Frames in the rolling window of the p50/p95 statistics and of the FPS estimate.
STATS_WINDOW = 120
#: Frames shown in the latency plot.
PLOT_WINDOW = 300
#: The plot never gets shorter than this (pixels): its y range and lines stay readable.
PLOT_MIN_HEIGHT = MIN_PLOT_HEIGHT
#: Plotted values above this many times the median are spikes the y range ignores.
SPIKE_FACTOR = 6.0
#: The stage table shows at most this many rows before it scrolls (more go to the plot).
TABLE_MAX_ROWS = 9

#: The plot's y axis steps (ms): its top is a multiple of this.
Y_STEP_MS = 5.0
_FRAMES_AGO = np.arange(-PLOT_WINDOW + 1, 1, dtype=np.float64)

_PLOTTED = (("inference", (80, 200, 255)), ("total", (255, 170, 60)))
#: Compare mode: B's timings join the table and the plot under these keys.
COMPARE_KEYS = {"inference": "inference (B)", "total": "total (B)"}
_PLOTTED_B = ("inference (B)", (60, 220, 90))


def typical_peak(values: np.ndarray) -> float:
    """The largest finite value that is not a spike (more than :data:`SPIKE_FACTOR` x the
    median), in the values' unit (0.0 for none): a model-load or warm-up spike of seconds must
    not flatten the plot's 10-30 ms lines; spikes run off its top."""
    values = values[np.isfinite(values)]
    if not len(values):
        return 0.0
    return float(values[values <= SPIKE_FACTOR * float(np.median(values)) + 1.0].max())


def result_timings(result: EngineResult) -> dict[str, float]:
    """A result's stage timings in ms; in compare mode plus B's (:data:`COMPARE_KEYS`)."""
    timings = dict(result.result.timings_ms)
    if result.compare is not None:
        b = result.compare.b.timings_ms
        timings.update({name: float(b[key]) for key, name in COMPARE_KEYS.items() if key in b})
    return timings


class RingBuffer:
    """A fixed-size float ring buffer (numpy), oldest value overwritten first.

    Args:
        capacity: number of values kept.
    """

    def __init__(self, capacity: int):
        self._data = np.zeros(capacity, dtype=np.float64)
        self._next = 0
        self._size = 0

    def append(self, value: float) -> None:
        """Add a value, overwriting the oldest when full."""
        self._data[self._next] = value
        self._next = (self._next + 1) % len(self._data)
        self._size = min(self._size + 1, len(self._data))

    def __len__(self) -> int:
        return self._size

    def values(self) -> np.ndarray:
        """The kept values, oldest first (a new array)."""
        if self._size < len(self._data):
            return self._data[:self._size].copy()
        return np.concatenate((self._data[self._next:], self._data[:self._next]))

    def clear(self) -> None:
        """Forget all values."""
        self._next = self._size = 0


class RollingStats:
    """Per-key rolling windows of timings (ms) with last value and percentiles.

    Keys keep their first-seen order, with ``total`` always listed last.

    Args:
        window: values kept per key.
    """

    def __init__(self, window: int = STATS_WINDOW):
        self.window = window
        self._buffers: dict[str, RingBuffer] = {}
        self._last: dict[str, float] = {}

    def add(self, timings: Mapping[str, float]) -> None:
        """Record one frame's timings."""
        for key, value in timings.items():
            buf = self._buffers.get(key)
            if buf is None:
                buf = self._buffers[key] = RingBuffer(self.window)
            buf.append(float(value))
            self._last[key] = float(value)

    def keys(self) -> list[str]:
        """Keys seen so far (``total`` last)."""
        keys = [k for k in self._buffers if k != "total"]
        return keys + ["total"] if "total" in self._buffers else keys

    def last(self, key: str) -> float:
        """The newest value of `key` (nan when never seen)."""
        return self._last.get(key, float("nan"))

    def percentile(self, key: str, q: float) -> float:
        """The q-th percentile (0..100) of `key` over the window (nan when empty)."""
        buf = self._buffers.get(key)
        return float(np.percentile(buf.values(), q)) if buf is not None and len(buf) else float("nan")

    def percentile_table(self, qs: tuple[float, ...]) -> dict[str, tuple[float, ...]]:
        """The percentiles `qs` (0..100) of every key, {key: (value per q)}: one numpy call per
        window length (keys seen from the start share one), not one per key and q."""
        by_length: dict[int, list[str]] = {}
        for key in self.keys():
            by_length.setdefault(len(self._buffers[key]), []).append(key)
        out: dict[str, tuple[float, ...]] = {}
        for length, keys in by_length.items():
            if not length:
                out.update({key: (float("nan"),) * len(qs) for key in keys})
                continue
            table = np.percentile(np.stack([self._buffers[key].values() for key in keys]), qs, axis=1)
            out.update({key: tuple(float(v) for v in table[:, i]) for i, key in enumerate(keys)})
        return out

    def clear(self) -> None:
        """Forget everything."""
        self._buffers.clear()
        self._last.clear()

    def remove(self, key: str) -> None:
        """Forget `key` (e.g. B's stages when compare mode ends)."""
        self._buffers.pop(key, None)
        self._last.pop(key, None)


def _ms(value: float) -> str:
    return "–" if not np.isfinite(value) else f"{value:.1f}" if value < 100 else f"{value:.0f}"


class LatencyPanel(QWidget):
    """Shows how long each stage took for the newest frame and over a rolling window.

    Feed it with :meth:`add_result` (connected to :attr:`Engine.result_ready`), tell it about
    models (:meth:`show_model`) and playback (:meth:`set_playing`). The statistics, the plot
    and the Frames / Dropped counts start again on a new source (:meth:`reset`) or model.
    The panel is meant to sit in a dock without a scroll area: the table scrolls inside and
    the plot takes the remaining height (at least :data:`PLOT_MIN_HEIGHT`), its y range
    scaled to the values that are not spikes (:func:`typical_peak`).
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.stats = RollingStats(STATS_WINDOW)
        self._rate: deque[tuple[float, int]] = deque(maxlen=STATS_WINDOW)
        self._plot_y = {key: RingBuffer(PLOT_WINDOW) for key, _ in (*_PLOTTED, _PLOTTED_B)}
        self._last_timings: dict[str, float] = {}
        self._rows: dict[str, int] = {}
        self._results = 0
        self._newest: EngineResult | None = None
        self._base: tuple[int, int, int] | None = None  # engine counters (processed, dropped, stale) at reset
        self._playing = True
        self._throttle = RefreshThrottle(self.refresh, self, while_visible=True)  # not drawn while hidden (closed dock, tab behind another)
        self.fps = float("nan")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        big = QFont()
        big.setPointSizeF(big.pointSizeF() * 1.35)
        big.setBold(True)
        summary = QGridLayout()
        summary.setHorizontalSpacing(10)
        summary.setVerticalSpacing(2)
        self.fps_label = QLabel("–")
        self.fps_label.setFont(big)
        self.fps_label.setToolTip("Frames the model ran per second while playing")
        self.latency_label = QLabel("–")
        self.frames_label = QLabel("–")
        self.dropped_label = QLabel("0")
        self.model_label = WrappedLabel("–", lines=2)
        # Frames and Dropped share a row (the right column must fit a 720-pixel-high window)
        top = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        for row, (name, label) in enumerate((("Processed FPS", self.fps_label), ("Submit → result", self.latency_label),
                                             ("Frames", self.frames_label), ("Model", self.model_label))):
            summary.addWidget(QLabel(name), row, 0, top)
            summary.addWidget(label, row, 1, 1, 1 if label is self.frames_label else 3)
        summary.addWidget(QLabel("Dropped"), 2, 2, top)
        summary.addWidget(self.dropped_label, 2, 3)
        summary.setColumnStretch(1, 1)
        layout.addLayout(summary)

        self.table = figures_table(0, ["Stage (ms)", "Last", "p50", "p95"])
        self.table.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.table.setToolTip(f"Milliseconds per stage: the last frame's, and p50 / p95 over the last "
                              f"{STATS_WINDOW} frames")
        layout.addWidget(self.table)

        self.plot = pg.PlotWidget()
        self.plot.setMinimumHeight(PLOT_MIN_HEIGHT)
        self.plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        # Fixed axes: a scrolling x range made pyqtgraph regenerate both axes (tick layout and
        # labels) at every refresh. x counts frames back from the newest; no grid (a grid's
        # lines belong to the axes, which then repaint with every curve update).
        self.plot.setLabel("left", "ms")
        self.plot.setLabel("bottom", "frames ago")
        self.plot.setXRange(-PLOT_WINDOW + 1, 0, padding=0.02)
        self.plot.enableAutoRange(x=False, y=False)
        self.y_top = Y_STEP_MS
        self.plot.setYRange(0, self.y_top, padding=0)
        self.curves = {key: self.plot.plot(name=key, pen=pg.mkPen(colour, width=1.5)) for key, colour in _PLOTTED}
        # The legend is a line above the plot (pyqtgraph's legend inside it covered the curves).
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self._show_legend()
        layout.addWidget(self.legend)
        self.plot_state = EmptyState(self.plot, "Stage times plot here once frames run")
        layout.addWidget(self.plot_state, 1)
        self._fit_table_height()

    @property
    def results(self) -> int:
        """Results shown since the last reset."""
        return self._results

    def stage_rows(self) -> dict[str, tuple[str, str, str]]:
        """The table as {stage: (last, p50, p95)} texts (for tests and tools)."""
        return {key: tuple(self.table.item(row, col).text() for col in (1, 2, 3))
                for key, row in self._rows.items()}

    @Slot(object)
    @timed("latency.add_result")
    def add_result(self, result: EngineResult) -> None:
        """Account for one result; the widgets refresh at most every :data:`~.throttle.REFRESH_INTERVAL_MS`."""
        timings = result_timings(result)
        if self._base is None:
            self._base = (result.processed - 1, result.dropped, result.stale)
        self._last_timings = timings
        self.stats.add(timings)
        self._results += 1
        self._rate.append((result.finished_at, result.processed))
        for key, buf in self._plot_y.items():
            buf.append(float(timings.get(key, np.nan)))
        self._newest = result
        self._throttle.request()

    @Slot()
    @timed("latency.refresh")
    def refresh(self) -> None:
        """Show the newest statistics now."""
        self._throttle.refreshed()
        result = self._newest
        self.plot_state.set_empty(result is None)
        if result is None:
            return
        if len(self._rate) >= 2 and self._playing:
            (t0, n0), (t1, n1) = self._rate[0], self._rate[-1]
            self.fps = (n1 - n0) / (t1 - t0) if t1 > t0 else float("nan")
        if not self._playing:
            self.fps_label.setText("paused")
        else:
            self.fps_label.setText("–" if not np.isfinite(self.fps) else f"{self.fps:.1f}")
        capture = result.capture_to_result_ms  # live sources: from the source's own capture time
        self.latency_label.setText(f"{result.latency_ms:.1f} ms" if capture is None else
                                   f"{result.latency_ms:.1f} ms (capture → result {capture:.0f} ms)")
        self.latency_label.setToolTip("From the reader handing the frame over to its result; for a camera or "
                                      "stream also from the frame's capture (the source's own timestamps)")
        processed, dropped, stale = (result.processed - self._base[0], result.dropped - self._base[1],
                                     result.stale - self._base[2])
        self.frames_label.setText(f"{processed} processed (frame {result.result.index})")
        self.dropped_label.setText(f"{dropped} (+{stale} stale)" if stale else str(dropped))
        model = result.model
        self.model_label.setText(f"{model.spec.label}\n{model.device}" if model.device else model.spec.label)
        if model.compare is not None:
            self.model_label.setText(f"A {self.model_label.text()}\nB {model.compare.spec.label}\n{model.compare.device}")
            key, colour = _PLOTTED_B
            if key not in self.curves:  # B's curve appears with the first comparison
                self.curves[key] = self.plot.plot(name=key, pen=pg.mkPen(colour, width=1.5))
                self._show_legend()
        elif _PLOTTED_B[0] in self.curves:  # a comparison's last result came after compare mode ended
            self._drop_compare()
        self.model_label.set_lines(self.model_label.text().count("\n") + 1)
        self._update_table()
        plotted = []
        for key, curve in self.curves.items():
            y = self._plot_y[key].values()
            curve.setData(_FRAMES_AGO[PLOT_WINDOW - len(y):], y)
            plotted.append(y)
        self._fit_y(typical_peak(np.concatenate(plotted) if plotted else np.zeros(0)))

    def _fit_y(self, peak_ms: float) -> None:
        """Y range 0..top with `top` a multiple of :data:`Y_STEP_MS` above the plotted peak,
        changed only when the peak leaves (top / 3, top]: the axis is not redrawn each refresh."""
        if peak_ms > self.y_top or peak_ms * 3 < self.y_top:
            self.y_top = Y_STEP_MS * max(1.0, np.ceil(peak_ms * 1.25 / Y_STEP_MS))
            self.plot.setYRange(0, self.y_top, padding=0)

    def _update_table(self) -> None:
        percentiles = self.stats.percentile_table((50, 95))
        for key in self.stats.keys():
            row = self._rows.get(key)
            if row is None:
                row = self._insert_row(key)
            # "Last" is the newest result's (– for a stage it did not have, e.g. B after compare mode).
            values = (self._last_timings.get(key, float("nan")), *percentiles[key])
            for col, value in enumerate(values, start=1):
                self.table.item(row, col).setText(_ms(value))

    def _insert_row(self, key: str) -> int:
        # Keep "total" as the last row: new stages go above it.
        row = self._rows["total"] if "total" in self._rows else self.table.rowCount()
        self.table.insertRow(row)
        for other, r in list(self._rows.items()):
            if r >= row:
                self._rows[other] = r + 1
        self._rows[key] = row
        fill_row(self.table, row, key, bold=key == "total")
        self._fit_table_height()
        return row

    def _show_legend(self) -> None:
        """The legend line: a coloured stroke and the name of each plotted curve."""
        colours = dict(_PLOTTED) | dict([_PLOTTED_B])
        self.legend.setText(" &nbsp; ".join(
            f"<span style='color:#%02x%02x%02x'>━━</span> {key}" % colours[key] for key in self.curves))

    def _fit_table_height(self) -> None:
        """As tall as its rows, at least :data:`~.readable.MIN_VISIBLE_ROWS` and up to
        :data:`TABLE_MAX_ROWS` (then it scrolls); a short dock scrolls the panel instead."""
        count = min(max(self.table.rowCount(), MIN_VISIBLE_ROWS), TABLE_MAX_ROWS)
        self.table.setFixedHeight(rows_height(self.table, count))

    def _remove_row(self, key: str) -> None:
        row = self._rows.pop(key, None)
        if row is None:
            return
        self.table.removeRow(row)
        for other, r in list(self._rows.items()):
            if r > row:
                self._rows[other] = r - 1
        self.stats.remove(key)
        self._fit_table_height()

    @Slot(object)
    def show_model(self, info: ModelInfo) -> None:
        """A model was loaded: the figures start again; compare mode ended: B's rows and curve go
        (a heads or compare switch that kept A's model keeps A's figures)."""
        if not info.kept:
            self.reset()
        if info.compare is None:
            self._drop_compare()

    def _drop_compare(self) -> None:
        """Remove B's stage rows and B's curve (compare mode is over)."""
        for key in (*COMPARE_KEYS.values(), _PLOTTED_B[0]):
            self._remove_row(key)
        curve = self.curves.pop(_PLOTTED_B[0], None)
        if curve is not None:
            self.plot.removeItem(curve)
            self._plot_y[_PLOTTED_B[0]].clear()
            self._show_legend()

    @Slot(bool)
    def set_playing(self, playing: bool) -> None:
        """Playback started or paused: while paused the FPS reads "paused", and it is measured
        afresh when playback resumes (stepping frames is not a frame rate)."""
        self._playing = bool(playing)
        self._rate.clear()
        self.fps = float("nan")
        self.fps_label.setText("–" if playing else "paused")

    @Slot()
    def reset(self) -> None:
        """Clear the statistics, the stage rows, the plot and the Frames / Dropped counts (new
        source or model): a stage the next run does not have (``heads`` after heads were turned
        off) keeps no figures of an earlier run; the next result adds its own rows."""
        self.stats.clear()
        for key in list(self._rows):
            self._remove_row(key)
        self._last_timings = {}
        self._rate.clear()
        for buf in self._plot_y.values():
            buf.clear()
        for curve in self.curves.values():
            curve.setData([], [])
        self._newest = None
        self._results = 0
        self._base = None
        self.plot_state.set_empty(True)
        self._throttle.cancel()
        self.fps = float("nan")
        self.fps_label.setText("–" if self._playing else "paused")
        self.frames_label.setText("–")
        self.dropped_label.setText("0")
        self.latency_label.setText("–")
