"""Tests for movenet_studio.core.tracking.cropping (TF.js MoveNet crop tracking and crop-and-resize)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from movenet_studio.core.preprocessing.crop_numpy import crop_into_numpy
from movenet_studio.core.tracking.cropping import CropTracker, determine_crop_region, init_crop_region, torso_visible
from movenet_studio.core.preprocessing.crop import crop_and_resize, load_crop_kernel
from movenet_studio.core.preprocessing.mapping import (CropRegion, frame_to_region, region_to_frame,
                                                       region_to_frame_normalized)
from movenet_studio.core.decoding.pose import pose_score

L_SH, R_SH, L_WR, L_HIP, R_HIP, L_ANK = 5, 6, 9, 11, 12, 15


def person(center=(300.0, 320.0), score=0.9):
    """A hand-made pose in pixels: hips 20 px apart, shoulders 100 px above, rest at the centre."""
    cy, cx = center
    kp = np.tile([cy, cx], (17, 1)).astype(float)
    kp[L_HIP], kp[R_HIP] = (cy, cx - 10), (cy, cx + 10)
    kp[L_SH], kp[R_SH] = (cy - 100, cx - 20), (cy - 100, cx + 20)
    return kp, np.full(17, score)


def square_px(r: CropRegion, h, w):
    return r.height * h, r.width * w


# ---------------------------------------------------------------- init region

def test_init_region_landscape_padded_and_first_frame():
    r = init_crop_region(480, 640)  # whole frame padded to a square, vertically centred
    assert r.as_tuple() == pytest.approx((-1 / 6, 0.0, 7 / 6, 1.0))
    assert square_px(r, 480, 640) == pytest.approx((640, 640))
    f = init_crop_region(480, 640, first_frame=True)  # centred square inside the frame
    assert f.as_tuple() == pytest.approx((0.0, 0.125, 1.0, 0.875))
    assert square_px(f, 480, 640) == pytest.approx((480, 480))


def test_init_region_portrait_and_square():
    r = init_crop_region(1280, 720)
    assert r.as_tuple() == pytest.approx((0.0, -(1280 - 720) / 2 / 720, 1.0, 1 + (1280 - 720) / 2 / 720))
    f = init_crop_region(1280, 720, first_frame=True)
    assert f.as_tuple() == pytest.approx(((1280 - 720) / 2 / 1280, 0.0, 1 - (1280 - 720) / 2 / 1280, 1.0))
    assert init_crop_region(300, 300).as_tuple() == (0.0, 0.0, 1.0, 1.0)
    assert init_crop_region(300, 300, first_frame=True).as_tuple() == (0.0, 0.0, 1.0, 1.0)


def test_init_region_rejects_bad_size():
    with pytest.raises(ValueError):
        init_crop_region(0, 640)


# ---------------------------------------------------------------- determine

def test_torso_visible_region_by_hand():
    kp, sc = person()
    kp[0] = (150, 320)  # nose 150 px above the centre: body term 1.2 * 150 = 180
    region, m = determine_crop_region(kp, sc, 480, 640)
    # torso y range 100 -> 1.9 * 100 = 190 wins over 180.
    assert m.torso_visible and not m.used_fallback and not m.capped
    assert m.centre_yx == (300, 320)
    assert m.torso_range_yx == (100, 20)
    assert m.body_range_yx == (150, 20)
    assert m.half_length == pytest.approx(190)
    assert region.as_tuple() == pytest.approx((110 / 480, 130 / 640, 490 / 480, 510 / 640))
    assert m.raw_region == region == m.next_region


def test_body_range_uses_every_confident_keypoint_not_a_torso_keypoint():
    # The official TFLite Raspberry Pi sample reads a torso keypoint inside the body loop, so
    # its body range never exceeds the torso range: a far wrist would be ignored there.
    kp, sc = person()
    kp[L_WR] = (300, 320 - 250)
    _, m = determine_crop_region(kp, sc, 480, 640)
    assert m.body_range_yx == (100, 250)
    assert m.half_length == pytest.approx(1.2 * 250)


def test_body_range_score_threshold_is_inclusive_torso_strict():
    kp, sc = person()
    kp[L_WR] = (300, 320 - 250)
    sc[L_WR] = 0.19  # below 0.2: ignored
    assert determine_crop_region(kp, sc, 480, 640)[1].body_range_yx == (100, 20)
    sc[L_WR] = 0.2  # TF.js skips only score < 0.2
    assert determine_crop_region(kp, sc, 480, 640)[1].body_range_yx == (100, 250)
    sc[[L_HIP, R_HIP]] = 0.2  # torso needs a hip strictly above 0.2
    assert not torso_visible(sc)


def test_one_hip_one_shoulder_is_enough_and_centre_uses_both_hips():
    kp, sc = person()
    sc[[R_HIP, L_SH]] = 0.05
    kp[R_HIP] = (340, 350)  # invisible, yet TF.js still averages it into the centre
    _, m = determine_crop_region(kp, sc, 480, 640)
    assert m.torso_visible and m.centre_yx == (320, 330)


def test_torso_invisible_falls_back_to_padded_frame():
    kp, sc = person()
    sc[[L_HIP, R_HIP]] = 0.1
    region, m = determine_crop_region(kp, sc, 480, 640)
    assert not m.torso_visible and m.used_fallback and m.centre_yx is None
    assert region == init_crop_region(480, 640)


def test_square_near_image_edge_extends_beyond_it():
    kp, sc = person(center=(240.0, 60.0))
    kp[L_ANK] = (240 + 150, 60)
    region, m = determine_crop_region(kp, sc, 480, 1000)
    assert not m.capped and not m.used_fallback and m.half_length == pytest.approx(190)
    assert region.xmin == pytest.approx((60 - 190) / 1000)  # not shifted inside: padded black
    assert square_px(region, 480, 1000) == pytest.approx((380, 380))


def test_cap_at_farthest_edge():
    # The farthest-edge distance is never below max(W, H) / 2, so a capped square survives
    # only when it equals that bound: centre in the middle of the longer side.
    kp, sc = person(center=(240.0, 320.0))
    kp[L_ANK] = (240 + 300, 320)  # asks for 1.2 * 300 = 360 > 320
    region, m = determine_crop_region(kp, sc, 480, 640)
    assert m.capped and not m.used_fallback and m.half_length == pytest.approx(320)
    assert region.as_tuple() == pytest.approx((-80 / 480, 0.0, 560 / 480, 1.0))


def test_falls_back_when_square_exceeds_half_the_longer_side():
    kp, sc = person(center=(150.0, 40.0))
    kp[L_ANK] = (150 + 800, 40)  # half = 1.2 * 800, capped to farthest edge 600 > 640 / 2
    region, m = determine_crop_region(kp, sc, 480, 640)
    assert m.torso_visible and m.used_fallback and m.capped
    assert m.half_length == pytest.approx(600)
    assert region == init_crop_region(480, 640)


def test_determine_rejects_bad_shapes():
    with pytest.raises(ValueError):
        determine_crop_region(np.zeros((17, 3)), np.zeros(17), 480, 640)
    with pytest.raises(ValueError):
        determine_crop_region(np.zeros((17, 2)), np.zeros(16), 480, 640)


def test_pose_score_is_mean_of_scores_above_threshold():
    sc = np.full(17, 0.1)
    assert pose_score(sc) == 0.0
    sc[:3] = (0.9, 0.6, 0.2)  # 0.2 is not above 0.2
    assert pose_score(sc) == pytest.approx(0.75)


@settings(max_examples=200, deadline=None)
@given(
    h=st.integers(100, 1500), w=st.integers(100, 1500),
    cy=st.floats(0.1, 0.9), cx=st.floats(0.1, 0.9),
    spread=st.lists(st.floats(-0.3, 0.3), min_size=34, max_size=34),
    scores=st.lists(st.floats(0.0, 1.0), min_size=17, max_size=17),
)
def test_region_is_pixel_square_containing_centre(h, w, cy, cx, spread, scores):
    kp = np.array([cy * h, cx * w]) + np.array(spread).reshape(17, 2) * [h, w]
    sc = np.array(scores)
    sc[[L_HIP, L_SH]] = 0.9
    region, m = determine_crop_region(kp, sc, h, w)
    side_y, side_x = square_px(region, h, w)
    assert side_y == pytest.approx(side_x, rel=1e-9)
    if not m.used_fallback:
        y, x = m.centre_yx
        assert region.ymin * h <= y <= region.ymax * h and region.xmin * w <= x <= region.xmax * w
        assert (region.ymin + region.ymax) / 2 * h == pytest.approx(y, abs=1e-6)
        if not m.capped:
            assert m.half_length >= 1.9 * max(m.torso_range_yx) - 1e-9
            assert m.half_length >= 1.2 * max(m.body_range_yx) - 1e-9


# ---------------------------------------------------------------- tracker

def test_tracker_first_frame_filter_init_and_low_pass():
    t = CropTracker()
    assert t.region is None
    assert t.current(480, 640) == init_crop_region(480, 640, first_frame=True)
    kp, sc = person()
    m1 = t.update(kp, sc, 480, 640)
    assert m1.next_region == m1.raw_region == t.current(480, 640)  # first sample passes
    kp2, _ = person(center=(320.0, 360.0))
    m2 = t.update(kp2, sc, 480, 640)
    prev, new = np.array(m1.next_region.as_tuple()), np.array(m2.raw_region.as_tuple())
    expect = prev + 0.9 * (new - prev)
    assert np.array(t.current(480, 640).as_tuple()) == pytest.approx(expect, abs=1e-15)
    assert m2.next_region == t.region


def test_tracker_filters_fallback_regions_too():
    t = CropTracker()
    t.current(480, 640)
    kp, sc = person()
    first = np.array(t.update(kp, sc, 480, 640).next_region.as_tuple())
    sc[[L_HIP, R_HIP]] = 0.0  # torso lost, but pose score still high
    m = t.update(kp, sc, 480, 640)
    assert m.used_fallback and not m.reset
    pad = np.array(init_crop_region(480, 640).as_tuple())
    assert np.array(m.next_region.as_tuple()) == pytest.approx(first + 0.9 * (pad - first))


def test_tracker_resets_below_min_pose_score():
    t = CropTracker()
    t.current(480, 640)
    kp, sc = person()
    t.update(kp, sc, 480, 640)
    t.update(*person(center=(250.0, 300.0)), 480, 640)
    low = np.full(17, 0.22)  # all above 0.2, mean 0.22 < 0.25
    m = t.update(kp, low, 480, 640)
    assert m.reset and m.next_region is None and m.pose_score == pytest.approx(0.22)
    assert t.region is None
    assert t.current(480, 640) == init_crop_region(480, 640, first_frame=True)
    # Filters were reset too: the next region passes through unfiltered.
    kp3, sc3 = person(center=(200.0, 400.0))
    m3 = t.update(kp3, sc3, 480, 640)
    assert m3.next_region == m3.raw_region == determine_crop_region(kp3, sc3, 480, 640)[0]


def test_tracker_keeps_pose_with_few_confident_keypoints():
    t = CropTracker()
    kp, _ = person()
    sc = np.full(17, 0.05)
    sc[[L_HIP, L_SH, 0]] = 0.9  # mean over the three scores above 0.2 is 0.9
    m = t.update(kp, sc, 480, 640)
    assert not m.reset and m.pose_score == pytest.approx(0.9)


# ---------------------------------------------------------------- crop and resize

def slow_crop_and_resize(img, region, out_h, out_w):
    """Pixel-by-pixel transcription of tfjs-backend-cpu CropAndResize + int32 cast."""
    h, w, c = img.shape
    y1, x1, y2, x2 = (float(np.float32(v)) for v in region.as_tuple())
    hs = (y2 - y1) * (h - 1) / (out_h - 1) if out_h > 1 else 0
    ws = (x2 - x1) * (w - 1) / (out_w - 1) if out_w > 1 else 0
    out = np.zeros((out_h, out_w, c), np.uint8)
    for y in range(out_h):
        yi = y1 * (h - 1) + y * hs if out_h > 1 else 0.5 * (y1 + y2) * (h - 1)
        if yi < 0 or yi > h - 1:
            continue
        t, b = math.floor(yi), math.ceil(yi)
        yl = yi - t
        for x in range(out_w):
            xi = x1 * (w - 1) + x * ws if out_w > 1 else 0.5 * (x1 + x2) * (w - 1)
            if xi < 0 or xi > w - 1:
                continue
            lft, rgt = math.floor(xi), math.ceil(xi)
            xl = xi - lft
            for ch in range(c):
                tl, tr = float(img[t, lft, ch]), float(img[t, rgt, ch])
                bl, br = float(img[b, lft, ch]), float(img[b, rgt, ch])
                top = tl + (tr - tl) * xl
                bottom = bl + (br - bl) * xl
                out[y, x, ch] = int(np.float32(top + (bottom - top) * yl))
    return out


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    h=st.integers(1, 40), w=st.integers(1, 40),
    out_h=st.integers(1, 17), out_w=st.integers(1, 17),
    box=st.tuples(st.floats(-0.6, 1.0), st.floats(-0.6, 1.0), st.floats(0.05, 1.2), st.floats(0.05, 1.2)),
)
def test_crop_and_resize_matches_slow_reference(seed, h, w, out_h, out_w, box):
    img = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    region = CropRegion(box[0], box[1], box[0] + box[2], box[1] + box[3])
    np.testing.assert_array_equal(crop_and_resize(img, region, out_h, out_w),
                                  slow_crop_and_resize(img, region, out_h, out_w))


def numpy_crop_and_resize(frame: np.ndarray, region: CropRegion, out_h: int, out_w: int) -> np.ndarray:
    """The numpy crop (core.preprocessing.crop_numpy, used until numba's kernel is loaded) with
    crop_and_resize's arguments and result."""
    img = np.ascontiguousarray(frame)
    out = np.empty((out_h, out_w, img.shape[2]), np.uint8)
    crop_into_numpy(img, *np.array(region.as_tuple(), np.float32).tolist(), out)
    return out


def test_compiled_kernel_equals_the_numpy_kernel_on_many_boxes():
    """The compiled kernel against the numpy kernel (the one it replaced, which crops until it is
    loaded), bit for bit, on a noise frame (every lerp matters): 600 random boxes, about half
    partly or wholly outside the frame, shrinking and enlarging, at Lightning's, Thunder's and odd
    output sizes (and 1-pixel ones)."""
    load_crop_kernel()
    frame = np.random.default_rng(11).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    rng = np.random.default_rng(2024)
    sizes = [(192, 192), (256, 256), (37, 53), (1, 7), (5, 1)]
    outside = 0
    for k in range(600):
        side_y, side_x = rng.uniform(0.02, 1.6, 2) if k % 3 else (rng.uniform(0.02, 1.6),) * 2
        y0, x0 = rng.uniform(-0.8, 1.0), rng.uniform(-0.8, 1.0)
        region = CropRegion(y0, x0, y0 + side_y, x0 + side_x)
        outside += not (0 <= region.ymin and region.ymax <= 1 and 0 <= region.xmin and region.xmax <= 1)
        out_h, out_w = sizes[k % len(sizes)]
        np.testing.assert_array_equal(crop_and_resize(frame, region, out_h, out_w),
                                      numpy_crop_and_resize(frame, region, out_h, out_w), err_msg=str(region))
    assert outside > 250
    # Other channel counts (grey, RGBA) take the kernel's general gather.
    for channels in (1, 4):
        image = np.random.default_rng(channels).integers(0, 256, (97, 131, channels), dtype=np.uint8)
        for region in (CropRegion(-0.2, 0.1, 0.7, 1.3), CropRegion(0.1, 0.05, 0.6, 0.55)):
            np.testing.assert_array_equal(crop_and_resize(image, region, 37, 53),
                                          numpy_crop_and_resize(image, region, 37, 53), err_msg=str(region))
    # Non-contiguous input (a view) is handled, and the result is a new array each call.
    view = frame[::2, ::3]
    region = CropRegion(0.1, -0.2, 0.9, 0.7)
    first = crop_and_resize(view, region, 192, 192)
    np.testing.assert_array_equal(first, numpy_crop_and_resize(view, region, 192, 192))
    assert crop_and_resize(view, region, 192, 192) is not first


def test_crop_and_resize_real_size_against_reference_and_black_outside():
    img = np.random.default_rng(7).integers(0, 256, (72, 128, 3), dtype=np.uint8)
    region = init_crop_region(72, 128)  # padded square: bands above and below are black
    out = crop_and_resize(img, region, 48, 48)
    np.testing.assert_array_equal(out, slow_crop_and_resize(img, region, 48, 48))
    assert not out[:10].any() and not out[-10:].any() and out[20:28].any()
    assert not crop_and_resize(img, CropRegion(1.5, 1.5, 2.5, 2.5), 8, 8).any()


def test_crop_and_resize_identity_and_truncation():
    img = np.random.default_rng(3).integers(0, 256, (9, 11, 3), dtype=np.uint8)
    np.testing.assert_array_equal(crop_and_resize(img, CropRegion(0, 0, 1, 1), 9, 11), img)
    two = np.array([[[0, 0, 0], [3, 3, 3]]], np.uint8)  # middle sample is 1.5
    assert crop_and_resize(two, CropRegion(0, 0, 1, 1), 1, 3)[0, 1, 0] == 1  # truncated, not 2


def test_crop_and_resize_rejects_bad_input():
    with pytest.raises(TypeError):
        crop_and_resize(np.zeros((4, 4, 3), np.float32), CropRegion(0, 0, 1, 1), 2, 2)
    with pytest.raises(ValueError):
        crop_and_resize(np.zeros((4, 4), np.uint8), CropRegion(0, 0, 1, 1), 2, 2)
    with pytest.raises(ValueError):
        crop_and_resize(np.zeros((4, 4, 3), np.uint8), CropRegion(0, 0, 1, 1), 0, 2)


# ---------------------------------------------------------------- mapping back

def test_region_to_frame_known_values_and_xy_order():
    region = CropRegion(0.25, -0.5, 0.75, 0.5)
    yx = np.array([[0.0, 0.0], [1.0, 1.0], [0.5, 0.75]])
    np.testing.assert_allclose(region_to_frame_normalized(yx, region),
                               [[0.25, -0.5], [0.75, 0.5], [0.5, 0.25]])
    np.testing.assert_allclose(region_to_frame(yx, region, 400, 600),
                               [[-300, 100], [300, 300], [150, 200]])


@settings(max_examples=50, deadline=None)
@given(
    yx=st.lists(st.floats(-0.5, 1.5), min_size=34, max_size=34),
    box=st.tuples(st.floats(-1, 1), st.floats(-1, 1), st.floats(0.01, 2), st.floats(0.01, 2)),
    h=st.integers(1, 2000), w=st.integers(1, 2000),
)
def test_region_to_frame_round_trip(yx, box, h, w):
    region = CropRegion(box[0], box[1], box[0] + box[2], box[1] + box[3])
    pts = np.array(yx).reshape(17, 2)
    back = frame_to_region(region_to_frame(pts, region, h, w), region, h, w)
    np.testing.assert_allclose(back, pts, atol=1e-9)
