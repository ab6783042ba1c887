"""MultiPose options: the tracker that gives people stable ids, and the minimum pose score.

Both are :class:`~movenet_studio.core.pipeline.PipelineConfig` fields (``tracker``,
``min_pose_score``); the widget only emits requests, which the main window routes to
:meth:`Engine.update_config <movenet_studio.gui.engine.Engine.update_config>`, and shows the
configuration the engine runs (:meth:`MultiPoseControls.show_model`).
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QLabel, QWidget

from ...core.pipeline_config import MIN_POSE_SCORE
from ...core.tracking.track_ids import TRACKER_KINDS
from ..engine import ModelInfo

#: Menu labels of the tracker kinds (core.tracking.TRACKER_KINDS).
TRACKER_LABELS = {"none": "Off", "boxes": "Bounding box (IoU)", "keypoints": "Keypoints (OKS)"}


class MultiPoseControls(QGroupBox):
    """Tracker selector and minimum pose score (they only matter for MultiPose models; the
    group is disabled while a single-pose model runs).

    Signals:
        tracker_changed(str): a :data:`~movenet_studio.core.tracking.track_ids.TRACKER_KINDS` value picked.
        min_pose_score_changed(float): new minimum pose score in 0..1.
    """

    tracker_changed = Signal(str)
    min_pose_score_changed = Signal(float)

    def __init__(self, tracker: str = "boxes", min_pose_score: float = MIN_POSE_SCORE,
                 parent: QWidget | None = None):
        super().__init__("People (MultiPose)", parent)
        self.tracker_combo = QComboBox()
        for kind in TRACKER_KINDS:
            self.tracker_combo.addItem(TRACKER_LABELS.get(kind, kind), kind)
        self.tracker_combo.setToolTip("How people keep their id from frame to frame "
                                      "(box overlap or keypoint similarity); off: no ids")
        self.score_spin = QDoubleSpinBox()
        self.score_spin.setRange(0.0, 1.0)
        self.score_spin.setSingleStep(0.05)
        self.score_spin.setDecimals(2)
        self.score_spin.setKeyboardTracking(False)  # one rebuild per finished edit, not per key
        self.score_spin.setToolTip("People scoring below this are dropped")
        self.hint = QLabel("Load a MultiPose model to use these.")
        self.hint.setStyleSheet("color: gray;")
        self.hint.setWordWrap(True)
        layout = QFormLayout(self)
        layout.addRow("Tracker", self.tracker_combo)
        layout.addRow("Min pose score", self.score_spin)
        layout.addRow(self.hint)
        self._show(tracker, min_pose_score)
        self.tracker_combo.activated.connect(self._tracker_picked)
        self.score_spin.valueChanged.connect(self.min_pose_score_changed)

    @property
    def tracker(self) -> str:
        """The tracker kind shown."""
        return self.tracker_combo.currentData()

    @property
    def min_pose_score(self) -> float:
        """The minimum pose score shown."""
        return float(self.score_spin.value())

    def select_tracker(self, kind: str) -> None:
        """Pick tracker `kind` as a user would (emits :attr:`tracker_changed` when it changes)."""
        index = self.tracker_combo.findData(kind)
        if index < 0:
            raise ValueError(f"unknown tracker '{kind}'; known: {', '.join(TRACKER_KINDS)}")
        if index != self.tracker_combo.currentIndex():
            self.tracker_combo.setCurrentIndex(index)
            self._tracker_picked(index)

    @Slot(int)
    def _tracker_picked(self, index: int) -> None:
        self.tracker_changed.emit(self.tracker_combo.itemData(index))

    def show_config(self, tracker: str, min_pose_score: float) -> None:
        """Show a tracker and minimum pose score without emitting."""
        self._show(tracker, min_pose_score)

    def _show(self, tracker: str, min_pose_score: float) -> None:
        for widget in (self.tracker_combo, self.score_spin):
            widget.blockSignals(True)
        index = self.tracker_combo.findData(tracker)
        self.tracker_combo.setCurrentIndex(max(0, index))
        self.score_spin.setValue(float(min_pose_score))
        for widget in (self.tracker_combo, self.score_spin):
            widget.blockSignals(False)

    @Slot(object)
    def show_model(self, info: ModelInfo) -> None:
        """Show the running configuration; enabled only for a MultiPose model."""
        self._show(info.config.tracker, info.config.min_pose_score)
        multipose = info.spec.is_multipose
        self.tracker_combo.setEnabled(multipose)
        self.score_spin.setEnabled(multipose)
        self.hint.setVisible(not multipose)
