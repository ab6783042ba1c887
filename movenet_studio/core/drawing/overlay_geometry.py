"""Where the heads, decode-step and crop overlays go, in frame pixels (numpy only, no Qt, no drawing).

The export renderer (:mod:`.render`) and the window's pyqtgraph items both draw from these
functions, so an exported frame places every marker, arrow and dashed rectangle exactly
where the screen does. Conventions:

* Frame pixel ``i`` spans ``[i, i + 1)``; points are (x, y) float64 frame pixels.
* Heatmap-index positions (cells, the rough keypoints) are placed like the heatmap image,
  i.e. cell ``i`` is centred at ``(i + HEATMAP_CELL_CENTRE) / S`` of the model input
  (:func:`~.heads.heatmap_rect_in_frame`); decoded keypoints are ``(cell + offset) / S``,
  the model's own output.
* Segment lists are float64 ``[2N, 2]`` arrays whose consecutive rows pair up (pyqtgraph
  ``connect="pairs"``; the renderer draws row 2k to row 2k + 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..decoding.decode import DecodeSteps
from ..decoding.keypoint_sets import row_of_coco
from ..decoding.heads import HEATMAP_CELL_CENTRE, Heads
from ..preprocessing.mapping import InputMapping

__all__ = [
    "OFFSET_FIELD_MAX_CELLS", "OFFSET_FIELD_MIN_SCORE", "CropGeometry", "DecodeGeometry",
    "arrow_barbs", "crop_geometry", "dash_pattern", "dashed_rect", "decode_geometry", "offset_field",
    "scaled_arrows",
    "rect_segments",
]

#: The offset field shows cells whose heatmap probability is at least this.
OFFSET_FIELD_MIN_SCORE = 0.1
#: ... and at most this many of them (the strongest), so drawing stays cheap.
OFFSET_FIELD_MAX_CELLS = 400


@dataclass(frozen=True, slots=True)
class DecodeGeometry:
    """The single-pose decode steps placed on the frame.

    Attributes:
        centre: float64 [2] (x, y): centre of the chosen person-centre cell.
        rough: float64 [17, 2] (x, y): rough keypoints, centre cell + regression.
        cells: float64 [17, 2] (x, y): centres of the chosen keypoint cells.
        final: float64 [17, 2] (x, y): decoded keypoints, (cell + offset) / S.
        scores: float64 [17]: heatmap probability at each chosen cell.
        half_cell: (hx, hy) half a heatmap cell in frame pixels (the model-input box may be
            non-square in frame pixels).
    """

    centre: np.ndarray
    rough: np.ndarray
    cells: np.ndarray
    final: np.ndarray
    scores: np.ndarray
    half_cell: tuple[float, float]

    def cell_squares(self) -> np.ndarray:
        """Outlines of the chosen cells as segment pairs, float64 [17 * 8, 2]."""
        hx, hy = self.half_cell
        return rect_segments(np.stack([self.cells[:, 0] - hx, self.cells[:, 1] - hy,
                                       self.cells[:, 0] + hx, self.cells[:, 1] + hy], axis=1))

    def centre_cross(self) -> np.ndarray:
        """The centre-cell cross (arms of three cells) as two segments, float64 [4, 2]."""
        hx, hy = self.half_cell
        arm = 3 * max(hx, hy)
        cx, cy = self.centre
        return np.array([[cx - arm, cy], [cx + arm, cy], [cx, cy - arm], [cx, cy + arm]], dtype=np.float64)

    def regression_segments(self) -> np.ndarray:
        """Centre -> rough keypoint lines, float64 [34, 2]."""
        return _pairs(np.repeat(self.centre[None, :], len(self.rough), axis=0), self.rough)

    def offset_segments(self) -> np.ndarray:
        """Chosen cell -> decoded keypoint lines, float64 [34, 2]."""
        return _pairs(self.cells, self.final)


def _pairs(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Interleave [N, 2] starts and ends into segment pairs [2N, 2]."""
    starts = np.asarray(starts, dtype=np.float64).reshape(-1, 2)
    ends = np.asarray(ends, dtype=np.float64).reshape(-1, 2)
    return np.stack([starts, ends], axis=1).reshape(-1, 2)


def decode_geometry(steps: DecodeSteps, mapping: InputMapping,
                    cell_centre: float = HEATMAP_CELL_CENTRE) -> DecodeGeometry:
    """Place the decode steps of one inference on its frame.

    Args:
        steps: :class:`~.decode.DecodeSteps` (square S x S heads).
        mapping: the frame's :class:`~.preprocess.InputMapping` (letterbox or crop).
        cell_centre: where a cell's centre sits relative to its index (as the heatmap image).

    Returns:
        :class:`DecodeGeometry` in frame pixels.
    """
    size = int(np.asarray(steps.centre_weights).shape[0])

    def cell_px(yx_cells) -> np.ndarray:
        return mapping.to_frame((np.asarray(yx_cells, dtype=np.float64) + cell_centre) / size).astype(np.float64)

    cells = np.asarray(steps.keypoint_cells, dtype=np.float64)
    final = mapping.to_frame((cells + np.asarray(steps.offsets, dtype=np.float64)) / size).astype(np.float64)
    _, _, w, h = mapping.frame_rect()
    return DecodeGeometry(cell_px(steps.centre_cell), cell_px(steps.rough_keypoints), cell_px(cells), final,
                          np.asarray(steps.keypoints, dtype=np.float64)[:, 2], (0.5 * w / size, 0.5 * h / size))


def offset_field(heads: Heads, mapping: InputMapping, keypoint: int | None = None,
                 min_score: float = OFFSET_FIELD_MIN_SCORE, max_cells: int = OFFSET_FIELD_MAX_CELLS,
                 cell_centre: float = HEATMAP_CELL_CENTRE) -> tuple[np.ndarray, np.ndarray]:
    """The offset head as a vector field: at each cell, cell centre -> (cell + offset) / S.

    Args:
        heads: the heads of one inference (any Sh x Sw; MultiPose too).
        mapping: the frame's input mapping.
        keypoint: COCO keypoint 0..16 whose offsets to show; None: at each cell, the keypoint
            whose heatmap is strongest there.
        min_score: only cells whose heatmap probability (of that keypoint) is at least this.
        max_cells: at most this many cells, the strongest first.
        cell_centre: where a cell's centre sits relative to its index (as the heatmap image).

    Returns:
        (starts, ends): float64 [N, 2] (x, y) frame pixels each, strongest cells first.
    """
    sh, sw = heads.shape
    if heads.offsets is None:  # a heatmap-only file has no offsets
        return np.empty((0, 2)), np.empty((0, 2))
    maps = np.asarray(heads.keypoint_heatmaps, dtype=np.float32)
    row = row_of_coco(maps.shape[-1], keypoint) if keypoint is not None else None
    rows = (np.full((sh, sw), int(row), dtype=np.intp) if row is not None
              else np.argmax(maps, axis=-1))
    scores = np.take_along_axis(maps, rows[..., None], axis=-1)[..., 0]
    flat = np.flatnonzero(scores.reshape(-1) >= min_score)
    flat = flat[np.argsort(-scores.reshape(-1)[flat], kind="stable")[:max(0, int(max_cells))]]
    ys, xs = np.divmod(flat, sw)
    k = rows[ys, xs]
    offsets = np.asarray(heads.offsets, dtype=np.float64)
    oy, ox = offsets[ys, xs, 2 * k], offsets[ys, xs, 2 * k + 1]
    scale = np.array([sh, sw], dtype=np.float64)
    starts = np.stack([ys + cell_centre, xs + cell_centre], axis=1) / scale
    ends = np.stack([ys + oy, xs + ox], axis=1) / scale
    return (mapping.to_frame(starts).astype(np.float64).reshape(-1, 2),
            mapping.to_frame(ends).astype(np.float64).reshape(-1, 2))


def scaled_arrows(starts: np.ndarray, ends: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Arrows from the same starts, `scale` times as long (offset arrows visible at fit zoom).

    Args:
        starts, ends: float [N, 2] (x, y) frame pixels.
        scale: length factor (1: unchanged).

    Returns:
        (starts, ends): float64 [N, 2] each; ``ends = starts + scale * (ends - starts)``.
    """
    starts = np.asarray(starts, dtype=np.float64).reshape(-1, 2)
    ends = np.asarray(ends, dtype=np.float64).reshape(-1, 2)
    return starts, starts + float(scale) * (ends - starts)


def arrow_barbs(starts: np.ndarray, ends: np.ndarray, length: float, angle_deg: float = 25.0) -> np.ndarray:
    """The two barbs of an arrowhead at each end, as segment pairs.

    Each barb runs from the tip back along the arrow, turned by ±`angle_deg`; its length
    is `length` frame pixels, at most 40 % of the arrow. Zero-length arrows get no barbs.

    Args:
        starts, ends: float [N, 2] (x, y).
        length: barb length in frame pixels.
        angle_deg: angle between a barb and the shaft.

    Returns:
        float64 [4M, 2] (M <= N arrows of non-zero length).
    """
    starts = np.asarray(starts, dtype=np.float64).reshape(-1, 2)
    ends = np.asarray(ends, dtype=np.float64).reshape(-1, 2)
    vec = ends - starts
    norm = np.hypot(vec[:, 0], vec[:, 1])
    keep = norm > 1e-9
    if not keep.any():
        return np.empty((0, 2), dtype=np.float64)
    vec, norm, tips = vec[keep], norm[keep], ends[keep]
    back = -vec / norm[:, None] * np.minimum(float(length), 0.4 * norm)[:, None]
    a = np.deg2rad(angle_deg)
    c, s = np.cos(a), np.sin(a)
    left = np.stack([back[:, 0] * c - back[:, 1] * s, back[:, 0] * s + back[:, 1] * c], axis=1)
    right = np.stack([back[:, 0] * c + back[:, 1] * s, -back[:, 0] * s + back[:, 1] * c], axis=1)
    return np.stack([tips, tips + left, tips, tips + right], axis=1).reshape(-1, 2)


def rect_segments(rects: np.ndarray) -> np.ndarray:
    """Outlines of axis-aligned rectangles as segment pairs.

    Args:
        rects: float [N, 4] (x0, y0, x1, y1).

    Returns:
        float64 [8N, 2]: top, right, bottom, left edge of each.
    """
    r = np.asarray(rects, dtype=np.float64).reshape(-1, 4)
    # Corner k of each outline: (x column, y column) of r, in the order top, right, bottom, left.
    return r[:, [0, 1, 2, 1, 2, 1, 2, 3, 2, 3, 0, 3, 0, 3, 0, 1]].reshape(-1, 2)


def dash_pattern(line_px: float, style: str) -> tuple[float, float]:
    """(dash, gap) lengths in frame pixels of a dash `style` (``dash`` or ``dot``) for lines
    `line_px` wide (the renderer's :func:`~.render_style.line_width`)."""
    w = max(1.0, float(line_px))
    if style == "dash":
        return 6.0 * w + 4.0, 4.0 * w + 3.0
    if style == "dot":
        return 1.5 * w + 1.0, 3.0 * w + 2.0
    raise ValueError(f"unknown dash style '{style}'; use dash or dot")


def dashed_rect(rect: tuple[float, float, float, float], dash: float, gap: float) -> np.ndarray:
    """An axis-aligned rectangle outline as dashes (segment pairs), the pattern restarting at each corner.

    Args:
        rect: (x0, y0, x1, y1) frame pixels.
        dash, gap: dash and gap lengths in frame pixels (> 0).

    Returns:
        float64 [2M, 2].
    """
    if dash <= 0 or gap <= 0:
        raise ValueError(f"dash and gap must be positive, got {dash}, {gap}")
    x0, y0, x1, y1 = (float(v) for v in rect)
    edges = rect_segments(np.array([[x0, y0, x1, y1]])).reshape(4, 2, 2)
    out = []
    for a, b in edges:
        length = float(np.hypot(*(b - a)))
        if length <= 0:
            continue
        t0 = np.arange(0.0, length, dash + gap)
        unit = (b - a) / length
        dashes = np.empty((t0.size, 2, 2))
        dashes[:, 0] = a + t0[:, None] * unit
        dashes[:, 1] = a + np.minimum(t0 + dash, length)[:, None] * unit
        out.append(dashes.reshape(-1, 2))
    return np.concatenate(out) if out else np.empty((0, 2), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class CropGeometry:
    """The crop square of a frame and what the tracker measured on it, in frame pixels.

    Attributes:
        square: (x0, y0, x1, y1) of the crop region this frame was cut with, or None
            (letterboxed).
        centre: (x, y) of the measured centre (hip midpoint), or None (no visible torso,
            tracker reset, crop tracking off).
        torso: (x0, y0, x1, y1): the centre ± the torso range, or None.
        body: (x0, y0, x1, y1): the centre ± the body range, or None.
        reset: the tracker reset on this frame (the pose scored too low).
    """

    square: tuple[float, float, float, float] | None
    centre: tuple[float, float] | None
    torso: tuple[float, float, float, float] | None
    body: tuple[float, float, float, float] | None
    reset: bool


def _around(centre_yx, range_yx) -> tuple[float, float, float, float] | None:
    if centre_yx is None or range_yx is None:
        return None
    (cy, cx), (dy, dx) = centre_yx, range_yx
    return (float(cx - dx), float(cy - dy), float(cx + dx), float(cy + dy))


def crop_geometry(result) -> CropGeometry:
    """The crop overlay of a :class:`~.frame_result.FrameResult` (fields ``crop_region``,
    ``crop``, ``tracker_reset``, ``mapping``; missing ones read as absent).

    The square is the region *used* for this frame; the centre and ranges are what the
    tracker measured on this frame's keypoints (they set the next region).
    """
    region = getattr(result, "crop_region", None)
    square = None
    if region is not None:
        ymin, xmin, ymax, xmax = (float(v) for v in (region.as_tuple() if hasattr(region, "as_tuple") else region))
        fh, fw = result.mapping.frame_size
        square = (xmin * fw, ymin * fh, xmax * fw, ymax * fh)
    measured = getattr(result, "crop_measurement", None)
    centre_yx = getattr(measured, "centre_yx", None)
    centre = None if centre_yx is None else (float(centre_yx[1]), float(centre_yx[0]))
    return CropGeometry(square, centre, _around(centre_yx, getattr(measured, "torso_range_yx", None)),
                        _around(centre_yx, getattr(measured, "body_range_yx", None)),
                        bool(getattr(result, "tracker_reset", False)))
