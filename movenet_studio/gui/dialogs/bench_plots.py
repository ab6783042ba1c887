"""The Benchmark dialog's plots (pyqtgraph; items created once and updated in place).

* :class:`BenchPlots`: throughput (raw and pipeline FPS) and latency (p50 / p95 / p99) per
  configuration;
* :class:`PerOpPlot`: where ONNX Runtime spends one configuration's time, per op type
  (``bench --per-op``), as horizontal bars of mean ms per run with their share.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from ...core.bench import OK, BenchConfig, BenchReport, ConfigResult

#: Bar colours: raw, pipeline (throughput); p50, p95, p99 (latency, raw then pipeline shades).
RAW_COLOUR = (80, 200, 255)
PIPELINE_COLOUR = (255, 170, 60)
_RAW_SHADES = ((80, 200, 255), (50, 140, 200), (30, 90, 140))
_PIPE_SHADES = ((255, 170, 60), (210, 130, 40), (160, 95, 25))
PERCENTILES = ("p50", "p95", "p99")


_MODEL_SHORT = {"lightning": "L", "thunder": "T", "multipose": "MP"}
_PRECISION_SHORT = {"float16": "f16", "float32": "f32", "int8": "i8"}


def short_label(config: BenchConfig) -> str:
    """A two-line axis label, e.g. ``"L f16\ntflite 2t"`` (``+h`` with heads); model files
    keep their file stem."""
    variant, _, precision = config.model.partition("-")
    if variant in _MODEL_SHORT:
        model = f"{_MODEL_SHORT[variant]} {_PRECISION_SHORT.get(precision, precision)}".strip()
    else:
        model = Path(config.model).stem[:10]
    return f"{model}\n{config.backend} {config.threads}t{' +h' if config.heads else ''}"


class BenchPlots(pg.GraphicsLayoutWidget):
    """Two bar charts (throughput, latency) whose items are created once and updated in place.

    Attributes:
        fps_bars: {"raw": BarGraphItem, "pipeline": BarGraphItem}.
        latency_bars: {("raw" | "pipeline", "p50" | "p95" | "p99"): BarGraphItem}.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setBackground("#1e2024")
        self.fps_plot = self.addPlot(row=0, col=0, title="Throughput (frames per second)")
        self.latency_plot = self.addPlot(row=1, col=0, title="Latency p50 / p95 / p99 (ms)")
        for plot, columns in ((self.fps_plot, 2), (self.latency_plot, 3)):
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.showGrid(y=True, alpha=0.25)
            plot.getAxis("bottom").setHeight(40)  # two-line configuration labels
            legend = plot.addLegend(offset=(-6, 4), brush=(30, 32, 36, 210))
            legend.setColumnCount(columns)
        self.fps_plot.setLabel("left", "FPS")
        self.latency_plot.setLabel("left", "ms")
        empty = {"x": [], "height": [], "width": 0.35}
        self.fps_bars = {
            "raw": pg.BarGraphItem(**empty, brush=pg.mkBrush(*RAW_COLOUR), name="raw inference"),
            "pipeline": pg.BarGraphItem(**empty, brush=pg.mkBrush(*PIPELINE_COLOUR), name="pipeline"),
        }
        for item in self.fps_bars.values():
            self.fps_plot.addItem(item)
        self.latency_bars = {}
        for kind, shades in (("raw", _RAW_SHADES), ("pipeline", _PIPE_SHADES)):
            for q, colour in zip(PERCENTILES, shades):
                item = pg.BarGraphItem(x=[], height=[], width=0.13, brush=pg.mkBrush(*colour),
                                       name=f"{'raw' if kind == 'raw' else 'pipeline total'} {q}")
                self.latency_plot.addItem(item)
                self.latency_bars[(kind, q)] = item
        self.labels: list[str] = []
        self.show_report(None)  # empty axes until the first run

    def show_report(self, report: BenchReport | None) -> None:
        """Plot the configurations of `report` that ran (status ``ok``); None clears."""
        rows = [r for r in report.results if r.status == OK and r.raw is not None] if report else []
        x = np.arange(len(rows), dtype=float)
        self.labels = [r.config.label for r in rows]
        ticks = [[(float(i), short_label(r.config)) for i, r in enumerate(rows)]]
        for plot in (self.fps_plot, self.latency_plot):
            plot.getAxis("bottom").setTicks(ticks)
        self.fps_bars["raw"].setOpts(x=x - 0.19, height=[r.raw_fps or 0.0 for r in rows], width=0.36)
        self.fps_bars["pipeline"].setOpts(x=x + 0.19, height=[r.pipeline_fps or 0.0 for r in rows], width=0.36)
        offsets = np.linspace(-0.4, 0.4, 6)
        for n, ((kind, q), item) in enumerate(self.latency_bars.items()):
            heights = []
            for r in rows:
                stats = r.raw if kind == "raw" else r.stages.get("total")
                heights.append(float(getattr(stats, q)) if stats is not None else 0.0)
            item.setOpts(x=x + offsets[n], height=heights, width=0.14)
        tops = (max([r.raw_fps or 0.0 for r in rows] + [r.pipeline_fps or 0.0 for r in rows], default=0.0),
                max((max(item.opts["height"], default=0.0) for item in self.latency_bars.values()), default=0.0))
        for plot, top, headroom in zip((self.fps_plot, self.latency_plot), tops, (1.4, 1.75)):
            plot.setXRange(-0.6, max(0.6, len(rows) - 0.4), padding=0)
            plot.setYRange(0, top * headroom if top > 0 else 1.0, padding=0)  # room for the legend

    def bar_heights(self) -> dict[str, list[float]]:
        """The plotted heights by series name (``raw``, ``pipeline``, ``raw p50`` ...), for tests."""
        out = {name: list(item.opts["height"]) for name, item in self.fps_bars.items()}
        out.update({f"{kind} {q}": list(item.opts["height"]) for (kind, q), item in self.latency_bars.items()})
        return out


#: Op types shown in the per-op plot (the rest are summed into "other").
PER_OP_TYPES = 10


class PerOpPlot(pg.PlotWidget):
    """Mean ms per run of each op type of one profiled ONNX Runtime configuration, slowest on top.

    Attributes:
        bars: the one BarGraphItem (horizontal bars), updated in place.
        rows: the (op type, mean ms, share) rows shown, top to bottom.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, background="#1e2024")
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.showGrid(x=True, alpha=0.25)
        self.setLabel("bottom", "mean ms per run")
        self.getAxis("left").setWidth(150)  # "op type share" labels
        self.bars = pg.BarGraphItem(x0=[], y=[], width=[], height=0.7, brush=pg.mkBrush(*RAW_COLOUR))
        self.addItem(self.bars)
        self.rows: list[tuple[str, float, float]] = []
        self.show_result(None)

    def show_result(self, result: ConfigResult | None) -> None:
        """Plot `result`'s per-op-type profile; None (or no profile) clears with a note."""
        profile = result.per_op if result is not None else None
        if profile is None:
            self.rows = []
            note = result.per_op_note if result is not None and result.per_op_note else "tick per-op profile and an ONNX runtime"
            self.setTitle(f"Per-op profile: {note}")
        else:
            types = list(profile.op_types)
            shown = [(t.op_type, t.mean_ms, t.share) for t in types[:PER_OP_TYPES]]
            rest = types[PER_OP_TYPES:]
            if rest:
                shown.append((f"other ({len(rest)})", sum(t.mean_ms for t in rest), sum(t.share for t in rest)))
            self.rows = shown
            provider = profile.provider.replace("ExecutionProvider", "")
            self.setTitle(f"Per op type: {result.config.label}, {provider}, {profile.run_mean_ms:.2f} ms per run")
        n = len(self.rows)
        y = np.arange(n, dtype=float)[::-1]
        self.bars.setOpts(x0=np.zeros(n), y=y, width=[r[1] for r in self.rows], height=0.7)
        self.getAxis("left").setTicks([[(float(y[i]), f"{op} {share:.0%}") for i, (op, _, share) in enumerate(self.rows)]])
        top = max((r[1] for r in self.rows), default=0.0)
        self.setXRange(0, top * 1.05 if top > 0 else 1.0, padding=0)
        self.setYRange(-0.6, max(0.6, n - 0.4), padding=0)
