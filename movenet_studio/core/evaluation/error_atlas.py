"""The error atlas: every matched keypoint classified with Ronchi & Perona's taxonomy and
the AP each class of error costs.

Source: M. R. Ronchi and P. Perona, "Benchmarking and Error Diagnosis in Multi-Instance
Pose Estimation", ICCV 2017 (their ``coco-analyze`` code, ``COCOanalyze._find_kpt_errors``).

Keypoint similarity (the OKS term COCOeval averages) of a predicted keypoint ``k`` to a
ground-truth keypoint: ``ks = exp(-d^2 / (2 s^2 (2 sigma_k)^2))``, ``d`` in pixels, ``s^2``
that annotation's area, ``sigma_k`` COCO's sigmas (ST's for 13 keypoints). For every
detection paired with a ground truth (its *own*) and every keypoint, ks is computed to the
own keypoint, to every other person's keypoint of the same image, and to the same people
mirrored left/right (keypoint ``k`` of the mirrored person is its ``mirror(k)``: left wrist
<-> right wrist). Where the own keypoint is labelled (v > 0), with ``ks_max`` the largest of
them (first wins on ties, in the order own, others, own mirrored, others mirrored):

- ``good``: ks_max >= :data:`GOOD_KS` (0.85) and it is the own keypoint;
- ``jitter``: :data:`JITTER_KS` (0.5) <= ks_max < 0.85 and it is the own keypoint;
- ``inversion``: ks_max >= 0.5 and it is the own person mirrored;
- ``swap``: ks_max >= 0.5 and it is another person (plain or mirrored);
- ``miss``: ks_max < 0.5;
- ``unlabelled``: the own keypoint has v = 0 (not scored by OKS).

(coco-analyze writes ``good`` as ks_max > 0.85, leaving ks_max = 0.85 exactly in no class;
here it is good.)

Correction (what AP is recomputed with): a keypoint of an error class is moved onto its own
ground truth's row, shifted along x by the distance at which ks equals the class's boundary,
as the paper does: jitter at ks = 0.85, miss at ks = 0.5, inversion and swap at the ks_max
they had with the wrong keypoint. (coco-analyze computes that distance with sigma_k where the
OKS uses 2 sigma_k, which lands the keypoint at a higher ks than the boundary; here the shift
is the exact inverse of the OKS term.) ``ap_cost[class]`` = COCO AP (0.50:0.95) with that
class's keypoints corrected and nothing else changed, minus the AP as evaluated; per keypoint
the same with only that keypoint's errors of the class corrected.

Pairs: in the ``single`` protocol every person with its own prediction; in ``multi``
COCOeval's own matching at OKS :data:`LOCALISATION_OKS` (0.1, the paper's localisation
threshold; all areas, 20 detections). Multi also gets the paper's other errors: *scoring*
(each detection's score replaced by its OKS in the one-to-one assignment of detections to
ground truths of its image that maximises total OKS, 0 when unassigned; the paper's optimal
score) and *background* false positives (detections unmatched at OKS 0.1, removed) and
false negatives (ground truths unmatched at OKS 0.1, removed), each an AP cost on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from .rescoring import Rescorer, coco_ap, localisation_matches, optimal_scores

#: ks at or above which a keypoint on its own ground truth is good.
GOOD_KS = 0.85
#: ks below which a keypoint is a miss (everywhere) and above which jitter/inversion/swap are told.
JITTER_KS = 0.5
#: Multi protocol: detections and ground truths are paired by COCOeval at this OKS.
LOCALISATION_OKS = 0.1
#: Error classes, in the order of the report and of ``ap_cost``.
ERROR_CLASSES = ("jitter", "inversion", "swap", "miss")
#: Every class a keypoint can get.
CLASSES = ("good",) + ERROR_CLASSES + ("unlabelled",)


def mirror_index(names: Sequence[str]) -> np.ndarray:
    """int [K]: for each keypoint name, the row of its left/right mirror (itself for nose or head).

    >>> mirror_index(["nose", "left_eye", "right_eye"]).tolist()
    [0, 2, 1]
    """
    index = {name: k for k, name in enumerate(names)}
    out = []
    for name in names:
        if name.startswith("left_"):
            out.append(index.get("right_" + name[5:], index[name]))
        elif name.startswith("right_"):
            out.append(index.get("left_" + name[6:], index[name]))
        else:
            out.append(index[name])
    return np.asarray(out, dtype=np.int64)


def _ks(dt_xy: np.ndarray, gt: np.ndarray, area: float, sigmas: np.ndarray) -> np.ndarray:
    """float64 [K] OKS terms of predicted (x, y) [K, 2] to ground truth [K, 3]; -1 where v = 0."""
    d2 = (dt_xy[:, 0] - gt[:, 0]) ** 2 + (dt_xy[:, 1] - gt[:, 1]) ** 2
    ks = np.exp(-d2 / (2 * sigmas) ** 2 / (area + np.spacing(1)) / 2)
    return np.where(gt[:, 2] > 0, ks, -1.0)


def distance_at(ks: float | np.ndarray, area: float, sigmas: np.ndarray) -> np.ndarray:
    """Pixel distance at which the OKS term equals `ks` (0 < ks <= 1), the inverse of ks(d)."""
    ks = np.clip(np.asarray(ks, dtype=np.float64), np.spacing(1), 1.0)
    return np.sqrt(-np.log(ks) * 2 * (area + np.spacing(1))) * 2 * np.asarray(sigmas)


@dataclass(slots=True)
class KeypointErrors:
    """One detection's keypoints classified (:func:`classify_keypoints`).

    Attributes:
        classes: K class names (:data:`CLASSES`), in the model's keypoint order.
        ks_max: float64 [K] the largest ks (0 where unlabelled).
        corrected: float64 [K, 2] (x, y) in image pixels where each error keypoint is moved
            when its class is corrected (the prediction itself for good and unlabelled).
    """

    classes: list[str]
    ks_max: np.ndarray
    corrected: np.ndarray


def classify_keypoints(dt_keypoints: Sequence[float], own: dict, others: Sequence[dict], sigmas: np.ndarray,
                       mirror: np.ndarray) -> KeypointErrors:
    """Classify one detection's keypoints against its own ground truth (see the module docstring).

    Args:
        dt_keypoints: COCO flat [x, y, v] x K of the detection, image pixels.
        own: its ground-truth annotation (``keypoints`` flat [x, y, v] x K, ``area`` px^2).
        others: the other annotations of the same image (any without keypoints is skipped).
        sigmas: float [K] OKS sigmas.
        mirror: int [K] from :func:`mirror_index`.

    Returns:
        A :class:`KeypointErrors`.
    """
    sigmas = np.asarray(sigmas, dtype=np.float64)
    k = len(sigmas)
    dt = np.asarray(dt_keypoints, dtype=np.float64).reshape(k, 3)[:, :2]
    people = [own] + [o for o in others if o.get("keypoints") and len(o["keypoints"]) == 3 * k]
    rows = []
    for mirrored in (False, True):
        for person in people:
            gt = np.asarray(person["keypoints"], dtype=np.float64).reshape(k, 3)
            rows.append(_ks(dt, gt[mirror] if mirrored else gt, float(person["area"]), sigmas))
    mat = np.stack(rows)
    n = len(people)
    ks_max = np.maximum(mat.max(axis=0), 0.0)
    arg = mat.argmax(axis=0)
    own_gt = np.asarray(own["keypoints"], dtype=np.float64).reshape(k, 3)
    labelled = own_gt[:, 2] > 0
    classes = []
    target = np.zeros(k)
    for j in range(k):
        if not labelled[j]:
            classes.append("unlabelled")
        elif ks_max[j] < JITTER_KS:
            classes.append("miss")
            target[j] = JITTER_KS
        elif arg[j] == 0:
            classes.append("good" if ks_max[j] >= GOOD_KS else "jitter")
            target[j] = GOOD_KS
        elif arg[j] == n:
            classes.append("inversion")
            target[j] = ks_max[j]
        else:
            classes.append("swap")
            target[j] = ks_max[j]
    corrected = dt.copy()
    moved = np.array([c in ERROR_CLASSES for c in classes])
    shift = distance_at(np.where(moved, target, 1.0), float(own["area"]), sigmas)
    corrected[moved, 0] = own_gt[moved, 0] + shift[moved]
    corrected[moved, 1] = own_gt[moved, 1]
    return KeypointErrors(classes, ks_max, corrected)


@dataclass(slots=True)
class Pair:
    """A detection paired with its own ground truth.

    Attributes:
        index: the detection's position in the detections list given to :func:`error_atlas`.
        detection: the COCO result (``image_id``, ``keypoints``, ``score``).
        gt: its own annotation; others: the other annotations of the same (source) image.
    """

    index: int
    detection: dict
    gt: dict
    others: list[dict] = field(default_factory=list)


def corrections(pairs: Sequence[Pair], errors: Sequence[KeypointErrors], classes: Sequence[str],
                keypoints: Sequence[int] | None = None) -> dict[int, list[float]]:
    """Detection index -> its flat keypoints with those of `classes` (at `keypoints` rows only,
    all when None) moved to their corrected positions; detections with nothing to move are left out."""
    wanted = set(classes)
    out = {}
    for pair, err in zip(pairs, errors):
        rows = [j for j in (range(len(err.classes)) if keypoints is None else keypoints) if err.classes[j] in wanted]
        if rows:
            flat = np.asarray(pair.detection["keypoints"], dtype=np.float64).reshape(-1, 3).copy()
            flat[rows, :2] = err.corrected[rows]
            out[pair.index] = flat.reshape(-1).tolist()
    return out


def correct(detections: Sequence[dict], pairs: Sequence[Pair], errors: Sequence[KeypointErrors],
            classes: Sequence[str], keypoints: Sequence[int] | None = None) -> list[dict]:
    """`detections` (copies) with the keypoints of `classes` moved (:func:`corrections`)."""
    out = [dict(d) for d in detections]
    for index, flat in corrections(pairs, errors, classes, keypoints).items():
        out[index]["keypoints"] = flat
    return out


@dataclass(slots=True)
class ErrorAtlas:
    """What :func:`error_atlas` found (``to_json`` is the ``"errors"`` document).

    Attributes:
        keypoint_names: K names in the model's order.
        pairs: the classified detection/ground-truth pairs; errors: their :class:`KeypointErrors`.
        detection_ids: per pair, the detection's id (its ``id`` field or its index).
        image_ids: per pair, the image id to report (the source image for the single protocol).
        ap: the AP as evaluated; ap_cost: class -> AP gain when that class is corrected
            (plus ``score``, ``background_fp``, ``background_fn`` for the multi protocol);
            ap_cost_per_keypoint: keypoint -> class -> gain.
        background: ``{"false_positives": int, "false_negatives": int}`` (multi), else None.
    """

    keypoint_names: tuple[str, ...]
    pairs: list[Pair]
    errors: list[KeypointErrors]
    detection_ids: list[int]
    image_ids: list[int]
    oks: list[float]
    ap: float
    ap_cost: dict[str, float]
    ap_cost_per_keypoint: dict[str, dict[str, float]]
    background: dict | None = None

    def totals(self) -> dict[str, int]:
        """Class -> count over every pair and keypoint."""
        out = {c: 0 for c in CLASSES}
        for err in self.errors:
            for c in err.classes:
                out[c] += 1
        return out

    def per_keypoint(self) -> dict[str, dict[str, int]]:
        """Keypoint name -> class -> count."""
        out = {name: {c: 0 for c in CLASSES} for name in self.keypoint_names}
        for err in self.errors:
            for name, c in zip(self.keypoint_names, err.classes):
                out[name][c] += 1
        return out

    def to_json(self) -> dict:
        """The ``"errors"`` document of ``eval --errors --json`` (docs/reference/schemas/errors.schema.json)."""
        document = {
            "thresholds": {"good": GOOD_KS, "jitter": JITTER_KS},
            "detections": [{"id": int(i), "image_id": int(img), "gt_id": int(p.gt["id"]), "oks": round(o, 6),
                            "categories": list(e.classes)}
                           for i, img, p, e, o in zip(self.detection_ids, self.image_ids, self.pairs, self.errors,
                                                      self.oks)],
            "totals": self.totals(),
            "per_keypoint": self.per_keypoint(),
            "AP": round(self.ap, 6),
            "ap_cost": {k: round(v, 6) for k, v in self.ap_cost.items()},
            "ap_cost_per_keypoint": {name: {k: round(v, 6) for k, v in costs.items()}
                                     for name, costs in self.ap_cost_per_keypoint.items()},
        }
        if self.background is not None:
            document["background"] = dict(self.background)
        return document


def error_atlas(gt_dataset: dict, detections: Sequence[dict], pairs: Sequence[Pair], keypoint_names: Sequence[str],
                sigmas: np.ndarray, *, detection_ids: Sequence[int] | None = None,
                image_ids: Sequence[int] | None = None, multi: bool = False,
                on_step: Callable[[int, int], None] | None = None) -> ErrorAtlas:
    """Classify the keypoints of `pairs` and measure what each class costs in AP.

    Args:
        gt_dataset: the ground truth COCOeval scores against (pseudo-images for ``single``).
        detections: the COCO results as scored (image ids of `gt_dataset`).
        pairs: detection/ground-truth pairs (:func:`single_pairs`, :func:`multi_pairs`).
        keypoint_names: K names; sigmas: float [K] OKS sigmas.
        detection_ids, image_ids: per pair, the ids to report (default: the detection index
            and its ``image_id``).
        multi: also the scoring and background costs (multi protocol).
        on_step: called with (done, total) after each AP recomputation.

    Returns:
        An :class:`ErrorAtlas`.
    """
    names = tuple(keypoint_names)
    sigmas = np.asarray(sigmas, dtype=np.float64)
    mirror = mirror_index(names)
    errors = [classify_keypoints(p.detection["keypoints"], p.gt, p.others, sigmas, mirror) for p in pairs]
    oks = []
    for p in pairs:
        gt = np.asarray(p.gt["keypoints"], dtype=np.float64).reshape(-1, 3)
        ks = _ks(np.asarray(p.detection["keypoints"], np.float64).reshape(-1, 3)[:, :2], gt, float(p.gt["area"]),
                 sigmas)
        oks.append(float(ks[ks >= 0].mean()) if (ks >= 0).any() else 0.0)
    present = {c for e in errors for c in e.classes}
    per_kp_present = [{e.classes[j] for e in errors} for j in range(len(names))]
    total = 1 + len(ERROR_CLASSES) * (1 + len(names)) + (3 if multi else 0)
    step = [0]

    def ap(dets, gt=gt_dataset) -> float:
        step[0] += 1
        value = coco_ap(gt, dets, sigmas)
        if on_step is not None:
            on_step(step[0], total)
        return value

    base = ap(detections)
    costs: dict[str, float] = {}
    per_keypoint: dict[str, dict[str, float]] = {name: {} for name in names}
    rescorer = Rescorer(gt_dataset, detections, sigmas) if detections else None

    def moved_ap(moved: dict[int, list[float]]) -> float:
        step[0] += 1
        value = rescorer.ap(moved)
        if on_step is not None:
            on_step(step[0], total)
        return value

    for c in ERROR_CLASSES:
        costs[c] = moved_ap(corrections(pairs, errors, [c])) - base if c in present else _skip(step, on_step, total)
        for j, name in enumerate(names):
            per_keypoint[name][c] = (moved_ap(corrections(pairs, errors, [c], [j])) - base
                                     if c in per_kp_present[j] else _skip(step, on_step, total))
    background = None
    if multi:
        best = optimal_scores(gt_dataset, detections, sigmas, LOCALISATION_OKS)
        rescored = [dict(d, score=s) for d, s in zip(detections, best)]
        costs["score"] = ap(rescored) - base
        matches, unmatched = localisation_matches(gt_dataset, detections, sigmas, LOCALISATION_OKS)
        false_pos = [i for i in range(len(detections)) if i not in matches]
        kept = [d for i, d in enumerate(detections) if i in matches]
        costs["background_fp"] = ap(kept) - base
        trimmed = dict(gt_dataset, annotations=[a for a in gt_dataset["annotations"] if a["id"] not in unmatched])
        costs["background_fn"] = ap(detections, trimmed) - base
        background = {"false_positives": len(false_pos), "false_negatives": len(unmatched)}
    return ErrorAtlas(names, list(pairs), errors,
                      list(detection_ids) if detection_ids is not None else [p.index for p in pairs],
                      list(image_ids) if image_ids is not None else [p.detection["image_id"] for p in pairs],
                      oks, base, costs, per_keypoint, background)


def _skip(step: list[int], on_step, total: int) -> float:
    """A class absent where it would be corrected costs nothing: no AP recomputation."""
    step[0] += 1
    if on_step is not None:
        on_step(step[0], total)
    return 0.0


def single_pairs(gt_dataset: dict, detections: Sequence[dict], source: dict) -> list[Pair]:
    """Pairs of the single protocol: each detection with the one annotation of its pseudo-image
    (:func:`~.coco.pseudo_image_dataset`); others = the other annotations of the source image
    in `source` (the annotation file, in the same keypoint layout)."""
    by_image = {a["image_id"]: a for a in gt_dataset["annotations"]}
    sources = {im["id"]: im.get("source_image_id", im["id"]) for im in gt_dataset["images"]}
    in_source: dict[int, list[dict]] = {}
    for a in source["annotations"]:
        in_source.setdefault(a["image_id"], []).append(a)
    pairs = []
    for i, det in enumerate(detections):
        gt = by_image.get(det["image_id"])
        if gt is None:
            continue
        others = [a for a in in_source.get(sources[det["image_id"]], []) if a["id"] != gt["id"]]
        pairs.append(Pair(i, det, gt, others))
    return pairs


def multi_pairs(gt_dataset: dict, detections: Sequence[dict], sigmas: np.ndarray) -> list[Pair]:
    """Pairs of the multi protocol: COCOeval's matches at OKS :data:`LOCALISATION_OKS`."""
    matches, _ = localisation_matches(gt_dataset, detections, sigmas, LOCALISATION_OKS)
    anns = {a["id"]: a for a in gt_dataset["annotations"]}
    in_image: dict[int, list[dict]] = {}
    for a in gt_dataset["annotations"]:
        in_image.setdefault(a["image_id"], []).append(a)
    pairs = []
    for i in sorted(matches):
        gt = anns[matches[i]]
        others = [a for a in in_image.get(gt["image_id"], []) if a["id"] != gt["id"]]
        pairs.append(Pair(i, detections[i], gt, others))
    return pairs
