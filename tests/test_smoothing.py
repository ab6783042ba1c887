"""Tests for movenet_studio.core.tracking.smoothing (TF.js One Euro keypoint smoothing)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from movenet_studio.core.tracking.smoothing import (
    MOVENET_KEYPOINT_FILTER_CONFIG,
    KeypointSmoother,
    KeypointsOneEuroFilter,
    LowPassFilter,
    OneEuroConfig,
    OneEuroFilter,
)

FRAME_MS = 1000 / 30
PLAIN = OneEuroConfig(frequency=30, min_cutoff=1.0, beta=0.0, derivate_cutoff=1.0)


def run(filt, values, t0_ms=FRAME_MS, dt_ms=FRAME_MS):
    return np.array([filt.apply(v, t0_ms + i * dt_ms) for i, v in enumerate(values)])


# ---------------------------------------------------------------- low-pass

def test_low_pass_first_sample_then_exponential():
    f = LowPassFilter(0.9)
    assert not f.initialized
    assert f.apply(10.0) == 10.0
    assert f.apply(20.0) == pytest.approx(19.0)
    assert f.apply(20.0) == pytest.approx(19.9)
    assert f.last_raw_value() == 20.0
    f.reset()
    assert f.apply(-5.0) == -5.0


def test_low_pass_threshold_uses_asinh_of_change():
    f = LowPassFilter(0.5)
    f.apply(np.array([0.0, 0.0]))
    out = f.apply(np.array([0.1, 10.0]), threshold=0.5)
    np.testing.assert_allclose(out, 0.5 * 0.5 * np.arcsinh(np.array([0.1, 10.0]) / 0.5))
    assert out[1] < 0.5 * 10.0 / 3  # a big jump is strongly damped


# ---------------------------------------------------------------- one euro

def test_movenet_constants():
    c = MOVENET_KEYPOINT_FILTER_CONFIG
    assert (c.frequency, c.min_cutoff, c.beta, c.derivate_cutoff) == (30, 2.5, 300, 2.5)
    assert (c.threshold_cutoff, c.threshold_beta, c.disable_value_scaling) == (0.5, 5.0, True)


def test_constant_input_passes_through():
    out = run(OneEuroFilter(MOVENET_KEYPOINT_FILTER_CONFIG), [0.37] * 50)
    assert np.all(out == 0.37)


def test_first_timestamp_zero_is_passed_through_without_state():
    f = OneEuroFilter(PLAIN)
    assert f.apply(5.0, 0.0) == 5.0  # TF.js: lastTimestamp (0) >= 0 -> value as is
    assert f.last_timestamp_us == 0
    assert f.apply(1.0, FRAME_MS) == 1.0  # the first filtered sample seeds the filter
    assert f.frequency == 30  # not updated on the first filtered sample
    assert f.apply(2.0, 2 * FRAME_MS) < 2.0


def test_non_increasing_timestamp_returns_input_and_keeps_state():
    a, b = OneEuroFilter(PLAIN), OneEuroFilter(PLAIN)
    for f in (a, b):
        f.apply(0.0, 100.0)
        f.apply(1.0, 200.0)
    assert a.apply(50.0, 200.0) == 50.0
    assert a.apply(60.0, 150.0) == 60.0
    assert a.apply(1.5, 300.0) == b.apply(1.5, 300.0)


def test_rate_follows_timestamps_in_whole_microseconds():
    f = OneEuroFilter(PLAIN)
    f.apply(0.0, 100.0)
    f.apply(0.0, 200.0)
    assert f.frequency == pytest.approx(10.0)
    f.apply(0.0, 200.0 + 1000 / 30)  # 33333.33 us truncates to 33333 us
    assert f.last_timestamp_us == 233333
    assert f.frequency == pytest.approx(1e6 / 33333)


def test_two_sample_formula_matches_tfjs_order():
    cfg = OneEuroConfig(frequency=30, min_cutoff=2.5, beta=300, derivate_cutoff=2.5,
                        threshold_cutoff=0.5, threshold_beta=5.0)
    f = OneEuroFilter(cfg)
    v1, v2, t1, t2 = 0.40, 0.43, 1000.0, 1050.0
    assert f.apply(v1, t1) == v1
    out = f.apply(v2, t2)
    freq = 1 / ((t2 - t1) * 1e-3)  # rate updated before any alpha is computed

    def alpha(cut):
        return 1 / (1 + freq / (2 * math.pi * cut))

    ed = alpha(2.5) * ((v2 - v1) * freq)  # speed low-pass seeded with 0 on the first sample
    thr = 0.5 + 5.0 * abs(ed)
    expect = v1 + alpha(2.5 + 300 * abs(ed)) * thr * math.asinh((v2 - v1) / thr)
    assert out == pytest.approx(expect, rel=1e-12)


def test_step_response_converges():
    out = run(OneEuroFilter(PLAIN), [0.0] * 10 + [1.0] * 60)
    step = out[10:]
    assert 0 < step[0] < 1 and np.all(np.diff(step) >= 0)
    assert abs(step[-1] - 1.0) < 1e-3
    fast = run(OneEuroFilter(MOVENET_KEYPOINT_FILTER_CONFIG), [0.0] * 10 + [0.1] * 30)[10:]
    assert abs(fast[-1] - 0.1) < 1e-4


def test_jitter_on_constant_signal_is_suppressed():
    rng = np.random.default_rng(0)
    x = 0.5 + rng.normal(0, 0.01, 400)
    assert run(OneEuroFilter(PLAIN), x)[50:].std() < 0.5 * x[50:].std()
    x = 0.5 + rng.normal(0, 0.001, (400, 17, 2))  # ~0.2 px of a 192 px crop
    s = KeypointSmoother()
    out = np.array([s.apply(x[i], (i + 1) * FRAME_MS) for i in range(len(x))])
    assert out[50:].std() < 0.8 * x[50:].std()


def test_lag_on_ramp_is_bounded():
    speed = 0.3  # units per second
    t = np.arange(1, 151) / 30
    for cfg in (PLAIN, MOVENET_KEYPOINT_FILTER_CONFIG):
        out = run(OneEuroFilter(cfg), speed * t)
        lag = (speed * t - out)[30:]
        # Never worse than a plain low-pass at min_cutoff: lag = speed / (2 pi min_cutoff)
        # (0.1 % slack: the rate comes from whole-microsecond timestamps).
        assert np.all(lag >= -1e-12) and lag.max() <= 1.001 * speed / (2 * math.pi * cfg.min_cutoff)
    assert lag.max() < 0.1 * speed / (2 * math.pi * 2.5)  # MoveNet's beta makes it nimble


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 12))
def test_vectorised_equals_per_coordinate_scalar_filters(seed, n):
    rng = np.random.default_rng(seed)
    seq = rng.random((n, 3, 2))
    times = np.cumsum(rng.uniform(5, 60, n))
    vec = KeypointsOneEuroFilter()
    got = np.array([vec.apply(seq[i], times[i]) for i in range(n)])
    for j in range(3):
        for k in range(2):
            f = OneEuroFilter(MOVENET_KEYPOINT_FILTER_CONFIG)
            np.testing.assert_array_equal(got[:, j, k], [f.apply(seq[i, j, k], times[i]) for i in range(n)])


# ---------------------------------------------------------------- keypoint smoother

def test_keypoint_smoother_reset_and_passthrough_modes():
    s = KeypointSmoother()
    a, b = np.full((17, 2), 0.2), np.full((17, 2), 0.6)
    assert np.array_equal(s.apply(a, FRAME_MS), a)
    moved = s.apply(b, 2 * FRAME_MS)
    assert np.all((moved > 0.2) & (moved < 0.6))
    s.reset()
    assert np.array_equal(s.apply(b, 3 * FRAME_MS), b)  # after reset: passes through again
    assert np.array_equal(s.apply(a, None), a)  # no timestamp: TF.js skips smoothing
    off = KeypointSmoother(enabled=False)
    off.apply(a, FRAME_MS)
    assert np.array_equal(off.apply(b, 2 * FRAME_MS), b)


def test_keypoint_smoother_rejects_bad_shape():
    with pytest.raises(ValueError):
        KeypointSmoother().apply(np.zeros((17, 3)), 0.0)


def test_keypoints_filter_reinitialises_on_new_count():
    f = KeypointsOneEuroFilter()
    f.apply(np.zeros((17, 2)), FRAME_MS)
    fresh = np.ones((5, 2))
    assert np.array_equal(f.apply(fresh, 2 * FRAME_MS), fresh)
