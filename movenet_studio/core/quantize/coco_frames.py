"""Calibration and held-out frames from a COCO keypoint annotation file.

A source ``ANNOTATIONS.json`` (COCO person keypoints, its images in the same folder, as
``../shared/data/coco_mini``) gives the model inputs ``eval`` would give the model on that
data set (:mod:`..evaluation.protocols`):

* single-pose models: each annotated person with at least
  :data:`~..evaluation.coco.MIN_KEYPOINTS` labelled keypoints, cut square around its box
  (:func:`~..evaluation.protocols.crop_box`, 1.25 x the box's longer side, black outside the
  image) and resized to the model input (the preprocessing profile's interpolation and
  channel order);
* MultiPose: each image whole through the float model's own pipeline (its letterbox).

Persons (images) are taken evenly spread over the file when it holds more than the quota.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import SourceError, StudioError
from ..media.sources import Frame
from ..preprocessing.mapping import InputMapping
from ..text import printable


def is_coco_annotations(source: str) -> bool:
    """True when `source` names a ``.json`` file whose top level has ``images`` and ``annotations``
    (read only as far as needed: a file that is not JSON is not a COCO file)."""
    path = Path(source)
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    try:
        document = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(document, dict) and "images" in document and "annotations" in document


def load_coco_source(source: str) -> dict:
    """The COCO keypoint annotations of `source` (:func:`~..evaluation.coco.load_annotations`).

    Raises:
        SourceError: the file breaks the COCO format (the message names its JSON path).
    """
    from ..evaluation.coco import load_annotations

    try:
        return load_annotations(source)
    except StudioError as exc:
        raise SourceError(f"{printable(source)}: {exc}") from None


def coco_inputs(source: str, pipeline, quota: int, on_input=None) -> list:
    """Up to `quota` model inputs of the COCO annotation file `source` (see the module docstring).

    Args:
        source: path of the annotation file; its images are looked for in its folder.
        pipeline: the float model's :class:`~..pipeline.Pipeline` (its model and preprocessing
            profile; MultiPose runs the images through it).
        quota: model inputs wanted (>= 1).
        on_input: called with each :class:`~.frames.ModelInput` as it is made (the caller keeps
            it; progress and cancel).

    Returns:
        :class:`~.frames.ModelInput` list; ``index`` is the person's (image's) position in the
        file, ``mapping`` maps the model input to the image's pixels.

    Raises:
        SourceError: the file breaks the COCO format (its JSON path named), an image is missing
            or unreadable, or the file holds no usable person.
        Cancelled: raised by `on_input`.
    """
    from ..evaluation.coco import read_coco_image, select_persons
    from ..evaluation.protocols import person_input
    from .frames import ModelInput, evenly_spread

    name = printable(source)
    folder = Path(source).parent
    dataset = load_coco_source(source)
    images = {image["id"]: image for image in dataset["images"]}

    def read(info: dict) -> np.ndarray:
        try:
            return read_coco_image(folder / info["file_name"], (info["height"], info["width"]))
        except StudioError as exc:
            reason = "not found" if not (folder / info["file_name"]).exists() else str(exc)
            raise SourceError(f"{name}: image {printable(info['file_name'])} {reason} (the images must be "
                              f"in the annotation file's folder)") from None

    kept = []
    if pipeline.model.is_multipose:
        listed = sorted(images.values(), key=lambda i: i["id"])
        for k in evenly_spread(len(listed), quota):
            pipeline.reset()
            result = pipeline.process(Frame(k, 0.0, read(listed[k]), 0.0))
            kept.append(ModelInput(str(source), k, result.model_input, result.mapping))
            if on_input is not None:
                on_input(kept[-1])
        return kept
    persons = select_persons(dataset)
    if not persons:
        raise SourceError(f"{name}: no annotated person with enough labelled keypoints")
    size = tuple(int(v) for v in pipeline.model.input_size)
    profile = pipeline.config.preprocess
    cache: tuple[int | None, np.ndarray | None] = (None, None)
    for k in evenly_spread(len(persons), quota):
        person = persons[k]
        info = images[person["image_id"]]
        if cache[0] != person["image_id"]:
            cache = (person["image_id"], read(info))
        rgb = cache[1]
        crop, (x0, y0, side) = person_input(rgb, person["bbox"], size, profile)
        h, w = rgb.shape[:2]
        mapping = InputMapping(box=(y0 / h, x0 / w, (y0 + side) / h, (x0 + side) / w), frame_size=(h, w),
                               input_size=size)
        kept.append(ModelInput(str(source), k, crop, mapping))
        if on_input is not None:
            on_input(kept[-1])
    return kept
