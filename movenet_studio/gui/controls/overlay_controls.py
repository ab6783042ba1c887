"""The overlay and tracking controls: which layers the video view draws, and how.

:class:`OverlayControls` (the "Overlays" group) holds the state as a
:class:`core.render.OverlayOptions <movenet_studio.core.drawing.render.OverlayOptions>` (the export
renderer's own options, so Save frame / Export match the screen): skeleton, keypoint
heatmaps (one keypoint or the max over all, opacity), centre heatmap (opacity), offsets (at the
chosen cells or as a field), regression, decode steps, crop region, and the colour map.
:class:`TrackingControls` toggles the pipeline's crop tracking and keypoint smoothing.

Widgets only emit requests and show state; :mod:`.overlay_controller` routes them.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QGridLayout, QGroupBox, QLabel, QSlider,
                               QVBoxLayout, QWidget)

from ...core.drawing.colormaps import colormap_names
from ...core.decoding.keypoint_sets import KeypointSet, coco_slot_names
from ...core.decoding.keypoints import KEYPOINT_NAMES
from ...core.drawing.overlay_options import MAX_OFFSET_SCALE, OverlayOptions
from ..overlay_state import DEFAULT_OVERLAYS

#: Layers that need the single-pose decode (unavailable for MultiPose).
DECODE_LAYERS = ("regression", "offsets", "decode")
MULTIPOSE_TIP = ("MultiPose decodes people inside the model graph; the single-pose decode steps "
                 "(regression, offsets, chosen cells) are not available for MultiPose models")
#: Layers a heatmap-only model file (ST's model zoo) cannot draw.
HEATMAPS_ONLY_LAYERS = ("centre",) + DECODE_LAYERS
HEATMAPS_ONLY_TIP = ("This model has only keypoint heatmaps (no centre, offset or regression heads: its keypoints "
                     "are the heatmap peaks), so there is no centre heatmap, offsets, regression or decode step to draw")
NO_HEADS_TIP = "Heads are not available for this model (its graph's head tensors were not found)"


def _short(name: str) -> str:
    side, _, part = name.partition("_")
    return f"{side[0].upper()} {part}" if side in ("left", "right") else name


class _Opacity(QSlider):
    def __init__(self, value: float, tip: str):
        super().__init__(Qt.Orientation.Horizontal)
        self.setRange(0, 100)
        self.setValue(round(value * 100))
        self.setToolTip(tip)
        self.setMinimumWidth(60)

    @property
    def fraction(self) -> float:
        return self.value() / 100.0


class OverlayControls(QGroupBox):
    """Layer toggles, heatmap keypoint and opacities, offsets mode, colour map.

    Args:
        options: the initial state (see :func:`parse_overlays`); fields it does not own are
            carried through unchanged.
        parent: Qt parent.

    Signals:
        options_changed(OverlayOptions): the state changed (by the user or a setter); carries
            :attr:`options`.
    """

    options_changed = Signal(object)

    def __init__(self, options: OverlayOptions = DEFAULT_OVERLAYS, parent: QWidget | None = None):
        super().__init__("Overlays", parent)
        self._base = options
        self._multipose = False
        self._heatmaps_only = False
        self._heads_ok = True
        self._updating = False
        self.checks: dict[str, QCheckBox] = {}
        labels = {"skeleton": "Skeleton", "heatmaps": "Keypoint heatmaps", "centre": "Centre heatmap",
                  "offsets": "Offsets", "regression": "Regression", "decode": "Decode steps", "crop": "Crop region"}
        tips = {
            "skeleton": "Skeleton edges and keypoint dots",
            "heatmaps": "The keypoint heatmap head (sigmoid) of one keypoint or the max over all, "
                        "drawn over the region the model saw",
            "centre": "The person-centre heatmap head (one peak per person)",
            "offsets": "The offset head: arrows from each chosen heatmap cell to the decoded keypoint, "
                       "or as a field (every confident cell) of the selected keypoint",
            "regression": "The regression head: lines from the chosen centre cell to each rough keypoint",
            "decode": "Decode steps: centre cell (cross), rough keypoints (circles), chosen cells (squares), "
                      "decoded keypoints (x)",
            "crop": "The crop square the model saw this frame, the measured centre (cross), torso range "
                    "(dashed) and body range (dotted)",
        }
        self._tips = tips
        for name, label in labels.items():
            check = QCheckBox(label)
            check.setToolTip(tips[name])
            check.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.checks[name] = check
        self.keypoint_combo = QComboBox()
        self.keypoint_combo.addItem("all keypoints (max)", None)
        for k, name in enumerate(KEYPOINT_NAMES):
            self.keypoint_combo.addItem(_short(name), k)
        self.keypoint_combo.setToolTip("Which keypoint heatmap to show (also the keypoint of the offset field); "
                                    "click a tile in the Heads panel to pick one")
        self.heatmap_opacity = _Opacity(options.heatmap_opacity, "Keypoint heatmap opacity")
        self.centre_opacity = _Opacity(options.centre_opacity, "Centre heatmap opacity")
        self.offsets_mode = QComboBox()
        self.offsets_mode.addItem("at chosen cells", False)
        self.offsets_mode.addItem("field of keypoint", True)
        self.offsets_mode.setToolTip("Arrows at the 17 chosen cells, or the offset head at every cell where the "
                                     "selected keypoint's heatmap (all keypoints: the strongest) is at least 0.1")
        self.offset_scale = QDoubleSpinBox()
        self.offset_scale.setRange(1.0, MAX_OFFSET_SCALE)
        self.offset_scale.setSingleStep(1.0)
        self.offset_scale.setDecimals(0)
        self.offset_scale.setPrefix("×")
        self.offset_scale.setToolTip("Offset arrows drawn this many times their length (offsets are under a "
                                     "heatmap cell, a few pixels at fit zoom); ×1: from the cell to the keypoint")
        self.colormap_combo = QComboBox()
        self.centre_colormap_combo = QComboBox()
        for name in colormap_names():
            self.colormap_combo.addItem(name, name)
            self.centre_colormap_combo.addItem(name, name)
        self.colormap_combo.setToolTip("Colour map of the keypoint heatmaps (levels fixed at 0..1)")
        self.centre_colormap_combo.setToolTip("Colour map of the centre heatmap (levels fixed at 0..1)")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #e0a040;")
        self.note.setVisible(False)

        grid = QGridLayout(self)
        grid.addWidget(self.checks["skeleton"], 0, 0, 1, 3)
        grid.addWidget(self.checks["heatmaps"], 1, 0, 1, 3)
        grid.addWidget(QLabel("  keypoint"), 2, 0)
        grid.addWidget(self.keypoint_combo, 2, 1)
        grid.addWidget(self.heatmap_opacity, 2, 2)
        grid.addWidget(self.checks["centre"], 3, 0, 1, 2)
        grid.addWidget(self.centre_opacity, 3, 2)
        grid.addWidget(self.checks["offsets"], 4, 0)
        grid.addWidget(self.offsets_mode, 4, 1)
        grid.addWidget(self.offset_scale, 4, 2)
        grid.addWidget(self.checks["regression"], 5, 0, 1, 3)
        grid.addWidget(self.checks["decode"], 6, 0, 1, 3)
        grid.addWidget(self.checks["crop"], 7, 0, 1, 3)
        grid.addWidget(QLabel("Colours: keypoints"), 8, 0)
        grid.addWidget(self.colormap_combo, 8, 1, 1, 2)
        self.centre_colormap_label = QLabel("  centre")
        grid.addWidget(self.centre_colormap_label, 9, 0)
        grid.addWidget(self.centre_colormap_combo, 9, 1, 1, 2)
        grid.addWidget(self.note, 10, 0, 1, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)

        #: The controls that only tune one layer: greyed out, with that layer's reason as
        #: tooltip, while the model cannot feed the layer (:meth:`_sync_layers`).
        self._tuning = {"centre": (self.centre_opacity, self.centre_colormap_combo, self.centre_colormap_label),
                        "offsets": (self.offsets_mode, self.offset_scale)}
        self._tuning_tips = {w: w.toolTip() for widgets in self._tuning.values() for w in widgets}
        self._show(options)
        for check in self.checks.values():
            check.toggled.connect(self._changed)
        self.keypoint_combo.currentIndexChanged.connect(self._changed)
        self.offsets_mode.currentIndexChanged.connect(self._changed)
        self.colormap_combo.currentIndexChanged.connect(self._changed)
        self.centre_colormap_combo.currentIndexChanged.connect(self._changed)
        self.offset_scale.valueChanged.connect(self._changed)
        self.heatmap_opacity.valueChanged.connect(self._changed)
        self.centre_opacity.valueChanged.connect(self._changed)

    # ------------------------------------------------------------------ state
    @property
    def options(self) -> OverlayOptions:
        """The layers to draw: the checked ones that can be drawn now (decode layers are off
        for MultiPose, centre and decode layers for a heatmap-only model), with the keypoint, opacities, offsets mode and colour map shown."""
        on = {name: check.isChecked() and check.isEnabled() for name, check in self.checks.items()}
        return replace(self._base, skeleton=on["skeleton"], keypoints=on["skeleton"], heatmaps=on["heatmaps"],
                       heatmap_keypoint=self.keypoint_combo.currentData(), heatmap_opacity=self.heatmap_opacity.fraction,
                       centre=on["centre"], centre_opacity=self.centre_opacity.fraction, crop=on["crop"],
                       regression=on["regression"], offsets=on["offsets"], decode=on["decode"],
                       offset_field=bool(self.offsets_mode.currentData()), offset_scale=self.offset_scale.value(),
                       colormap=self.colormap_combo.currentData(),
                       centre_colormap=self.centre_colormap_combo.currentData())

    @property
    def checked(self) -> OverlayOptions:
        """Like :attr:`options`, but with every checked layer on, drawable now or not (what to remember)."""
        on = {name: check.isChecked() for name, check in self.checks.items()}
        return replace(self.options, centre=on["centre"], regression=on["regression"], offsets=on["offsets"],
                       decode=on["decode"])

    def set_options(self, options: OverlayOptions) -> None:
        """Show `options` (emits :attr:`options_changed` once)."""
        self._base = options
        self._show(options)
        self._changed()

    @Slot(object)
    def select_keypoint(self, keypoint: int | None) -> None:
        """Show the heatmap of `keypoint` (0..16, None: max over all); turns the keypoint heatmap
        layer on when no layer showing one keypoint (heatmaps, offset field) is on."""
        index = self.keypoint_combo.findData(keypoint) if keypoint is not None else 0
        self._updating = True
        try:
            self.keypoint_combo.setCurrentIndex(max(0, index))
            if not (self.checks["heatmaps"].isChecked() or (self.checks["offsets"].isChecked()
                                                             and self.offsets_mode.currentData())):
                self.checks["heatmaps"].setChecked(True)
        finally:
            self._updating = False
        self._changed()

    def set_layer(self, name: str, on: bool) -> None:
        """Check or uncheck layer `name` (a key of :attr:`checks`)."""
        self.checks[name].setChecked(bool(on))

    @Slot(bool)
    def set_multipose(self, multipose: bool) -> None:
        """Disable the single-pose decode layers (with a tooltip saying why) for MultiPose models."""
        if multipose == self._multipose:
            return
        self._multipose = multipose
        self._sync_layers()

    @Slot(bool)
    def set_heatmaps_only(self, heatmaps_only: bool) -> None:
        """Disable the centre and decode layers (with a tooltip saying why) for a model file with
        only keypoint heatmaps; enable them again for a model with heads."""
        if heatmaps_only == self._heatmaps_only:
            return
        self._heatmaps_only = heatmaps_only
        self._sync_layers()

    def _sync_layers(self) -> None:
        """Enable each layer the model can draw, and the controls that tune it (opacity,
        colour map, offsets mode and scale); a disabled one's tooltip says why."""
        for name in HEATMAPS_ONLY_LAYERS:
            tip = (HEATMAPS_ONLY_TIP if self._heatmaps_only
                   else MULTIPOSE_TIP if self._multipose and name in DECODE_LAYERS else "")
            self.checks[name].setEnabled(not tip)
            self.checks[name].setToolTip(tip or self._tips[name])
            for widget in self._tuning.get(name, ()):
                widget.setToolTip(tip or self._tuning_tips[widget])
        self.centre_colormap_combo.setEnabled(self.checks["centre"].isEnabled())
        self.centre_colormap_label.setEnabled(self.checks["centre"].isEnabled())
        self._changed()

    @property
    def multipose(self) -> bool:
        """True while the decode layers are disabled for a MultiPose model."""
        return self._multipose

    @Slot(bool)
    def set_heads_available(self, available: bool) -> None:
        """Say whether the model's heads can be read (a note under the controls when not)."""
        self._heads_ok = bool(available)
        self.note.setText("" if available else "Heads are not available for this model.")
        self.note.setToolTip("" if available else NO_HEADS_TIP)
        self.note.setVisible(not available)

    def set_keypoint_set(self, keypoint_set: KeypointSet) -> None:
        """Name the keypoints as the model's keypoint set does (ST's 13: ``head`` for keypoint 0)."""
        for keypoint, name in enumerate(coco_slot_names(keypoint_set)):
            self.keypoint_combo.setItemText(keypoint + 1, _short(name))

    @property
    def heads_available(self) -> bool:
        """False after :meth:`set_heads_available` said the heads cannot be read."""
        return self._heads_ok

    # ------------------------------------------------------------------ internals
    def _show(self, options: OverlayOptions) -> None:
        self._updating = True
        try:
            values = {"skeleton": options.skeleton or options.keypoints, "heatmaps": options.heatmaps,
                      "centre": options.centre, "offsets": options.offsets, "regression": options.regression,
                      "decode": options.decode, "crop": options.crop}
            for name, value in values.items():
                self.checks[name].setChecked(bool(value))
            keypoint = options.heatmap_keypoint
            self.keypoint_combo.setCurrentIndex(0 if keypoint is None else max(0, self.keypoint_combo.findData(int(keypoint))))
            self.heatmap_opacity.setValue(round(options.heatmap_opacity * 100))
            self.centre_opacity.setValue(round(options.centre_opacity * 100))
            self.offsets_mode.setCurrentIndex(1 if options.offset_field else 0)
            self.offset_scale.setValue(float(options.offset_scale))
            for combo, name in ((self.colormap_combo, options.colormap),
                                (self.centre_colormap_combo, options.centre_colormap)):
                combo.setCurrentIndex(max(0, combo.findData(name.lower())))
        finally:
            self._updating = False

    @Slot()
    def _changed(self, *_args) -> None:
        if self._updating:
            return
        options = self.options
        self.keypoint_combo.setEnabled(options.heatmaps or (options.offsets and options.offset_field))
        self.heatmap_opacity.setEnabled(options.heatmaps)
        self.centre_opacity.setEnabled(options.centre)
        self.offsets_mode.setEnabled(options.offsets)
        self.offset_scale.setEnabled(options.offsets)
        self.options_changed.emit(options)


class TrackingControls(QGroupBox):
    """Crop-region tracking and keypoint smoothing of the pipeline (on by default).

    Signals:
        crop_toggled(bool): crop tracking switched (route to ``Engine.update_config(crop=...)``).
        smoothing_toggled(bool): keypoint smoothing switched (``update_config(smoothing=...)``).
    """

    crop_toggled = Signal(bool)
    smoothing_toggled = Signal(bool)

    CROP_TIP = ("Follow the person with TF.js's crop region (the model sees a square around them); "
                "off: the whole frame is letterboxed")
    CROP_MULTIPOSE_TIP = "MultiPose models always see the whole frame (no crop tracking)"

    def __init__(self, crop: bool = True, smoothing: bool = True, parent: QWidget | None = None):
        super().__init__("Tracking", parent)
        self.crop_check = QCheckBox("Crop tracking")
        self.crop_check.setToolTip(self.CROP_TIP)
        self.smoothing_check = QCheckBox("Keypoint smoothing")
        self.smoothing_check.setToolTip("One Euro filter on the keypoints, driven by the frame timestamps (TF.js)")
        for check in (self.crop_check, self.smoothing_check):
            check.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QVBoxLayout(self)
        layout.addWidget(self.crop_check)
        layout.addWidget(self.smoothing_check)
        self.show_config(crop, smoothing)
        self.crop_check.toggled.connect(self.crop_toggled)
        self.smoothing_check.toggled.connect(self.smoothing_toggled)

    def show_config(self, crop: bool, smoothing: bool, multipose: bool = False) -> None:
        """Show the pipeline's settings (without emitting)."""
        for check, value in ((self.crop_check, crop), (self.smoothing_check, smoothing)):
            check.blockSignals(True)
            check.setChecked(bool(value))
            check.blockSignals(False)
        self.crop_check.setEnabled(not multipose)
        self.crop_check.setToolTip(self.CROP_MULTIPOSE_TIP if multipose else self.CROP_TIP)
