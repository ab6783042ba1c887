"""Keypoint sets a MoveNet file can emit: COCO-17 (Google's) and ST's 13.

A pose array has K rows (17 or 13); :func:`keypoint_set_for` gives the names, skeleton,
edge colours, OKS sigmas and the rows the crop tracker's torso uses for that K.

ST's 13-keypoint layout (STMicroelectronics stm32ai-modelzoo, pose estimation) keeps one
head point and the 12 body keypoints of COCO, left before right: head, shoulders, elbows,
wrists, hips, knees, ankles. ST's head point is the visibility-weighted mean of COCO's five
face keypoints when annotations are converted; the zoo's 13-channel MoveNet file emits the
nose heatmap in that row. ST scores these models with OKS using the sigmas of
:data:`ST13`. COCO sigmas: ``pycocotools`` (COCOeval ``kpt_oks_sigmas``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .keypoints import CROSS_COLOUR, EDGE_COLOURS, KEYPOINT_NAMES, LEFT_COLOUR, RIGHT_COLOUR, SKELETON_EDGES


@dataclass(frozen=True, slots=True)
class KeypointSet:
    """One keypoint layout.

    Attributes:
        key: ``coco17`` or ``st13``.
        label: human name, e.g. ``COCO-17``.
        names: keypoint names in output order.
        edges: skeleton edges as (row, row).
        edge_colours: RGB colour per edge (left magenta, right cyan, cross edges yellow).
        sigmas: float64 [K] OKS sigmas.
        coco_index: the COCO-17 keypoint each row corresponds to (ST's head -> the nose),
            used to compare poses of different sets.
        shoulders, hips: rows of (left, right) shoulder and hip (the crop tracker's torso).
    """

    key: str
    label: str
    names: tuple[str, ...]
    edges: tuple[tuple[int, int], ...]
    edge_colours: tuple[tuple[int, int, int], ...]
    sigmas: np.ndarray
    coco_index: tuple[int, ...]
    shoulders: tuple[int, int]
    hips: tuple[int, int]

    @property
    def size(self) -> int:
        """K, the number of keypoints."""
        return len(self.names)

    @property
    def torso(self) -> tuple[int, int, int, int]:
        """Rows of left/right shoulder and left/right hip."""
        return (*self.shoulders, *self.hips)


COCO_SIGMAS = np.array([.026, .025, .025, .035, .035, .079, .079, .072, .072, .062, .062,
                        .107, .107, .087, .087, .089, .089])

COCO17 = KeypointSet("coco17", "COCO-17", KEYPOINT_NAMES, SKELETON_EDGES, EDGE_COLOURS, COCO_SIGMAS,
                     tuple(range(17)), (5, 6), (11, 12))


def _st13() -> KeypointSet:
    names = ("head",) + KEYPOINT_NAMES[5:]
    edges = ((0, 1), (0, 2), (1, 3), (3, 5), (2, 4), (4, 6), (1, 2), (1, 7), (2, 8), (7, 8),
             (7, 9), (9, 11), (8, 10), (10, 12))

    def colour(a: int, b: int) -> tuple[int, int, int]:
        if {a, b} in ({1, 2}, {7, 8}):
            return CROSS_COLOUR
        return LEFT_COLOUR if names[b if a == 0 else a].startswith("left") else RIGHT_COLOUR

    sigmas = np.array([.035, .079, .079, .072, .072, .062, .062, .107, .107, .087, .087, .089, .089])
    return KeypointSet("st13", "ST 13 (head + 12 body keypoints)", names, edges, tuple(colour(a, b) for a, b in edges),
                       sigmas, (0,) + tuple(range(5, 17)), (1, 2), (7, 8))


ST13 = _st13()
KEYPOINT_SETS: dict[int, KeypointSet] = {17: COCO17, 13: ST13}


def keypoint_set_for(count: int) -> KeypointSet:
    """The keypoint set with `count` keypoints (17: COCO-17, 13: ST's 13).

    Raises:
        ValueError: no set has that many keypoints.
    """
    if count not in KEYPOINT_SETS:
        raise ValueError(f"no keypoint set has {count} keypoints (MoveNet files have 17 or 13)")
    return KEYPOINT_SETS[count]


def coco_face_to_head(keypoints: np.ndarray) -> np.ndarray:
    """ST's head point from COCO-17 annotations: the visibility-weighted mean of the five face keypoints.

    Args:
        keypoints: float [17, 3] COCO keypoints (x, y, v) with v in 0 (not labelled), 1, 2.

    Returns:
        float64 [3] (x, y, v): v = the largest face visibility; (0, 0, 0) when no face
        keypoint is labelled.
    """
    face = np.asarray(keypoints, dtype=np.float64)[:5]
    weights = face[:, 2]
    if weights.sum() <= 0:
        return np.zeros(3)
    x, y = (face[:, :2] * weights[:, None]).sum(axis=0) / weights.sum()
    return np.array([x, y, weights.max()])


def coco_to_st13(keypoints: np.ndarray) -> np.ndarray:
    """COCO-17 (x, y, v) annotations mapped to ST's 13: head point (:func:`coco_face_to_head`), then rows 5..16.

    Args:
        keypoints: float [17, 3].

    Returns:
        float64 [13, 3].
    """
    keypoints = np.asarray(keypoints, dtype=np.float64).reshape(17, 3)
    return np.concatenate([coco_face_to_head(keypoints)[None], keypoints[5:]], axis=0)


def row_of_coco(count: int, keypoint: int | None) -> int | None:
    """The row of COCO keypoint `keypoint` in a K = `count` keypoint array (None: absent, or `keypoint` None).

    The window and the exports pick keypoints by their COCO-17 index (0..16); a 13-keypoint
    model has no eyes or ears and holds the nose's place in row 0 (ST's head point).
    """
    if keypoint is None or count not in KEYPOINT_SETS:
        return None
    index = KEYPOINT_SETS[count].coco_index
    return index.index(int(keypoint)) if int(keypoint) in index else None


def coco_slot_names(keypoint_set: KeypointSet) -> tuple[str, ...]:
    """Names of the 17 COCO-17 slots (the window's keypoint indices) for a model of `keypoint_set`:
    the set's own name where it has a keypoint (ST's 13: ``head`` in the nose's slot), else
    the COCO name (a slot the set lacks)."""
    names = list(COCO17.names)
    for name, slot in zip(keypoint_set.names, keypoint_set.coco_index):
        names[slot] = name
    return tuple(names)


def coco_maps(maps: np.ndarray) -> np.ndarray:
    """K per-keypoint maps [S, S, K] placed in the 17 COCO slots [S, S, 17] (absent keypoints: zeros)."""
    maps = np.asarray(maps, dtype=np.float32)
    k = maps.shape[-1]
    if k == 17:
        return maps
    out = np.zeros(maps.shape[:-1] + (17,), dtype=np.float32)
    out[..., list(keypoint_set_for(k).coco_index)] = maps
    return out
