"""A visualisation never changes what the model sees: head overlays and compare mode switched
on a paused frame keep its keypoints, scores and crop region, and reload nothing for A."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import GUI_WAIT_MS, data_file, wait_settled
from conftest import wait_results as _results
from movenet_studio.core.drawing.overlay_options import HEAD_LAYERS

STEPS = 12  # frames stepped through with the crop tracker and the filters running


def _shown(window):
    result = window.video_view.last_result.result
    pose = result.poses[0]
    crop = None if result.crop_region is None else result.crop_region.as_tuple()
    return result.index, pose.keypoints.copy(), pose.score, crop


def _same(before, after):
    assert after[0] == before[0]
    np.testing.assert_array_equal(after[1], before[1])
    assert after[2] == before[2]
    assert after[3] == before[3] and before[3] is not None


@pytest.fixture
def paused_window(make_window, qtbot):
    window = make_window(source=str(data_file("pose_1.mp4")), model="lightning", overlays="skeleton")
    window.qtbot = qtbot
    _results(window)
    window.player.pause()
    qtbot.waitUntil(lambda: not window.player.is_playing, timeout=GUI_WAIT_MS)
    index = wait_settled(window)
    for _ in range(STEPS):  # the crop region now follows the dancer (not the first-frame square)
        window.player.step()
        index += 1
        qtbot.waitUntil(lambda: window.video_view.last_result.result.index == index, timeout=GUI_WAIT_MS)
    return window


def test_overlays_and_compare_on_a_paused_frame_change_nothing(paused_window):
    window, engine = paused_window, paused_window.engine
    before, generation, loaded = _shown(window), engine.generation, engine.model
    assert window.video_view.last_result.result.heads is None
    for name in HEAD_LAYERS:
        window.overlay_controls.set_layer(name, True)
        _results(window)
        assert window.video_view.last_result.result.heads is not None, name
        _same(before, _shown(window))
        window.overlay_controls.set_layer(name, False)
        _results(window)
        assert window.video_view.last_result.result.heads is None
        _same(before, _shown(window))
    window.compare.start("lightning-int8")
    _results(window)
    assert window.video_view.last_result.compare is not None
    _same(before, _shown(window))
    window.overlay_controls.set_layer("heatmaps", True)  # heads while comparing
    _results(window)
    assert window.video_view.last_result.result.heads is not None
    _same(before, _shown(window))
    window.compare.stop()
    _results(window)
    assert window.video_view.last_result.compare is None
    _same(before, _shown(window))
    # Nothing was reloaded for A and no new generation started (no reset of the tracker).
    assert engine.generation == generation
    assert engine.model.kept and engine.model.load_ms == loaded.load_ms
    assert not any("loaded in" in r.message for r in window.reporter.history)
    # Playing on from here continues the same track: the next frame follows this one.
    window.player.step()
    _results(window)
    assert window.video_view.last_result.result.index == before[0] + 1
    assert window.video_view.last_result.result.heads is not None


def test_runtime_and_model_switches_on_a_paused_frame_rerun_its_own_input(paused_window):
    """Issue 25: TFLite -> ONNX Runtime on a paused frame keeps the crop region and the pose
    (the runtimes agree to ~1e-7 on one input); switching crop tracking on after a letterboxed
    frame says on the video that the crop tracker restarted."""
    window = paused_window
    before = _shown(window)
    window._backend_requested("onnx", None)
    window.qtbot.waitUntil(lambda: window.video_view.last_result.model.config.backend == "onnx", timeout=GUI_WAIT_MS)
    after = _shown(window)
    assert after[0] == before[0] and after[3] == before[3]
    assert np.abs(after[1][:, :2] - before[1][:, :2]).max() < 0.01 and abs(after[2] - before[2]) < 1e-4
    assert window.video_note.isHidden()
    window.engine.update_config(crop=False)
    window.qtbot.waitUntil(lambda: window.video_view.last_result.result.crop_region is None, timeout=GUI_WAIT_MS)
    window.player.step()  # a frame letterboxed: no crop region to carry to the next switch
    window.qtbot.waitUntil(lambda: window.video_view.last_result.result.index == before[0] + 1, timeout=GUI_WAIT_MS)
    window.engine.update_config(crop=True)
    window.qtbot.waitUntil(lambda: window.video_view.last_result.result.crop_region is not None, timeout=GUI_WAIT_MS)
    window.qtbot.waitUntil(lambda: not window.video_note.isHidden(), timeout=GUI_WAIT_MS)
    assert "Crop tracker restarted" in window.video_note.text()
