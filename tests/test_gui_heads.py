"""'See inside the model' in the real window: head overlays, heads panel, hover readout (offscreen)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication

from badinputs import headless_movenet_onnx
from conftest import GUI_WAIT_MS, data_file
from conftest import wait_results as _results
from movenet_studio.core.drawing.colormaps import colormap_rgba_lut
from movenet_studio.core.decoding.heads import heatmap_rect_in_frame
from movenet_studio.core.drawing.overlay_options import DEFAULT_HEATMAP_OPACITY, OverlayOptions
from movenet_studio.core.drawing.render import render_overlays
from movenet_studio.gui.app import EXIT_BAD_OPTIONS, EXIT_OK, GuiOptions, run
from movenet_studio.gui.overlays.head_overlays import heads_cell_at, heads_readout_at
from movenet_studio.gui.controls.overlay_controls import DECODE_LAYERS, MULTIPOSE_TIP, OverlayControls
from movenet_studio.gui.overlay_state import overlay_names, parse_overlays
from movenet_studio.gui.settings import StudioSettings
from movenet_studio.gui.video_view import heatmap_options

WAIT_MS = GUI_WAIT_MS


def _wait_heads(window, on: bool = True, n: int = 2) -> None:
    """Wait until results with (or without) heads arrive, then `n` more."""
    window.qtbot.waitUntil(lambda: (window.video_view.last_result is not None
                                    and (window.video_view.last_result.result.heads is not None) == on),
                           timeout=WAIT_MS)
    _results(window, n)



# --------------------------------------------------------------------------- units

def test_parse_overlays_and_names():
    options = parse_overlays("skeleton,heatmaps,centre,offsets,regression,decode,crop")
    assert options.skeleton and options.keypoints and options.heatmaps and options.centre and options.crop
    assert options.offsets and options.regression and options.decode
    assert overlay_names(options) == "skeleton,heatmaps,centre,crop,regression,offsets,decode"
    only = parse_overlays("heatmaps")
    assert not only.skeleton and not only.keypoints and only.heatmaps and not only.crop
    assert parse_overlays("keypoints").skeleton  # the window draws dots with the skeleton
    assert parse_overlays("center").centre
    with pytest.raises(ValueError, match="unknown overlay"):
        parse_overlays("skeleton,bogus")


def test_controls_emit_options_and_disable_decode_for_multipose(qtbot):
    controls = OverlayControls(parse_overlays("skeleton,decode,regression"))
    qtbot.addWidget(controls)
    assert controls.options.needs_heads and controls.options.decode
    with qtbot.waitSignal(controls.options_changed) as blocker:
        controls.set_multipose(True)
    options = blocker.args[0]
    assert not (options.decode or options.regression or options.offsets) and not controls.options.needs_heads
    for name in DECODE_LAYERS:
        assert not controls.checks[name].isEnabled() and controls.checks[name].toolTip() == MULTIPOSE_TIP
    assert controls.checked.decode  # still remembered as chosen
    controls.set_multipose(False)
    assert controls.options.decode and controls.checks["decode"].toolTip() != MULTIPOSE_TIP
    controls.select_keypoint(9)
    assert controls.options.heatmap_keypoint == 9 and controls.options.heatmaps


# --------------------------------------------------------------------------- the real window

def test_each_head_overlay_toggles_live_while_playing(window_on):
    window = window_on(data_file("pose_1.mp4"), loop=True)  # (still playing after the fifth toggle)
    controls, heads = window.overlay_controls, window.video_view.heads
    assert not window.engine.config.heads and not window.heads_dock.isVisible()
    for name in ("heatmaps", "centre", "offsets", "regression", "decode"):
        controls.set_layer(name, True)
        assert window.engine.config.heads  # one config path: the engine rebuilds with heads
        _wait_heads(window, True)
        assert window.engine.model.config.heads and window.engine.model.heads_available
        assert heads.visible_layers() == (name,), (name, heads.visible_layers())
        assert window.heads_dock.isVisible()
        assert getattr(window.video_view.overlay_options(), name)  # exports draw what the screen shows
        controls.set_layer(name, False)
    # All head layers off: back to a heads-off pipeline, results keep coming without heads.
    assert not window.engine.config.heads
    _wait_heads(window, False)
    assert heads.visible_layers() == () and not window.heads_dock.isVisible()
    assert window.engine.model.config.crop and window.engine.model.config.smoothing  # other settings kept
    assert not any(r.serious for r in window.reporter.history)


def test_the_heads_dock_open_reads_the_heads_without_a_head_layer(window_on):
    """Inspect heads (or View > Heads) with no head layer on: the tiles fill; tabbed behind
    another dock they keep coming; closed, the pipeline runs without heads again."""
    window = window_on(data_file("pose_1.mp4"), loop=True)
    assert not window.engine.config.heads and not window.heads_dock.isVisible()
    window.apply_layout("heads")
    assert not window.overlay_controls.options.needs_heads and window.engine.config.heads
    _wait_heads(window, True)
    window.heads_panel.refresh()
    assert ": heads 48×48, frame " in window.heads_panel.status.text()
    window.model_input_dock.raise_()  # the same tab group in some layouts: hidden behind, still open
    QApplication.processEvents()
    assert window.engine.config.heads
    window.heads_dock.close()
    assert not window.engine.config.heads
    _wait_heads(window, False)
    window.heads_dock.toggleViewAction().trigger()  # View > Heads
    assert window.heads_dock.isVisible() and window.engine.config.heads
    _wait_heads(window, True)
    assert not any(r.serious for r in window.reporter.history)


def _shows_the_export_rendering(view) -> bool:
    """The frame on screen is the export renderer's drawing of the result on screen's heatmap
    layers (composed off the GUI thread; None of them on: the plain frame)."""
    result = view.last_result.result
    options = heatmap_options(view.overlay_options())
    expected = result.frame if options is None else render_overlays(result.frame, result, options)
    return view.image_item.image is not None and np.array_equal(view.image_item.image, expected)


def test_heatmaps_are_composed_into_the_frame_by_the_export_renderer(window_on):
    window = window_on(data_file("pose_1.mp4"), overlays="skeleton,heatmaps,centre")
    _wait_heads(window, True)
    window.player.pause()
    view = window.video_view
    window.qtbot.waitUntil(lambda: _shows_the_export_rendering(view), timeout=WAIT_MS)
    result = view.last_result.result
    assert not np.array_equal(view.image_item.image, result.frame)  # the heatmaps are drawn
    assert view.heads.visible_layers() == ("heatmaps", "centre")
    sh, sw = result.heads.shape
    expected = heatmap_rect_in_frame(result.mapping, (sh, sw))
    np.testing.assert_allclose(view.heads.heatmap_rect(), expected, rtol=0, atol=1e-6)
    # Cell (i, j) of the drawn image covers the frame rectangle heatmap_rect_in_frame promises.
    x, y, w, h = expected
    for i, j in ((0, 0), (sh - 1, sw - 1), (17, 30)):
        assert heads_cell_at(result, x + (j + 0.5) * w / sw, y + (i + 0.5) * h / sh) == (i, j)
    options = view.overlay_options()
    assert (options.colormap, options.centre_colormap, options.heatmap_opacity) == (
        "inferno", "viridis", pytest.approx(DEFAULT_HEATMAP_OPACITY))
    # A setting changed on the paused frame recomposes that frame: off at once, on again composed
    # (offsets stay on: the pipeline keeps reading heads, the paused result stays).
    window.overlay_controls.set_layer("offsets", True)
    composed = view.compositions
    window.overlay_controls.set_layer("heatmaps", False)
    window.overlay_controls.set_layer("centre", False)
    assert np.array_equal(view.image_item.image, view.last_result.result.frame)
    window.overlay_controls.set_layer("centre", True)
    window.qtbot.waitUntil(lambda: view.compositions > composed and _shows_the_export_rendering(view), timeout=WAIT_MS)
    assert view.heads.visible_layers() == ("centre", "offsets")


def test_heads_panel_click_selects_the_keypoint(window_on):
    window = window_on(data_file("pose_1.mp4"), overlays="skeleton,heatmaps")
    _wait_heads(window, True)
    panel = window.heads_panel
    assert window.heads_dock.isVisible() and panel.isVisible()
    window.flush_views()
    assert panel.refreshes >= 1 and "48×48" in panel.status.text()
    left_knee = 13
    pos = panel.graphics.mapFromScene(panel.tile_centre_in_scene(left_knee + 1))
    with window.qtbot.waitSignal(panel.keypoint_clicked) as blocker:
        window.qtbot.mouseClick(panel.graphics.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(pos.x(), pos.y()))
    assert blocker.args == [left_knee]
    assert window.overlay_controls.keypoint_combo.currentData() == left_knee and panel.selected == left_knee
    assert window.video_view.overlay_options().heatmap_keypoint == left_knee
    _results(window, 2)
    window.qtbot.waitUntil(lambda: _shows_the_export_rendering(window.video_view), timeout=WAIT_MS)
    # The centre tile goes back to the max over all keypoints.
    pos = panel.graphics.mapFromScene(panel.tile_centre_in_scene(0))
    with window.qtbot.waitSignal(panel.keypoint_clicked) as blocker:
        window.qtbot.mouseClick(panel.graphics.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(pos.x(), pos.y()))
    assert blocker.args == [None] and window.video_view.overlay_options().heatmap_keypoint is None


def test_hover_readout_shows_the_heads_at_that_cell(window_on):
    window = window_on(data_file("pose_1.mp4"), overlays="skeleton,heatmaps")
    _wait_heads(window, True)
    window.player.pause()
    view, readout = window.video_view, window.readout
    window.qtbot.waitUntil(lambda: not view.composing, timeout=WAIT_MS)  # the last result in flight is shown
    result = view.last_result.result
    nose_x, nose_y = (float(v) for v in result.poses[0].keypoints[0, :2])
    scene = view.view_box.mapViewToScene(QPointF(nose_x, nose_y))
    pos = view.graphics.mapFromScene(scene)
    window.qtbot.mouseMove(view.graphics.viewport(), QPoint(pos.x(), pos.y()))
    window.qtbot.waitUntil(lambda: readout.readout is not None
                           and readout.readout.frame_index == view.last_result.result.index, timeout=WAIT_MS)
    shown, result = readout.readout, view.last_result.result
    heads = result.heads
    # The cell under the mouse, computed independently from the drawn item's rectangle.
    x, y, w, h = view.heads.heatmap_rect()
    sh, sw = heads.shape
    row, col = math.floor((shown.y - y) * sh / h), math.floor((shown.x - x) * sw / w)
    assert abs(shown.x - nose_x) < 2.0 and abs(shown.y - nose_y) < 2.0  # the mouse went where asked
    assert shown.cell == (row, col)
    assert shown.centre == heads.centre[row, col]
    np.testing.assert_array_equal(shown.heatmaps, heads.keypoint_heatmaps[row, col])
    np.testing.assert_array_equal(shown.regression, heads.regression[row, col].reshape(17, 2))
    np.testing.assert_array_equal(shown.offsets, heads.offsets[row, col].reshape(17, 2))
    np.testing.assert_array_equal(shown.keypoint_scores, result.poses[0].keypoints[:, 2])
    assert shown.strongest(1)[0][0] in range(5)  # a face keypoint is the hot one at the nose
    text = window.heads_panel.readout_label.text()
    assert f"cell ({row}, {col})" in text and "nose" in text
    assert "pose score" not in text and "keypoint score" in text  # a keypoint's score, named so (issue 25)
    panel = window.heads_panel
    assert panel.labels[1].toPlainText() == "nose"  # titles stay titles (no "L sho0.04R" collisions)
    status = panel.status.text()  # the values go to the status line, labelled as the hovered cell's
    assert f"Cell ({row}, {col})" in status and f"centre {heads.centre[row, col]:.2f}" in status
    assert heads_readout_at(result, -1e6, -1e6) is None  # outside the heatmaps
    # The mouse leaves the video: markers and values go.
    QApplication.sendEvent(view.graphics.viewport(), QEvent(QEvent.Type.Leave))
    assert readout.readout is None and len(panel.hover_item.data) == 0
    assert panel.labels[1].toPlainText() == "nose" and "under the mouse" not in panel.status.text()


def test_multipose_heads_and_disabled_decode_layers(window_on):
    window = window_on(data_file("pose_1.mp4"), model="multipose", overlays="skeleton,centre,heatmaps,decode")
    window.qtbot.waitUntil(lambda: window.overlay_controls.multipose, timeout=WAIT_MS)
    _wait_heads(window, True)
    controls = window.overlay_controls
    for name in DECODE_LAYERS:
        assert not controls.checks[name].isEnabled() and "MultiPose" in controls.checks[name].toolTip()
    assert not window.tracking_controls.crop_check.isEnabled()
    result = window.video_view.last_result.result
    assert result.decode is None and result.heads is not None
    assert set(window.video_view.heads.visible_layers()) == {"heatmaps", "centre"}
    assert not window.video_view.overlay_options().decode
    np.testing.assert_allclose(window.video_view.heads.heatmap_rect(),
                               heatmap_rect_in_frame(result.mapping, result.heads.shape), atol=1e-6)


def test_model_without_heads_still_runs_and_says_so(window_on, tmp_path):
    pytest.importorskip("onnx")
    path = headless_movenet_onnx(tmp_path / "no_heads.onnx")
    window = window_on(data_file("pose.jpg"), model=str(path), backend="onnx", overlays="skeleton,heatmaps")
    window.qtbot.waitUntil(lambda: window.engine.model is not None and window.engine.model.config.heads,
                           timeout=WAIT_MS)
    window.qtbot.waitUntil(lambda: not window.overlay_controls.heads_available, timeout=WAIT_MS)
    assert "not available for this model" in window.overlay_controls.note.text()
    assert "not available for this model" in window.heads_panel.status.text()
    assert any("not available for this model" in r.message for r in window.reporter.history)
    shown = window.video_view.last_result
    assert shown.model.config.heads and not shown.model.heads_available  # asked for heads: none found
    assert shown.result.heads is None and shown.result.poses  # the model ran all the same
    assert window.video_view.heads.visible_layers() == ()


# --------------------------------------------------------------------------- entry point and settings

def test_overlays_option_sets_the_initial_state_and_is_not_saved(qapp, tmp_path):
    settings = tmp_path / "s.ini"
    assert run(GuiOptions(overlays="skeleton,nonsense", settings_path=settings)) == EXIT_BAD_OPTIONS
    code = run(GuiOptions(source=str(data_file("pose.jpg")), overlays="heatmaps,crop", exit_after_frames=1,
                          settings_path=settings, pace="max"))
    assert code == EXIT_OK
    assert StudioSettings(settings).overlays == parse_overlays("skeleton")  # scripted runs keep the choices


def test_window_remembers_overlay_choices(make_window, gui_settings):
    window = make_window()
    window.overlay_controls.set_layer("centre", True)
    window.overlay_controls.centre_opacity.setValue(70)
    window.overlay_controls.colormap_combo.setCurrentIndex(window.overlay_controls.colormap_combo.findData("turbo"))
    centre_combo = window.overlay_controls.centre_colormap_combo
    assert centre_combo.currentData() == "viridis"
    centre_combo.setCurrentIndex(centre_combo.findData("gray"))
    window.overlay_controls.offset_scale.setValue(5)
    window.close()
    saved = gui_settings.overlays
    assert saved.centre and saved.skeleton and saved.centre_opacity == pytest.approx(0.7) and saved.colormap == "turbo"
    assert saved.centre_colormap == "gray" and saved.offset_scale == 5.0
    assert isinstance(saved, OverlayOptions)
