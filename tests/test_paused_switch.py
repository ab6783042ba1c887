"""A switch of runtime, precision or model on a paused frame re-runs that frame's own model
input from the crop tracker's state before it (issue 25, part 2), on the real worker with
real models: TFLite -> ONNX Runtime changes nothing but the runtime; a model of another input
size sees the same crop region; a switch the tracker cannot survive says so; playing on
continues the same track."""

from __future__ import annotations

import queue
import threading

import numpy as np
import pytest

from conftest import data_file
from movenet_studio.core.media.opener import open_source
from movenet_studio.core.pipeline import Pipeline
from movenet_studio.core.pipeline_config import PipelineConfig
from movenet_studio.core.worker import InferenceWorker

PAUSED_AT = 52  # the frame of the issue: the crop follows the dancer there, not the first square


@pytest.fixture(scope="module")
def frames():
    with open_source(data_file("pose_1.mp4")) as source:
        return [frame for frame, _ in zip(source, range(PAUSED_AT + 3))]


class _Run:
    """A worker fed frame by frame (as the window's player steps), collecting what it reports."""

    def __init__(self, config: PipelineConfig, pipeline_factory=Pipeline):
        self.results: queue.Queue = queue.Queue()
        self.notes: list[str] = []
        self.loaded: queue.Queue = queue.Queue()
        self.worker = InferenceWorker(pipeline_factory=pipeline_factory,
                                      on_result=lambda: self.results.put(self.worker.take_result()),
                                      on_model_loaded=self.loaded.put,
                                      on_model_failed=lambda m, d: self.loaded.put(m),
                                      on_tracker_reset=self.notes.append)
        self.worker.start(config)
        self.loaded.get(timeout=120)

    def step(self, frame):
        self.worker.submit(frame)
        return self._next()

    def _next(self):
        result = self.results.get(timeout=120)
        while result is None:
            result = self.results.get(timeout=120)
        return result

    def switch(self, config: PipelineConfig):
        self.worker.request_model(config)
        info = self.loaded.get(timeout=120)
        assert not isinstance(info, str), info
        return self._next()


def _paused(frames, config):
    run = _Run(config)
    for frame in frames[:PAUSED_AT + 1]:
        shown = run.step(frame)
    assert shown.result.index == PAUSED_AT
    return run, shown


def test_runtime_switch_on_a_paused_frame_reruns_its_own_input(frames):
    run, before = _paused(frames, PipelineConfig(model="lightning", backend="tflite"))
    try:
        after = run.switch(PipelineConfig(model="lightning", backend="onnx"))
        a, b = before.result, after.result
        assert after.model.config.backend == "onnx" and b.index == PAUSED_AT
        assert b.crop_region == a.crop_region and a.crop_region.as_tuple() != (0.0, 0.0, 1.0, 1.0)
        np.testing.assert_array_equal(b.model_input, a.model_input)
        assert abs(b.poses[0].score - a.poses[0].score) < 1e-4
        assert np.abs(b.poses[0].keypoints[:, :2] - a.poses[0].keypoints[:, :2]).max() < 0.01
        assert not run.notes
        # Playing on carries on the same track: the next frame as the TFLite run would crop it.
        nxt = run.step(frames[PAUSED_AT + 1])
        assert nxt.result.index == PAUSED_AT + 1
        assert nxt.result.crop_region.as_tuple() == pytest.approx(a.crop_measurement.next_region.as_tuple(), abs=1e-5)
    finally:
        run.worker.stop(10)


def test_precision_and_input_size_switches_keep_the_crop_region(frames):
    run, before = _paused(frames, PipelineConfig(model="lightning"))
    try:
        int8 = run.switch(PipelineConfig(model="lightning-int8"))
        assert int8.result.crop_region == before.result.crop_region
        np.testing.assert_array_equal(int8.result.model_input, before.result.model_input)
        thunder = run.switch(PipelineConfig(model="thunder"))
        assert thunder.result.crop_region == before.result.crop_region
        assert thunder.result.model_input.shape == (256, 256, 3)
        assert thunder.result.mapping.box == before.result.mapping.box
        assert thunder.result.poses and not run.notes
        # Thunder's right ankle lands where Lightning's did on the same region (not 62 px away).
        ankle = 16
        gap = np.hypot(*(thunder.result.poses[0].keypoints[ankle, :2] - before.result.poses[0].keypoints[ankle, :2]))
        assert gap < 20, gap
    finally:
        run.worker.stop(10)


def test_a_switch_the_tracker_cannot_survive_says_so(frames):
    run, before = _paused(frames, PipelineConfig(model="lightning"))
    try:
        multi = run.switch(PipelineConfig(model="multipose"))
        assert multi.result.crop_region is None and multi.result.index == PAUSED_AT
        assert run.notes == [run.notes[0]] and run.notes[0].startswith("MultiPose tracks restarted at frame 52")
        # Back on the same paused frame, Lightning starts again from its own state before it.
        back = run.switch(PipelineConfig(model="lightning"))
        assert back.result.crop_region == before.result.crop_region and len(run.notes) == 1
        np.testing.assert_array_equal(back.result.poses[0].keypoints, before.result.poses[0].keypoints)
        # Letterboxed, there is no crop region to carry: crop tracking switched on restarts it.
        run.switch(PipelineConfig(model="lightning", crop=False))
        run.step(frames[PAUSED_AT + 1])
        cropped = run.switch(PipelineConfig(model="lightning", crop=True))
        assert len(run.notes) == 2 and run.notes[1].startswith("Crop tracker restarted at frame 53"), run.notes
        assert cropped.result.crop_region is not None
    finally:
        run.worker.stop(10)


def test_a_frame_waiting_when_the_model_switches_is_run_by_the_new_model(frames):
    """A step (or the frame a pause left in the slot) waiting while a switch loads is not a
    seek: the new model runs it, rather than the frame being dropped as stale with nothing shown
    (CI once waited 120 s for a Lightning result after a Thunder -> Lightning switch)."""
    building, release = threading.Event(), threading.Event()

    def gated(config):
        if config.backend == "onnx":
            building.set()
            release.wait(60)
        return Pipeline(config)

    run = _Run(PipelineConfig(model="lightning", backend="tflite"), gated)
    try:
        for frame in frames[:PAUSED_AT + 1]:
            before = run.step(frame)
        run.worker.request_model(PipelineConfig(model="lightning", backend="onnx"))
        assert building.wait(60)
        run.worker.submit(frames[PAUSED_AT + 1])  # stepped while ONNX Runtime loads
        release.set()
        assert not isinstance(run.loaded.get(timeout=120), str)
        shown = run._next()
        assert shown.model.config.backend == "onnx" and shown.result.index == PAUSED_AT + 1
        # The tracker carried on: the crop region TFLite's frame 52 asked for.
        assert shown.result.crop_region.as_tuple() == pytest.approx(
            before.result.crop_measurement.next_region.as_tuple(), abs=1e-5)
        assert run.worker.stale == 0 and not run.notes
    finally:
        release.set()
        run.worker.stop(10)
