"""Benchmarks: well-formed figures and JSON, skipped rows for configurations that cannot run,
cancel and progress, the CLI. No timing thresholds: only sanity (positive, ordered, consistent)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import data_file
from movenet_studio.cli import main
from movenet_studio.core.bench import (CANCELLED, OK, SKIPPED, BenchConfig, LatencyStats, machine_info,
                                       make_configs, run_bench)
from movenet_studio.core.progress import Cancelled, CancelToken, JobControl

MACHINE_KEYS = {"platform", "cpu_model", "logical_cores", "python", "numpy", "opencv", "tflite_runtime", "onnxruntime"}


def _check_stats(stats: dict) -> None:
    assert stats["count"] >= 1
    assert 0 <= stats["min_ms"] <= stats["p50_ms"] <= stats["p95_ms"] <= stats["p99_ms"] <= stats["max_ms"]
    assert stats["min_ms"] <= stats["mean_ms"] <= stats["max_ms"]


def _check_ok_row(row: dict, frames: int) -> None:
    assert row["status"] == OK and row["reason"] is None
    assert row["load_ms"] > 0 and row["first_inference_ms"] > 0
    _check_stats(row["raw_latency_ms"])
    assert row["raw_latency_ms"]["count"] == frames
    assert row["raw_fps"] == pytest.approx(1000 / row["raw_latency_ms"]["mean_ms"], rel=1e-3, abs=0.051)  # FPS is rounded to 0.1
    stages = row["pipeline_latency_ms"]
    assert {"read", "preprocess", "inference", "total"} <= set(stages)
    assert list(stages)[-1] == "total"
    for stats in stages.values():
        _check_stats(stats)
    assert stages["total"]["count"] == row["frames"] == frames
    parts = sum(s["mean_ms"] for name, s in stages.items() if name != "total")
    assert stages["total"]["mean_ms"] == pytest.approx(parts, rel=1e-3, abs=1e-3)
    assert row["pipeline_fps"] > 0 and row["raw_fps"] > 0
    assert row["fps_ratio"] == pytest.approx(row["pipeline_fps"] / row["raw_fps"], rel=1e-2)
    assert row["fps_ratio_median"] > 0
    # The loop's wall time covers the pipeline's own stages (decode runs ahead on a reader thread).
    own = stages["total"]["mean_ms"] - stages["read"]["mean_ms"]
    assert row["loop_latency_ms"]["mean_ms"] >= own * 0.99
    assert row["peak_rss_mb"] > 0 and row["rss_before_mb"] > 0
    assert row["rss_scope"] in ("configuration", "process")
    warm = row["warmup_latency_ms"]
    if warm is not None:  # LiteRT benchmark_model's warm-up figures
        _check_stats(warm)


def test_latency_stats_percentiles():
    stats = LatencyStats.from_samples(np.arange(1, 101, dtype=float))
    assert (stats.count, stats.min, stats.max, stats.mean) == (100, 1.0, 100.0, 50.5)
    assert stats.p50 == pytest.approx(50.5) and stats.p95 == pytest.approx(95.05) and stats.p99 == pytest.approx(99.01)
    assert LatencyStats.from_samples([]) is None


def test_make_configs_cross_product():
    configs = make_configs(["lightning", "thunder"], ["tflite", "onnx"], [1, 2], (False, True))
    assert len(configs) == 16 and configs[0] == BenchConfig("lightning", "tflite", 1, False)
    assert configs[-1] == BenchConfig("thunder", "onnx", 2, True)


def test_machine_info_records_runtimes():
    info = machine_info()
    assert MACHINE_KEYS <= set(info)
    assert info["logical_cores"] >= 1 and info["tflite_runtime"] and info["cpu_model"]


def test_bench_image_with_skipped_rows_and_heads():
    image = data_file("pose.jpg")
    configs = [BenchConfig("lightning", "tflite", 1, False), BenchConfig("lightning", "tflite", 1, True),
               BenchConfig("lightning-int8", "onnx", 1), BenchConfig("lightning", "no-such-runtime", 1)]
    seen = []
    report = run_bench(configs, image, frames=4, warmup=1,
                       control=JobControl(lambda p: seen.append((p.done, p.total, p.message))))
    document = json.loads(json.dumps(report.to_json(), allow_nan=False))
    assert MACHINE_KEYS <= set(document["machine"])
    assert document["source"]["frame_size"] == [667, 1000] and document["frames"] == 4
    rows = document["configurations"]
    assert [r["status"] for r in rows] == [OK, OK, SKIPPED, SKIPPED]
    for row in rows[:2]:
        _check_ok_row(row, 4)
        assert row["input_size"] == [192, 192] and row["model_key"] == "lightning-float16"
        assert row["rewinds"] == 3  # a single image is rewound before each timed frame but the first
    assert "onnx" in rows[2]["reason"].lower() and "no-such-runtime" in rows[3]["reason"]
    (comparison,) = document["heads_comparisons"]
    assert comparison["model"] == "lightning" and comparison["pipeline_fps_on"] > 0
    # Progress: monotonic, ends at the total.
    done = [d for d, _, _ in seen]
    assert done == sorted(done) and done[-1] == seen[-1][1]


def test_bench_video_interleaved_blocks_no_rewind():
    video = data_file("pose_1.mp4")
    report = run_bench([BenchConfig("lightning", "tflite", 2)], video, frames=12, warmup=2)
    (row,) = [r.to_json() for r in report.results]
    _check_ok_row(row, 12)
    assert row["rewinds"] == 0 and report.source["frame_count"] == 120


def test_bench_synthetic_source_and_pipeline_options():
    report = run_bench([BenchConfig("lightning", "tflite", 1)], None, frames=3, warmup=0,
                       pipeline_options={"smoothing": False} if _has_option("smoothing") else None)
    (row,) = [r.to_json() for r in report.results]
    _check_ok_row(row, 3)
    assert report.source["name"] == "synthetic"
    with pytest.raises(ValueError, match="unknown pipeline option"):
        run_bench([BenchConfig("lightning", "tflite", 1)], None, frames=1, pipeline_options={"bogus": 1})


def _has_option(name: str) -> bool:
    from dataclasses import fields

    from movenet_studio.core.pipeline_config import PipelineConfig

    return name in {f.name for f in fields(PipelineConfig)}


def test_bench_cancel_raises_with_the_partial_report():
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled) as raised:
        run_bench(make_configs(["lightning"], ["tflite"], [1, 2]), None, frames=50, warmup=0,
                  control=JobControl(token=token))
    report = raised.value.partial
    assert report.cancelled and len(report.results) == 1
    assert report.results[0].status == CANCELLED and report.results[0].load_ms > 0
    json.dumps(report.to_json(), allow_nan=False)


def test_per_op_profile_onnx_and_note_for_tflite(tmp_path, capsys):
    """bench --per-op: ONNX Runtime per node and per op type (shares sum to 1, Conv dominates
    MoveNet), TFLite says it has none; first inference and warm-up figures are printed."""
    out = tmp_path / "b.json"
    rc = main(["bench", str(data_file("pose.jpg")), "--models", "lightning", "--backends", "tflite,onnx",
               "--threads", "1", "--frames", "2", "--warmup", "2", "--per-op", "--json", str(out), "-q"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "per-op profile of lightning onnx 1t" in printed and "Conv" in printed
    assert "first" in printed and "warm-up (2) mean" in printed and "std" in printed
    tflite, onnx = json.loads(out.read_text())["configurations"]
    assert tflite["per_op"] is None and "no per-op profile" in tflite["per_op_note"]
    assert tflite["warmup_latency_ms"]["count"] == 2
    nodes = onnx["per_op"]
    assert nodes and set(nodes[0]) == {"name", "op_type", "mean_ms", "share"}
    assert [n["mean_ms"] for n in nodes] == sorted((n["mean_ms"] for n in nodes), reverse=True)
    assert sum(n["share"] for n in nodes) == pytest.approx(1.0, abs=1e-3)
    assert len({n["name"] for n in nodes}) == len(nodes) > 50
    types = {t["op_type"]: t for t in onnx["per_op_types"]}
    assert sum(t["count"] for t in types.values()) == len(nodes)
    assert max(types.values(), key=lambda t: t["share"])["op_type"] == "Conv"
    assert types["Conv"]["mean_ms"] == pytest.approx(sum(n["mean_ms"] for n in nodes if n["op_type"] == "Conv"),
                                                     rel=1e-3)
    assert onnx["per_op_runs"] == 50 and onnx["per_op_run_mean_ms"] > 0


def test_cli_bench_table_and_json(tmp_path, capsys):
    out = tmp_path / "b.json"
    rc = main(["bench", str(data_file("pose.jpg")), "--models", "lightning,lightning-int8", "--backends", "tflite,onnx",
               "--threads", "1", "--frames", "3", "--warmup", "1", "--json", str(out)])
    assert rc == 0
    captured = capsys.readouterr()
    assert "raw p50" in captured.out and "skipped" in captured.out and "ratio" in captured.out
    assert "bench" in captured.err  # progress on stderr
    document = json.loads(out.read_text())
    rows = {(r["model"], r["backend"]): r for r in document["configurations"]}
    assert len(rows) == 4 and rows[("lightning-int8", "onnx")]["status"] == SKIPPED
    for key in (("lightning", "tflite"), ("lightning-int8", "tflite")):
        _check_ok_row(rows[key], 3)


def test_cli_bench_nothing_runnable_exits_1(tmp_path, capsys):
    rc = main(["bench", "--models", "lightning-int8", "--backends", "onnx", "--frames", "1", "-q",
               "--json", str(tmp_path / "b.json")])
    assert rc == 1
    captured = capsys.readouterr()
    assert "skipped" in captured.out and "no configuration could be run" in captured.err
    assert json.loads((tmp_path / "b.json").read_text())["configurations"][0]["status"] == SKIPPED


def test_cli_bench_usage_errors():
    for args in (["bench", "--threads", "0"], ["bench", "--frames", "x"], ["bench", "--models", ","]):
        with pytest.raises(SystemExit) as info:
            main(args)
        assert info.value.code == 2


def test_cli_bench_preprocessing_profile_reaches_the_pipeline(tmp_path, monkeypatch):
    """``--channels bgr --resize stretch --interpolation nearest --input-range=-1..1``: every
    configuration's pipeline is built with them, and the JSON records them."""
    from movenet_studio.core.pipeline import Pipeline
    from movenet_studio.core.preprocessing.profile import PreprocessProfile

    built = []
    original = Pipeline.__init__

    def spy(self, config, *args, **kwargs):
        built.append(config)
        original(self, config, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "__init__", spy)
    out = tmp_path / "b.json"
    assert main(["bench", str(data_file("pose.jpg")), "--frames", "1", "--warmup", "0", "-q", "--channels", "bgr",
                 "--resize", "stretch", "--interpolation", "nearest", "--input-range=-1..1", "--json", str(out)]) == 0
    assert [c.preprocess for c in built] == [PreprocessProfile("bgr", "stretch", "nearest")]
    assert built[0].input_range == (-1.0, 1.0)
    document = json.loads(out.read_text())
    assert document["pipeline_options"] == {"preprocess": {"channels": "bgr", "resize": "stretch",
                                                           "interpolation": "nearest"}, "input_range": [-1.0, 1.0]}
    assert document["configurations"][0]["status"] == OK
