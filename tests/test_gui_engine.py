"""The GUI's threading pieces without a model: mailbox, engine lifecycle, staleness, errors."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QObject, Slot

import fakes
from conftest import GUI_WAIT_MS
from movenet_studio.core.errors import ModelError
from movenet_studio.core.frame_result import FrameResult
from movenet_studio.core.pipeline_config import PipelineConfig
from movenet_studio.core.media.sources import Frame, Source
from movenet_studio.gui.engine import Engine, EngineState, LatestMailbox
from movenet_studio.gui.player import SourcePlayer


class FakePipeline(fakes.FakePipeline):
    """Stands in for core.pipeline.Pipeline; behaviour per model name in the config."""

    gate: threading.Event | None = None  # when set, process() waits for it (class-level for the test)
    entered: threading.Event | None = None

    def run(self, frame: Frame) -> FrameResult:
        if FakePipeline.entered is not None:
            FakePipeline.entered.set()
        if FakePipeline.gate is not None:
            assert FakePipeline.gate.wait(10)
        if frame.index == 13:
            raise RuntimeError("unlucky frame")
        return self.result(frame)


@pytest.fixture(autouse=True)
def _reset_fake():
    FakePipeline.gate = None
    FakePipeline.entered = None
    yield
    if FakePipeline.gate is not None:
        FakePipeline.gate.set()


def _frame(index: int) -> Frame:
    return Frame(index, index * 33.3, np.full((8, 8, 3), index % 255, np.uint8), 0.1)


class Recorder(QObject):
    """A GUI-thread receiver: records what arrives and on which thread."""

    def __init__(self):
        super().__init__()
        self.results = []
        self.threads = set()

    @Slot(object)
    def on_result(self, result):
        self.results.append(result)
        self.threads.add(threading.current_thread())


@pytest.fixture
def engine(qtbot):
    eng = Engine(PipelineConfig(model="first"), pipeline_factory=FakePipeline, join_timeout=5)
    yield eng
    if FakePipeline.gate is not None:
        FakePipeline.gate.set()
    assert eng.stop()
    assert not eng.is_alive


def test_mailbox_latest_wins_and_counts_drops():
    box = LatestMailbox()
    assert box.put(1) is False
    assert box.put(2) is True  # 1 was never taken: dropped
    assert box.replaced == 1 and box.pending
    assert box.take(0) == 2
    assert not box.pending and box.take(0) is None
    assert box.wait_empty(0)


def test_results_arrive_in_gui_thread(qtbot, engine):
    recorder = Recorder()
    engine.result_ready.connect(recorder.on_result)
    with qtbot.waitSignal(engine.model_changed, timeout=GUI_WAIT_MS):
        engine.start()
    assert engine.state == EngineState.RUNNING
    with qtbot.waitSignal(engine.result_ready, timeout=GUI_WAIT_MS):
        engine.submit(_frame(1))
    assert recorder.threads == {threading.main_thread()}
    result = recorder.results[-1]
    assert result.result.index == 1 and result.frame_id >= 1 and result.model.spec.key == "first"


def test_newer_frame_replaces_pending_one_and_counts_drop(qtbot, engine):
    FakePipeline.gate, FakePipeline.entered = threading.Event(), threading.Event()
    with qtbot.waitSignal(engine.model_changed, timeout=GUI_WAIT_MS):
        engine.start()
    engine.submit(_frame(1))
    assert FakePipeline.entered.wait(5)  # the worker is busy with frame 1
    assert engine.submit(_frame(2)) is False
    assert engine.submit(_frame(3)) is True  # frame 2 dropped
    recorder = Recorder()
    engine.result_ready.connect(recorder.on_result)
    FakePipeline.gate.set()
    qtbot.waitUntil(lambda: bool(recorder.results) and recorder.results[-1].result.index == 3, timeout=GUI_WAIT_MS)
    assert engine.dropped == 1
    assert [r.result.index for r in recorder.results if r.result.index == 2] == []


def test_results_older_than_the_generation_are_ignored(qtbot, engine):
    FakePipeline.gate, FakePipeline.entered = threading.Event(), threading.Event()
    with qtbot.waitSignal(engine.model_changed, timeout=GUI_WAIT_MS):
        engine.start()
    recorder = Recorder()
    engine.result_ready.connect(recorder.on_result)
    engine.submit(_frame(1))
    assert FakePipeline.entered.wait(5)
    engine.new_generation()  # a seek while frame 1 is in flight
    engine.submit(_frame(50))
    FakePipeline.gate.set()
    qtbot.waitUntil(lambda: any(r.result.index == 50 for r in recorder.results), timeout=GUI_WAIT_MS)
    assert all(r.result.index != 1 for r in recorder.results)
    assert engine.stale >= 1


def test_frame_error_is_reported_and_worker_keeps_serving(qtbot, engine):
    with qtbot.waitSignal(engine.model_changed, timeout=GUI_WAIT_MS):
        engine.start()
    with qtbot.waitSignal(engine.error, timeout=GUI_WAIT_MS) as blocker:
        engine.submit(_frame(13))
    message, details = blocker.args
    assert "unlucky frame" in message and "RuntimeError" in details
    with qtbot.waitSignal(engine.result_ready, timeout=GUI_WAIT_MS):
        engine.submit(_frame(14))
    assert engine.state == EngineState.RUNNING and engine.errors == 1


def test_failed_model_switch_keeps_the_old_model(qtbot, engine):
    with qtbot.waitSignal(engine.model_changed, timeout=GUI_WAIT_MS):
        engine.start()
    with qtbot.waitSignal(engine.model_failed, timeout=GUI_WAIT_MS) as blocker:
        engine.request_model(PipelineConfig(model="broken"))
    assert "not a MoveNet model" in blocker.args[0]
    with qtbot.waitSignal(engine.result_ready, timeout=GUI_WAIT_MS) as result:
        engine.submit(_frame(2))
    assert result.args[0].model.spec.key == "first"
    # A good switch reruns the last frame with the new model at once.
    with qtbot.waitSignal(engine.result_ready, timeout=GUI_WAIT_MS,
                          check_params_cb=lambda r: r.model.spec.key == "second") as rerun:
        engine.request_model(PipelineConfig(model="second"))
    assert rerun.args[0].result.index == 2


def test_no_model_means_faulted_until_one_loads(qtbot):
    eng = Engine(PipelineConfig(model="broken"), pipeline_factory=FakePipeline)
    try:
        with qtbot.waitSignal(eng.model_failed, timeout=GUI_WAIT_MS):
            eng.start()
        qtbot.waitUntil(lambda: eng.state == EngineState.FAULTED, timeout=GUI_WAIT_MS)
        with qtbot.waitSignal(eng.model_changed, timeout=GUI_WAIT_MS):
            eng.request_model(PipelineConfig(model="good"))
        qtbot.waitUntil(lambda: eng.state == EngineState.RUNNING, timeout=GUI_WAIT_MS)
    finally:
        assert eng.stop()
    assert eng.state == EngineState.STOPPED


def test_stop_joins_a_busy_worker(qtbot, engine):
    FakePipeline.gate, FakePipeline.entered = threading.Event(), threading.Event()
    with qtbot.waitSignal(engine.model_changed, timeout=GUI_WAIT_MS):
        engine.start()
    engine.submit(_frame(1))
    assert FakePipeline.entered.wait(5)
    assert engine.stop(timeout=0.05) is False  # busy in process(): join times out, no kill
    FakePipeline.gate.set()
    assert engine.stop(timeout=5)
    assert not engine.is_alive


class CountingSource(Source):
    """A finite fake video of `n` frames."""

    def __init__(self, n: int, fps: float = 30.0):
        self.name, self.frame_count, self.fps = "fake", n, fps
        self._next = 0

    def read(self):
        if self._next >= self.frame_count:
            return None
        self._next += 1
        return _frame(self._next - 1)

    def seek(self, index):
        self._next = max(0, min(index, self.frame_count))


def test_player_max_pace_feeds_every_frame_and_finishes(qtbot, engine):
    player = SourcePlayer(engine, pace="max", opener=lambda spec: CountingSource(40))
    recorder = Recorder()
    engine.result_ready.connect(recorder.on_result)
    with qtbot.waitSignal(engine.model_changed, timeout=GUI_WAIT_MS):
        engine.start()
    player.start()
    try:
        with qtbot.waitSignal(player.finished, timeout=GUI_WAIT_MS):
            player.open("fake")
        qtbot.waitUntil(lambda: bool(recorder.results) and recorder.results[-1].result.index == 39, timeout=GUI_WAIT_MS)
        assert engine.dropped == 0  # max pace waits for the worker: nothing dropped
        assert engine.processed + engine.errors == 40  # frame 13 is the fake's unlucky one
        with qtbot.waitSignal(engine.result_ready, timeout=GUI_WAIT_MS,
                              check_params_cb=lambda r: r.result.index == 7):
            player.seek(7)
    finally:
        assert player.stop()


def test_player_reports_open_failure_and_keeps_running(qtbot, engine):
    def opener(spec):
        if spec == "bad":
            raise ModelError("bad: nope")
        return CountingSource(3)

    player = SourcePlayer(engine, opener=opener)
    engine.start()
    player.start()
    try:
        with qtbot.waitSignal(player.open_failed, timeout=GUI_WAIT_MS) as blocker:
            player.open("bad")
        assert blocker.args[0] == "bad: nope"
        with qtbot.waitSignal(player.opened, timeout=GUI_WAIT_MS):
            player.open("good")
    finally:
        assert player.stop()


def test_realtime_player_holds_a_file_while_the_model_loads(qtbot, monkeypatch):
    """A file played at realtime pace starts at frame 0 when the model is ready, however long
    the load takes (a first start compiles the crop kernel: without this the mailbox kept only
    the newest of the frames paced meanwhile, and pose_1.mp4 started at about frame 84)."""
    loaded = threading.Event()

    class LastFrameSource(CountingSource):
        def read(self):
            frame = super().read()
            if frame is not None and frame.index == self.frame_count - 1:
                loaded.set()  # the whole file was paced past the loading model
            return frame

    def slow_pipeline(config):
        loaded.wait(GUI_WAIT_MS / 1000)
        return FakePipeline(config)

    engine = Engine(PipelineConfig(model="first"), pipeline_factory=slow_pipeline, join_timeout=5)
    real_wait_ready = engine.wait_ready

    def wait_ready(timeout=None):
        ready = real_wait_ready(timeout)
        if not ready:
            loaded.set()  # the player holds its frame for the loading model: let the load end
        return ready

    monkeypatch.setattr(engine, "wait_ready", wait_ready)
    player = SourcePlayer(engine, pace="realtime", opener=lambda spec: LastFrameSource(40, fps=1000.0))
    processed = []  # every frame the worker ran, in order (the delivered results skip some)
    engine.add_result_observer(lambda result, _generation: processed.append(result.index))
    engine.start()
    player.start()
    try:
        player.open("fake")
        qtbot.waitUntil(lambda: bool(processed), timeout=GUI_WAIT_MS)
        assert processed[0] == 0
    finally:
        assert player.stop()
        assert engine.stop()
