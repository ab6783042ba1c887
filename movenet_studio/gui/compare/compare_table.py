"""Compare mode's table: per-keypoint A-B distances (px) and scores, the newest frame and
running figures accumulated in O(1) time and fixed memory per result by the CLI's accumulator
(:class:`~movenet_studio.core.analysis.compare_stats.CompareStats`), so a long run costs the GUI thread
nothing extra."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...core.analysis.compare_stats import CompareStats
from ...core.decoding.keypoints import KEYPOINT_NAMES, NUM_KEYPOINTS
from ...core.worker import EngineResult
from .compare_view import A_COLOUR, B_COLOUR
from ..panels.tables import figures_table, fill_row
from ..throttle import RefreshThrottle

#: Table columns.
COLUMNS = ("Keypoint", "Δ px", "mean", "max", "score A", "score B")


def _num(value: float, digits: int = 1) -> str:
    return "–" if not np.isfinite(value) else f"{value:.{digits}f}"


class CompareTable(QWidget):
    """Per-keypoint A-B distances (px) and scores: the newest frame and running figures.

    Feed it with :meth:`add_result`; the widgets refresh at most every 100 ms, the running
    figures take every result.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.stats = CompareStats()
        self._newest: EngineResult | None = None
        self._throttle = RefreshThrottle(self.refresh, self)
        self.summary = QLabel("Compare mode is off")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.table = figures_table(NUM_KEYPOINTS + 1, COLUMNS, sample="000.0")
        tips = ("", "A-B distance on the newest frame, frame pixels (models' keypoints before smoothing)",
                "running mean distance", "running max distance",
                "A's score on the newest frame (running mean in the cell's tooltip)",
                "B's score on the newest frame (running mean in the cell's tooltip)")
        for col, tip in enumerate(tips):
            self.table.horizontalHeaderItem(col).setToolTip(tip)
        names = ["all"] + [n.replace("_", " ") for n in KEYPOINT_NAMES]  # the summary row first: always in view
        for row, name in enumerate(names):
            fill_row(self.table, row, name, bold=name == "all")
        height = self.table.horizontalHeader().sizeHint().height() + 2 * self.table.frameWidth()
        height += sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        self.table.setFixedHeight(height)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)

    @property
    def frames(self) -> int:
        """Compared frames since the last reset."""
        return self.stats.frames

    def rows(self) -> dict[str, tuple[str, ...]]:
        """The table as {keypoint or ``all``: texts of the other columns} (tests and tools)."""
        return {self.table.item(r, 0).text(): tuple(self.table.item(r, c).text() for c in range(1, len(COLUMNS)))
                for r in range(self.table.rowCount())}

    @Slot(object)
    def add_result(self, result: EngineResult) -> None:
        """Account for a result (ignored when it has no comparison)."""
        if result.compare is None:
            return
        self.stats.add(result.compare)
        self._newest = result
        self._throttle.request()

    @Slot()
    def reset(self) -> None:
        """Forget the running figures and blank the table."""
        self._throttle.cancel()
        self.stats.reset()
        self._newest = None
        for row in range(self.table.rowCount()):
            for col in range(1, len(COLUMNS)):
                self.table.item(row, col).setText("–")

    @Slot()
    def refresh(self) -> None:
        """Show the newest figures now."""
        self._throttle.refreshed()
        result, stats = self._newest, self.stats
        if result is None or result.compare is None:
            return
        columns = (stats.last_px, stats.mean_px, stats.max_px, stats.last_score_a, stats.last_score_b)
        running = {4: stats.mean_score_a, 5: stats.mean_score_b}
        for col, values in enumerate(columns, start=1):
            digits = 1 if col <= 3 else 2
            for k in range(NUM_KEYPOINTS):
                item = self.table.item(k + 1, col)
                item.setText(_num(float(values[k]), digits))
                if col in running:
                    item.setToolTip(f"running mean {_num(float(running[col][k]), 3)}")
        last = float(np.nanmean(stats.last_px)) if np.isfinite(stats.last_px).any() else float("nan")
        mean, top = stats.distances.pooled_mean(), stats.distances.pooled_max()
        means = [float(np.mean(v)) if np.isfinite(v).all() else float("nan") for v in columns[3:]]
        for col, value in enumerate((last, mean, top, *means), start=1):
            self.table.item(0, col).setText(_num(value, 1 if col <= 3 else 2))
        for col, values in running.items():
            self.table.item(0, col).setToolTip(f"running mean {_num(float(np.mean(values)), 3)}")
        self.summary.setText(self._summary(result))

    def _summary(self, result: EngineResult) -> str:
        info, frame, stats = result.model, result.compare, self.stats
        b = info.compare
        size_b = tuple(frame.b.model_input.shape[:2])
        how = ("B on A's exact model input" if frame.shared_input
               else f"B on A's region resized to {size_b[1]}×{size_b[0]}")
        colour_a, colour_b = ("#%02x%02x%02x" % c for c in (A_COLOUR, B_COLOUR))
        lines = [f"<b style='color:{colour_a}'>A</b> {info.spec.label} vs "
                 f"<b style='color:{colour_b}'>B</b> {b.spec.label if b else '?'}",
                 f"{stats.frames} frame{'s' if stats.frames != 1 else ''}; {how}"]
        if stats.unmatched_a or stats.unmatched_b:
            lines.append(f"unpaired people: A {stats.unmatched_a}, B {stats.unmatched_b}")
        return "<br>".join(lines)
