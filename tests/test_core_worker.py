"""The Qt-free inference worker (core.worker): loads, serves frames, throttles errors, keeps
the previous model on a failed switch, drops stale results; no Qt imported."""

from __future__ import annotations

import queue

import numpy as np

from fakes import FakePipeline
from movenet_studio.core.frame_result import FrameResult
from movenet_studio.core.pipeline_config import PipelineConfig
from movenet_studio.core.media.sources import Frame
from movenet_studio.core.worker import EngineState, InferenceWorker


class _Pipeline(FakePipeline):
    """Per model name: "broken" fails to load; frame 13 fails to run."""

    def run(self, frame: Frame) -> FrameResult:
        if frame.index == 13:
            raise RuntimeError("unlucky frame")
        return self.result(frame, {"total": 1.0})


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
