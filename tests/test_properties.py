"""Property tests (hypothesis) for the maths a hostile frame or model output can reach.

tests/test_cropping.py and tests/test_decode.py cover the TF.js semantics on plausible
inputs; these add inputs no real model should produce but a damaged one may: keypoints far
outside the frame or all in one spot, any scores, tiny and huge frames, heads with extreme
(finite) values, MultiPose outputs of any finite value, timestamps that repeat or go
backwards. Nothing may raise, and nothing may turn into NaN.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from movenet_studio.core.tracking.cropping import CropTracker, determine_crop_region, init_crop_region
from movenet_studio.core.preprocessing.crop import crop_and_resize
from movenet_studio.core.preprocessing.mapping import CropRegion
from movenet_studio.core.decoding.decode import decode_singlepose
from movenet_studio.core.decoding.heads import Heads
from movenet_studio.core.decoding.multipose import decode_multipose
from movenet_studio.core.preprocessing.mapping import InputMapping
from movenet_studio.core.tracking.smoothing import KeypointSmoother

L_SH, R_SH, L_HIP, R_HIP = 5, 6, 11, 12
FINITE32 = st.floats(width=32, allow_nan=False, allow_infinity=False)  # the whole finite float32 range

sizes = st.integers(1, 4000)
coords = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
scores = st.floats(0.0, 1.0, allow_nan=False)


def _pose(draw, h, w):
    """Keypoints anywhere (often in the frame, sometimes far outside or all in one spot)."""
    spot = draw(st.booleans())
    if spot:  # every keypoint on the same pixel: zero torso and body ranges
        y, x = draw(coords), draw(coords)
        kp = np.tile([y, x], (17, 1)).astype(np.float64)
    else:
        inside = st.tuples(st.floats(-0.5 * h, 1.5 * h), st.floats(-0.5 * w, 1.5 * w))
        points = draw(st.lists(st.one_of(inside, st.tuples(coords, coords)), min_size=17, max_size=17))
        kp = np.array(points, dtype=np.float64)
    sc = np.array(draw(st.lists(scores, min_size=17, max_size=17)), dtype=np.float64)
    if draw(st.booleans()):  # a visible torso, so the region is not always the fallback
        sc[[L_HIP, L_SH]] = draw(st.floats(0.21, 1.0))
    return kp, sc


@st.composite
def frames_and_poses(draw):
    h, w = draw(sizes), draw(sizes)
    kp, sc = _pose(draw, h, w)
    return h, w, kp, sc


def _assert_sane_region(region: CropRegion, h: int, w: int) -> None:
    values = np.array(region.as_tuple())
    assert np.isfinite(values).all(), region
    assert region.height >= 0 and region.width >= 0, region
    side_y, side_x = region.height * h, region.width * w
    assert abs(side_y - side_x) <= 1e-9 * max(1.0, side_y, side_x), (region, h, w)  # square in pixels


@settings(max_examples=200, deadline=None)
@given(frames_and_poses())
def test_determine_crop_region_is_a_finite_pixel_square(case):
    h, w, kp, sc = case
    region, m = determine_crop_region(kp, sc, h, w)
    _assert_sane_region(region, h, w)
    if m.used_fallback:
        assert region == init_crop_region(h, w)
    else:  # half side within max(W, H) / 2, centred on the hips
        assert m.half_length <= max(h, w) / 2 + 1e-9
        cy, cx = m.centre_yx
        assert abs((region.ymin + region.ymax) / 2 * h - cy) <= 1e-6 * max(1.0, abs(cy))
        assert abs((region.xmin + region.xmax) / 2 * w - cx) <= 1e-6 * max(1.0, abs(cx))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_crop_tracker_over_random_sequences_stays_finite_and_square(data):
    h, w = data.draw(sizes), data.draw(sizes)
    tracker = CropTracker()
    _assert_sane_region(tracker.current(h, w), h, w)
    for _ in range(data.draw(st.integers(1, 8))):
        kp, sc = _pose(data.draw, h, w)
        measurement = tracker.update(kp, sc, h, w)
        region = tracker.current(h, w)
        _assert_sane_region(region, h, w)
        if measurement.reset:
            assert region == init_crop_region(h, w, first_frame=True)


edges = st.floats(-5.0, 5.0, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(h=st.integers(1, 40), w=st.integers(1, 40), out=st.tuples(st.integers(1, 24), st.integers(1, 24)),
       box=st.tuples(edges, edges, edges, edges), seed=st.integers(0, 2**16))
def test_crop_and_resize_any_region_gives_an_image(h, w, out, box, seed):
    frame = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    y0, x0, y1, x1 = box  # any order: inverted and zero-size boxes too
    crop = crop_and_resize(frame, CropRegion(y0, x0, y1, x1), *out)
    assert crop.shape == (*out, 3) and crop.dtype == np.uint8
    eps = 1e-6  # box edges are rounded to float32 first, as in TF.js
    outside = max(y0, y1) < -eps or min(y0, y1) > 1 + eps or max(x0, x1) < -eps or min(x0, x1) > 1 + eps
    if outside and h > 1 and w > 1:  # (a 1-pixel axis samples its one pixel whatever the box, as in TF.js)
        assert not crop.any()  # entirely outside the frame: black


@st.composite
def extreme_heads(draw):
    s = draw(st.integers(1, 5))
    prob = st.one_of(st.floats(0, 1, width=32), st.sampled_from([0.0, 1.0, 1e-38, 1e-45]).map(np.float32))
    centre = draw(arrays(np.float32, (s, s), elements=prob))
    heatmaps = draw(arrays(np.float32, (s, s, 17), elements=prob))
    regression = draw(arrays(np.float32, (s, s, 34), elements=FINITE32))
    offsets = draw(arrays(np.float32, (s, s, 34), elements=FINITE32))
    return Heads(centre, heatmaps, regression, offsets, (4 * s, 4 * s))


@settings(max_examples=40, deadline=None)
@given(extreme_heads())
def test_decode_on_extreme_heads_never_raises_and_picks_cells_in_range(heads):
    with np.errstate(over="ignore", invalid="ignore"):  # overflow to inf is fine, NaN is not
        steps = decode_singlepose(heads)
    s = heads.size
    assert 0 <= steps.centre_cell[0] < s and 0 <= steps.centre_cell[1] < s
    assert steps.keypoint_cells.shape == (17, 2)
    assert np.all((steps.keypoint_cells >= 0) & (steps.keypoint_cells < s))
    ky, kx = steps.keypoint_cells.T
    assert np.array_equal(steps.keypoints[:, 2], heads.keypoint_heatmaps[ky, kx, np.arange(17)])
    assert not np.isnan(steps.keypoints).any()


@settings(max_examples=100, deadline=None)
@given(raw=arrays(np.float32, (1, 6, 56), elements=st.one_of(st.floats(-2, 2, width=32), FINITE32)),
       frame=st.tuples(st.integers(1, 3000), st.integers(1, 3000)), min_score=st.floats(0, 1))
def test_multipose_decode_on_any_finite_output(raw, frame, min_score):
    mapping = InputMapping((0.0, 0.0, 1.0, 1.0), frame, (256, 256))
    with np.errstate(over="ignore", invalid="ignore"):
        poses = decode_multipose(raw, mapping, min_score)
    assert len(poses) <= 6
    assert [p.score for p in poses] == sorted((p.score for p in poses), reverse=True)
    for pose in poses:
        assert pose.score >= min_score and pose.keypoints.shape == (17, 3)
        assert not np.isnan(pose.keypoints).any()


timestamps = st.one_of(st.floats(-1e4, 1e9, allow_nan=False), st.sampled_from([0.0, 33.3, 33.3001]))
keypoint_arrays = arrays(np.float64, (17, 2), elements=st.floats(-2, 3))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(timestamps, keypoint_arrays), min_size=2, max_size=12))
def test_smoothing_with_repeated_or_backward_timestamps_stays_finite(samples):
    smoother = KeypointSmoother()
    for timestamp_ms, keypoints in samples:
        out = smoother.apply(keypoints, timestamp_ms)
        assert out.shape == (17, 2) and np.isfinite(out).all(), (timestamp_ms, out)
