"""The central video view: the newest frame in a pyqtgraph ImageItem with the pose overlay.

The heatmap layers (keypoints and centre) are composed into the frame image off the GUI thread
by the export renderer itself (:func:`~movenet_studio.core.drawing.render.render_overlays` with
only those layers on), so the screen and exports draw them with the same code and the GUI
thread uploads one image per displayed frame instead of painting three scaled, alpha-blended
images. A composed frame is cached per result and per heatmap setting; a result waiting for
its composition is shown, with its line and marker layers, when the composition arrives; a
composition finished for an older result than the one waiting is shown meanwhile (so a
composer slower than the frame rate shows fewer frames, never none). The line and marker layers stay pyqtgraph items (sharp at any
zoom, under the mouse's hover readout).
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QGraphicsItem, QLabel, QStackedLayout, QWidget

from .image_view import image_view
from .latest_job import LatestJobRunner
from ..core.drawing.colormaps import colormap_lut
from ..core.drawing.overlay_options import OverlayOptions
from ..core.drawing.render import render_overlays
from .overlays.crop_overlay import CropOverlay
from .engine import EngineResult
from .overlays.head_overlays import HeadOverlays
from .overlays.multipose_overlay import PeopleOverlay
from .overlays.skeleton import SkeletonOverlay
from .overlay_state import DEFAULT_THRESHOLD
from .slot_timing import timed

#: Shown while no source is open (rich text; the link asks for the bundled sample).
EMPTY_HINT = ("Open a video, image or folder (Ctrl+O), drop one here, or pick a camera<br><br>"
              "<a href='sample' style='color:#64b5f6'>Open the sample video</a>")

#: Frames whose longer side exceeds this (pixels) are shown shrunk by a whole factor.
MAX_DISPLAY_SIDE = 2048
#: Composed frames kept (per result and heatmap setting): the frame on screen and a few before it.
COMPOSED_CACHE = 4


def display_image(frame: np.ndarray, max_side: int = MAX_DISPLAY_SIDE) -> np.ndarray:
    """What the view hands to its ImageItem for `frame` (uint8 [H, W, 3]).

    `frame` itself when its longer side is at most `max_side`; otherwise a copy shrunk by
    the smallest whole factor that fits (area averaging), so a huge image (8000x8000) costs
    the GUI thread tens of milliseconds instead of seconds and hundreds of MB. The item is
    stretched back over the full frame rectangle, so overlays stay in source pixels.
    """
    h, w = frame.shape[:2]
    factor = -(-max(h, w) // max_side)
    if factor <= 1:
        return frame
    size = (max(1, -(-w // factor)), max(1, -(-h // factor)))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)


def heatmap_options(layers: OverlayOptions) -> OverlayOptions | None:
    """The renderer's options that draw only the heatmap layers of `layers` (keypoints and
    centre, with their keypoint, opacities and colour maps), or None when both are off."""
    if not (layers.heatmaps or layers.centre):
        return None
    return OverlayOptions(skeleton=False, keypoints=False, boxes=False, ids=False, classification=False,
                          heatmaps=layers.heatmaps, heatmap_keypoint=layers.heatmap_keypoint,
                          heatmap_opacity=layers.heatmap_opacity, centre=layers.centre,
                          centre_opacity=layers.centre_opacity, colormap=layers.colormap,
                          centre_colormap=layers.centre_colormap)


def compose_heatmaps(image: np.ndarray, result, options: OverlayOptions) -> np.ndarray:
    """`image` (the frame, or its display copy) with the heatmap layers of `options` drawn by the
    export renderer: a new uint8 [h, w, 3] array (worker thread; numpy releases the GIL)."""
    return render_overlays(image, result, options)


class VideoView(QWidget):
    """Shows frames and poses in image coordinates (aspect locked, y down).

    The view keeps one ImageItem and one :class:`SkeletonOverlay` for its whole life and
    updates them in place; :meth:`show_result` renders the newest result on arrival.
    While nothing has been shown, a hint label replaces the image.

    Args:
        threshold: initial keypoint score threshold.
        parent: Qt parent.

    Signals:
        sample_requested(): the empty state's "Open the sample video" link was clicked.
    """

    sample_requested = Signal()
    zoom_changed = Signal(float)

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, parent: QWidget | None = None):
        super().__init__(parent)
        self._stack = QStackedLayout(self)
        self.hint = QLabel(EMPTY_HINT)
        self.hint.setTextFormat(Qt.TextFormat.RichText)
        self.hint.linkActivated.connect(self._link_activated)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        policy = self.hint.sizePolicy()
        policy.setHeightForWidth(False)  # wrapped in a narrow view, it must not make the window taller
        self.hint.setSizePolicy(policy)
        self.hint.setObjectName("emptyHint")
        self.hint.setStyleSheet("QLabel#emptyHint { color: #9aa4b1; font-size: 16pt; background: #101214; }")
        self.graphics, self.view_box, self.image_item = image_view()  # drops go to the main window
        self.overlay = SkeletonOverlay(self.view_box, threshold)
        self.people = PeopleOverlay(self.view_box, threshold)  # MultiPose boxes and "#id score" labels
        self.heads = HeadOverlays(self.view_box)  # heatmaps, offsets, regression, decode steps
        self.crop_overlay = CropOverlay(self.view_box)  # crop square, measured centre and ranges
        self._layers = OverlayOptions()  # the head/crop/skeleton layers (set_overlay_options)
        # One 0..1 colour bar per heatmap layer shown (their colour maps differ by default)
        self.colour_bars = {layer: pg.ColorBarItem(values=(0.0, 1.0), width=14, interactive=False, label=label)
                            for layer, label in (("heatmaps", "keypoint heatmap (0..1)"),
                                                 ("centre", "centre heatmap (0..1)"))}
        for bar in self.colour_bars.values():
            bar.setVisible(False)
            # Bright, larger text beside the bar (pyqtgraph's default is dim grey on the dark view)
            bar.axis.setLabel(bar.axis.labelText, color="#e8eaed", **{"font-size": "10pt"})
            bar.axis.setTextPen("#d0d4d8")
        self._bars_shown: tuple[str, ...] = ()
        self._bar_colormaps: dict[str, str] = {}
        self._stack.addWidget(self.hint)
        self._stack.addWidget(self.graphics)
        self._last: EngineResult | None = None
        self._shown = 0
        # Heatmaps composed into the frame off the GUI thread (see the module docstring).
        self._composer = LatestJobRunner("movenet-frame-composer", self)
        self._composer.finished.connect(self._on_composed)
        self._composed: list[tuple[object, OverlayOptions, np.ndarray]] = []  # (FrameResult, options, image)
        self._pending: EngineResult | None = None  # shown once its composition arrives
        self._received = 0  # results received by show_result (their order)
        self._shown_order = 0  # order of the result on screen
        self.compositions = 0  #: composed frames received (for tests and tools)
        self._fitted = True  # refit on resize until the user zooms or pans
        self.view_box.sigRangeChangedManually.connect(self._zoomed_by_user)
        self.view_box.sigResized.connect(self._resized)
        self.view_box.sigRangeChanged.connect(self._range_changed)

    @property
    def last_result(self) -> EngineResult | None:
        """The result on screen, or None."""
        return self._last

    @Slot(str)
    def _link_activated(self, _link: str) -> None:
        self.sample_requested.emit()

    def paint_items(self) -> list[tuple[str, QGraphicsItem]]:
        """(name, item) of every graphics item the view paints: ``frame`` (the image) and each
        overlay's items named ``owner.attribute`` (``skeleton.edge_items``, ``heads.final_item``
        ...), for ``--stats-json``'s paint time per item."""
        items: list[tuple[str, QGraphicsItem]] = [("frame", self.image_item)]
        for owner_name, owner in (("skeleton", self.overlay), ("people", self.people), ("heads", self.heads),
                                  ("crop", self.crop_overlay)):
            for attr, value in vars(owner).items():
                for item in value if isinstance(value, (list, tuple)) else (value,):
                    if isinstance(item, QGraphicsItem):
                        items.append((f"{owner_name}.{attr.lstrip('_')}", item))
        return items

    @property
    def composing(self) -> bool:
        """True while a received result waits for its frame's heatmap composition."""
        return self._pending is not None

    @property
    def frames_shown(self) -> int:
        """Results rendered so far."""
        return self._shown

    @Slot(object)
    @timed("video.show_result")
    def show_result(self, result: EngineResult) -> None:
        """Render `result`: its frame and its poses (with heatmaps on: once its frame is composed)."""
        options = heatmap_options(self._layers)
        frame_result = result.result
        self._received += 1
        if options is None or getattr(frame_result, "heads", None) is None:
            self._pending = None
            self._show(result, display_image(frame_result.frame))
            return
        image = self._cached(frame_result, options)
        if image is not None:
            self._pending = None
            self._show(result, image)
            return
        self._pending = result
        self._compose(frame_result, options, (self._received, result))

    def _show(self, result: EngineResult, image: np.ndarray, order: int | None = None) -> None:
        self._shown_order = self._received if order is None else order
        frame = result.result.frame
        self._show_frame(frame, image)
        self.overlay.set_poses(result.result.poses)
        self.overlay.set_input_rect(result.result.mapping.frame_rect())
        self.people.set_poses(result.result.poses)
        self.heads.set_result(result.result)
        self.crop_overlay.set_result(result.result)
        self._last = result
        self._shown += 1

    # ------------------------------------------------------------------ heatmap composition
    def _cached(self, frame_result, options: OverlayOptions) -> np.ndarray | None:
        for cached_result, cached_options, image in self._composed:
            if cached_result is frame_result and cached_options == options:
                return image
        return None

    def _compose(self, frame_result, options: OverlayOptions, waiting: tuple[int, EngineResult] | None = None) -> None:
        """Have the frame of `frame_result` composed with `options` on the composer thread
        (`waiting`: the order and the result to show with it)."""
        shown = display_image(frame_result.frame)
        self._composer.submit(lambda: (frame_result, options, compose_heatmaps(shown, frame_result, options), waiting))

    @Slot(object, float)
    @timed("video.composed")
    def _on_composed(self, value, _ms: float) -> None:
        frame_result, options, image, waiting = value
        self.compositions += 1
        self._composed = [entry for entry in self._composed if entry[0] is not frame_result or entry[1] != options]
        self._composed = [*self._composed[-(COMPOSED_CACHE - 1):], (frame_result, options, image)]
        if options != heatmap_options(self._layers):
            return  # the setting changed meanwhile: a composition with the new one is on its way
        pending, last = self._pending, self._last
        if pending is not None:
            if pending.result is frame_result:
                self._pending = None
                self._show(pending, image)
            elif waiting is not None and waiting[0] > self._shown_order:  # older than the one waiting, newer on screen
                self._show(waiting[1], image, waiting[0])
        elif last is not None and last.result is frame_result:
            self._show_frame(frame_result.frame, image)  # the frame on screen, with new heatmap settings

    def _recompose(self) -> None:
        """Show the frame on screen (or the one waiting) with the heatmap settings now."""
        options = heatmap_options(self._layers)
        pending = self._pending
        waiting = pending or self._last
        if waiting is None:
            return
        frame_result = waiting.result
        if options is None or getattr(frame_result, "heads", None) is None:
            image = display_image(frame_result.frame)
        else:
            image = self._cached(frame_result, options)
            if image is None:
                self._compose(frame_result, options)
                return
        if pending is not None:
            self._pending = None
            self._show(pending, image)
        else:
            self._show_frame(frame_result.frame, image)

    def shutdown(self) -> None:
        """End the composer thread (when the window closes)."""
        self._composer.stop()

    def _show_frame(self, frame: np.ndarray, image: np.ndarray) -> None:
        # A huge frame is drawn downscaled (`image` is display_image(frame) or its composition);
        # setRect (after setImage) maps it onto the full frame rectangle, so every overlay keeps
        # frame-pixel coordinates.
        if self.image_item.show(image, frame.shape):
            h, w = frame.shape[:2]
            # Room around the frame on both axes by its longer side: fitting a 720x1280 portrait
            # frame into a wide view needs an x range far wider than the frame (limits of one
            # frame width clamped the fit to the frame's height: head and feet cut off).
            margin = 2 * max(h, w)
            self.view_box.setLimits(xMin=-margin, xMax=w + margin, yMin=-margin, yMax=h + margin)
            self.reset_zoom()
        if self._stack.currentWidget() is not self.graphics:
            self._stack.setCurrentWidget(self.graphics)

    def overlay_options(self) -> OverlayOptions:
        """What the view draws now, as the export renderer's options (Save frame and Export use
        them, so files match the screen). Whoever adds an overlay to the view extends this.

        Now: skeleton, keypoints, MultiPose boxes and ``#id score`` labels (track colours) at
        the view's threshold; the head layers (heatmaps, centre, offsets, regression, decode)
        and the crop layer (square, measured centre and ranges) of :meth:`set_overlay_options`.
        The thin model-input outline is a window-only guide: the renderer's ``crop`` layer is
        the crop overlay (it draws the measured ranges too).
        """
        layers = self._layers
        options = OverlayOptions(skeleton=True, keypoints=True, keypoint_threshold=self.overlay.threshold,
                                 boxes=self.people.boxes_visible, ids=self.people.ids_visible,
                                 crop=self.overlay.input_visible)
        # The layers of set_overlay_options (skeleton toggle, heads, crop overlay).
        return replace(options, skeleton=layers.skeleton, keypoints=layers.keypoints, heatmaps=layers.heatmaps,
                       heatmap_keypoint=layers.heatmap_keypoint, heatmap_opacity=layers.heatmap_opacity,
                       centre=layers.centre, centre_opacity=layers.centre_opacity,
                       crop=layers.crop, regression=layers.regression, offsets=layers.offsets,
                       decode=layers.decode, offset_field=layers.offset_field, colormap=layers.colormap)

    @Slot(object)
    def set_overlay_options(self, options: OverlayOptions) -> None:
        """Draw the layers `options` switches on: skeleton (edges and keypoint dots), the head
        layers (heatmaps, centre, offsets, regression, decode, with keypoint, opacities, colour
        map) and the crop layer. Its threshold, boxes, ids and timing fields are ignored (other
        controls own them)."""
        recompose = heatmap_options(options) != heatmap_options(self._layers)
        self._layers = options
        if recompose:
            self._recompose()
        self._show_colour_bar(options)
        pose = options.skeleton or options.keypoints
        for item in (*self.overlay.edge_items, self.overlay.points_item):
            item.setVisible(pose)
        self.heads.set_options(options)
        self.crop_overlay.set_visible(options.crop)

    @property
    def colour_bar_layers(self) -> tuple[str, ...]:
        """The heatmap layers whose colour bar shows right of the video (``heatmaps``, ``centre``)."""
        return self._bars_shown

    def _show_colour_bar(self, options: OverlayOptions) -> None:
        """A 0..1 colour bar right of the video for each heatmap layer on (keypoints, centre),
        in that layer's colour map (the value a colour stands for)."""
        colormaps = {"heatmaps": options.colormap, "centre": options.centre_colormap}
        wanted = tuple(layer for layer in ("heatmaps", "centre") if getattr(options, layer))
        for layer in wanted:
            if colormaps[layer] != self._bar_colormaps.get(layer):
                lut = colormap_lut(colormaps[layer])
                self.colour_bars[layer].setColorMap(pg.ColorMap(np.linspace(0.0, 1.0, len(lut)), lut))
                self._bar_colormaps[layer] = colormaps[layer]
        if wanted == self._bars_shown:
            return
        for layer in self._bars_shown:
            self.graphics.ci.removeItem(self.colour_bars[layer])
            self.colour_bars[layer].setVisible(False)
        for col, layer in enumerate(wanted, start=1):
            self.graphics.ci.addItem(self.colour_bars[layer], row=0, col=col)
            self.colour_bars[layer].setVisible(True)
        self._bars_shown = wanted

    @Slot(float)
    def set_threshold(self, threshold: float) -> None:
        """Hide keypoints scoring below `threshold` (re-draws the result on screen)."""
        self.overlay.set_threshold(threshold)
        self.people.set_threshold(threshold)

    @Slot(bool)
    def set_input_region_visible(self, visible: bool) -> None:
        """Show or hide the outline of the region the model saw."""
        self.overlay.set_input_visible(visible)

    @Slot()
    def reset_zoom(self) -> None:
        """Fit the whole frame in the view (View > Fit frame, Ctrl+0); it stays fitted as the
        view resizes until the user zooms or pans."""
        self._fitted = True
        if self.image_item.frame_shape is not None:
            h, w = self.image_item.frame_shape[:2]
            # Both ranges at once: the locked aspect then widens the one with room to spare,
            # so the whole frame shows whatever its aspect and the view's
            self.view_box.setRange(xRange=(0, w), yRange=(0, h), padding=0)

    @Slot()
    def actual_size(self) -> None:
        """Zoom to 1:1 (one frame pixel per screen pixel) around the view's centre (View > Actual pixels)."""
        if self.image_item.frame_shape is None:
            return
        self._fitted = False
        centre = self.view_box.viewRect().center()
        width, height = self.view_box.width(), self.view_box.height()
        self.view_box.setRange(xRange=(centre.x() - width / 2, centre.x() + width / 2),
                               yRange=(centre.y() - height / 2, centre.y() + height / 2), padding=0)

    @property
    def zoom(self) -> float:
        """Screen pixels per frame pixel (1.0 at 1:1; below 1 when a large frame is fitted)."""
        size = self.view_box.viewPixelSize()[0]
        return 1.0 / size if size > 0 else 1.0

    @property
    def fitted(self) -> bool:
        """True while the frame is fitted whole (not zoomed or panned by the user since)."""
        return self._fitted

    @Slot()
    def _zoomed_by_user(self, *_args) -> None:
        self._fitted = False

    @Slot()
    def _resized(self, *_args) -> None:
        if self._fitted:
            self.reset_zoom()

    @Slot()
    def _range_changed(self, *_args) -> None:
        if self.image_item.frame_shape is not None:
            self.zoom_changed.emit(self.zoom)

    @Slot()
    def clear(self, hint: str = EMPTY_HINT) -> None:
        """Show the hint instead of an image."""
        self.overlay.clear()
        self.people.clear()
        self.heads.clear()
        self.crop_overlay.clear()
        self._last = None
        self._pending = None
        self._composer.invalidate()
        self.hint.setText(hint)
        self._stack.setCurrentWidget(self.hint)

    @property
    def showing_hint(self) -> bool:
        """True while the hint (no image) is shown."""
        return self._stack.currentWidget() is self.hint
