"""Compare's one accumulator (CompareStats on LogHistogram) against numpy on real compare data,
its fixed memory, and the one configuration-B policy shared by the CLI and the window."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from conftest import data_file

from movenet_studio.cli import build_parser
from movenet_studio.cli.compare import configs_from_args
from movenet_studio.core.analysis.compare import FOLLOWED_OPTIONS, OWN_OPTIONS, ComparePipeline, config_b_from, follow_a
from movenet_studio.core.analysis.compare_stats import CompareStats
from movenet_studio.core.decoding.keypoints import KEYPOINT_NAMES
from movenet_studio.core.analysis.log_histogram import LOWEST, RELATIVE_ERROR, LogHistogram
from movenet_studio.core.pipeline_config import PipelineConfig
from movenet_studio.core.media.opener import open_source

FRAMES = 8


@pytest.fixture(scope="module")
def compared():
    """float16 vs int8 Lightning on the first frames of pose_1.mp4: the CompareFrames."""
    results = []
    with open_source(data_file("pose_1.mp4")) as source, ComparePipeline(
            PipelineConfig(model="lightning-float16"), PipelineConfig(model="lightning-int8")) as pipeline:
        for frame in source:
            results.append(pipeline.process(frame))
            if len(results) == FRAMES:
                break
    return results


def _close(estimate: float, exact: float) -> bool:
    """Within the histogram's stated resolution (plus float rounding)."""
    return abs(estimate - exact) <= max(RELATIVE_ERROR * abs(exact), LOWEST) * (1 + 1e-9) + 1e-12


def _check_against_numpy(stats: CompareStats, distances: np.ndarray, timings: dict[str, np.ndarray]) -> None:
    summary = stats.summary()
    flat = distances.ravel()
    overall = summary["overall"]
    assert overall["mean_px"] == pytest.approx(flat.mean(), rel=1e-12)  # exact
    assert overall["max_px"] == flat.max()
    assert _close(overall["median_px"], np.median(flat)), (overall["median_px"], np.median(flat))
    assert _close(overall["p95_px"], np.percentile(flat, 95))
    for k, row in enumerate(summary["keypoints"]):
        assert row["mean_px"] == pytest.approx(distances[:, k].mean(), rel=1e-12)
        assert row["max_px"] == distances[:, k].max()
        assert _close(row["p95_px"], np.percentile(distances[:, k], 95)), (row, np.percentile(distances[:, k], 95))
    for side in ("a", "b"):
        for stage in ("inference", "total"):
            values, figures = timings[side + stage], summary["timing"][side][stage]
            assert figures["frames"] == len(values) and figures["mean_ms"] == pytest.approx(values.mean())
            assert _close(figures["p50_ms"], np.percentile(values, 50))
            assert _close(figures["p95_ms"], np.percentile(values, 95))


def test_accumulator_agrees_with_numpy_on_real_compare_data_in_fixed_memory(compared):
    stats = CompareStats()
    stats.add(compared[0])
    size = stats.nbytes
    assert size < 400_000
    repeats = 50  # 600 frames: the figures of a long looping run, the same memory
    for _ in range(repeats):
        for frame in compared:
            stats.add(frame)
    assert stats.nbytes == size and stats.frames == 1 + repeats * FRAMES == stats.pairs
    assert stats.shared_frames == stats.frames  # float16 and int8 Lightning share A's model input

    distances = np.concatenate([compared[0].distances_px] + [f.distances_px for f in compared] * repeats).astype(float)
    assert distances.shape == (stats.frames, len(KEYPOINT_NAMES)) and np.isfinite(distances).all()
    assert 0.5 < np.median(distances) < 50  # int8 really differs from float16: not a trivial test

    def timing(side: str, stage: str) -> np.ndarray:
        first = [compared[0]] + list(compared) * repeats
        return np.array([getattr(f, side).timings_ms[stage] for f in first])

    _check_against_numpy(stats, distances, {s + t: timing(s, t) for s in "ab" for t in ("inference", "total")})
    scores_a = np.concatenate([compared[0].scores_a] + [f.scores_a for f in compared] * repeats)
    np.testing.assert_allclose(stats.mean_score_a, scores_a.astype(float).mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(stats.last_px, compared[-1].distances_px[0], rtol=1e-6)
    np.testing.assert_allclose(stats.last_score_b, compared[-1].scores_b[0], rtol=1e-6)

    stats.reset()
    assert stats.frames == 0 and stats.nbytes == size and stats.overall()["median_px"] is None


def test_log_histogram_resolution_edges_and_errors():
    rng = np.random.default_rng(7)
    values = rng.lognormal(0.0, 3.0, (3001, 2))  # 1e-5 .. 1e5: every bin range, and below LOWEST
    values[::5, 1] = np.nan  # skipped
    histogram = LogHistogram(2)
    for chunk in np.array_split(values, 40):
        histogram.add(chunk)
    for row in (0, 1, None):
        kept = values[:, row] if row is not None else values.ravel()
        kept = kept[np.isfinite(kept)]
        for q in (0.0, 0.001, 0.25, 0.5, 0.95, 0.999, 1.0):
            assert _close(histogram.quantile(q, row), np.percentile(kept, 100 * q)), (row, q)
    assert histogram.count.tolist() == [3001, 3001 - 601]
    one_by_one, at_once = LogHistogram(2), LogHistogram(2)  # one value per row (the usual frame) or many
    for row in values[:300]:
        one_by_one.add(row)
    at_once.add(values[:300])
    assert one_by_one.count.tolist() == at_once.count.tolist() == [300, 240]
    for q in (0.1, 0.5, 0.9):
        assert one_by_one.quantile(q, 1) == at_once.quantile(q, 1) and one_by_one.quantile(q) == at_once.quantile(q)
    assert histogram.quantile(1.0, 0) == np.max(values[:, 0]) and histogram.quantile(0.0, 0) == np.min(values[:, 0])
    empty = LogHistogram(3)
    assert np.isnan(empty.quantile(0.5)) and np.isnan(empty.mean).all() and np.isnan(empty.pooled_max())
    with pytest.raises(ValueError, match="0..1"):
        empty.quantile(1.5)
    with pytest.raises(ValueError, match="non-negative"):
        empty.add(np.array([1.0, -1.0, 2.0]))
    with pytest.raises(ValueError, match=r"\[..., 3\]"):
        empty.add(np.ones((2, 17)))


def test_configuration_b_policy():
    names = {f.name for f in fields(PipelineConfig)}
    assert set(OWN_OPTIONS) | set(FOLLOWED_OPTIONS) == names and not set(OWN_OPTIONS) & set(FOLLOWED_OPTIONS)
    a = PipelineConfig(model="lightning", backend="onnx", provider="CPUExecutionProvider", threads=3, crop=False,
                       smoothing=False, min_pose_score=0.4, heads=True)
    b = config_b_from(a, "thunder", "onnx")
    assert (b.model, b.backend, b.threads, b.provider, b.heads) == ("thunder", "onnx", 3, "CPUExecutionProvider", False)
    assert all(getattr(b, name) == getattr(a, name) for name in FOLLOWED_OPTIONS)
    assert config_b_from(a, "lightning-int8", "tflite", provider="X").provider is None  # only an ONNX B has one
    assert config_b_from(PipelineConfig(), "lightning", "onnx").provider is None
    assert config_b_from(PipelineConfig(), "lightning", "onnx", provider="X", threads=1).threads == 1
    moved = follow_a(b, PipelineConfig(model="multipose", crop=True, tracker="keypoints"))
    assert (moved.crop, moved.tracker, moved.smoothing) == (True, "keypoints", True)
    assert (moved.model, moved.backend, moved.threads, moved.provider) == ("thunder", "onnx", 3, "CPUExecutionProvider")


def test_cli_builds_b_by_the_policy():
    parser = build_parser()
    args = parser.parse_args(["compare", "clip.mp4", "--a", "lightning:onnx", "--b", "thunder", "--no-crop",
                              "--threads", "1", "--provider", "cpu", "--min-pose-score", "0.3"])
    config_a, config_b = configs_from_args(args)
    assert (config_a.backend, config_a.crop, config_a.threads) == ("onnx", False, 1)
    assert config_b == config_b_from(config_a, "thunder", "tflite")
    args = parser.parse_args(["compare", "clip.mp4", "--a", "lightning", "--b", "lightning:onnx", "--provider", "cpu"])
    config_a, config_b = configs_from_args(args)
    assert config_a.provider is None and config_b.provider == args.provider
