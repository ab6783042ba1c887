"""The per-frame pipeline: frame -> preprocess -> inference -> decode -> FrameResult.

One :class:`Pipeline` owns one loaded model. It is not thread-safe: the GUI's worker
thread and the CLI each drive their own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

import numpy as np

from .backends import create_backend
from .keypoints import NUM_KEYPOINTS, Pose, pose_score
from .models import ModelSpec, resolve_model
from .multipose import decode_multipose, multipose_input_size, preprocess_multipose
from .preprocess import InputMapping, letterbox
from .sources import Frame
from .tracking import create_tracker

#: Timing keys of :attr:`FrameResult.timings_ms`, in pipeline order.
STAGES = ("read", "preprocess", "inference", "postprocess")

#: MultiPose instances below this score are dropped (TF.js default).
MIN_POSE_SCORE = 0.25


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    """What to run.

    Attributes:
        model: catalog key (``lightning``, ``thunder-int8``, ``multipose``) or a model file path.
        backend: runtime name (``tflite``, ``onnx``).
        threads: CPU threads for the runtime.
        provider: ONNX Runtime execution provider, or None for the best available.
        heads: read the four prediction heads after each inference (costs time and memory).
        min_pose_score: MultiPose instances below this score are dropped.
        tracker: MultiPose track ids: ``none``, ``boxes`` (IoU, the TF.js default) or
            ``keypoints`` (OKS); with a tracker, keypoints are smoothed per track.
    """

    model: str = "lightning"
    backend: str = "tflite"
    threads: int = 2
    provider: str | None = None
    heads: bool = False
    min_pose_score: float = MIN_POSE_SCORE
    tracker: str = "boxes"


@dataclass(frozen=True, slots=True)
class FrameResult:
    """Everything the pipeline computed for one frame (immutable; safe to pass between threads).

    Attributes:
        index: frame index in its source.
        timestamp_ms: frame timestamp in ms.
        frame: uint8 [H, W, 3] RGB frame the result refers to.
        poses: detected poses, keypoints in frame pixels.
        timings_ms: per-stage wall time in ms (keys of :data:`STAGES` plus ``total``).
        model_input: uint8 [h, w, 3] the exact RGB image fed to the model.
        mapping: how model-input coordinates map to frame pixels.
        raw_output: float32 model output ([1,1,17,3] or [1,6,56]).
        model_key: which model produced it.
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
    extras: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))


class Pipeline:
    """Runs one MoveNet model on frames.

    Args:
        config: model, backend, threads and options.

    Raises:
        ModelError: the model cannot be resolved or is not MoveNet.
        BackendError: the runtime cannot load it.
    """

    def __init__(self, config: PipelineConfig = PipelineConfig()):
        self.config = config
        self.model: ModelSpec = resolve_model(config.model, config.backend)
        self.backend = create_backend(self.model, config.backend if config.backend != "auto" else None,
                                      threads=config.threads, heads=config.heads, provider=config.provider)
        self._tracker = create_tracker(config.tracker) if self.model.is_multipose else None

    def input_size(self, frame_shape: tuple[int, ...]) -> tuple[int, int]:
        """Model input (height, width) for a frame of `frame_shape` (MultiPose files with a
        dynamic input take the longer side 256 and the other rounded up to a multiple of 32)."""
        if self.model.is_multipose:
            return multipose_input_size(frame_shape, self.model.input_size)
        return self.model.input_size

    def process(self, frame: Frame) -> FrameResult:
        """Run the model on one frame.

        Raises:
            BackendError: the runtime failed on this frame.
        """
        start = time.perf_counter()
        prepare = preprocess_multipose if self.model.is_multipose else letterbox
        model_input, mapping = prepare(frame.rgb, self.input_size(frame.rgb.shape))
        t_pre = time.perf_counter()
        raw = self.backend.invoke(model_input)
        t_inf = time.perf_counter()
        poses = self._poses(raw, mapping)
        if self._tracker is not None:
            poses = self._tracker.apply(poses, frame.timestamp_ms, frame.rgb.shape[:2])
        t_post = time.perf_counter()
        timings = {
            "read": frame.read_ms,
            "preprocess": (t_pre - start) * 1000,
            "inference": (t_inf - t_pre) * 1000,
            "postprocess": (t_post - t_inf) * 1000,
        }
        timings["total"] = sum(timings.values())
        return FrameResult(frame.index, frame.timestamp_ms, frame.rgb, poses, MappingProxyType(timings),
                           model_input, mapping, raw, self.model.key)

    def _poses(self, raw: np.ndarray, mapping: InputMapping) -> tuple[Pose, ...]:
        if self.model.is_multipose:
            return self._multipose(raw, mapping)
        yxs = raw.reshape(NUM_KEYPOINTS, 3)
        xy = mapping.to_frame(yxs[:, :2])
        keypoints = np.concatenate([xy, yxs[:, 2:3]], axis=1).astype(np.float32)
        return (Pose(keypoints, pose_score(keypoints[:, 2])),)

    def _multipose(self, raw: np.ndarray, mapping: InputMapping) -> tuple[Pose, ...]:
        return decode_multipose(raw, mapping, self.config.min_pose_score)

    def reset(self) -> None:
        """Forget per-source state (call when the source changes or seeks)."""
        if self._tracker is not None:
            self._tracker.reset()

    def close(self) -> None:
        """Release the runtime."""
        self.backend.close()
