"""Save frame, Export video / keypoints from the window (background export), shortcuts (offscreen)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QMessageBox, QPushButton

from conftest import GUI_WAIT_MS, data_file, wait_progress
from media import video_frames
from movenet_studio.core.output.export import CSV_COLUMNS
from movenet_studio.core.drawing.render import render_overlays
from movenet_studio.core.drawing.overlay_options import DEFAULT_KEYPOINT_THRESHOLD
from movenet_studio.gui.window import export_actions
from movenet_studio.gui.window.export_actions import annotated_frame, export_config
from movenet_studio.gui.overlay_state import DEFAULT_THRESHOLD

WAIT_MS = GUI_WAIT_MS


def _wait_results(qtbot, window, n: int = 1) -> None:
    start = window.video_view.frames_shown
    qtbot.waitUntil(lambda: window.video_view.frames_shown >= start + n, timeout=WAIT_MS)


@pytest.fixture
def out_dir(tmp_path) -> Path:
    """An empty folder for outputs (tmp_path also holds the settings file)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def window_on(make_window, qtbot):
    """A window on `source`, after its first result."""

    def make(source, **kwargs):
        window = make_window(source=str(source), **kwargs)
        _wait_results(qtbot, window)
        return window

    return make


def _read_rgb(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None, path
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def test_one_threshold_constant_and_rule():
    from movenet_studio.core.decoding.pose import Pose
    from movenet_studio.gui.overlays.skeleton import skeleton_geometry

    assert DEFAULT_THRESHOLD == DEFAULT_KEYPOINT_THRESHOLD == 0.3
    # The window and the renderer draw a keypoint only when its score is above the threshold.
    kp = np.zeros((17, 3), np.float32)
    kp[:, :2] = 50
    kp[:, 2] = np.float32(0.5)
    kp[3, 2] = np.float32(0.5) + np.float32(1e-3)
    assert len(skeleton_geometry([Pose(kp, 0.5)], float(np.float32(0.5))).points) == 1


def test_save_frame_equals_the_core_renderer(window_on, out_dir):
    window = window_on(data_file("pose.jpg"))
    window.controls.display.slider.setValue(25)  # a non-default threshold must reach the file too
    result = window.video_view.last_result.result
    options = window.video_view.overlay_options()
    assert options.keypoint_threshold == pytest.approx(0.25) and options.skeleton and options.keypoints
    expected = render_overlays(result.frame, result, options)

    saved = window.exports.save_frame(out_dir / "frame.png")
    assert saved == out_dir / "frame.png"
    image = _read_rgb(saved)
    assert image.shape == result.frame.shape == (667, 1000, 3)  # source resolution
    assert np.array_equal(image, expected)                       # pixel for pixel
    assert not np.array_equal(image, result.frame)               # overlays were drawn

    window.exports.raw_beside_action.setChecked(True)
    both = _read_rgb(window.exports.save_frame(out_dir / "both.png"))
    assert both.shape == (667, 2000, 3)
    assert np.array_equal(both[:, :1000], result.frame) and np.array_equal(both[:, 1000:], expected)
    assert np.array_equal(annotated_frame(result, options, raw_beside=True), both)

    jpeg = _read_rgb(window.exports.save_frame(out_dir / "frame.jpg", raw_beside=False))
    assert jpeg.shape == result.frame.shape
    assert np.abs(jpeg.astype(int) - expected.astype(int)).mean() < 3  # lossy, but the same picture
    assert sorted(p.name for p in out_dir.iterdir()) == ["both.png", "frame.jpg", "frame.png"]


def test_save_frame_reports_a_bad_target(window_on, out_dir):
    window = window_on(data_file("pose.jpg"))
    assert window.exports.save_frame(out_dir / "frame.bmp") is None
    assert window.exports.save_frame("/sys/frame.png") is None
    assert window.reporter.last.serious and "/sys" in window.reporter.last.message
    assert list(out_dir.iterdir()) == []


def test_export_video_range_runs_in_background_while_playing(window_on, qtbot, out_dir):
    window = window_on(data_file("pose_1.mp4"))
    out = out_dir / "clip.mp4"
    shown_before = window.video_view.frames_shown
    with qtbot.waitSignal(window.exports.export_finished, timeout=WAIT_MS) as finished:
        task = window.exports.start_export("video", out, range(20, 30))
        assert task is not None and window.exports.busy
        assert window.exports.progress_dialog.isVisible() and not window.exports.progress_dialog.isModal()
        assert not window.exports.export_video_action.isEnabled()  # one export at a time
    outcome = finished.args[0]
    assert outcome.summary.frame_count == 10
    assert (outcome.summary.first_frame, outcome.summary.last_frame) == (20, 29)
    assert outcome.request.config == export_config(window.engine.config, window.video_view.overlay_options(), "video")
    assert out.is_file() and sum(1 for _ in video_frames(out)) == 10
    assert [p.name for p in out_dir.iterdir()] == ["clip.mp4"]   # no temporary file left
    qtbot.waitUntil(lambda: window.exports.progress_dialog is None and not window.exports.busy, timeout=WAIT_MS)
    assert window.exports.export_video_action.isEnabled()
    # Playback carried on during the export.
    _wait_results(qtbot, window)
    assert window.video_view.frames_shown > shown_before and window.player.is_playing
    assert "Exported 10 frames" in window.statusBar().currentMessage()


def test_export_keypoints_json_loads_in_pycocotools_and_csv(window_on, qtbot, out_dir):
    from pycocotools.coco import COCO

    window = window_on(data_file("pose_1.mp4"))
    for name in ("k.json", "k.csv"):
        with qtbot.waitSignal(window.exports.export_finished, timeout=WAIT_MS) as finished:
            window.exports.start_export("keypoints", out_dir / name, range(0, 3))
        assert finished.args[0].summary.frame_count == 3
        assert finished.args[0].request.config.heads is False
        qtbot.waitUntil(lambda: not window.exports.busy, timeout=WAIT_MS)
    records = json.loads((out_dir / "k.json").read_text())
    assert [r["image_id"] for r in records] == [0, 1, 2] and all(len(r["keypoints"]) == 51 for r in records)
    gt = COCO()
    gt.dataset = {"images": [{"id": i, "width": 576, "height": 576} for i in range(3)],
                  "annotations": [], "categories": [{"id": 1, "name": "person"}]}
    gt.createIndex()
    loaded = gt.loadRes(str(out_dir / "k.json"))
    assert len(loaded.getAnnIds()) == 3
    lines = (out_dir / "k.csv").read_text().splitlines()
    assert tuple(lines[0].split(",")) == CSV_COLUMNS and len(lines) == 1 + 3 * 17


def test_cancel_leaves_no_file(window_on, qtbot, out_dir):
    window = window_on(data_file("pose_1.mp4"))
    out = out_dir / "all.mp4"
    with qtbot.waitSignal(window.exports.export_cancelled, timeout=WAIT_MS):
        task = window.exports.start_export("video", out)
        wait_progress(qtbot, task.progress)
        assert "/120" in window.exports.progress_dialog.labelText()  # done/total · rate · ETA
        window.exports.progress_dialog.findChild(QPushButton).click()  # the dialog's Cancel button
    qtbot.waitUntil(lambda: not window.exports.busy and window.exports.progress_dialog is None, timeout=WAIT_MS)
    assert list(out_dir.iterdir()) == []
    assert "cancelled" in window.statusBar().currentMessage()
    assert not any(r.serious for r in window.reporter.history)


def test_closing_the_window_cancels_a_running_export(window_on, qtbot, out_dir):
    window = window_on(data_file("pose_1.mp4"))
    task = window.exports.start_export("video", out_dir / "all.mp4")
    wait_progress(qtbot, task.progress)
    window.close()  # joins the export thread (the fixture's thread guard checks it)
    assert not task.is_running and task.outcome == "cancelled"
    assert list(out_dir.iterdir()) == []


def test_unwritable_target_shows_an_error_and_window_stays_responsive(window_on, qtbot):
    window = window_on(data_file("pose_1.mp4"))
    with qtbot.waitSignal(window.exports.export_failed, timeout=WAIT_MS) as failed:
        window.exports.start_export("video", Path("/sys/movenet_export.mp4"))
    assert "/sys" in failed.args[0] and "cannot write" in failed.args[0]
    assert window.reporter.last.serious and window.reporter.dialog.isVisible()
    assert not window.reporter.dialog.isModal()
    assert not Path("/sys/movenet_export.mp4").exists()
    qtbot.waitUntil(lambda: not window.exports.busy, timeout=WAIT_MS)
    _wait_results(qtbot, window, 3)  # still playing and drawing
    assert window.exports.export_video_action.isEnabled()


def test_existing_target_asks_before_overwriting(window_on, qtbot, out_dir, monkeypatch):
    window = window_on(data_file("pose.jpg"))
    out = out_dir / "exists.mp4"
    out.write_bytes(b"keep me")
    answers = []
    monkeypatch.setattr(export_actions.ExportDialog, "exec", lambda self: (
        self.path_edit.setText(str(out)), QDialog.DialogCode.Accepted)[1])
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: answers.pop(0))
    answers.append(QMessageBox.StandardButton.No)
    window.exports.open_video_dialog()
    assert window.exports.task is None and out.read_bytes() == b"keep me"
    answers.append(QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(window.exports.export_finished, timeout=WAIT_MS):
        window.exports.open_video_dialog()
    assert sum(1 for _ in video_frames(out)) == 1


def test_shortcuts_and_help_dialog(window_on, qtbot):
    window = window_on(data_file("pose.jpg"))
    assert window.exports.save_frame_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Save)
    assert QKeySequence("Space") in window.play_action.shortcuts()
    window.show_shortcuts()
    dialog = window._shortcuts_dialog
    assert dialog.isVisible() and not dialog.isModal()
    rows = {action: keys for _menu, action, keys in dialog.rows()}
    assert rows["Save frame"] == QKeySequence(QKeySequence.StandardKey.Save).toString(
        QKeySequence.SequenceFormat.NativeText)
    assert rows["Play / Pause"] == "Space"
    assert "Export video" in rows and "Keyboard shortcuts" in rows
    help_texts = [a.text() for a in window.help_menu.actions()]
    assert "&Keyboard shortcuts" in help_texts


def test_export_with_heatmaps_reads_heads_in_its_own_pipeline(window_on, qtbot, out_dir):
    window = window_on(data_file("pose_1.mp4"), overlays="skeleton,heatmaps")
    assert window.video_view.overlay_options().heatmaps
    out = out_dir / "heat.mp4"
    with qtbot.waitSignal(window.exports.export_finished, timeout=WAIT_MS) as finished:
        window.exports.start_export("video", out, range(0, 3))
    request = finished.args[0].request
    assert request.options.heatmaps and request.config.heads
    assert sum(1 for _ in video_frames(out)) == 3
