"""Draw the window's overlays on a numpy frame: the export renderer (numpy + OpenCV, no Qt).

:func:`render_overlays` draws exactly what the video view shows, so an exported video or
picture matches the screen. The look is defined here and the GUI reads the same
constants and helpers: :data:`KEYPOINT_COLOUR`, :func:`track_colour`,
:func:`line_width`, :func:`keypoint_radius`, :func:`timing_caption`, and the colour maps
of :mod:`.colormaps`.

Layers, bottom to top (each only when enabled in :class:`OverlayOptions` *and* present in
the :class:`~.pipeline.FrameResult`; anything missing is skipped silently, see
:func:`unavailable_overlays`). Optional data is read from the result's fields
``heads``, ``crop_region`` and ``decode`` (None when absent):

1. ``heatmaps``: keypoint heatmap of one joint, or the max over the 17 joints, coloured
   through the colour map with levels fixed at 0..1, alpha-blended with an alpha that rises
   with the value (:func:`~.colormaps.colormap_rgba_lut`) times the overlay's opacity
   over the rectangle :func:`~.heads.heatmap_rect_in_frame` gives; cells are drawn as
   nearest-neighbour blocks (no smoothing), like a pyqtgraph ``ImageItem``. Needs
   ``result.heads`` (:class:`~.heads.Heads`).
2. ``centre``: the person-centre heatmap, the same way with its own opacity.
3. ``crop``: the crop square, ``result.crop_region`` (a :class:`~.cropping.CropRegion` or a
   (ymin, xmin, ymax, xmax) tuple normalised to the frame), and from ``result.crop`` (the
   :class:`~.cropping.CropMeasurement` of this frame) a cross at the measured centre and the
   torso (dashed) and body (dotted) ranges as rectangles around it.
4. ``regression``, ``offsets``, ``decode``: the single-pose decode steps (centre cell ->
   rough keypoints; arrows chosen cell -> final keypoint; markers for the centre cell, the
   rough keypoints, the chosen cells and the decoded keypoints), from
   ``result.decode`` (:class:`~.decode.DecodeSteps`) or, for single-pose heads,
   :func:`~.decode.decode_singlepose` of ``result.heads``; ``offsets`` with
   ``offset_field`` draws the offset head of one joint at every confident cell instead
   (heads only, MultiPose too). Heatmap-index positions are placed like the heatmap image
   (:data:`~.heads.HEATMAP_CELL_CENTRE`). All positions come from :mod:`.overlay_geometry`,
   which the window draws from too.
5. ``boxes``: MultiPose boxes, in the pose's :func:`track_colour`.
6. ``skeleton``: the edges of the pose's keypoint set (COCO-17: the 18 edges in
   :data:`~.keypoints.EDGE_COLOURS`; ST's 13: 14 edges, :mod:`.keypoint_sets`), an edge when both its
   keypoints score above the threshold.
7. ``keypoints``: dots for keypoints scoring above the threshold.
8. ``ids``: ``#<track id> <pose score>`` labels (:func:`pose_label`; only for poses that have a
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

from .colormaps import DEFAULT_CENTRE_COLORMAP, DEFAULT_COLORMAP, colormap_names, colormap_rgba_lut, lut_indices
from .keypoint_sets import keypoint_set_for, row_of_coco
from .keypoints import NUM_KEYPOINTS

__all__ = [
    "BODY_RANGE_COLOUR", "BOX_COLOUR", "CROP_COLOUR", "DECODE_COLOUR", "FINAL_COLOUR", "TORSO_RANGE_COLOUR",
    "arrow_barb_length", "DEFAULT_HEATMAP_OPACITY", "DEFAULT_KEYPOINT_THRESHOLD", "DEFAULT_OFFSET_SCALE",
    "MAX_OFFSET_SCALE",
    "KEYPOINT_COLOUR", "OFFSET_COLOUR", "OVERLAY_NAMES",
    "REGRESSION_COLOUR", "TRACK_PALETTE", "OverlayOptions", "keypoint_radius", "line_width",
    "pose_label", "render_overlays", "timing_caption", "track_colour", "unavailable_overlays",
]

#: Keypoint dot fill, RGB (deep pink, as in Google's MoveNet notebook); outlined in white.
KEYPOINT_COLOUR = (255, 20, 147)
#: Crop-square colour, RGB.
CROP_COLOUR = (255, 165, 0)
#: Box colour of poses without a track id, RGB.
BOX_COLOUR = (255, 255, 255)
#: Centre -> rough keypoint lines (regression), RGB.
REGRESSION_COLOUR = (80, 255, 80)
#: Chosen cell -> final keypoint lines (offsets), RGB.
OFFSET_COLOUR = (255, 255, 255)
#: Decode markers (centre cell cross, chosen-cell squares), RGB.
DECODE_COLOUR = (0, 200, 255)
#: Decode markers of the decoded keypoints ((cell + offset) / S, an "x"), RGB.
FINAL_COLOUR = (255, 255, 255)
#: Crop layer: the measured torso range (dashed) and body range (dotted) around the centre, RGB.
TORSO_RANGE_COLOUR = (255, 215, 0)
BODY_RANGE_COLOUR = (255, 140, 90)
#: Track-id palette (Tableau 10), RGB; :func:`track_colour` cycles through it.
TRACK_PALETTE: tuple[tuple[int, int, int], ...] = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
)
#: Overlay names accepted by :meth:`OverlayOptions.from_names` (and the CLI's --overlays).
OVERLAY_NAMES: tuple[str, ...] = (
    "skeleton", "keypoints", "heatmaps", "centre", "crop", "regression", "offsets", "decode",
    "boxes", "ids", "timing", "classification",
)

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

_SHIFT = 4                 # cv2 fractional bits for sub-pixel drawing
_ONE = 1 << _SHIFT
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def track_colour(track_id: int | None) -> tuple[int, int, int]:
    """The colour of a track id: ``TRACK_PALETTE[track_id % 10]``; :data:`BOX_COLOUR` for None.

    Returns:
        (r, g, b) ints 0..255; the same id always gets the same colour.
    """
    if track_id is None:
        return BOX_COLOUR
    return TRACK_PALETTE[int(track_id) % len(TRACK_PALETTE)]


def pose_label(pose) -> str:
    """The ``ids`` label of a tracked pose: ``#<track id> <score>``, e.g. ``#3 0.87``."""
    return f"#{pose.track_id} {float(pose.score):.2f}"


def line_width(frame_shape: tuple[int, ...]) -> int:
    """Skeleton line width in pixels for a frame of `frame_shape` (H, W, ...): ``max(1, round(min(H, W) / 200))``."""
    return max(1, round(min(frame_shape[0], frame_shape[1]) / 200))


def arrow_barb_length(frame_shape: tuple[int, ...]) -> float:
    """Arrowhead barb length of the offset arrows in pixels of a frame of `frame_shape`: ``3 * line_width + 3``."""
    return 3.0 * line_width(frame_shape) + 3.0


def keypoint_radius(frame_shape: tuple[int, ...]) -> int:
    """Keypoint dot radius in pixels for a frame of `frame_shape`: ``line_width + 2``."""
    return line_width(frame_shape) + 2


@dataclass(frozen=True, slots=True)
class OverlayOptions:
    """Which overlays to draw, and how. The window's overlay controls hold one of these.

    Attributes:
        skeleton: skeleton edges.
        keypoints: keypoint dots.
        keypoint_threshold: keypoints (and edges touching them) scoring at or below this
            are not drawn; 0..1 (default :data:`DEFAULT_KEYPOINT_THRESHOLD`, 0.3).
        heatmaps: keypoint heatmap overlay.
        heatmap_joint: keypoint index 0..16 to show, or None for the max over all joints.
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
            of ``heatmap_joint`` (None: the strongest joint of the cell) is at least
            :data:`~.overlay_geometry.OFFSET_FIELD_MIN_SCORE` (needs heads, not the decode;
            works for MultiPose).

    Raises:
        ValueError: (on construction) a threshold or opacity outside 0..1, a joint index
            outside 0..16, an offset scale outside 1..20, or an unknown colour map.
    """

    skeleton: bool = True
    keypoints: bool = True
    keypoint_threshold: float = DEFAULT_KEYPOINT_THRESHOLD
    heatmaps: bool = False
    heatmap_joint: int | None = None
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
        if self.heatmap_joint is not None and not 0 <= int(self.heatmap_joint) < NUM_KEYPOINTS:
            raise ValueError(f"heatmap_joint must be 0..{NUM_KEYPOINTS - 1} or None, got {self.heatmap_joint}")
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
            settings: other fields (``keypoint_threshold``, ``heatmap_joint``, ``colormap`` ...).

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


# --- what a result carries ------------------------------------------------------------------

def _extra(result, key: str):
    """Optional data of a result: the attribute `key` (e.g. ``FrameResult.crop_region``), or None."""
    return getattr(result, key, None)


def _crop_box(result) -> tuple[float, float, float, float] | None:
    crop = _extra(result, "crop_region")
    if crop is None:
        return None
    if hasattr(crop, "as_tuple"):
        crop = crop.as_tuple()
    return tuple(float(v) for v in crop)  # type: ignore[return-value]


def _is_singlepose(result) -> bool:
    raw = getattr(result, "raw_output", None)
    return raw is not None and np.asarray(raw).ndim == 4  # [1, 1, K, 3]; MultiPose is [1, 6, 56]


def _decode_steps(result):
    steps = _extra(result, "decode")
    if steps is not None:
        return steps
    heads = _extra(result, "heads")
    if heads is None or not heads.complete or not _is_singlepose(result) or heads.shape[0] != heads.shape[1]:
        return None
    from .decode import decode_singlepose  # local: decode is only needed for these layers

    return decode_singlepose(heads)


def unavailable_overlays(result, options: OverlayOptions) -> tuple[str, ...]:
    """Layers switched on in `options` that `result` has no data for (they are skipped).

    ``heatmaps``/``centre`` need ``heads``; ``crop`` needs ``crop_region``;
    ``regression``/``offsets``/``decode`` need ``decode`` or single-pose heads; ``boxes`` needs a pose with a box; ``ids``
    a pose with a track id; ``classification`` a classified result. Skeleton, keypoints and timing are always available.
    """
    heads = _extra(result, "heads") is not None
    decode = _extra(result, "decode") is not None or (heads and _is_singlepose(result))
    has = {
        "heatmaps": heads, "centre": heads, "crop": _crop_box(result) is not None,
        "regression": decode, "offsets": heads if options.offset_field else decode, "decode": decode,
        "boxes": any(p.box is not None for p in result.poses),
        "ids": any(p.track_id is not None for p in result.poses),
        "classification": _extra(result, "classification") is not None,
    }
    return tuple(name for name in options.enabled() if not has.get(name, True))


# --- drawing --------------------------------------------------------------------------------

class _Canvas:
    """An RGB image plus the scale from result coordinates (frame pixels) to its pixels."""

    def __init__(self, image: np.ndarray, frame_size: tuple[int, int]):
        self.image = image
        h, w = image.shape[:2]
        fh, fw = frame_size
        self.sx = w / fw if fw else 1.0
        self.sy = h / fh if fh else 1.0
        self.lw = line_width(image.shape)
        self.radius = keypoint_radius(image.shape)

    def pt(self, x: float, y: float) -> tuple[int, int]:
        """Frame-pixel (x, y) -> cv2 fixed-point point (pixel centres at integers)."""
        return (int(round((x * self.sx - 0.5) * _ONE)), int(round((y * self.sy - 0.5) * _ONE)))

    def line(self, a, b, colour, width: int | None = None) -> None:
        cv2.line(self.image, self.pt(*a), self.pt(*b), colour, width or self.lw, cv2.LINE_AA, _SHIFT)

    def circle(self, c, radius: float, colour, thickness: int = -1) -> None:
        cv2.circle(self.image, self.pt(*c), int(round(radius * _ONE)), colour, thickness, cv2.LINE_AA, _SHIFT)

    def rect(self, x0, y0, x1, y1, colour, width: int | None = None) -> None:
        cv2.rectangle(self.image, self.pt(x0, y0), self.pt(x1, y1), colour, width or self.lw, cv2.LINE_AA, _SHIFT)

    def blend_map(self, values: np.ndarray, rect: tuple[float, float, float, float], lut: np.ndarray,
                  opacity: float) -> None:
        """Blend probability map `values` [Sh, Sw], stretched over `rect` (x, y, w, h in frame px),
        through the RGBA table `lut` [256, 4]: each cell's alpha is its table alpha x `opacity`."""
        if opacity <= 0:
            return
        sh, sw = values.shape
        rx, ry, rw, rh = rect
        rx, rw = rx * self.sx, rw * self.sx
        ry, rh = ry * self.sy, rh * self.sy
        h, w = self.image.shape[:2]
        # Cell of each output pixel centre (nearest neighbour, as pyqtgraph paints an image).
        cols = np.floor((np.arange(w) + 0.5 - rx) * (sw / rw)).astype(np.int64)
        rows = np.floor((np.arange(h) + 0.5 - ry) * (sh / rh)).astype(np.int64)
        xs = np.flatnonzero((cols >= 0) & (cols < sw))
        ys = np.flatnonzero((rows >= 0) & (rows < sh))
        if not xs.size or not ys.size:
            return
        x0, x1, y0, y1 = xs[0], xs[-1] + 1, ys[0], ys[-1] + 1
        rows, cols = rows[y0:y1], cols[x0:x1]          # non-decreasing runs of cell indices
        block = lut[lut_indices(values[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1])]  # [r, c, 4] RGBA
        # Nearest-neighbour upscale: repeat each cell over the pixels whose centres fall in it.
        rgba = np.repeat(np.repeat(block, np.bincount(rows - rows[0]), axis=0), np.bincount(cols - cols[0]), axis=1)
        region = self.image[y0:y1, x0:x1]
        # region * (1 - a) + colour * a with a = alpha / 255 * opacity, rounded to nearest.
        alpha = rgba[..., 3:4].astype(np.float32) * np.float32(opacity / 255.0)
        blended = region.astype(np.float32)
        blended += (rgba[..., :3].astype(np.float32) - blended) * alpha
        region[...] = np.rint(blended).astype(np.uint8)

    def text(self, text: str, x: float, y: float, colour, scale: float, background=(0, 0, 0)) -> None:
        """`text` with its top-left corner at image pixel (x, y), on a filled background box."""
        thickness = max(1, round(scale * 2))
        (tw, th), base = cv2.getTextSize(text, _FONT, scale, thickness)
        pad = max(2, round(th * 0.3))
        h, w = self.image.shape[:2]
        x = int(min(max(0, x), max(0, w - tw - 2 * pad)))
        y = int(min(max(0, y), max(0, h - th - base - 2 * pad)))
        x1, y1 = min(w, x + tw + 2 * pad), min(h, y + th + base + 2 * pad)
        region = self.image[y:y1, x:x1]
        region[...] = (region.astype(np.float32) * 0.35 + np.asarray(background, np.float32) * 0.65).astype(np.uint8)
        cv2.putText(self.image, text, (x + pad, y + pad + th), _FONT, scale, colour, thickness, cv2.LINE_AA)


def _font_scale(shape: tuple[int, ...]) -> float:
    return max(0.4, min(shape[0], shape[1]) / 1000)


def timing_caption(result) -> str:
    """The timing caption text, e.g. ``lightning-float16  frame 12  read 0.3  preprocess 0.4  inference 7.9  postprocess 0.1  total 8.7 ms``.

    Stages come from ``result.timings_ms`` in its own order (``total`` last), in ms with
    one decimal.
    """
    timings = dict(result.timings_ms)
    total = timings.pop("total", None)
    parts = [f"{key} {float(value):.1f}" for key, value in timings.items()]
    if total is not None:
        parts.append(f"total {float(total):.1f}")
    return f"{result.model_key}  frame {result.index}  " + "  ".join(parts) + " ms"


def _draw_heatmaps(canvas: _Canvas, result, options: OverlayOptions) -> None:
    heads = _extra(result, "heads")
    if heads is None:
        return
    from .heads import heatmap_rect_in_frame  # local: heads are optional data

    lut = colormap_rgba_lut(options.colormap)
    rect = heatmap_rect_in_frame(result.mapping, heads.shape)
    if options.heatmaps:
        maps = np.asarray(heads.keypoint_heatmaps, dtype=np.float32)
        row = row_of_coco(maps.shape[-1], options.heatmap_joint)
        values = maps[..., row] if row is not None else maps.max(axis=-1)
        canvas.blend_map(values, rect, lut, options.heatmap_opacity)
    if options.centre and heads.centre is not None:
        canvas.blend_map(np.asarray(heads.centre, dtype=np.float32), rect, colormap_rgba_lut(options.centre_colormap),
                         options.centre_opacity)


def _dashed(canvas: _Canvas, rect, colour, style: str, width: int) -> None:
    from .overlay_geometry import dash_pattern, dashed_rect

    dash, gap = (v / canvas.sx for v in dash_pattern(width, style))  # image px -> frame px
    segments = dashed_rect(rect, dash, gap)
    for a, b in zip(segments[0::2], segments[1::2]):
        canvas.line(a, b, colour, width)


def _draw_crop(canvas: _Canvas, result) -> None:
    from .overlay_geometry import crop_geometry

    crop = crop_geometry(result)
    if crop.square is None:
        return
    canvas.rect(*crop.square, CROP_COLOUR)
    thin = max(1, canvas.lw // 2)
    if crop.torso is not None:
        _dashed(canvas, crop.torso, TORSO_RANGE_COLOUR, "dash", thin)
    if crop.body is not None:
        _dashed(canvas, crop.body, BODY_RANGE_COLOUR, "dot", thin)
    if crop.centre is not None:
        cx, cy = crop.centre
        arm = 2 * canvas.radius / canvas.sx
        canvas.line((cx - arm, cy), (cx + arm, cy), CROP_COLOUR, canvas.lw)
        canvas.line((cx, cy - arm), (cx, cy + arm), CROP_COLOUR, canvas.lw)


def _arrows(canvas: _Canvas, starts, ends, colour, width: int, scale: float) -> None:
    from .overlay_geometry import arrow_barbs, scaled_arrows

    starts, ends = scaled_arrows(starts, ends, scale)
    for start, end in zip(starts, ends):
        canvas.line(start, end, colour, width)
    barbs = arrow_barbs(starts, ends, arrow_barb_length(canvas.image.shape) / canvas.sx)
    for a, b in zip(barbs[0::2], barbs[1::2]):
        canvas.line(a, b, colour, width)


def _draw_decode(canvas: _Canvas, result, options: OverlayOptions) -> None:
    from .overlay_geometry import decode_geometry, offset_field  # placed like the heatmap image

    thin = max(1, canvas.lw // 2)
    heads = _extra(result, "heads")
    if options.offsets and options.offset_field and heads is not None:
        starts, ends = offset_field(heads, result.mapping, options.heatmap_joint)
        _arrows(canvas, starts, ends, OFFSET_COLOUR, thin, options.offset_scale)
    steps = _decode_steps(result)
    if steps is None:
        return
    geometry = decode_geometry(steps, result.mapping)
    marker = canvas.radius * 0.6
    if options.regression:
        for target in geometry.rough:
            canvas.line(geometry.centre, target, REGRESSION_COLOUR, thin)
    if options.regression or options.decode:
        for target in geometry.rough:
            canvas.circle(target, marker, REGRESSION_COLOUR, thin)
    if options.offsets and not options.offset_field:
        _arrows(canvas, geometry.cells, geometry.final, OFFSET_COLOUR, thin, options.offset_scale)
    if options.decode:
        hx, hy = geometry.half_cell
        for cx, cy in geometry.cells:
            canvas.rect(cx - hx, cy - hy, cx + hx, cy + hy, DECODE_COLOUR, thin)
        cross = geometry.centre_cross()
        for a, b in zip(cross[0::2], cross[1::2]):
            canvas.line(a, b, DECODE_COLOUR, canvas.lw)
        arm = marker / canvas.sx
        for x, y in geometry.final:
            canvas.line((x - arm, y - arm), (x + arm, y + arm), FINAL_COLOUR, thin)
            canvas.line((x - arm, y + arm), (x + arm, y - arm), FINAL_COLOUR, thin)


def _draw_poses(canvas: _Canvas, result, options: OverlayOptions) -> None:
    threshold = options.keypoint_threshold
    scale = _font_scale(canvas.image.shape)
    if options.boxes:
        for pose in result.poses:
            if pose.box is not None:
                x0, y0, x1, y1 = (float(v) for v in pose.box)
                canvas.rect(x0, y0, x1, y1, track_colour(pose.track_id))
    if options.skeleton:
        for pose in result.poses:
            kp = pose.keypoints
            keypoint_set = keypoint_set_for(len(kp))
            for (a, b), colour in zip(keypoint_set.edges, keypoint_set.edge_colours):
                if kp[a, 2] > threshold and kp[b, 2] > threshold:
                    canvas.line(kp[a, :2], kp[b, :2], colour)
    if options.keypoints:
        for pose in result.poses:
            for x, y, score in pose.keypoints:
                if score > threshold:
                    canvas.circle((x, y), canvas.radius, KEYPOINT_COLOUR)
                    canvas.circle((x, y), canvas.radius, (255, 255, 255), 1)
    if options.ids:
        for pose in result.poses:
            if pose.track_id is None:
                continue
            if pose.box is not None:
                x, y = float(pose.box[0]), float(pose.box[1])
            else:
                visible = pose.keypoints[pose.keypoints[:, 2] > threshold]
                if not visible.size:
                    continue
                x, y = float(visible[:, 0].min()), float(visible[:, 1].min())
            label = pose_label(pose)
            (_, th), base = cv2.getTextSize(label, _FONT, scale, max(1, round(scale * 2)))
            canvas.text(label, x * canvas.sx, y * canvas.sy - th - base - 6, (255, 255, 255), scale,
                        background=track_colour(pose.track_id))


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
    canvas = _Canvas(image, frame_size)
    if options.heatmaps or options.centre:
        _draw_heatmaps(canvas, result, options)
    if options.crop:
        _draw_crop(canvas, result)
    if options.regression or options.offsets or options.decode:
        _draw_decode(canvas, result, options)
    _draw_poses(canvas, result, options)
    if options.classification:
        from .classification_render import draw_classification

        draw_classification(canvas, result, options.keypoint_threshold, _font_scale(image.shape), _FONT, options.ids)
    if options.timing:
        caption = timing_caption(result)
        scale = _font_scale(image.shape) * 0.8
        limit = image.shape[1] - 16
        for _ in range(20):  # shrink a long caption to the frame width (Hershey widths are not linear in scale)
            width = cv2.getTextSize(caption, _FONT, scale, max(1, round(scale * 2)))[0][0]
            if width <= limit or scale <= 0.25:
                break
            scale = max(0.25, scale * min(0.98, limit / width))
        canvas.text(caption, 4, 4, (255, 255, 255), scale)
    return image
