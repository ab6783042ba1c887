"""Crop tracking and smoothing in the real window: toggles, crop overlay, model input view (offscreen)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from conftest import GUI_WAIT_MS, data_file
from conftest import wait_results as _results
from movenet_studio.core.decoding.heads import heatmap_rect_in_frame
from movenet_studio.core.drawing.overlay_geometry import crop_geometry, decode_geometry
from movenet_studio.core.drawing.render import render_overlays

WAIT_MS = GUI_WAIT_MS


def _wait_model(window, **fields) -> None:
    """Wait until the running pipeline has `fields`, then for two results of it."""
    def ready() -> bool:
        shown = window.video_view.last_result
        return shown is not None and all(getattr(shown.model.config, k) == v for k, v in fields.items())

    window.qtbot.waitUntil(ready, timeout=WAIT_MS)
    _results(window, 2)



def test_crop_overlay_draws_the_square_and_the_measured_ranges(window_on):
    window = window_on(data_file("pose_1.mp4"), overlays="skeleton,crop")
    _results(window, 3)
    window.player.pause()
    view = window.video_view
    result = view.last_result.result
    assert result.crop_region is not None and result.crop_measurement is not None and result.crop_measurement.centre_yx is not None
    crop = view.crop_overlay
    assert set(crop.visible_parts()) == {"square", "torso", "body", "centre"} and crop.legend.isVisible()
    geometry = crop_geometry(result)
    x, y = crop.square_item.getData()
    x0, y0, x1, y1 = result.crop_region.to_pixels(*result.frame.shape[:2])
    np.testing.assert_allclose([x.min(), y.min(), x.max(), y.max()], [x0, y0, x1, y1], atol=1e-9)
    # The torso/body dashes lie on the rectangles centre ± range the tracker measured.
    cy, cx = result.crop_measurement.centre_yx
    for item, (dy, dx) in ((crop.torso_item, result.crop_measurement.torso_range_yx), (crop.body_item, result.crop_measurement.body_range_yx)):
        x, y = item.getData()
        np.testing.assert_allclose([x.min(), y.min(), x.max(), y.max()], [cx - dx, cy - dy, cx + dx, cy + dy],
                                   atol=1e-9)
    assert geometry.torso is not None and geometry.body is not None
    options = view.overlay_options()
    assert options.crop and options.skeleton
    assert not np.array_equal(render_overlays(result.frame, result, options),
                              render_overlays(result.frame, result, options.__class__(crop=False)))
    window.overlay_controls.set_layer("crop", False)
    assert crop.visible_parts() == () and not crop.legend.isVisible() and not view.overlay_options().crop


def test_decoded_keypoints_lie_in_the_drawn_cell_they_came_from(window_on):
    window = window_on(data_file("pose_squats.mp4"), overlays="skeleton,heatmaps,decode,crop")
    _wait_model(window, heads=True, crop=True)
    window.player.pause()
    view = window.video_view
    result = view.last_result.result
    assert result.crop_region is not None  # drawn through the crop mapping
    steps = result.decode
    x, y, w, h = view.heads.heatmap_rect()
    np.testing.assert_allclose((x, y, w, h), heatmap_rect_in_frame(result.mapping, result.heads.shape), atol=1e-6)
    s = result.heads.size
    cw, ch = w / s, h / s
    inside = (steps.offsets >= 0).all(axis=1) & (steps.offsets < 1).all(axis=1)  # CenterNet floor + offset
    assert inside.sum() >= 5, steps.offsets
    decoded_xy = decode_geometry(steps, result.mapping).final  # (cell + offset) / S, as drawn
    # The model's own keypoints: the graph scales by float16(1/S), a few hundredths of a pixel off.
    model_xy = result.mapping.to_frame(result.raw_output.reshape(17, 3)[:, :2])
    for k in np.flatnonzero(inside):
        row, col = steps.keypoint_cells[k]
        left, top = x + col * cw, y + row * ch
        for (px, py), tol in ((decoded_xy[k], 1e-6 * cw), (model_xy[k], 0.02 * cw)):
            assert left - tol <= px <= left + cw + tol and top - tol <= py <= top + ch + tol, (k, px, py)
    # The decode markers sit on the same cells: chosen-cell squares are exactly those cell rectangles.
    xs, ys = view.heads.cells_item.getData()
    squares = np.stack([xs, ys], axis=1).reshape(17, 8, 2)
    for k in range(17):
        row, col = steps.keypoint_cells[k]
        np.testing.assert_allclose(squares[k].min(axis=0), [x + col * cw, y + row * ch], atol=1e-3)
        np.testing.assert_allclose(squares[k].max(axis=0), [x + (col + 1) * cw, y + (row + 1) * ch], atol=1e-3)


def test_crop_and_smoothing_toggles_go_through_the_engine_config(window_on):
    # Looping: at --pace max the 120 frames could end before the later waits for new results.
    window = window_on(data_file("pose_1.mp4"), overlays="skeleton,centre", loop=True)
    _wait_model(window, heads=True, crop=True, smoothing=True)
    tracking = window.tracking_controls
    assert tracking.crop_check.isChecked() and tracking.smoothing_check.isChecked()
    tracking.crop_check.setChecked(False)
    assert window.engine.config.crop is False and window.engine.config.heads  # heads not undone
    _wait_model(window, crop=False, heads=True)
    result = window.video_view.last_result.result
    assert result.crop_region is None and result.crop_measurement is None and result.heads is not None
    assert window.video_view.crop_overlay.visible_parts() == ()
    tracking.smoothing_check.setChecked(False)
    _wait_model(window, crop=False, smoothing=False, heads=True)
    window.overlay_controls.set_layer("centre", False)  # heads off: crop and smoothing stay off
    _wait_model(window, crop=False, smoothing=False, heads=False)
    tracking.crop_check.setChecked(True)
    tracking.smoothing_check.setChecked(True)
    _wait_model(window, crop=True, smoothing=True, heads=False)
    assert window.video_view.last_result.result.crop_region is not None
    assert not any(r.serious for r in window.reporter.history)


def test_no_crop_no_smoothing_from_the_command_line(window_on, monkeypatch):
    from movenet_studio.cli import build_parser
    import movenet_studio.gui.app as app

    seen = []
    monkeypatch.setattr(app, "run", lambda options: seen.append(options) or 0)
    args = build_parser().parse_args(["gui", "x.mp4", "--no-crop", "--no-smoothing", "--overlays", "skeleton,crop"])
    assert args.run(args) == 0
    assert seen[0].crop is False and seen[0].smoothing is False and seen[0].overlays == "skeleton,crop"
    args = build_parser().parse_args(["gui", "x.mp4"])
    args.run(args)
    assert seen[1].crop is None and seen[1].smoothing is None and seen[1].overlays is None
    with pytest.raises(SystemExit):
        build_parser().parse_args(["gui", "--overlays", "skeleton,nope"])

    window = window_on(data_file("pose.jpg"), crop=False, smoothing=False)
    config = window.video_view.last_result.model.config
    assert not config.crop and not config.smoothing
    assert not window.tracking_controls.crop_check.isChecked() and not window.tracking_controls.smoothing_check.isChecked()
    assert window.video_view.last_result.result.crop_region is None


def test_model_input_view_shows_the_exact_tensor(window_on):
    window = window_on(data_file("pose_squats.mp4"), model="thunder")
    _results(window, 2)
    window.flush_views()
    view = window.model_input_view
    result = window.video_view.last_result.result
    assert window.model_input_dock.isVisible() and view.refreshes >= 1
    assert view.image is not None and view.image.shape == (256, 256, 3)
    np.testing.assert_array_equal(view.image, result.model_input)
    assert "256×256 uint8 RGB" in view.caption.text() and "crop" in view.caption.text()
    item = view.image_item
    assert (item.width(), item.height()) == (256, 256)


def test_tracker_reset_shows_a_badge_and_a_status_note(window_on, tmp_path):
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((360, 480, 3), 40, np.uint8))  # nobody there: the pose scores too low
    window = window_on(blank, overlays="skeleton,crop")
    result = window.video_view.last_result.result
    assert result.tracker_reset and result.poses == ()
    assert "reset" in window.video_view.crop_overlay.visible_parts()
    assert window.video_view.crop_overlay.badge.isVisible()
    note = window.overlay_controller.reset_note
    assert "tracker reset" in note.lower() and f"frame {result.index}" in note
