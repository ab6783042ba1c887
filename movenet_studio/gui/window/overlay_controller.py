"""Routes the overlay and tracking controls: to the video view, the heads panel and the engine.

* Overlay choices (:class:`~.overlay_controls.OverlayControls`) go to
  :meth:`VideoView.set_overlay_options <.video_view.VideoView.set_overlay_options>`.
* Heads are read only while a layer that needs them is on: the controller switches
  ``PipelineConfig.heads`` through :meth:`Engine.update_config <.engine.Engine.update_config>`
  (the engine's single configuration path, so other settings survive), and turning the last
  head layer off goes back to a heads-off pipeline. The heads dock appears when a head layer
  is switched on and hides when the last one goes off; the hover readout runs only then.
* Crop tracking and smoothing (:class:`~.overlay_controls.TrackingControls`) change
  ``PipelineConfig.crop`` / ``.smoothing`` the same way.
* On each model: MultiPose disables the decode layers and the crop toggle; a model whose
  heads cannot be found says "heads are not available for this model" (status bar, the
  controls' note and the heads panel) and keeps running.
* A crop-tracker reset is noted in the status bar when it starts (the crop overlay shows a
  badge on every reset frame).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QDockWidget

from ...core.decoding.keypoint_sets import keypoint_set_for
from ...core.drawing.overlay_options import OverlayOptions
from ..engine import Engine, EngineResult, ModelInfo
from ..panels.heads_panel import HeadsPanel
from ..overlays.head_overlays import HoverReadout
from .messages import ErrorReporter
from ..controls.overlay_controls import OverlayControls, TrackingControls
from ..video_view import VideoView
from ..slot_timing import timed

NO_HEADS_MESSAGE = "Heads are not available for this model"


class OverlayController(QObject):
    """Wires the overlay/tracking controls to the view, the heads panel, the readout and the engine.

    Args:
        engine: the inference engine (its :attr:`~.engine.Engine.config` is the truth).
        overlays: the overlay controls.
        tracking: the crop-tracking / smoothing toggles.
        view: the video view.
        heads_panel: the heads panel, and `heads_dock` the dock that holds it.
        readout: the hover readout over the video (its text goes to the heads panel's readout label).
        reporter: status-bar messages.
        parent: Qt parent.

    Call :meth:`sync` once after the window's layout is restored.
    """

    def __init__(self, engine: Engine, overlays: OverlayControls, tracking: TrackingControls, view: VideoView,
                 heads_panel: HeadsPanel, heads_dock: QDockWidget, readout: HoverReadout, reporter: ErrorReporter,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.engine, self.overlays, self.tracking, self.view = engine, overlays, tracking, view
        self.heads_panel, self.heads_dock, self.readout, self.reporter = heads_panel, heads_dock, readout, reporter
        self.readout_label = heads_panel.readout_label
        self._needs_heads: tuple[bool, bool] | None = None  # (a head layer is on, heads are read)
        self._extra_heads = False
        self._showing = False
        self._colormaps: tuple[str, str] | None = None  # keypoint and centre heatmaps'
        self._was_reset = False
        #: The last crop-tracker reset note shown in the status bar ("" before the first).
        self.reset_note = ""

        overlays.options_changed.connect(self.apply)
        tracking.crop_toggled.connect(self.set_crop)
        tracking.smoothing_toggled.connect(self.set_smoothing)
        heads_panel.keypoint_clicked.connect(overlays.select_keypoint)
        readout.readout_changed.connect(heads_panel.show_hover)
        readout.text_changed.connect(self._show_readout)
        heads_dock.visibilityChanged.connect(self._dock_visibility_changed)
        engine.model_changed.connect(self.show_model)
        engine.result_ready.connect(self.add_result)
        engine.result_ready.connect(heads_panel.add_result)
        engine.result_ready.connect(readout.add_result)
        config = engine.config
        tracking.show_config(config.crop, config.smoothing)

    @Slot()
    def sync(self) -> None:
        """Apply the controls' current state everywhere (dock visibility included)."""
        self._needs_heads = None
        self.apply(self.overlays.options)

    @Slot(object)
    def apply(self, options: OverlayOptions) -> None:
        """Draw `options`, and read heads exactly while a head layer is on, the Heads dock is
        open (View > Heads, the Inspect heads layout) or Compare's head differences need them.
        A head layer turned on opens the dock, the last one turned off closes it."""
        self.view.set_overlay_options(options)
        if (options.colormap, options.centre_colormap) != self._colormaps:
            self._colormaps = options.colormap, options.centre_colormap
            self.heads_panel.set_colormap(*self._colormaps)
        self.heads_panel.set_selected(options.heatmap_keypoint)
        self.readout.set_keypoint(options.heatmap_keypoint)
        self._sync_heads()

    def _sync_heads(self) -> None:
        """Heads read iff a head layer is on, Compare needs them or the dock is open (shown,
        perhaps tabbed behind another dock); the dock follows the head layers when they change."""
        needs = self.overlays.options.needs_heads
        if self._needs_heads is None or needs != self._needs_heads[0]:
            self._showing = True  # the dock's visibility signal is handled here, below
            try:
                self.heads_dock.setVisible(needs)
            finally:
                self._showing = False
            if needs:
                self.heads_dock.raise_()  # in front of the model input when they share a tab group
        read = needs or self._extra_heads or not self.heads_dock.isHidden()
        if (needs, read) != self._needs_heads:
            self._needs_heads = (needs, read)
            self.engine.update_config(heads=read)
            self.readout.set_enabled(read)

    @Slot(bool)
    def _dock_visibility_changed(self, _visible: bool) -> None:
        """The Heads dock was opened, closed or tabbed behind another dock (no change then)."""
        if not self._showing and self._needs_heads is not None:
            self._sync_heads()

    def set_extra_heads(self, needed: bool) -> None:
        """Read heads also while no head layer is on (the compare head-difference overlays)."""
        self._extra_heads = bool(needed)
        self.apply(self.overlays.options)

    @Slot(str)
    def _show_readout(self, text: str) -> None:
        self.readout_label.setText(text or "Hover the video to read the heads under the mouse.")

    @Slot(bool)
    def set_crop(self, on: bool) -> None:
        """Crop-region tracking on or off (rebuilds the pipeline, other settings kept)."""
        self.engine.update_config(crop=bool(on))

    @Slot(bool)
    def set_smoothing(self, on: bool) -> None:
        """Keypoint smoothing on or off (rebuilds the pipeline, other settings kept)."""
        self.engine.update_config(smoothing=bool(on))

    @Slot(object)
    def show_model(self, info: ModelInfo) -> None:
        """Adapt the controls to the model now running."""
        multipose = bool(info.spec.is_multipose)
        self.overlays.set_multipose(multipose)
        self.overlays.set_heatmaps_only(info.spec.output_kind == "heatmaps")
        self.overlays.set_keypoint_set(keypoint_set_for(info.spec.num_keypoints))
        config = self.engine.config
        self.tracking.show_config(config.crop, config.smoothing, multipose)
        if info.config.heads:
            available = bool(info.heads_available)
            self.overlays.set_heads_available(available)
            self.heads_panel.set_message("" if available else f"{NO_HEADS_MESSAGE}.")
            if not available:
                self.reporter.warn(f"{NO_HEADS_MESSAGE} ({info.spec.label}); it still runs")
        else:
            self.overlays.set_heads_available(True)
            self.heads_panel.set_message("")

    @Slot(object)
    @timed("overlays.add_result")
    def add_result(self, result: EngineResult) -> None:
        """Note the start of a crop-tracker reset in the status bar."""
        reset = bool(result.result.tracker_reset)
        if reset and not self._was_reset:
            self.reset_note = (f"Crop tracker reset at frame {result.result.index}: the pose scored below 0.25, "
                               "the next frame starts from the centred square")
            self.reporter.info(self.reset_note)
        self._was_reset = reset
