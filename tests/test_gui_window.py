"""The real MainWindow on the bundled models and the shared test media (offscreen)."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from badinputs import tiny_non_movenet_tflite
from conftest import SAMPLES_DIR as DATA
from conftest import GUI_WAIT_MS as WAIT_MS
from conftest import wait_results as _results
from movenet_studio.core.decoding.keypoints import SKELETON_EDGES
from movenet_studio.core.models.catalog import bundled_model
from movenet_studio.gui.engine import EngineState

VIDEO = DATA / "pose_1.mp4"
IMAGE = DATA / "pose.jpg"

pytestmark = pytest.mark.skipif(not VIDEO.is_file() or not IMAGE.is_file(),
                                reason=f"test media not found in {DATA}")




def test_video_opens_and_results_arrive(window_on):
    window = window_on(VIDEO)
    _results(window, 5)
    result = window.video_view.last_result
    assert result.result.frame.shape == (576, 576, 3)
    assert result.model.spec.key == "lightning-float16"
    assert window.engine.state == EngineState.RUNNING
    assert "pose_1.mp4" in window.windowTitle() and "Lightning" in window.windowTitle()
    assert window.controls.source.slider.maximum() == 119 and window.controls.source.slider.isEnabled()
    assert not window.video_view.showing_hint
    assert not any(r.serious for r in window.reporter.history)


def test_latency_panel_fills(window_on):
    window = window_on(VIDEO)
    _results(window, 10)
    panel = window.latency_panel
    window.qtbot.waitUntil(lambda: panel.results >= 10 and "total" in panel.stage_rows(), timeout=WAIT_MS)
    panel.refresh()  # the panel's widgets refresh at most every 100 ms
    rows = panel.stage_rows()
    for stage in ("read", "preprocess", "inference", "postprocess", "total"):
        assert stage in rows, rows
        assert all(text not in ("", "–") for text in rows[stage]), rows[stage]
    assert list(rows)[-1] == "total"
    assert set(rows) >= set(window.video_view.last_result.result.timings_ms)
    assert np.isfinite(panel.fps) and panel.fps > 0
    x, y = panel.curves["inference"].getData()
    assert len(x) >= 10 and np.all(y[np.isfinite(y)] > 0)
    assert x[-1] == 0 and np.array_equal(np.diff(x), np.ones(len(x) - 1))  # frames ago, newest at 0
    assert np.nanmax(y) <= panel.y_top  # fixed y range, above the plotted peak
    assert panel.dropped_label.text() != ""


def test_threshold_slider_hides_low_score_keypoints(window_on):
    window = window_on(IMAGE)
    view, slider = window.video_view, window.controls.display.slider
    pose = view.last_result.result.poses[0]
    scores = pose.scores
    slider.setValue(0)
    assert view.overlay.visible_keypoints == 17
    assert view.overlay.visible_edges == len(SKELETON_EDGES)
    cut = float(np.sort(scores)[8])  # hide about half of them
    slider.setValue(int(np.ceil(cut * 100)))
    threshold = slider.value() / 100
    assert view.overlay.threshold == pytest.approx(threshold)
    assert view.overlay.visible_keypoints == int((scores > threshold).sum())
    assert 0 < view.overlay.visible_keypoints < 17
    keypoints = window.controls.keypoints
    keypoints.refresh()
    assert f"{view.overlay.visible_keypoints}/17" in keypoints.summary.text()
    visible = scores > threshold
    assert view.overlay.visible_edges == sum(bool(visible[a] and visible[b]) for a, b in SKELETON_EDGES)
    slider.setValue(100)
    assert view.overlay.visible_keypoints == int((scores > 1.0).sum()) == 0
    assert view.overlay.visible_edges == 0
    assert all(len(item.getData()[0]) == 0 for item in view.overlay.edge_items)


def test_live_model_switch_lightning_to_thunder(window_on, qtbot):
    window = window_on(VIDEO)
    combo = window.controls.model.combo
    index = combo.findData("thunder-float16")
    assert index >= 0
    with qtbot.waitSignal(window.engine.model_changed, timeout=WAIT_MS) as changed:
        combo.setCurrentIndex(index)
        combo.activated.emit(index)  # what a user's pick emits
    assert changed.args[0].spec.key == "thunder-float16"
    # The next results come from Thunder (the last frame is rerun at once, even when paused).
    qtbot.waitUntil(lambda: window.video_view.last_result.model.spec.key == "thunder-float16", timeout=WAIT_MS)
    result = window.video_view.last_result
    assert result.result.model_key == "thunder-float16"
    assert result.result.model_input.shape[:2] == (256, 256)
    assert "Thunder" in window.windowTitle()
    assert combo.currentData() == "thunder-float16"
    assert not window.reporter.history, window.reporter.history
    assert window.engine.state == EngineState.RUNNING


def _bad_input(kind: str, tmp_path: Path) -> tuple[str, str]:
    """(path or spec to open, text the message must contain)."""
    if kind == "missing":
        return str(tmp_path / "nope.mp4"), "nope.mp4"
    if kind == "corrupt_video":
        path = tmp_path / "corrupt.mp4"
        path.write_bytes(VIDEO.read_bytes()[: 30_000])  # header and part of the frames, no index
        return str(path), "corrupt.mp4"
    if kind == "text_as_png":
        path = tmp_path / "x.png"
        path.write_text("this is not an image\n")
        return str(path), "x.png"
    if kind == "random_tflite":
        path = tmp_path / "random.tflite"
        path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
        return str(path), "random.tflite"
    if kind == "non_movenet_tflite":
        return str(tiny_non_movenet_tflite(tmp_path / "adder.tflite")), "not a MoveNet model"
    if kind == "camera_99":
        return "camera:99", "camera 99"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["missing", "corrupt_video", "text_as_png", "random_tflite",
                                  "non_movenet_tflite", "camera_99"])
def test_bad_input_shows_a_message_and_window_stays_usable(window_on, qtbot, tmp_path, kind):
    window = window_on(VIDEO)
    spec, expected = _bad_input(kind, tmp_path)
    with qtbot.waitSignal(window.reporter.reported, timeout=WAIT_MS) as blocker:
        if kind == "camera_99":
            window.controls.source.camera_spin.setValue(99)
            window.controls.source.open_camera_button.click()
        else:
            window.open_path(spec)
    message, _details, serious = blocker.args
    assert expected in message and serious
    assert window.reporter.dialog is not None and window.reporter.dialog.isVisible()
    assert not window.reporter.dialog.isModal()
    # Still usable: the previous source and model carry on; stepping and seeking show frames.
    assert window.engine.state == EngineState.RUNNING and window.player.info.name == "pose_1.mp4"
    window.player.pause()  # so the seek's result is the only one (none coalesced behind it)
    with qtbot.waitSignal(window.engine.result_ready, timeout=WAIT_MS,
                          check_params_cb=lambda r: r.result.index == 60) as seek:
        window.controls.source.slider.setValue(60)
    assert seek.args[0].model.spec.key == "lightning-float16"
    # ...and a good source opens afterwards.
    with qtbot.waitSignal(window.engine.result_ready, timeout=WAIT_MS,
                          check_params_cb=lambda r: r.result.frame.shape[:2] == (667, 1000)):
        window.open_path(str(IMAGE))
    assert window.player.info.name == "pose.jpg"


def test_drop_files_switches_source_and_model(window_on, qtbot):
    window = window_on(IMAGE)
    model = bundled_model("thunder-int8").path
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(VIDEO)), QUrl.fromLocalFile(str(model))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignals([window.player.opened, window.engine.model_changed], timeout=WAIT_MS):
        window.dropEvent(event)
    qtbot.waitUntil(lambda: window.video_view.last_result.model.spec.key == "thunder-int8", timeout=WAIT_MS)
    assert window.player.info.name == "pose_1.mp4"


def test_transport_shortcuts(window_on, qtbot):
    window = window_on(VIDEO, pace="realtime")
    shortcuts = {a.text(): [s.toString() for s in a.shortcuts()] for a in window.actions()}
    assert shortcuts["&Open…"] == ["Ctrl+O"] and shortcuts["&Quit"] == ["Ctrl+Q"]
    assert shortcuts["&Play / Pause"] == ["Space"] and shortcuts["&Step"] == ["Right", "."]
    assert shortcuts["&Loop"] == ["L"]
    qtbot.waitUntil(lambda: window.player.is_playing, timeout=WAIT_MS)
    with qtbot.waitSignal(window.player.playing_changed, timeout=WAIT_MS,
                          check_params_cb=lambda playing: not playing):
        window.play_action.trigger()
    # Frames read before the pause may still be in flight: a seek starts a new generation
    # (discarding them) at a known frame, from which each step shows the next one.
    def shown(index: int) -> None:
        qtbot.waitUntil(lambda: window.video_view.last_result.result.index == index, timeout=WAIT_MS)

    window.player.seek(10)
    shown(10)
    window.step_action.trigger()
    shown(11)
    window.step_action.trigger()
    shown(12)
    assert not window.player.is_playing
    assert not window.player.loop
    window.loop_action.trigger()
    assert window.player.loop and window.controls.source.loop_check.isChecked()


def test_close_stops_worker_and_reader_and_saves_settings(window_on, gui_settings):
    window = window_on(VIDEO)
    window.controls.display.slider.setValue(42)
    names = {t.name for t in threading.enumerate()}
    assert {"movenet-engine", "movenet-reader"} <= names
    assert window.close()
    assert not window.engine.is_alive and not window.player.is_alive
    assert not [t for t in threading.enumerate() if t.name.startswith("movenet-") and t.is_alive()]
    assert window.engine.state == EngineState.STOPPED
    assert gui_settings.threshold == pytest.approx(0.42)
    assert gui_settings.last_source == str(VIDEO)
    assert gui_settings.model == "lightning-float16"


def test_empty_window_shows_hint_then_reopens_last_source(make_window, gui_settings, qtbot):
    window = make_window()
    assert window.video_view.showing_hint
    assert "Ctrl+O" in window.video_view.hint.text()
    window.close()
    gui_settings.last_source = str(IMAGE)
    again = make_window()
    qtbot.waitUntil(lambda: again.video_view.frames_shown >= 1, timeout=WAIT_MS)
    assert again.player.info.name == "pose.jpg"


def test_single_image_keeps_producing_results_when_looped(window_on, qtbot):
    """A one-frame source looped at max pace: each wrap resets the pipeline without making
    the results in flight stale (it used to discard every result and spin)."""
    window = window_on(IMAGE, pace="max")
    window.player.set_loop(True)
    window.player.play()
    seen = []
    window.engine.result_ready.connect(seen.append)
    qtbot.waitUntil(lambda: len(seen) >= 5, timeout=WAIT_MS)
    assert all(r.result.index == 0 for r in seen)


def test_saved_model_file_that_is_gone_falls_back_to_the_default(make_window, gui_settings, tmp_path, qtbot):
    gui_settings.model = str(tmp_path / "deleted.tflite")
    window = make_window(None)
    qtbot.waitUntil(lambda: window.engine.model is not None, timeout=WAIT_MS)
    assert window.engine.model.config.model == "lightning"
    assert any("no longer exists" in r.message for r in window.reporter.history)
