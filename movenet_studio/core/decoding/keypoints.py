"""COCO-17 keypoints as MoveNet emits them, the skeleton and its colours (the Pose record is in :mod:`.pose`)."""

from __future__ import annotations

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
