"""quantize with a COCO keypoint annotation file as a calibration / held-out source: each person cut as
eval's single protocol cuts it (MultiPose: each image whole), a clear line for a broken file or a
missing image. Lean: coco_mini (4 photos, 12 persons)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from media import shared_path

pytest.importorskip("ai_edge_quantizer")

from movenet_studio.core.evaluation.protocols import crop_box, crop_person  # noqa: E402
from movenet_studio.core.pipeline_config import PipelineConfig  # noqa: E402
from movenet_studio.core.quantize.frames import collect_inputs, split_holdout  # noqa: E402

COCO = "data/coco_mini/test_coco.json"


def test_single_pose_inputs_are_eval_crops_mapped_back_to_the_image():
    path = shared_path(COCO)
    inputs = collect_inputs([str(path)], PipelineConfig(model="lightning"), 100)
    dataset = json.loads(path.read_text())
    persons = sorted((a for a in dataset["annotations"] if a["num_keypoints"] >= 5 and not a.get("iscrowd")),
                     key=lambda a: (a["image_id"], a["id"]))
    assert len(inputs) == len(persons) and [i.index for i in inputs] == list(range(len(persons)))
    import cv2

    images = {im["id"]: im for im in dataset["images"]}
    for item, person in zip(inputs[:3], persons[:3]):
        rgb = cv2.cvtColor(cv2.imread(str(path.parent / images[person["image_id"]]["file_name"])), cv2.COLOR_BGR2RGB)
        x0, y0, side = crop_box(person["bbox"])
        assert np.array_equal(item.image, crop_person(rgb, (x0, y0, side), (192, 192)))
        # the model input's corners (y, x) are the crop square's corners (x, y) in the image
        corners = item.mapping.to_frame(np.array([[0.0, 0.0], [1.0, 1.0]]))
        assert np.allclose(corners, [[x0, y0], [x0 + side, y0 + side]], atol=1e-3)
    calibration, holdout = split_holdout(inputs)
    assert len(holdout) == 3 and len(calibration) == len(inputs) - 3


def test_multipose_takes_each_image_whole():
    inputs = collect_inputs([str(shared_path(COCO))], PipelineConfig(model="multipose"), 3)
    assert len(inputs) == 3 and all(i.image.shape == (256, 256, 3) for i in inputs)


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "movenet_studio.cli", "quantize", *map(str, args)],
                          capture_output=True, text=True, timeout=600)


def test_quantize_on_coco_persons_writes_a_model_and_reports_the_source(tmp_path):
    out = tmp_path / "coco_int8.tflite"
    proc = _cli("lightning", "--calibration", shared_path(COCO), "--frames", "12", "--keep-float", "none",
                "--out", out, "--report", tmp_path / "r.json", "-q")
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["calibration"]["frames"] == 9 and report["holdout"]["frames"] == 3
    assert report["calibration"]["sources"] == [str(shared_path(COCO))]
    assert 0 < report["full_int8"]["keypoints_px"]["mean"] < 20 and out.stat().st_size > 0


@pytest.mark.parametrize("case", ["malformed", "image_missing"])
def test_a_broken_coco_source_is_one_line_and_writes_nothing(case, tmp_path):
    source = shared_path(COCO)
    dataset = json.loads(source.read_text())
    if case == "malformed":
        del dataset["annotations"][2]["keypoints"]
    else:
        for image in dataset["images"][1:]:
            shutil.copy(source.parent / image["file_name"], tmp_path / image["file_name"])
    broken = tmp_path / "coco.json"
    broken.write_text(json.dumps(dataset))
    out = tmp_path / "out.tflite"
    proc = _cli("lightning", "--calibration", broken, "--frames", "12", "--out", out)
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.startswith("movenet-studio")]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    expected = {"malformed": "annotations[2]", "image_missing": dataset["images"][0]["file_name"] + " not found"}
    assert expected[case] in lines[0]
    assert not out.exists() and not (tmp_path / "out.tflite.recipe.json").exists()
