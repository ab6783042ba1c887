"""The overlay renderer and its colour maps: what is drawn, where, and only when data exists."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from conftest import PROJECT_ROOT, data_file
from movenet_studio.core.drawing.colormaps import apply_colormap, colormap_lut, colormap_names, lut_indices
from movenet_studio.core.decoding.heads import Heads, heatmap_rect_in_frame
from movenet_studio.core.decoding.keypoints import EDGE_COLOURS, NUM_KEYPOINTS, SKELETON_EDGES
from movenet_studio.core.decoding.pose import Pose
from movenet_studio.core.drawing.overlay_geometry import scaled_arrows
from movenet_studio.core.preprocessing.letterbox import letterbox
from movenet_studio.core.preprocessing.mapping import InputMapping
from movenet_studio.core.drawing.render import render_overlays
from movenet_studio.core.drawing.overlay_options import DEFAULT_KEYPOINT_THRESHOLD, OVERLAY_NAMES, OverlayOptions
from movenet_studio.core.drawing.render_layers import unavailable_overlays
from movenet_studio.core.drawing.render_style import (CROP_COLOUR, TRACK_PALETTE, line_width, timing_caption,
                                                      track_colour)
from movenet_studio.core.media.opener import open_source

NOTHING = OverlayOptions.from_names("")


@pytest.fixture(scope="module")
def pose_result(loaded_pipeline):
    """A real single-pose result on pose.jpg, with the model's heads read."""
    pipeline = loaded_pipeline(model="lightning", heads=True)
    frame = next(iter(open_source(data_file("pose.jpg"))))
    result = pipeline.process(frame)
    return result, pipeline.backend.heads()


def with_data(result, **data):
    """`result` as a plain object with extra optional data (heads, crop_region ...)."""
    fields = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
    fields.update(data)
    return SimpleNamespace(**fields)


def synthetic(frame_hw=(240, 320), poses=(), **data):
    """A result-like object on a black frame, letterboxed mapping, no model."""
    frame = np.zeros((*frame_hw, 3), dtype=np.uint8)
    model_input, mapping = letterbox(frame, (192, 192))
    return SimpleNamespace(index=7, timestamp_ms=233.3, frame=frame, poses=tuple(poses),
                           timings_ms={"inference": 5.25, "total": 6.5}, model_input=model_input, mapping=mapping,
                           raw_output=np.zeros((1, 1, 17, 3), np.float32), model_key="lightning-float16", **data)


def pose_with(points: dict[int, tuple[float, float, float]], **kw) -> Pose:
    kp = np.zeros((NUM_KEYPOINTS, 3), dtype=np.float32)
    for k, v in points.items():
        kp[k] = v
    return Pose(kp, 0.5, **kw)


# --- colour maps ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["inferno", "viridis", "turbo"])
def test_colormap_lut_is_opencv_map_in_rgb(name):
    lut = colormap_lut(name)
    assert lut.shape == (256, 3) and lut.dtype == np.uint8 and not lut.flags.writeable
    ramp = np.arange(256, dtype=np.uint8).reshape(256, 1)
    bgr = cv2.applyColorMap(ramp, getattr(cv2, f"COLORMAP_{name.upper()}"))[:, 0]
    assert np.array_equal(lut, bgr[:, ::-1])
    assert colormap_lut(name.upper()) is lut


def test_colormap_names_and_errors():
    assert {"inferno", "viridis", "turbo", "gray"} <= set(colormap_names())
    with pytest.raises(ValueError, match="unknown colour map"):
        colormap_lut("rainbow-unicorn")


def test_lut_indices_match_pyqtgraph_levels_0_to_1():
    values = np.array([-1.0, 0.0, 0.5, 255 / 256 - 1e-6, 255 / 256, 1.0, 2.0, np.nan])
    assert lut_indices(values).tolist() == [0, 0, 128, 254, 255, 255, 255, 0]
    assert apply_colormap(np.ones((2, 3)), "gray").shape == (2, 3, 3)


def test_track_colour_is_stable_palette():
    assert track_colour(3) == TRACK_PALETTE[3] == track_colour(3 + len(TRACK_PALETTE))
    assert len({track_colour(i) for i in range(len(TRACK_PALETTE))}) == len(TRACK_PALETTE)
    assert track_colour(None) == (255, 255, 255)


# --- options ----------------------------------------------------------------------------------

def test_options_from_names_and_validation():
    opts = OverlayOptions.from_names("skeleton, heatmaps,center,crop,timing", keypoint_threshold=0.3)
    assert opts.enabled() == ("skeleton", "heatmaps", "centre", "crop", "timing")
    assert opts.keypoint_threshold == 0.3
    assert OverlayOptions.from_names("all").enabled() == OVERLAY_NAMES
    assert OverlayOptions().keypoint_threshold == DEFAULT_KEYPOINT_THRESHOLD == 0.3
    with pytest.raises(ValueError, match="unknown overlay"):
        OverlayOptions.from_names("skeleton,sparkles")
    for bad in ({"keypoint_threshold": 1.5}, {"heatmap_opacity": -0.1}, {"heatmap_keypoint": 17},
                {"colormap": "nope"}, {"centre_colormap": "nope"}, {"offset_scale": 0.5}, {"offset_scale": 21}):
        with pytest.raises(ValueError):
            OverlayOptions(**bad)


# --- drawing ----------------------------------------------------------------------------------

def test_returns_new_array_and_leaves_input_alone(pose_result):
    result, _ = pose_result
    before = result.frame.copy()
    out = render_overlays(result.frame, result, OverlayOptions.from_names("all"))
    assert out is not result.frame and out.dtype == np.uint8 and out.shape == result.frame.shape
    assert np.array_equal(result.frame, before)
    assert not np.array_equal(out, before)
    with pytest.raises(ValueError, match="uint8"):
        render_overlays(result.frame.astype(np.float32), result)


def test_skeleton_edges_drawn_in_their_colours_where_the_pose_is():
    a, b = (100.0, 60.5), (200.0, 60.5)   # left shoulder -> right shoulder (the yellow cross edge), on pixel row 60
    pose = pose_with({5: (*a, 0.9), 6: (*b, 0.9)})
    out = render_overlays(np.zeros((240, 320, 3), np.uint8), synthetic(poses=[pose]),
                          OverlayOptions.from_names("skeleton"))
    colour = EDGE_COLOURS[SKELETON_EDGES.index((5, 6))]
    assert np.abs(out[60, 150].astype(int) - colour).max() <= 30     # OpenCV's 1-px AA line peaks at ~91%
    lw = line_width(out.shape)
    assert not out[:50].any() and not out[70:].any()          # nothing far from the line
    assert np.flatnonzero(out.any(axis=(1, 2))).size <= 2 * lw + 1   # a line about lw thick


def test_threshold_hides_low_scoring_keypoints_and_their_edges():
    pose = pose_with({5: (100, 60, 0.9), 6: (200, 60, 0.15), 7: (100, 150, 0.9)})
    out = render_overlays(np.zeros((240, 320, 3), np.uint8), synthetic(poses=[pose]),
                          OverlayOptions.from_names("skeleton,keypoints"))
    assert not out[40:80, 170:230].any()                      # keypoint 6 and edge 5-6 hidden (0.15 <= 0.3)
    assert out[95:110, 95:105].any()                          # edge 5-7 drawn
    looser = render_overlays(np.zeros((240, 320, 3), np.uint8), synthetic(poses=[pose]),
                             OverlayOptions.from_names("skeleton,keypoints", keypoint_threshold=0.1))
    assert looser[40:80, 170:230].any()


def test_resized_frame_scales_coordinates():
    pose = pose_with({5: (100, 60, 0.9), 6: (200, 60, 0.9)})
    out = render_overlays(np.zeros((120, 160, 3), np.uint8), synthetic(poses=[pose]),
                          OverlayOptions.from_names("skeleton"))
    rows = np.flatnonzero(out.any(axis=(1, 2)))
    cols = np.flatnonzero(out.any(axis=(0, 2)))
    assert 27 <= rows.min() and rows.max() <= 33 and 48 <= cols.min() and cols.max() <= 102


def test_layers_without_data_are_skipped_and_reported():
    result = synthetic(poses=[pose_with({0: (10, 10, 0.1)})])
    wanted = OverlayOptions.from_names("heatmaps,centre,crop,decode,boxes,ids")
    out = render_overlays(result.frame, result, wanted)
    assert not out.any()
    assert set(unavailable_overlays(result, wanted)) == {"heatmaps", "centre", "crop", "decode", "boxes", "ids"}


def test_crop_square():
    crop = (60.5 / 240, 80.5 / 320, 180.5 / 240, 240.5 / 320)   # edges on pixel centres
    result = synthetic(crop_region=crop)
    out = render_overlays(result.frame, result, OverlayOptions.from_names("crop"))
    # 320x240 frame: columns 80 and 240, rows 60 and 180
    for y, x in ((120, 80), (60, 150), (180, 200), (100, 240)):
        assert np.abs(out[y, x].astype(int) - CROP_COLOUR).max() <= 30
    assert not out[100:140, 100:220].any() and not out[:50].any()
    assert unavailable_overlays(result, OverlayOptions.from_names("crop")) == ()


def test_heatmap_cells_land_on_their_frame_rectangle():
    s = 48
    maps = np.zeros((s, s, 17), np.float32)
    maps[20, 30, 9] = 1.0                                     # one hot cell, left wrist
    heads = Heads(np.zeros((s, s), np.float32), maps, np.zeros((s, s, 34), np.float32),
                  np.zeros((s, s, 34), np.float32), (192, 192))
    result = synthetic(heads=heads)
    # A crop-like model-input box in the middle of the frame, so the heatmap covers part of it.
    result.mapping = InputMapping((0.25, 0.25, 0.75, 0.75), (240, 320), (192, 192))
    opts = OverlayOptions.from_names("heatmaps", heatmap_opacity=0.5, colormap="gray")
    out = render_overlays(np.full((240, 320, 3), 100, np.uint8), result, opts)
    x, y, w, h = heatmap_rect_in_frame(result.mapping, s)
    cx, cy = x + (30 + 0.5) * w / s, y + (20 + 0.5) * h / s   # centre of cell (20, 30) in frame px
    assert tuple(out[int(cy), int(cx)]) == (178, 178, 178)   # 100 * 0.5 + 255 * 0.5, rounded
    assert tuple(out[int(cy), int(cx + w / s)]) == (100, 100, 100)  # neighbour cell: value 0 is transparent
    changed = (out != 100).any(axis=2)
    rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
    cell_y, cell_x = y + 20 * h / s, x + 30 * w / s                  # the hot cell's rectangle, exactly
    assert abs(rows.min() - cell_y) <= 1 and abs(rows.max() + 1 - (cell_y + h / s)) <= 1
    assert abs(cols.min() - cell_x) <= 1 and abs(cols.max() + 1 - (cell_x + w / s)) <= 1
    other_keypoint = render_overlays(np.full((240, 320, 3), 100, np.uint8), result,
                                     dataclasses.replace(opts, heatmap_keypoint=0))
    assert tuple(other_keypoint[int(cy), int(cx)]) == (100, 100, 100)  # keypoint 0 is 0 there: transparent


def test_centre_heatmap_has_its_own_colour_map():
    s = 48
    centre = np.zeros((s, s), np.float32)
    centre[20, 30] = 1.0
    maps = np.zeros((s, s, 17), np.float32)
    maps[20, 30, 0] = 1.0
    heads = Heads(centre, maps, np.zeros((s, s, 34), np.float32), np.zeros((s, s, 34), np.float32), (192, 192))
    result = synthetic(heads=heads)
    result.mapping = InputMapping((0.25, 0.25, 0.75, 0.75), (240, 320), (192, 192))
    x, y, w, h = heatmap_rect_in_frame(result.mapping, s)
    cx, cy = int(x + 30.5 * w / s), int(y + 20.5 * h / s)
    assert OverlayOptions().colormap == "inferno" and OverlayOptions().centre_colormap == "viridis"
    drawn = {}
    for layer in ("heatmaps", "centre"):
        opts = OverlayOptions.from_names(layer, heatmap_opacity=1.0, centre_opacity=1.0)
        drawn[layer] = tuple(render_overlays(np.zeros((240, 320, 3), np.uint8), result, opts)[cy, cx])
    assert drawn["heatmaps"] == tuple(colormap_lut("inferno")[255])
    assert drawn["centre"] == tuple(colormap_lut("viridis")[255])
    opts = OverlayOptions.from_names("centre", centre_opacity=1.0, centre_colormap="gray")
    assert tuple(render_overlays(np.zeros((240, 320, 3), np.uint8), result, opts)[cy, cx]) == (255, 255, 255)


def test_offset_arrows_scale_from_their_cell(pose_result):
    result, heads = pose_result
    if heads is None:
        pytest.skip("this runtime exposes no heads")
    starts, ends = np.array([[10.0, 20.0], [5.0, 5.0]]), np.array([[12.0, 19.0], [5.0, 5.0]])
    s2, e2 = scaled_arrows(starts, ends, 3.0)
    np.testing.assert_array_equal(s2, starts)
    np.testing.assert_array_equal(e2, [[16.0, 17.0], [5.0, 5.0]])
    rich = with_data(result, heads=heads)
    frame = np.zeros_like(result.frame)
    drawn = [int((render_overlays(frame, rich, OverlayOptions.from_names("offsets", offset_scale=k)) > 0)
                 .any(axis=2).sum()) for k in (1.0, 3.0, 10.0)]
    assert 0 < drawn[0] < drawn[1] < drawn[2], drawn  # longer arrows, more pixels


def test_real_heads_and_decode_layers_draw(pose_result):
    result, heads = pose_result
    if heads is None:
        pytest.skip("this runtime exposes no heads")
    rich = with_data(result, heads=heads, crop_region=(0.1, 0.1, 0.9, 0.9))
    assert unavailable_overlays(rich, OverlayOptions.from_names("all")) == ("boxes", "ids", "classification")
    base = render_overlays(result.frame, rich, NOTHING)
    assert np.array_equal(base, result.frame)
    for layer in ("heatmaps", "centre", "regression", "offsets", "decode"):
        out = render_overlays(result.frame, rich, OverlayOptions.from_names(layer))
        assert not np.array_equal(out, base), layer


def test_boxes_and_ids_in_track_colour():
    pose = pose_with({0: (150, 100, 0.9)}, track_id=4, box=np.array([100, 80, 220, 200], np.float32))
    result = synthetic(poses=[pose])
    out = render_overlays(result.frame, result, OverlayOptions.from_names("boxes"))
    assert np.abs(out[140, 99:102].astype(int) - track_colour(4)).max(axis=1).min() < 90
    labelled = render_overlays(result.frame, result, OverlayOptions.from_names("boxes,ids"))
    assert labelled[55:80, 100:140].any() and not out[55:75, 100:140].any()   # "#4" label above the box


def test_timing_caption(pose_result):
    result, _ = pose_result
    caption = timing_caption(result)
    assert caption.startswith(f"{result.model_key}  frame {result.index}") and "total" in caption
    out = render_overlays(result.frame, result, OverlayOptions.from_names("timing"))
    changed = np.flatnonzero((out != result.frame).any(axis=(1, 2)))
    assert changed.size and changed.max() < 40                # a caption strip at the top only


def test_core_render_and_export_import_no_qt():
    code = ("import sys, movenet_studio.core.drawing.render, movenet_studio.core.output.export, movenet_studio.core.drawing.colormaps; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6')]; "
            "sys.exit(1 if bad else 0)")
    assert subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT).returncode == 0


def test_heatmap_alpha_rises_with_the_value():
    """Cells near 0 leave the frame visible; the overlay opacity scales the value's alpha."""
    s = 48
    maps = np.zeros((s, s, 17), np.float32)
    maps[10, 10, 0], maps[10, 20, 0] = 0.5, 1.0
    heads = Heads(np.zeros((s, s), np.float32), maps, np.zeros((s, s, 34), np.float32),
                  np.zeros((s, s, 34), np.float32), (192, 192))
    result = synthetic(heads=heads)
    result.mapping = InputMapping((0.0, 0.0, 1.0, 1.0), (240, 320), (192, 192))
    out = render_overlays(np.full((240, 320, 3), 100, np.uint8), result,
                          OverlayOptions.from_names("heatmaps", heatmap_opacity=1.0, colormap="gray"))
    x, y, w, h = heatmap_rect_in_frame(result.mapping, s)
    at = lambda r, c: int(out[int(y + (r + 0.5) * h / s), int(x + (c + 0.5) * w / s), 0])  # noqa: E731
    assert at(30, 30) == 100                        # value 0: untouched
    assert at(10, 20) == 255                        # value 1: the colour, fully
    assert at(10, 10) == round(100 + (128 - 100) * 128 / 255)  # value 0.5: row 128, alpha 128/255
