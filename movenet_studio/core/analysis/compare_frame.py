"""One frame of a comparison: A's and B's results and their keypoint distances (:class:`CompareFrame`).

Made by :class:`~.compare.ComparePipeline`, accumulated by :class:`~.compare_stats.CompareStats`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..frame_result import FrameResult


@dataclass(frozen=True, slots=True)
class CompareFrame:
    """A and B on one frame.

    Attributes:
        a: A's full result (its poses are smoothed / tracked as A's config says).
        b: B's full result, computed on the same frame region as A.
        shared_input: True when B ran on A's exact model input array (same input size).
        keypoints_a: float32 [P, 17, 3] (x, y, score) of the P compared pose pairs, A's
            model keypoints in frame pixels before smoothing/tracking.
        keypoints_b: float32 [P, 17, 3] the same for B, pair by pair.
        distances_px: float32 [P, 17] Euclidean distance between A's and B's keypoint in
            frame pixels, per pair and keypoint (single-pose: P = 1 on every frame).
        unmatched_a: MultiPose instances of A without a partner in B (0 for single-pose).
        unmatched_b: MultiPose instances of B without a partner in A.
    """

    a: FrameResult
    b: FrameResult
    shared_input: bool
    keypoints_a: np.ndarray
    keypoints_b: np.ndarray
    distances_px: np.ndarray
    unmatched_a: int = 0
    unmatched_b: int = 0

    @property
    def scores_a(self) -> np.ndarray:
        """float32 [P, 17] A's keypoint scores of the compared pairs."""
        return self.keypoints_a[..., 2]

    @property
    def scores_b(self) -> np.ndarray:
        """float32 [P, 17] B's keypoint scores of the compared pairs."""
        return self.keypoints_b[..., 2]
