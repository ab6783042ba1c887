"""The block-impact chart of Tools ▸ Quantize…: per block, the keypoint pixels saved by
keeping it float (bars) beside its SQNR (bars on a second plot), so blocks where SQNR and
keypoint impact disagree stand out. Items are created once and updated in place."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

SAVED_COLOUR = (90, 170, 255)
KEPT_COLOUR = (255, 170, 60)
SQNR_COLOUR = (140, 200, 120)


class BlockImpactPlot(pg.GraphicsLayoutWidget):
    """Two bar charts over the blocks: px saved if kept float (kept blocks in orange) and SQNR in dB.

    Attributes:
        saved_bars, kept_bars, sqnr_bars: the bar items.
        names: the block names on the x axis, in graph order.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setBackground("#1e2024")
        self.saved_plot = self.addPlot(row=0, col=0, title="Keypoint px saved when the block stays float")
        self.sqnr_plot = self.addPlot(row=1, col=0, title="SQNR of the block's output, full int8 vs float (dB)")
        for plot in (self.saved_plot, self.sqnr_plot):
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.showGrid(y=True, alpha=0.25)
            plot.getAxis("bottom").setHeight(46)
        self.sqnr_plot.setXLink(self.saved_plot)
        self.saved_plot.setLabel("left", "px")
        self.sqnr_plot.setLabel("left", "dB")
        legend = self.saved_plot.addLegend(offset=(-6, 4), brush=(30, 32, 36, 210))
        legend.setColumnCount(2)
        empty = {"x": [], "height": [], "width": 0.6}
        self.saved_bars = pg.BarGraphItem(**empty, brush=pg.mkBrush(*SAVED_COLOUR), name="int8")
        self.kept_bars = pg.BarGraphItem(**empty, brush=pg.mkBrush(*KEPT_COLOUR), name="kept float")
        self.sqnr_bars = pg.BarGraphItem(**empty, brush=pg.mkBrush(*SQNR_COLOUR))
        self.saved_plot.addItem(self.saved_bars)
        self.saved_plot.addItem(self.kept_bars)
        self.sqnr_plot.addItem(self.sqnr_bars)
        self.names: list[str] = []

    def show_report(self, report: dict) -> None:
        """Plot a ``quantize --report`` document's blocks (px saved = full-int8 mean - mean if float)."""
        blocks = report.get("blocks", [])
        full = report["full_int8"]["keypoints_px"]["mean"]
        self.names = [b["name"] for b in blocks]
        saved = [full - b["keypoints_px_mean_if_float"] for b in blocks]
        xs = list(range(len(blocks)))
        self.saved_bars.setOpts(x=[x for x, b in zip(xs, blocks) if b["int8"]],
                                height=[s for s, b in zip(saved, blocks) if b["int8"]], width=0.6)
        self.kept_bars.setOpts(x=[x for x, b in zip(xs, blocks) if not b["int8"]],
                               height=[s for s, b in zip(saved, blocks) if not b["int8"]], width=0.6)
        self.sqnr_bars.setOpts(x=xs, height=[b["sqnr_db"] or 0.0 for b in blocks], width=0.6)
        ticks = [[(x, name.replace("backbone_", "bb ").replace("head_", "").replace("keypoint_", "kpt "))
                  for x, name in zip(xs, self.names)]]
        for plot in (self.saved_plot, self.sqnr_plot):
            plot.getAxis("bottom").setTicks(ticks)
            plot.setXRange(-0.6, max(0, len(xs) - 0.4), padding=0)
        self.saved_plot.enableAutoRange(axis="y")
        self.sqnr_plot.enableAutoRange(axis="y")
