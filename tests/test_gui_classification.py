"""The window's pose classification: Classification dock, captions on the video, the order
switch (no model reload), compare orders, the counter (reset on seek) and remembered files."""

from __future__ import annotations

import cv2
import numpy as np

from classifiers import ORDER_LABELS, shared_classifier, write_labels, write_onnx_classifier
from conftest import GUI_WAIT_MS, data_file, wait_results
from movenet_studio.core.classify.classification import Classification, FrameClassification
from movenet_studio.gui.window.classification_controller import KEYS, ClassifierRequest
from movenet_studio.gui.panels.classification_panel import BAR_STEPS, ClassificationPanel


def _request(fmt: str = "tflite", **kwargs) -> ClassifierRequest:
    path, labels = shared_classifier(fmt)
    return ClassifierRequest(str(path), str(labels), **kwargs)


def _wait_for(window, condition) -> None:
    window.qtbot.waitUntil(condition, timeout=GUI_WAIT_MS)


def _shown(window):
    last = window.video_view.last_result
    return last.result.classification if last is not None else None


def test_panel_bars_show_both_orders(qtbot):
    panel = ClassificationPanel()
    qtbot.addWidget(panel)
    panel.set_classes(ORDER_LABELS, "order.onnx (onnx): wide, tall", counted="wide")
    panel.set_compare(True)
    xy = Classification(ORDER_LABELS, np.array([0.8, 0.2], np.float32), "xy")
    yx = Classification(ORDER_LABELS, np.array([0.1, 0.9], np.float32), "yx")
    panel.add_classification(FrameClassification((xy,), (yx,), "xy", "wide", 4, True, 0))
    panel.refresh()
    assert panel.bars.bars["xy", "wide"].value() == round(0.8 * BAR_STEPS)
    assert panel.bars.bars["yx", "tall"].value() == round(0.9 * BAR_STEPS)
    assert panel.reps_label.text() == "reps: 4" and panel.top_label.text().startswith("wide  0.80")
    assert panel.other_label.text() == "fed (y, x, score): tall 0.90"
    panel.set_compare(False)
    assert ("yx", "wide") not in panel.bars.bars
    # A 13-keypoint model: the note shows while frames cannot be classified, and goes after.
    panel.add_classification(FrameClassification((), (), "xy", "wide", 4, False, None, "the pose model gives 13 keypoints"))
    panel.refresh()
    # Poses are drawn: the headline says the classifier does not apply (not "no pose"), no reps.
    assert "13 keypoints" in panel.note_label.text() and panel.top_label.text() == "classifier does not apply"
    assert panel.reps_label.text() == "" and panel.reps_label.isHidden()
    panel.add_classification(FrameClassification((xy,), (), "xy", "wide", 4, True, 0))
    panel.refresh()
    assert panel.note_label.text() == "" and not panel.reps_label.isHidden()


def test_squats_window_counts_switches_order_without_reload_and_resets_on_seek(window_on, gui_settings, tmp_path):
    # Looping: at --pace max the 65 frames would end before the later waits for new results.
    window = window_on(data_file("pose_squats.mp4"), classifier=_request(count="squat"), loop=True)
    controller = window.classification
    assert controller.stage is not None and controller.stage.counted == "squat"
    # The source opened only once the classifier was there: every frame is classified.
    _wait_for(window, lambda: (_shown(window) is not None and _shown(window).repetitions is not None
                               and _shown(window).repetitions >= 1))
    window.flush_views()
    texts = window.classification.overlay.texts()
    assert any(t.startswith(("squat ", "standing ")) for t in texts) and any(t.startswith("squat reps:") for t in texts)
    bars = window.classification.panel.bars.bars
    total = sum(bars["xy", label].value() for label in ("squat", "standing"))
    assert abs(total - BAR_STEPS) <= 2                                   # probabilities sum to 1
    model, loads = window.engine.model, window.engine.processed
    window.classification.panel.order_buttons.buttons()[1].click()       # (y, x, score)
    assert controller.stage.order == "yx" and gui_settings.qsettings.value(KEYS["order"]) == "yx"  # a user choice
    assert gui_settings.qsettings.value(KEYS["classifier"]) is None   # the command line's classifier is not kept
    wait_results(window, 3)
    assert _shown(window).order == "yx"
    assert window.engine.model is model and window.engine.processed > loads  # no reload: same model info
    window.classification.panel.compare_check.click()
    wait_results(window, 2)
    assert _shown(window).other and _shown(window).other[0].order == "xy"
    assert ("xy", "squat") in window.classification.panel.bars.bars
    window.classification.panel.order_buttons.buttons()[0].click()       # back to (x, y, score)
    # A seek resets the counter: after two squats it starts again at 0; a fresh entry counts.
    window.player.pause()
    _wait_for(window, lambda: not window.player.is_playing)
    window.player.seek(40)
    _wait_for(window, lambda: window.video_view.last_result.result.index == 40)
    assert _shown(window).repetitions == 0 and _shown(window).order == "xy"
    window.player.seek(58)                                               # inside the third squat
    _wait_for(window, lambda: window.video_view.last_result.result.index == 58)
    for _ in range(3):
        window.player.step()
    _wait_for(window, lambda: window.video_view.last_result.result.index == 61)
    assert _shown(window).repetitions == 1 and _shown(window).inside
    # The window's video export carries the captions too (a twin stage on the export thread).
    out = tmp_path / "squat.mp4"
    with window.qtbot.waitSignal(window.exports.export_finished, timeout=GUI_WAIT_MS) as finished:
        window.exports.start_export("video", out, range(56, 60))
    assert finished.args[0].request.classifier.counted == "squat"
    capture = cv2.VideoCapture(str(out))
    for _ in range(4):
        ok, bgr = capture.read()
    capture.release()
    corner = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)[4:40, -150:-14].astype(np.int32)  # "squat reps: 1" on orange
    assert ok and np.median(corner[..., 0] - corner[..., 2]) > 80


def test_classifier_is_remembered_and_a_bad_one_is_refused(make_window, gui_settings, qtbot, tmp_path, monkeypatch):
    good = write_onnx_classifier(tmp_path / "order.onnx")
    labels = write_labels(tmp_path / "labels.txt")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    window = make_window()
    failures = []
    window.reporter.serious = lambda message, details="": failures.append(message)
    window.classification.load(str(good), str(empty))   # refused before any probe (signatures: test_classifier)
    qtbot.waitUntil(lambda: bool(failures), timeout=GUI_WAIT_MS)
    assert "empty.txt: no labels" in failures[0] and window.classification.stage is None
    assert "no labels" in window.classification.panel.note_label.text()
    monkeypatch.chdir(tmp_path)
    window.classification.load(good.name, labels.name, counted="wide")  # relative to the working directory
    qtbot.waitUntil(lambda: window.classification.stage is not None, timeout=GUI_WAIT_MS)
    window.close()
    assert gui_settings.qsettings.value(KEYS["classifier"]) == str(good.resolve())  # stored absolute
    assert gui_settings.qsettings.value(KEYS["labels"]) == str(labels.resolve())
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # the next start runs from another folder
    again = make_window()
    qtbot.waitUntil(lambda: again.classification.stage is not None, timeout=GUI_WAIT_MS)
    assert again.classification.stage.labels == ORDER_LABELS and again.classification.stage.counted == "wide"
