"""Compare A / B head-difference overlays: keypoint heatmaps A - B and centre A - B over the video.

In compare mode both models run on the same model input, so their heads cover the same
frame region cell for cell. The overlay draws the signed difference of A's and B's
probabilities through a diverging colour map (:func:`~..core.colormaps.diverging_lut`:
blue where B is higher, red where A is higher, transparent where they agree, alpha rising
with |A - B|), placed like the heatmap overlay (:func:`~..core.heads.heatmap_rect_in_frame`),
with a colour bar in the Compare dock. Keypoint heatmaps: the keypoint picked in *Overlays*, or
with "all keypoints" the difference of the per-cell maximum over the 17 keypoints.

Turning a difference on reads the heads of both models (A through the overlay controller,
B through :meth:`~.compare_controller.CompareController.set_b_heads`); both pipelines are kept with
their state, so what the models see does not change. Models with different head sizes
(Lightning vs Thunder) have no cell-for-cell difference: the overlay says so and hides.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, Slot
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...core.drawing.colormaps import diverging_indices, diverging_lut
from ...core.decoding.heads import heatmap_rect_in_frame
from ..engine import EngineResult

OFF, HEATMAPS, CENTRE = "off", "heatmaps", "centre"
MODES = {OFF: "off", HEATMAPS: "keypoint heatmaps A − B", CENTRE: "centre A − B"}
#: The colour bar's range is the smallest of these that holds the frame's largest |A - B|.
LIMITS = (0.02, 0.05, 0.1, 0.2, 0.5, 1.0)


def diverging_rgba_lut() -> np.ndarray:
    """uint8 [256, 4]: :func:`~..core.colormaps.diverging_lut` with alpha 0 at 0 rising to 255 at
    ±limit as the square root of |A - B| / limit (small differences stay visible)."""
    rgba = np.empty((256, 4), dtype=np.uint8)
    rgba[:, :3] = diverging_lut()
    magnitude = np.clip(np.abs(np.arange(256) - 127.5) / 127.5, 0.0, 1.0)
    rgba[:, 3] = np.round(255 * np.sqrt(magnitude)).astype(np.uint8)
    return rgba


def head_difference(result: EngineResult, mode: str, keypoint: int | None) -> np.ndarray | None:
    """float32 [S, S] A - B of the chosen head, or None (no compare, no heads, other head sizes)."""
    compare = result.compare
    heads_a = result.result.heads
    heads_b = compare.b.heads if compare is not None else None
    if mode == OFF or heads_a is None or heads_b is None or heads_a.shape != heads_b.shape:
        return None
    if mode == CENTRE:
        return (heads_a.centre - heads_b.centre).astype(np.float32)
    a, b = heads_a.keypoint_heatmaps, heads_b.keypoint_heatmaps
    if keypoint is not None:
        return (a[..., keypoint] - b[..., keypoint]).astype(np.float32)
    return (a.max(axis=-1) - b.max(axis=-1)).astype(np.float32)


def limit_for(values: np.ndarray) -> float:
    """The colour bar range for `values`: the first of :data:`LIMITS` >= max |values|."""
    peak = float(np.max(np.abs(values))) if values.size else 0.0
    return next((limit for limit in LIMITS if peak <= limit), LIMITS[-1])


class ColourBar(QWidget):
    """A horizontal diverging colour bar with its range: ``-x  [blue..white..red]  +x``."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        ramp = np.ascontiguousarray(np.repeat(diverging_lut()[None], 12, axis=0))
        self._image = QImage(ramp.data, 256, 12, 256 * 3, QImage.Format.Format_RGB888).copy()
        self.bar = QLabel()
        self.bar.setPixmap(QPixmap.fromImage(self._image).scaled(160, 12))
        self.low, self.high = QLabel("−1"), QLabel("+1")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.low)
        layout.addWidget(self.bar)
        layout.addWidget(self.high)
        layout.addStretch(1)
        self.setToolTip("blue: B higher; red: A higher; transparent over the video where they agree")

    def set_limit(self, limit: float) -> None:
        """Show the range ±`limit` (probability)."""
        self.low.setText(f"B +{limit:g}")
        self.high.setText(f"A +{limit:g}")


class HeadDiffControls(QGroupBox):
    """The Compare dock's "Head difference" box: which difference, and its colour bar."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Head difference (A − B)", parent)
        self.mode_combo = QComboBox()
        for key, label in MODES.items():
            self.mode_combo.addItem(label, key)
        self.mode_combo.setToolTip("Draw A's minus B's head probabilities over the video (compare mode)")
        self.colour_bar = ColourBar()
        self.note = QLabel("")
        self.note.setStyleSheet("color: gray;")
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.mode_combo)
        layout.addWidget(self.colour_bar)
        layout.addWidget(self.note)

    @property
    def mode(self) -> str:
        """:data:`OFF`, :data:`HEATMAPS` or :data:`CENTRE`."""
        return self.mode_combo.currentData()


class HeadDiffController(QObject):
    """Draws the head difference over `window`'s video and asks for the heads it needs.

    Args:
        window: the :class:`~.main_window.MainWindow` (engine, compare, overlay controller,
            compare panel and video view).
    """

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.controls = HeadDiffControls()
        window.compare_panel.layout().addWidget(self.controls)
        self.item = pg.ImageItem(axisOrder="row-major")
        self._rgba = diverging_rgba_lut()
        self.item.setZValue(3)
        self.item.setVisible(False)
        window.video_view.view_box.addItem(self.item)
        self.controls.mode_combo.currentIndexChanged.connect(self._mode_changed)
        window.compare.mode_changed.connect(self._compare_changed)
        window.engine.result_ready.connect(self.show_result)
        self._last: EngineResult | None = None
        self.shown_limit: float | None = None  #: the range of the difference drawn last (tests)

    @Slot(int)
    def _mode_changed(self, _index: int) -> None:
        on = self.controls.mode != OFF
        self.window.overlay_controller.set_extra_heads(on and self.window.compare.active)
        self.window.compare.set_b_heads(on)
        if self._last is not None:
            self.show_result(self._last)

    @Slot(bool, str)
    def _compare_changed(self, active: bool, _view_mode: str) -> None:
        """A's heads are read for the difference only while compare mode is on."""
        self.window.overlay_controller.set_extra_heads(active and self.controls.mode != OFF)

    @Slot(object)
    def show_result(self, result: EngineResult) -> None:
        """Draw the difference of `result` (hidden when it has none)."""
        self._last = result
        mode = self.controls.mode
        keypoint = self.window.overlay_controls.options.heatmap_keypoint
        diff = head_difference(result, mode, keypoint)
        if diff is None:
            self.item.setVisible(False)
            self.shown_limit = None
            if mode != OFF:
                self.controls.note.setText(self._why_not(result))
            return
        limit = limit_for(diff)
        self.item.setImage(self._rgba[diverging_indices(diff, limit)], autoLevels=False, levels=(0, 255))
        self.item.setRect(QRectF(*heatmap_rect_in_frame(result.result.mapping, diff.shape)))
        self.item.setVisible(True)
        self.shown_limit = limit
        self.controls.colour_bar.set_limit(limit)
        self.controls.note.setStyleSheet("")
        which = "all keypoints (max)" if keypoint is None or mode == CENTRE else f"keypoint {keypoint}"
        self.controls.note.setText(f"frame {result.result.index}: max |A − B| {float(np.abs(diff).max()):.3f}"
                                   f"{'' if mode == CENTRE else ', ' + which}")

    @staticmethod
    def _why_not(result: EngineResult) -> str:
        if result.compare is None:
            return "Turn Compare on: the difference needs B."
        heads_a, heads_b = result.result.heads, result.compare.b.heads
        if heads_a is not None and heads_b is not None:
            return f"A's heads are {heads_a.shape}, B's {heads_b.shape}: no cell-for-cell difference."
        return "Reading the heads of A and B…"
