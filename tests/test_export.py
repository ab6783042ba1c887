"""Export on real media: annotated video, COCO JSON and CSV keypoints, and the failure paths
(existing file, unwritable folder, disk full, cancel) that must leave no partial file."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

import movenet_studio.core.output.export as export_module
from conftest import data_file
from movenet_studio.cli import main
from movenet_studio.cli.export import frame_range
from movenet_studio.cli.progress import ProgressBar
from movenet_studio.core.output.export import (CSV_COLUMNS, ExportError, coco_image_ids, export_video, video_size_for,
                                               write_keypoints_csv, write_keypoints_json)
from movenet_studio.core.decoding.keypoints import KEYPOINT_NAMES
from movenet_studio.core.progress import Cancelled, JobControl, Progress
from movenet_studio.core.drawing.overlay_options import DEFAULT_KEYPOINT_THRESHOLD, OverlayOptions
from movenet_studio.core.media.opener import open_source
from movenet_studio.core.media.video_writer import read_video_info
from media import video_frames


def video_info(path: Path) -> tuple[int, int, int, float]:
    capture = cv2.VideoCapture(str(path))
    info = (int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)), float(capture.get(cv2.CAP_PROP_FPS)))
    capture.release()
    return info


def coco_gt(image_ids, width=576, height=576):
    from pycocotools.coco import COCO

    gt = COCO()
    gt.dataset = {"images": [{"id": int(i), "width": width, "height": height} for i in image_ids],
                  "annotations": [], "categories": [{"id": 1, "name": "person"}]}
    gt.createIndex()
    return gt


@pytest.fixture
def pipeline(loaded_pipeline):
    return loaded_pipeline(model="lightning")


@pytest.fixture(scope="module")
def full_export(tmp_path_factory, loaded_pipeline):
    """pose_1.mp4 exported once, whole, with the default overlays; keypoints as JSON and CSV."""
    folder = tmp_path_factory.mktemp("export")
    out = folder / "out.mp4"
    calls = []
    with open_source(data_file("pose_1.mp4")) as source:
        summary = export_video(source, loaded_pipeline(model="lightning"), out, OverlayOptions(),
                               control=JobControl(lambda p: calls.append((p.done, p.total))))
    write_keypoints_json(summary.frames, folder / "k.json")
    write_keypoints_csv(summary.frames, folder / "k.csv")
    return folder, summary, calls


def only_final_files(folder: Path) -> list[str]:
    """Names in `folder`; a temporary ``.*.part*`` left behind fails the caller's assert."""
    return sorted(p.name for p in folder.iterdir())


# --- the video ------------------------------------------------------------------------------

def test_video_has_source_count_size_and_rate(full_export):
    folder, summary, _ = full_export
    source_path = data_file("pose_1.mp4")
    assert video_info(folder / "out.mp4") == video_info(source_path) == (120, 576, 576, 30.0)
    assert (summary.frame_count, summary.first_frame, summary.last_frame) == (120, 0, 119)
    assert summary.size == (576, 576) and summary.fps == 30.0 and summary.fourcc == "h264"
    assert read_video_info(folder / "out.mp4") == ("h264", 120, (576, 576))  # H.264, read back with PyAV
    assert only_final_files(folder) == ["k.csv", "k.json", "out.mp4"]


def test_video_differs_from_raw_frames_where_the_skeleton_is(full_export):
    folder, summary, _ = full_export
    exported = list(video_frames(folder / "out.mp4"))
    raw = list(video_frames(data_file("pose_1.mp4")))
    assert len(exported) == len(raw) == 120
    for index in (0, 60, 119):
        diff = np.abs(exported[index].astype(np.int16) - raw[index].astype(np.int16)).max(axis=2)
        (pose,) = summary.frames[index].poses
        on = []
        for x, y, score in pose.keypoints:
            if score > DEFAULT_KEYPOINT_THRESHOLD:
                xi, yi = int(np.clip(x, 2, 573)), int(np.clip(y, 2, 573))
                on.append(diff[yi - 2:yi + 3, xi - 2:xi + 3].max())
        assert len(on) >= 10 and np.median(on) > 60, index       # keypoint dots are drawn
        visible = pose.keypoints[pose.keypoints[:, 2] > DEFAULT_KEYPOINT_THRESHOLD]
        x0, y0 = visible[:, :2].min(axis=0) - 40
        x1, y1 = visible[:, :2].max(axis=0) + 40
        far = np.ones_like(diff, dtype=bool)
        far[max(0, int(y0)):int(y1), max(0, int(x0)):int(x1)] = False
        assert diff[far].mean() < 6, index                        # elsewhere: only codec noise


def test_progress_reports_every_frame(full_export):
    _, _, calls = full_export
    assert calls[0] == (0, 120) and calls[-1] == (120, 120) and len(calls) == 121


def test_frame_range_exports_that_span(tmp_path, pipeline):
    out = tmp_path / "span.mp4"
    with open_source(data_file("pose_1.mp4")) as source:
        summary = export_video(source, pipeline, out, frames=range(10, 20))
    assert video_info(out)[:3] == (10, 576, 576)
    assert [f.index for f in summary.frames] == list(range(10, 20))
    with open_source(data_file("pose_1.mp4")) as source:
        clipped = export_video(source, pipeline, None, frames=range(115, 10_000))
    assert [f.index for f in clipped.frames] == list(range(115, 120)) and clipped.path is None


def test_odd_frame_size_is_padded_not_cropped():
    assert video_size_for((641, 425)) == (642, 426) and video_size_for((576, 576)) == (576, 576)


# --- keypoint files ------------------------------------------------------------------------

def test_json_loads_in_pycocotools(full_export):
    folder, summary, _ = full_export
    records = json.loads((folder / "k.json").read_text())
    assert len(records) == 120
    first = records[0]
    assert first["image_id"] == 0 and first["category_id"] == 1 and len(first["keypoints"]) == 51
    assert 0 <= first["score"] <= 1
    dt = coco_gt(range(120)).loadRes(str(folder / "k.json"))
    assert len(dt.getAnnIds()) == 120 and sorted(dt.getImgIds()) == list(range(120))


def test_csv_columns_and_rows(full_export):
    folder, summary, _ = full_export
    with open(folder / "k.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == 1 + 120 * 17
    frame, timestamp, person, name, x, y, score = rows[1 + 17 + 9]  # frame 1, left_wrist
    assert (frame, person, name) == ("1", "0", "left_wrist")
    assert abs(float(timestamp) - 1000 / 30) < 1
    pose = summary.frames[1].poses[0]
    assert np.allclose([float(x), float(y), float(score)], pose.keypoints[9], atol=1e-3)
    assert [r[3] for r in rows[1:18]] == list(KEYPOINT_NAMES)


def test_coco_image_ids_from_coco_images_and_annotations(tmp_path, loaded_pipeline):
    folder = data_file("coco_mini/test_coco.json").parent
    with open_source(folder) as source:
        ids = coco_image_ids(source)
        assert ids == {0: 785, 1: 40083, 2: 196141, 3: 197388}
        assert coco_image_ids(source, folder / "test_coco.json") == ids
        summary = export_video(source, loaded_pipeline(model="multipose"), None)
    count = write_keypoints_json(summary.frames, tmp_path / "coco.json", ids)
    from pycocotools.coco import COCO

    gt = COCO(str(folder / "test_coco.json"))
    dt = gt.loadRes(str(tmp_path / "coco.json"))
    assert count >= 4 and set(dt.getImgIds()) <= set(gt.getImgIds())
    with open_source(data_file("pose_1.mp4")) as video:
        assert coco_image_ids(video) is None
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"images": [{"file_name": "000000000785.jpg", "id": 785}]}))
    with open_source(folder) as source, pytest.raises(ExportError, match="has no image"):
        coco_image_ids(source, bad)


def test_keypoint_files_refuse_to_overwrite_without_force(full_export, tmp_path):
    _, summary, _ = full_export
    target = tmp_path / "k.json"
    target.write_text("keep me")
    with pytest.raises(ExportError, match="already exists"):
        write_keypoints_json(summary.frames, target)
    assert target.read_text() == "keep me"
    write_keypoints_json(summary.frames, target, force=True)
    assert len(json.loads(target.read_text())) == 120
    assert only_final_files(tmp_path) == ["k.json"]


# --- failure paths: no partial file, a clear error -----------------------------------------

@pytest.fixture
def unwritable_dir(tmp_path):
    """A folder this process cannot create files in (root ignores permissions: then /sys)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    candidates = [folder, Path("/sys")]
    try:
        for candidate in candidates:
            try:
                probe = candidate / ".probe"
                probe.touch()
                probe.unlink()
            except OSError:
                yield candidate
                return
        pytest.skip("no folder here refuses writes (running as root without /sys?)")
    finally:
        folder.chmod(0o700)


def test_existing_video_is_kept_without_force(tmp_path, pipeline):
    out = tmp_path / "out.mp4"
    out.write_bytes(b"precious")
    with open_source(data_file("pose_1.mp4")) as source:
        with pytest.raises(ExportError, match="already exists"):
            export_video(source, pipeline, out, frames=range(0, 3))
        assert out.read_bytes() == b"precious"
        summary = export_video(source, pipeline, out, frames=range(0, 3), force=True)
    assert summary.frame_count == 3 and video_info(out)[0] == 3
    assert only_final_files(tmp_path) == ["out.mp4"]


def test_unwritable_folder_is_a_clear_error(unwritable_dir, pipeline, tmp_path):
    out = unwritable_dir / "out.mp4"
    with open_source(data_file("pose_1.mp4")) as source, pytest.raises(ExportError, match="cannot write in folder"):
        export_video(source, pipeline, out, frames=range(0, 3))
    assert not out.exists()
    with pytest.raises(ExportError, match="cannot write in folder"):
        write_keypoints_csv([], unwritable_dir / "k.csv")
    assert not (unwritable_dir / "k.csv").exists()
    with open_source(data_file("pose_1.mp4")) as source, pytest.raises(ExportError, match="does not exist"):
        export_video(source, pipeline, tmp_path / "missing" / "out.mp4")


def test_cancel_from_progress_leaves_nothing(tmp_path, pipeline):
    out = tmp_path / "out.mp4"
    seen = []

    control = JobControl()

    def progress(report: Progress) -> None:
        seen.append(report.done)
        if report.done == 5:
            control.token.cancel()

    control.listener = progress
    with open_source(data_file("pose_1.mp4")) as source, pytest.raises(Cancelled, match="cancelled"):
        export_video(source, pipeline, out, control=control)
    assert seen[-1] == 5
    assert only_final_files(tmp_path) == []


class FullDiskWriter:
    """A VideoWriter whose disk fills up: write() fails after `frames_ok` frames."""

    def __init__(self, frames_ok: int):
        self.frames_ok = frames_ok

    def write(self, image):
        if self.frames_ok <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.frames_ok -= 1

    def release(self):
        pass


def test_disk_full_while_writing_leaves_nothing(tmp_path, pipeline, monkeypatch):
    monkeypatch.setattr(export_module, "_open_writer", lambda path, fps, size: (FullDiskWriter(3), "h264"))
    out = tmp_path / "out.mp4"
    with open_source(data_file("pose_1.mp4")) as source, pytest.raises(ExportError, match="No space left"):
        export_video(source, pipeline, out, frames=range(0, 10))
    assert only_final_files(tmp_path) == []


def test_silently_truncated_video_is_detected(tmp_path, pipeline, monkeypatch):
    """A writer that loses its data without an error must still fail the export."""
    monkeypatch.setattr(export_module, "_open_writer", lambda path, fps, size: (FullDiskWriter(10_000), "h264"))
    out = tmp_path / "out.mp4"
    with open_source(data_file("pose_1.mp4")) as source, pytest.raises(ExportError, match="disk full"):
        export_video(source, pipeline, out, frames=range(0, 4))
    assert only_final_files(tmp_path) == []


def test_no_frames_and_bad_types_are_errors(tmp_path, pipeline):
    with open_source(data_file("pose_1.mp4")) as source:
        with pytest.raises(ExportError, match="no frames"):
            export_video(source, pipeline, tmp_path / "a.mp4", frames=range(200, 300))
        with pytest.raises(ExportError, match="unsupported video type"):
            export_video(source, pipeline, tmp_path / "a.gif", frames=range(0, 2))
    with pytest.raises(ExportError, match=r"\.json .* or \.csv"):
        export_module.write_keypoints([], tmp_path / "k.txt")
    assert only_final_files(tmp_path) == []


# --- command line --------------------------------------------------------------------------

def test_cli_export_writes_video_and_keypoints(tmp_path, capsys):
    out, keypoints = tmp_path / "out.mp4", tmp_path / "k.json"
    args = ["export", str(data_file("pose_1.mp4")), "--out", str(out), "--keypoints", str(keypoints),
            "--frames", "0:12", "--overlays", "skeleton,keypoints,timing"]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "12/12" in captured.err and "100%" in captured.err           # the progress bar, on stderr
    assert "12 frames" in captured.out and "image_id = frame index" in captured.out
    assert video_info(out) == (12, 576, 576, 30.0)
    assert len(coco_gt(range(12)).loadRes(str(keypoints)).getAnnIds()) == 12

    assert main(args) == 1                                              # exists: refused, untouched
    assert "already exists" in capsys.readouterr().err
    assert main([*args, "--force", "--keypoints", str(tmp_path / "k.csv")]) == 0
    assert only_final_files(tmp_path) == ["k.csv", "k.json", "out.mp4"]


def test_cli_usage_errors(tmp_path, capsys):
    source = str(data_file("pose_1.mp4"))
    with pytest.raises(SystemExit) as exit_info:
        main(["export", source, "--out", str(tmp_path / "o.mp4"), "--overlays", "skeleton,glitter"])
    assert exit_info.value.code == 2 and "unknown overlay glitter" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["export", source])                                        # neither --out nor --keypoints
    assert main(["export", source, "--out", str(tmp_path / "o.webm")]) == 1
    assert "unsupported video type" in capsys.readouterr().err
    assert only_final_files(tmp_path) == []


def test_frame_range_parsing():
    assert frame_range("3:9") == range(3, 9) and frame_range(":4") == range(0, 4)
    assert frame_range("5:").start == 5
    for bad in ("9:3", "x:4", "7", "-1:3"):
        with pytest.raises(Exception):
            frame_range(bad)


def test_progress_bar_line_and_log_lines():
    bar = ProgressBar("pose_1.mp4", stream=open(os.devnull, "w"), unit="frame")
    line = bar.line(30, 120, 1.0, "lightning")
    assert line.startswith("pose_1.mp4:") and " 30/120" in line and "25%" in line and "<00:03" in line  # ETA
    assert "30.00frame/s" in line and line.endswith("lightning]")
    assert "100%" in bar.line(120, 120, 4.0) and "[00:04<00:00" in bar.line(120, 120, 4.0)
    bar.stream.close()
    log = io.StringIO()  # not a terminal: one line per 10 % step, nothing redrawn in place
    bar = ProgressBar("batch", stream=log, unit="frame")
    for done in range(121):
        bar(Progress(done, 120, elapsed_s=done / 30))
    lines = log.getvalue().splitlines()
    assert len(lines) == 11 and "\r" not in log.getvalue() and lines[-1].startswith("batch: 100%")


def test_interrupt_during_export_leaves_nothing(tmp_path, pipeline):
    def progress(report: Progress) -> None:
        if report.done == 3:
            raise KeyboardInterrupt

    with open_source(data_file("pose_1.mp4")) as source, pytest.raises(KeyboardInterrupt):
        export_video(source, pipeline, tmp_path / "out.mp4", control=JobControl(progress))
    assert only_final_files(tmp_path) == []
