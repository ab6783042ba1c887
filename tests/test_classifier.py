"""Pose classification: classifiers built here with known weights (order switch, probabilities,
refused signatures), the repetition counter, and the shared squat classifier on real video."""

from __future__ import annotations

import json

import numpy as np
import pytest

from movenet_studio.cli import main
from movenet_studio.core.classify.classification import FrameClassifier
from movenet_studio.core.classify.classifier import (
    INPUT_LENGTH, ClassifierError, PoseClassifier, classifier_input, load_classifier, read_labels, to_probabilities,
)
from movenet_studio.core.decoding.pose import Pose
from movenet_studio.core.classify.repetitions import RepetitionCounter

from classifiers import ORDER_LABELS, shared_classifier, wide_pose, write_labels, write_onnx_classifier
from conftest import data_file


@pytest.fixture(scope="module")
def order_classifier(tmp_path_factory):
    folder = tmp_path_factory.mktemp("classifier")
    return write_onnx_classifier(folder / "order.onnx"), write_labels(folder / "labels.txt")


# --- input rows and the coordinate order ------------------------------------------------------

def test_input_row_layouts():
    kp = np.arange(51, dtype=np.float32).reshape(17, 3)
    xy, yx = classifier_input(kp, "xy"), classifier_input(kp, "yx")
    assert xy.shape == yx.shape == (1, INPUT_LENGTH) and xy.dtype == np.float32
    assert xy[0, :6].tolist() == [0, 1, 2, 3, 4, 5]          # (x, y, score) as the tutorial trains
    assert yx[0, :6].tolist() == [1, 0, 2, 4, 3, 5]          # (y, x, score) as the mobile samples feed
    with pytest.raises(ValueError, match="coordinate order"):
        classifier_input(kp, "zx")


def test_thirteen_keypoints_cannot_feed_a_17_keypoint_classifier(order_classifier):
    classifier = PoseClassifier(order_classifier[0], ORDER_LABELS)
    with pytest.raises(ClassifierError, match="gives 13 keypoints.*17"):
        classifier.probabilities(np.zeros((13, 3), np.float32))
    thirteen = (Pose(np.ones((13, 3), np.float32), 0.9),)
    with pytest.raises(ClassifierError, match="13 keypoints"):        # infer / export: refused
        FrameClassifier(classifier).classify(thirteen, 0.0)
    window = FrameClassifier(classifier, counted="wide", strict=False).classify(thirteen, 0.0)
    assert window.poses == () and "13 keypoints" in window.note and window.repetitions == 0  # the window: a note
    from types import SimpleNamespace

    from movenet_studio.cli.classifier_options import check_keypoint_count

    model = SimpleNamespace(num_keypoints=13, path=order_classifier[0].with_name("st_movenet_13.tflite"))
    with pytest.raises(ClassifierError, match="st_movenet_13.tflite: the pose model gives 13 keypoints"):
        check_keypoint_count(SimpleNamespace(model=model))


def test_order_switch_flips_the_known_classifier(order_classifier):
    classifier = load_classifier(*order_classifier, probe=False)
    assert classifier.labels == ORDER_LABELS
    kp = wide_pose()
    assert classifier.probabilities(kp, "xy")[0] > 0.999       # x > y: "wide"
    assert classifier.probabilities(kp, "yx")[1] > 0.999       # fed (y, x): "tall"
    stage = FrameClassifier(classifier, "xy", compare_orders=True)
    frame = stage.classify((Pose(kp, 0.9),), 0.0)
    assert frame.best.label == "wide" and frame.other[0].label == "tall" and frame.other[0].order == "yx"
    stage.set_order("yx")
    assert stage.classify((Pose(kp, 0.9),), 33.0).best.label == "tall"


@pytest.mark.parametrize("softmax", [True, False])
def test_probabilities_sum_to_one_and_match_the_weights(tmp_path, softmax):
    path = write_onnx_classifier(tmp_path / "c.onnx", softmax=softmax)
    classifier = PoseClassifier(path, ORDER_LABELS)
    kp = wide_pose()
    kp[:, 0] = kp[:, 1] + 1.0                      # x - y = 1 px: logit 0 = 0.05 * 17 = 0.85, logit 1 = -0.85
    p = classifier.probabilities(kp, "xy")
    assert p.dtype == np.float32 and abs(float(p.sum()) - 1.0) < 1e-6
    assert p[0] == pytest.approx(1 / (1 + np.exp(-1.7)), abs=1e-5)  # softmax of the logits, both ways


def test_to_probabilities():
    assert to_probabilities(np.array([[0.25, 0.75]])).tolist() == [0.25, 0.75]
    logits = to_probabilities(np.array([1000.0, 1000.0, -1000.0]))  # stable softmax
    assert logits.tolist() == pytest.approx([0.5, 0.5, 0.0])
    assert np.isnan(to_probabilities(np.array([np.nan, 1.0]))).all()


# --- refusals ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, message", [
    ({"input_shape": (1, 34)}, r"input float32 \[1, 34\]; expected one float32 input \[1, 51\]"),
    ({"input_type": "double"}, r"input float64 \[1, 51\]"),
    ({"input_shape": (1, 17, 3)}, r"input float32 \[1, 17, 3\]"),
    ({"inputs": 2}, r"2 inputs"),
    ({"classes": 1}, r"output float32 \[1, 1\].*at least 2 classes"),
])
def test_wrong_signatures_are_refused_with_one_line(tmp_path, kwargs, message):
    path = write_onnx_classifier(tmp_path / "bad.onnx", **kwargs)
    with pytest.raises(ClassifierError, match=message) as info:
        PoseClassifier(path)
    assert "\n" not in str(info.value) and str(info.value).startswith("bad.onnx: not a pose classifier")


def test_labels_must_match_the_classes(order_classifier, tmp_path):
    three = write_labels(tmp_path / "three.txt", ("a", "b", "c"))
    with pytest.raises(ClassifierError, match="has 2 classes but the labels file lists 3"):
        load_classifier(order_classifier[0], three, probe=False)


@pytest.mark.parametrize("text, message", [
    ("", "no labels"), ("a\n\nb", "empty line 2"), ("a\na\n", "appears more than once"),
    (b"\xff\xfe\x00", "not UTF-8"),
])
def test_bad_labels_files(tmp_path, text, message):
    path = tmp_path / "labels.txt"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(ClassifierError, match=message):
        read_labels(path)


def test_labels_without_trailing_newline(tmp_path):
    assert read_labels(write_labels(tmp_path / "l.txt", ("squat", "standing"), trailing_newline=False)) == \
        ("squat", "standing")


def test_untrusted_files_are_probed_out_of_process(tmp_path, order_classifier):
    """A MoveNet model, a wrong signature and garbage are refused by the child process."""
    garbage = tmp_path / "garbage.tflite"
    garbage.write_bytes(b"TFL3" + bytes(range(256)) * 8)
    with pytest.raises(ClassifierError, match="garbage.tflite: not a usable pose classifier"):
        load_classifier(garbage, order_classifier[1])
    wrong = write_onnx_classifier(tmp_path / "wrong.onnx", input_shape=(1, 34))
    with pytest.raises(ClassifierError, match=r"wrong.onnx: not a pose classifier: input float32 \[1, 34\]"):
        load_classifier(wrong, order_classifier[1])


# --- the repetition counter -------------------------------------------------------------------

def _count(values, step_ms=33.3, **kwargs):
    counter = RepetitionCounter(**kwargs)
    for i, p in enumerate(values):
        counter.update(p, i * step_ms)
    return counter


def test_counter_hysteresis_ignores_wobble_between_thresholds():
    # In at 0.9 for 10 frames, then wobbling 0.45..0.55 (between exit 0.4 and enter 0.6): one repetition.
    assert _count([0.1] * 5 + [0.9] * 10 + [0.45, 0.55] * 10 + [0.9] * 10).count == 1
    # Leaving (<= 0.4 long enough) and coming back: two.
    assert _count([0.1] * 5 + [0.9] * 10 + [0.1] * 10 + [0.9] * 10).count == 2


def test_counter_minimum_dwell():
    # Single-frame spikes (33 ms < 200 ms) never count; a short dip does not end a repetition.
    assert _count([0.1, 0.9] * 20).count == 0
    assert _count([0.9] * 10 + [0.1] * 3 + [0.9] * 10).count == 1
    assert _count([0.9] * 10 + [0.1] * 8 + [0.9] * 10).count == 2
    assert _count([0.1, 0.9, 0.1], min_dwell_ms=0).count == 1


def test_counter_no_pose_is_no_evidence_and_reset():
    counter = _count([0.9] * 10 + [None] * 10 + [0.9] * 5)
    assert counter.count == 1 and counter.inside
    counter.reset()
    assert counter.count == 0 and not counter.inside
    with pytest.raises(ValueError):
        RepetitionCounter(enter=0.3, exit=0.5)


# --- the shared squat classifier on real video ------------------------------------------------

def _infer(tmp_path_factory, video: str, fmt: str, *extra: str) -> dict:
    source = data_file(video)
    classifier, labels = shared_classifier(fmt)
    out = tmp_path_factory.mktemp("infer") / "c.json"
    code = main(["infer", str(source), "--classifier", str(classifier), "--labels", str(labels),
                 "--json", str(out), *extra])
    assert code == 0
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def squats(tmp_path_factory):
    return {fmt: _infer(tmp_path_factory, "pose_squats.mp4", fmt, "--count", "squat") for fmt in ("tflite", "onnx")}


def _labels(document: dict) -> list[str]:
    return [frame["poses"][0]["classification"]["label"] for frame in document["frames"]]


def test_squats_three_repetitions_every_frame_labelled(squats):
    document = squats["tflite"]
    labels = _labels(document)
    assert len(labels) == len(document["frames"]) == 65 and set(labels) == {"squat", "standing"}
    summary = document["summary"]["classification"]
    assert summary["repetitions"] == 3
    assert summary["frames"] == {"squat": labels.count("squat"), "standing": labels.count("standing")}
    # Three squat runs, as the classifier's README measured (frames 8-12, 32-37, 56-62 start them).
    starts = [i for i in range(1, len(labels)) if labels[i] == "squat" and labels[i - 1] == "standing"]
    assert len(starts) == 3 and 7 <= starts[0] <= 12 and 31 <= starts[1] <= 37 and 55 <= starts[2] <= 62
    scores = document["frames"][10]["poses"][0]["classification"]["scores"]
    assert set(scores) == {"squat", "standing"} and sum(scores.values()) == pytest.approx(1, abs=1e-4)


def test_onnx_and_tflite_give_the_same_labels(squats):
    assert _labels(squats["onnx"]) == _labels(squats["tflite"])
    assert squats["onnx"]["summary"]["classification"]["repetitions"] == 3


def test_dancer_stands_throughout_and_the_wrong_order_says_squat(tmp_path_factory):
    right = _infer(tmp_path_factory, "pose_1.mp4", "tflite", "--max-frames", "40")
    assert set(_labels(right)) == {"standing"} and right["summary"]["classification"] == \
        {"frames": {"squat": 0, "standing": 40}, "repetitions": None}
    wrong = _infer(tmp_path_factory, "pose_1.mp4", "tflite", "--max-frames", "40", "--classifier-order", "yx")
    assert _labels(wrong).count("standing") == 0   # fed (y, x, score), as the mobile samples do


def test_cli_usage_and_refusals(tmp_path, capsys, order_classifier):
    source = data_file("pose.jpg")
    with pytest.raises(SystemExit) as exit_info:
        main(["infer", str(source), "--classifier", str(order_classifier[0])])
    assert exit_info.value.code == 2 and "--classifier and --labels go together" in capsys.readouterr().err
    code = main(["infer", str(source), "--classifier", str(order_classifier[0]), "--labels",
                 str(order_classifier[1]), "--count", "squat", "--json", str(tmp_path / "x.json")])
    err = capsys.readouterr().err
    assert code == 1 and "cannot count 'squat'" in err and "wide, tall" in err
    assert not (tmp_path / "x.json").exists()


def test_a_classifier_that_crashes_the_runtime_is_refused(order_classifier, monkeypatch):
    import sys

    from movenet_studio.core import sandbox

    crash = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"]
    monkeypatch.setattr(sandbox, "probe_command", lambda path, flag: crash)
    with pytest.raises(ClassifierError, match=r"order.onnx: not a usable pose classifier .*crashed.*SIGSEGV"):
        load_classifier(*order_classifier)


def test_special_files_are_refused_unopened(tmp_path, order_classifier):
    import os

    fifo = tmp_path / "labels.fifo"
    os.mkfifo(fifo)                                   # opening it for reading would block
    with pytest.raises(ClassifierError, match="named pipe"):
        read_labels(fifo)
    (tmp_path / "folder.onnx").mkdir()
    with pytest.raises(ClassifierError, match="folder"):
        load_classifier(tmp_path / "folder.onnx", order_classifier[1])
    with pytest.raises(ClassifierError, match="no such classifier file"):
        load_classifier(tmp_path / "missing.tflite", order_classifier[1])
    big = tmp_path / "big.txt"
    big.write_bytes(b"a\n" * (1 << 20))
    with pytest.raises(ClassifierError, match="labels file"):
        read_labels(big)


def test_a_13_keypoint_model_cannot_feed_the_classifier(tmp_path, capsys):
    from media import shared_path

    model = shared_path("models/zoo/movenet_lightning_heatmaps13_192_int8_pc.tflite")   # ST's 13-keypoint layout
    classifier, labels = shared_classifier("tflite")
    out = tmp_path / "x.json"
    code = main(["infer", str(data_file("pose.jpg")), "--model", str(model), "--classifier", str(classifier),
                 "--labels", str(labels), "--json", str(out)])
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("INFO:")]
    assert code == 1 and len(err) == 1 and "gives 13 keypoints" in err[0] and "17" in err[0]
    assert not out.exists()
