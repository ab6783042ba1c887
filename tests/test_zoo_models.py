"""Every file of ../shared/models/zoo (MoveNet as deployment zoos and ports ship it) opens and runs.

Each file runs on pose.jpg (default pipeline: crop tracking and smoothing on) and its
keypoints are compared with the bundled Lightning's, matched by keypoint (ST's head point ->
the nose channel it holds); bounds from issue 15. Each file also runs a few frames of
pose_1.mp4. The Vela file is refused for what it is. Skips when the zoo is absent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from movenet_studio.core.errors import ModelError
from movenet_studio.core.models.resolve import model_from_file
from movenet_studio.core.pipeline import Pipeline
from movenet_studio.core.pipeline_config import PipelineConfig
from movenet_studio.core.media.opener import open_source

from conftest import PROJECT_ROOT, data_file

ZOO = PROJECT_ROOT.parent / "shared" / "models" / "zoo"

#: file -> (output kind, keypoints, bound on the mean keypoint distance to bundled Lightning, px).
FILES = {
    "movenet_lightning_heatmaps_192_int8_pc.tflite": ("heatmaps", 17, 20.0),
    "movenet_lightning_heatmaps13_192_int8_pc.tflite": ("heatmaps", 13, 20.0),
    "movenet_singlepose_lightning_int8_in_int8.tflite": ("keypoints", 17, 14.0),
    "movenet_singlepose_lightning_int8_io_int8.tflite": ("keypoints", 17, 14.0),
    "movenet_singlepose_lightning_float32.tflite": ("keypoints", 17, 1.0),
    "movenet_singlepose_lightning_float32_nchw_f32in.onnx": ("keypoints", 17, 1.0),
    "movenet_singlepose_lightning_qdq_int8.onnx": ("keypoints", 17, 8.0),
    "movenet_singlepose_lightning_heads_nchw_f32in.onnx": ("heads", 17, 1.0),
}
VELA = "movenet_singlepose_lightning_int8_io_int8_vela_ethos-u65-256.tflite"


def zoo_file(name: str) -> Path:
    path = ZOO / name
    if not path.is_file():
        pytest.skip(f"zoo model {name} not found in {ZOO}")
    return path


def first_pose(config: PipelineConfig, source: Path, frames: int = 1):
    """(heads available, the results of the first `frames` frames of `source`)."""
    pipeline = Pipeline(config)
    try:
        results = []
        for frame in open_source(source):
            results.append(pipeline.process(frame))
            if len(results) == frames:
                break
        return pipeline.heads_available, results
    finally:
        pipeline.close()


@pytest.fixture(scope="module")
def lightning_on_photo() -> np.ndarray:
    _, results = first_pose(PipelineConfig(model="lightning"), data_file("pose.jpg"))
    return results[0].poses[0].keypoints


@pytest.mark.parametrize("name", sorted(FILES))
def test_zoo_file_opens_runs_and_lands_near_lightning(name, lightning_on_photo):
    path = zoo_file(name)
    kind, k, bound = FILES[name]
    spec = model_from_file(path)  # probed in a child process, like a user's file
    assert (spec.output_kind, spec.num_keypoints) == (kind, k)
    backend = "onnx" if path.suffix == ".onnx" else "tflite"
    heads_available, results = first_pose(PipelineConfig(model=str(path), backend=backend, heads=True),
                                          data_file("pose.jpg"))
    assert heads_available
    pose = results[0].poses[0]
    assert pose.keypoints.shape == (k, 3)
    matched = lightning_on_photo[list(spec.io.keypoint_set.coco_index)]
    distance = np.linalg.norm(pose.xy - matched[:, :2], axis=1)
    assert distance.mean() <= bound, f"{name}: mean {distance.mean():.2f} px (max {distance.max():.2f})"
    heads = results[0].heads
    assert heads is not None and heads.keypoint_heatmaps.shape[-1] == k
    if kind == "heads":
        assert heads.complete and results[0].decode is not None
    _, video = first_pose(PipelineConfig(model=str(path), backend=backend), data_file("pose_1.mp4"), frames=4)
    assert len(video) == 4 and all(r.poses and r.poses[0].keypoints.shape == (k, 3) for r in video)
    assert video[-1].crop_region is not None  # crop tracking runs for every single-pose kind


def test_vela_file_is_refused_as_npu_only():
    path = zoo_file(VELA)
    with pytest.raises(ModelError, match="compiled by Arm Vela for an Ethos-U NPU.*runs only on that NPU"):
        model_from_file(path)


def test_13_keypoint_model_is_evaluated_against_st13_annotations_with_mean_oks(data_dir):
    from movenet_studio.core.evaluation import evaluate
    from movenet_studio.core.decoding.keypoint_sets import ST13

    path = zoo_file("movenet_lightning_heatmaps13_192_int8_pc.tflite")
    coco = data_dir / "coco_mini"
    result = evaluate(coco / "test_coco.json", coco, model=str(path))
    assert result.keypoint_set == "st13" and list(result.per_keypoint) == list(ST13.names)
    assert result.per_keypoint["head"].count > 0
    assert 0.3 < result.mean_oks < 1.0 and 0.0 < result.ap < 1.0
    assert result.to_json()["mean_OKS"] == pytest.approx(result.mean_oks, abs=1e-6)


def test_compare_across_kinds_on_the_keypoints_both_have():
    from movenet_studio.core.analysis.compare import compare_frames

    path = zoo_file("movenet_lightning_heatmaps13_192_int8_pc.tflite")
    frames = list(open_source(data_file("pose.jpg")))
    stats, _, _ = compare_frames(PipelineConfig(model="lightning"), PipelineConfig(model=str(path)), frames)
    rows = {row["name"]: row for row in stats.keypoint_rows()}
    assert rows["left_eye"]["mean_px"] is None  # the 13-keypoint model has no eyes
    assert rows["nose"]["mean_px"] is not None and stats.overall()["mean_px"] < 20
