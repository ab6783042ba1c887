"""Overlay geometry shared by the renderer and the window: decode steps, offset field, arrows, crop ranges."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from conftest import data_file
from movenet_studio.core.tracking.cropping import CropMeasurement
from movenet_studio.core.preprocessing.mapping import CropRegion
from movenet_studio.core.drawing.overlay_geometry import (arrow_barbs, crop_geometry, dash_pattern, dashed_rect,
                                                          decode_geometry, offset_field, rect_segments)
from movenet_studio.core.preprocessing.mapping import InputMapping
from movenet_studio.core.drawing.render import render_overlays
from movenet_studio.core.drawing.overlay_options import OverlayOptions
from movenet_studio.core.drawing.render_layers import unavailable_overlays
from movenet_studio.core.drawing.render_style import BODY_RANGE_COLOUR, OFFSET_COLOUR, TORSO_RANGE_COLOUR
from movenet_studio.core.media.opener import open_source


@pytest.fixture(scope="module")
def tracked_result(loaded_pipeline):
    """A real Lightning result with heads, decode and crop measurement (frame 8 of pose_1.mp4)."""
    pipeline = loaded_pipeline(model="lightning", heads=True)
    for frame in open_source(data_file("pose_1.mp4")):
        result = pipeline.process(frame)
        if frame.index == 8:
            return result


def test_decode_geometry_places_the_models_keypoints(tracked_result):
    result = tracked_result
    geometry = decode_geometry(result.decode, result.mapping)
    model_xy = result.mapping.to_frame(result.raw_output.reshape(17, 3)[:, :2])
    np.testing.assert_allclose(geometry.final, model_xy, atol=0.3)  # float16 1/S vs 1/S: < 0.1 px here
    s = result.heads.size
    _, _, w, h = result.mapping.frame_rect()
    assert geometry.half_cell == pytest.approx((0.5 * w / s, 0.5 * h / s))
    # Cell centres are where the heatmap image draws the middle of each chosen cell.
    cells = result.decode.keypoint_cells
    np.testing.assert_allclose(geometry.cells, result.mapping.to_frame((cells + 0.5) / s), atol=1e-3)
    assert geometry.regression_segments().shape == (34, 2) and geometry.offset_segments().shape == (34, 2)
    assert geometry.cell_squares().shape == (17 * 8, 2) and geometry.centre_cross().shape == (4, 2)


def test_offset_field_one_keypoint_and_strongest(tracked_result):
    heads, mapping = tracked_result.heads, tracked_result.mapping
    s = heads.size
    starts, ends = offset_field(heads, mapping, keypoint=0, min_score=0.0, max_cells=10_000)
    assert starts.shape == ends.shape == (s * s, 2)
    strongest = np.unravel_index(np.argmax(heads.keypoint_heatmaps[..., 0]), (s, s))
    r, c = strongest
    np.testing.assert_allclose(starts[0], mapping.to_frame(np.array([r + 0.5, c + 0.5]) / s), atol=1e-3)
    oy, ox = heads.offsets[r, c, 0], heads.offsets[r, c, 1]
    np.testing.assert_allclose(ends[0], mapping.to_frame(np.array([r + oy, c + ox]) / s), atol=1e-3)
    few, _ = offset_field(heads, mapping, None, min_score=0.1, max_cells=25)
    assert 0 < len(few) <= 25
    none, _ = offset_field(heads, mapping, None, min_score=1.1)
    assert none.shape == (0, 2)


def test_arrow_barbs_rects_and_dashes():
    barbs = arrow_barbs(np.array([[0.0, 0.0], [5.0, 5.0]]), np.array([[10.0, 0.0], [5.0, 5.0]]), 3.0)
    assert barbs.shape == (4, 2)  # the zero-length arrow has none
    np.testing.assert_allclose(barbs[0], [10, 0]) and np.testing.assert_allclose(barbs[2], [10, 0])
    assert np.hypot(*(barbs[1] - barbs[0])) == pytest.approx(3.0) and barbs[1][0] < 10 and barbs[3][0] < 10
    assert rect_segments(np.array([[0, 0, 2, 1]])).shape == (8, 2)
    dash, gap = dash_pattern(2, "dash")
    dashes = dashed_rect((10, 20, 110, 70), dash, gap).reshape(-1, 2, 2)
    on_edge = (np.isclose(dashes[..., 0], 10) | np.isclose(dashes[..., 0], 110)
               | np.isclose(dashes[..., 1], 20) | np.isclose(dashes[..., 1], 70))
    assert on_edge.all()
    lengths = np.hypot(*(dashes[:, 1] - dashes[:, 0]).T)
    assert (lengths <= dash + 1e-9).all() and lengths.sum() > 0.5 * 300
    with pytest.raises(ValueError):
        dash_pattern(1, "wavy")


def test_crop_geometry_from_the_measurement():
    mapping = InputMapping((0.0, 0.0, 1.0, 1.0), (200, 400), (192, 192))
    measurement = CropMeasurement(0.7, False, True, (100.0, 150.0), (30.0, 10.0), (60.0, 40.0), 80.0, False, False,
                                  None, None)
    result = SimpleNamespace(mapping=mapping, crop_region=CropRegion(0.1, 0.2, 0.9, 0.6), crop_measurement=measurement,
                             tracker_reset=False)
    geometry = crop_geometry(result)
    assert geometry.square == pytest.approx((80.0, 20.0, 240.0, 180.0))
    assert geometry.centre == (150.0, 100.0)
    assert geometry.torso == (140.0, 70.0, 160.0, 130.0) and geometry.body == (110.0, 40.0, 190.0, 160.0)
    empty = crop_geometry(SimpleNamespace(mapping=mapping, crop_region=None, crop_measurement=None))
    assert empty.square is None and empty.centre is None and not empty.reset


def test_renderer_draws_ranges_field_and_markers(tracked_result):
    result = tracked_result
    fields = {f: getattr(result, f) for f in result.__slots__}
    options = OverlayOptions.from_names("crop")
    with_ranges = render_overlays(result.frame, result, options)
    square_only = render_overlays(result.frame, SimpleNamespace(**{**fields, "crop_measurement": None}), options)
    changed = np.argwhere((with_ranges != square_only).any(axis=2))  # (row, col): centre cross and ranges
    x0, y0, x1, y1 = crop_geometry(result).body
    assert len(changed) > 200
    assert changed[:, 1].min() >= x0 - 4 and changed[:, 1].max() <= x1 + 4
    assert changed[:, 0].min() >= y0 - 4 and changed[:, 0].max() <= y1 + 4
    for colour in (TORSO_RANGE_COLOUR, BODY_RANGE_COLOUR):  # both dash colours are among the changed pixels
        assert (np.abs(with_ranges.astype(int) - colour).sum(axis=2) < 90).sum() > 10, colour
    field = OverlayOptions.from_names("offsets", offset_field=True, heatmap_keypoint=9)
    drawn = render_overlays(result.frame, result, field)
    assert (np.abs(drawn.astype(int) - OFFSET_COLOUR).sum(axis=2) < 30).sum() > 20
    assert unavailable_overlays(SimpleNamespace(**{**{f: getattr(result, f) for f in result.__slots__},
                                                   "decode": None, "raw_output": np.zeros((1, 6, 56))}),
                                field) == ()  # the field needs heads only (MultiPose too)
    cells = OverlayOptions.from_names("offsets")
    assert unavailable_overlays(SimpleNamespace(**{**{f: getattr(result, f) for f in result.__slots__},
                                                   "decode": None, "raw_output": np.zeros((1, 6, 56))}),
                                cells) == ("offsets",)
