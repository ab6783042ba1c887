"""Hostile inputs of issue 25, part 4, through the real command line: an export that runs out of
disk or file size leaves nothing behind; --force replaces a symlink, never writes through it;
a model whose output shape is not the one its decode needs is one clear line; an annotation
announcing keypoints it does not give names its JSON path; ``models`` prints one line per bad
file."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

import pytest

from conftest import PROJECT_ROOT, data_file
from hostile_files import lying_shape_onnx, shape_changing_onnx

ERROR = "movenet-studio: error: "


def _cli(*args, limit_bytes: int | None = None) -> subprocess.CompletedProcess:
    def limit():  # a file-size limit (EFBIG), as a disk filling up (ENOSPC) fails a write
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return subprocess.run([sys.executable, "-m", "movenet_studio.cli", *map(str, args)], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=300,
                          preexec_fn=limit if limit_bytes is not None else None)


def _errors(proc) -> list[str]:
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    return [line for line in proc.stderr.splitlines() if line.startswith(ERROR)]


def _clip(tmp_path):
    """The first 8 frames of pose_1.mp4 (keeps the exports short)."""
    clip = tmp_path / "src" / "clip.mp4"
    clip.parent.mkdir()
    import av
    import numpy as np

    with av.open(str(data_file("pose_1.mp4"))) as src, av.open(str(clip), "w") as dst:
        stream = dst.add_stream("libx264", rate=30)
        stream.width = stream.height = 576
        stream.pix_fmt = "yuv420p"
        for i, frame in enumerate(src.decode(video=0)):
            if i == 8:
                break
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.asarray(frame.to_ndarray(format="rgb24")),
                                                                    format="rgb24")):
                dst.mux(packet)
        for packet in stream.encode(None):
            dst.mux(packet)
    return clip


@pytest.mark.parametrize("suffix, limit", [(".mp4", 50), (".avi", 30_000)])
def test_export_out_of_space_leaves_nothing_and_keeps_the_old_outputs(tmp_path, suffix, limit):
    clip = _clip(tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    video, keypoints = out_dir / f"o{suffix}", out_dir / "k.json"
    video.write_bytes(b"old video")
    keypoints.write_text("old keypoints")
    proc = _cli("export", clip, "--out", video, "--keypoints", keypoints, "--force", "--quiet", limit_bytes=limit)
    assert proc.returncode == 1 and len(_errors(proc)) == 1, proc.stderr
    assert sorted(p.name for p in out_dir.iterdir()) == [keypoints.name, video.name]  # no .part left
    assert video.read_bytes() == b"old video" and keypoints.read_text() == "old keypoints"


def test_export_keypoints_failing_last_keeps_the_old_video(tmp_path, monkeypatch):
    """The keypoints file is written before the video is renamed into place: when it fails (disk
    full), the run's video goes too."""
    import errno

    from movenet_studio.cli import main
    from movenet_studio.core.output import export_job  # export calls run_export, which writes the file

    def disk_full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(export_job, "write_keypoints", disk_full)
    clip = _clip(tmp_path)
    video, keypoints = tmp_path / "o.mp4", tmp_path / "k.json"
    video.write_bytes(b"old video")
    code = main(["export", str(clip), "--out", str(video), "--keypoints", str(keypoints), "--force", "--quiet"])
    assert code != 0
    assert video.read_bytes() == b"old video" and not keypoints.exists()
    assert not [p for p in tmp_path.iterdir() if ".part" in p.name]


def test_force_replaces_a_symlink_never_its_target(tmp_path):
    clip = _clip(tmp_path)
    target = tmp_path / "someone_elses.json"
    target.write_text("precious")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    refused = _cli("export", clip, "--keypoints", link, "--quiet")
    assert refused.returncode == 1 and "already exists" in _errors(refused)[0]
    proc = _cli("export", clip, "--keypoints", link, "--force", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert target.read_text() == "precious"
    assert not link.is_symlink() and json.loads(link.read_text())  # the link itself became the output
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "nowhere" / "x.json")
    proc = _cli("infer", clip, "--json", dangling)
    assert proc.returncode == 0 and not (tmp_path / "nowhere").exists() and not dangling.is_symlink()


@pytest.mark.parametrize("build, shape", [(lying_shape_onnx, "[1, 17, 3]"), (shape_changing_onnx, "[1, 2, 17, 3]")])
def test_an_output_shape_the_decode_cannot_take_is_one_line(tmp_path, build, shape):
    model = build(tmp_path / "bad.onnx")
    out = tmp_path / "r.json"
    proc = _cli("infer", data_file("pose.jpg"), "--model", model, "--json", out)
    (line,) = _errors(proc)
    assert proc.returncode == 1 and f"has shape {shape}" in line and "[1,1,17,3]" in line, line
    assert not out.exists()


def test_models_prints_one_line_per_bad_file(tmp_path):
    garbage = tmp_path / "a.tflite"
    garbage.write_bytes(b"not a flatbuffer")
    lying = lying_shape_onnx(tmp_path / "b.onnx")
    empty = tmp_path / "c.onnx"
    empty.write_bytes(b"")
    folder = tmp_path / "d.onnx"
    folder.mkdir()
    proc = _cli("models", garbage, lying, empty, folder, PROJECT_ROOT / "models" / "movenet_singlepose_lightning_float16.onnx")
    errors = _errors(proc)
    assert proc.returncode == 1 and len(errors) == 4, proc.stderr
    for name in ("a.tflite", "b.onnx", "c.onnx", "d.onnx"):
        assert sum(name in line for line in errors) == 1, (name, errors)
    assert "lightning" in proc.stdout


def test_eval_annotation_with_num_keypoints_but_no_keypoints_names_its_path(tmp_path):
    document = json.loads(data_file("coco_mini/test_coco.json").read_text())
    del document["annotations"][2]["keypoints"]
    annotations = tmp_path / "a.json"
    annotations.write_text(json.dumps(document))
    proc = _cli("eval", "--annotations", annotations, "--images", data_file("coco_mini"))
    (line,) = _errors(proc)
    assert proc.returncode == 1 and "$.annotations[2].keypoints: missing" in line, line


def test_the_vela_refusal_names_the_file_once_in_the_window(tmp_path):
    """Issue 25: the window's load failure gives the full path, not the file name again after it."""
    from movenet_studio.core.pipeline_config import PipelineConfig
    from movenet_studio.core.worker import InferenceWorker

    vela = data_file("../models/zoo/movenet_singlepose_lightning_int8_io_int8_vela_ethos-u65-256.tflite")
    failures = []
    worker = InferenceWorker(on_model_failed=lambda message, details: failures.append(message))
    worker.start(PipelineConfig(model=str(vela)))
    try:
        assert worker.wait_ready(120) and failures
    finally:
        worker.stop(10)
    (message,) = failures
    assert message.count(vela.name) == 1 and "compiled by Arm Vela" in message, message
