"""The CLI: infer writes the documented JSON; bad input gives one line on stderr and exit 1."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import PROJECT_ROOT, data_file
from movenet_studio.cli import main
from movenet_studio.core.decoding.keypoints import KEYPOINT_NAMES


def test_infer_json_format(tmp_path, capsys):
    out = tmp_path / "out.json"
    assert main(["infer", str(data_file("pose_1.mp4")), "--max-frames", "5", "--json", str(out)]) == 0
    document = json.loads(out.read_text())
    assert document["model"]["key"] == "lightning-float16" and document["backend"]["name"] == "tflite"
    assert [f["index"] for f in document["frames"]] == [0, 1, 2, 3, 4]
    frame = document["frames"][1]
    assert frame["timestamp_ms"] == pytest.approx(33.333, abs=0.01)
    assert {"read", "preprocess", "inference", "postprocess", "total"} <= set(frame["timings_ms"])
    (pose,) = frame["poses"]
    assert [k["name"] for k in pose["keypoints"]] == list(KEYPOINT_NAMES)
    assert all(0 <= k["x"] <= 576 and 0 <= k["y"] <= 576 for k in pose["keypoints"])
    assert pose["track_id"] is None
    summary = capsys.readouterr().out
    assert "inference" in summary and "5 frames" in summary


def test_models_lists_bundled(capsys):
    assert main(["models"]) == 0
    listing = capsys.readouterr().out
    assert "thunder-int8" in listing and "multipose-float16" in listing


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "movenet_studio.cli", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)


def test_bad_inputs_one_line_nonzero_no_traceback(tmp_path):
    video = data_file("pose_1.mp4")
    truncated = tmp_path / "cut.mp4"
    truncated.write_bytes(video.read_bytes()[:1500])
    text = tmp_path / "photo.jpg"
    text.write_text("not an image")
    bogus_model = tmp_path / "bogus.tflite"
    bogus_model.write_bytes(b"\x18\x00\x00\x00TFL3" + bytes(200))
    cases = [
        ("infer", str(tmp_path / "missing.mp4")),
        ("infer", str(truncated)),
        ("infer", str(text)),
        ("infer", "camera:99"),
        ("infer", str(video), "--model", str(bogus_model)),
        ("infer", str(video), "--model", "lightening"),
        ("infer", str(video), "--json", str(tmp_path / "no" / "such" / "dir" / "o.json"), "--max-frames", "1"),
    ]
    for case in cases:
        proc = _run(*case)
        errors = [line for line in proc.stderr.splitlines() if line.startswith("movenet-studio: error:")]
        assert proc.returncode == 1, (case, proc.stderr)
        assert "Traceback" not in proc.stderr, (case, proc.stderr)
        assert len(errors) == 1, (case, proc.stderr)
    assert not list((tmp_path).glob("**/*.part"))


def test_usage_error_exits_2():
    proc = _run("infer")
    assert proc.returncode == 2 and "SOURCE" in proc.stderr


@pytest.mark.parametrize("model, size", [("lightning", 48), ("thunder", 64)])
def test_heads_npz_decodes_back_to_the_models_keypoints(tmp_path, model, size):
    import numpy as np

    from movenet_studio.core.decoding.decode import decode_singlepose
    from movenet_studio.core.decoding.heads import Heads

    out = tmp_path / "h.npz"
    assert main(["infer", str(data_file("pose_1.mp4")), "--model", model, "--max-frames", "30",
                 "--heads-npz", str(out)]) == 0
    arrays = np.load(out)
    assert arrays["centre"].shape == (30, size, size)
    assert arrays["keypoint_heatmaps"].shape == (30, size, size, 17)
    assert arrays["regression"].shape == arrays["offsets"].shape == (30, size, size, 34)
    assert 0 <= arrays["keypoint_heatmaps"].min() and arrays["keypoint_heatmaps"].max() <= 1
    for i in range(30):
        heads = Heads(arrays["centre"][i], arrays["keypoint_heatmaps"][i], arrays["regression"][i],
                      arrays["offsets"][i], (size * 4, size * 4))
        assert np.abs(decode_singlepose(heads).keypoints - arrays["keypoints"][i]).max() <= 1e-3


def test_loop_restarts_the_video_and_reports_memory(tmp_path, capsys):
    out = tmp_path / "loop.json"
    assert main(["infer", str(data_file("pose_1.mp4")), "--loop", "--max-frames", "130", "--json", str(out)]) == 0
    frames = json.loads(out.read_text())["frames"]
    assert [f["index"] for f in frames[118:123]] == [118, 119, 0, 1, 2]
    assert "memory:" in capsys.readouterr().out


def test_verbose_logs_to_stderr_and_errors_reach_the_log_file(tmp_path, monkeypatch):
    monkeypatch.setenv("MOVENET_STUDIO_LOG_DIR", str(tmp_path))
    proc = _run("infer", str(tmp_path / "missing.mp4"), "--verbose")
    assert proc.returncode == 1 and "ERROR movenet_studio.cli" in proc.stderr
    assert "missing.mp4: no such file" in (tmp_path / "movenet-studio.log").read_text()


@pytest.mark.parametrize("argv, expected", [
    ([], ["gui"]),
    (["-v"], ["-v", "gui"]),
    (["clip.mp4", "--model", "thunder"], ["gui", "clip.mp4", "--model", "thunder"]),
    (["--verbose", "clip.mp4"], ["--verbose", "gui", "clip.mp4"]),
    (["infer", "clip.mp4"], ["infer", "clip.mp4"]),
    (["--help"], ["--help"]),
])
def test_a_source_without_a_command_opens_the_window(argv, expected):
    from movenet_studio.cli import _default_to_gui, build_parser

    assert _default_to_gui(argv, build_parser()) == expected
