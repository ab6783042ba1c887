"""Hostile files and failing parts through the real window (offscreen).

Every bad source or model file of tests/badinputs.py gets a message and leaves the window
usable (the previous model keeps running; a good video then plays); a frame that fails in
the worker is shown, logged and survived; a camera that stops is reported and closed; odd
and huge images are shown; broken settings are reset with a note; Help opens the log folder.
"""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QObject, QTimer, Slot

import badinputs
from conftest import GUI_WAIT_MS, DATA_DIR, SAMPLES_DIR
from fakes import FakePipeline
from movenet_studio.core import sandbox
from movenet_studio.core.errors import SourceError
from movenet_studio.core.pipeline import Pipeline
from movenet_studio.core.media.sources import Frame, Source
from movenet_studio.gui import player as player_module
from movenet_studio.gui.engine import EngineState

VIDEO = SAMPLES_DIR / "pose_1.mp4"
IMAGE = SAMPLES_DIR / "pose.jpg"
WAIT_MS = GUI_WAIT_MS

pytestmark = pytest.mark.skipif(not VIDEO.is_file() or not IMAGE.is_file(),
                                reason=f"test media not found in {DATA_DIR}")


class Events(QObject):
    """Records what the window reports (GUI thread)."""

    def __init__(self, window):
        super().__init__(window)
        self.reports: list[tuple[str, str, bool]] = []
        self.finished = 0
        self.models: list[str] = []
        window.reporter.reported.connect(self.on_report)
        window.player.finished.connect(self.on_finished)
        window.engine.model_changed.connect(self.on_model)
        self._reporter = window.reporter

    @Slot(str, str, bool)
    def on_report(self, message, details, serious):
        self.reports.append((message, details, serious))

    @Slot()
    def on_finished(self):
        self.finished += 1

    @Slot(object)
    def on_model(self, info):
        self.models.append(info.spec.key)

    def serious_about(self, name: str) -> list[tuple[str, str, bool]]:
        """Serious reports (status bar + dialog) whose message contains `name`, since the window opened."""
        return [(r.message, r.details, r.serious) for r in self._reporter.history if r.serious and name in r.message]


@pytest.fixture
def log_records():
    """Records of the movenet_studio loggers during the test."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Keep(logging.DEBUG)
    logger = logging.getLogger("movenet_studio")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def _wait_results(qtbot, window, n=1, check=lambda r: True):
    """Wait until `n` more results satisfying `check` have been shown."""
    seen = []

    def count():
        last = window.video_view.last_result
        if last is not None and check(last) and (not seen or seen[-1] is not last):
            seen.append(last)
        return len(seen) >= n

    qtbot.waitUntil(count, timeout=WAIT_MS)
    return seen[-1]


def _window(make_window, qtbot, **kwargs):
    kwargs.setdefault("pace", "realtime")
    window = make_window(source=str(VIDEO), **kwargs)
    _wait_results(qtbot, window)
    return window


def _assert_usable(qtbot, window, model_key="lightning-float16"):
    """The previous model still runs, and a good video opens and plays through the window."""
    assert window.engine.state == EngineState.RUNNING
    assert window.engine.model.spec.key == model_key
    # Frames of the previous source (a damaged copy of the same video) may still be shown until
    # the reader takes the open command: count only results of the generation the open started.
    with qtbot.waitSignal(window.player.opened, timeout=WAIT_MS):
        window.open_source(str(VIDEO))
    generation = window.engine.generation
    result = _wait_results(qtbot, window, 3, lambda r: r.generation == generation
                           and r.result.frame.shape == (576, 576, 3) and r.model.spec.key == model_key)
    assert result.result.poses and window.player.info.name == "pose_1.mp4"


def test_bad_source_files_are_reported_and_the_window_stays_usable(make_window, qtbot, tmp_path):
    window = _window(make_window, qtbot, pace="max")  # damaged videos that still play end sooner
    events = Events(window)
    for bad in badinputs.source_corpus(VIDEO, tmp_path):
        shown = window.video_view.frames_shown
        window.open_path(str(bad.path))

        def playing() -> bool:  # a damaged but playable video: its frames are shown
            info = window.player.info
            return info is not None and info.name == bad.id and window.video_view.frames_shown > shown + 3

        # A broken file gets a serious report naming it (the cut AVI after some frames).
        qtbot.waitUntil(lambda: bool(events.serious_about(bad.id)) or (not bad.must_fail and playing()),
                        timeout=WAIT_MS)
        for message, _details, _serious in events.serious_about(bad.id):
            assert "Traceback" not in message and "\n" not in message, message
        assert window.engine.state == EngineState.RUNNING, bad.id
    assert window.reporter.dialog is not None and not window.reporter.dialog.isModal()
    _assert_usable(qtbot, window)


def test_bad_model_files_are_refused_and_the_previous_model_keeps_running(make_window, qtbot, tmp_path):
    window = _window(make_window, qtbot, loop=True)
    events = Events(window)
    for bad in badinputs.model_corpus(tmp_path):
        window.open_path(str(bad.path))
        qtbot.waitUntil(lambda: bool(events.serious_about(bad.id)) or bad.id in events.models, timeout=WAIT_MS)
        if bad.id in events.models:  # damaged weights that still run: they run here, without a crash
            assert not bad.must_fail, bad.id
            _wait_results(qtbot, window, 2, lambda r: r.model.spec.key == bad.id)
            with qtbot.waitSignal(window.engine.model_changed, timeout=WAIT_MS):
                window.open_model("lightning-float16")
            continue
        assert window.engine.model.spec.key == "lightning-float16", bad.id
        # Results keep arriving from the previous model while the window shows the refusal.
        _wait_results(qtbot, window, 1, lambda r: r.model.spec.key == "lightning-float16")
    assert window.controls.model.combo.currentData() == "lightning-float16"
    assert "corrupt-weights-int8.tflite" in events.models  # the one damaged model that still loads
    _assert_usable(qtbot, window)


@pytest.mark.parametrize("child, timeout, expected", [
    ("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)", None, "crashed loading it: SIGSEGV"),
    ("import time; time.sleep(60)", 0.5, "loading it took over 0.5 s"),
])
def test_probe_crash_or_hang_is_a_message_not_a_dead_window(make_window, qtbot, tmp_path, monkeypatch,
                                                             child, timeout, expected):
    monkeypatch.setattr(sandbox, "probe_command", lambda path, flag=None: [sys.executable, "-c", child])
    if timeout is not None:
        monkeypatch.setattr(sandbox, "PROBE_TIMEOUT_S", timeout)
    window = _window(make_window, qtbot, loop=True)
    model = badinputs.tiny_non_movenet_tflite(tmp_path / "hostile.tflite")
    with qtbot.waitSignal(window.engine.model_failed, timeout=WAIT_MS) as failed:
        window.open_path(str(model))
    message = failed.args[0]
    assert "hostile.tflite: not a usable MoveNet model" in message and expected in message
    assert window.reporter.last.serious and window.reporter.dialog.isVisible()
    _assert_usable(qtbot, window)


def test_a_frame_that_fails_is_shown_logged_and_the_engine_recovers(make_window, qtbot, monkeypatch, log_records):
    original = Pipeline.process

    def process(self, frame):
        if frame.index == 13:
            raise RuntimeError("simulated failure in the pipeline")
        return original(self, frame)

    monkeypatch.setattr(Pipeline, "process", process)
    window = _window(make_window, qtbot, pace="max", loop=True)  # (no "End of" message racing the error's)
    events = Events(window)
    qtbot.waitUntil(lambda: bool(events.serious_about("frame 13")), timeout=WAIT_MS)
    (message, details, _), = events.serious_about("frame 13")
    assert "RuntimeError: simulated failure in the pipeline" in message
    assert "Traceback" in details and "simulated failure" in details
    assert window.reporter.dialog.isVisible() and "frame 13" in window.reporter.dialog.text()
    assert "frame 13" in window.statusBar().currentMessage()
    logged = [r for r in log_records if r.name == "movenet_studio.gui.engine" and r.levelno == logging.ERROR]
    assert logged and "simulated failure" in logged[0].getMessage() and "Traceback" in logged[0].getMessage()
    # The next frames are processed by the same worker and model.
    _wait_results(qtbot, window, 2, lambda r: r.result.index > 13)
    assert window.engine.state == EngineState.RUNNING and window.engine.errors == 1


class AlwaysFailingPipeline(FakePipeline):
    """A pipeline whose every frame fails with the same error (a model broken for all input)."""

    unloadable = None

    def run(self, frame):
        raise RuntimeError("the runtime failed")


def test_an_error_on_every_frame_is_reported_once_not_per_frame(qtbot, log_records, monkeypatch):
    from movenet_studio.core.pipeline_config import PipelineConfig
    from movenet_studio.core.worker import loop as worker_loop
    from movenet_studio.gui.engine import Engine

    monkeypatch.setattr(worker_loop, "ERROR_REPEAT_INTERVAL", 600.0)  # however slow the machine
    engine = Engine(PipelineConfig(model="broken"), pipeline_factory=AlwaysFailingPipeline)
    errors = []

    class Sink(QObject):
        @Slot(str, str)
        def on_error(self, message, details):
            errors.append(message)

    sink = Sink()
    engine.error.connect(sink.on_error)
    with qtbot.waitSignal(engine.model_changed, timeout=WAIT_MS):
        engine.start()
    try:
        for index in range(30):
            engine.submit(Frame(index, index * 33.3, np.zeros((8, 8, 3), np.uint8), 0.0))
            assert engine.wait_slot_free(5)
        qtbot.waitUntil(lambda: engine.errors == 30 or engine.errors + engine.dropped >= 30, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: len(errors) >= 1, timeout=WAIT_MS)
    finally:
        assert engine.stop()
    assert len(errors) == 1 and "the runtime failed" in errors[0]  # frames 1..29: same error, not repeated
    assert len([r for r in log_records if r.name == "movenet_studio.gui.engine"]) == 1


class UnpluggedCamera(Source):
    """A fake camera that delivers `frames` frames, then fails as an unplugged one does."""

    is_live = True
    instances: list["UnpluggedCamera"] = []

    def __init__(self, frames: int):
        self.name, self.fps = "camera 7", 30.0
        self._left = frames
        self._index = 0
        self.closed = 0
        self.shown = threading.Event()
        self.rgb = cv2.cvtColor(cv2.imread(str(IMAGE)), cv2.COLOR_BGR2RGB)
        UnpluggedCamera.instances.append(self)

    def read(self):
        if self._left <= 0:
            # Unplug only once the window has shown one of our frames (deterministic test).
            self.shown.wait(timeout=WAIT_MS / 1000)
            raise SourceError("camera 7: stopped delivering frames (unplugged?)")
        self._left -= 1
        self._index += 1
        return Frame(self._index - 1, self._index * 33.3, self.rgb.copy(), 0.1)

    def close(self):
        self.closed += 1


def test_a_camera_that_stops_is_reported_and_closed(make_window, qtbot, monkeypatch, log_records):
    real_open = player_module.open_source
    UnpluggedCamera.instances = []
    monkeypatch.setattr(player_module, "open_source",
                        lambda spec: UnpluggedCamera(12) if spec == "camera:7" else real_open(spec))
    window = _window(make_window, qtbot)
    events = Events(window)
    window.open_source("camera:7")
    qtbot.waitUntil(lambda: bool(UnpluggedCamera.instances), timeout=WAIT_MS)
    (camera,) = UnpluggedCamera.instances
    qtbot.waitUntil(lambda: window.video_view.last_result.result.frame.shape == camera.rgb.shape, timeout=WAIT_MS)
    camera.shown.set()  # its frames were shown: now unplug it
    qtbot.waitUntil(lambda: bool(events.serious_about("stopped delivering frames")), timeout=WAIT_MS)
    (message, _, _), = events.serious_about("stopped delivering frames")
    assert "camera 7" in message and "closed" in message
    qtbot.waitUntil(lambda: window.player.info is None, timeout=WAIT_MS)
    assert camera.closed == 1  # released once, not retried
    assert window.controls.source.source_label.text() == "No source"
    assert "camera 7" not in window.windowTitle()
    assert any(r.name == "movenet_studio.gui.player" and "stopped delivering" in r.getMessage() for r in log_records)
    _assert_usable(qtbot, window)


def test_odd_image_formats_are_shown_as_rgb(make_window, qtbot, tmp_path):
    from test_robustness_core import odd_image_folder

    folder = odd_image_folder(tmp_path / "odd")
    window = _window(make_window, qtbot)
    window.open_source(str(folder))
    qtbot.waitUntil(lambda: window.player.info is not None and window.player.info.kind == "folder", timeout=WAIT_MS)
    window.player.pause()
    shapes = {}
    for index in range(len(list(folder.iterdir()))):
        with qtbot.waitSignal(window.engine.result_ready, timeout=WAIT_MS,
                              check_params_cb=lambda r, i=index: r.result.index == i) as blocker:
            window.player.seek(index)
        frame = blocker.args[0].result.frame
        assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
        shapes[index] = frame.shape[:2]
    assert shapes[3] == (64, 48)  # the EXIF-rotated JPEG stands upright
    assert not [r for r in window.reporter.history if r.serious]


class Ticks(QObject):
    """Counts event-loop ticks of a 10 ms timer (the GUI thread keeps running)."""

    def __init__(self):
        super().__init__()
        self.count = 0
        self.timer = QTimer(self)
        self.timer.setInterval(10)
        self.timer.timeout.connect(self.tick)

    @Slot()
    def tick(self):
        self.count += 1


def test_huge_image_is_shown_downscaled_with_keypoints_in_source_pixels(make_window, qtbot, tmp_path):
    small = cv2.imread(str(IMAGE))
    huge = cv2.resize(small, (small.shape[1] * 8, small.shape[0] * 8), interpolation=cv2.INTER_LINEAR)
    path = tmp_path / "huge.jpg"
    assert cv2.imwrite(str(path), huge, [cv2.IMWRITE_JPEG_QUALITY, 80])
    window = make_window(source=str(IMAGE), pace="max")
    reference = _wait_results(qtbot, window, 1, lambda r: r.result.frame.shape[1] == 1000)
    ticks = Ticks()
    ticks.timer.start()
    window.open_source(str(path))
    result = _wait_results(qtbot, window, 1, lambda r: r.result.frame.shape[:2] == (5336, 8000))
    assert ticks.count >= 3  # the event loop ran while the huge image was decoded and processed
    ticks.timer.stop()
    view = window.video_view
    shown = view.image_item.image
    assert max(shown.shape[:2]) <= 2048 and shown.shape[2] == 3
    rect = view.image_item.mapRectToParent(view.image_item.boundingRect())
    assert (rect.width(), rect.height()) == (8000, 5336)  # stretched over the source pixels
    # Keypoints stay in source pixels: 8x those found on the small image (same crop logic).
    big = result.result.poses[0].keypoints
    ref = reference.result.poses[0].keypoints
    confident = (ref[:, 2] > 0.4) & (big[:, 2] > 0.4)
    assert confident.sum() >= 8
    assert np.abs(big[confident, :2] - 8 * ref[confident, :2]).max() < 0.03 * 8000
    points = view.overlay.points_item.getData()
    assert len(points[0]) and np.max(points[0]) > 1000  # drawn in the same (source) coordinates


def test_unreadable_settings_are_reset_with_a_note(qtbot, tmp_path):
    from movenet_studio.gui.app import configure_pyqtgraph
    from movenet_studio.gui.window.main_window import MainWindow
    from movenet_studio.gui.settings import SETTINGS_VERSION, StudioSettings

    configure_pyqtgraph()
    path = tmp_path / "settings.ini"
    path.write_bytes(b"[model\nthreads=\xff\xfe\x00" + bytes(range(256)))
    settings = StudioSettings(path)
    assert "could not be read" in settings.note and (tmp_path / "settings.ini.unreadable").is_file()
    window = MainWindow(settings, pace="max")
    qtbot.addWidget(window)
    window.show()
    window.start()
    try:
        assert any("could not be read" in r.message for r in window.reporter.history)
        assert "could not be read" in window.statusBar().currentMessage()
    finally:
        window.close()
    again = StudioSettings(path)
    assert again.note == "" and again.qsettings.value("meta/version") in (SETTINGS_VERSION, str(SETTINGS_VERSION))


@pytest.mark.parametrize("content, reset", [
    ("[meta]\nversion=0\n[model]\nthreads=7\n", True),      # an older schema: cleared
    ("[meta]\nversion=old\n[model]\nthreads=7\n", True),    # an unreadable version: cleared
    ("[model]\nthreads=7\n", False),                        # written before the version key: same keys
    ("[meta]\nversion=99\n[model]\nthreads=7\n", False),    # a newer app: read what we know
])
def test_settings_versions(tmp_path, content, reset):
    from movenet_studio.gui.settings import StudioSettings

    path = tmp_path / "s.ini"
    path.write_text(content)
    settings = StudioSettings(path)
    assert bool(settings.note) == reset and settings.threads == (2 if reset else 7)
    if reset:
        assert "older or unknown version" in settings.note


def test_help_menu_opens_the_log_folder(make_window, monkeypatch, tmp_path):
    from movenet_studio.gui.dialogs import log_folder

    monkeypatch.setenv("MOVENET_STUDIO_LOG_DIR", str(tmp_path / "logs"))
    opened = []
    monkeypatch.setattr(log_folder.QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    window = make_window()
    assert window.log_folder.action in window.help_menu.actions()
    window.log_folder.action.trigger()
    assert [Path(u.toLocalFile()) for u in opened] == [tmp_path / "logs"]
    assert (tmp_path / "logs").is_dir() and "Log folder" in window.statusBar().currentMessage()


def test_gui_run_configures_the_log_file(qapp, tmp_path, monkeypatch):
    """run() (as called without the CLI) sets up the log file, so engine and source failures
    of the window reach it."""
    from movenet_studio.gui.app import EXIT_FAILED, GuiOptions, run
    from movenet_studio.logs import LOGGER_NAME

    logger = logging.getLogger(LOGGER_NAME)
    saved = logger.handlers[:]
    for handler in saved:
        logger.removeHandler(handler)
    monkeypatch.setenv("MOVENET_STUDIO_LOG_DIR", str(tmp_path))
    try:
        code = run(GuiOptions(source=str(tmp_path / "missing.mp4"), exit_after_frames=1,
                              settings_path=tmp_path / "s.ini", pace="max"))
        assert code == EXIT_FAILED
        for handler in logger.handlers:
            handler.flush()
        assert "missing.mp4" in (tmp_path / "movenet-studio.log").read_text()
    finally:
        for handler in logger.handlers[:]:
            handler.close()
            logger.removeHandler(handler)
        for handler in saved:
            logger.addHandler(handler)


def test_exit_after_run_on_a_video_that_stops_decoding_fails_fast(qapp, tmp_path):
    """A scripted run (--exit-after-frames) ends with EXIT_FAILED when the file breaks midway,
    rather than waiting out the no-result timeout."""
    from movenet_studio.gui.app import EXIT_FAILED, GuiOptions, run

    bad = badinputs.truncated_avi(VIDEO, tmp_path)
    code = run(GuiOptions(source=str(bad.path), exit_after_frames=1000, settings_path=tmp_path / "s.ini",
                          pace="max", screenshot=tmp_path / "shot.png"))
    assert code == EXIT_FAILED and (tmp_path / "shot.png").stat().st_size > 0
