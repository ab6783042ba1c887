"""COCO keypoint evaluation: crop geometry, pseudo-image protocol, perfect predictions score
AP 1.0, real models on coco_mini score in (0, 1], the CLI's JSON and errors."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from conftest import data_file
from movenet_studio.cli import main
from movenet_studio.core.evaluation import (EvaluationError, crop_box, crop_person, evaluate,
                                            keypoint_similarity, load_annotations, predict_single,
                                            pseudo_image_dataset, score, select_persons)
from movenet_studio.core.decoding.keypoints import KEYPOINT_NAMES
from movenet_studio.core.progress import Cancelled, CancelToken, JobControl

FIGURES = ("AP", "AP50", "AP75", "AR")


def _coco_mini():
    annotations = data_file("coco_mini/test_coco.json")
    return annotations, annotations.parent


def _perfect(dataset: dict, image_key: str = "image_id") -> list[dict]:
    """Detections equal to the ground truth keypoints of every non-crowd labelled person."""
    return [{"image_id": a[image_key], "category_id": a["category_id"], "keypoints": list(a["keypoints"]),
             "score": 0.9} for a in dataset["annotations"] if not a.get("iscrowd") and a["num_keypoints"] > 0]


# -- geometry ---------------------------------------------------------------------------------

def test_crop_box_is_centred_square_of_scaled_side():
    x0, y0, side = crop_box([10, 20, 40, 80])  # centre (30, 60), side 1.25 * 80 = 100
    assert (x0, y0, side) == (-20, 10, 100)
    x0, y0, side = crop_box([0.5, 0.5, 3, 2])  # side 3.75 -> 4, centre (2, 1.5)
    assert side == 4 and abs(x0 + side / 2 - 2.0) <= 0.5 and abs(y0 + side / 2 - 1.5) <= 0.5


def test_crop_person_black_outside_and_box_in_the_middle():
    image = np.full((100, 120, 3), 40, np.uint8)
    image[30:70, 50:80] = 255  # the person's box: x 50..80, y 30..70 (40 high)
    box = crop_box([50, 30, 30, 40])  # side 50, centred at (65, 50) -> x0 40, y0 25
    assert box == (40, 25, 50)
    crop = crop_person(image, box, (50, 50))  # same size: no resampling
    assert crop.shape == (50, 50, 3) and crop.dtype == np.uint8
    white = np.argwhere(crop[..., 0] == 255)
    assert white.min(0).tolist() == [5, 10] and white.max(0).tolist() == [44, 39]
    # Near an edge the part outside the image is black.
    edge = crop_person(image, crop_box([0, 0, 40, 40]), (25, 25))
    assert edge[0, 0].tolist() == [0, 0, 0] and edge[-1, -1].tolist() == [40, 40, 40]


def test_keypoint_similarity_matches_the_oks_term():
    gt = [10.0, 10.0, 2] * 17
    dt = [13.0, 14.0, 1] * 17  # 5 px away
    sims = keypoint_similarity(gt, dt, area=100.0)
    sigmas = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89]) / 10
    assert sims == pytest.approx(np.exp(-25 / (2 * 100 * (2 * sigmas) ** 2)), rel=1e-6)
    gt[2] = 0  # nose unlabelled
    assert np.isnan(keypoint_similarity(gt, dt, 100.0)[0])


# -- protocol with synthetic data -------------------------------------------------------------

def _synthetic(tmp_path):
    """Two images, three evaluable persons (one cut by the image edge), one crowd, one with 3 keypoints."""
    rng = np.random.default_rng(1)
    images, annotations = [], []
    for image_id, (h, w) in ((7, (90, 120)), (3, (100, 80))):
        name = f"img{image_id}.png"
        cv2.imwrite(str(tmp_path / name), rng.integers(0, 255, (h, w, 3), dtype=np.uint8))
        images.append({"id": image_id, "file_name": name, "height": h, "width": w})

    def person(ann_id, image_id, bbox, labelled=17, crowd=0):
        x, y, bw, bh = bbox
        kps = []
        for k in range(17):
            v = 2 if k < labelled else 0
            kps += [round(x + bw * (k + 1) / 18, 2), round(y + bh * ((k * 7) % 17 + 1) / 18, 2), v] if v else [0, 0, 0]
        annotations.append({"id": ann_id, "image_id": image_id, "category_id": 1, "bbox": bbox, "iscrowd": crowd,
                            "area": bw * bh * 0.6, "keypoints": kps, "num_keypoints": labelled})

    person(11, 7, [10, 5, 40, 70])
    person(12, 7, [90, 40, 30, 50], labelled=9)  # crop sticks out of the right and bottom edges
    person(13, 7, [60, 10, 20, 20], labelled=3)  # too few keypoints: not evaluated
    person(14, 3, [5, 20, 60, 70], crowd=1)  # crowd: not evaluated
    person(15, 3, [20, 10, 40, 60], labelled=5)
    dataset = {"images": images, "annotations": annotations,
               "categories": [{"id": 1, "name": "person", "keypoints": list(KEYPOINT_NAMES), "skeleton": []}]}
    path = tmp_path / "ann.json"
    path.write_text(json.dumps(dataset))
    return path, dataset


class _OracleBackend:
    """A fake Backend: returns, per crop, the queued model outputs (in crop-normalised (y, x))."""

    def __init__(self, outputs, size=(64, 64)):
        self.model = SimpleNamespace(input_size=size, is_multipose=False, architecture="singlepose", io=None,
                                     num_keypoints=17, path=Path("oracle.tflite"))
        self.outputs = list(outputs)
        self.shapes = []

    def invoke(self, image):
        self.shapes.append(image.shape)
        return (self.outputs.pop(0),)


def test_select_persons_and_pseudo_images(tmp_path):
    _, dataset = _synthetic(tmp_path)
    persons = select_persons(dataset)
    assert [p["id"] for p in persons] == [15, 11, 12]  # by image id, then annotation id
    gt = pseudo_image_dataset(dataset, persons)
    assert [i["id"] for i in gt["images"]] == [1, 2, 3]
    assert [(a["id"], a["image_id"]) for a in gt["annotations"]] == [(15, 1), (11, 2), (12, 3)]
    assert gt["images"][0]["width"] == 80 and gt["images"][1]["width"] == 120


def test_oracle_predictions_map_back_and_score_ap_1(tmp_path):
    path, dataset = _synthetic(tmp_path)
    outputs = []
    for person in select_persons(dataset):
        x0, y0, side = crop_box(person["bbox"])
        kps = np.asarray(person["keypoints"], float).reshape(17, 3)
        yxs = np.stack([(kps[:, 1] - y0) / side, (kps[:, 0] - x0) / side, np.full(17, 0.8)], axis=1)
        yxs[:, :2] = np.clip(yxs[:, :2], -1.0, 2.0)  # unlabelled (0, 0) points: where a real model could put them
        outputs.append(yxs.reshape(1, 1, 17, 3).astype(np.float32))
    backend = _OracleBackend(outputs)
    gt, detections = predict_single(load_annotations(path), tmp_path, backend)
    assert backend.shapes == [(64, 64, 3)] * 3 and not backend.outputs
    result = score(gt, detections, own_pairs=True)
    assert (result.ap, result.ap50, result.ap75, result.ar) == (1.0, 1.0, 1.0, 1.0)
    assert result.pairs == 3 and result.detections == 3
    counts = {name: s.count for name, s in result.per_keypoint.items()}
    assert (counts["nose"], counts["left_shoulder"], counts["right_ankle"]) == (3, 2, 1)  # 17, 9, 5 labelled
    assert all(s.mean_similarity == pytest.approx(1.0) and s.accuracy == 1.0
               for s in result.per_keypoint.values() if s.count)


def test_a_wrong_prediction_lowers_ap_only_for_its_person(tmp_path):
    _, dataset = _synthetic(tmp_path)
    gt = pseudo_image_dataset(dataset, select_persons(dataset))
    detections = _perfect(gt)
    detections[0]["keypoints"] = [v + 25 if i % 3 != 2 else v for i, v in enumerate(detections[0]["keypoints"])]
    result = score(gt, detections, own_pairs=True)
    assert 0 < result.ap < 1
    assert result.per_keypoint["left_eye"].accuracy == pytest.approx(2 / 3)


def test_perfect_predictions_score_ap_1_on_coco_mini():
    annotations, _ = _coco_mini()
    dataset = load_annotations(annotations)
    pseudo = pseudo_image_dataset(dataset, select_persons(dataset))
    single = score(pseudo, _perfect(pseudo), own_pairs=True)
    assert (single.ap, single.ap50, single.ap75, single.ar) == (1.0, 1.0, 1.0, 1.0) and single.pairs == 12
    multi = score(dataset, _perfect(dataset))
    assert (multi.ap, multi.ap50, multi.ap75, multi.ar) == (1.0, 1.0, 1.0, 1.0) and multi.pairs == 12
    assert all(s.mean_similarity == pytest.approx(1.0) for s in multi.per_keypoint.values())
    empty = score(dataset, [])
    assert empty.ap == 0.0 and empty.detections == 0


def test_score_rejects_unknown_image_ids():
    dataset = load_annotations(_coco_mini()[0])
    with pytest.raises(EvaluationError, match="not in the ground truth"):
        score(dataset, [{"image_id": 424242, "category_id": 1, "keypoints": [0] * 51, "score": 1.0}])


# -- real models ------------------------------------------------------------------------------

@pytest.mark.parametrize("model", ["lightning", "thunder"])
def test_single_protocol_real_model_on_coco_mini(model):
    annotations, images = _coco_mini()
    seen = []
    result = evaluate(annotations, images, model=model, control=JobControl(lambda p: seen.append((p.done, p.total))))
    document = json.loads(json.dumps(result.to_json(), allow_nan=False))
    for key in FIGURES:
        assert 0 < document[key] <= 1
    assert document["protocol"] == "single" and document["counts"] == {"images": 4, "persons": 12,
                                                                        "detections": 12, "pairs": 12}
    assert list(document["per_keypoint"]) == list(KEYPOINT_NAMES)
    for stats in document["per_keypoint"].values():
        assert stats["count"] > 0 and 0 <= stats["mean_similarity"] <= 1 and 0 <= stats["accuracy"] <= 1
    assert seen[-1] == (12, 12)


def test_multi_protocol_multipose_on_coco_mini():
    annotations, images = _coco_mini()
    result = evaluate(annotations, images, protocol="multi")
    assert result.model["key"] == "multipose-float16" and 0 < result.ap <= 1 and 0 < result.ar <= 1
    assert result.images == 4 and result.persons == 12 and 0 < result.pairs <= 12


def test_evaluate_cancel():
    annotations, images = _coco_mini()
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        evaluate(annotations, images, control=JobControl(token=token))


# -- CLI --------------------------------------------------------------------------------------

def test_cli_eval_prints_and_writes_json(tmp_path, capsys):
    annotations, images = _coco_mini()
    out = tmp_path / "e.json"
    assert main(["eval", "--annotations", str(annotations), "--images", str(images), "--model", "thunder",
                 "--json", str(out)]) == 0
    captured = capsys.readouterr()
    assert "AP " in captured.out and "AP50" in captured.out and "AR " in captured.out
    assert "eval" in captured.err  # the progress bar
    document = json.loads(out.read_text())
    assert all(0 < document[k] <= 1 for k in FIGURES) and document["model"]["key"] == "thunder-float16"


def test_cli_eval_errors_one_line(tmp_path, capsys):
    annotations, images = _coco_mini()
    bad = tmp_path / "bad.json"
    bad.write_text('{"images": []}')
    cases = [["--annotations", str(tmp_path / "missing.json"), "--images", str(images)],
             ["--annotations", str(bad), "--images", str(images)],
             ["--annotations", str(annotations), "--images", str(tmp_path)],
             ["--annotations", str(annotations), "--images", str(images), "--model", "lightening"]]
    for args in cases:
        assert main(["eval", "-q", *args]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("movenet-studio: error:"), err


def test_cli_eval_preprocessing_profile_reaches_the_crops(tmp_path):
    """``--channels bgr --interpolation nearest``: recorded in the JSON, and the figures move
    (the single protocol's crops are made under the profile)."""
    annotations, images = _coco_mini()
    own = evaluate(annotations, images, model="lightning").to_json()
    out = tmp_path / "e.json"
    assert main(["eval", "-q", "--annotations", str(annotations), "--images", str(images), "--model", "lightning",
                 "--channels", "bgr", "--interpolation", "nearest", "--json", str(out)]) == 0
    document = json.loads(out.read_text())
    assert document["preprocess"] == {"channels": "bgr", "resize": "letterbox", "interpolation": "nearest"}
    assert own["preprocess"] is None and document["input_range"] is None
    assert 0 < document["mean_OKS"] <= 1 and document["mean_OKS"] != own["mean_OKS"]
