"""Hostile inputs of issue 14 through the real window (offscreen): a FIFO, a bomb, a camera
index OpenCV would crash on and a name with control characters each get one escaped message
and leave the window usable; unknown stored settings fall back to defaults with a note; a
model file picks its runtime by format; SIGTERM closes the window with 128 + the signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

import badinputs
from conftest import GUI_WAIT_MS, DATA_DIR, PROJECT_ROOT
from movenet_studio.core.models.catalog import bundled_model
from movenet_studio.gui.engine import EngineState

VIDEO = DATA_DIR / "pose_1.mp4"
WAIT_MS = GUI_WAIT_MS

pytestmark = pytest.mark.skipif(not VIDEO.is_file(), reason=f"test media not found in {DATA_DIR}")


def _serious(window, text: str) -> list[str]:
    return [r.message for r in window.reporter.history if r.serious and text in r.message]


def test_hostile_sources_are_one_escaped_message_each(make_window, qtbot, tmp_path):
    window = make_window(source=str(VIDEO))
    qtbot.waitUntil(lambda: window.video_view.last_result is not None, timeout=WAIT_MS)
    cases = {
        str(badinputs.fifo(tmp_path / "pipe.mp4")): "named pipe",
        str(badinputs.png_bomb(tmp_path / "bomb.png")): "megapixel limit",
        "camera:-1": "camera index must be",
        "camera:99999999999999999999": "camera index must be",
        str(tmp_path / "evil\nname\x1b[2J.mp4"): "evil\\nname\\x1b[2J.mp4",
    }
    for spec, expected in cases.items():
        window.open_source(spec)
        qtbot.waitUntil(lambda: bool(_serious(window, expected)), timeout=WAIT_MS)
        (message,) = _serious(window, expected)
        assert "\n" not in message and "\x1b" not in message and "Traceback" not in message
        assert window.engine.state == EngineState.RUNNING
    shown = window.video_view.frames_shown
    window.open_source(str(VIDEO))
    qtbot.waitUntil(lambda: window.video_view.frames_shown > shown + 2, timeout=WAIT_MS)


def test_unknown_stored_settings_fall_back_with_a_note(make_window, gui_settings, qtbot):
    gui_settings.qsettings.setValue("model/backend", "quantum")
    gui_settings.qsettings.setValue("pipeline/tracker", "telepathy")
    gui_settings.qsettings.sync()
    from movenet_studio.gui.settings import StudioSettings

    settings = StudioSettings(gui_settings.qsettings.fileName())
    assert "backend=quantum" in settings.note and "tracker=telepathy" in settings.note
    assert settings.backend == "tflite" and settings.tracker == "boxes"


def test_a_settings_file_that_is_a_fifo_is_never_opened(tmp_path):
    from movenet_studio.gui.settings import StudioSettings

    path = badinputs.fifo(tmp_path / "settings.ini")
    settings = StudioSettings(path)  # QSettings would block reading it
    assert "named pipe" in settings.note and settings.backend == "tflite"
    settings.threads = 3
    settings.sync()
    assert path.is_fifo()


def test_a_model_file_picks_its_backend_in_the_window(make_window, qtbot):
    onnx_file = bundled_model("lightning-float16", "onnx").path
    window = make_window(source=str(VIDEO), model=str(onnx_file))
    qtbot.waitUntil(lambda: window.engine.model is not None, timeout=WAIT_MS)
    assert window.engine.config.backend == "onnx" and window.engine.model.spec.format == "onnx"
    assert not [r for r in window.reporter.history if r.serious]


def test_sigterm_closes_the_window_with_128_plus_the_signal(tmp_path):
    stats = tmp_path / "stats.json"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "MOVENET_STUDIO_LOG_DIR": str(tmp_path / "log"),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    proc = subprocess.Popen([sys.executable, "-m", "movenet_studio.cli", "gui", str(VIDEO), "--loop",
                             "--pace", "max", "--stats-json", str(stats)],
                            cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:  # LiteRT's delegate line: the model is loaded, the window runs
            if "XNNPACK" in line:
                break
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err and "interrupted (SIGTERM)" in err


def test_a_deleted_last_source_is_named_on_the_next_start(make_window, gui_settings, tmp_path, qtbot):
    """Issue 25: the last source deleted since the previous session is not dropped without a word."""
    gone = tmp_path / "deleted since.mp4"
    gui_settings.last_source = str(gone)
    window = make_window(sample=False)
    notes = [r.message for r in window.reporter.history if "no longer exists" in r.message]
    assert len(notes) == 1 and "deleted since.mp4" in notes[0], window.reporter.history
