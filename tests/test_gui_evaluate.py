"""Tools > Evaluate...: the error atlas of Lightning (A) and Lightning int8 (B) on coco_mini in
the background; the people table sorted by OKS, its filters, a clicked person drawn with its
error lines, the AP cost bars and the A -> B matrix whose cells open their examples."""

from __future__ import annotations

import pytest

from conftest import GUI_WAIT_MS, data_file
from movenet_studio.core.evaluation.error_atlas import ERROR_CLASSES


@pytest.fixture
def evaluated(make_window, qtbot):
    """The window's Evaluate dialog after a finished run of lightning vs lightning-int8."""
    window = make_window()
    window.evaluate_action.trigger()
    dialog = window.evaluate_dialog
    assert dialog.isVisible()
    annotations = data_file("coco_mini/test_coco.json")
    dialog.annotations.setText(str(annotations))
    dialog.images.setText(str(annotations.parent))
    dialog.model_a.setCurrentText("lightning")
    dialog.model_b.setCurrentText("lightning-int8")
    with qtbot.waitSignal(dialog.finished_run, timeout=GUI_WAIT_MS):
        assert dialog.start() is not None
    qtbot.waitUntil(lambda: not dialog.running, timeout=GUI_WAIT_MS)
    return window, dialog


def test_people_filters_person_bars_and_transitions(evaluated, qtbot):
    window, dialog = evaluated
    view = dialog.view
    run = dialog.last_run
    assert [round(r.ap, 3) for r in run.results] == [0.668, 0.608]
    assert "AP 0.668" in dialog.status_label.text() and "AP 0.608" in dialog.status_label.text()
    # the people table: every person of A, worst OKS first
    atlas = run.results[0].errors
    assert view.table.rowCount() == len(atlas.pairs) == 12
    oks = [float(view.table.item(r, 0).text()) for r in range(view.table.rowCount())]
    assert oks == sorted(oks)
    # filter: people with a missed left wrist
    view.keypoint_combo.setCurrentText("left_wrist")
    view.class_combo.setCurrentText("miss")
    k = atlas.keypoint_names.index("left_wrist")
    expected = sum(1 for e in atlas.errors if e.classes[k] == "miss")
    assert view.table.rowCount() == expected > 0
    view.class_combo.setCurrentText("all")
    view.keypoint_combo.setCurrentText("all")
    # clicking the worst person draws it with one line per wrong keypoint, coloured by class
    shown = []
    view.person_shown.connect(shown.append)
    rect = view.table.visualItemRect(view.table.item(0, 0))
    from PySide6.QtCore import Qt
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: bool(shown), timeout=GUI_WAIT_MS)
    index = view.row_pair(0)
    err = atlas.errors[index]
    assert shown[-1] == atlas.pairs[index].gt["id"]
    assert view.lines_drawn() == {c: err.classes.count(c) for c in ERROR_CLASSES}
    assert view.image_item.image is not None and view.image_item.image.shape[:2] == (
        next(im["height"] for im in run.dataset["images"] if im["id"] == atlas.image_ids[index]),
        next(im["width"] for im in run.dataset["images"] if im["id"] == atlas.image_ids[index]))
    # the AP cost bars are the atlas's figures
    assert view.bar_heights() == pytest.approx(atlas.ap_cost)
    # A -> B: a matrix cell opens its examples in the table (B's predictions)
    off = [(a, b, n) for name, rows in run.transitions.items() for a, row in rows.items()
           for b, n in row.items() if a != b and n]
    assert off
    total = {}
    for _, a, b, n in [(None, *t) for t in off]:
        total[(a, b)] = total.get((a, b), 0) + n
    (a, b), n = max(total.items(), key=lambda item: item[1])
    from movenet_studio.core.evaluation.transitions import TRANSITION_CLASSES
    assert view.matrix.item(TRANSITION_CLASSES.index(a), TRANSITION_CLASSES.index(b)).text() == str(n)
    rect = view.matrix.visualItemRect(view.matrix.item(TRANSITION_CLASSES.index(a), TRANSITION_CLASSES.index(b)))
    view.tabs.setCurrentIndex(2)
    qtbot.mouseClick(view.matrix.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: view.tabs.currentIndex() == 0, timeout=GUI_WAIT_MS)
    assert f"{a} → {b}, {n} keypoint" in view.examples_label.text()
    assert view.side_combo.currentIndex() == 1
    people = {int(view.table.item(r, 2).text()) for r in range(view.table.rowCount())}
    assert 0 < len(people) <= n
    view.show_all()
    assert view.table.rowCount() == 12


def test_fields_are_checked_before_running(make_window):
    window = make_window()
    window.evaluate_action.trigger()
    dialog = window.evaluate_dialog
    dialog.annotations.setText("")
    assert dialog.start() is None and "annotation" in dialog.status_label.text()
    dialog.annotations.setText(str(data_file("coco_mini/test_coco.json")))
    dialog.images.setText("")
    dialog.results_a.setText("")
    assert dialog.start() is None and "images folder" in dialog.status_label.text()
    dialog.model_a.setCurrentText("lightning")
    dialog.protocol.setCurrentText("multi")  # the protocol's own default model follows
    assert dialog.model_a.currentText() == "multipose"
    dialog.model_a.setCurrentText("thunder")
    dialog.protocol.setCurrentText("single")  # a model the user chose stays
    assert dialog.model_a.currentText() == "thunder"


def test_dropped_files_fill_the_fields(make_window, tmp_path):
    window = make_window()
    window.evaluate_action.trigger()
    dialog = window.evaluate_dialog
    for line in (dialog.annotations, dialog.images, dialog.results_a, dialog.results_b):
        line.setText("")
    annotations = data_file("coco_mini/test_coco.json")
    (tmp_path / "a.json").write_text("[]")
    (tmp_path / "b.json").write_text(' [{"image_id": 1}]')
    (tmp_path / "notes.txt").write_text("x")
    dialog.drop_paths([annotations, annotations.parent, tmp_path / "a.json", tmp_path / "b.json",
                       tmp_path / "notes.txt"])
    assert dialog.annotations.text() == str(annotations)
    assert dialog.images.text() == str(annotations.parent)
    assert dialog.results_a.text().endswith("a.json") and dialog.results_b.text().endswith("b.json")
    assert "notes.txt" in dialog.status_label.text()


def test_a_results_file_without_images(make_window, qtbot, tmp_path):
    """A phone's results file and no images folder: scored without a model, each person drawn
    on a dark canvas of its image's size."""
    import json

    import numpy as np

    window = make_window()
    window.evaluate_action.trigger()
    dialog = window.evaluate_dialog
    annotations = data_file("coco_mini/test_coco.json")
    dataset = json.loads(annotations.read_text())
    records = []
    for a in dataset["annotations"]:
        if a["num_keypoints"] >= 5:
            kp = np.asarray(a["keypoints"], float).reshape(17, 3)
            kp[9, :2], kp[10, :2] = kp[10, :2].copy(), kp[9, :2].copy()  # wrists exchanged
            records.append({"image_id": a["image_id"], "keypoints": kp.reshape(-1).tolist(), "score": 0.9})
    (tmp_path / "phone.json").write_text(json.dumps(records))
    dialog.annotations.setText(str(annotations))
    dialog.images.setText("")
    dialog.results_a.setText(str(tmp_path / "phone.json"))
    dialog.results_b.setText("")
    dialog.model_b.setCurrentText("(none)")
    with qtbot.waitSignal(dialog.finished_run, timeout=GUI_WAIT_MS):
        assert dialog.start() is not None
    view = dialog.view
    assert view.table.rowCount() == 12 and not view.tabs.isTabEnabled(2)
    view.class_combo.setCurrentText("inversion")
    assert view.table.rowCount() >= 8
    view.show_person(view.row_pair(0))
    assert view.lines_drawn()["inversion"] >= 1
    image = view.image_item.image
    assert image.max() == image.min() == 32  # no pictures: a dark canvas
