"""Draw the window's overlays on a numpy frame: the export renderer (numpy + OpenCV, no Qt).

:func:`render_overlays` draws exactly what the video view shows, so an exported video or
picture matches the screen. The look is defined in :mod:`.render_style` and the GUI reads the
same constants and helpers (:data:`~.render_style.KEYPOINT_COLOUR`,
:func:`~.render_style.track_colour`, :func:`~.render_style.line_width`,
:func:`~.render_style.keypoint_radius`, :func:`~.render_style.timing_caption`) and the colour
maps of :mod:`.colormaps`; the layers are drawn by :mod:`.render_layers`.

Layers, bottom to top (each only when enabled in :class:`OverlayOptions` *and* present in
the :class:`~.pipeline.FrameResult`; anything missing is skipped silently, see
:func:`~.render_layers.unavailable_overlays`). Optional data is read from the result's fields
``heads``, ``crop_region`` and ``decode`` (None when absent):

1. ``heatmaps``: the heatmap of one keypoint, or the max over the 17 keypoints, coloured
   through the colour map with levels fixed at 0..1, alpha-blended with an alpha that rises
   with the value (:func:`~.colormaps.colormap_rgba_lut`) times the overlay's opacity
   over the rectangle :func:`~.heads.heatmap_rect_in_frame` gives; cells are drawn as
   nearest-neighbour blocks (no smoothing), like a pyqtgraph ``ImageItem``. Needs
   ``result.heads`` (:class:`~.heads.Heads`).
2. ``centre``: the person-centre heatmap, the same way with its own opacity.
3. ``crop``: the crop square, ``result.crop_region`` (a :class:`~.cropping.CropRegion` or a
   (ymin, xmin, ymax, xmax) tuple normalised to the frame), and from ``result.crop_measurement`` (the
   :class:`~.cropping.CropMeasurement` of this frame) a cross at the measured centre and the
   torso (dashed) and body (dotted) ranges as rectangles around it.
4. ``regression``, ``offsets``, ``decode``: the single-pose decode steps (centre cell ->
   rough keypoints; arrows chosen cell -> final keypoint; markers for the centre cell, the
   rough keypoints, the chosen cells and the decoded keypoints), from
   ``result.decode`` (:class:`~.decode.DecodeSteps`) or, for single-pose heads,
   :func:`~.decode.decode_singlepose` of ``result.heads``; ``offsets`` with
   ``offset_field`` draws the offset head of one keypoint at every confident cell instead
   (heads only, MultiPose too). Heatmap-index positions are placed like the heatmap image
   (:data:`~.heads.HEATMAP_CELL_CENTRE`). All positions come from :mod:`.overlay_geometry`,
   which the window draws from too.
5. ``boxes``: MultiPose boxes, in the pose's :func:`~.render_style.track_colour`.
6. ``skeleton``: the edges of the pose's keypoint set (COCO-17: the 18 edges in
   :data:`~.keypoints.EDGE_COLOURS`; ST's 13: 14 edges, :mod:`.keypoint_sets`), an edge when both its
   keypoints score above the threshold.
7. ``keypoints``: dots for keypoints scoring above the threshold.
8. ``ids``: ``#<track id> <pose score>`` labels (:func:`~.render_style.pose_label`; only for poses that have a
   track id).
9. ``timing``: a caption with the model and the stage timings, top left.
10. ``classification``: each pose's top class and probability above it, and the repetition
    count top right (from ``result.classification``; look: :mod:`.classification_render`).

Geometry: frame pixel ``i`` spans ``[i, i + 1)`` (keypoints at ``x = 10.0`` sit on the
left edge of pixel 10, as in pyqtgraph's image coordinates). Lines are antialiased
(``cv2.LINE_AA``) at sub-pixel precision; widths scale with the frame size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from .colormaps import DEFAULT_CENTRE_COLORMAP, DEFAULT_COLORMAP, colormap_names
from ..decoding.keypoints import NUM_KEYPOINTS
from .render_layers import Canvas, draw_crop, draw_decode, draw_heatmaps, draw_poses
from .render_style import FONT, font_scale, timing_caption

__all__ = [
    "DEFAULT_HEATMAP_OPACITY", "DEFAULT_KEYPOINT_THRESHOLD", "DEFAULT_OFFSET_SCALE", "HEAD_LAYERS",
    "MAX_OFFSET_SCALE", "OVERLAY_NAMES", "OverlayOptions", "render_overlays",
]

#: Overlay names accepted by :meth:`OverlayOptions.from_names` (and the CLI's --overlays).
OVERLAY_NAMES: tuple[str, ...] = (
    "skeleton", "keypoints", "heatmaps", "centre", "crop", "regression", "offsets", "decode",
    "boxes", "ids", "timing", "classification",
)
#: Layers drawn from the model's heads (:attr:`OverlayOptions.needs_heads`; a pipeline reads heads
#: only while one of them is on).
HEAD_LAYERS: tuple[str, ...] = ("heatmaps", "centre", "regression", "offsets", "decode")

#: Default keypoint score threshold for drawing: the one default of the window, the renderer and
#: ``export --threshold`` (0.3, the drawing threshold of Google's TF.js pose-detection demo;
#: the crop tracker's own 0.2 is a different constant, see :mod:`.cropping`).
DEFAULT_KEYPOINT_THRESHOLD = 0.3
#: Default heatmap opacity.
DEFAULT_HEATMAP_OPACITY = 0.85  # scales the value-weighted alpha of colormap_rgba_lut
#: Offset arrows are drawn this many times their length unless told otherwise (visible at fit zoom).
DEFAULT_OFFSET_SCALE = 3.0
#: Largest offset-arrow scale (OverlayOptions.offset_scale).
MAX_OFFSET_SCALE = 20.0


@dataclass(frozen=True, slots=True)
class OverlayOptions:
    """Which overlays to draw, and how. The window's overlay controls hold one of these.

    Attributes:
        skeleton: skeleton edges.
        keypoints: keypoint dots.
        keypoint_threshold: keypoints (and edges touching them) scoring at or below this
            are not drawn; 0..1 (default :data:`DEFAULT_KEYPOINT_THRESHOLD`, 0.3).
        heatmaps: keypoint heatmap overlay.
        heatmap_keypoint: keypoint index 0..16 to show, or None for the max over all keypoints.
        heatmap_opacity: opacity 0..1 of the keypoint heatmap overlay.
        centre: person-centre heatmap overlay.
        centre_opacity: opacity 0..1 of the centre heatmap overlay.
        crop: crop square (when the pipeline tracks a crop region), with the centre and the
            torso (dashed) and body (dotted) ranges the tracker measured on the frame.
        regression: lines from the centre cell to each rough keypoint (centre + regression).
        offsets: arrows from each chosen heatmap cell to the final keypoint (cell + offset);
            with ``offset_field``, the offset head as a field instead.
        decode: decode markers (centre-cell cross, rough-keypoint circles, chosen-cell squares,
            decoded-keypoint crosses).
        boxes: MultiPose boxes.
        ids: track-id labels.
        timing: timing caption.
        classification: the pose classifier's top class per pose and the repetition count.
        colormap: colour-map name for keypoint heatmaps (:func:`~.colormaps.colormap_names`).
        centre_colormap: colour-map name for the centre heatmap (default viridis, distinct
            from the keypoint heatmaps' inferno).
        offset_scale: offset arrows are drawn this many times their length (1..20; 1: from
            the cell to the keypoint). Offsets are under about one heatmap cell, a few screen
            pixels at fit zoom; the default :data:`DEFAULT_OFFSET_SCALE` (3) makes them visible.
        offset_field: draw ``offsets`` as a field: an arrow at every cell where the heatmap
            of ``heatmap_keypoint`` (None: the strongest keypoint of the cell) is at least
            :data:`~.overlay_geometry.OFFSET_FIELD_MIN_SCORE` (needs heads, not the decode;
            works for MultiPose).

    Raises:
        ValueError: (on construction) a threshold or opacity outside 0..1, a keypoint index
            outside 0..16, an offset scale outside 1..20, or an unknown colour map.
    """

    skeleton: bool = True
    keypoints: bool = True
    keypoint_threshold: float = DEFAULT_KEYPOINT_THRESHOLD
    heatmaps: bool = False
    heatmap_keypoint: int | None = None
    heatmap_opacity: float = DEFAULT_HEATMAP_OPACITY
    centre: bool = False
    centre_opacity: float = DEFAULT_HEATMAP_OPACITY
    crop: bool = False
    regression: bool = False
    offsets: bool = False
    decode: bool = False
    boxes: bool = True
    ids: bool = True
    timing: bool = False
    classification: bool = True
    colormap: str = DEFAULT_COLORMAP
    offset_field: bool = False
    centre_colormap: str = DEFAULT_CENTRE_COLORMAP
    offset_scale: float = DEFAULT_OFFSET_SCALE

    def __post_init__(self) -> None:
        for name in ("keypoint_threshold", "heatmap_opacity", "centre_opacity"):
            value = getattr(self, name)
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name} must be within 0..1, got {value}")
        if self.heatmap_keypoint is not None and not 0 <= int(self.heatmap_keypoint) < NUM_KEYPOINTS:
            raise ValueError(f"heatmap_keypoint must be 0..{NUM_KEYPOINTS - 1} or None, got {self.heatmap_keypoint}")
        for name in (self.colormap, self.centre_colormap):
            if name.lower() not in colormap_names():
                raise ValueError(f"unknown colour map '{name}'; known: {', '.join(colormap_names())}")
        if not 1.0 <= float(self.offset_scale) <= MAX_OFFSET_SCALE:
            raise ValueError(f"offset_scale must be within 1..{MAX_OFFSET_SCALE:g}, got {self.offset_scale}")

    @classmethod
    def from_names(cls, names: str | list[str] | tuple[str, ...], **settings: Any) -> "OverlayOptions":
        """Options with exactly the overlays `names` on (every other layer off).

        Args:
            names: overlay names (:data:`OVERLAY_NAMES`), a list or one comma-separated
                string such as ``"skeleton,heatmaps,crop"``; ``all`` turns every layer on,
                an empty string none. ``center`` is accepted for ``centre``.
            settings: other fields (``keypoint_threshold``, ``heatmap_keypoint``, ``colormap`` ...).

        Raises:
            ValueError: an unknown overlay name (the message lists the known ones), or a
                bad setting.
        """
        if isinstance(names, str):
            names = [n for n in names.split(",")]
        chosen = {n.strip().lower() for n in names if n.strip()}
        if "all" in chosen:
            chosen = set(OVERLAY_NAMES)
        chosen = {"centre" if n == "center" else n for n in chosen}
        unknown = sorted(chosen - set(OVERLAY_NAMES))
        if unknown:
            raise ValueError(f"unknown overlay {', '.join(unknown)}; known: {', '.join(OVERLAY_NAMES)}, all")
        return cls(**{name: name in chosen for name in OVERLAY_NAMES}, **settings)

    def enabled(self) -> tuple[str, ...]:
        """Names of the layers switched on, in :data:`OVERLAY_NAMES` order."""
        return tuple(name for name in OVERLAY_NAMES if getattr(self, name))

    @property
    def needs_heads(self) -> bool:
        """True when a layer drawn from the model's heads (:data:`HEAD_LAYERS`) is on."""
        return any(getattr(self, name) for name in HEAD_LAYERS)


def render_overlays(frame_rgb: np.ndarray, result, options: OverlayOptions = OverlayOptions()) -> np.ndarray:
    """Draw the overlays of `result` on a copy of `frame_rgb`.

    Args:
        frame_rgb: uint8 [H, W, 3] RGB; normally ``result.frame``. It may be a resized
            copy: coordinates (in the pixels of ``result.mapping.frame_size``) are scaled
            to its size. Not modified.
        result: a :class:`~.pipeline.FrameResult` (poses in frame pixels; optional
            ``heads``, ``crop_region``, ``decode``).
        options: which layers to draw (see the module docstring for order and look).

    Returns:
        A new uint8 [H, W, 3] RGB array.

    Raises:
        ValueError: `frame_rgb` is not uint8 [H, W, 3].
    """
    frame_rgb = np.asarray(frame_rgb)
    if frame_rgb.dtype != np.uint8 or frame_rgb.ndim != 3 or frame_rgb.shape[2] != 3:
        raise ValueError(f"frame must be uint8 [H, W, 3] RGB, got {frame_rgb.dtype} {frame_rgb.shape}")
    image = np.array(frame_rgb, dtype=np.uint8, order="C", copy=True)
    mapping = getattr(result, "mapping", None)
    frame_size = tuple(mapping.frame_size) if mapping is not None else image.shape[:2]
    canvas = Canvas(image, frame_size)
    if options.heatmaps or options.centre:
        draw_heatmaps(canvas, result, options)
    if options.crop:
        draw_crop(canvas, result)
    if options.regression or options.offsets or options.decode:
        draw_decode(canvas, result, options)
    draw_poses(canvas, result, options)
    if options.classification:
        from .classification_render import draw_classification

        draw_classification(canvas, result, options.keypoint_threshold, font_scale(image.shape), FONT, options.ids)
    if options.timing:
        caption = timing_caption(result)
        scale = font_scale(image.shape) * 0.8
        limit = image.shape[1] - 16
        for _ in range(20):  # shrink a long caption to the frame width (Hershey widths are not linear in scale)
            width = cv2.getTextSize(caption, FONT, scale, max(1, round(scale * 2)))[0][0]
            if width <= limit or scale <= 0.25:
                break
            scale = max(0.25, scale * min(0.98, limit / width))
        canvas.text(caption, 4, 4, (255, 255, 255), scale)
    return image
