"""Shared fixtures: where the test media are, offscreen Qt, and a guard against leaked threads."""

from __future__ import annotations

import gc
import os
import threading
from pathlib import Path

import pytest

# Qt must be offscreen before any QApplication exists; pytest-qt creates it lazily.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT.parent / "shared" / "data"
SAMPLES_DIR = PROJECT_ROOT / "resources" / "samples"


def data_file(name: str) -> Path:
    """Path of a test medium: a bundled sample (resources/samples: pose_1.mp4, pose_squats.mp4,
    pose.jpg) or a file or folder of ../shared/data; skips the test when it is absent (fails
    under MOVENET_STUDIO_REQUIRE_MEDIA=1, see tests/media.py)."""
    from media import media_path

    return media_path(name)


@pytest.fixture(scope="session", autouse=True)
def private_log_dir(tmp_path_factory):
    """Logs of the tests (and of the CLI subprocesses they start) go to a temporary folder."""
    os.environ["MOVENET_STUDIO_LOG_DIR"] = str(tmp_path_factory.mktemp("logs"))
    yield


@pytest.fixture
def data_dir() -> Path:
    """../shared/data (skips when absent)."""
    return data_file("")


@pytest.fixture(autouse=True)
def no_leaked_threads():
    """Fail a test that leaves a new non-daemon thread running."""
    before = set(threading.enumerate())
    yield
    # The test's closed windows sit in reference cycles (pyqtgraph items, menus): collect them
    # now, in the GUI thread. Left to the automatic collector they are destroyed in whichever
    # thread allocates next, e.g. a later test's engine thread; seen in the full suite: a deadlock
    # (~QObject in the engine thread waiting for the GIL, the GUI thread holding the GIL while
    # waiting for the same Qt mutex in Shiboken's runDeletionInMainThread).
    gc.collect()
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon]
    for thread in leaked:
        thread.join(timeout=2.0)
    leaked = [t.name for t in leaked if t.is_alive()]
    assert not leaked, f"test left threads running: {leaked}"


# --- loaded pipelines (core tests) --------------------------------------------------------


@pytest.fixture(scope="session")
def loaded_pipeline():
    """Factory: ``loaded_pipeline(**PipelineConfig fields)`` -> a :class:`Pipeline` of that
    configuration, loaded once per test session (per xdist worker) and reset on every call.

    Every call forgets the per-source state (crop region, One Euro filters, MultiPose tracks,
    as :meth:`Pipeline.reset`), so a test (or each frame of a test) starts as a new pipeline
    would. A pipeline whose configuration was changed (``set_heads``, ``set_one_euro``) or that
    got a classifier is loaded again. Do not close it; tests that need two pipelines of one
    configuration at once, or that patch how backends are made, build their own.
    """
    from movenet_studio.core.pipeline import Pipeline
    from movenet_studio.core.pipeline_config import PipelineConfig

    cache: dict = {}

    def get(**fields):
        config = PipelineConfig(**fields)
        pipeline = cache.get(config)
        if pipeline is not None and (pipeline.config != config or pipeline.classifier is not None):
            pipeline.close()
            pipeline = None
        if pipeline is None:
            pipeline = cache[config] = Pipeline(config)
        pipeline.reset()
        return pipeline

    yield get
    for pipeline in cache.values():
        pipeline.close()


# --- GUI fixtures (tests/test_gui_*.py) -------------------------------------------------


@pytest.fixture
def gui_settings(tmp_path):
    """Typed GUI settings backed by an ini file in tmp_path (never the user's settings)."""
    from movenet_studio.gui.settings import StudioSettings

    return StudioSettings(tmp_path / "settings.ini")


@pytest.fixture
def make_window(qtbot, gui_settings):
    """Factory for started MainWindows: make_window(source=None, sample=False, **MainWindow kwargs).

    With no source the window stays empty unless `sample` is True (then it opens the bundled
    sample as a first start does).

    Every window made is closed at teardown and its reader and worker threads must have
    ended (the autouse thread guard checks that no thread is left behind).
    """
    from movenet_studio.gui.app import configure_pyqtgraph
    from movenet_studio.gui.window.main_window import MainWindow

    configure_pyqtgraph()
    windows = []

    def make(source=None, sample=False, **kwargs):
        kwargs.setdefault("pace", "max")
        window = MainWindow(gui_settings, **kwargs)
        qtbot.addWidget(window)
        windows.append(window)
        window.show()
        window.start(source, sample=sample)
        return window

    yield make
    for window in windows:
        window.close()
        assert not window.player.is_alive and not window.engine.is_alive


# --- waiting for the window (tests/test_gui_*.py) -----------------------------------------

#: How long GUI tests wait for a result, signal or state (every tests/test_gui_*.py uses this one
#: value). Generous: on a shared 2-core machine under load (load average 10-17 measured) a model
#: switch plus the first result took over 30 s. A wait ends as soon as its condition holds, so
#: this only lengthens a failing test.
GUI_WAIT_MS = 120_000


def wait_progress(qtbot, signal) -> None:
    """Wait until a background task's `signal` (emitted from its worker thread) has fired once.

    Not ``qtbot.waitSignal(signal).wait()``: a progress signal is emitted many times from
    another thread, so more queued calls can still be pending when that blocker has been
    disconnected and freed, and PySide then calls a bound method of a freed object (the
    suite died with a segfault, or an AttributeError on a half-destroyed SignalBlocker,
    inside pytest-qt's ``_quit_loop_by_signal``). A lambda is kept alive by its connection.
    """
    seen: list[tuple] = []
    signal.connect(lambda *args: seen.append(args))
    qtbot.waitUntil(lambda: bool(seen), timeout=GUI_WAIT_MS)


def wait_results(window, n: int = 1) -> None:
    """Wait until `n` more results have been drawn by `window` (made by :func:`window_on`)."""
    start = window.video_view.frames_shown
    window.qtbot.waitUntil(lambda: window.video_view.frames_shown >= start + n, timeout=GUI_WAIT_MS)


def wait_settled(window) -> int:
    """Wait until `window` (paused, made by :func:`window_on`) shows the result of the last frame
    its player handed to the engine (results of frames submitted before the pause may still be in
    flight when the player says it stopped); returns that frame's index."""
    def shown():
        last = window.video_view.last_result
        return last is not None and last.result.index == window.player.position
    window.qtbot.waitUntil(shown, timeout=GUI_WAIT_MS)
    return window.player.position


@pytest.fixture
def window_on(make_window, qtbot):
    """Factory: a started window on a source, returned once its first result is drawn."""

    def make(source, **kwargs):
        window = make_window(source=str(source), **kwargs)
        window.qtbot = qtbot
        wait_results(window)
        return window

    return make
