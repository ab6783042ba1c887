"""COCO AP recomputed for the error atlas (:mod:`.error_atlas`): pycocotools' COCOeval run
on changed detections or ground truth, its matching at one OKS, and the paper's optimal
detection scores."""

from __future__ import annotations

import contextlib
import copy
import io
from typing import Sequence

import numpy as np

from .coco import person_category


def coco_ap(gt_dataset: dict, detections: Sequence[dict], sigmas: np.ndarray, iou_thresholds=None,
            *, details: bool = False):
    """COCO keypoint AP (``COCOeval.stats[0]``, 0.50:0.95, 20 detections, all areas) of `detections`.

    With ``details=True`` returns the evaluated ``COCOeval`` instead (for its ``evalImgs``).
    An empty `detections` list scores 0.
    """
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = copy.deepcopy(gt_dataset)
        coco_gt.createIndex()
        if not detections:
            return None if details else 0.0
        coco_dt = coco_gt.loadRes([dict(d) for d in detections])
        evaluator = COCOeval(coco_gt, coco_dt, iouType="keypoints")
        evaluator.params.catIds = [person_category(gt_dataset)["id"]]
        evaluator.params.kpt_oks_sigmas = np.asarray(sigmas, dtype=np.float64)
        if iou_thresholds is not None:
            evaluator.params.iouThrs = np.asarray(iou_thresholds, dtype=np.float64)
            evaluator.params.areaRng = [evaluator.params.areaRng[0]]
            evaluator.params.areaRngLbl = ["all"]
        evaluator.evaluate()
        if details:
            return evaluator
        evaluator.accumulate()
        evaluator.summarize()
    return max(0.0, float(evaluator.stats[0]))


def localisation_matches(gt_dataset: dict, detections: Sequence[dict], sigmas: np.ndarray,
                         threshold: float) -> tuple[dict[int, int], set[int]]:
    """COCOeval's matching at OKS `threshold` (all areas, 20 detections).

    Returns:
        ({detection index: matched annotation id}, {annotation ids left unmatched that are
        not ignored (crowd or without labelled keypoints)}).
    """
    evaluator = coco_ap(gt_dataset, detections, sigmas, [threshold], details=True)
    if evaluator is None:
        ignored = {a["id"] for a in gt_dataset["annotations"] if a.get("iscrowd") or not a.get("num_keypoints")}
        return {}, {a["id"] for a in gt_dataset["annotations"] if a["id"] not in ignored}
    matches, unmatched = {}, set()
    for entry in evaluator.evalImgs:
        if entry is None:
            continue
        for j, dt_id in enumerate(entry["dtIds"]):
            gt_id = int(entry["dtMatches"][0, j])
            if gt_id > 0 and not entry["dtIgnore"][0, j]:
                matches[int(dt_id) - 1] = gt_id  # loadRes numbers detections 1.. in list order
        for j, gt_id in enumerate(entry["gtIds"]):
            if int(entry["gtMatches"][0, j]) == 0 and not entry["gtIgnore"][j]:
                unmatched.add(int(gt_id))
    return matches, unmatched


def optimal_scores(gt_dataset: dict, detections: Sequence[dict], sigmas: np.ndarray,
                   threshold: float) -> list[float]:
    """The paper's optimal detection scores: per image, the one-to-one assignment of detections
    to its non-ignored ground truths maximising total OKS (``scipy.optimize.linear_sum_assignment``);
    an assigned detection's score becomes that OKS, an unassigned one's 0 (`threshold`: the
    OKS COCOeval is set up with; the OKS values do not depend on it)."""
    from scipy.optimize import linear_sum_assignment

    evaluator = coco_ap(gt_dataset, detections, sigmas, [threshold], details=True)
    scores = [0.0] * len(detections)
    if evaluator is None:
        return scores
    cat = evaluator.params.catIds[0]
    for image_id in evaluator.params.imgIds:
        oks = evaluator.ious.get((image_id, cat))
        gts = evaluator._gts[image_id, cat]
        dts = evaluator._dts[image_id, cat]
        if not len(dts) or not len(gts) or oks is None or not len(oks):
            continue
        # computeOks sorts detections by score (top maxDets) and keeps gts in order
        order = np.argsort([-d["score"] for d in dts], kind="mergesort")[: evaluator.params.maxDets[-1]]
        keep = [g for g, gt in enumerate(gts) if not (gt.get("iscrowd") or not gt.get("num_keypoints"))]
        if not keep:
            continue
        matrix = np.asarray(oks)[:, keep]
        rows, cols = linear_sum_assignment(-matrix)
        for r, c in zip(rows, cols):
            scores[int(dts[order[r]]["id"]) - 1] = float(matrix[r, c])
    return scores




class Rescorer:
    """COCO AP of `detections` with some detections' keypoints moved, re-evaluating only the
    images whose detections moved (pycocotools' own ``computeOks`` / ``evaluateImg`` for
    them, its ``accumulate`` over all): the figure a full evaluation gives, in a fraction of
    its time on a large set (the tests check the equality)."""

    def __init__(self, gt_dataset: dict, detections: Sequence[dict], sigmas: np.ndarray):
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval

        with contextlib.redirect_stdout(io.StringIO()):
            coco_gt = COCO()
            coco_gt.dataset = copy.deepcopy(gt_dataset)
            coco_gt.createIndex()
            coco_dt = coco_gt.loadRes([dict(d) for d in detections])
            self.cat = person_category(gt_dataset)["id"]
            self.evaluator = evaluator = COCOeval(coco_gt, coco_dt, iouType="keypoints")
            evaluator.params.catIds = [self.cat]
            evaluator.params.kpt_oks_sigmas = np.asarray(sigmas, dtype=np.float64)
            evaluator.evaluate()
        self.dts = {i: coco_dt.anns[i + 1] for i in range(len(detections))}  # loadRes numbers them 1..
        self.position = {image: n for n, image in enumerate(evaluator.params.imgIds)}

    def ap(self, moved: dict[int, list[float]]) -> float:
        """AP with detection ``i``'s keypoints replaced by ``moved[i]``; everything is restored after."""
        ev, p, cat = self.evaluator, self.evaluator.params, self.cat
        saved, images = {}, set()
        for i, flat in moved.items():
            d = self.dts[i]
            saved[i] = (d["keypoints"], d["area"], d["bbox"])
            x, y = np.asarray(flat[0::3]), np.asarray(flat[1::3])
            x0, x1, y0, y1 = np.min(x), np.max(x), np.min(y), np.max(y)  # as loadRes derives them
            d["keypoints"], d["area"], d["bbox"] = flat, (x1 - x0) * (y1 - y0), [x0, y0, x1 - x0, y1 - y0]
            images.add(d["image_id"])
        old_ious, old_entries = {}, {}
        for image in images:
            old_ious[image] = ev.ious[(image, cat)]
            ev.ious[(image, cat)] = ev.computeOks(image, cat)
            for a, area in enumerate(p.areaRng):
                at = a * len(p.imgIds) + self.position[image]
                old_entries[at] = ev.evalImgs[at]
                ev.evalImgs[at] = ev.evaluateImg(image, cat, area, p.maxDets[-1])
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                ev.accumulate()
                ev.summarize()
            return max(0.0, float(ev.stats[0]))
        finally:
            for at, entry in old_entries.items():
                ev.evalImgs[at] = entry
            for image, value in old_ious.items():
                ev.ious[(image, cat)] = value
            for i, (kps, area, bbox) in saved.items():
                self.dts[i]["keypoints"], self.dts[i]["area"], self.dts[i]["bbox"] = kps, area, bbox
