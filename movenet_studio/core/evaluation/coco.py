"""COCO person-keypoint annotations and images for the evaluation: reading and checking the
annotation file, selecting the single-protocol persons, the one-pseudo-image-per-person
ground truth, and reading an annotated image on its stored pixel grid."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from .coco_schema import load_coco
from ..errors import SourceError
from ..files import PathCheckError, read_input_bytes
from ..decoding.keypoints import NUM_KEYPOINTS
from ..media.sources import imdecode_checked
from .results import EvaluationError

#: Single protocol: persons with fewer labelled keypoints are not evaluated.
MIN_KEYPOINTS = 5


def load_annotations(path: str | Path) -> dict:
    """Read a COCO keypoint annotation file.

    Returns:
        The parsed JSON (``images``, ``annotations``, ``categories``).

    Raises:
        AnnotationError: not JSON, or a field breaks the schema (:mod:`.coco_schema`; the
            message names the JSON path of the first problem).
        PathCheckError: missing or not a regular file.
        EvaluationError: without a person category with 17 keypoints.
    """
    dataset = load_coco(path)  # schema checked, only checked fields kept (core.coco_schema)
    check_dataset(dataset, Path(path).name)
    return dataset


def check_dataset(dataset: dict, name: str = "annotations") -> None:
    """Raise :class:`EvaluationError` unless `dataset` is a COCO person-keypoints dataset."""
    if not isinstance(dataset, dict) or not all(isinstance(dataset.get(k), list)
                                                for k in ("images", "annotations", "categories")):
        raise EvaluationError(f"{name}: not a COCO annotation file (needs images, annotations, categories lists)")
    person_category(dataset, name)


def person_category(dataset: dict, name: str = "annotations") -> dict:
    """The category with 17 keypoints (COCO's ``person``; 13 once mapped to ST's layout).

    Raises:
        EvaluationError: there is none.
    """
    for category in dataset["categories"]:
        if len(category.get("keypoints") or ()) in (NUM_KEYPOINTS, 13):
            return category
    raise EvaluationError(f"{name}: no category with 17 keypoints (not a COCO person-keypoints file)")


def labelled_count(annotation: dict) -> int:
    """Labelled keypoints of an annotation (v > 0), from ``num_keypoints`` or the keypoints."""
    if "num_keypoints" in annotation:
        return int(annotation["num_keypoints"])
    kps = np.asarray(annotation.get("keypoints") or [0] * 3, dtype=np.float64)
    return int(np.count_nonzero(kps[2::3] > 0))


def select_persons(dataset: dict, min_keypoints: int = MIN_KEYPOINTS) -> list[dict]:
    """Single-protocol persons: non-crowd, person category, >= `min_keypoints` labelled, a
    non-empty box; ordered by (image id, annotation id)."""
    category = person_category(dataset)["id"]
    persons = [a for a in dataset["annotations"]
               if a.get("category_id") == category and not a.get("iscrowd", 0)
               and labelled_count(a) >= min_keypoints and len(a.get("bbox") or ()) == 4
               and max(a["bbox"][2], a["bbox"][3]) > 0]
    return sorted(persons, key=lambda a: (a["image_id"], a["id"]))


def pseudo_image_dataset(dataset: dict, persons: Sequence[dict]) -> dict:
    """Ground truth with one pseudo-image per person (single protocol).

    Pseudo-image ``k + 1`` (ids start at 1) copies the width, height and file name of the
    image of ``persons[k]`` and holds only that annotation (id, box, area and keypoints
    unchanged; ``image_id`` set to ``k + 1``; ``iscrowd`` 0).
    """
    images = {image["id"]: image for image in dataset["images"]}
    out_images, out_annotations = [], []
    for k, person in enumerate(persons, start=1):
        image = images.get(person["image_id"])
        if image is None:
            raise EvaluationError(f"annotation {person['id']} refers to image {person['image_id']}, "
                                  "which the file does not list")
        out_images.append({"id": k, "width": image["width"], "height": image["height"],
                           "file_name": image.get("file_name", ""), "source_image_id": image["id"]})
        out_annotations.append({**person, "image_id": k, "iscrowd": 0,
                                "num_keypoints": labelled_count(person)})
    return {"images": out_images, "annotations": out_annotations,
            "categories": [person_category(dataset)]}


def read_coco_image(path: Path, expected: tuple[int, int] | None = None) -> np.ndarray:
    """Read an image as uint8 [H, W, 3] RGB **without** applying EXIF rotation (COCO's
    annotations refer to the stored pixel grid).

    Args:
        path: the image file.
        expected: (height, width) the annotation file declares, checked when given.

    Raises:
        SourceError: missing or undecodable file.
        EvaluationError: its size differs from `expected`.
    """
    if not path.exists():
        raise SourceError(f"{path}: image not found (is --images the folder of the annotated images?)")
    try:
        data = read_input_bytes(path, what="image")
    except PathCheckError as exc:
        raise SourceError(str(exc)) from None
    image = imdecode_checked(data, path.name, cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    if expected is not None and tuple(image.shape[:2]) != tuple(expected):
        raise EvaluationError(f"{path.name}: is {image.shape[1]}x{image.shape[0]} but the annotations say "
                              f"{expected[1]}x{expected[0]}")
    return np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
