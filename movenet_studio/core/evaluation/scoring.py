"""Scoring COCO keypoint detections: pycocotools' COCOeval for AP/AR and the per-keypoint
OKS breakdown over the evaluated pairs (see :mod:`movenet_studio.core.evaluation`)."""

from __future__ import annotations

import contextlib
import io
import json
from typing import Sequence

import numpy as np

from ..decoding.keypoint_sets import COCO_SIGMAS
from .coco import check_dataset, labelled_count, person_category
from .keypoint_sets import mean_oks, names_for
from .results import EvalResult, EvaluationError, KeypointStats

#: Per-keypoint accuracy counts a keypoint as correct when its similarity is at least this.
ACCURACY_SIMILARITY = 0.5


# -- scoring ----------------------------------------------------------------------------------

def keypoint_similarity(gt_keypoints: Sequence[float], dt_keypoints: Sequence[float], area: float,
                        sigmas: np.ndarray = COCO_SIGMAS) -> np.ndarray:
    """The per-keypoint OKS terms of one pair, as pycocotools ``computeOks`` computes them.

    Args:
        gt_keypoints, dt_keypoints: COCO flat [x, y, v] x K in image pixels.
        area: the annotation's area in pixels^2 (s^2).
        sigmas: float [K] OKS sigmas (COCO's, or ST's for 13 keypoints).

    Returns:
        float64 [K]: exp(-d^2 / (2 s^2 (2 sigma_k)^2)) where the ground truth is labelled (v > 0), NaN elsewhere.
    """
    k = len(sigmas)
    g = np.asarray(gt_keypoints, dtype=np.float64).reshape(k, 3)
    d = np.asarray(dt_keypoints, dtype=np.float64).reshape(k, 3)
    variances = (np.asarray(sigmas) * 2) ** 2
    e = ((d[:, 0] - g[:, 0]) ** 2 + (d[:, 1] - g[:, 1]) ** 2) / variances / (area + np.spacing(1)) / 2
    return np.where(g[:, 2] > 0, np.exp(-e), np.nan)


def pair_similarities(pairs: Sequence[tuple[dict, dict]], sigmas: np.ndarray = COCO_SIGMAS) -> np.ndarray:
    """float64 [pairs, K] per-keypoint OKS terms of (annotation, detection) pairs (NaN: not labelled)."""
    if not pairs:
        return np.full((0, len(sigmas)), np.nan)
    return np.stack([keypoint_similarity(g["keypoints"], d["keypoints"], g["area"], sigmas) for g, d in pairs])


def per_keypoint_stats(pairs: Sequence[tuple[dict, dict]], sigmas: np.ndarray = COCO_SIGMAS) -> dict[str, KeypointStats]:
    """The per-keypoint breakdown over (annotation, detection) pairs (see the module docstring)."""
    sims = pair_similarities(pairs, sigmas)
    out = {}
    for k, name in enumerate(names_for(len(sigmas))):
        column = sims[:, k]
        column = column[~np.isnan(column)]
        if column.size:
            out[name] = KeypointStats(int(column.size), float(column.mean()),
                                      float(np.mean(column >= ACCURACY_SIMILARITY)))
        else:
            out[name] = KeypointStats(0, None, None)
    return out


def score(gt_dataset: dict, detections: Sequence[dict], *, own_pairs: bool = False,
          sigmas: np.ndarray = COCO_SIGMAS) -> EvalResult:
    """Score COCO keypoint detections against ground truth with pycocotools' COCOeval.

    Args:
        gt_dataset: COCO ground truth (e.g. :func:`pseudo_image_dataset` for the single protocol).
        detections: COCO results (``image_id``, ``category_id``, ``keypoints``, ``score``);
            image ids must be in `gt_dataset`.
        own_pairs: per-keypoint pairs are each detection with the one annotation of its
            image (single protocol, one person per pseudo-image) instead of COCOeval's matches
            at OKS 0.5.
        sigmas: OKS sigmas, K of them (COCO's; ST's for a 13-keypoint ground truth).

    Returns:
        An :class:`EvalResult` with the AP/AR figures and the per-keypoint breakdown
        (protocol, model and counts other than detections/pairs/persons left empty).

    Raises:
        EvaluationError: a detection refers to an image not in the ground truth.
    """
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    check_dataset(gt_dataset, "ground truth")
    category = person_category(gt_dataset)["id"]
    image_ids = {image["id"] for image in gt_dataset["images"]}
    stray = {d["image_id"] for d in detections} - image_ids
    if stray:
        raise EvaluationError(f"{len(stray)} detection image id(s) are not in the ground truth, e.g. {min(stray)}")
    persons = sum(1 for a in gt_dataset["annotations"]
                  if a.get("category_id") == category and not a.get("iscrowd", 0) and labelled_count(a) > 0)
    sink = io.StringIO()  # pycocotools prints progress to stdout
    with contextlib.redirect_stdout(sink):
        coco_gt = COCO()
        coco_gt.dataset = json.loads(json.dumps(gt_dataset))  # COCOeval annotates the dicts it is given
        coco_gt.createIndex()
        if not detections:
            stats = [0.0] * 10 if persons else [None] * 10
            return _result(stats, per_keypoint_stats([], sigmas), persons, 0, 0)
        coco_dt = coco_gt.loadRes([dict(d) for d in detections])
        evaluator = COCOeval(coco_gt, coco_dt, iouType="keypoints")
        evaluator.params.catIds = [category]
        evaluator.params.kpt_oks_sigmas = np.asarray(sigmas, dtype=np.float64)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    stats = [None if v < 0 else float(v) for v in evaluator.stats[:10]]
    if own_pairs:
        pairs = []
        for det in coco_dt.dataset["annotations"]:
            anns = coco_gt.imgToAnns.get(det["image_id"], [])
            if len(anns) == 1:
                pairs.append((anns[0], det))
    else:
        pairs = _matched_pairs(evaluator, coco_gt, coco_dt)
    result = _result(stats, per_keypoint_stats(pairs, sigmas), persons, len(detections), len(pairs))
    result.mean_oks = mean_oks(pair_similarities(pairs, sigmas))
    return result


def _matched_pairs(evaluator, coco_gt, coco_dt) -> list[tuple[dict, dict]]:
    """(annotation, detection) pairs COCOeval matched at OKS 0.5, all areas, not ignored."""
    params = evaluator.params
    t = int(np.argmin(np.abs(np.asarray(params.iouThrs) - 0.5)))
    all_range = params.areaRng[params.areaRngLbl.index("all")]
    pairs = []
    for entry in evaluator.evalImgs:
        if entry is None or list(entry["aRng"]) != list(all_range):
            continue
        for j, dt_id in enumerate(entry["dtIds"]):
            gt_id = int(entry["dtMatches"][t, j])
            if gt_id > 0 and not entry["dtIgnore"][t, j]:
                pairs.append((coco_gt.anns[gt_id], coco_dt.anns[dt_id]))
    return pairs


def _result(stats, per_keypoint, persons, detections, pairs) -> EvalResult:
    return EvalResult(*stats, per_keypoint=per_keypoint, persons=persons, detections=detections, pairs=pairs)
