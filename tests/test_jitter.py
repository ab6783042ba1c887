"""Trajectories, jitter and filter lag (core.trajectories, core.jitter), the tunable One Euro
parameters (core.smoothing) reaching the filter, and infer's summary.jitter."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest

from conftest import data_file
from media import shared_path
from movenet_studio.cli import main
from movenet_studio.core.analysis.jitter import filter_lag_ms, measure_jitter, second_difference_rms
from movenet_studio.core.decoding.keypoint_sets import keypoint_set_for
from movenet_studio.core.decoding.keypoints import KEYPOINT_NAMES
from movenet_studio.core.decoding.pose import Pose
from movenet_studio.core.pipeline import Pipeline
from movenet_studio.core.pipeline_config import PipelineConfig
from movenet_studio.core.tracking.smoothing import (MOVENET_KEYPOINT_FILTER_CONFIG, KeypointSmoother, format_one_euro,
                                                    parse_one_euro)
from movenet_studio.core.media.opener import open_source
from movenet_studio.core.analysis.trajectories import RING_FRAMES, TrajectoryRecorder

FRAME_MS = 1000 / 30
STRONG = "min_cutoff=1,beta=0,d_cutoff=1"  # a slow filter: less jitter, more lag than TF.js's


def fake_result(index, smoothed, raw=None, *, timestamp_ms=None, reset=False, one_euro=None):
    """A FrameResult-like record with one pose [K, 2] (x, y) in pixels."""
    k = smoothed.shape[0]
    ones = np.ones((k, 1), np.float32)
    pose = Pose(np.concatenate([smoothed, ones], 1).astype(np.float32), 0.9) if not reset else None
    raw_kp = None if raw is None else np.concatenate([raw, ones], 1).astype(np.float32)
    return SimpleNamespace(index=index, timestamp_ms=index * FRAME_MS if timestamp_ms is None else timestamp_ms,
                           poses=() if pose is None else (pose,), raw_keypoints=raw_kp, tracker_reset=reset,
                           one_euro=one_euro, raw_output=np.full((1, 1, k, 3), 0.1, np.float32))


def record(raw, smoothed, fps=30.0, frame_count=None):
    """A recorder holding trajectories raw, smoothed [N, K, 2] sampled at `fps`."""
    recorder = TrajectoryRecorder(frame_count or len(raw), names=tuple(f"k{i}" for i in range(raw.shape[1])))
    for i in range(len(raw)):
        recorder.add(fake_result(i, smoothed[i], raw[i], timestamp_ms=i * 1000.0 / fps))
    return recorder


# ---------------------------------------------------------------- jitter and lag, synthetic

def test_white_noise_jitter_is_sqrt6_sigma():
    rng = np.random.default_rng(1)
    sigma, n = 1.5, 4000
    t = np.arange(n)[:, None, None]
    motion = np.concatenate([200 + 80 * np.sin(t / 40), 300 + 50 * np.cos(t / 70)], axis=2)  # slow: ~0 second diff
    motion = np.repeat(motion, 3, axis=1)
    raw = motion + rng.normal(0, sigma, (n, 3, 2))
    jitter = measure_jitter(record(raw, motion).snapshot())
    for value in jitter.values():
        assert value.raw_px == pytest.approx(math.sqrt(6) * sigma, rel=0.04)
        assert value.smoothed_px < 0.05
        assert value.samples == n - 2


def test_jitter_is_normalised_to_30fps():
    # A constant acceleration of a px/s^2: d2 = a dt^2; normalised to 30 fps: a / 900 at any rate.
    accel = 900.0 * 2.0
    for fps in (5.0, 30.0, 60.0):
        t = np.arange(40) / fps
        xy = np.stack([0.5 * accel * t ** 2, np.zeros_like(t)], axis=1)[:, None, :]
        rms, count = second_difference_rms(xy, record(xy, xy, fps).snapshot())
        # x carries the whole acceleration, y none: RMS over both coordinates = accel/900 / sqrt(2)
        assert rms[0] == pytest.approx(2.0 / math.sqrt(2), rel=1e-6) and count[0] == 38


def test_lag_of_a_delayed_copy():
    rng = np.random.default_rng(2)
    n, delay = 600, 3
    kernel = np.exp(-0.5 * (np.arange(-15, 16) / 5.0) ** 2)
    noise = rng.normal(0, 20, (n + delay + 30, 4))
    walk = np.stack([np.convolve(noise[:, c], kernel, "valid") for c in range(4)], 1).reshape(-1, 2, 2)  # smooth motion
    raw, smoothed = walk[delay:], walk[:-delay]  # smoothed[i] = raw[i - delay]
    lag = filter_lag_ms(record(raw, smoothed).snapshot())
    np.testing.assert_allclose(lag, delay * FRAME_MS, atol=0.25 * FRAME_MS)
    assert np.all(np.abs(filter_lag_ms(record(raw, raw).snapshot())) < 0.05 * FRAME_MS)


def test_runs_gaps_and_resets_break_second_differences():
    xy = np.zeros((1, 2), np.float32)
    recorder = TrajectoryRecorder(100, names=("a",))
    for i in (0, 1, 2, 3):                        # one run: triplets centred at 1 and 2
        recorder.add(fake_result(i, xy + i * i, xy + i * i))
    recorder.add(fake_result(4, xy, reset=True))  # tracker reset: no pose, filter restarts
    for i in (5, 6, 8, 9, 10):                    # frame 7 dropped: triplet centred at 9 only
        recorder.add(fake_result(i, xy + 100, xy + 100))
    for i in (20, 21, 22):                        # a seek (new generation): centred at 21
        recorder.add(fake_result(i, xy, xy), generation=1)
    snap = recorder.snapshot()
    assert list(snap.index) == [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 20, 21, 22]
    assert snap.dropped_before[list(snap.index).index(8)] == 1 and snap.tracker_reset[4]
    assert snap.pose_score[4] == pytest.approx(0.0)  # below the keypoint threshold, from the model's output
    rms, count = second_difference_rms(snap.smoothed, snap)
    # d2 = 2 in x and y at frames 1 and 2, 0 at 9 and 21: sqrt((2 * 2 * 2^2) / (4 triplets * 2 coordinates))
    assert count[0] == 4 and rms[0] == pytest.approx(math.sqrt(2))


def test_no_figure_until_enough_frames_of_one_configuration():
    """Issue 25: a handful of frames (e.g. after a switch at the end of a video) gives no jitter
    and no lag figure, not a lag of -333 ms from 2 triplets; enough frames give both."""
    rng = np.random.default_rng(7)
    motion = np.cumsum(rng.normal(0, 3, (200, 1, 2)), axis=0).astype(np.float32)
    smoothed = np.roll(motion, 2, axis=0)
    few = measure_jitter(record(motion[:4], smoothed[:4]).snapshot())["k0"]
    assert few.raw_px is None and few.smoothed_px is None and few.lag_ms is None
    short = measure_jitter(record(motion[:20], smoothed[:20]).snapshot())["k0"]
    assert short.raw_px is not None and short.lag_ms is None  # 18 triplets, too few velocity pairs
    enough = measure_jitter(record(motion[:120], smoothed[:120]).snapshot())["k0"]
    assert enough.raw_px is not None and enough.lag_ms == pytest.approx(2 * FRAME_MS, abs=0.5 * FRAME_MS)


def test_photos_are_independent():
    rng = np.random.default_rng(4)
    recorder = TrajectoryRecorder(10, names=("a",), stills=True)
    for i in range(10):
        xy = rng.normal(0, 50, (1, 2)).astype(np.float32)
        recorder.add(fake_result(i, xy, xy))
    jitter = measure_jitter(recorder.snapshot())["a"]
    assert jitter.samples == 0 and jitter.raw_px is None and jitter.lag_ms is None


def test_recorder_ring_buffer_and_keep_generation():
    xy = np.zeros((17, 2), np.float32)
    ring = TrajectoryRecorder(None, live=True)
    for i in range(RING_FRAMES + 50):
        ring.add(fake_result(i, xy))
    snap = ring.snapshot(keypoint=13)
    assert len(snap) == RING_FRAMES and snap.index[0] == 50 and snap.smoothed.shape == (RING_FRAMES, 1, 2)
    assert snap.names == (KEYPOINT_NAMES[13],)
    ring.add(fake_result(3, xy))  # the index went back: the ring starts again
    assert list(ring.snapshot().index) == [3]

    clip = TrajectoryRecorder(10)
    clip.add(fake_result(0, xy), generation=1)
    clip.add(fake_result(1, xy), generation=2)
    clip.reset(5, keep_generation=2)  # the new source's first frame was recorded before the reset
    assert list(clip.snapshot().index) == [1] and clip.capacity == 5
    clip.add(fake_result(7, xy), generation=2)  # more frames than the container said: grows
    assert list(clip.snapshot().index) == [1, 7]


def test_epochs_measure_the_newest_filter_only():
    rng = np.random.default_rng(3)
    recorder = TrajectoryRecorder(200, names=("a",))
    old, new = parse_one_euro("beta=1"), parse_one_euro("beta=2")
    for i in range(200):
        raw = rng.normal(0, 1, (1, 2)).astype(np.float32)
        smoothed = raw * (10 if i < 100 else 1)  # the old filter "amplified", the new one passes through
        recorder.add(fake_result(i, smoothed, raw, one_euro=old if i < 100 else new))
    snap = recorder.snapshot()
    assert snap.one_euro == new and snap.epoch[-1] == snap.epoch_now != snap.epoch[0]
    now = measure_jitter(snap)["a"]
    assert now.smoothed_px == pytest.approx(now.raw_px) and now.samples == 98
    assert measure_jitter(snap, current_epoch=False)["a"].smoothed_px > 3 * now.raw_px


# ---------------------------------------------------------------- One Euro parameters

def test_parse_and_format_one_euro():
    config = parse_one_euro("min_cutoff=1.5, beta=20,d_cutoff=3")
    assert (config.min_cutoff, config.beta, config.derivate_cutoff) == (1.5, 20, 3)
    assert config.threshold_cutoff == MOVENET_KEYPOINT_FILTER_CONFIG.threshold_cutoff  # the rest is TF.js's
    assert format_one_euro(MOVENET_KEYPOINT_FILTER_CONFIG) == "min_cutoff=2.5,beta=300,d_cutoff=2.5"
    assert parse_one_euro(format_one_euro(config)) == config
    assert parse_one_euro("beta=7").min_cutoff == 2.5 and parse_one_euro("tfjs") == MOVENET_KEYPOINT_FILTER_CONFIG
    for bad in ("beta", "gamma=1", "beta=x", "min_cutoff=0", "beta=-1", "d_cutoff=nan", "beta=inf"):
        with pytest.raises(ValueError):
            parse_one_euro(bad)


def test_set_config_reaches_the_filter_without_reset():
    values = np.linspace(0, 0.3, 20)[:, None, None] * np.ones((20, 1, 2))
    a, b = KeypointSmoother(), KeypointSmoother()
    out_a = [a.apply(v, (i + 1) * FRAME_MS) for i, v in enumerate(values[:10])]
    out_b = [b.apply(v, (i + 1) * FRAME_MS) for i, v in enumerate(values[:10])]
    b.set_config(parse_one_euro(STRONG))
    assert b.config.beta == 0
    out_a += [a.apply(v, (i + 11) * FRAME_MS) for i, v in enumerate(values[10:])]
    out_b += [b.apply(v, (i + 11) * FRAME_MS) for i, v in enumerate(values[10:])]
    assert np.all(np.asarray(out_b[11:]) < np.asarray(out_a[11:]))  # the slow filter lags the ramp more
    assert np.all(out_b[10] < values[10])  # no reset: a re-seeded filter would pass the sample through


# ---------------------------------------------------------------- on the real model

@pytest.fixture(scope="session")
def pose_1_runs():
    """pose_1.mp4 (120 frames at 30 fps) through Lightning with TF.js's filter and a slow one."""
    path = data_file("pose_1.mp4")
    runs = {}
    for label, text in (("tfjs", "tfjs"), ("strong", STRONG)):
        pipeline = Pipeline(PipelineConfig(one_euro=parse_one_euro(text)))
        source = open_source(str(path))
        recorder = TrajectoryRecorder(source.frame_count, names=pipeline.keypoint_names)
        try:
            while (frame := source.read()) is not None:
                recorder.add(pipeline.process(frame))
        finally:
            source.close()
            pipeline.close()
        runs[label] = measure_jitter(recorder.snapshot())
    return runs


def test_smoothing_lowers_jitter_and_adds_lag_on_pose_1(pose_1_runs):
    for label, jitter in pose_1_runs.items():
        assert list(jitter) == list(KEYPOINT_NAMES)
        lower = [name for name, j in jitter.items() if j.smoothed_px < j.raw_px]
        assert len(lower) >= 15, (label, lower)
        lags = [j.lag_ms for j in jitter.values()]
        assert all(lag is not None for lag in lags) and np.median(lags) > 0, (label, lags)
    tfjs, strong = pose_1_runs["tfjs"], pose_1_runs["strong"]
    # The parameters reach the filter and change the results: the slow filter smooths more and lags more.
    assert np.median([j.smoothed_px / j.raw_px for j in strong.values()]) < \
        np.median([j.smoothed_px / j.raw_px for j in tfjs.values()])
    assert np.median([j.lag_ms for j in strong.values()]) > 2 * np.median([j.lag_ms for j in tfjs.values()])


def test_infer_summary_jitter_and_smoothing_option(tmp_path, capsys):
    out = tmp_path / "j.json"
    video = str(data_file("pose_1.mp4"))
    assert main(["infer", video, "--max-frames", "12", "--json", str(out), "--smoothing", "beta=50"]) == 0
    summary = json.loads(out.read_text())["summary"]
    assert summary["smoothing"] == {"enabled": True, "min_cutoff": 2.5, "beta": 50.0, "d_cutoff": 2.5}
    assert list(summary["jitter"]) == list(KEYPOINT_NAMES)
    assert all(set(v) == {"raw_px", "smoothed_px", "lag_ms"} and v["raw_px"] >= 0 for v in summary["jitter"].values())
    assert "jitter" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        main(["infer", video, "--smoothing", "beta=-3"])
    assert exit_info.value.code == 2 and "beta=-3" in capsys.readouterr().err


def test_summary_jitter_of_a_13_keypoint_model(tmp_path):
    model = shared_path("models/zoo/movenet_lightning_heatmaps13_192_int8_pc.tflite")  # ST's heatmap-only port
    out = tmp_path / "j13.json"
    assert main(["infer", str(data_file("pose_1.mp4")), "--model", str(model), "--max-frames", "40",
                 "--json", str(out)]) == 0
    jitter = json.loads(out.read_text())["summary"]["jitter"]
    assert list(jitter) == list(keypoint_set_for(13).names)
    assert all(v["raw_px"] is not None and v["lag_ms"] is not None for v in jitter.values())
    assert sum(v["smoothed_px"] < v["raw_px"] for v in jitter.values()) >= 10
