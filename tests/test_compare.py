"""Compare: two configurations on the same model input, distances, stats, and the CLI command."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import data_file

from movenet_studio.cli import main
from movenet_studio.core.analysis.compare import (ComparePipeline, compare_frames, config_for, match_instances,
                                                  parse_spec)
from movenet_studio.core.analysis.compare_stats import CompareStats
from movenet_studio.core.preprocessing.crop import crop_and_resize
from movenet_studio.core.errors import ModelError
from movenet_studio.core.decoding.keypoints import KEYPOINT_NAMES
from movenet_studio.core.pipeline_config import PipelineConfig
from movenet_studio.core.preprocessing.letterbox import letterbox
from movenet_studio.core.media.opener import open_source


def _frames(name: str, count: int):
    frames = []
    with open_source(data_file(name)) as source:
        for frame in source:
            frames.append(frame)
            if len(frames) == count:
                break
    return frames


def test_parse_spec():
    assert parse_spec("thunder-int8") == ("thunder-int8", "tflite")
    assert parse_spec("lightning-float16:onnx") == ("lightning-float16", "onnx")
    assert parse_spec("lightning:TFLITE") == ("lightning", "tflite")
    assert parse_spec("lightning", default_backend="onnx") == ("lightning", "onnx")
    assert parse_spec("/models/m.onnx") == ("/models/m.onnx", "onnx")
    assert parse_spec(r"C:\models\m.tflite") == (r"C:\models\m.tflite", "tflite")  # a drive colon is no backend
    assert parse_spec("C:/m.onnx:onnx") == ("C:/m.onnx", "onnx")
    with pytest.raises(ModelError):
        parse_spec(":onnx")
    base = PipelineConfig(crop=False, threads=1)
    config = config_for("thunder:onnx", base)
    assert (config.model, config.backend, config.crop, config.threads) == ("thunder", "onnx", False, 1)


def test_match_instances_greedy_by_iou():
    a = np.array([[0, 0, 10, 10], [20, 20, 30, 30], [100, 100, 110, 110]], float)
    b = np.array([[21, 21, 31, 31], [0, 0, 10, 9], [50, 50, 60, 60]], float)
    assert match_instances(a, b) == [(0, 1), (1, 0)]
    assert match_instances(a, b[:0]) == []
    assert match_instances(a, b, min_iou=0.95) == []


def test_same_size_models_share_the_exact_model_input():
    frames = _frames("pose_squats.mp4", 10)
    stats = CompareStats()
    with ComparePipeline(PipelineConfig(model="lightning-float16"), PipelineConfig(model="lightning-int8")) as pipeline:
        for frame in frames:
            result = pipeline.process(frame)
            stats.add(result)
            assert result.shared_input and result.b.model_input is result.a.model_input
            assert result.b.mapping == result.a.mapping and result.b.crop_region == result.a.crop_region
            assert result.a.crop_measurement is not None and result.b.crop_measurement is None  # only A's tracker moves
            assert result.distances_px.shape == (1, 17) and result.keypoints_a.shape == (1, 17, 3)
            # Distances are between the models' own keypoints (before smoothing) in frame pixels.
            raw_b = result.b.raw_output.reshape(17, 3)
            np.testing.assert_allclose(result.keypoints_b[0, :, :2], result.b.mapping.to_frame(raw_b[:, :2]), atol=1e-3)
            expected = np.hypot(*(result.keypoints_a[0, :, :2] - result.keypoints_b[0, :, :2]).T)
            np.testing.assert_allclose(result.distances_px[0], expected, atol=1e-3)
        assert pipeline.b._crop.region is None  # B's own crop tracker was never asked or updated
    summary = stats.summary()
    assert summary["frames"] == summary["pairs"] == summary["shared_input_frames"] == 10
    assert summary["frame_size"] == list(frames[0].rgb.shape[:2])
    rows = summary["keypoints"]
    assert [r["name"] for r in rows] == list(KEYPOINT_NAMES)
    for row in rows:
        assert 0.0 <= row["mean_px"] <= row["p95_px"] <= row["max_px"] < 200
        assert 0.0 < row["mean_score_a"] <= 1.0 and 0.0 < row["mean_score_b"] <= 1.0
    assert summary["overall"]["mean_px"] > 0.0  # int8 differs from float16
    for side in ("a", "b"):
        timing = summary["timing"][side]["inference"]
        assert timing["frames"] == 10 and 0 < timing["p50_ms"] <= timing["p95_ms"] and timing["fps"] > 0


def test_tflite_and_onnx_agree_on_the_same_input():
    stats, desc_a, desc_b = compare_frames(PipelineConfig(model="lightning"),
                                           PipelineConfig(model="lightning", backend="onnx"),
                                           _frames("pose_1.mp4", 8))
    assert (desc_a["backend"], desc_b["backend"]) == ("tflite", "onnx") and desc_b["provider"]
    assert stats.shared_frames == 8
    assert stats.overall()["max_px"] < 0.05  # measured ~1e-4 px


def test_different_input_sizes_see_the_same_frame_region():
    frames = _frames("pose_1.mp4", 4)
    with ComparePipeline(PipelineConfig(model="lightning"), PipelineConfig(model="thunder")) as pipeline:
        for frame in frames:
            result = pipeline.process(frame)
            assert not result.shared_input
            assert result.b.model_input.shape == (256, 256, 3) and result.b.mapping.box == result.a.mapping.box
            expected = crop_and_resize(frame.rgb, result.a.crop_region, 256, 256)
            np.testing.assert_array_equal(result.b.model_input, expected)
            assert result.b.timings_ms["preprocess"] > 0.0
    with ComparePipeline(PipelineConfig(model="lightning", crop=False),
                         PipelineConfig(model="thunder", crop=False)) as pipeline:
        result = pipeline.process(frames[0])
        expected, mapping = letterbox(frames[0].rgb, (256, 256))
        np.testing.assert_array_equal(result.b.model_input, expected)
        assert result.a.crop_region is None and result.b.mapping == mapping


def test_multipose_pairs_instances():
    stats, _, _ = compare_frames(PipelineConfig(model="multipose"), PipelineConfig(model="multipose", backend="onnx"),
                                 _frames("pose_1.mp4", 3))
    assert stats.frames == 3 and stats.pairs >= 3 and stats.unmatched_a == stats.unmatched_b == 0
    assert stats.overall()["max_px"] < 0.05


def test_single_pose_and_multipose_are_not_compared():
    with pytest.raises(ModelError, match="cannot compare"):
        ComparePipeline(PipelineConfig(model="lightning"), PipelineConfig(model="multipose"))


def test_process_input_refuses_a_wrong_size(loaded_pipeline):
    frame = _frames("pose_1.mp4", 1)[0]
    image, mapping = letterbox(frame.rgb, (192, 192))
    with pytest.raises(ValueError, match="input size"):
        loaded_pipeline(model="thunder").process_input(frame, image, mapping)


def test_compare_cli_table_and_json(tmp_path, capsys):
    out = tmp_path / "cmp.json"
    rc = main(["compare", str(data_file("pose_squats.mp4")), "--a", "lightning-float16", "--b", "lightning-int8",
               "--max-frames", "6", "--json", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "A = lightning-float16 (tflite" in text and "B = lightning-int8 (tflite" in text
    assert "B ran on A's exact model input" in text
    for name in KEYPOINT_NAMES:
        assert f"\n{name} " in text
    assert "infer p50 ms" in text and "FPS" in text
    document = json.loads(out.read_text())
    assert document["a"]["spec"] == "lightning-float16" and document["b"]["model"] == "lightning-int8"
    assert document["summary"]["frames"] == 6 and len(document["frames"]) == 6
    assert len(document["summary"]["keypoints"]) == 17
    assert len(document["frames"][0]["distances_px"][0]) == 17
    assert set(document["summary"]["timing"]) == {"a", "b"}


def test_compare_cli_errors(capsys):
    image = str(data_file("pose.jpg"))
    assert main(["compare", image, "--a", "lightning", "--b", "multipose"]) == 1
    assert "cannot compare" in capsys.readouterr().err
    assert main(["compare", image, "--a", "lightning", "--b", "thunder", "--provider", "cuda"]) == 1
    assert "needs an onnx side" in capsys.readouterr().err
    assert main(["compare", image, "--a", "lightning-int8:onnx", "--b", "lightning"]) == 1
    assert "no bundled ONNX file" in capsys.readouterr().err
