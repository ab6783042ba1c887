"""What the per-frame pipeline (:mod:`movenet_studio.core.pipeline`) hands on: one frame's
:class:`FrameResult`, and the per-source :class:`TrackingState` a switched pipeline carries on from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from .classify.classification import FrameClassification
from .decoding.decode import DecodeSteps
from .decoding.heads import Heads
from .decoding.pose import Pose
from .preprocessing.mapping import CropRegion, InputMapping
from .tracking.cropping import CropMeasurement, CropTracker
from .tracking.smoothing import KeypointSmoother, OneEuroConfig
from .tracking.still_crop import CropPass

#: Timing keys of :attr:`FrameResult.timings_ms`, in pipeline order ("heads" only when heads are read).
STAGES = ("read", "preprocess", "inference", "heads", "postprocess", "smoothing")

@dataclass(frozen=True, slots=True)
class FrameResult:
    """Everything the pipeline computed for one frame (immutable; safe to pass between threads).

    Attributes:
        index: frame index in its source.
        timestamp_ms: frame timestamp in ms.
        frame: uint8 [H, W, 3] RGB frame the result refers to.
        poses: detected poses, keypoints in frame pixels.
        timings_ms: per-stage wall time in ms (keys of :data:`STAGES` plus ``total``).
        model_input: uint8 [h, w, 3] the exact image fed to the model (RGB, or BGR under a
            ``bgr`` preprocessing profile).
        mapping: how model-input coordinates map to frame pixels.
        raw_output: float32 model output ([1,1,17,3] or [1,6,56]).
        model_key: which model produced it.
        crop_region: the crop region this frame was cut with (None when letterboxed).
        crop_measurement: what the crop tracker measured on this frame for the next one (None
            when crop tracking is off or for MultiPose).
        tracker_reset: the pose scored below the minimum, so the crop tracker and the
            smoother were reset and no pose is reported (TF.js behaviour).
        heads: the four prediction heads of this inference (only with ``PipelineConfig.heads``
            and a graph whose heads were found).
        decode: the step-by-step numpy decode of `heads` (single-pose models only).
        classification: the pose classifier's answer for each pose and the repetition count
            (:class:`~.classification.FrameClassification`), when :attr:`Pipeline.classifier`
            is set.
        raw_keypoints: float32 [K, 3] (x, y, score) in frame pixels *before* smoothing, for
            the single-pose model's pose (None on a tracker reset and for MultiPose).
        one_euro: the filter parameters that smoothed `poses` (None when smoothing is off).
        captured_s: live sources: when the frame was captured (``time.monotonic()`` clock,
            s; :attr:`~.media.sources.Frame.captured_s`), for capture-to-result latency;
            None for files.
        crop_passes: a still image's crop refinement, one :class:`~.tracking.still_crop.CropPass`
            per inference (the last is ``crop_region``, unless it lost the pose); empty for
            video frames and without crop tracking.
    """

    index: int
    timestamp_ms: float
    frame: np.ndarray
    poses: tuple[Pose, ...]
    timings_ms: Mapping[str, float]
    model_input: np.ndarray
    mapping: InputMapping
    raw_output: np.ndarray
    model_key: str
    crop_region: CropRegion | None = None
    crop_measurement: CropMeasurement | None = None
    tracker_reset: bool = False
    heads: Heads | None = None
    decode: DecodeSteps | None = None
    classification: FrameClassification | None = None
    raw_keypoints: np.ndarray | None = None
    one_euro: OneEuroConfig | None = None
    captured_s: float | None = None
    crop_passes: tuple[CropPass, ...] = ()


@dataclass(frozen=True, slots=True)
class TrackingState:
    """A copy of a pipeline's per-source state at one moment (:meth:`Pipeline.tracking_state`),
    for another pipeline to carry on from (:meth:`Pipeline.adopt`) after a switch of model,
    runtime, provider, threads or precision.

    Attributes:
        crop: the single-pose crop tracker (region and edge filters), None without crop tracking.
        smoother: the single-pose One Euro keypoint filter, None without smoothing.
        tracker: the MultiPose track-id tracker (tracks and their filters), None otherwise.
    """

    crop: CropTracker | None = None
    smoother: KeypointSmoother | None = None
    tracker: object | None = None
