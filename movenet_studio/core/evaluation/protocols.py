"""The two prediction protocols (see :mod:`movenet_studio.core.evaluation`): ``single``
crops each person square around its box and runs the model on the crop; ``multi`` runs
each image whole through the pipeline. Both return COCO results lists."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from ..decoding.keypoints import NUM_KEYPOINTS
from ..decoding.pose import pose_score
from ..models.model_io import output_decoder
from ..progress import JobControl
from ..media.sources import Frame
from .coco import person_category, pseudo_image_dataset, read_coco_image, select_persons

PROTOCOLS = ("single", "multi")
#: Single protocol: crop side = CROP_SCALE x max(box width, box height).
CROP_SCALE = 1.25
#: Default models per protocol.
DEFAULT_MODELS = {"single": "lightning", "multi": "multipose"}


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


def crop_person(image: np.ndarray, box: tuple[int, int, int], size: tuple[int, int],
                interpolation: str = "auto") -> np.ndarray:
    """Cut the square `box` = (x0, y0, side) out of `image`, black outside it, resized to `size`.

    Args:
        image: uint8 [H, W, 3] RGB.
        box: from :func:`crop_box`.
        size: model input (height, width).
        interpolation: ``auto`` (area when shrinking, bilinear when enlarging), ``bilinear``,
            ``nearest`` or ``area`` (a preprocessing profile's, :mod:`..preprocess_profile`).

    Returns:
        uint8 [height, width, 3] RGB.
        Model-input position (y, x) normalised to 0..1 is image pixel
        (y0 + y * side, x0 + x * side).
    """
    x0, y0, side = box
    h, w = image.shape[:2]
    if side > MAX_CANVAS_SIDE:  # resize the part inside the image straight to the output scale
        return _crop_person_scaled(image, box, size, interpolation)
    canvas = np.zeros((side, side, 3), dtype=np.uint8)
    ix0, iy0 = max(0, x0), max(0, y0)
    ix1, iy1 = min(w, x0 + side), min(h, y0 + side)
    if ix1 > ix0 and iy1 > iy0:
        canvas[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0] = image[iy0:iy1, ix0:ix1]
    out_h, out_w = size
    return cv2.resize(canvas, (out_w, out_h), interpolation=_cv2_flag(interpolation, side > max(out_h, out_w)))


def _cv2_flag(interpolation: str, shrinking: bool) -> int:
    if interpolation == "auto":
        return cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return {"bilinear": cv2.INTER_LINEAR, "nearest": cv2.INTER_NEAREST, "area": cv2.INTER_AREA}[interpolation]


#: Crops with a larger side are resized without an intermediate side x side canvas.
MAX_CANVAS_SIDE = 8192


def _crop_person_scaled(image: np.ndarray, box: tuple[int, int, int], size: tuple[int, int],
                        interpolation: str = "auto") -> np.ndarray:
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
                                           interpolation=_cv2_flag(interpolation, True))
    return out


def person_input(image: np.ndarray, bbox: Sequence[float], size: tuple[int, int],
                 preprocess=None) -> tuple[np.ndarray, tuple[int, int, int]]:
    """The single protocol's model input for one annotated person.

    Args:
        image: uint8 [H, W, 3] RGB.
        bbox: the person's COCO ``[x, y, width, height]`` (image pixels).
        size: model input (height, width).
        preprocess: a :class:`~..preprocessing.profile.PreprocessProfile` (None: MoveNet's own):
            its interpolation and channel order.

    Returns:
        (uint8 [height, width, 3] model input in the profile's channel order, the square
        (x0, y0, side) it was cut from: :func:`crop_box`).
    """
    box = crop_box(bbox)
    crop = crop_person(image, box, size, preprocess.interpolation if preprocess else "auto")
    if preprocess is not None and preprocess.channels == "bgr":
        crop = np.ascontiguousarray(crop[..., ::-1])
    return crop, box


# -- predicting -------------------------------------------------------------------------------

def with_input_range(spec, value_range: tuple[float, float] | None):
    """`spec` (a :class:`~..models.ModelSpec`) whose float32 input expects pixel 0..255 mapped
    to `value_range` (``--input-range``); unchanged for None or a model without a float32 input
    (as :class:`~..pipeline.Pipeline` does)."""
    from dataclasses import replace

    if value_range is None or spec.io is None or spec.io.input.dtype != "float32":
        return spec
    return replace(spec, io=spec.io.with_input_range(value_range))


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


def predict_single(dataset: dict, images_dir: str | Path, backend, *, control: JobControl | None = None,
                   preprocess=None) -> tuple[dict, list[dict]]:
    """Run the single-person protocol: one crop, one prediction per selected person.

    Args:
        dataset: COCO keypoint annotations (:func:`load_annotations`).
        images_dir: folder holding the images' ``file_name``.
        backend: a loaded :class:`~movenet_studio.core.backends.base.Backend` (its ``model.input_size`` is the
            crop size; a dynamic MultiPose input uses 256 x 256).
        control: progress (per person, the image's file name as message) and cancel
            (checked per person), :mod:`~..progress`.
        preprocess: a :class:`~..preprocess_profile.PreprocessProfile` (None: MoveNet's own):
            its channel order and interpolation make each crop (the crop is square, as the
            model input, so its resize mode changes nothing).

    Returns:
        (pseudo-image ground truth (:func:`pseudo_image_dataset`), COCO results list).

    Raises:
        Cancelled, SourceError, EvaluationError, BackendError: cancelled, an unreadable image, bad annotations, a runtime failure.
    """
    control = control if control is not None else JobControl()
    persons = select_persons(dataset)
    gt = pseudo_image_dataset(dataset, persons)
    images = {image["id"]: image for image in dataset["images"]}
    size = tuple(backend.model.input_size)
    if size[0] <= 0:
        size = (256, 256)
    category = gt["categories"][0]["id"]
    decoder = output_decoder(backend.model)
    detections = []
    cache_id, cache_image = None, None
    for k, person in enumerate(persons, start=1):
        control.raise_if_cancelled("evaluation cancelled")
        info = images[person["image_id"]]
        if person["image_id"] != cache_id:
            cache_image = read_coco_image(Path(images_dir) / info["file_name"], (info["height"], info["width"]))
            cache_id = person["image_id"]
        crop, box = person_input(cache_image, person["bbox"], size, preprocess)
        yxs = _keypoints_from_raw(decoder.decode(backend.invoke(crop)).raw)
        x0, y0, side = box
        xys = np.stack([x0 + yxs[:, 1] * side, y0 + yxs[:, 0] * side, yxs[:, 2]], axis=1)
        detections.append(_detection(k, category, xys, pose_score(yxs[:, 2])))
        control.report(k, len(persons), info["file_name"])
    return gt, detections


def predict_multi(dataset: dict, images_dir: str | Path, pipeline, *, control: JobControl | None = None) -> list[dict]:
    """Run the multi-person protocol: every image whole through `pipeline`.

    Args:
        dataset: COCO keypoint annotations.
        images_dir: folder holding the images' ``file_name``.
        pipeline: a :class:`~movenet_studio.core.pipeline.Pipeline` (reset before each image); each returned
            pose is a detection scored by its pose score.
        control: progress (per image) and cancel (checked per image), :mod:`~..progress`.

    Returns:
        COCO results list (image ids of `dataset`).

    Raises:
        Cancelled, SourceError, EvaluationError, BackendError: cancelled, an unreadable image, bad annotations, a runtime failure.
    """
    control = control if control is not None else JobControl()
    category = person_category(dataset)["id"]
    detections = []
    images = sorted(dataset["images"], key=lambda i: i["id"])
    for n, info in enumerate(images, start=1):
        control.raise_if_cancelled("evaluation cancelled")
        rgb = read_coco_image(Path(images_dir) / info["file_name"], (info["height"], info["width"]))
        pipeline.reset()
        result = pipeline.process(Frame(n - 1, 0.0, rgb, 0.0))
        for pose in result.poses:
            detections.append(_detection(info["id"], category, np.asarray(pose.keypoints, np.float64), pose.score))
        control.report(n, len(images), info["file_name"])
    return detections
