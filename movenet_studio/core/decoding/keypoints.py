"""COCO-17 keypoints as MoveNet emits them, the skeleton, its colours, and the Pose record."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KEYPOINT_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
NUM_KEYPOINTS = len(KEYPOINT_NAMES)
KEYPOINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(KEYPOINT_NAMES)}

#: The 18 skeleton edges of Google's MoveNet samples, as (keypoint index, keypoint index).
SKELETON_EDGES: tuple[tuple[int, int], ...] = (
    (0, 1), (0, 2), (1, 3), (2, 4), (0, 5), (0, 6), (5, 7), (7, 9), (6, 8),
    (8, 10), (5, 6), (5, 11), (6, 12), (11, 12), (11, 13), (13, 15), (12, 14), (14, 16),
)

LEFT_COLOUR = (255, 0, 255)   # magenta, RGB
RIGHT_COLOUR = (0, 255, 255)  # cyan, RGB
CROSS_COLOUR = (255, 255, 0)  # yellow, RGB


def edge_colour(a: int, b: int) -> tuple[int, int, int]:
    """RGB colour of skeleton edge (a, b) as Google's samples draw it.

    Left-side edges (both ends on the left or a left keypoint with the nose) are magenta,
    right-side cyan, and the two cross edges (shoulders 5-6, hips 11-12) yellow.
    """
    if {a, b} in ({5, 6}, {11, 12}):
        return CROSS_COLOUR
    other = b if a == 0 else a
    name = KEYPOINT_NAMES[other]
    return LEFT_COLOUR if name.startswith("left") else RIGHT_COLOUR


EDGE_COLOURS: tuple[tuple[int, int, int], ...] = tuple(edge_colour(a, b) for a, b in SKELETON_EDGES)


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
        from .keypoint_sets import keypoint_set_for  # that module builds on this one

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
