"""MoveNet single-pose crop-region tracking and crop-and-resize, as TF.js does it.

Ported from Google's ``tensorflow/tfjs-models`` and ``tensorflow/tfjs`` (Apache-2.0), not
copied:

- ``pose-detection/src/movenet/crop_utils.ts``: ``initCropRegion``, ``torsoVisible``,
  ``determineTorsoAndBodyRange``, ``determineNextCropRegion``;
- ``pose-detection/src/movenet/detector.ts``: ``estimateSinglePose`` (order of crop,
  inference, pose-score reset, mapping back, smoothing, next region), ``filterCropRegion``,
  ``reset``; ``pose-detection/src/movenet/constants.ts`` for the constants;
- ``shared/filters/low_pass_filter.ts`` for the crop-edge filter;
- ``tfjs-backend-cpu/src/kernels/CropAndResize.ts`` and ``Cast.ts`` for the crop sampling
  and the float -> int32 truncation.

Per frame, TF.js runs (see :class:`CropTracker`)::

    region = tracker.current(H, W)                       # centred square on frame 1 / after reset
    crop = crop_and_resize(frame, region, S, S)          # model input
    yx, scores = model(crop)                             # (y, x) normalised to the crop
    if pose_score(scores) < 0.25: tracker.reset(); smoother.reset(); no pose
    yx = region_to_frame_normalized(yx, region)          # normalised to the frame
    yx = smoother.apply(yx, t_ms)                        # smoothing.KeypointSmoother
    tracker.update(yx * (H, W), scores, H, W)            # next region, low-pass filtered

Coordinates: crop regions are (ymin, xmin, ymax, xmax) normalised to the frame (may lie
outside 0..1); keypoint arrays are (y, x) unless a name says xy.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..decoding.keypoint_sets import KEYPOINT_SETS, keypoint_set_for
from ..decoding.pose import pose_score
from ..preprocessing.mapping import CropRegion
from .smoothing import LowPassFilter

__all__ = [
    "BODY_EXPANSION_RATIO",
    "CROP_FILTER_ALPHA",
    "DEFAULT_MIN_POSE_SCORE",
    "FIRST_CROPS",
    "MIN_CROP_KEYPOINT_SCORE",
    "TORSO_EXPANSION_RATIO",
    "CropMeasurement",
    "CropTracker",
    "determine_crop_region",
    "init_crop_region",
    "torso_visible",
]

MIN_CROP_KEYPOINT_SCORE = 0.2
DEFAULT_MIN_POSE_SCORE = 0.25
CROP_FILTER_ALPHA = 0.9
TORSO_EXPANSION_RATIO = 1.9
BODY_EXPANSION_RATIO = 1.2
#: Where a video's crop tracker starts (:class:`CropTracker` ``first_crop``): TF.js's centred
#: square inside the frame, or the whole frame padded to a square.
FIRST_CROPS = ("centre", "pad")


@dataclass(frozen=True, slots=True)
class CropMeasurement:
    """What the crop tracker measured on one frame (pixels are frame pixels).

    Attributes:
        pose_score: mean of keypoint scores > 0.2 (0 if none).
        reset: True if ``pose_score`` was below the minimum and the tracker reset (nothing
            else was measured then).
        torso_visible: a hip and a shoulder both scored > 0.2.
        centre_yx: hip midpoint (y, x) in pixels, or None without a visible torso.
        torso_range_yx: max |dy|, |dx| from the centre to the 4 torso keypoints, pixels, or None.
        body_range_yx: max |dy|, |dx| from the centre to keypoints scoring >= 0.2, pixels, or None.
        half_length: half side of the square in pixels after capping, or None.
        capped: the half side was cut to the distance to the farthest image edge.
        used_fallback: the region is TF.js's fallback (whole frame padded to a square) because
            the torso was not visible or the square exceeded max(W, H) / 2.
        raw_region: the region determined from this frame, before the low-pass (None on reset).
        next_region: the region the next frame will use: ``raw_region`` through the edge
            low-pass for :meth:`CropTracker.update`, ``raw_region`` itself for
            :func:`determine_crop_region`, None after a reset (the next frame then uses the
            initial centred square).
    """

    pose_score: float
    reset: bool
    torso_visible: bool
    centre_yx: tuple[float, float] | None
    torso_range_yx: tuple[float, float] | None
    body_range_yx: tuple[float, float] | None
    half_length: float | None
    capped: bool
    used_fallback: bool
    raw_region: CropRegion | None
    next_region: CropRegion | None


def _check_size(frame_h: int, frame_w: int) -> None:
    if frame_h <= 0 or frame_w <= 0:
        raise ValueError(f"frame size must be positive, got {frame_h}x{frame_w}")


def init_crop_region(frame_h: int, frame_w: int, *, first_frame: bool = False) -> CropRegion:
    """TF.js ``initCropRegion`` (crop_utils.ts).

    Args:
        frame_h, frame_w: frame size in pixels.
        first_frame: False (default): the whole frame padded to a square, centred (landscape:
            full width, y from ``(H/2 - W/2)/H`` spanning ``W/H``; portrait the other way round).
            This is the fallback of :func:`determine_crop_region`. True: a centred square
            *inside* the frame (landscape: full height, centred horizontally); TF.js uses it
            on the first frame and after every reset (see :meth:`CropTracker.current`).

    Returns:
        A :class:`CropRegion`, square in pixels.

    Raises:
        ValueError: if a size is not positive.
    """
    _check_size(frame_h, frame_w)
    h, w = float(frame_h), float(frame_w)
    landscape = w > h
    if first_frame == landscape:  # a square of side H centred across the width
        box_h, box_w, ymin, xmin = 1.0, h / w, 0.0, (w / 2 - h / 2) / w
    else:  # a square of side W centred across the height
        box_h, box_w, ymin, xmin = w / h, 1.0, (h / 2 - w / 2) / h, 0.0
    return CropRegion(ymin, xmin, ymin + box_h, xmin + box_w)


def torso_visible(scores: np.ndarray) -> bool:
    """TF.js ``torsoVisible``: (a hip > 0.2) and (a shoulder > 0.2). ``scores``: [K] (17 or 13,
    the torso rows of :func:`~.keypoint_sets.keypoint_set_for`)."""
    s = np.asarray(scores, dtype=np.float64)
    l_sh, r_sh, l_hip, r_hip = keypoint_set_for(len(s)).torso
    return bool((s[l_hip] > MIN_CROP_KEYPOINT_SCORE or s[r_hip] > MIN_CROP_KEYPOINT_SCORE)
                and (s[l_sh] > MIN_CROP_KEYPOINT_SCORE or s[r_sh] > MIN_CROP_KEYPOINT_SCORE))


def _check_keypoints(keypoints_yx_px: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    kp = np.asarray(keypoints_yx_px, dtype=np.float64)
    sc = np.asarray(scores, dtype=np.float64)
    k = len(sc)
    if k not in KEYPOINT_SETS or kp.shape != (k, 2) or sc.shape != (k,):
        raise ValueError(f"expected keypoints [17, 2] and scores [17] (or 13), got {kp.shape} and {sc.shape}")
    return kp, sc


def determine_crop_region(
    keypoints_yx_px: np.ndarray, scores: np.ndarray, frame_h: int, frame_w: int
) -> tuple[CropRegion, CropMeasurement]:
    """TF.js ``determineNextCropRegion`` (crop_utils.ts), without the low-pass.

    With a visible torso the centre is the midpoint of the two hips (whatever their scores);
    the torso range is the max |dy| and max |dx| from it to all four torso keypoints (whatever
    their scores); the body range the same over every keypoint scoring >= 0.2. The half side
    is ``max(1.9 * torso ranges, 1.2 * body ranges)``, capped at the distance from the centre
    to the farthest image edge. If there is no torso, or the half side exceeds
    ``max(W, H) / 2``, the region is ``init_crop_region(H, W)`` (whole frame padded square).

    Args:
        keypoints_yx_px: float [17, 2] (y, x) in frame pixels, COCO order (smoothed ones in
            the TF.js pipeline); or [13, 2] in ST's order (torso from its shoulders and hips).
        scores: float [17] (or [13]) keypoint scores.
        frame_h, frame_w: frame size in pixels.

    Returns:
        (region, measurement); ``measurement.next_region`` is ``region``.

    Raises:
        ValueError: on wrong array shapes or a non-positive frame size.
    """
    kp, sc = _check_keypoints(keypoints_yx_px, scores)
    _check_size(frame_h, frame_w)
    return _determine(kp, sc, frame_h, frame_w, pose_score(sc, MIN_CROP_KEYPOINT_SCORE))


def _determine(kp: np.ndarray, sc: np.ndarray, frame_h: int, frame_w: int,
               score: float) -> tuple[CropRegion, CropMeasurement]:
    """:func:`determine_crop_region` on checked float64 arrays and their pose score.

    Per-frame work on 17 values: Python floats, the same float64 operations as a numpy
    version (differences, absolute values, maxima), without a dozen small numpy calls.
    """
    h, w = float(frame_h), float(frame_w)
    if not torso_visible(sc):
        region = init_crop_region(frame_h, frame_w)
        m = CropMeasurement(score, False, False, None, None, None, None, False, True, region, region)
        return region, m

    l_sh, r_sh, l_hip, r_hip = keypoint_set_for(len(sc)).torso
    yx = kp.tolist()
    cy = (yx[l_hip][0] + yx[r_hip][0]) / 2
    cx = (yx[l_hip][1] + yx[r_hip][1]) / 2
    torso_y = torso_x = body_y = body_x = 0.0
    for k in (l_sh, r_sh, l_hip, r_hip):
        torso_y, torso_x = max(torso_y, abs(cy - yx[k][0])), max(torso_x, abs(cx - yx[k][1]))
    for (y, x), score_k in zip(yx, sc.tolist()):
        if not score_k < MIN_CROP_KEYPOINT_SCORE:  # TF.js skips score < 0.2, keeps >= 0.2
            body_y, body_x = max(body_y, abs(cy - y)), max(body_x, abs(cx - x))

    half = max(torso_x * TORSO_EXPANSION_RATIO, torso_y * TORSO_EXPANSION_RATIO,
               body_y * BODY_EXPANSION_RATIO, body_x * BODY_EXPANSION_RATIO)
    farthest = max(cx, w - cx, cy, h - cy)
    capped = farthest < half
    half = min(half, farthest)
    if half > max(w, h) / 2:
        region, fallback = init_crop_region(frame_h, frame_w), True
    else:
        y0, x0, side = cy - half, cx - half, half * 2
        region, fallback = CropRegion(y0 / h, x0 / w, (y0 + side) / h, (x0 + side) / w), False
    m = CropMeasurement(score, False, True, (cy, cx), (torso_y, torso_x), (body_y, body_x),
                        half, capped, fallback, region, region)
    return region, m


class CropTracker:
    """Crop-region state across frames, as TF.js ``MoveNetDetector`` keeps it (detector.ts).

    Call :meth:`current` before inference to get the region for this frame, then
    :meth:`update` with this frame's (smoothed) keypoints in frame pixels. ``update``:

    1. if the pose score (mean of scores > 0.2) is below ``min_pose_score``: reset (region
       forgotten, edge filters cleared) and return; TF.js also resets the keypoint smoother
       and reports no pose, which is the caller's job (see ``measurement.reset``);
    2. otherwise ``determine_crop_region`` and pass ymin, xmin, ymax, xmax each through a
       :class:`~movenet_studio.core.tracking.smoothing.LowPassFilter` (alpha 0.9,
       ``prev + 0.9 * (new - prev)``, in normalised coordinates). The first update after
       construction/reset initialises the filters with the raw region (passes through); the
       initial centred square itself never enters the filters. Fallback regions are
       filtered like any other.

    Args:
        alpha: crop-edge low-pass alpha (TF.js ``CROP_FILTER_ALPHA`` = 0.9).
        min_pose_score: reset threshold (TF.js ``DEFAULT_MIN_POSE_SCORE`` = 0.25).
        first_crop: the region of the first frame and of the frame after a reset: ``centre``
            (TF.js: the centred square inside the frame) or ``pad`` (the whole frame padded to
            a square, as Google's Android and Raspberry Pi samples start).

    Raises:
        ValueError: an unknown `first_crop`.
    """

    def __init__(
        self, alpha: float = CROP_FILTER_ALPHA, min_pose_score: float = DEFAULT_MIN_POSE_SCORE,
        first_crop: str = "centre",
    ) -> None:
        if first_crop not in FIRST_CROPS:
            raise ValueError(f"first crop must be one of {', '.join(FIRST_CROPS)}, got {first_crop!r}")
        self.first_crop = first_crop
        self.min_pose_score = min_pose_score
        self._filter = LowPassFilter(alpha)
        self._region: CropRegion | None = None

    @property
    def region(self) -> CropRegion | None:
        """The region the next frame will use, or None if it will be the initial square."""
        return self._region

    def reset(self) -> None:
        """Forget the region and the edge filters (TF.js ``reset`` minus the keypoint filter)."""
        self._region = None
        self._filter.reset()

    def current(self, frame_h: int, frame_w: int) -> CropRegion:
        """The region to crop THIS frame with.

        On the first frame and after a reset this is ``init_crop_region(H, W, first_frame=True)``
        (the centred square inside the frame; with ``first_crop="pad"`` the whole frame padded
        to a square); it is then kept until :meth:`update`.

        Raises:
            ValueError: if a size is not positive.
        """
        if self._region is None:
            self._region = init_crop_region(frame_h, frame_w, first_frame=self.first_crop == "centre")
        return self._region

    def update(
        self, keypoints_yx_px: np.ndarray, scores: np.ndarray, frame_h: int, frame_w: int
    ) -> CropMeasurement:
        """Determine and low-pass the region for the next frame.

        Args:
            keypoints_yx_px: float [17, 2] (y, x) in frame pixels (smoothed, as in TF.js).
            scores: float [17] keypoint scores (never smoothed).
            frame_h, frame_w: frame size in pixels.

        Returns:
            A :class:`CropMeasurement`; ``next_region`` is the filtered region (None on reset).

        Raises:
            ValueError: on wrong array shapes or a non-positive frame size.
        """
        kp, sc = _check_keypoints(keypoints_yx_px, scores)
        _check_size(frame_h, frame_w)
        score = pose_score(sc, MIN_CROP_KEYPOINT_SCORE)
        if score < self.min_pose_score:
            self.reset()
            return CropMeasurement(score, True, False, None, None, None, None, False, False, None, None)
        raw, m = _determine(kp, sc, frame_h, frame_w, score)
        edges = self._filter.apply(np.array(raw.as_tuple(), dtype=np.float64))
        self._region = CropRegion(*edges.tolist())
        return replace(m, next_region=self._region)
