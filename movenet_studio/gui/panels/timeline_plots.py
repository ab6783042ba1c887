"""The Timeline's plots: pose score per frame (with tracker resets and dropped frames), one
keypoint's x and y raw and smoothed, and its score; the current frame marked; click to seek.

x and y get a plot each so that each fills its height (a knee's y in a squat moves a few
tens of pixels; on an axis shared with x it would look flat); the y plot is drawn with the
image's orientation (down is down), so the line moves as the keypoint does on screen."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGraphicsItem

from ...core.analysis.trajectories import Trajectory
from .readable import MIN_PLOT_HEIGHT

_CURSOR = (255, 215, 0)
_X, _Y = (90, 170, 255), (255, 150, 60)
_RAW = (245, 245, 245)
_RESET, _DROPPED = (255, 70, 70), (255, 170, 0)


def _html(rgb) -> str:
    return "#%02x%02x%02x" % rgb


#: Event marks: symbol and colour per kind.
EVENT_SYMBOLS = {"left_right_swap": ("d", (225, 55, 55)), "person_switch": ("s", (175, 85, 215)),
                 "outside_frame": ("t1", (30, 135, 235))}

#: The plots' legend as rich text, for a label beside them (a legend inside would hide data).
LEGEND_HTML = (
    f"<span style='color:{_html(_X)}'>━ x</span> / <span style='color:{_html(_Y)}'>━ y</span> smoothed &nbsp; "
    f"<span style='color:{_html(_RAW)}'>╌ raw</span> (before smoothing) &nbsp; "
    f"<span style='color:{_html(_RESET)}'>✕</span> tracker reset &nbsp; "
    f"<span style='color:{_html(_DROPPED)}'>▼</span> dropped frames &nbsp; "
    f"<span style='color:{_html(EVENT_SYMBOLS['left_right_swap'][1])}'>◆</span> left/right swap "
    f"<span style='color:{_html(EVENT_SYMBOLS['person_switch'][1])}'>■</span> person switch "
    f"<span style='color:{_html(EVENT_SYMBOLS['outside_frame'][1])}'>▲</span> outside frame &nbsp; "
    f"<span style='color:{_html(_CURSOR)}'>│</span> current frame (click a plot to go to a frame)")


def _with_gaps(index: np.ndarray, *series: np.ndarray) -> tuple[np.ndarray, ...]:
    """(x, *series) as float arrays with a NaN row inserted wherever frames are missing, so
    lines break at gaps (seeks, unrecorded frames) instead of bridging them."""
    x = index.astype(np.float64)
    gaps = np.flatnonzero(np.diff(index) > 1) + 1
    if gaps.size == 0:
        return (x, *(np.asarray(s, np.float64) for s in series))
    return (np.insert(x, gaps, np.nan), *(np.insert(np.asarray(s, np.float64), gaps, np.nan) for s in series))


class FrameAxis(pg.AxisItem):
    """An axis of frame (or photo) numbers: ticks only at whole numbers (4 photos are 0 1 2 3,
    not 0 0.5 1 ... 3)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.enableAutoSIPrefix(False)  # frame numbers, never "frame (x0.001)"

    def tickSpacing(self, minVal, maxVal, size):  # noqa: N802, N803 (pyqtgraph names)
        """pyqtgraph's spacings, each at least 1."""
        levels = super().tickSpacing(minVal, maxVal, size)
        whole = [(max(1.0, float(spacing)), offset) for spacing, offset in levels]
        return list(dict.fromkeys(whole)) or [(1.0, 0.0)]


class TimelinePlots(pg.GraphicsLayoutWidget):
    """Four plots over frame index sharing their x axis.

    Signals:
        seek_requested(int): the user clicked a frame (a left click anywhere in a plot).
    """

    seek_requested = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.ci.layout.setSpacing(2)
        self.score_plot = self._plot(0, "pose")
        self.x_plot = self._plot(1, "x px")
        self.y_plot = self._plot(2, "y px")
        self.y_plot.invertY(True)
        self.keypoint_score_plot = self._plot(3, "score")
        self.gaps: list[tuple[pg.PlotItem, pg.LinearRegionItem]] = []  # live feed outages
        self.keypoint_score_plot.setLabel("bottom", "frame")
        for plot in self.plots[1:]:
            plot.setXLink(self.score_plot)
        for plot in (self.score_plot, self.keypoint_score_plot):
            plot.setYRange(0, 1.05, padding=0)
            plot.enableAutoRange(y=False)
            plot.getAxis("left").setTicks([[(0.0, "0"), (0.5, ".5"), (1.0, "1")]])
        for plot in self.plots[:-1]:
            plot.getAxis("bottom").setStyle(showValues=False)
        for row, stretch in enumerate((2, 3, 3, 2)):
            self.ci.layout.setRowStretchFactor(row, stretch)
            self.ci.layout.setRowMinimumHeight(row, MIN_PLOT_HEIGHT)
        # Four readable plots and the frame axis; a shorter dock scrolls the panel instead.
        self.setMinimumHeight(4 * MIN_PLOT_HEIGHT + 3 * 2 + 50)

        self.pose_score = self.score_plot.plot(pen=pg.mkPen((220, 220, 220), width=1.5), connect="finite")
        self.resets = pg.ScatterPlotItem(symbol="x", size=9, pen=pg.mkPen(_RESET, width=2), brush=None)
        self.dropped = pg.ScatterPlotItem(symbol="t", size=7, pen=None, brush=pg.mkBrush(*_DROPPED))
        self.event_marks = pg.ScatterPlotItem(size=11, pen=None)
        self.event_marks.setToolTip("failure events (see the list beside): click to go to the frame")
        for item in (self.resets, self.dropped, self.event_marks):
            self.score_plot.addItem(item)
        self.x_raw, self.x_smoothed = self._raw_and_smoothed(self.x_plot, _X)
        self.y_raw, self.y_smoothed = self._raw_and_smoothed(self.y_plot, _Y)
        self.keypoint_score = self.keypoint_score_plot.plot(pen=pg.mkPen((100, 220, 120), width=1.5),
                                                            connect="finite")

        for item in (self.pose_score, self.x_raw, self.x_smoothed, self.y_raw, self.y_smoothed, self.keypoint_score):
            # A 10-minute clip has 18,000 frames: draw about one peak pair per pixel column, not
            # every frame (a refresh 76 -> 30 ms GUI-thread CPU on the loaded test machine), and
            # keep the drawn lines as pixmaps so that moving the frame mark does not draw them
            # again (76 -> 3-5 ms a move)
            item.opts["autoDownsampleFactor"] = 1.0  # samples per pixel (pyqtgraph's default: 5)
            item.setDownsampling(auto=True, method="peak")
            item.setClipToView(True)
            item.curve.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        #: The value lines' pens (set_stills draws photos as markers without them).
        self._line_pens = {curve: curve.opts["pen"] for curve in self._value_curves}
        self.cursors = []
        for plot in self.plots:
            cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(_CURSOR, width=1))
            cursor.setVisible(False)
            plot.addItem(cursor, ignoreBounds=True)
            self.cursors.append(cursor)
        self.scene().sigMouseClicked.connect(self._clicked)

    @staticmethod
    def _raw_and_smoothed(plot: pg.PlotItem, colour) -> tuple[pg.PlotDataItem, pg.PlotDataItem]:
        """A thick smoothed line and, on top of it, a thin dashed raw one (visible where they coincide)."""
        smoothed = plot.plot(pen=pg.mkPen(colour, width=3), connect="finite")
        raw = plot.plot(pen=pg.mkPen(_RAW, width=1, style=Qt.PenStyle.DashLine), connect="finite")
        raw.setZValue(1)
        return raw, smoothed

    def _plot(self, row: int, label: str) -> pg.PlotItem:
        plot = self.addPlot(row=row, col=0, axisItems={"bottom": FrameAxis("bottom")})
        plot.setLabel("left", label, **{"font-size": "8pt"})
        plot.showGrid(x=True, y=True, alpha=0.15)
        plot.setMouseEnabled(x=True, y=False)
        plot.hideButtons()
        plot.getAxis("left").setWidth(58)  # ticks such as "427.8" and the axis title side by side
        for name in ("left", "bottom"):
            # Kept as pixmaps: their grid lines span the plot, so every repaint inside it (the
            # current-frame mark moving) would draw them again (~1.4 ms an axis)
            plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        plot.setMenuEnabled(False)
        return plot

    @property
    def plots(self) -> tuple[pg.PlotItem, ...]:
        """The four plots, top to bottom: pose score, x, y, keypoint score."""
        return self.score_plot, self.x_plot, self.y_plot, self.keypoint_score_plot

    def set_stills(self, stills: bool) -> None:
        """Photos (a folder, an image) are independent: each one a marker and no line between
        them (nor the raw line: nothing is smoothed across photos), the x axis "photo"; a
        video's frames a line."""
        for curve, pen in self._line_pens.items():
            curve.setPen(None if stills else pen)
            curve.setSymbol("o" if stills else None)
            curve.setSymbolSize(7)
            curve.setSymbolBrush(pg.mkPen(pen).color())
            curve.setSymbolPen(None)
        for raw in (self.x_raw, self.y_raw):
            raw.setVisible(not stills)
        self.keypoint_score_plot.setLabel("bottom", "photo" if stills else "frame")

    @property
    def _value_curves(self) -> tuple[pg.PlotDataItem, ...]:
        return self.pose_score, self.x_smoothed, self.y_smoothed, self.keypoint_score

    def set_frame_range(self, last_index: int | None) -> None:
        """Show frames 0..`last_index` (a file's whole clip), or follow the data (None: live)."""
        if last_index is None:
            self.score_plot.enableAutoRange(x=True)
        else:
            self.score_plot.setXRange(0, max(1, last_index), padding=0.01)

    def set_data(self, trajectory: Trajectory) -> None:
        """Draw `trajectory` (a one-keypoint snapshot: raw/smoothed [N, 1, 2], scores [N, 1])."""
        index = trajectory.index
        x, score = _with_gaps(index, trajectory.pose_score)
        self.pose_score.setData(x, score)
        resets = trajectory.tracker_reset
        self.resets.setData(index[resets].astype(float), np.nan_to_num(trajectory.pose_score[resets]))
        dropped = trajectory.dropped_before > 0
        self.dropped.setData(index[dropped].astype(float) - 0.5, np.ones(int(dropped.sum())))
        _, xr, yr, xs, ys, ks = _with_gaps(index, trajectory.raw[:, 0, 0], trajectory.raw[:, 0, 1],
                                           trajectory.smoothed[:, 0, 0], trajectory.smoothed[:, 0, 1],
                                           trajectory.scores[:, 0])
        for curve, values in ((self.x_raw, xr), (self.y_raw, yr), (self.x_smoothed, xs), (self.y_smoothed, ys),
                              (self.keypoint_score, ks)):
            curve.setData(x, values)

    def set_events(self, events) -> None:
        """Mark failure events (:class:`~movenet_studio.core.analysis.events.Event`) on the pose plot,
        one symbol and colour per kind, just under its top."""
        self.event_marks.setData([float(e.frame) for e in events], [0.97] * len(events),
                                 symbol=[EVENT_SYMBOLS[e.kind][0] for e in events],
                                 brush=[pg.mkBrush(*EVENT_SYMBOLS[e.kind][1]) for e in events])

    def add_gap(self, first: float, last: float, tip: str) -> None:
        """Shade frames `first`..`last` on every plot: a live feed was down (dropped, reconnecting)."""
        for plot in self.plots:
            region = pg.LinearRegionItem((first, max(last, first + 1)), movable=False,
                                         brush=pg.mkBrush(192, 57, 43, 40), pen=pg.mkPen(None))
            region.setToolTip(tip)
            region.setZValue(-10)
            plot.addItem(region, ignoreBounds=True)
            self.gaps.append((plot, region))

    def clear_gaps(self) -> None:
        """Remove every shaded gap (a new source)."""
        for plot, region in self.gaps:
            plot.removeItem(region)
        self.gaps.clear()

    def set_current(self, index: int | None) -> None:
        """Mark frame `index` (None: no mark)."""
        for cursor in self.cursors:
            cursor.setVisible(index is not None)
            if index is not None:
                cursor.setValue(index)

    def _clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        pos = event.scenePos()
        for plot in self.plots:
            box = plot.getViewBox()
            if box.sceneBoundingRect().contains(pos):
                event.accept()
                self.seek_requested.emit(max(0, int(round(box.mapSceneToView(pos).x()))))
                return
