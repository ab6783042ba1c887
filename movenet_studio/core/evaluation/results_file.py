"""COCO keypoint *results* files (predictions made anywhere: a phone, a board, another
framework, or ``export --keypoints``) read defensively and laid out for either protocol.

Format (what ``pycocotools``' ``COCO.loadRes`` takes): a JSON list of objects with
``image_id`` (whole number, an image of the annotation file), ``keypoints`` (3 x K finite
numbers [x, y, v], image pixels, v ignored; K = 17, or 13 for ST's layout), ``score``
(finite number, what AP ranks by), and optionally ``category_id``, ``id`` (reported in the
error atlas; default: the 0-based position in the file) and ``annotation_id`` (the person
the prediction was made for: ``export --keypoints --per-person`` writes it).

Single protocol (one pseudo-image per person, :func:`~.coco.pseudo_image_dataset`): each
prediction is assigned to one selected person of its image: by ``annotation_id`` when
given, else greedily in decreasing score to the not yet assigned person of the image with
the highest OKS. Predictions left over (more than the image's persons, or for persons not
evaluated) are not scored and are counted as ``unassigned``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..files import read_input_bytes
from ..text import printable
from .coco import person_category, pseudo_image_dataset, select_persons
from .coco_schema import MAX_ANNOTATION_BYTES, _Checker, parse_json
from .results import EvaluationError


@dataclass(frozen=True, slots=True)
class ResultsFile:
    """A checked results file.

    Attributes:
        path: where it was read.
        records: ``[{"image_id", "keypoints", "score", "id", "annotation_id"?}]`` in file order
            (``id`` defaulted to the position).
        num_keypoints: K (17 or 13).
    """

    path: Path
    records: list[dict]
    num_keypoints: int


def load_results(path: str | Path) -> ResultsFile:
    """Read and check a COCO keypoint results file.

    Raises:
        AnnotationError: not JSON, or a record breaks the format (message with its JSON path).
        PathCheckError: not a readable regular file.
        EvaluationError: the list is empty or mixes keypoint counts.
    """
    path = Path(path)
    name = printable(path.name)
    document = parse_json(read_input_bytes(path, MAX_ANNOTATION_BYTES, "results file"), name)
    check = _Checker(name)
    records, counts, ids = [], set(), set()
    for i, record in enumerate(check.array(document, "$")):
        where = f"$[{i}]"
        record = check.obj(record, where)
        out = {"image_id": check.whole(check.field(record, "image_id", where), f"{where}.image_id")}
        values = check.array(check.field(record, "keypoints", where), f"{where}.keypoints")
        if len(values) not in (51, 39):
            check.fail(f"{where}.keypoints", f"expected 51 or 39 numbers (17 or 13 x [x, y, v]), got {len(values)}")
        out["keypoints"] = [check.number(v, f"{where}.keypoints[{k}]") for k, v in enumerate(values)]
        counts.add(len(values) // 3)
        out["score"] = check.number(check.field(record, "score", where), f"{where}.score")
        out["id"] = check.whole(record.get("id", i), f"{where}.id")
        if out["id"] in ids:
            check.fail(f"{where}.id", f"id {out['id']} is used twice")
        ids.add(out["id"])
        if "category_id" in record:
            out["category_id"] = check.whole(record["category_id"], f"{where}.category_id")
        if record.get("annotation_id") is not None:
            out["annotation_id"] = check.whole(record["annotation_id"], f"{where}.annotation_id")
        records.append(out)
    if not records:
        raise EvaluationError(f"{name}: no predictions (an empty results list)")
    if len(counts) > 1:
        raise EvaluationError(f"{name}: predictions with 17 and with 13 keypoints mixed")
    return ResultsFile(path, records, counts.pop())


def multi_detections(dataset: dict, results: ResultsFile) -> list[dict]:
    """COCO results for the multi protocol: the records with the person category of `dataset`
    (records of another ``category_id`` are left out).

    Raises:
        EvaluationError: a record's image is not in `dataset`.
    """
    category = person_category(dataset)["id"]
    images = {image["id"] for image in dataset["images"]}
    out = []
    for record in results.records:
        if record.get("category_id", category) != category:
            continue
        if record["image_id"] not in images:
            raise EvaluationError(f"{printable(results.path.name)}: prediction {record['id']} is for image "
                                  f"{record['image_id']}, which the annotations do not list")
        out.append(_detection(record, record["image_id"], category))
    return out


def single_detections(dataset: dict, results: ResultsFile, sigmas: np.ndarray) -> tuple[dict, list[dict], int]:
    """Ground truth and detections for the single protocol from a results file (module docstring).

    Args:
        dataset: the annotations, in the results' keypoint layout.
        results: the checked results file.
        sigmas: OKS sigmas for the greedy assignment.

    Returns:
        (pseudo-image ground truth, detections on pseudo-image ids in file order, count of
        unassigned predictions). Each detection keeps the record's ``id``.

    Raises:
        EvaluationError: a record's image is not in `dataset`.
    """
    from .scoring import keypoint_similarity

    category = person_category(dataset)["id"]
    persons = select_persons(dataset)
    gt = pseudo_image_dataset(dataset, persons)
    pseudo = {p["id"]: k for k, p in enumerate(persons, start=1)}
    by_image: dict[int, list[dict]] = {}
    for person in persons:
        by_image.setdefault(person["image_id"], []).append(person)
    images = {image["id"] for image in dataset["images"]}
    assigned: dict[int, int] = {}  # record position -> pseudo image id
    taken: set[int] = set()
    for i, record in enumerate(results.records):  # by annotation id first
        if record["image_id"] not in images:
            raise EvaluationError(f"{printable(results.path.name)}: prediction {record['id']} is for image "
                                  f"{record['image_id']}, which the annotations do not list")
        target = pseudo.get(record.get("annotation_id"))
        if target is not None and target not in taken and record.get("category_id", category) == category:
            assigned[i] = target
            taken.add(target)
    rest = sorted((i for i, r in enumerate(results.records) if i not in assigned and "annotation_id" not in r
                   and r.get("category_id", category) == category),
                  key=lambda i: -results.records[i]["score"])
    for i in rest:  # then greedily by OKS within the image
        record = results.records[i]
        best, best_oks = None, -1.0
        for person in by_image.get(record["image_id"], []):
            if pseudo[person["id"]] in taken:
                continue
            ks = keypoint_similarity(person["keypoints"], record["keypoints"], person["area"], sigmas)
            oks = float(np.nanmean(ks)) if np.any(~np.isnan(ks)) else 0.0
            if oks > best_oks:
                best, best_oks = pseudo[person["id"]], oks
        if best is not None:
            assigned[i] = best
            taken.add(best)
    detections = [_detection(results.records[i], assigned[i], category) for i in sorted(assigned)]
    return gt, detections, len(results.records) - len(assigned)


def _detection(record: dict, image_id: int, category: int) -> dict:
    return {"image_id": int(image_id), "category_id": int(category), "keypoints": list(record["keypoints"]),
            "score": float(record["score"]), "id": record["id"]}
