"""Fakes of the core's protocols, each implementing the whole protocol, so the core never probes
for what a fake might lack.

* :class:`FakeBackend`: :class:`movenet_studio.core.backends.base.Backend`.
* :class:`FakePipeline`: what the inference worker and compare drive of
  :class:`movenet_studio.core.pipeline.Pipeline` (load, process, heads, One Euro, classifier,
  tracking state, rerun on a paused frame, describe, close). Subclasses change :meth:`run`
  (the per-frame answer) or the constructor.

No fixtures and no side effects at import.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import numpy as np

from movenet_studio.core.decoding.keypoints import KEYPOINT_NAMES
from movenet_studio.core.decoding.pose import Pose
from movenet_studio.core.errors import ModelError
from movenet_studio.core.models.catalog import ModelSpec
from movenet_studio.core.frame_result import FrameResult, TrackingState
from movenet_studio.core.pipeline_config import PipelineConfig
from movenet_studio.core.pipeline_description import PipelineDescription
from movenet_studio.core.preprocessing.mapping import InputMapping

__all__ = ["FakeBackend", "FakePipeline", "fake_spec"]


def fake_spec(key: str, input_size: tuple[int, int] = (8, 8)) -> ModelSpec:
    """A single-pose float32 model spec for `key` whose file does not exist."""
    return ModelSpec(key, Path(f"/fake/{key}.tflite"), "tflite", "singlepose", "custom", "float32",
                     input_size, "uint8", False)


class FakeBackend:
    """The whole Backend protocol; invoke gives every keypoint at the centre with score 0."""

    name, device, provider, note = "fake", "fake device", None, ""
    runtime_version = "fake 1.0"
    signature = None
    heads_available = False

    def __init__(self, model: ModelSpec):
        self.model = model

    def invoke(self, image: np.ndarray) -> tuple[np.ndarray, ...]:
        out = np.zeros((1, 1, self.model.num_keypoints, 3), np.float32)
        out[..., :2] = 0.5
        return (out,)

    def heads(self):
        return None

    def close(self) -> None:
        pass


class FakePipeline:
    """The pipeline protocol, without a model: :meth:`run` answers each frame (by default one
    pose of zeros); a config whose model is :attr:`unloadable` fails to load."""

    unloadable: str | None = "broken"

    def __init__(self, config: PipelineConfig):
        if config.model == self.unloadable:
            raise ModelError("broken: not a MoveNet model")
        self.config = config
        self.model = fake_spec(config.model)
        self.backend = FakeBackend(self.model)
        self.classifier = None
        self.resets = 0

    def run(self, frame) -> FrameResult:
        """The result for `frame` (subclasses: raise to fail a frame, wait, ...)."""
        return self.result(frame)

    def result(self, frame, timings: dict | None = None) -> FrameResult:
        """A plain result for `frame`: one pose of zeros, the frame as model input."""
        h, w = self.model.input_size
        return FrameResult(index=frame.index, timestamp_ms=frame.timestamp_ms, frame=frame.rgb,
                           poses=(Pose(np.zeros((17, 3), np.float32), 0.0),),
                           timings_ms=MappingProxyType(timings or {"inference": 1.0, "total": 1.0}),
                           model_input=frame.rgb, mapping=InputMapping((0, 0, 1, 1), frame.rgb.shape[:2], (h, w)),
                           raw_output=np.zeros((1, 1, 17, 3), np.float32), model_key=self.model.key)

    def process(self, frame) -> FrameResult:
        return self.run(frame)

    def process_input(self, frame, model_input, mapping, crop_region=None, preprocess_ms: float = 0.0) -> FrameResult:
        return self.run(frame)

    def rerun(self, frame, before: TrackingState) -> tuple[FrameResult, tuple[str, ...]]:
        return self.run(frame), ()

    def with_heads(self, frame, result: FrameResult) -> FrameResult:
        return replace(result, heads=None, decode=None)

    @property
    def heads_available(self) -> bool:
        return False

    def set_heads(self, on: bool) -> None:
        self.config = replace(self.config, heads=bool(on))

    def set_one_euro(self, config) -> None:
        self.config = replace(self.config, one_euro=config)

    def tracking_state(self) -> TrackingState:
        return TrackingState()

    def adopt(self, state: TrackingState) -> tuple[str, ...]:
        return ()

    def input_size(self, frame_shape: tuple[int, ...]) -> tuple[int, int]:
        return self.model.input_size

    @property
    def keypoint_names(self) -> tuple[str, ...]:
        return KEYPOINT_NAMES

    def describe(self) -> PipelineDescription:
        return PipelineDescription(self.model, self.config, "fake", self.backend.device, None, "", "fake 1.0",
                                   False, None, None)

    def reset(self) -> None:
        self.resets += 1

    def close(self) -> None:
        pass
