"""Evaluation for 13-keypoint models and ST's single-pose metric, mean OKS.

ST's model zoo scores its 13-keypoint MoveNet models against COCO annotations mapped to its
13 keypoints: the head point is the visibility-weighted mean of COCO's five face keypoints
(:func:`~.keypoint_sets.coco_face_to_head`), the 12 body keypoints are COCO's; OKS uses ST's
sigmas (:data:`~.keypoint_sets.ST13`). Its single-pose figure is the mean OKS over the
evaluated persons, reported here next to COCO AP (:func:`mean_oks`) so figures line up with
ST's published tables.
"""

from __future__ import annotations

import copy
from typing import Sequence

import numpy as np

from ..decoding.keypoint_sets import ST13, KeypointSet, coco_to_st13


def dataset_for(dataset: dict, keypoint_set: KeypointSet) -> dict:
    """`dataset` (COCO-17 person keypoints) with annotations in `keypoint_set`'s layout.

    COCO-17 returns `dataset` itself. For ST's 13 a deep copy is returned whose person
    category lists ST's names and skeleton, and whose annotations hold 13 (x, y, v) triplets
    (head point: :func:`~.keypoint_sets.coco_face_to_head`) and their ``num_keypoints``.
    Other categories and fields are kept.
    """
    if keypoint_set.size == 17:
        return dataset
    if keypoint_set is not ST13:
        raise ValueError(f"no COCO mapping for keypoint set {keypoint_set.key}")
    out = copy.deepcopy(dataset)
    persons = set()
    for category in out["categories"]:
        if len(category.get("keypoints") or ()) == 17:
            category["keypoints"] = list(ST13.names)
            category["skeleton"] = [[a + 1, b + 1] for a, b in ST13.edges]
            persons.add(category["id"])
    for annotation in out["annotations"]:
        if annotation.get("category_id") in persons and annotation.get("keypoints"):
            mapped = coco_to_st13(np.asarray(annotation["keypoints"], dtype=np.float64).reshape(17, 3))
            annotation["keypoints"] = [round(float(v), 3) for v in mapped.reshape(-1)]
            annotation["num_keypoints"] = int(np.count_nonzero(mapped[:, 2] > 0))
    return out


def mean_oks(similarities: np.ndarray) -> float | None:
    """ST's single-pose metric: the mean over pairs of each pair's OKS.

    Args:
        similarities: float [pairs, K] per-keypoint OKS terms, NaN where the ground truth
            is not labelled (:func:`~.scoring.keypoint_similarity` rows).

    Returns:
        Mean of the per-pair means over labelled keypoints (pairs without any labelled
        keypoint skipped), or None when no pair counts.
    """
    sims = np.asarray(similarities, dtype=np.float64)
    if sims.size == 0:
        return None
    labelled = ~np.isnan(sims)
    counts = labelled.sum(axis=1)
    keep = counts > 0
    if not keep.any():
        return None
    per_pair = np.where(labelled, sims, 0.0).sum(axis=1)[keep] / counts[keep]
    return float(per_pair.mean())


def sigmas_for(keypoint_set: KeypointSet) -> np.ndarray:
    """OKS sigmas in pycocotools' units (``Params.kpt_oks_sigmas``) for `keypoint_set`."""
    return np.asarray(keypoint_set.sigmas, dtype=np.float64)


def names_for(count: int) -> Sequence[str]:
    """Keypoint names of a K-keypoint result."""
    from ..decoding.keypoint_sets import keypoint_set_for

    return keypoint_set_for(count).names
