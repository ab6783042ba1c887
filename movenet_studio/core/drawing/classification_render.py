"""How a pose's class and the repetition count look on the video: one definition for the
export renderer (:func:`~.render.render_overlays`, layer ``classification``) and the window.

- Each classified pose gets a caption ``<class> <probability>`` (:func:`pose_caption`)
  centred just above its highest keypoint scoring above the threshold (or above its box),
  white on :data:`LABEL_BACKGROUND`; lifted one line when a ``#id`` label is drawn there too.
- With a counted class, a caption ``<class> reps: <n>`` (:func:`counter_caption`) sits in the
  top-right corner, on :data:`COUNTER_BACKGROUND` while the pose is in the counted class and
  :data:`LABEL_BACKGROUND` otherwise.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from ..classify.classification import Classification, FrameClassification

#: Caption background, RGB (dark teal).
LABEL_BACKGROUND = (0, 110, 120)
#: Counter background while the pose is in the counted class, RGB (orange).
COUNTER_BACKGROUND = (230, 120, 0)
#: Caption text colour, RGB.
LABEL_TEXT = (255, 255, 255)


def pose_caption(classification: Classification) -> str:
    """``squat 0.97``: the top class and its probability (``?`` when the output was not finite)."""
    label = classification.label
    return "?" if label is None else f"{label} {classification.score:.2f}"


def counter_caption(frame: FrameClassification) -> str | None:
    """``squat reps: 3``, or None when no class is counted."""
    if frame.counted is None or frame.repetitions is None:
        return None
    return f"{frame.counted} reps: {frame.repetitions}"


def caption_anchor(pose, threshold: float) -> tuple[float, float] | None:
    """Where a pose's caption sits (the middle of its bottom edge), in frame pixels.

    Above the highest keypoint scoring above `threshold`, centred on those keypoints; for a
    pose with a box, the middle of the box's top edge. None when nothing is visible.
    """
    if pose.box is not None and np.isfinite(pose.box).all():
        x0, y0, x1, _ = (float(v) for v in pose.box)
        return (x0 + x1) / 2, y0
    kp = np.asarray(pose.keypoints, dtype=np.float64)
    visible = kp[(kp[:, 2] > threshold) & np.isfinite(kp[:, :2]).all(axis=1)]
    if not visible.size:
        return None
    return float((visible[:, 0].min() + visible[:, 0].max()) / 2), float(visible[:, 1].min())


def draw_classification(canvas, result, threshold: float, scale: float, font: int, ids_drawn: bool) -> None:
    """Draw the captions of ``result.classification`` on the renderer's canvas (see module docstring).

    Args:
        canvas: :class:`~.render_layers.Canvas` (image, frame-to-image scale, ``text``).
        result: a :class:`~.frame_result.FrameResult` with ``classification`` (no-op when None).
        threshold: keypoint score threshold of the drawing.
        scale: the renderer's font scale for this image.
        font: the OpenCV font.
        ids_drawn: ``#id`` labels are drawn above boxes (lift captions of tracked poses).
    """
    frame: FrameClassification | None = getattr(result, "classification", None)
    if frame is None:
        return
    thickness = max(1, round(scale * 2))
    for pose, answer in zip(result.poses, frame.poses):
        anchor = caption_anchor(pose, threshold)
        if anchor is None:
            continue
        text = pose_caption(answer)
        (tw, th), base = cv2.getTextSize(text, font, scale, thickness)
        pad = max(2, round(th * 0.3))
        height = th + base + 2 * pad
        lift = 6 + (height if ids_drawn and pose.track_id is not None else 0)
        x, y = anchor[0] * canvas.sx - tw / 2 - pad, anchor[1] * canvas.sy - height - lift
        canvas.text(text, math.floor(x), math.floor(y), LABEL_TEXT, scale, background=LABEL_BACKGROUND)
    caption = counter_caption(frame)
    if caption is not None:
        big = scale * 1.3
        (tw, _), _ = cv2.getTextSize(caption, font, big, max(1, round(big * 2)))
        x = canvas.image.shape[1] - tw - 12
        canvas.text(caption, x, 4, LABEL_TEXT, big, background=COUNTER_BACKGROUND if frame.inside else LABEL_BACKGROUND)
