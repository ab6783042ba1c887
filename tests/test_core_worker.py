"""The Qt-free inference worker (core.worker): loads, serves frames, throttles errors, keeps
the previous model on a failed switch, drops stale results; no Qt imported."""

from __future__ import annotations

import queue
from pathlib import Path
from types import MappingProxyType

import numpy as np

from movenet_studio.core.errors import ModelError
from movenet_studio.core.decoding.pose import Pose
from movenet_studio.core.models.catalog import ModelSpec
from movenet_studio.core.pipeline import FrameResult
from movenet_studio.core.pipeline_config import PipelineConfig
from movenet_studio.core.pipeline_description import PipelineDescription
from movenet_studio.core.preprocessing.mapping import InputMapping
from movenet_studio.core.media.sources import Frame
from movenet_studio.core.worker import EngineState, InferenceWorker


class _Backend:
    name, device, provider, note = "fake", "fake device", None, ""


class _Pipeline:
    """Per model name: "broken" fails to load; frame 13 fails to run."""

    def __init__(self, config: PipelineConfig):
        if config.model == "broken":
            raise ModelError("broken: not a MoveNet model")
        self.config, self.backend, self.resets = config, _Backend(), 0
        self.model = ModelSpec(config.model, Path(f"/fake/{config.model}.tflite"), "tflite", "singlepose",
                               "custom", "float32", (8, 8), "uint8", False)

    def describe(self) -> PipelineDescription:
        return PipelineDescription(self.model, self.config, "fake", self.backend.device, None, "", "fake 1.0",
                                   False, None, None)

    def reset(self):
        self.resets += 1

    def process(self, frame: Frame) -> FrameResult:
        if frame.index == 13:
            raise RuntimeError("unlucky frame")
        return FrameResult(index=frame.index, timestamp_ms=frame.timestamp_ms, frame=frame.rgb,
                           poses=(Pose(np.zeros((17, 3), np.float32), 0.0),),
                           timings_ms=MappingProxyType({"total": 1.0}), model_input=frame.rgb,
                           mapping=InputMapping((0, 0, 1, 1), (8, 8), (8, 8)),
                           raw_output=np.zeros((1, 1, 17, 3), np.float32), model_key=self.model.key)

    def close(self):
        pass


def _frame(index: int) -> Frame:
    return Frame(index, index * 33.3, np.zeros((8, 8, 3), np.uint8), 0.1)


def test_worker_without_qt():
    events: queue.Queue = queue.Queue()
    worker = InferenceWorker(pipeline_factory=_Pipeline,
                             on_result=lambda: events.put(("result",)),
                             on_model_loaded=lambda info: events.put(("loaded", info.spec.key)),
                             on_model_failed=lambda message, details: events.put(("failed", message)),
                             on_error=lambda message, details: events.put(("error", message)),
                             on_state=lambda state: events.put(("state", state)))

    def next_event():
        return events.get(timeout=10)

    worker.start(PipelineConfig(model="lightning"))
    try:
        assert next_event() == ("loaded", "lightning")
        assert next_event() == ("state", EngineState.RUNNING.value)
        worker.submit(_frame(1))
        assert next_event() == ("result",)
        result = worker.take_result()
        assert (result.result.index, result.model.spec.key, result.processed) == (1, "lightning", 1)
        assert worker.take_result() is None
        # A failing frame is reported once, a repeat within the interval is counted, not reported.
        for _ in range(2):
            worker.submit(_frame(13))
            worker.wait_slot_free(10)
        worker.submit(_frame(2))
        assert next_event() == ("error", "frame 13: RuntimeError: unlucky frame")
        assert next_event() == ("result",)
        assert worker.take_result().result.index == 2 and worker.errors == 2
        # A failed switch keeps the previous model.
        worker.request_model(PipelineConfig(model="broken"))
        assert next_event()[0] == "failed"
        assert worker.model.spec.key == "lightning"
        # A result older than the current generation is never handed over.
        stale = worker.generation
        worker.new_generation()
        worker.submit(_frame(3), stale)
        worker.wait_slot_free(10)
        worker.submit(_frame(4))
        assert next_event() == ("result",)
        assert worker.take_result().result.index == 4 and worker.stale == 1
    finally:
        assert worker.stop(10)
    assert not worker.is_alive
