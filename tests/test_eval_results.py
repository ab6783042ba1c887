"""``eval --results``: a results file scored without a model. The file ``export --keypoints
--per-person`` writes for Lightning on coco_mini reproduces ``eval --model lightning``'s AP,
AP50, AP75 and AR exactly, with or without annotation ids; A vs B transitions."""

from __future__ import annotations

import json

import pytest

from conftest import data_file
from movenet_studio.cli import main
from schemas import validate

FIGURES = ("AP", "AP50", "AP75", "AR")


@pytest.fixture(scope="module")
def lightning_runs(tmp_path_factory):
    """(eval --model lightning JSON, the per-person results file)."""
    out = tmp_path_factory.mktemp("results")
    annotations = data_file("coco_mini/test_coco.json")
    assert main(["eval", "-a", str(annotations), "-i", str(annotations.parent), "-q", "--json",
                 str(out / "model.json")]) == 0
    # with annotations, a single-pose model's export is per person (as eval's single protocol)
    assert main(["export", str(annotations.parent), "--coco-annotations", str(annotations),
                 "--keypoints", str(out / "results.json"), "-q"]) == 0
    return json.loads((out / "model.json").read_text()), out / "results.json"


def test_results_file_reproduces_the_model_evaluation(lightning_runs, tmp_path):
    model, results = lightning_runs
    annotations = data_file("coco_mini/test_coco.json")
    assert main(["eval", "-a", str(annotations), "--results", str(results), "-q", "--json",
                 str(tmp_path / "r.json")]) == 0
    scored = json.loads((tmp_path / "r.json").read_text())
    assert {k: scored[k] for k in FIGURES} == {k: model[k] for k in FIGURES}
    assert scored["counts"]["detections"] == model["counts"]["detections"] == 12
    # A phone's file knows no annotation ids, nor our order: assigned by OKS, same figures
    records = json.loads(results.read_text())
    for record in records:
        del record["annotation_id"]
    (tmp_path / "phone.json").write_text(json.dumps(records[::-1]))
    assert main(["eval", "-a", str(annotations), "--results", str(tmp_path / "phone.json"), "-q", "--json",
                 str(tmp_path / "p.json")]) == 0
    phone = json.loads((tmp_path / "p.json").read_text())
    assert {k: phone[k] for k in FIGURES} == {k: model[k] for k in FIGURES}


def test_two_results_files_give_transitions(lightning_runs, tmp_path, capsys):
    _, results = lightning_runs
    annotations = data_file("coco_mini/test_coco.json")
    records = json.loads(results.read_text())
    for record in records:  # B: every left wrist where the right one is
        kp = record["keypoints"]
        kp[27:29] = kp[30:32]
    b = tmp_path / "flipped.json"
    b.write_text(json.dumps(records))
    assert main(["eval", "-a", str(annotations), "--results", str(results), "--results", str(b), "--errors",
                 "-q", "--json", str(tmp_path / "ab.json")]) == 0
    document = json.loads((tmp_path / "ab.json").read_text())
    validate(document, "transitions")
    validate(document["a"]["errors"], "errors")
    validate(document["b"]["errors"], "errors")
    wrist = document["transitions"]["left_wrist"]
    assert sum(wrist[c]["inversion"] for c in wrist if c != "inversion") >= 3
    assert all(n == 0 for name, rows in document["transitions"].items() if name != "left_wrist"
               for a, row in rows.items() for b, n in row.items() if a != b)  # nothing else moved
    assert document["transitions"]["nose"]["good"]["good"] == document["a"]["errors"]["per_keypoint"]["nose"]["good"]
    top = [m for m in document["largest_moves"] if m["to"] == "inversion"][0]
    assert top["keypoint"] == "left_wrist"
    assert f"flipped: {top['count']} left wrists {top['from']} -> inversion" in capsys.readouterr().out


@pytest.mark.parametrize("content, message", [
    ("[]", "no predictions"),
    ('[{"image_id": 785, "keypoints": [1, 2], "score": 1}]', "$[0].keypoints"),
    ('[{"image_id": 1, "keypoints": ' + json.dumps([0] * 51) + ', "score": 1}]', "image 1"),
    ('{"image_id": 1}', "expected a list"),
])
def test_bad_results_files_are_one_line_errors(tmp_path, capsys, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    annotations = data_file("coco_mini/test_coco.json")
    assert main(["eval", "-a", str(annotations), "--results", str(path), "-q"]) == 1
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_results_and_model_together_is_a_usage_error(tmp_path, capsys):
    annotations = data_file("coco_mini/test_coco.json")
    path = tmp_path / "r.json"
    path.write_text("[]")
    with pytest.raises(SystemExit) as exit_info:
        main(["eval", "-a", str(annotations), "--results", str(path), "--model", "lightning"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit):
        main(["eval", "-a", str(annotations)])  # neither images nor results
    assert "--images" in capsys.readouterr().err


def test_whole_image_export_keeps_one_record_per_pose(tmp_path):
    annotations = data_file("coco_mini/test_coco.json")
    assert main(["export", str(annotations.parent), "--coco-annotations", str(annotations), "--whole-image",
                 "--keypoints", str(tmp_path / "w.json"), "-q"]) == 0
    records = json.loads((tmp_path / "w.json").read_text())
    assert len(records) == 4 and not any("annotation_id" in r for r in records)
    assert main(["eval", "-a", str(annotations), "--results", str(tmp_path / "w.json"), "-q", "--json",
                 str(tmp_path / "e.json")]) == 0
    assert json.loads((tmp_path / "e.json").read_text())["counts"]["detections"] == 4


def test_multipose_export_reproduces_the_multi_protocol(tmp_path):
    """With annotations, a MultiPose export writes every pose of each image as eval's multi
    protocol runs it (no tracker, no smoothing, all scores): the same figures from the file."""
    annotations = data_file("coco_mini/test_coco.json")
    assert main(["eval", "-a", str(annotations), "-i", str(annotations.parent), "--protocol", "multi", "-q",
                 "--json", str(tmp_path / "model.json")]) == 0
    assert main(["export", str(annotations.parent), "--model", "multipose", "--coco-annotations", str(annotations),
                 "--keypoints", str(tmp_path / "m.json"), "-q"]) == 0
    assert main(["eval", "-a", str(annotations), "--results", str(tmp_path / "m.json"), "--protocol", "multi", "-q",
                 "--json", str(tmp_path / "results.json")]) == 0
    model, results = (json.loads((tmp_path / n).read_text()) for n in ("model.json", "results.json"))
    assert {k: results[k] for k in FIGURES} == {k: model[k] for k in FIGURES}
    assert results["counts"]["detections"] == model["counts"]["detections"]
