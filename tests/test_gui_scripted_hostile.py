"""Scripted window runs on hostile inputs (issue 25, part 4): ``gui --exit-after-frames`` never
hangs. A model that outputs NaN (or 1e30) with every overlay on shows the error and exits
non-zero; a folder holding a good photo among a corrupt JPEG, a zero-byte PNG, a folder named
x.jpg, a dangling symlink and a FIFO shows the good photo, notes each bad entry and exits 0."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import PROJECT_ROOT, data_file
from hostile_files import fifo, huge_output_onnx

ALL_OVERLAYS = "skeleton,heatmaps,centre,offsets,regression,decode,crop"


def _gui(tmp_path, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "MOVENET_STUDIO_LOG_DIR": str(tmp_path / "log"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path / "home")}
    return subprocess.run([sys.executable, "-m", "movenet_studio.cli", "gui", *map(str, args)], cwd=PROJECT_ROOT,
                          env=env, capture_output=True, text=True, timeout=110)


@pytest.mark.parametrize("value, message", [(float("nan"), "non-finite output"), (1e30, "outside -1..2")])
def test_a_faulty_model_with_every_overlay_exits_non_zero_with_the_error(tmp_path, value, message):
    model = huge_output_onnx(tmp_path / "faulty.onnx", value)
    proc = _gui(tmp_path, data_file("pose_1.mp4"), "--model", model, "--overlays", ALL_OVERLAYS,
                "--exit-after-frames", 10)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and f"faulty.onnx: model fault" in proc.stderr and message in proc.stderr


def test_a_folder_of_bad_entries_shows_the_good_photo_and_exits(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    good = data_file("pose.jpg").read_bytes()
    (folder / "good.jpg").write_bytes(good)
    (folder / "corrupt.jpg").write_bytes(good[:3000])
    (folder / "empty.png").write_bytes(b"")
    (folder / "x.jpg").mkdir()
    (folder / "dangling.jpg").symlink_to(tmp_path / "nowhere.jpg")
    fifo(folder / "fifo.jpg")
    proc = _gui(tmp_path, folder, "--exit-after-frames", 10)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    log = "".join(p.read_text() for p in (tmp_path / "log").rglob("*.log"))
    for name in ("corrupt.jpg", "empty.png", "x.jpg", "dangling.jpg", "fifo.jpg"):
        assert f"skipped {name}" in log, name
