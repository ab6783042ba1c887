"""MultiPose: input sizes, preprocessing, decode and box mapping; recall on coco_mini; the CLI."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest
from conftest import data_file
from hypothesis import given, settings
from hypothesis import strategies as st

from movenet_studio.core.decoding.pose import Pose
from movenet_studio.core.decoding.multipose import BOX_INDEX, INSTANCE_SCORE_INDEX, INSTANCE_SIZE, decode_multipose
from movenet_studio.core.preprocessing.multipose_input import multipose_input_size, preprocess_multipose
from movenet_studio.core.pipeline import Pipeline
from movenet_studio.core.pipeline_config import PipelineConfig
from movenet_studio.core.media.sources import Frame, read_image

# --- input size -------------------------------------------------------------------------


def test_fixed_input_is_kept():
    assert multipose_input_size((392, 640, 3), (256, 256)) == (256, 256)


@pytest.mark.parametrize(("frame", "expected"), [
    ((392, 640), (160, 256)),    # 256 * 392 / 640 = 156.8 -> 157 -> padded to 160
    ((1280, 720), (256, 160)),   # portrait: 144 -> 160
    ((321, 640), (128, 256)),    # 128.4 rounds to 128 first (TF.js), already a multiple of 32
    ((500, 500), (256, 256)),
    ((10, 1000), (32, 256)),     # 2.56 -> 3 -> 32
])
def test_dynamic_input_size_follows_tfjs(frame, expected):
    assert multipose_input_size(frame, (-1, -1)) == expected


def test_dynamic_input_size_rejects_bad_max_dimension():
    with pytest.raises(ValueError):
        multipose_input_size((100, 100), (-1, -1), max_dimension=250)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 5000), st.integers(1, 5000))
def test_dynamic_input_size_properties(h, w):
    in_h, in_w = multipose_input_size((h, w), (-1, -1))
    assert in_h % 32 == 0 and in_w % 32 == 0
    assert max(in_h, in_w) == 256
    # The resized frame fits, with less than 32 pixels of padding on the short side.
    short, long_ = sorted((h, w))
    assert 0 <= min(in_h, in_w) - max(1, round(256 * short / long_)) < 32


# --- preprocessing and mapping ----------------------------------------------------------


def test_preprocess_pads_bottom_right_and_maps_back():
    frame = np.full((392, 640, 3), 200, np.uint8)
    image, mapping = preprocess_multipose(frame, (256, 256))
    assert image.shape == (256, 256, 3) and image.dtype == np.uint8
    new_h = round(392 * 256 / 640)  # 157
    assert (image[:new_h] == 200).all()
    assert (image[new_h:] == 0).all()
    # Input corners of the resized frame map to the frame corners.
    corners = mapping.to_frame(np.array([[0.0, 0.0], [new_h / 256, 1.0]]))
    np.testing.assert_allclose(corners, [[0, 0], [640, 392]], atol=1e-3)


@settings(max_examples=50, deadline=None)
@given(st.integers(8, 900), st.integers(8, 900), st.sampled_from([(256, 256), (160, 256), (256, 96)]))
def test_preprocess_mapping_round_trips(h, w, input_size):
    frame = np.zeros((h, w, 3), np.uint8)
    image, mapping = preprocess_multipose(frame, input_size)
    assert image.shape[:2] == input_size
    xy = np.array([[0.0, 0.0], [w, h], [w / 3, h / 2]])
    np.testing.assert_allclose(mapping.to_frame(mapping.from_frame(xy)), xy, atol=1e-2)
    assert mapping.box[:2] == (0.0, 0.0)  # top-left anchored


def test_preprocess_rejects_non_rgb():
    with pytest.raises(ValueError):
        preprocess_multipose(np.zeros((10, 10), np.uint8), (256, 256))


# --- decode -----------------------------------------------------------------------------


def _instance(score: float, box=(0.1, 0.2, 0.5, 0.6), kp=(0.3, 0.4, 0.9)) -> np.ndarray:
    row = np.zeros(INSTANCE_SIZE, np.float32)
    row[:BOX_INDEX] = np.tile(kp, 17)
    row[BOX_INDEX:INSTANCE_SCORE_INDEX] = box
    row[INSTANCE_SCORE_INDEX] = score
    return row


def test_decode_maps_keypoints_and_box_to_frame_pixels():
    # A 640x392 frame in a 256x256 input: the frame fills 256 x 156.8 px at the top left.
    _, mapping = preprocess_multipose(np.zeros((392, 640, 3), np.uint8), (256, 256))
    new_h = round(392 * 256 / 640)
    sy = 256 / new_h * 392  # frame pixels per normalised input unit, vertically
    raw = _instance(0.8, box=(0.1, 0.2, 0.5, 0.6), kp=(0.3, 0.4, 0.9))[None, None]
    (pose,) = decode_multipose(raw, mapping)
    assert pose.score == pytest.approx(0.8)
    np.testing.assert_allclose(pose.keypoints[0], [0.4 * 640, 0.3 * sy, 0.9], rtol=1e-5)
    # Box (ymin, xmin, ymax, xmax) -> (x0, y0, x1, y1), mapped like the keypoints (TF.js leaves it unmapped).
    np.testing.assert_allclose(pose.box, [0.2 * 640, 0.1 * sy, 0.6 * 640, 0.5 * sy], rtol=1e-5)
    assert pose.track_id is None and pose.keypoints.dtype == np.float32 and pose.box.dtype == np.float32


def test_decode_filters_by_min_pose_score_and_sorts():
    _, mapping = preprocess_multipose(np.zeros((256, 256, 3), np.uint8), (256, 256))
    raw = np.stack([_instance(s) for s in (0.3, 0.24, 0.9, 0.25, 0.0, 0.6)])[None]
    assert [round(p.score, 2) for p in decode_multipose(raw, mapping)] == [0.9, 0.6, 0.3, 0.25]
    assert len(decode_multipose(raw, mapping, 0.5)) == 2
    assert len(decode_multipose(raw, mapping, 0.0)) == 6  # 0 means keep all (TF.js would use 0.25)


def test_decode_rejects_bad_shapes_and_scores():
    _, mapping = preprocess_multipose(np.zeros((256, 256, 3), np.uint8), (256, 256))
    with pytest.raises(ValueError):
        decode_multipose(np.zeros((1, 6, 55), np.float32), mapping)
    with pytest.raises(ValueError):
        decode_multipose(np.zeros((1, 6, 56), np.float32), mapping, 1.5)


# --- real model and photos --------------------------------------------------------------


@pytest.fixture(scope="module")
def multipose(loaded_pipeline):
    return loaded_pipeline(model="multipose", tracker="none")


def _detect(pipeline: Pipeline, path) -> tuple[Pose, ...]:
    return pipeline.process(Frame(0, 0.0, read_image(path), 0.0)).poses


def test_coco_mini_recall_at_oks_half(multipose):
    """MultiPose finds most annotated people: recall at OKS 0.5 by pycocotools' COCOeval."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    annotations = data_file("coco_mini/test_coco.json")
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(annotations))
    detections = []
    for image in gt.dataset["images"]:
        for pose in _detect(multipose, annotations.parent / image["file_name"]):
            kp = np.concatenate([pose.xy, np.ones((17, 1))], axis=1)
            detections.append({"image_id": image["id"], "category_id": 1,
                               "keypoints": kp.ravel().tolist(), "score": pose.score})
    with contextlib.redirect_stdout(io.StringIO()):
        dt = gt.loadRes(detections)
        evaluation = COCOeval(gt, dt, "keypoints")
        evaluation.params.iouThrs = np.array([0.5])
        evaluation.params.maxDets = [20]
        evaluation.evaluate()
        evaluation.accumulate()
    everything = evaluation.params.areaRngLbl.index("all")
    recall = float(evaluation.eval["recall"][0, 0, everything, 0])
    # Count by hand too: people with keypoints (COCO ignores the 2 with none) matched at OKS >= 0.5.
    matched = total = 0
    for result in evaluation.evalImgs:
        if result is not None and result["aRng"] == evaluation.params.areaRng[everything]:
            keep = ~np.asarray(result["gtIgnore"], bool)
            total += int(keep.sum())
            matched += int((np.asarray(result["gtMatches"])[0][keep] > 0).sum())
    assert total == 12
    assert recall == pytest.approx(matched / total)
    assert recall >= 0.75, f"recall at OKS 0.5: {matched}/{total}"  # measured 10/12 = 0.83


def test_boxes_surround_their_people(multipose):
    poses = _detect(multipose, data_file("coco_mini/000000197388.jpg"))
    assert len(poses) >= 4
    for pose in poses:
        x0, y0, x1, y1 = pose.box
        assert 0 <= x0 < x1 <= 640 + 5 and 0 <= y0 < y1 <= 392 + 5
        confident = pose.xy[pose.scores > 0.3]
        assert len(confident) >= 5
        margin = 0.1 * max(x1 - x0, y1 - y0)
        assert (confident[:, 0] >= x0 - margin).all() and (confident[:, 0] <= x1 + margin).all()
        assert (confident[:, 1] >= y0 - margin).all() and (confident[:, 1] <= y1 + margin).all()
    # Distinct people: their boxes do not coincide.
    centres = np.array([[(p.box[0] + p.box[2]) / 2, (p.box[1] + p.box[3]) / 2] for p in poses])
    distances = np.linalg.norm(centres[:, None] - centres[None], axis=-1)
    assert (distances[~np.eye(len(poses), dtype=bool)] > 20).all()


def test_min_pose_score_is_applied(multipose):
    path = data_file("coco_mini/000000197388.jpg")
    strict = Pipeline(PipelineConfig(model="multipose", tracker="none", min_pose_score=0.45))
    try:
        poses = _detect(strict, path)
    finally:
        strict.close()
    assert poses and all(p.score >= 0.45 for p in poses)
    assert len(poses) < len(_detect(multipose, path))


def test_cli_infer_multipose_writes_people_with_boxes_and_track_ids(tmp_path, capsys):
    from movenet_studio.cli import main

    image = data_file("coco_mini/000000197388.jpg")
    out = tmp_path / "m.json"
    assert main(["infer", str(image), "--model", "multipose", "--json", str(out)]) == 0
    poses = json.loads(out.read_text())["frames"][0]["poses"]
    assert len(poses) >= 4
    assert sorted(p["track_id"] for p in poses) == list(range(1, len(poses) + 1))
    for pose in poses:
        x0, y0, x1, y1 = pose["box"]
        assert x0 < x1 and y0 < y1 and len(pose["keypoints"]) == 17

    out_none = tmp_path / "n.json"
    assert main(["infer", str(image), "--model", "multipose", "--tracker", "none",
                 "--min-pose-score", "0.4", "--json", str(out_none)]) == 0
    poses = json.loads(out_none.read_text())["frames"][0]["poses"]
    assert poses and all(p["track_id"] is None and p["score"] >= 0.4 for p in poses)
    capsys.readouterr()
