"""Failure events without ground truth on pose_1.mp4's infer --json output: left/right swaps
injected at 10 frames are found, the clean run stays quiet; person switches and keypoints
outside the frame; the events command and infer --events, against the events schema."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest

from conftest import data_file
from movenet_studio.cli import main
from movenet_studio.core.analysis.events import EventOptions, detect_events, frames_from_infer_json
from schemas import validate

SWAPPED = (7, 19, 20, 33, 48, 61, 75, 88, 101, 117)


@pytest.fixture(scope="module")
def pose_1_run(tmp_path_factory):
    """(infer --events --json document of pose_1.mp4, its path)."""
    path = tmp_path_factory.mktemp("events") / "pose_1.json"
    assert main(["infer", str(data_file("pose_1.mp4")), "--events", "--json", str(path)]) == 0
    return json.loads(path.read_text()), path


def _swap_left_right(document: dict, frames) -> dict:
    document = copy.deepcopy(document)
    for f in frames:
        for pose in document["frames"][f]["poses"]:
            kps = pose["keypoints"]
            index = {k["name"]: i for i, k in enumerate(kps)}
            for name, i in index.items():
                if name.startswith("left_"):
                    j = index["right_" + name[5:]]
                    for key in ("x", "y", "score"):
                        kps[i][key], kps[j][key] = kps[j][key], kps[i][key]
    return document


def test_clean_run_is_quiet_and_swaps_are_found(pose_1_run, tmp_path, capsys):
    document, path = pose_1_run
    assert len(document["frames"]) == 120
    validate({"events": document["summary"]["events"]}, "events")
    assert len(document["summary"]["events"]) <= 1
    swapped = tmp_path / "swapped.json"
    swapped.write_text(json.dumps(_swap_left_right(document, SWAPPED)))
    assert main(["events", str(swapped), "--json", str(tmp_path / "events.json")]) == 0
    events = json.loads((tmp_path / "events.json").read_text())
    validate(events, "events")
    found = {e["frame"] for e in events["events"] if e["kind"] == "left_right_swap"}
    assert len(found & set(SWAPPED)) >= 9
    assert len([e for e in events["events"] if e["frame"] not in SWAPPED]) <= 1
    swap = next(e for e in events["events"] if e["kind"] == "left_right_swap")
    assert "left_shoulder" in swap["keypoints"] and swap["track_id"] is None and swap["magnitude"] > 0
    assert "left_right_swap" in capsys.readouterr().out


def test_person_switch_and_outside_frame(pose_1_run):
    document, _ = pose_1_run
    frames, names = frames_from_infer_json(document)
    jumped = []
    for f in frames:  # from frame 60 on, the pose is someone 300 px to the left
        poses = [(t, kp.copy()) for t, kp in f.poses]
        if f.index >= 60:
            for _, kp in poses:
                kp[:, 0] -= 300
        jumped.append(type(f)(f.index, poses, f.size))
    events = detect_events(jumped, names)
    switches = [e for e in events if e.kind == "person_switch"]
    assert [e.frame for e in switches] == [60] and switches[0].magnitude > 1
    outside = [e for e in events if e.kind == "outside_frame"]
    assert outside and all(e.frame >= 60 for e in outside)  # the shifted pose leaves the frame's left edge
    wrist = names.index("left_wrist")
    single = [type(f)(f.index, [(t, kp.copy()) for t, kp in f.poses], f.size) for f in frames]
    single[30].poses[0][1][wrist, :3] = (-25.0, 100.0, 0.9)
    outside = [e for e in detect_events(single, names) if e.kind == "outside_frame"]
    assert [(e.frame, e.keypoints, e.magnitude) for e in outside] == [(30, ("left_wrist",), 25.0)]
    margin = detect_events(single, names, EventOptions(margin=30))
    assert not [e for e in margin if e.kind == "outside_frame"]


def test_events_of_a_file_that_is_not_infer_output(tmp_path, capsys):
    path = tmp_path / "x.json"
    path.write_text('{"frames": [{"poses": [{"keypoints": [{"x": 1}]}]}]}')
    assert main(["events", str(path)]) == 1
    assert "frames[0].poses[0]" in capsys.readouterr().err


def test_the_schema_refuses_a_wrong_kind():
    with pytest.raises(jsonschema.ValidationError):
        validate({"events": [{"frame": 1, "kind": "flip", "track_id": None, "keypoints": [], "magnitude": 1}]},
                 "events")


def test_photos_are_independent(tmp_path):
    """A folder of photos: each photo starts fresh tracks, so one photo's person is never a
    switch from the previous photo's (run over the photos as one sequence, the detector finds 2:
    consecutive photos whose people stand in different places)."""
    path = tmp_path / "photos.json"
    assert main(["infer", str(data_file("coco_mini")), "--events", "--json", str(path)]) == 0
    document = json.loads(path.read_text())
    assert len(document["frames"]) == 4
    assert not [e for e in document["summary"]["events"] if e["kind"] != "outside_frame"]
    frames, names = frames_from_infer_json(document)
    assert [e.kind for e in detect_events(frames, names)].count("person_switch") >= 2


def test_swaps_written_by_renaming_are_read_by_name(pose_1_run, tmp_path, capsys):
    """A file whose left/right swap renames the keypoints (same positions, names exchanged,
    so the order differs) is read by name; --json without a path prints the document."""
    document, _ = pose_1_run
    renamed = copy.deepcopy(document)
    for f in SWAPPED:
        for pose in renamed["frames"][f]["poses"]:
            for kp in pose["keypoints"]:
                side, _, rest = kp["name"].partition("_")
                if side in ("left", "right"):
                    kp["name"] = ("right_" if side == "left" else "left_") + rest
    path = tmp_path / "renamed.json"
    path.write_text(json.dumps(renamed))
    capsys.readouterr()
    assert main(["events", str(path), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    validate(printed, "events")
    found = {e["frame"] for e in printed["events"] if e["kind"] == "left_right_swap"}
    assert len(found & set(SWAPPED)) >= 9 and len(printed["events"]) <= 11


def test_swaps_at_5_fps_and_in_a_run_of_four_frames(tmp_path):
    """pose_squats.mp4 (5 fps: large motion between frames) with swaps at 10 frames, four of
    them in a row: at least 9 found, nothing else."""
    path = tmp_path / "squats.json"
    assert main(["infer", str(data_file("pose_squats.mp4")), "--json", str(path)]) == 0
    chosen = (10, 15, 16, 17, 18, 32, 44, 55, 62, 63)
    frames, names = frames_from_infer_json(_swap_left_right(json.loads(path.read_text()), chosen))
    events = detect_events(frames, names)
    assert len({e.frame for e in events if e.kind == "left_right_swap"} & set(chosen)) >= 9
    assert len([e for e in events if e.frame not in chosen]) <= 1
