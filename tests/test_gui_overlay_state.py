"""A visualisation never changes what the model sees: head overlays and compare mode switched
on a paused frame keep its keypoints, scores and crop region, and reload nothing for A."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import GUI_WAIT_MS, data_file
from conftest import wait_results as _results
from movenet_studio.core.drawing.render import HEAD_LAYERS

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
    for _ in range(STEPS):  # the crop region now follows the dancer (not the first-frame square)
        window.player.step()
        _results(window)
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
