"""The error atlas on a fixture made from coco_mini's annotations: predictions = ground truth
with jitter, inversions, swaps and misses injected at chosen keypoints. Every injected
keypoint gets its class, the counts equal a transcription of Ronchi & Perona's rule
(coco-analyze's ``_find_kpt_errors``), and correcting a class raises AP by its ``ap_cost``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import data_file
from movenet_studio.core.evaluation import load_annotations, select_persons
from movenet_studio.core.evaluation.error_atlas import (CLASSES, ERROR_CLASSES, correct, distance_at,
                                                        mirror_index)
from movenet_studio.core.decoding.keypoint_sets import COCO17, COCO_SIGMAS
from movenet_studio.core.evaluation.run import evaluate_results
from schemas import validate

NAMES = COCO17.names
MIRROR = mirror_index(NAMES)


def _paper_rule(dt: np.ndarray, own: dict, others: list[dict]) -> list[str]:
    """A transcription of coco-analyze's classification (its ``> 0.85`` for good aside):
    the ks matrix over [own, others..., own mirrored, others mirrored], -1 where v = 0."""
    people = [own] + others
    n = len(people)
    rows = np.zeros((2 * n, 17))
    for i, person in enumerate(people):
        g = np.asarray(person["keypoints"], float).reshape(17, 3)
        for r, gt in ((i, g), (i + n, g[MIRROR])):
            d2 = ((dt[:, :2] - gt[:, :2]) ** 2).sum(1)
            rows[r] = np.exp(-d2 / (COCO_SIGMAS * 2) ** 2 / (person["area"] + np.spacing(1)) / 2) * (gt[:, 2] > 0) \
                - 1 * (gt[:, 2] == 0)
    best, arg = np.maximum(rows.max(0), 0), rows.argmax(0)
    v = np.asarray(own["keypoints"], float).reshape(17, 3)[:, 2]
    out = []
    for k in range(17):
        if v[k] == 0:
            out.append("unlabelled")
        elif best[k] < 0.5:
            out.append("miss")
        elif arg[k] == 0:
            out.append("good" if best[k] >= 0.85 else "jitter")
        elif arg[k] == n:
            out.append("inversion")
        else:
            out.append("swap")
    return out


def _fixture(tmp_path):
    """(annotations path, results path, {(annotation id, keypoint): injected class})."""
    annotations = data_file("coco_mini/test_coco.json")
    dataset = load_annotations(annotations)
    persons = select_persons(dataset)
    by_image = {}
    for a in dataset["annotations"]:
        by_image.setdefault(a["image_id"], []).append(a)
    records, injected = [], {}
    rng = np.random.default_rng(7)
    wanted = {"jitter": 4, "inversion": 4, "swap": 4, "miss": 4}
    for n, person in enumerate(persons):
        kp = np.asarray(person["keypoints"], float).reshape(17, 3)
        dt = kp.copy()
        dt[:, 2] = 1.0
        order = rng.permutation(17)
        for k in order:
            if kp[k, 2] == 0:
                continue
            for cls in ("swap", "inversion", "jitter", "miss"):
                if not wanted[cls]:
                    continue
                if cls == "jitter":
                    dt[k, 0] = kp[k, 0] + distance_at(0.7, person["area"], COCO_SIGMAS)[k]
                elif cls == "miss":
                    dt[k, :2] = (-4000.0, -4000.0)
                elif cls == "inversion":
                    m = MIRROR[k]
                    if m == k or kp[m, 2] == 0 or np.hypot(*(kp[m, :2] - kp[k, :2])) < 3 * distance_at(
                            0.5, person["area"], COCO_SIGMAS)[k]:
                        continue
                    dt[k, :2] = kp[m, :2]
                else:
                    others = [o for o in by_image[person["image_id"]] if o["id"] != person["id"]
                              and o.get("keypoints") and o["keypoints"][3 * k + 2] > 0]
                    far = [o for o in others if np.hypot(o["keypoints"][3 * k] - kp[k, 0],
                                                         o["keypoints"][3 * k + 1] - kp[k, 1])
                           > 3 * distance_at(0.5, person["area"], COCO_SIGMAS)[k]]
                    if not far:
                        continue
                    dt[k, :2] = far[0]["keypoints"][3 * k: 3 * k + 2]
                others = [o for o in by_image[person["image_id"]] if o["id"] != person["id"]]
                if _paper_rule(dt, person, others)[k] != cls:  # ambiguous here (near someone else): not this one
                    dt[k] = (*kp[k, :2], 1.0)
                    continue
                injected[(person["id"], int(k))] = cls
                wanted[cls] -= 1
                break
            if len(injected) >= 2 * (n + 1):  # at most two per person
                break
        records.append({"image_id": person["image_id"], "category_id": 1, "keypoints": dt.reshape(-1).tolist(),
                        "score": round(0.9 - 0.01 * n, 3), "annotation_id": person["id"]})
    assert not any(wanted.values()), f"fixture could not inject {wanted}"
    path = tmp_path / "results.json"
    path.write_text(json.dumps(records))
    return annotations, path, injected, dataset


def test_injected_errors_are_classified_as_the_paper_rules(tmp_path):
    annotations, results, injected, dataset = _fixture(tmp_path)
    result = evaluate_results(annotations, results, errors=True)
    atlas = result.errors
    by_gt = {p.gt["id"]: (p, e) for p, e in zip(atlas.pairs, atlas.errors)}
    # 100 % of the injected keypoints get their class; every other labelled keypoint is good
    for (gt_id, k), cls in injected.items():
        assert by_gt[gt_id][1].classes[k] == cls, (gt_id, NAMES[k])
    expected = {c: 0 for c in CLASSES}
    for gt_id, (pair, err) in by_gt.items():
        paper = _paper_rule(np.asarray(pair.detection["keypoints"], float).reshape(17, 3), pair.gt, pair.others)
        assert err.classes == paper
        for c in paper:
            expected[c] += 1
    assert atlas.totals() == expected
    for cls in ERROR_CLASSES:
        assert expected[cls] == sum(1 for c in injected.values() if c == cls)
    document = result.to_json()["errors"]
    validate(document, "errors")
    assert document["totals"] == expected
    assert len(document["detections"]) == len(select_persons(dataset))


def test_correcting_a_class_raises_ap_by_its_cost(tmp_path):
    annotations, results, injected, _ = _fixture(tmp_path)
    result = evaluate_results(annotations, results, errors=True)
    atlas = result.errors
    assert atlas.ap == pytest.approx(result.ap, abs=1e-12)
    records = json.loads(results.read_text())
    index = {r["annotation_id"]: i for i, r in enumerate(records)}
    for cls in ERROR_CLASSES:
        fixed = [dict(r) for r in records]
        for pair, err in zip(atlas.pairs, atlas.errors):
            kp = np.asarray(fixed[index[pair.gt["id"]]]["keypoints"], float).reshape(17, 3)
            for k, c in enumerate(err.classes):
                if c == cls:
                    kp[k, :2] = err.corrected[k]
            fixed[index[pair.gt["id"]]]["keypoints"] = kp.reshape(-1).tolist()
        path = tmp_path / f"fixed-{cls}.json"
        path.write_text(json.dumps(fixed))
        corrected = evaluate_results(annotations, path)
        assert corrected.ap - result.ap == pytest.approx(atlas.ap_cost[cls], abs=1e-12), cls
        assert atlas.ap_cost[cls] >= 0, cls
    assert atlas.ap_cost["miss"] > 0 and atlas.ap_cost["swap"] > 0  # whole keypoints lost cost AP here


def test_correction_lands_on_the_class_boundary():
    own = {"id": 1, "area": 5000.0, "keypoints": [100.0, 100.0, 2] * 17}
    dt = np.array([[100.0 + distance_at(0.6, 5000.0, COCO_SIGMAS)[k], 100.0, 1] for k in range(17)])
    from movenet_studio.core.evaluation.error_atlas import classify_keypoints
    err = classify_keypoints(dt.reshape(-1), own, [], COCO_SIGMAS, MIRROR)
    assert set(err.classes) == {"jitter"} and np.allclose(err.ks_max, 0.6)
    moved = classify_keypoints(np.c_[err.corrected, np.ones(17)].reshape(-1), own, [], COCO_SIGMAS, MIRROR)
    assert np.allclose(moved.ks_max, 0.85)


def test_multi_protocol_counts_background_errors(tmp_path):
    annotations = data_file("coco_mini/test_coco.json")
    dataset = load_annotations(annotations)
    people = [a for a in dataset["annotations"] if a.get("num_keypoints")]
    records = [{"image_id": a["image_id"], "category_id": 1, "keypoints": a["keypoints"], "score": 0.9}
               for a in people[1:]]  # the first person is never predicted: a false negative
    records.append({"image_id": people[0]["image_id"], "category_id": 1,
                    "keypoints": [5.0, 5.0, 1] * 17, "score": 0.95})  # a hallucination in its image
    path = tmp_path / "multi.json"
    path.write_text(json.dumps(records))
    result = evaluate_results(annotations, path, protocol="multi", errors=True)
    errors = result.to_json()["errors"]
    validate(errors, "errors")
    assert errors["background"] == {"false_positives": 1, "false_negatives": 1}
    assert errors["ap_cost"]["background_fp"] > 0 and errors["ap_cost"]["background_fn"] > 0
    assert errors["ap_cost"]["score"] > 0  # the hallucination outranks every true detection
    assert errors["totals"]["good"] == sum(a["num_keypoints"] for a in people[1:])
    assert {d["categories"].count("good") for d in errors["detections"]} - {0} and not any(
        c in ERROR_CLASSES for d in errors["detections"] for c in d["categories"])


def test_correct_leaves_other_classes_and_detections_alone():
    dets = [{"image_id": 1, "keypoints": [0.0, 0.0, 1] * 17, "score": 1.0}]
    assert correct(dets, [], [], ["jitter"]) == dets and correct(dets, [], [], ["jitter"])[0] is not dets[0]


@pytest.mark.parametrize("protocol", ["single", "multi"])
def test_per_keypoint_costs_equal_a_full_evaluation(tmp_path, protocol):
    """The atlas re-evaluates only the images whose detections moved: each per-keypoint cost
    equals COCOeval run from scratch on the corrected detections."""
    from movenet_studio.core.evaluation.rescoring import coco_ap

    annotations, results, _, dataset = _fixture(tmp_path)
    if protocol == "multi":  # plus a second, shifted copy of each prediction: several per image
        records = json.loads(results.read_text())
        extra = [dict(r, keypoints=[v + (15 if i % 3 == 0 else 0) for i, v in enumerate(r["keypoints"])],
                      score=r["score"] / 2) for r in records]
        for r in records + extra:
            r.pop("annotation_id", None)
        results.write_text(json.dumps(records + extra))
    result = evaluate_results(annotations, results, protocol=protocol, errors=True)
    atlas = result.errors
    from movenet_studio.core.evaluation.results_file import load_results, multi_detections, single_detections
    loaded = load_results(results)
    if protocol == "single":
        gt, detections, _ = single_detections(dataset, loaded, COCO_SIGMAS)
    else:
        gt, detections = dataset, multi_detections(dataset, loaded)
    assert coco_ap(gt, detections, COCO_SIGMAS) == pytest.approx(atlas.ap, abs=1e-12)
    checked = 0
    for k, name in enumerate(NAMES):
        for cls in ERROR_CLASSES:
            fixed = correct(detections, atlas.pairs, atlas.errors, [cls], [k])
            if fixed == [dict(d) for d in detections]:
                assert atlas.ap_cost_per_keypoint[name][cls] == 0.0
                continue
            full = coco_ap(gt, fixed, COCO_SIGMAS) - atlas.ap
            assert atlas.ap_cost_per_keypoint[name][cls] == pytest.approx(full, abs=1e-12), (name, cls)
            checked += 1
    assert checked >= 8
