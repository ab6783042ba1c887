"""The look of the overlays, shared by the renderer (:mod:`.render`) and the window: colours,
the track-id palette, line widths and dot sizes that scale with the frame, the id label and
the timing caption text, and the font."""

from __future__ import annotations

import cv2

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
#: OpenCV font of every caption and label.
FONT = cv2.FONT_HERSHEY_SIMPLEX


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


def font_scale(shape: tuple[int, ...]) -> float:
    """OpenCV font scale for an image of `shape` (H, W, ...): ``max(0.4, min(H, W) / 1000)``."""
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

