"""The crop region of a still image: the whole image padded to a square, then refined from the
model's own keypoints on the same image until the region stops moving.

A video's first frame starts from TF.js's centred square *inside* the frame (detector.ts), and
the tracker recovers on the next frames; a photo has no next frame, so on a portrait photo that
square cuts off the head and the feet. For a still image the pipeline instead follows Google's
Android and Raspberry Pi MoveNet samples (``MoveNet.kt`` / ``movenet.py``: ``initCropRegion``
is the whole image padded to a square, then ``determineCropRegion`` from the result), and runs
them again on the same image:

1. pass 1 crops ``init_crop_region(H, W)`` (the whole image, padded to a square, centred);
2. each next pass crops :func:`~.cropping.determine_crop_region` of the previous pass's
   keypoints (TF.js's rule without the low-pass: hip-centred square, half side
   ``max(1.9 x torso range, 1.2 x body range)``; the padded whole image when no torso shows),
   enlarged (:func:`enclose_keypoints`) to hold every keypoint scoring at least
   :data:`ENCLOSE_MIN_SCORE` with a margin: TF.js's rule counts only keypoints above 0.2, and
   a video recovers a foot it cut off on the next frame, a photo does not;
3. it stops when no edge of the region moved more than :data:`STILL_CROP_TOLERANCE` of the
   image's longer side, or after :data:`STILL_CROP_MAX_PASSES` passes, or when the next
   region would be under :data:`MIN_CROP_SIDE` pixels a side. A pass that scores below the
   minimum pose score, or whose keypoints jumped (:data:`SAME_PERSON_SHIFT`: the crop settled
   on another person), is listed but not the answer: its previous pass is.

Measured on 32 portrait, square and landscape windows of COCO photos (docs/measured.md,
``tools/measure_stills.py``): closer to the COCO keypoints than ``--no-crop`` in mean and
median for Lightning and Thunder; each pass is resampled as the letterbox is
(:func:`~..preprocessing.profile.cut_region`), so the first pass is the ``--no-crop`` input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .cropping import determine_crop_region, init_crop_region
from ..preprocessing.mapping import CropRegion

#: A pass changes no edge of the crop region by more than this fraction of the image's longer
#: side: the region has stopped moving (0.01: 10 px on a 1000 px photo).
STILL_CROP_TOLERANCE = 0.01

#: A refined crop region smaller than this many pixels a side is not tried (keypoints piled on
#: one point give TF.js's rule a zero-size square).
MIN_CROP_SIDE = 8

#: At most this many inferences on one still image (the first on the padded whole image).
STILL_CROP_MAX_PASSES = 4


#: Keypoints scoring at least this are kept inside the refined crop region (with
#: :data:`ENCLOSE_MARGIN`), even below TF.js's 0.2.
ENCLOSE_MIN_SCORE = 0.05

#: Margin around those keypoints, as a fraction of the region's side.
ENCLOSE_MARGIN = 0.05

#: A pass whose keypoints (those scoring above 0.2 in both passes, at least 3) moved by a
#: median of more than this fraction of the previous crop's side followed another person.
SAME_PERSON_SHIFT = 0.1


@dataclass(frozen=True, slots=True)
class CropPass:
    """One inference of a still image's crop refinement.

    Attributes:
        region: the crop region this pass cut (normalised to the image).
        pose_score: the pose score of this pass's keypoints (mean of scores > 0.2).
    """

    region: CropRegion
    pose_score: float

    def to_json(self) -> dict:
        """``{"crop": [ymin, xmin, ymax, xmax], "pose_score": s}`` (rounded to 6 and 4 digits)."""
        return {"crop": [round(float(v), 6) for v in self.region.as_tuple()],
                "pose_score": round(float(self.pose_score), 4)}


def edge_shift(a: CropRegion, b: CropRegion, frame_h: int, frame_w: int) -> float:
    """The largest move of an edge from `a` to `b`, in pixels divided by the longer image side."""
    dy = max(abs(a.ymin - b.ymin), abs(a.ymax - b.ymax)) * frame_h
    dx = max(abs(a.xmin - b.xmin), abs(a.xmax - b.xmax)) * frame_w
    return max(dy, dx) / max(frame_h, frame_w)


def enclose_keypoints(region: CropRegion, keypoints: np.ndarray, frame_h: int, frame_w: int,
                      min_score: float = ENCLOSE_MIN_SCORE, margin: float = ENCLOSE_MARGIN) -> CropRegion:
    """`region`, enlarged to a square (in pixels) that holds every keypoint scoring at least
    `min_score` with `margin` x the side around it; unchanged when it already does.

    Args:
        region: a square crop region (normalised to the image).
        keypoints: float [K, 3] (x, y, score) in image pixels.
        frame_h, frame_w: image size in pixels.
    """
    chosen = keypoints[keypoints[:, 2] >= min_score]
    if not len(chosen):
        return region
    ys, xs = chosen[:, 1] / frame_h, chosen[:, 0] / frame_w
    my, mx = margin * region.height, margin * region.width
    ymin, ymax = min(region.ymin, ys.min() - my), max(region.ymax, ys.max() + my)
    xmin, xmax = min(region.xmin, xs.min() - mx), max(region.xmax, xs.max() + mx)
    if (ymin, xmin, ymax, xmax) == region.as_tuple():
        return region
    side = max((ymax - ymin) * frame_h, (xmax - xmin) * frame_w)
    cy, cx = (ymin + ymax) / 2 * frame_h, (xmin + xmax) / 2 * frame_w
    return CropRegion((cy - side / 2) / frame_h, (cx - side / 2) / frame_w,
                      (cy + side / 2) / frame_h, (cx + side / 2) / frame_w)


def jumped(before: np.ndarray, after: np.ndarray, side_px: float) -> bool:
    """True when the keypoints of two passes (float [K, 3] x, y, score in image pixels) are not
    the same person's: those scoring above 0.2 in both (at least 3) moved by a median of more
    than :data:`SAME_PERSON_SHIFT` x `side_px` (the earlier crop's side in pixels)."""
    both = (before[:, 2] > 0.2) & (after[:, 2] > 0.2)
    if both.sum() < 3:
        return False
    moved = np.hypot(*(after[both, :2] - before[both, :2]).T)
    return float(np.median(moved)) > SAME_PERSON_SHIFT * side_px


def refine_still_crop(run_pass: Callable[[CropRegion], tuple[object, np.ndarray | None, float]],
                      frame_h: int, frame_w: int, *, tolerance: float = STILL_CROP_TOLERANCE,
                      max_passes: int = STILL_CROP_MAX_PASSES) -> tuple[object, tuple[CropPass, ...]]:
    """Run `run_pass` on a still image's crop regions until the region stops moving.

    Args:
        run_pass: ``run_pass(region) -> (result, keypoints, pose_score)``: one inference on
            the image cut with `region`; `keypoints` float [K, 3] (x, y, score) in image pixels,
            or None when the pose scored below the minimum (no pose).
        frame_h, frame_w: image size in pixels.
        tolerance: stop when no edge moved more than this fraction of the longer side.
        max_passes: at most this many inferences (>= 1).

    Returns:
        (the result of the pass that is the answer, every pass run, in order). The answer is
        the last pass, unless that pass lost the pose or jumped to another person
        (:func:`jumped`), when it is the pass before.

    Raises:
        ValueError: `max_passes` < 1 or a non-positive image size.
    """
    if max_passes < 1:
        raise ValueError(f"max_passes must be >= 1, got {max_passes}")
    region = init_crop_region(frame_h, frame_w)
    passes: list[CropPass] = []
    answer, previous = None, None
    for _ in range(max_passes):
        result, keypoints, score = run_pass(region)
        passes.append(CropPass(region, score))
        if keypoints is None:  # no pose on this crop: the previous pass (if any) stands
            return (result if answer is None else answer), tuple(passes)
        if previous is not None and jumped(previous, keypoints, passes[-2].region.height * frame_h):
            return answer, tuple(passes)
        answer, previous = result, keypoints
        nxt, _ = determine_crop_region(keypoints[:, 1::-1], keypoints[:, 2], frame_h, frame_w)
        nxt = enclose_keypoints(nxt, keypoints, frame_h, frame_w)
        if edge_shift(region, nxt, frame_h, frame_w) <= tolerance or nxt.height * frame_h < MIN_CROP_SIDE:
            break
        region = nxt
    return answer, tuple(passes)
