"""MultiPose in the real window: people in track colours with boxes and '#id score' labels,
the tracker / min pose score controls, stable ids over video frames (offscreen)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot

from movenet_studio.core.drawing.render_style import pose_label, track_colour
from movenet_studio.gui.controls.side_panel import model_label
from movenet_studio.gui.overlays.multipose_overlay import MAX_PEOPLE

from conftest import GUI_WAIT_MS, data_file

WAIT_MS = GUI_WAIT_MS
PHOTO = "coco_mini/000000197388.jpg"


def _wait_result(window, qtbot, check) -> None:
    qtbot.waitUntil(lambda: window.video_view.last_result is not None and check(window.video_view.last_result),
                    timeout=WAIT_MS)


def test_multipose_people_drawn_in_track_colours(make_window, qtbot):
    window = make_window(source=str(data_file(PHOTO)), model="multipose")
    combo = window.controls.model.combo
    assert combo.itemText(combo.findData("multipose-float16")) == model_label("multipose-float16") \
        == "MultiPose Lightning · float16"
    _wait_result(window, qtbot, lambda r: len(r.result.poses) >= 4)
    result = window.video_view.last_result
    poses = [p for p in result.result.poses]
    people = window.video_view.people
    marks = people.marks()
    assert len(marks) == len(poses) >= 4 and people.pool_size == MAX_PEOPLE
    assert len({m.colour for m in marks}) == len(marks)          # each person its own colour
    assert len({m.track_id for m in marks}) == len(marks)
    for mark, pose in zip(marks, poses):
        assert mark.track_id == pose.track_id is not None
        assert mark.colour == track_colour(pose.track_id)
        assert mark.box is not None and mark.label == pose_label(pose)
    # Exactly the shown people's items are visible (a fixed pool, the rest hidden).
    slots = people._slots
    assert sum(s.box.isVisible() for s in slots) == len(marks) == sum(s.label.isVisible() for s in slots)
    assert slots[0].label.toPlainText() == marks[0].label
    options = window.video_view.overlay_options()
    assert options.boxes and options.ids
    assert window.controls.people.tracker_combo.isEnabled()
    # The keypoint table lists the people and follows the one picked.
    keypoints = window.controls.keypoints
    keypoints.refresh()
    assert keypoints.person_combo.isVisibleTo(window) and keypoints.person_combo.count() == 1 + len(poses)
    pick = sorted(p.track_id for p in poses)[-1]
    keypoints.select_person(pick)
    assert f"#{pick} of {len(poses)} people" in keypoints.summary.text()


def test_tracker_and_min_pose_score_change_the_config(make_window, qtbot):
    window = make_window(source=str(data_file(PHOTO)), model="multipose")
    _wait_result(window, qtbot, lambda r: len(r.result.poses) >= 4)
    people = window.controls.people
    assert people.tracker == "boxes" == window.engine.config.tracker
    with qtbot.waitSignal(window.engine.model_changed, timeout=WAIT_MS,
                          check_params_cb=lambda info: info.config.tracker == "keypoints"):
        people.select_tracker("keypoints")
    assert window.engine.config.tracker == "keypoints" and window.engine.config.model == "multipose"
    with qtbot.waitSignal(window.engine.model_changed, timeout=WAIT_MS,
                          check_params_cb=lambda info: info.config.min_pose_score == 0.4):
        people.score_spin.setValue(0.4)
    # Both changes went through the one config path: the tracker stayed.
    assert window.engine.config.tracker == "keypoints" and window.engine.config.min_pose_score == 0.4
    _wait_result(window, qtbot, lambda r: r.model.config.min_pose_score == 0.4)
    assert all(p.score >= 0.4 for p in window.video_view.last_result.result.poses)
    with qtbot.waitSignal(window.engine.model_changed, timeout=WAIT_MS,
                          check_params_cb=lambda info: info.config.tracker == "none"):
        people.select_tracker("none")
    _wait_result(window, qtbot, lambda r: r.model.config.tracker == "none")
    assert all(p.track_id is None for p in window.video_view.last_result.result.poses)
    assert all(m.label == "" and m.box is not None for m in window.video_view.people.marks())
    assert "tracker none" in window.model_info.text("options")


class _IdRecorder(QObject):
    """Records the ids drawn after each result (connected after the video view, so it sees them)."""

    def __init__(self, view):
        super().__init__()
        self.view = view
        self.ids: list[tuple[int | None, ...]] = []

    @Slot(object)
    def record(self, _result) -> None:
        self.ids.append(tuple(m.track_id for m in self.view.people.marks()))


def test_id_label_stays_the_same_over_video_frames(make_window, qtbot):
    window = make_window(source=str(data_file("pose_squats.mp4")), model="multipose")
    recorder = _IdRecorder(window.video_view)
    window.engine.result_ready.connect(recorder.record)
    qtbot.waitUntil(lambda: len(recorder.ids) >= 12, timeout=WAIT_MS)
    seen = [ids for ids in recorder.ids if ids]
    assert len(seen) >= 10
    assert all(ids == seen[0] for ids in seen) and len(seen[0]) == 1, recorder.ids
    label = window.video_view.people.marks()[0].label
    assert label.startswith(f"#{seen[0][0]} ")
