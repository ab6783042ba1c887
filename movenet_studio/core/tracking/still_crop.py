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
   ``max(1.9 x torso range, 1.2 x body range)``; the padded whole image when no torso shows);
3. it stops when no edge of the region moved more than :data:`STILL_CROP_TOLERANCE` of the
   image's longer side, or after :data:`STILL_CROP_MAX_PASSES` passes, or when a pass scores
   below the minimum pose score (its previous pass is then the answer), or when the next
   region would be under :data:`MIN_CROP_SIDE` pixels a side.

Measured on real photos (docs/measured.md): the refined crop lands at least as close to the
COCO reference keypoints as the whole padded image alone, and mostly converges in 2-3 passes.
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
        the last pass, unless that pass lost the pose, when it is the pass before.

    Raises:
        ValueError: `max_passes` < 1 or a non-positive image size.
    """
    if max_passes < 1:
        raise ValueError(f"max_passes must be >= 1, got {max_passes}")
    region = init_crop_region(frame_h, frame_w)
    passes: list[CropPass] = []
    answer = None
    for _ in range(max_passes):
        result, keypoints, score = run_pass(region)
        passes.append(CropPass(region, score))
        if keypoints is None:  # no pose on this crop: the previous pass (if any) stands
            return (result if answer is None else answer), tuple(passes)
        answer = result
        nxt, _ = determine_crop_region(keypoints[:, 1::-1], keypoints[:, 2], frame_h, frame_w)
        if edge_shift(region, nxt, frame_h, frame_w) <= tolerance or nxt.height * frame_h < MIN_CROP_SIDE:
            break
        region = nxt
    return answer, tuple(passes)
