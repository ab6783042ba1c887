"""Calibration and held-out frames: the model inputs the float model really sees.

Each source (video, image, folder of images) runs through the float model's own
:class:`~..pipeline.Pipeline`: crop-region tracking on video (TF.js's detector), the
preprocessing profile, MultiPose's letterbox. A COCO keypoint annotation file gives the
inputs ``eval`` gives the model (:mod:`.coco_frames`). Every frame is processed, so the crop
tracker follows the person as it does in the app, and an evenly spread subset of the
frames' model inputs is kept, with the mapping back to frame pixels and the float model's
keypoints on it (the reference the quantized model is measured against).

:func:`split_holdout` sets a part of each source aside for the held-out measurement when
no ``--holdout`` source is given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import SourceError
from ..media.opener import open_source
from ..pipeline import Pipeline
from ..pipeline_config import PipelineConfig
from ..preprocessing.mapping import InputMapping
from ..progress import JobControl
from ..text import printable
from .coco_frames import coco_inputs, is_coco_annotations


@dataclass(frozen=True, slots=True)
class ModelInput:
    """One frame as the model sees it.

    Attributes:
        source: the source it came from (as given).
        index: frame index in that source.
        image: uint8 [h, w, 3] the model input (RGB, or BGR under a ``bgr`` profile).
        mapping: model input -> frame pixels.
    """

    source: str
    index: int
    image: np.ndarray
    mapping: InputMapping


def frames_per_source(count: int, sources: int) -> list[int]:
    """Split `count` frames over `sources` as evenly as possible (the first ones get the rest)."""
    base, rest = divmod(int(count), max(1, sources))
    return [base + (1 if i < rest else 0) for i in range(sources)]


def evenly_spread(count: int, quota: int) -> list[int]:
    """Up to `quota` of the indices 0..`count`-1, evenly spread (both ends kept), in order."""
    if count <= quota:
        return list(range(count))
    return sorted(set(np.linspace(0, count - 1, quota).round().astype(int).tolist()))


def collect_inputs(sources: list[str], config: PipelineConfig, count: int, control: JobControl | None = None,
                   *, what: str = "calibration", done: int = 0, total: int | None = None) -> list[ModelInput]:
    """Up to `count` model inputs spread over `sources` (evenly over each source's frames; what a
    source too short for its share cannot give is asked of the sources after it).

    Args:
        sources: video, image or folder paths, or COCO keypoint annotation files (:mod:`.coco_frames`).
        config: the float model's pipeline (crop tracking, preprocessing profile).
        count: frames wanted in all.
        control: progress (frames read, counted from `done` of `total`) and cancel.
        what: ``calibration`` or ``held-out``, for messages.

    Returns:
        The kept model inputs, source by source, in frame order.

    Raises:
        SourceError: a source cannot be opened or has no usable frame (one clear line).
        Cancelled: the job was cancelled.
    """
    quotas = frames_per_source(count, len(sources))
    total = total if total is not None else count
    kept: list[ModelInput] = []
    pipeline = Pipeline(config)
    try:
        carry = 0  # frames a shorter source could not give go to the next ones
        for source_name, quota in zip(sources, quotas):
            quota += carry
            if quota <= 0:
                continue
            found = 0
            if is_coco_annotations(str(source_name)):
                def progress(item: ModelInput) -> None:
                    kept.append(item)
                    if control is not None:
                        control.report(done + len(kept), total, f"{what}: {printable(item.source)} #{item.index}")

                carry = quota - len(coco_inputs(str(source_name), pipeline, quota, progress))
                continue
            with open_source(source_name) as source:
                if source.is_live:
                    raise SourceError(f"{printable(source_name)}: a camera cannot be a {what} source; record a video")
                length = source.frame_count
                wanted = set(evenly_spread(length, quota)) if length else None  # unknown length: the first frames
                pipeline.reset()
                for frame in source:
                    result = pipeline.process(frame)  # every frame: the crop tracker follows the person
                    if (wanted is None or frame.index in wanted) and found < quota:
                        kept.append(ModelInput(str(source_name), frame.index, result.model_input, result.mapping))
                        found += 1
                        if control is not None:
                            control.report(done + len(kept), total, f"{what}: {source.name} frame {frame.index}")
                    if found >= quota:
                        break
            if not found:
                raise SourceError(f"{printable(source_name)}: no usable frame for {what}")
            carry = quota - found
    finally:
        pipeline.close()
    return kept


def split_holdout(inputs: list[ModelInput], fraction: float = 0.25) -> tuple[list[ModelInput], list[ModelInput]]:
    """(calibration, held-out): the last `fraction` of each source's frames held out.

    A source with a single frame stays entirely in calibration.
    """
    by_source: dict[str, list[ModelInput]] = {}
    for item in inputs:
        by_source.setdefault(item.source, []).append(item)
    calibration, holdout = [], []
    for items in by_source.values():
        cut = len(items) - (math.ceil(len(items) * fraction) if len(items) > 1 else 0)
        calibration += items[:cut]
        holdout += items[cut:]
    return calibration, holdout
