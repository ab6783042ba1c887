"""The Pose record: one detected person's keypoints in frame pixels, and TF.js's pose score."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .keypoint_sets import keypoint_set_for


@dataclass(frozen=True, slots=True)
class Pose:
    """One detected person.

    Attributes:
        keypoints: float32 [K, 3] array of (x, y, score): x and y in frame pixels
            (origin top-left, x to the right), score in 0..1; K = 17 (COCO-17 order) or
            13 (ST's order, see :mod:`.keypoint_sets`).
        score: pose score in 0..1 (mean of keypoint scores above 0.2 for single-pose
            models, the instance score for MultiPose).
        track_id: stable identity from a tracker, or None.
        box: float32 [4] (x0, y0, x1, y1) in frame pixels, or None.
    """

    keypoints: np.ndarray
    score: float
    track_id: int | None = None
    box: np.ndarray | None = None

    @property
    def xy(self) -> np.ndarray:
        """float32 [K, 2] keypoint positions (x, y) in frame pixels."""
        return self.keypoints[:, :2]

    @property
    def scores(self) -> np.ndarray:
        """float32 [K] keypoint scores in 0..1."""
        return self.keypoints[:, 2]

    @property
    def names(self) -> tuple[str, ...]:
        """Keypoint names of this pose's set (COCO-17, or ST's 13 for a 13-row pose)."""
        return keypoint_set_for(len(self.keypoints)).names

    def to_json(self) -> dict:
        """The pose in the JSON format of `infer --json` (docs/reference/formats.md)."""
        return {
            "score": round(float(self.score), 5),
            "track_id": self.track_id,
            "box": None if self.box is None else [round(float(v), 2) for v in self.box],
            "keypoints": [
                {"name": name, "x": round(float(x), 3), "y": round(float(y), 3), "score": round(float(s), 5)}
                for name, (x, y, s) in zip(self.names, self.keypoints)
            ],
        }


def pose_score(scores: np.ndarray, threshold: float = 0.2) -> float:
    """Mean of the keypoint scores strictly above `threshold` (0 when none is), as TF.js MoveNet
    scores a pose (detector.ts); the crop tracker's reset test uses it too.

    Args:
        scores: float [K] keypoint scores in 0..1 (any shape; flattened).
        threshold: keypoint score threshold (TF.js: 0.2).
    """
    scores = np.asarray(scores).reshape(-1)
    good = scores[scores > threshold]
    return float(good.mean()) if good.size else 0.0
