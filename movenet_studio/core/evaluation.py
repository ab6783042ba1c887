"""COCO keypoint evaluation of MoveNet models: AP, AP50, AP75, AR and a per-keypoint breakdown.

Scoring is the official COCO keypoint evaluation (object keypoint similarity, OKS) as
implemented by ``pycocotools.cocoeval.COCOeval(iouType="keypoints")``; the numbers are its
``stats``: AP = mean AP over OKS thresholds 0.50:0.05:0.95, AP50 / AP75 at one threshold,
AR = mean recall over the same thresholds, all at up to 20 detections per image, all areas.

Two protocols (:data:`PROTOCOLS`):

``single`` (single-person models; the way MoveNet SinglePose is usually scored on COCO)
    Every non-crowd person annotation with at least :data:`MIN_KEYPOINTS` labelled
    keypoints is cropped as a square centred on its box, side
    :data:`CROP_SCALE` x max(box width, box height) (rounded to whole pixels), black outside
    the image, resized to the model input (:func:`crop_box`, :func:`crop_person`). The model
    runs on the crop (:meth:`Backend.invoke`, no pipeline state, no crop tracking, no
    smoothing) and its 17 keypoints are mapped back to image pixels. So that each prediction
    is matched **only against its own annotation**, the ground truth handed to COCOeval has
    **one pseudo-image per person** (:func:`pseudo_image_dataset`): pseudo-image ``k`` has
    the original image's size and exactly one annotation (that person's, unchanged: same
    id, box, area, keypoints), and the one prediction made from that person's crop.
    Other people of the same photo (and crowd regions) are not in the pseudo-image, so
    they can neither steal the match nor count as missed. A MultiPose model may be used:
    its highest-scoring instance on the crop is the prediction.

``multi`` (MultiPose; the standard COCO protocol)
    Each image of the annotation file is run whole through the :class:`~.pipeline.Pipeline`
    (model ``multipose`` by default; the pipeline letterboxes the image; no track ids, crop
    tracking or smoothing, and the pipeline is reset per image), every returned pose
    with score >= ``min_pose_score`` is a detection, and COCOeval matches them to all the
    image's annotations (crowd and keypoint-less annotations are ignored regions, as usual).

Detection scores (what COCOeval ranks by): the pose score, i.e. the mean of keypoint
scores above 0.2 for single-pose models and the instance score for MultiPose.

Per-keypoint breakdown (:class:`KeypointStats`), computed at the *pairs*: in ``single``
every evaluated person with its own prediction; in ``multi`` the pairs COCOeval matched at
OKS >= 0.50 (all areas, up to 20 detections, not ignored). For keypoint ``k`` labelled
(v > 0) in the ground truth of a pair, its similarity is the OKS term
``ks = exp(-d^2 / (2 s^2 kappa_k^2))`` with ``d`` the pixel distance between prediction and
label, ``s^2`` the annotation's area and ``kappa_k = 2 sigma_k`` (COCO's per-keypoint
sigmas, :data:`COCO_SIGMAS`), exactly the term COCOeval averages into OKS. Reported per
keypoint: ``count`` (labelled keypoints over the pairs), ``mean_similarity`` (mean ks, 0..1)
and ``accuracy`` (fraction with ks >= 0.5: the keypoint lies within about 1.18 kappa_k s of
its label). Unlabelled keypoints do not count.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import cv2
import numpy as np

from .coco_schema import load_coco
from .errors import SourceError, StudioError
from .model_output import check_model_output
from .eval_keypoint_sets import dataset_for, mean_oks, names_for, sigmas_for
from .keypoint_sets import keypoint_set_for
from .keypoints import NUM_KEYPOINTS, pose_score
from .files import PathCheckError, read_input_bytes
from .sources import Frame, imdecode_checked

PROTOCOLS = ("single", "multi")
#: Single protocol: persons with fewer labelled keypoints are not evaluated.
MIN_KEYPOINTS = 5
#: Single protocol: crop side = CROP_SCALE x max(box width, box height).
CROP_SCALE = 1.25
#: COCO keypoint sigmas (pycocotools ``Params.kpt_oks_sigmas``), COCO-17 order.
COCO_SIGMAS = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62,
                        1.07, 1.07, .87, .87, .89, .89]) / 10.0
#: Per-keypoint accuracy counts a keypoint as correct when its similarity is at least this.
ACCURACY_SIMILARITY = 0.5
#: Default models per protocol.
DEFAULT_MODELS = {"single": "lightning", "multi": "multipose"}

#: progress(done, total, message).
ProgressCallback = Callable[[int, int, str], None]
#: cancel() -> True to stop (evaluate raises :class:`EvaluationCancelled`).
CancelCheck = Callable[[], bool]


class EvaluationError(StudioError):
    """The annotation file or image folder cannot be used for a COCO keypoint evaluation."""


class EvaluationCancelled(StudioError):
    """The caller's cancel check returned True."""


@dataclass(frozen=True, slots=True)
class KeypointStats:
    """One keypoint's breakdown (see the module docstring).

    Attributes:
        count: labelled instances of this keypoint over the evaluated pairs.
        mean_similarity: mean OKS similarity term, 0..1 (None when count is 0).
        accuracy: fraction of instances with similarity >= :data:`ACCURACY_SIMILARITY` (None when count is 0).
    """

    count: int
    mean_similarity: float | None
    accuracy: float | None


@dataclass(slots=True)
class EvalResult:
    """A COCO keypoint evaluation; AP/AR figures are in 0..1 (None when COCOeval reports -1).

    Attributes:
        ap, ap50, ap75, ap_medium, ap_large, ar, ar50, ar75, ar_medium, ar_large:
            ``COCOeval.stats[0..9]`` for iouType ``keypoints``.
        per_keypoint: keypoint name -> :class:`KeypointStats`, in the model's keypoint order.
        mean_oks: ST's single-pose metric: mean over the pairs of each pair's OKS (0..1;
            :func:`~.eval_keypoint_sets.mean_oks`), None without pairs.
        keypoint_set: ``coco17``, or ``st13`` when a 13-keypoint model was scored against
            the annotations mapped to ST's 13 (:mod:`.eval_keypoint_sets`).
        protocol: ``single`` or ``multi``.
        model: model description (:func:`~.results_json.model_to_json`), ``backend``, ``device``.
        images: images read; persons: annotations evaluated (single: the selected persons;
            multi: non-crowd annotations with at least one labelled keypoint);
            detections: predictions scored; pairs: pairs in the per-keypoint breakdown.
        elapsed_s: wall time of the whole evaluation, s.
    """

    ap: float | None
    ap50: float | None
    ap75: float | None
    ap_medium: float | None
    ap_large: float | None
    ar: float | None
    ar50: float | None
    ar75: float | None
    ar_medium: float | None
    ar_large: float | None
    per_keypoint: dict[str, KeypointStats]
    mean_oks: float | None = None
    keypoint_set: str = "coco17"
    protocol: str = ""
    model: dict = field(default_factory=dict)
    backend: str = ""
    device: str = ""
    images: int = 0
    persons: int = 0
    detections: int = 0
    pairs: int = 0
    elapsed_s: float = 0.0
    annotations: str = ""

    def to_json(self) -> dict:
        """The ``eval --json`` document: top-level AP, AP50, AP75, AR (0..1) and the rest."""

        def r(v):
            return None if v is None else round(float(v), 6)

        return {
            "AP": r(self.ap), "AP50": r(self.ap50), "AP75": r(self.ap75), "AR": r(self.ar),
            "mean_OKS": r(self.mean_oks), "keypoint_set": self.keypoint_set,
            "AP_medium": r(self.ap_medium), "AP_large": r(self.ap_large),
            "AR50": r(self.ar50), "AR75": r(self.ar75), "AR_medium": r(self.ar_medium), "AR_large": r(self.ar_large),
            "protocol": self.protocol,
            "annotations": self.annotations,
            "model": self.model,
            "backend": {"name": self.backend, "device": self.device},
            "counts": {"images": self.images, "persons": self.persons, "detections": self.detections,
                       "pairs": self.pairs},
            "per_keypoint": {name: {"count": s.count, "mean_similarity": r(s.mean_similarity),
                                    "accuracy": r(s.accuracy)} for name, s in self.per_keypoint.items()},
            "elapsed_s": round(self.elapsed_s, 3),
            "definitions": JSON_NOTES,
        }


#: Definitions stored in every JSON document.
JSON_NOTES = {
    "scoring": "pycocotools COCOeval iouType=keypoints; AP = mean over OKS 0.50:0.05:0.95, maxDets 20, area all",
    "single": "one square crop per non-crowd person with >= 5 labelled keypoints (centred on the box, side "
              "1.25 x max(w, h), black outside the image); one pseudo-image per person so each prediction "
              "is matched only against its own annotation",
    "multi": "MultiPose on the whole image through the pipeline; standard COCO matching",
    "per_keypoint.mean_similarity": "mean of exp(-d^2 / (2 area (2 sigma_k)^2)) over labelled keypoints of "
                                    "the pairs (single: every person with its own prediction; multi: "
                                    "COCOeval matches at OKS 0.5)",
    "per_keypoint.accuracy": "fraction of those keypoints with similarity >= 0.5",
    "mean_OKS": "ST's single-pose metric: mean over the pairs of each pair's OKS (mean similarity over its "
                "labelled keypoints)",
    "keypoint_set": "st13: a 13-keypoint model scored against COCO annotations mapped to ST's 13 (head = "
                    "visibility-weighted mean of the five face keypoints) with ST's sigmas",
}


# -- annotations ------------------------------------------------------------------------------

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


# -- cropping ---------------------------------------------------------------------------------

def crop_box(bbox: Sequence[float], scale: float = CROP_SCALE) -> tuple[int, int, int]:
    """The single-protocol crop of a COCO box.

    Args:
        bbox: COCO ``[x, y, width, height]`` in image pixels.
        scale: side = scale x max(width, height).

    Returns:
        (x0, y0, side) in whole pixels: the square [x0, x0 + side) x [y0, y0 + side), centred
        on the box centre to within half a pixel (side and corner are rounded).
    """
    x, y, w, h = (float(v) for v in bbox)
    side = max(1, int(round(scale * max(w, h))))
    return int(round(x + w / 2 - side / 2)), int(round(y + h / 2 - side / 2)), side


def crop_person(image: np.ndarray, box: tuple[int, int, int], size: tuple[int, int]) -> np.ndarray:
    """Cut the square `box` = (x0, y0, side) out of `image`, black outside it, resized to `size`.

    Args:
        image: uint8 [H, W, 3] RGB.
        box: from :func:`crop_box`.
        size: model input (height, width).

    Returns:
        uint8 [height, width, 3] RGB (area interpolation when shrinking, bilinear when enlarging).
        Model-input position (y, x) normalised to 0..1 is image pixel
        (y0 + y * side, x0 + x * side).
    """
    x0, y0, side = box
    h, w = image.shape[:2]
    if side > MAX_CANVAS_SIDE:  # resize the part inside the image straight to the output scale
        return _crop_person_scaled(image, box, size)
    canvas = np.zeros((side, side, 3), dtype=np.uint8)
    ix0, iy0 = max(0, x0), max(0, y0)
    ix1, iy1 = min(w, x0 + side), min(h, y0 + side)
    if ix1 > ix0 and iy1 > iy0:
        canvas[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0] = image[iy0:iy1, ix0:ix1]
    out_h, out_w = size
    interpolation = cv2.INTER_AREA if side > max(out_h, out_w) else cv2.INTER_LINEAR
    return cv2.resize(canvas, (out_w, out_h), interpolation=interpolation)


#: Crops with a larger side are resized without an intermediate side x side canvas.
MAX_CANVAS_SIDE = 8192


def _crop_person_scaled(image: np.ndarray, box: tuple[int, int, int], size: tuple[int, int]) -> np.ndarray:
    """:func:`crop_person` for a huge square: only the part inside the image is resized (area
    interpolation) and placed on the black output, so memory is bounded by the image."""
    x0, y0, side = box
    h, w = image.shape[:2]
    out_h, out_w = size
    out = np.zeros((out_h, out_w, 3), dtype=np.uint8)
    ix0, iy0, ix1, iy1 = max(0, x0), max(0, y0), min(w, x0 + side), min(h, y0 + side)
    sx, sy = out_w / side, out_h / side
    ox0, oy0 = int(round((ix0 - x0) * sx)), int(round((iy0 - y0) * sy))
    ox1, oy1 = int(round((ix1 - x0) * sx)), int(round((iy1 - y0) * sy))
    if ix1 > ix0 and iy1 > iy0 and ox1 > ox0 and oy1 > oy0:
        out[oy0:oy1, ox0:ox1] = cv2.resize(image[iy0:iy1, ix0:ix1], (ox1 - ox0, oy1 - oy0),
                                           interpolation=cv2.INTER_AREA)
    return out


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


# -- predicting -------------------------------------------------------------------------------

def _keypoints_from_raw(raw: np.ndarray) -> np.ndarray:
    """float [17, 3] (y, x, score) normalised to the model input from a raw model output
    ([1,1,17,3]; for [1,6,56] the highest-scoring instance)."""
    raw = np.asarray(raw, dtype=np.float64)
    if raw.shape[-1] == 56:
        instances = raw.reshape(-1, 56)
        return instances[int(np.argmax(instances[:, 55])), :51].reshape(NUM_KEYPOINTS, 3)
    return raw.reshape(-1, 3)  # 17 keypoints, or 13 for ST's layout


def _detection(image_id: int, category_id: int, xys: np.ndarray, score: float) -> dict:
    """A COCO result: keypoints [x, y, v] x 17 (v = the keypoint score; COCOeval ignores it)."""
    flat = [round(float(v), 3) for x, y, s in xys for v in (x, y, s)]
    return {"image_id": int(image_id), "category_id": int(category_id), "keypoints": flat, "score": float(score)}


def predict_single(dataset: dict, images_dir: str | Path, backend, *, progress: ProgressCallback | None = None,
                   cancel: CancelCheck | None = None) -> tuple[dict, list[dict]]:
    """Run the single-person protocol: one crop, one prediction per selected person.

    Args:
        dataset: COCO keypoint annotations (:func:`load_annotations`).
        images_dir: folder holding the images' ``file_name``.
        backend: a loaded :class:`~.backends.base.Backend` (its ``model.input_size`` is the
            crop size; a dynamic MultiPose input uses 256 x 256).
        progress: ``progress(done, total, message)`` per person.
        cancel: polled per person.

    Returns:
        (pseudo-image ground truth (:func:`pseudo_image_dataset`), COCO results list).

    Raises:
        EvaluationCancelled, SourceError, EvaluationError, BackendError.
    """
    persons = select_persons(dataset)
    gt = pseudo_image_dataset(dataset, persons)
    images = {image["id"]: image for image in dataset["images"]}
    size = tuple(backend.model.input_size)
    if size[0] <= 0:
        size = (256, 256)
    category = gt["categories"][0]["id"]
    detections = []
    cache_id, cache_image = None, None
    for k, person in enumerate(persons, start=1):
        if cancel is not None and cancel():
            raise EvaluationCancelled("evaluation cancelled")
        info = images[person["image_id"]]
        if person["image_id"] != cache_id:
            cache_image = read_coco_image(Path(images_dir) / info["file_name"], (info["height"], info["width"]))
            cache_id = person["image_id"]
        box = crop_box(person["bbox"])
        crop = crop_person(cache_image, box, size)
        yxs = _keypoints_from_raw(check_model_output(backend.invoke(crop), backend.model))
        x0, y0, side = box
        xys = np.stack([x0 + yxs[:, 1] * side, y0 + yxs[:, 0] * side, yxs[:, 2]], axis=1)
        detections.append(_detection(k, category, xys, pose_score(yxs[:, 2])))
        if progress is not None:
            progress(k, len(persons), info["file_name"])
    return gt, detections


def predict_multi(dataset: dict, images_dir: str | Path, pipeline, *, progress: ProgressCallback | None = None,
                  cancel: CancelCheck | None = None) -> list[dict]:
    """Run the multi-person protocol: every image whole through `pipeline`.

    Args:
        dataset: COCO keypoint annotations.
        images_dir: folder holding the images' ``file_name``.
        pipeline: a :class:`~.pipeline.Pipeline` (reset before each image); each returned
            pose is a detection scored by its pose score.

    Returns:
        COCO results list (image ids of `dataset`).

    Raises:
        EvaluationCancelled, SourceError, EvaluationError, BackendError.
    """
    category = person_category(dataset)["id"]
    detections = []
    images = sorted(dataset["images"], key=lambda i: i["id"])
    for n, info in enumerate(images, start=1):
        if cancel is not None and cancel():
            raise EvaluationCancelled("evaluation cancelled")
        rgb = read_coco_image(Path(images_dir) / info["file_name"], (info["height"], info["width"]))
        pipeline.reset()
        result = pipeline.process(Frame(n - 1, 0.0, rgb, 0.0))
        for pose in result.poses:
            detections.append(_detection(info["id"], category, np.asarray(pose.keypoints, np.float64), pose.score))
        if progress is not None:
            progress(n, len(images), info["file_name"])
    return detections


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


# -- the whole thing --------------------------------------------------------------------------

def evaluate(annotations: str | Path, images_dir: str | Path, *, model: str | None = None, backend: str = "tflite",
             threads: int = 2, protocol: str = "single", min_pose_score: float = 0.0,
             progress: ProgressCallback | None = None, cancel: CancelCheck | None = None,
             client=None) -> EvalResult:
    """COCO keypoint AP of a MoveNet model on an annotated image folder.

    Args:
        annotations: COCO person-keypoints JSON (e.g. ``person_keypoints_val2017.json``).
        images_dir: folder with the annotated images (``file_name`` relative to it).
        model: catalog key or model file; default :data:`DEFAULT_MODELS` [protocol].
        backend: runtime (``tflite``, ``onnx``).
        threads: CPU threads for the runtime.
        protocol: ``single`` or ``multi`` (see the module docstring).
        min_pose_score: multi protocol: poses below this score are not detections (default 0:
            keep all; COCO AP rewards ranked low-score detections, never penalises them).
        progress: ``progress(done, total, message)``, per person (single) or image (multi).
        cancel: polled per person / image; True -> :class:`EvaluationCancelled`.
        client: a ``dask.distributed.Client``: the predictions run split across its workers
            (:mod:`.eval_cluster`), with the same results as without.

    Returns:
        An :class:`EvalResult` (``to_json()`` is the ``eval --json`` document).

    Raises:
        EvaluationError: bad protocol, annotation file, or image sizes.
        ModelError, BackendError: the model cannot be loaded or run.
        SourceError: an image is missing or unreadable.
        EvaluationCancelled: `cancel` returned True.
    """
    from .backends import create_backend
    from .eval_cluster import predict_on_cluster
    from .models import resolve_model
    from .pipeline import Pipeline, PipelineConfig
    from .results_json import model_to_json

    if protocol not in PROTOCOLS:
        raise EvaluationError(f"unknown protocol '{protocol}'; use {' or '.join(PROTOCOLS)}")
    start = time.perf_counter()
    dataset = load_annotations(annotations)
    images_dir = Path(images_dir)
    if not images_dir.is_dir():
        raise SourceError(f"{images_dir}: no such image folder")
    model = model or DEFAULT_MODELS[protocol]
    if protocol == "single":
        spec = resolve_model(model, backend)
        if client is not None:  # the persons split across the cluster's workers
            gt, detections, device = predict_on_cluster(client, dataset, images_dir, spec, protocol, backend=backend,
                                                        threads=threads, progress=progress, cancel=cancel)
        else:
            runner = create_backend(spec, backend, threads=threads)
            try:
                gt, detections = predict_single(dataset, images_dir, runner, progress=progress, cancel=cancel)
            finally:
                runner.close()
            device = runner.device
        keypoint_set = keypoint_set_for(spec.num_keypoints)
        result = score(dataset_for(gt, keypoint_set), detections, own_pairs=True, sigmas=sigmas_for(keypoint_set))
        result.images = len({p["source_image_id"] for p in gt["images"]})
    else:
        config = PipelineConfig(model=model, backend=backend, threads=threads, **_still_image_options(min_pose_score))
        if client is not None:  # the images split across the cluster's workers
            spec = resolve_model(model, backend)
            _, detections, device = predict_on_cluster(client, dataset, images_dir, spec, protocol, config=config,
                                                       progress=progress, cancel=cancel)
        else:
            pipeline = Pipeline(config)
            spec = pipeline.model
            try:
                detections = predict_multi(dataset, images_dir, pipeline, progress=progress, cancel=cancel)
            finally:
                pipeline.close()
            device = pipeline.backend.device
        keypoint_set = keypoint_set_for(spec.num_keypoints)
        result = score(dataset_for(dataset, keypoint_set), detections, sigmas=sigmas_for(keypoint_set))
        result.images = len(dataset["images"])
    result.protocol = protocol
    result.keypoint_set = keypoint_set.key
    result.model = model_to_json(spec)
    result.backend = backend
    result.device = device
    result.annotations = str(annotations)
    result.elapsed_s = time.perf_counter() - start
    return result


def _still_image_options(min_pose_score: float) -> dict:
    """PipelineConfig fields for independent still images: no MultiPose track ids (and no
    per-track smoothing), no single-pose crop tracking or smoothing (the whole image is
    letterboxed). Only fields this PipelineConfig has are set."""
    from dataclasses import fields

    from .pipeline import PipelineConfig

    wanted = {"min_pose_score": min_pose_score, "tracker": "none", "crop": False, "smoothing": False}
    known = {f.name for f in fields(PipelineConfig)}
    return {k: v for k, v in wanted.items() if k in known}


def format_result(result: EvalResult) -> str:
    """The result as plain text (what ``movenet-studio eval`` prints)."""

    def pct(v):
        return "   -" if v is None else f"{v:.3f}"

    lines = [
        f"{result.model.get('key', '?')} ({result.backend}, {result.device}), protocol {result.protocol}: "
        f"{result.persons} persons, {result.images} images, {result.detections} predictions",
        f"AP {pct(result.ap)}   AP50 {pct(result.ap50)}   AP75 {pct(result.ap75)}   "
        f"APm {pct(result.ap_medium)}   APl {pct(result.ap_large)}",
        f"AR {pct(result.ar)}   AR50 {pct(result.ar50)}   AR75 {pct(result.ar75)}   "
        f"ARm {pct(result.ar_medium)}   ARl {pct(result.ar_large)}",
        f"mean OKS {pct(result.mean_oks)} (ST's single-pose metric)"
        + ("; keypoints: ST's 13 (head = weighted mean of the face keypoints), ST's sigmas"
           if result.keypoint_set == "st13" else ""),
        "",
        f"per keypoint over {result.pairs} pairs (similarity = COCO OKS term; accuracy = similarity >= 0.5):",
        f"{'keypoint':<16} {'count':>5} {'similarity':>10} {'accuracy':>8}",
    ]
    for name, s in result.per_keypoint.items():
        lines.append(f"{name:<16} {s.count:5d} {pct(s.mean_similarity):>10} {pct(s.accuracy):>8}")
    return "\n".join(lines)
