"""Compare mode: configuration B beside the running configuration A, on the same frames.

The worker runs :class:`~movenet_studio.core.compare.ComparePipeline` (see
:meth:`Engine.request_compare <movenet_studio.gui.engine.Engine.request_compare>`): A drives
the preprocessing and B runs on A's model input (or the same region resized), so every
result carries both (:attr:`EngineResult.compare <movenet_studio.gui.engine.EngineResult.compare>`).

Pieces (all GUI thread):

* :class:`ComparePanel`: the dock's content: the compare switch, configuration B (model
  with its precision, backend, threads), the view mode, and :class:`CompareTable`.
* :class:`CompareTable`: per keypoint the A-B distance in frame pixels on the newest frame,
  its running mean and max, and both models' scores (newest and running mean). The
  distances are the models' own keypoints before smoothing (see :mod:`movenet_studio.core.compare`).
* :class:`CompareOverlay`: B's skeleton in one colour (:data:`B_COLOUR`, dashed) over A's,
  which is then drawn in :data:`A_COLOUR`, in the main view ("overlay" mode).
* :class:`SideView`: B in a second view beside the first, zoom and pan linked ("side by side").
* :class:`CompareController`: builds configuration B from the panel and
  :attr:`Engine.config`, asks the engine, and routes results to the pieces above.

Running figures are accumulated in O(1) per result (:class:`RunningDistances`), never by
re-reading the history, so a long run costs the GUI thread nothing extra.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (QCheckBox, QComboBox, QGridLayout, QGroupBox, QLabel, QPushButton, QSpinBox, QVBoxLayout,
                               QWidget)

from .image_view import image_view
from .tables import figures_table, fill_row
from .throttle import RefreshThrottle
from ..core.compare import CompareFrame, parse_spec
from ..core.errors import StudioError
from ..core.keypoints import KEYPOINT_NAMES, NUM_KEYPOINTS, Pose
from ..core.models import bundled_keys, bundled_model
from ..core.pipeline import PipelineConfig
from .backend_controls import BACKEND_LABELS
from .controls import model_label
from .availability import sync_backend_items, sync_model_items
from .engine import Engine, EngineResult, ModelInfo
from .multipose_overlay import PeopleOverlay
from .overlays import DEFAULT_THRESHOLD, SkeletonOverlay, skeleton_geometry

#: In overlay mode A's skeleton is drawn in A_COLOUR and B's in B_COLOUR (dashed), RGB.
A_COLOUR = (0, 190, 255)
B_COLOUR = (255, 140, 0)
#: The two view modes.
OVERLAY, SIDE_BY_SIDE = "overlay", "side"
#: The table is refreshed at most this often.
#: Table columns.
COLUMNS = ("Keypoint", "Δ px", "mean", "max", "score A", "score B")
#: Pipeline options B takes from A (so both report poses the same way).
SHARED_OPTIONS = ("crop", "smoothing", "tracker", "min_pose_score")


class RunningDistances:
    """Running per-keypoint figures of compare frames, O(1) per frame.

    Attributes:
        frames: frames added since the last reset.
        pairs: compared pose pairs (single-pose: one per frame).
        last_px: float [17] A-B distance of the newest frame (mean over its pairs; nan without one).
        last_score_a, last_score_b: float [17] the newest frame's scores (mean over pairs).
        unmatched_a, unmatched_b: MultiPose instances without a partner, summed.
        shared_frames: frames on which B ran on A's exact model input.
    """

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        """Forget everything."""
        self.frames = self.pairs = self.shared_frames = self.unmatched_a = self.unmatched_b = 0
        self._sum = np.zeros(NUM_KEYPOINTS)
        self._count = np.zeros(NUM_KEYPOINTS)  # pairs per keypoint (models of other keypoint sets: fewer)
        self._max = np.full(NUM_KEYPOINTS, np.nan)
        self._sum_a = np.zeros(NUM_KEYPOINTS)
        self._sum_b = np.zeros(NUM_KEYPOINTS)
        self.last_px = np.full(NUM_KEYPOINTS, np.nan)
        self.last_score_a = np.full(NUM_KEYPOINTS, np.nan)
        self.last_score_b = np.full(NUM_KEYPOINTS, np.nan)

    def add(self, frame: CompareFrame) -> None:
        """Account for one frame's comparison."""
        self.frames += 1
        self.shared_frames += int(frame.shared_input)
        self.unmatched_a += frame.unmatched_a
        self.unmatched_b += frame.unmatched_b
        distances = np.asarray(frame.distances_px, dtype=np.float64)
        if not len(distances):
            self.last_px[:] = self.last_score_a[:] = self.last_score_b[:] = np.nan
            return
        scores_a = np.asarray(frame.scores_a, dtype=np.float64)
        scores_b = np.asarray(frame.scores_b, dtype=np.float64)
        self.pairs += len(distances)
        present = np.isfinite(distances)  # NaN: a keypoint one of the two models does not have
        self._sum += np.where(present, distances, 0.0).sum(axis=0)
        self._count += present.sum(axis=0)
        self._max = np.fmax(self._max, np.fmax.reduce(distances, axis=0))
        self._sum_a += np.nansum(scores_a, axis=0)
        self._sum_b += np.nansum(scores_b, axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            count = present.sum(axis=0)
            self.last_px = np.where(count > 0, np.where(present, distances, 0.0).sum(axis=0) / count, np.nan)
            self.last_score_a = np.where(count > 0, np.nansum(scores_a, axis=0) / len(distances), np.nan)
            self.last_score_b = np.where(count > 0, np.nansum(scores_b, axis=0) / len(distances), np.nan)

    @property
    def mean_px(self) -> np.ndarray:
        """float [17] running mean distance (nan before any pair)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self._count > 0, self._sum / np.maximum(self._count, 1), np.nan)

    @property
    def max_px(self) -> np.ndarray:
        """float [17] running max distance (nan before any pair)."""
        return self._max.copy()

    @property
    def mean_score_a(self) -> np.ndarray:
        """float [17] A's running mean keypoint score."""
        return self._sum_a / self.pairs if self.pairs else np.full(NUM_KEYPOINTS, np.nan)

    @property
    def mean_score_b(self) -> np.ndarray:
        """float [17] B's running mean keypoint score."""
        return self._sum_b / self.pairs if self.pairs else np.full(NUM_KEYPOINTS, np.nan)

    def overall(self) -> tuple[float, float, float]:
        """(newest frame's mean, running mean, running max) over all keypoints, in px (nan when none)."""
        last = float(np.nanmean(self.last_px)) if np.isfinite(self.last_px).any() else float("nan")
        mean = float(self._sum.sum() / self._count.sum()) if self._count.sum() else float("nan")
        top = float(np.nanmax(self._max)) if self.pairs else float("nan")
        return last, mean, top


def _num(value: float, digits: int = 1) -> str:
    return "–" if not np.isfinite(value) else f"{value:.{digits}f}"


class CompareTable(QWidget):
    """Per-keypoint A-B distances (px) and scores: the newest frame and running figures.

    Feed it with :meth:`add_result`; the widgets refresh at most every 100 ms, the running
    figures take every result.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.stats = RunningDistances()
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
        last, mean, top = stats.overall()
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


class CompareOverlay:
    """B's poses drawn in one colour (dashed skeleton, diamond keypoints) over a view.

    Args:
        view: the ViewBox showing the frame.
        colour: RGB of B's skeleton and keypoints.
    """

    def __init__(self, view: pg.ViewBox, colour: tuple[int, int, int] = B_COLOUR):
        self.colour = colour
        self.edges_item = pg.PlotCurveItem(connect="pairs", antialias=True,
                                           pen=pg.mkPen(colour, width=2.5, style=Qt.PenStyle.DashLine,
                                                        cosmetic=True))
        self.edges_item.setZValue(13)
        self.points_item = pg.ScatterPlotItem(size=9, symbol="d", pen=pg.mkPen((20, 20, 20), width=1),
                                              brush=pg.mkBrush(*colour), pxMode=True, antialias=True)
        self.points_item.setZValue(14)
        view.addItem(self.edges_item)
        view.addItem(self.points_item)
        self._poses: tuple[Pose, ...] = ()
        self._threshold = DEFAULT_THRESHOLD
        self.visible_keypoints = 0
        self.visible_edges = 0

    def set_poses(self, poses: Sequence[Pose], threshold: float | None = None) -> None:
        """Draw `poses` (frame pixels) hiding keypoints below `threshold` (default: the last one)."""
        self._poses = tuple(poses)
        if threshold is not None:
            self._threshold = float(threshold)
        geometry = skeleton_geometry(self._poses, self._threshold)
        segments = np.concatenate(geometry.edges) if geometry.edges else np.empty((0, 2))
        self.edges_item.setData(segments[:, 0], segments[:, 1])
        self.points_item.setData(pos=geometry.points)
        self.visible_keypoints = len(geometry.points)
        self.visible_edges = len(segments) // 2

    def set_threshold(self, threshold: float) -> None:
        """Redraw with another keypoint threshold."""
        self.set_poses(self._poses, threshold)

    def clear(self) -> None:
        """Draw nothing."""
        self.set_poses(())


class SideView(QWidget):
    """B in its own view (same frame, B's skeleton and people), zoom/pan linked to A's view.

    Args:
        threshold: initial keypoint threshold.
    """

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, parent: QWidget | None = None):
        super().__init__(parent)
        self.graphics, self.view_box, self.image_item = image_view()
        self.overlay = SkeletonOverlay(self.view_box, threshold)
        self.people = PeopleOverlay(self.view_box, threshold)
        # The title floats over the view (not in the layout), so both views have the same size
        # and the linked ranges line up.
        self.title = QLabel("B", self.graphics)
        self.title.setStyleSheet("color: #%02x%02x%02x; font-weight: bold; background: rgba(16, 18, 20, 170); "
                                 "padding: 2px 4px;" % B_COLOUR)
        self.title.move(4, 4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics, 1)
        self.frames_shown = 0

    def link_to(self, view_box: pg.ViewBox) -> None:
        """Share zoom and pan with `view_box` (A's view)."""
        self.view_box.setXLink(view_box)
        self.view_box.setYLink(view_box)

    def show_result(self, result, title: str = "B") -> None:
        """Draw B's :class:`~movenet_studio.core.pipeline.FrameResult` (frame, poses, input region)."""
        frame = result.frame
        self.image_item.show(frame)
        self.overlay.set_poses(result.poses)
        self.overlay.set_input_rect(result.mapping.frame_rect())
        self.people.set_poses(result.poses)
        if self.title.text() != title:
            self.title.setText(title)
            self.title.adjustSize()
        self.frames_shown += 1

    def set_threshold(self, threshold: float) -> None:
        """Hide keypoints below `threshold` (redraws only when it changes)."""
        if threshold != self.overlay.threshold:
            self.overlay.set_threshold(threshold)
            self.people.set_threshold(threshold)

    def clear(self) -> None:
        """Draw no poses."""
        self.overlay.clear()
        self.people.clear()


class ComparePanel(QWidget):
    """The compare dock's content: switch, configuration B, view mode, and the distance table.

    Signals:
        changed(): the switch or configuration B changed (the controller then asks the engine).
        view_mode_changed(str): :data:`OVERLAY` or :data:`SIDE_BY_SIDE`.
    """

    changed = Signal()
    view_mode_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        group = QGroupBox("Configuration B")
        self.enable_check = QCheckBox("Compare A with B")
        self.enable_check.setToolTip("Run configuration B on every frame beside the current model (A), "
                                     "on the same model input")
        self.model_combo = QComboBox()
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setMinimumContentsLength(10)
        for key in bundled_keys():
            self.model_combo.addItem(model_label(key), key)
        self.backend_combo = QComboBox()
        self.backend_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.backend_combo.setMinimumContentsLength(10)
        for name, label in BACKEND_LABELS.items():
            self.backend_combo.addItem(label, name)
        self.threads_spin = QSpinBox()
        self.threads_spin.setRange(1, 64)
        self.threads_spin.setValue(2)
        self.threads_spin.setSuffix(" threads")
        self.threads_spin.setKeyboardTracking(False)
        self.mode_combo = QComboBox()
        self.mode_combo.addItem("Overlay", OVERLAY)
        self.mode_combo.addItem("Side by side", SIDE_BY_SIDE)
        self.reset_button = QPushButton("Reset")
        self.model_combo.setToolTip("B's model and weight precision")
        self.backend_combo.setToolTip("B's runtime (the int8 models have no ONNX file)")
        self.mode_combo.setToolTip("Draw B over A in the same view, or in a second view beside it (linked zoom)")
        self.reset_button.setToolTip("Start the running mean / max again")
        grid = QGridLayout(group)
        grid.setVerticalSpacing(4)
        grid.addWidget(self.enable_check, 0, 0)
        grid.addWidget(self.reset_button, 0, 1)
        grid.addWidget(self.model_combo, 1, 0)
        grid.addWidget(self.backend_combo, 1, 1)
        grid.addWidget(self.threads_spin, 2, 0)
        grid.addWidget(self.mode_combo, 2, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        self.table = CompareTable()
        self.table.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(group)
        layout.addWidget(self.table)
        layout.addStretch(1)
        self.enable_check.toggled.connect(self._changed)
        self.model_combo.activated.connect(self._changed)
        self.backend_combo.activated.connect(self._changed)
        self.threads_spin.valueChanged.connect(self._changed)
        self.mode_combo.activated.connect(self._mode_picked)
        self.reset_button.clicked.connect(self.table.reset)

    @property
    def enabled(self) -> bool:
        """True while the compare switch is on."""
        return self.enable_check.isChecked()

    @property
    def view_mode(self) -> str:
        """:data:`OVERLAY` or :data:`SIDE_BY_SIDE`."""
        return self.mode_combo.currentData()

    def spec(self) -> tuple[str, str, int]:
        """Configuration B as shown: (model key or path, backend, threads)."""
        return self.model_combo.currentData(), self.backend_combo.currentData(), self.threads_spin.value()

    def show_config(self, enabled: bool, config: PipelineConfig | None) -> None:
        """Show a configuration B and the switch state without emitting."""
        widgets = (self.enable_check, self.model_combo, self.backend_combo, self.threads_spin)
        for widget in widgets:
            widget.blockSignals(True)
        self.enable_check.setChecked(enabled)
        if config is not None:
            self._select_model(config.model)
            self.backend_combo.setCurrentIndex(max(0, self.backend_combo.findData(config.backend)))
            self.threads_spin.setValue(config.threads)
        for widget in widgets:
            widget.blockSignals(False)
        self.table.setVisible(enabled)
        self._sync_availability()

    def _select_model(self, name: str) -> None:
        index = self.model_combo.findData(name)
        if index < 0:
            try:  # an alias such as "lightning-int8" -> itself, "lightning" -> "lightning-float16"
                index = self.model_combo.findData(bundled_model(name).key)
            except StudioError:
                index = -1
        if index < 0:  # a model file
            self.model_combo.addItem(name.replace("\\", "/").rsplit("/", 1)[-1], name)
            index = self.model_combo.count() - 1
            self.model_combo.setItemData(index, name, Qt.ItemDataRole.ToolTipRole)
        self.model_combo.setCurrentIndex(index)

    def set_view_mode(self, mode: str) -> None:
        """Pick a view mode (emits :attr:`view_mode_changed`)."""
        self.mode_combo.setCurrentIndex(max(0, self.mode_combo.findData(mode)))
        self.view_mode_changed.emit(self.view_mode)

    @Slot()
    def _changed(self, *_args) -> None:
        self.table.setVisible(self.enabled)
        self._sync_availability()
        self.changed.emit()

    def _sync_availability(self) -> None:
        """Grey out B's models that B's runtime cannot run and runtimes B's model has no file for."""
        sync_model_items(self.model_combo, self.backend_combo.currentData())
        sync_backend_items(self.backend_combo, self.model_combo.currentData() or "", self.model_combo.currentText())

    @Slot(int)
    def _mode_picked(self, _index: int) -> None:
        self.view_mode_changed.emit(self.view_mode)


class CompareController(QObject):
    """Compare mode's logic: configuration B from the panel and :attr:`Engine.config` to the
    engine; results to the table, the overlay and the side view.

    Args:
        engine: the engine (its config path: :meth:`Engine.request_compare`).
        panel: the dock content.
        view: A's video view (has ``view_box`` and ``overlay``); B's overlay is added to it.
        side_view: B's own view (shown in side-by-side mode).
        parent: Qt parent.

    Signals:
        mode_changed(bool, str): compare on/off and the view mode, after every change
            (the window shows / hides the side view and the dock).
        status(str): a message for the status bar.
    """

    mode_changed = Signal(bool, str)
    status = Signal(str)

    def __init__(self, engine: Engine, panel: ComparePanel, view, side_view: SideView,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.engine, self.panel, self.view, self.side_view = engine, panel, view, side_view
        self.overlay = CompareOverlay(view.view_box)
        side_view.link_to(view.view_box)
        # "A" over A's view in side-by-side mode (floating, like B's title).
        self.a_title = QLabel("A", view.graphics)
        self.a_title.setStyleSheet("color: #%02x%02x%02x; font-weight: bold; background: rgba(16, 18, 20, 170); "
                                   "padding: 2px 4px;" % A_COLOUR)
        self.a_title.move(4, 4)
        self.a_title.setVisible(False)
        side_view.setVisible(False)
        self._active = False
        self._pair: tuple[PipelineConfig, PipelineConfig] | None = None
        self._last: EngineResult | None = None
        self._b_chosen = False  # the user picked B: stop suggesting one
        self.b_heads = False  # B reads its heads (head-difference overlays, head_diff.py)
        panel.changed.connect(self._request)
        panel.model_combo.activated.connect(self._b_picked)
        panel.view_mode_changed.connect(self._mode_picked)

    @property
    def active(self) -> bool:
        """True while the engine runs a comparison (as last announced by model_changed)."""
        return self._active

    @property
    def view_mode(self) -> str:
        """:data:`OVERLAY` or :data:`SIDE_BY_SIDE`."""
        return self.panel.view_mode

    def config_b(self, model: str, backend: str, threads: int) -> PipelineConfig:
        """Configuration B: A's pipeline options (:data:`SHARED_OPTIONS`) with B's model,
        backend and threads; A's provider when both run on ONNX; heads only while the
        head-difference overlays ask for them (:meth:`set_b_heads`)."""
        a = self.engine.config
        provider = a.provider if backend == "onnx" and a.backend == "onnx" else None
        return replace(a, model=model, backend=backend, threads=threads, provider=provider,
                       heads=self.b_heads)

    def set_b_heads(self, on: bool) -> None:
        """Read B's heads too (the head-difference overlays), keeping B's pipeline."""
        self.b_heads = bool(on)
        running = self.engine.compare_config
        if running is not None and running.heads != self.b_heads:
            self.engine.request_compare(replace(running, heads=self.b_heads))

    def start(self, spec: str, mode: str | None = None) -> None:
        """Turn compare mode on with ``model[:backend]`` `spec` (as the CLI's ``--compare``).

        Raises:
            StudioError: an empty spec.
        """
        model, backend = parse_spec(spec, self.engine.config.backend)
        self._b_chosen = True
        if mode is not None:
            self.panel.set_view_mode(mode)
        config = self.config_b(model, backend, self.engine.config.threads)
        self.panel.show_config(True, config)
        self.engine.request_compare(config)

    @Slot()
    def stop(self) -> None:
        """Turn compare mode off (back to A alone)."""
        self.panel.show_config(False, self.engine.compare_config)
        self.engine.request_compare(None)

    @Slot()
    def _request(self) -> None:
        if not self.panel.enabled:
            self.engine.request_compare(None)
            self.status.emit("Compare off: A alone")
            return
        model, backend, threads = self.panel.spec()
        config = self.config_b(model, backend, threads)
        self.status.emit(f"Comparing with {model} ({backend})…")
        self.engine.request_compare(config)

    @Slot(int)
    def _b_picked(self, _index: int) -> None:
        self._b_chosen = True

    @Slot(str)
    def _mode_picked(self, _mode: str) -> None:
        self._apply_mode()
        if self._last is not None and self._last.compare is not None:
            self.show_result(self._last)

    def _apply_mode(self) -> None:
        side = self._active and self.view_mode == SIDE_BY_SIDE
        self.side_view.setVisible(side)
        self.a_title.setVisible(side)
        if side or not self._active:
            self.overlay.clear()
        if not side:
            self.side_view.clear()
        # Overlay mode: A in one colour, B (dashed) in another; otherwise A looks as usual.
        self.view.overlay.set_edge_colour(A_COLOUR if self._active and not side else None)
        self.mode_changed.emit(self._active, self.view_mode)

    @Slot(object)
    def on_model_changed(self, info: ModelInfo) -> None:
        """Follow the engine: compare on/off, and B's options kept in step with A's."""
        active = info.compare is not None
        if active:
            b = info.compare.config
            synced = replace(b, **{name: getattr(info.config, name) for name in SHARED_OPTIONS})
            if synced != b and self.engine.compare_config == b:
                self.engine.request_compare(synced)  # A's options changed: B follows
        pair = (info.config, info.compare.config) if active else None
        if pair != self._pair:  # other models: the running figures start again
            self.panel.table.reset()
            self._pair = pair
        self._active = active
        config_b = info.compare.config if active else self.engine.compare_config
        if not active and config_b is None and not self._b_chosen:
            config_b = self._contrast(info)  # a useful default B: the other precision of A's model
        self.panel.show_config(active, config_b)
        self._apply_mode()

    @staticmethod
    def _contrast(info: ModelInfo) -> PipelineConfig | None:
        """A's config with the other bundled precision of A's model (float16 <-> int8), or None."""
        spec = info.spec
        if not spec.bundled:
            return None
        other = {"float16": "int8", "int8": "float16"}.get(spec.precision)
        key = f"{spec.variant}-{other}"
        if other is None or key not in bundled_keys():
            return None
        return replace(info.config, model=key, backend="tflite", provider=None, heads=False)

    @Slot(str, str)
    def on_model_failed(self, _message: str, _details: str) -> None:
        """After a refused switch, show the mode and configuration B that still run."""
        model = self.engine.model
        active = model is not None and model.compare is not None
        self.panel.show_config(active, model.compare.config if active else self.engine.compare_config)

    @Slot(object)
    def show_result(self, result: EngineResult) -> None:
        """Draw B and account for the comparison (connected to :attr:`Engine.result_ready`)."""
        self._last = result
        frame = result.compare
        if frame is None:
            if self.overlay.visible_keypoints or self.overlay.visible_edges:
                self.overlay.clear()
            return
        threshold = self.view.overlay.threshold
        if self.view_mode == SIDE_BY_SIDE:
            b = result.model.compare
            self.side_view.set_threshold(threshold)
            self.side_view.show_result(frame.b, f"B  {b.spec.label}" if b is not None else "B")
            title = f"A  {result.model.spec.label}"
            if self.a_title.text() != title:
                self.a_title.setText(title)
                self.a_title.adjustSize()
        else:
            self.overlay.set_poses(frame.b.poses, threshold)
        self.panel.table.add_result(result)

    @Slot(float)
    def set_threshold(self, threshold: float) -> None:
        """Redraw B with another keypoint threshold."""
        self.overlay.set_threshold(threshold)
        self.side_view.set_threshold(threshold)

    def flush(self) -> None:
        """Bring the throttled table up to date (before a screenshot)."""
        self.panel.table.refresh()
