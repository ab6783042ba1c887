"""The export dialogs: the output file and frame range of an export (:class:`ExportDialog`)
and the progress of a running one (:class:`ExportProgress`)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (QButtonGroup, QDialog, QDialogButtonBox, QFileDialog, QGridLayout, QHBoxLayout,
                               QLabel, QLineEdit, QProgressDialog, QPushButton, QRadioButton, QSpinBox, QWidget)

from ..background import format_eta

VIDEO_FILTER = "MP4 video (*.mp4);;QuickTime (*.mov);;AVI (*.avi)"
KEYPOINTS_FILTER = "COCO keypoint results (*.json);;CSV, one row per keypoint (*.csv)"


class ExportDialog(QDialog):
    """Asks for the output file and the frame range of an export.

    Frame numbers are shown 1-based and inclusive, as the position label shows them;
    :attr:`frames` converts them to 0-based source indices.

    Args:
        kind: ``video`` or ``keypoints``.
        suggested: the initial output path.
        frame_count: frames of the source (None: unknown, whole-source only).
        current: 0-based index of the frame on screen (for "from here").
        parent: parent window.
    """

    def __init__(self, kind: str, suggested: Path, frame_count: int | None, current: int = 0,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.kind = kind
        self.setWindowTitle("Export video" if kind == "video" else "Export keypoints")
        self.path_edit = QLineEdit(str(suggested))
        self.browse_button = QPushButton("Browse…")
        self.whole_radio = QRadioButton("Whole source" + (f" ({frame_count} frames)" if frame_count else ""))
        self.range_radio = QRadioButton("Frames (from 0)")
        self.range_group = QButtonGroup(self)
        self.range_group.addButton(self.whole_radio)
        self.range_group.addButton(self.range_radio)
        self.whole_radio.setChecked(True)
        count = max(1, frame_count or 1)
        self.first_spin = QSpinBox()  # frame indices, numbered from 0 as everywhere in the app
        self.first_spin.setRange(0, count - 1)
        self.first_spin.setValue(min(count - 1, current))
        self.last_spin = QSpinBox()
        self.last_spin.setRange(0, count - 1)
        self.last_spin.setValue(count - 1)
        self.range_radio.setEnabled(bool(frame_count) and frame_count > 1)
        hint = ("MP4 (H.264), the overlays shown in the window burned in" if kind == "video" else
                ".json: COCO keypoint results (image_id = frame index); .csv: frame, timestamp_ms, person, "
                "keypoint, x, y, score")
        self.hint_label = QLabel(hint)
        self.hint_label.setWordWrap(True)
        self.hint_label.setStyleSheet("color: gray;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        grid = QGridLayout(self)
        grid.addWidget(QLabel("File"), 0, 0)
        grid.addWidget(self.path_edit, 0, 1, 1, 3)
        grid.addWidget(self.browse_button, 0, 4)
        grid.addWidget(self.whole_radio, 1, 1, 1, 4)
        row = QHBoxLayout()
        row.addWidget(self.range_radio)
        row.addWidget(self.first_spin)
        row.addWidget(QLabel("to"))
        row.addWidget(self.last_spin)
        row.addStretch(1)
        grid.addLayout(row, 2, 1, 1, 4)
        grid.addWidget(self.hint_label, 3, 0, 1, 5)
        grid.addWidget(buttons, 4, 0, 1, 5)
        self.setMinimumWidth(520)
        self.browse_button.clicked.connect(self._browse)
        self.first_spin.valueChanged.connect(self._pick_range)
        self.last_spin.valueChanged.connect(self._pick_range)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

    @property
    def path(self) -> Path:
        """The output file."""
        return Path(self.path_edit.text().strip()).expanduser()

    @property
    def frames(self) -> range | None:
        """0-based source frame indices, or None for the whole source."""
        if not self.range_radio.isChecked():
            return None
        first, last = sorted((self.first_spin.value(), self.last_spin.value()))
        return range(first, last + 1)

    @Slot()
    def _pick_range(self) -> None:
        if self.range_radio.isEnabled():
            self.range_radio.setChecked(True)

    @Slot()
    def _browse(self) -> None:
        title = "Export video" if self.kind == "video" else "Export keypoints"
        filters = VIDEO_FILTER if self.kind == "video" else KEYPOINTS_FILTER
        # The overwrite question comes once, from the window, when the export starts.
        path, _ = QFileDialog.getSaveFileName(self, title, str(self.path), filters,
                                              options=QFileDialog.Option.DontConfirmOverwrite)
        if path:
            self.path_edit.setText(path)


class ExportProgress(QProgressDialog):
    """Non-modal progress of one background export: frames, rate, ETA and a Cancel button."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(title, "Cancel", 0, 1, parent)
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.setAutoClose(False)
        self.setAutoReset(False)
        self.setMinimumDuration(0)
        self.setMinimumWidth(420)
        self._title = title

    @Slot(int, int, str, float)
    def show_progress(self, done: int, total: int, _message: str, elapsed_s: float) -> None:
        """Show `done` of `total` frames with the rate and the time left."""
        self.setMaximum(max(1, total))
        self.setValue(min(done, max(1, total)))
        self.setLabelText(f"{self._title}\n{format_eta(done, total, elapsed_s)}")


# --- the controller --------------------------------------------------------------------------
