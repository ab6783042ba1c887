"""Side-panel controls: source and transport, model and threads, display threshold.

The widgets only emit requests (signals) and show state handed to their slots; the main
window connects them to the :class:`~.player.SourcePlayer` and :class:`~.engine.Engine`.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QGridLayout, QGroupBox, QHBoxLayout, QLabel,
                               QPushButton, QSizePolicy, QSlider, QSpinBox, QStyle, QVBoxLayout, QWidget)

from ...core.errors import StudioError
from ...core.models.catalog import bundled_keys, bundled_model
from ...core.file_kinds import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS
from .availability import sync_model_items
from .backend_controls import BackendControls
from ..engine import ModelInfo
from .multipose_controls import MultiPoseControls
from ..overlay_state import DEFAULT_THRESHOLD
from ..source_info import SourceInfo
from ..panels.pose_panel import PosePanel
from .seek_slider import SeekSlider

MODEL_EXTENSIONS = (".tflite", ".onnx")


def model_label(key: str) -> str:
    """Menu label of a bundled model key, e.g. ``Lightning · float16``."""
    variant, _, precision = key.partition("-")
    name = "MultiPose Lightning" if variant == "multipose" else variant.capitalize()
    return f"{name} · {precision}" if precision else name


def _looks_like_path(name: str) -> bool:
    return "/" in name or "\\" in name or Path(name).suffix.lower() in MODEL_EXTENSIONS


def _media_filter() -> str:
    videos = " ".join(f"*{e}" for e in sorted(VIDEO_EXTENSIONS))
    images = " ".join(f"*{e}" for e in sorted(IMAGE_EXTENSIONS))
    models = " ".join(f"*{e}" for e in MODEL_EXTENSIONS)
    return (f"Videos and images ({videos} {images});;Videos ({videos});;Images ({images});;"
            f"Models ({models});;All files (*)")


class SourceControls(QGroupBox):
    """Open a file, folder or camera; play/pause, step, seek and loop.

    Signals:
        source_requested(str): open this path or ``camera:N``.
        play_toggled(): play/pause pressed.
        step_requested(): show the next frame.
        seek_requested(int): show frame N (slider moved by the user).
        loop_toggled(bool): loop checkbox changed.
    """

    source_requested = Signal(str)
    play_toggled = Signal()
    step_requested = Signal()
    seek_requested = Signal(int)
    loop_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Source", parent)
        self.last_dir = str(Path.home())
        style = self.style()
        self.source_label = QLabel("No source")
        self.source_label.setWordWrap(True)
        self.source_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_file_button = QPushButton("Open file…")
        self.open_file_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_DialogOpenButton))
        self.open_file_button.setToolTip("Open a video or image (Ctrl+O)")
        self.open_folder_button = QPushButton("Open folder…")
        self.open_folder_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_DirOpenIcon))
        self.camera_spin = QSpinBox()
        self.camera_spin.setRange(0, 99)
        self.camera_spin.setPrefix("camera ")
        self.open_camera_button = QPushButton("Open camera")
        self.play_button = QPushButton("Play")
        self.play_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        self.play_button.setToolTip("Play / pause (Space)")
        self.step_button = QPushButton("Step")
        self.step_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipForward))
        self.step_button.setToolTip("Next frame (→ or .; ← or , goes back)")
        self.loop_check = QCheckBox("Loop")
        self.loop_check.setToolTip("Restart at the end (L)")
        for button in (self.play_button, self.step_button, self.loop_check):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keep Space/→ for the shortcuts
        self.slider = SeekSlider()
        self.slider.setRange(0, 0)
        self.slider.setEnabled(False)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.slider.setToolTip("Click or drag to show a frame (Home / End: first / last; ← → or , . step)")
        self.position_label = QLabel("– / –")
        self.position_label.setToolTip("Frame index / last frame index (frames are numbered from 0)")
        self.position_label.setMinimumWidth(64)
        self.position_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        grid = QGridLayout(self)
        grid.addWidget(self.source_label, 0, 0, 1, 2)
        grid.addWidget(self.open_file_button, 1, 0)
        grid.addWidget(self.open_folder_button, 1, 1)
        grid.addWidget(self.camera_spin, 2, 0)
        grid.addWidget(self.open_camera_button, 2, 1)
        transport = QHBoxLayout()
        transport.addWidget(self.play_button)
        transport.addWidget(self.step_button)
        transport.addWidget(self.loop_check)
        grid.addLayout(transport, 3, 0, 1, 2)
        seek = QHBoxLayout()
        seek.addWidget(self.slider, 1)
        seek.addWidget(self.position_label)
        grid.addLayout(seek, 4, 0, 1, 2)

        self.open_file_button.clicked.connect(self.choose_file)
        self.open_folder_button.clicked.connect(self.choose_folder)
        self.open_camera_button.clicked.connect(self._open_camera)
        self.play_button.clicked.connect(self.play_toggled)
        self.step_button.clicked.connect(self.step_requested)
        self.loop_check.toggled.connect(self.loop_toggled)
        self.slider.valueChanged.connect(self._slider_moved)
        self._frame_count: int | None = None

    @Slot()
    def choose_file(self) -> None:
        """Ask for a video, image or model file and request it."""
        path, _ = QFileDialog.getOpenFileName(self, "Open video, image or model", self.last_dir, _media_filter())
        if path:
            self.last_dir = os.path.dirname(path)
            self.source_requested.emit(path)

    @Slot()
    def choose_folder(self) -> None:
        """Ask for a folder of images and request it."""
        path = QFileDialog.getExistingDirectory(self, "Open a folder of images", self.last_dir)
        if path:
            self.last_dir = path
            self.source_requested.emit(path)

    @Slot()
    def _open_camera(self) -> None:
        self.source_requested.emit(f"camera:{self.camera_spin.value()}")

    @Slot(int)
    def _slider_moved(self, value: int) -> None:
        self._show_position(value)
        self.seek_requested.emit(value)

    @Slot(object)
    def set_source(self, info: SourceInfo | None) -> None:
        """Show the opened source and set up the slider."""
        if info is None:
            self.source_label.setText("No source")
            self._frame_count = None
            self.slider.setEnabled(False)
            return
        self.source_label.setText(f"<b>{info.name}</b><br><span style='color:gray'>{info.details}</span>")
        self.source_label.setToolTip(info.spec)
        if not info.is_live and info.spec:
            self.last_dir = str(Path(info.spec).parent if Path(info.spec).is_file() else Path(info.spec))
        self._frame_count = info.frame_count
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, (info.frame_count or 1) - 1))
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self.slider.setEnabled(info.seekable)
        self.play_button.setEnabled(True)
        self.step_button.setEnabled(True)
        self._show_position(0)

    @Slot(bool)
    def set_playing(self, playing: bool) -> None:
        """Show the play/pause state."""
        icon = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))
        self.play_button.setText("Pause" if playing else "Play")

    @Slot(int)
    def set_position(self, index: int) -> None:
        """Show frame `index` on the slider (ignored while the user drags it)."""
        if self.slider.isSliderDown():
            return
        self.slider.blockSignals(True)
        self.slider.setValue(index)
        self.slider.blockSignals(False)
        self._show_position(index)

    def _show_position(self, index: int) -> None:
        total = self._frame_count
        self.position_label.setText(f"{index} / {total - 1}" if total else f"{index}")

    @Slot(bool)
    def set_loop(self, loop: bool) -> None:
        """Show the loop state (without emitting)."""
        self.loop_check.blockSignals(True)
        self.loop_check.setChecked(loop)
        self.loop_check.blockSignals(False)


class ModelControls(QGroupBox):
    """Pick a bundled model or a model file, and the runtime threads.

    Signals:
        model_requested(str): load this catalog key or model file path.
        threads_changed(int): runtime threads changed.
    """

    model_requested = Signal(str)
    threads_changed = Signal(int)

    def __init__(self, threads: int = 2, parent: QWidget | None = None):
        super().__init__("Model", parent)
        self.last_dir = str(Path.home())
        self.combo = QComboBox()
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(16)
        for key in bundled_keys():
            self.combo.addItem(model_label(key), key)
        self.open_button = QPushButton("Open model file…")
        self.open_button.setToolTip("A MoveNet .tflite or .onnx file")
        self.threads_spin = QSpinBox()
        self.threads_spin.setRange(1, 64)
        self.threads_spin.setValue(max(1, threads))
        self.threads_spin.setSuffix(" threads")
        self.info_label = QLabel("loading…")
        self.info_label.setWordWrap(True)
        self.info_label.setStyleSheet("color: gray;")
        self.info_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

        layout = QGridLayout(self)
        layout.addWidget(self.combo, 0, 0, 1, 2)
        layout.addWidget(self.open_button, 1, 0)
        layout.addWidget(self.threads_spin, 1, 1)
        layout.addWidget(self.info_label, 2, 0, 1, 2)

        self.combo.activated.connect(self._combo_activated)
        self.open_button.clicked.connect(self.choose_file)
        self.threads_spin.valueChanged.connect(self.threads_changed)
        self._current: str | None = None

    @property
    def current_name(self) -> str | None:
        """Key or path of the model shown as current."""
        return self.combo.currentData()

    @Slot(int)
    def _combo_activated(self, index: int) -> None:
        name = self.combo.itemData(index)
        if name:
            self.model_requested.emit(name)

    @Slot()
    def choose_file(self) -> None:
        """Ask for a .tflite/.onnx file and request it."""
        path, _ = QFileDialog.getOpenFileName(self, "Open a MoveNet model", self.last_dir,
                                              "MoveNet models (*.tflite *.onnx);;All files (*)")
        if path:
            self.last_dir = os.path.dirname(path)
            self.model_requested.emit(path)

    def select(self, name: str) -> None:
        """Show `name` (catalog key or file path) as the current model, without emitting."""
        index = self.combo.findData(name)
        if index < 0 and not _looks_like_path(name):
            try:  # an alias such as "lightning" -> "lightning-float16"
                index = self.combo.findData(bundled_model(name).key)
            except StudioError:
                index = -1
        if index < 0:
            label = Path(name).name if _looks_like_path(name) else name
            self.combo.addItem(label, name)
            index = self.combo.count() - 1
            self.combo.setItemData(index, name, Qt.ItemDataRole.ToolTipRole)
        self.combo.blockSignals(True)
        self.combo.setCurrentIndex(index)
        self.combo.blockSignals(False)
        self._current = name

    @Slot(object)
    def show_model(self, info: ModelInfo) -> None:
        """Show the model the engine now runs."""
        name = info.spec.key if info.spec.bundled else str(info.spec.path)
        self.select(name)
        size = "dynamic" if info.spec.input_size[0] < 0 else "{}×{}".format(*info.spec.input_size)
        self.info_label.setText(f"{info.spec.label}, input {size} {info.spec.input_dtype}<br>"
                                f"{info.device or info.config.backend}; loaded in {info.load_ms:.0f} ms")
        self.threads_spin.blockSignals(True)
        self.threads_spin.setValue(info.config.threads)
        self.threads_spin.blockSignals(False)
        sync_model_items(self.combo, info.config.backend)  # e.g. int8 greyed while ONNX Runtime runs

    @Slot()
    def revert(self) -> None:
        """Show the last model that loaded again (after a failed switch)."""
        if self._current is not None:
            self.select(self._current)


class DisplayControls(QGroupBox):
    """Overlay options: the keypoint score threshold.

    Signals:
        threshold_changed(float): new threshold in 0..1.
    """

    threshold_changed = Signal(float)
    input_region_toggled = Signal(bool)
    speed_toggled = Signal(bool)

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, parent: QWidget | None = None):
        super().__init__("Display", parent)
        self.speed_check = QCheckBox("FPS and inference ms on the video")
        self.speed_check.setToolTip("A readout over the video's top-left corner (window only; exports have "
                                    "their own timing overlay)")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setValue(round(threshold * 100))
        self.slider.setToolTip("Keypoints scoring below this are hidden, with their edges")
        self.value_label = QLabel(f"{threshold:.2f}")
        self.value_label.setMinimumWidth(36)
        self.input_check = QCheckBox("Model input region")
        self.input_check.setToolTip("Outline the part of the frame the model saw (crop region or letterbox)")
        self.input_check.setChecked(True)
        layout = QGridLayout(self)
        layout.addWidget(QLabel("Score ≥"), 0, 0)
        layout.addWidget(self.slider, 0, 1)
        layout.addWidget(self.value_label, 0, 2)
        layout.addWidget(self.input_check, 1, 0, 1, 3)
        layout.addWidget(self.speed_check, 2, 0, 1, 3)
        self.slider.valueChanged.connect(self._changed)
        self.input_check.toggled.connect(self.input_region_toggled)
        self.speed_check.toggled.connect(self.speed_toggled)

    @property
    def threshold(self) -> float:
        """The threshold shown (0..1)."""
        return self.slider.value() / 100.0

    @Slot(float)
    def set_threshold(self, threshold: float) -> None:
        """Set the threshold (emits :attr:`threshold_changed` when it changes)."""
        self.slider.setValue(round(min(1.0, max(0.0, threshold)) * 100))

    @Slot(int)
    def _changed(self, value: int) -> None:
        self.value_label.setText(f"{value / 100:.2f}")
        self.threshold_changed.emit(value / 100.0)


class ControlPanel(QWidget):
    """The control groups stacked vertically (the left dock's content), with the keypoint table."""

    def __init__(self, threads: int = 2, threshold: float = DEFAULT_THRESHOLD, parent: QWidget | None = None):
        super().__init__(parent)
        self.source = SourceControls()
        self.model = ModelControls(threads)
        self.backend = BackendControls()
        self.people = MultiPoseControls()
        self.display = DisplayControls(threshold)
        self.keypoints = PosePanel(threshold)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.source)
        layout.addWidget(self.model)
        layout.addWidget(self.backend)
        layout.addWidget(self.display)
        layout.addWidget(self.people)
        layout.addWidget(self.keypoints)
        layout.addStretch(1)
        self.display.threshold_changed.connect(self.keypoints.set_threshold)
