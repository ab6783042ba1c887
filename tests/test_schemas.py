"""Every JSON output format has a JSON Schema in docs/reference/schemas, and real outputs of the
real models validate against it: infer (single-pose, MultiPose, classifier, a heatmap-only zoo
file), the heads NPZ, keypoint exports, compare, layers, bench (with ONNX per-op profiles),
eval, the batch manifest and the window's --stats-json. Runs are kept to a few frames."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from movenet_studio.cli import main

from classifiers import shared_classifier
from conftest import PROJECT_ROOT
from media import media_path, shared_path

SCHEMAS = PROJECT_ROOT / "docs" / "reference" / "schemas"
FORMATS = PROJECT_ROOT / "docs" / "reference" / "formats.md"
OURS = ("infer", "heads-npz", "keypoints-coco", "compare", "layers", "bench", "eval", "batch-manifest", "gui-stats")


def validate(name: str, document) -> None:
    """Fail with every error's JSON path when `document` does not match schemas/<name>.schema.json."""
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text("utf-8"))
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(document), key=lambda e: e.json_path)
    assert not errors, "\n".join(f"{e.json_path}: {e.message[:200]}" for e in errors[:10])


def npz_description(path: Path) -> dict:
    """The heads NPZ as the schema describes it: ``{array name: {"dtype", "shape"}}``."""
    with np.load(path) as archive:
        return {k: {"dtype": str(archive[k].dtype), "shape": list(archive[k].shape)} for k in archive.files}


def cli(*argv) -> None:
    assert main([str(a) for a in argv]) == 0


def load(path: Path):
    return json.loads(path.read_text("utf-8"))


def test_every_schema_is_valid_and_documented():
    formats = FORMATS.read_text("utf-8")
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        schema = load(path)
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema.get("description") and schema.get("title"), path.name
        assert f"schemas/{path.name}" in formats, f"{path.name} is not linked from formats.md"
    assert {p.name.removesuffix(".schema.json") for p in SCHEMAS.glob("*.schema.json")} >= set(OURS)


def test_a_schema_rejects_what_the_format_does_not_allow(tmp_path):
    out = tmp_path / "i.json"
    cli("infer", media_path("pose.jpg"), "--json", out)
    document = load(out)
    validate("infer", document)
    document["frames"][0]["poses"][0]["keypoints"][0]["score"] = 1.5
    with pytest.raises(AssertionError, match="keypoints"):
        validate("infer", document)


def test_infer_json_heads_npz_and_keypoint_exports_of_a_video(tmp_path):
    video = media_path("pose_1.mp4")
    cli("infer", video, "--max-frames", 3, "--json", tmp_path / "i.json", "--heads-npz", tmp_path / "h.npz")
    document = load(tmp_path / "i.json")
    validate("infer", document)
    assert len(document["frames"]) == 3 and document["summary"]["jitter"]
    heads = npz_description(tmp_path / "h.npz")
    validate("heads-npz", heads)
    assert heads["keypoint_heatmaps"]["shape"] == [3, 48, 48, 17]
    cli("export", video, "--frames", "0:3", "--keypoints", tmp_path / "k.json")
    results = load(tmp_path / "k.json")
    validate("keypoints-coco", results)
    assert [r["image_id"] for r in results] == [0, 1, 2]
    cli("export", video, "--frames", "0:3", "--keypoints", tmp_path / "k.csv")
    with open(tmp_path / "k.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["frame", "timestamp_ms", "person", "keypoint", "x", "y", "score"]  # as formats.md says
    assert len(rows) == 1 + 3 * 17


def test_infer_json_and_heads_npz_of_multipose_with_a_tracker(tmp_path):
    cli("infer", media_path("pose.jpg"), "--model", "multipose", "--tracker", "keypoints",
        "--json", tmp_path / "m.json", "--heads-npz", tmp_path / "m.npz")
    document = load(tmp_path / "m.json")
    validate("infer", document)
    pose = document["frames"][0]["poses"][0]
    assert pose["box"] is not None and isinstance(pose["track_id"], int)
    validate("heads-npz", npz_description(tmp_path / "m.npz"))


def test_infer_json_with_a_classifier(tmp_path):
    classifier, labels = shared_classifier("tflite")
    cli("infer", media_path("pose_squats.mp4"), "--max-frames", 3, "--classifier", classifier, "--labels", labels,
        "--count", "squat", "--json", tmp_path / "c.json")
    document = load(tmp_path / "c.json")
    validate("infer", document)
    assert "classification" in document["frames"][0]["poses"][0]
    assert document["summary"]["classification"]["repetitions"] is not None


def test_infer_json_and_heads_npz_of_a_heatmap_only_int8_zoo_file(tmp_path):
    model = shared_path("models/zoo/movenet_lightning_heatmaps13_192_int8_pc.tflite")
    cli("infer", media_path("pose.jpg"), "--model", model, "--json", tmp_path / "z.json", "--heads-npz", tmp_path / "z.npz")
    document = load(tmp_path / "z.json")
    validate("infer", document)
    assert document["model"]["kind"] == "heatmaps" and document["model"]["num_keypoints"] == 13
    validate("heads-npz", npz_description(tmp_path / "z.npz"))


def test_compare_and_layers_json(tmp_path):
    image = media_path("pose.jpg")
    cli("compare", image, "--a", "lightning", "--b", "lightning-int8", "--json", tmp_path / "c.json")
    validate("compare", load(tmp_path / "c.json"))
    cli("layers", image, "--a", "lightning", "--b", "lightning-int8", "--frames", 1, "--json", tmp_path / "l.json")
    document = load(tmp_path / "l.json")
    validate("layers", document)
    assert document["tensors"] and document["first_divergence"] is not None


def test_bench_json_with_an_onnx_per_op_profile(tmp_path):
    cli("bench", media_path("pose.jpg"), "--models", "lightning", "--backends", "onnx", "--threads", 1,
        "--frames", 2, "--warmup", 1, "--per-op", "--json", tmp_path / "b.json")
    document = load(tmp_path / "b.json")
    validate("bench", document)
    onnx = document["configurations"][0]
    assert onnx["status"] == "ok" and onnx["per_op_types"]


def test_eval_json(tmp_path):
    coco = shared_path("data/coco_mini")
    cli("eval", "--annotations", coco / "test_coco.json", "--images", coco, "--json", tmp_path / "e.json")
    validate("eval", load(tmp_path / "e.json"))


def _run(*argv: str) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")]),
           "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run([sys.executable, "-m", "movenet_studio.cli", *map(str, argv)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]


def test_batch_manifest_and_its_per_source_json(tmp_path):
    _run("batch", media_path("pose.jpg"), "--out", tmp_path / "out", "--workers", 1)
    manifest = load(tmp_path / "out" / "manifest.json")
    validate("batch-manifest", manifest)
    validate("infer", load(tmp_path / "out" / manifest["sources"][0]["json"]))


def test_gui_stats_json(tmp_path):
    _run("gui", media_path("pose_1.mp4"), "--exit-after-frames", 5, "--stats-json", tmp_path / "s.json")
    document = load(tmp_path / "s.json")
    validate("gui-stats", document)
    assert document["processed_frames"] >= 5
