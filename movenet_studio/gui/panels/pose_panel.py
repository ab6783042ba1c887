"""Keypoint table: name, score and position of each keypoint of the newest pose.

With several people (MultiPose) the table shows the best-scoring person, or the person with
the track id picked in the person selector (which lists the ids of the newest result).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from .tables import figures_table, fill_row
from ..throttle import RefreshThrottle
from ...core.decoding.keypoints import KEYPOINT_NAMES
from ...core.decoding.pose import Pose
from ...core.drawing.render_style import track_colour
from ..engine import EngineResult
from ..overlay_state import DEFAULT_THRESHOLD
from ..slot_timing import timed

#: The table is refreshed at most this often.

_DIM_BRUSH = QBrush(QColor(128, 128, 128))


class PosePanel(QGroupBox):
    """Shows the keypoints of the best pose of the newest result; rows below the score
    threshold are dimmed (they are hidden in the overlay)."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, parent: QWidget | None = None):
        super().__init__("Keypoints", parent)
        self._threshold = threshold
        self._newest: EngineResult | None = None
        self._throttle = RefreshThrottle(self.refresh, self, while_visible=True)  # not drawn while hidden (closed dock, tab behind another)
        self.summary = QLabel("No pose")
        self.summary.setWordWrap(True)
        self.person_combo = QComboBox()
        self.person_combo.addItem("Best score", None)
        self.person_combo.setToolTip("Whose keypoints to list (track ids of the newest frame)")
        self.person_combo.setVisible(False)
        self.person_combo.activated.connect(self._person_picked)
        self._ids: tuple[int, ...] = ()
        self.table = figures_table(len(KEYPOINT_NAMES), ["Keypoint", "Score", "x", "y"], sample="-0000.0")
        for row, name in enumerate(KEYPOINT_NAMES):
            fill_row(self.table, row, name.replace("_", " "))
        self._row_names = KEYPOINT_NAMES
        height = self.table.horizontalHeader().sizeHint().height() + 2 * self.table.frameWidth()
        height += sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        self.table.setFixedHeight(height)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.person_combo)
        layout.addLayout(top)
        layout.addWidget(self.table)

    @Slot(object)
    @timed("keypoints.add_result")
    def add_result(self, result: EngineResult) -> None:
        """Take the newest result (the table refreshes at most every 100 ms)."""
        self._newest = result
        self._throttle.request()

    @property
    def person(self) -> int | None:
        """The track id picked in the person selector, or None for the best-scoring person."""
        return self.person_combo.currentData()

    def select_person(self, track_id: int | None) -> None:
        """Show person `track_id` (None: the best-scoring one) from now on."""
        index = self.person_combo.findData(track_id) if track_id is not None else 0
        if index < 0:
            self.person_combo.addItem(f"#{track_id}", track_id)
            index = self.person_combo.count() - 1
        self.person_combo.setCurrentIndex(index)
        self.refresh()

    @Slot(int)
    def _person_picked(self, _index: int) -> None:
        self.refresh()

    def _update_people(self, poses: tuple[Pose, ...]) -> None:
        """List the newest result's track ids in the selector (only when they change)."""
        ids = tuple(sorted(p.track_id for p in poses if p.track_id is not None))
        if ids == self._ids:
            return
        self._ids = ids
        picked = self.person
        self.person_combo.blockSignals(True)
        self.person_combo.clear()
        self.person_combo.addItem("Best score", None)
        for track_id in ids:
            self.person_combo.addItem(f"#{track_id}", track_id)
            self.person_combo.setItemData(self.person_combo.count() - 1, QColor(*track_colour(track_id)),
                                          Qt.ItemDataRole.DecorationRole)
        if picked is not None and picked not in ids:  # keep the choice while that person is away
            self.person_combo.addItem(f"#{picked} (not in frame)", picked)
        self.person_combo.setCurrentIndex(max(0, self.person_combo.findData(picked)) if picked is not None else 0)
        self.person_combo.blockSignals(False)
        self.person_combo.setVisible(bool(ids) or picked is not None)

    def _name_rows(self, names: tuple[str, ...]) -> None:
        """Label the rows with the pose's keypoint names (17 COCO or ST's 13); hide the rest."""
        if names == self._row_names:
            return
        self._row_names = names
        for row in range(self.table.rowCount()):
            if row < len(names):
                self.table.item(row, 0).setText(names[row].replace("_", " "))
            self.table.setRowHidden(row, row >= len(names))

    @Slot(float)
    def set_threshold(self, threshold: float) -> None:
        """Dim keypoints scoring below `threshold`."""
        self._threshold = threshold
        self.refresh()

    @Slot()
    @timed("keypoints.refresh")
    def refresh(self) -> None:
        """Show the newest result now."""
        self._throttle.refreshed()
        result = self._newest
        poses = result.result.poses if result is not None else ()
        self._update_people(poses)
        if not poses:
            self.summary.setText("No pose" if result is None else f"No pose in frame #{result.result.index}")
            for row in range(self.table.rowCount()):
                for col in (1, 2, 3):
                    self.table.item(row, col).setText("–")
            return
        picked = self.person
        chosen = [p for p in poses if picked is not None and p.track_id == picked]
        best = chosen[0] if chosen else max(poses, key=lambda p: p.score)
        self._name_rows(best.names)
        shown = sum(1 for s in best.scores if s > self._threshold)  # drawn: above the threshold
        track = f", track {best.track_id}" if best.track_id is not None else ""
        if chosen:
            many, track = f"#{picked} of {len(poses)} people, ", ""
        elif picked is not None:
            many = f"#{picked} not in frame: best of {len(poses)}, "
        else:
            many = f"best of {len(poses)} poses, " if len(poses) > 1 else ""
        self.summary.setText(f"{many}score {best.score:.2f}{track}; {shown}/{len(best.keypoints)} ≥ {self._threshold:.2f}")
        for row, (x, y, score) in enumerate(best.keypoints):
            dim = score <= self._threshold
            foreground = _DIM_BRUSH if dim else None  # None: the palette's text colour
            for col, text in ((1, f"{score:.2f}"), (2, f"{x:.1f}"), (3, f"{y:.1f}")):
                item = self.table.item(row, col)
                item.setText(text)
                item.setData(Qt.ItemDataRole.ForegroundRole, foreground)
            self.table.item(row, 0).setData(Qt.ItemDataRole.ForegroundRole, foreground)
