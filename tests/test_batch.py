"""``batch`` on dask.distributed: per-source JSON identical to ``infer``, the manifest, errors,
resuming, naming, and an external scheduler started here (127.0.0.1 only)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import numpy as np
import pytest

from movenet_studio.cli import main
from movenet_studio.cli.options import add_infer_options, config_from_args
from movenet_studio.core.distributed.batch import expand_sources, output_stem, remove_partial_outputs
from movenet_studio.core.distributed.cluster import dask_client

from conftest import PROJECT_ROOT
from media import media_path, shared_path

DASK_TIMEOUT_S = 60


def _data(*names: str) -> list[Path]:
    """The bundled samples where there is one, else ../shared/data (coco_mini is only there)."""
    return [shared_path(f"data/{n}") if n == "coco_mini" else media_path(n) for n in names]


@pytest.fixture(scope="module")
def scheduler():
    """One local cluster for the module: 2 worker processes on 127.0.0.1 (dask_client's own)."""
    with dask_client(workers=2, threads_per_worker=1) as client:
        yield client.scheduler.address


def _without_timings(document: dict) -> dict:
    for frame in document["frames"]:
        frame.pop("timings_ms")
    return document


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def test_batch_json_is_infer_json(scheduler, tmp_path, capsys):
    sources = _data("pose_1.mp4", "pose_squats.mp4", "coco_mini", "pose.jpg")
    out = tmp_path / "out"
    code = main(["batch", *map(str, sources), "--out", str(out), "--scheduler", scheduler, "--threads", "1", "-q"])
    assert code == 0
    manifest = _manifest(out)
    assert [e["source"] for e in manifest["sources"]] == [str(s) for s in sources]
    assert {e["status"] for e in manifest["sources"]} == {"ok"}
    summary = manifest["summary"]
    assert (summary["ok"], summary["error"], summary["skipped"]) == (len(sources), 0, 0)
    assert summary["frames"] == sum(e["frames"] for e in manifest["sources"])
    assert sorted(os.listdir(out)) == sorted(["manifest.json", *(e["json"] for e in manifest["sources"])])
    for entry in manifest["sources"]:
        expected = tmp_path / "infer.json"
        assert main(["infer", entry["source"], "--json", str(expected), "--threads", "1"]) == 0
        got = json.loads((out / entry["json"]).read_text())
        want = json.loads(expected.read_text())
        assert entry["frames"] == len(want["frames"]) > 0
        assert _without_timings(got) == _without_timings(want), entry["source"]
    capsys.readouterr()


def test_batch_video_heads_and_a_corrupt_file_then_resume(scheduler, tmp_path, capsys):
    image, folder = _data("pose.jpg", "coco_mini")
    corrupt = tmp_path / "in" / "broken.mp4"
    corrupt.parent.mkdir()
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(4000))
    out = tmp_path / "out"
    argv = ["batch", str(image), str(folder), str(corrupt), "--out", str(out), "--scheduler", scheduler,
            "--video", "--heads-npz"]
    assert main(argv) == 1  # a source failed: reported, the others done
    err = capsys.readouterr().err
    assert f"error: {corrupt}:" in err
    assert "3/3 sources" in err  # the progress bar's last line
    entries = {Path(e["source"]).name: e for e in _manifest(out)["sources"]}
    assert entries["broken.mp4"]["status"] == "error" and "broken.mp4" in entries["broken.mp4"]["error"]
    assert entries["broken.mp4"]["json"] is None
    for name in ("pose.jpg", "coco_mini"):
        e = entries[name]
        assert e["status"] == "ok" and e["error"] is None
        assert (out / e["video"]).stat().st_size > 0 and e["video"].endswith(".mp4")
        heads = np.load(out / e["heads_npz"])
        assert heads["keypoint_heatmaps"].shape == (e["frames"], 48, 48, 17)
    assert not [p for p in os.listdir(out) if p.startswith(".")]  # no temporary files left

    # The same heads as infer --heads-npz writes.
    assert main(["infer", str(image), "--heads-npz", str(tmp_path / "h.npz")]) == 0
    want = np.load(tmp_path / "h.npz")
    got = np.load(out / entries["pose.jpg"]["heads_npz"])
    for key in want.files:
        np.testing.assert_array_equal(got[key], want[key])

    # Second run: done sources are skipped (their files untouched), the failed one runs again.
    stamps = {p: p.stat().st_mtime_ns for p in out.iterdir() if p.name != "manifest.json"}
    assert main(argv) == 1
    again = {Path(e["source"]).name: e for e in _manifest(out)["sources"]}
    assert [again[n]["status"] for n in ("pose.jpg", "coco_mini", "broken.mp4")] == ["skipped", "skipped", "error"]
    assert again["pose.jpg"]["json"] == entries["pose.jpg"]["json"]
    assert again["coco_mini"]["frames"] == entries["coco_mini"]["frames"]
    assert {p: p.stat().st_mtime_ns for p in out.iterdir() if p.name != "manifest.json"} == stamps
    summary = _manifest(out)["summary"]
    assert (summary["ok"], summary["error"], summary["skipped"], summary["frames"]) == (0, 1, 2, 0)

    # Other settings run everything again; --force too.
    corrupt.unlink()
    assert main(["batch", str(image), "--out", str(out), "--scheduler", scheduler, "--no-crop", "-q"]) == 0
    assert "other settings" in capsys.readouterr().err
    assert _manifest(out)["sources"][0]["status"] == "ok"
    assert main(["batch", str(image), "--out", str(out), "--scheduler", scheduler, "--no-crop", "-q", "--force"]) == 0
    assert _manifest(out)["sources"][0]["status"] == "ok"


def test_batch_ships_model_and_classifier_files_that_are_not_bundled(scheduler, tmp_path, capsys):
    (image,) = _data("pose.jpg")
    from movenet_studio.core.models.catalog import bundled_model

    model = tmp_path / "my_movenet.tflite"
    shutil.copyfile(bundled_model("lightning").path, model)
    classifier = shared_path("models/classifier")
    extra = ["--model", str(model), "--classifier", str(classifier / "squat_classifier.tflite"),
             "--labels", str(classifier / "labels.txt")]
    out = tmp_path / "out"
    assert main(["batch", str(image), "--out", str(out), "--scheduler", scheduler, "-q", *extra]) == 0
    entry = _manifest(out)["sources"][0]
    assert entry["status"] == "ok", entry["error"]
    got = json.loads((out / entry["json"]).read_text())
    assert got["model"]["file"] == "my_movenet.tflite"
    assert main(["infer", str(image), "--json", str(tmp_path / "infer.json"), *extra]) == 0
    assert _without_timings(got) == _without_timings(json.loads((tmp_path / "infer.json").read_text()))
    assert "classification" in json.dumps(got)
    capsys.readouterr()


def test_sources_folders_globs_lists_and_names(tmp_path):
    for folder in ("a", "b", "b/photos", ".hidden"):
        (tmp_path / folder).mkdir()
    for name in ("a/clip.mp4", "b/clip.mp4", "b/photos/x.jpg", "b/photos/y.png", ".hidden/z.mp4", "b/notes.txt"):
        (tmp_path / name).write_bytes(b"")
    listing = tmp_path / "list.txt"
    listing.write_text("# my clips\na/clip.mp4\n\nb/photos\nmissing.mp4\n")
    got = expand_sources([str(tmp_path / "b"), str(tmp_path / "*" / "clip.mp4"), str(listing)])
    assert got == [tmp_path / "b/clip.mp4", tmp_path / "b/photos", tmp_path / "a/clip.mp4", tmp_path / "missing.mp4"]
    assert expand_sources([str(tmp_path)], exclude=[tmp_path / "b"]) == [tmp_path / "a/clip.mp4"]
    assert output_stem(tmp_path / "a/clip.mp4") != output_stem(tmp_path / "b/clip.mp4")
    assert output_stem(tmp_path / "a/clip.mp4").startswith("clip-")
    assert output_stem(tmp_path / "b/photos").startswith("photos-")
    with pytest.raises(Exception, match="matches no file"):
        expand_sources([str(tmp_path / "*.avi")])
    leftover = tmp_path / ".clip-1.json.1a2b3c4d.part.json"
    leftover.write_text("{")
    assert remove_partial_outputs(tmp_path, ["clip-1.json"]) == 1 and not leftover.exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_batch_on_an_external_scheduler(tmp_path, capsys):
    image, folder = _data("pose.jpg", "coco_mini")
    dask = shutil.which("dask") or pytest.skip("the dask command is not installed")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")])}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env, "cwd": tmp_path}
    loopback = ["--host", "127.0.0.1", "--no-dashboard", "--dashboard-address", "127.0.0.1:0"]
    procs = [subprocess.Popen([dask, "scheduler", "--port", str(port), *loopback], **quiet)]
    try:
        procs.append(subprocess.Popen([dask, "worker", address, "--nworkers", "1", "--nthreads", "1", *loopback],
                                      **quiet))
        # Both processes import dask first: on a loaded machine that alone took longer than batch's
        # 20 s connect timeout. Wait (dask's own retrying connect) until the worker has joined.
        from dask.distributed import Client

        with Client(address, timeout=f"{DASK_TIMEOUT_S}s") as ready:
            ready.wait_for_workers(1, timeout=DASK_TIMEOUT_S)
        out = tmp_path / "out"
        assert main(["batch", str(image), str(folder), "--out", str(out), "--scheduler", address, "-q"]) == 0
        assert "on 1 worker)" in capsys.readouterr().out
        manifest = _manifest(out)
        assert [e["status"] for e in manifest["sources"]] == ["ok", "ok"]
        assert manifest["summary"]["frames"] == 1 + len(list(folder.glob("*.jpg")))
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=DASK_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.mark.parametrize("protocol, model", [("single", "lightning"), ("multi", "multipose")])
def test_eval_on_the_cluster_equals_the_sequential_eval(scheduler, protocol, model, tmp_path, capsys):
    folder = shared_path("data/coco_mini")
    base = ["eval", "--annotations", str(folder / "test_coco.json"), "--images", str(folder),
            "--protocol", protocol, "--model", model, "-q"]
    assert main([*base, "--json", str(tmp_path / "seq.json")]) == 0
    assert main([*base, "--json", str(tmp_path / "cluster.json"), "--scheduler", scheduler]) == 0
    sequential, split = (json.loads((tmp_path / n).read_text()) for n in ("seq.json", "cluster.json"))
    for document in (sequential, split):
        document.pop("elapsed_s")
    assert split == sequential
    assert sequential["counts"]["detections"] > 0 and sequential["AP"] > 0.3
    capsys.readouterr()


def _run_batch(scheduler, sources: list[Path], out: Path, listener):
    """core.batch_run.run_tasks with infer's task, as the batch command runs it; returns the entries."""
    from dask.distributed import Client

    from movenet_studio.cli.batch_worker import run_source
    from movenet_studio.core.distributed.batch import output_names
    from movenet_studio.core.distributed.batch_run import run_tasks
    from movenet_studio.core.progress import JobControl

    request = _infer_request({"model": "lightning", "backend": "tflite", "threads": 1})
    names = {s: output_names(s, ["json"]) for s in sources}
    entries: dict[str, dict] = {}
    control = JobControl(listener)
    listener.control = control
    with Client(scheduler, timeout=DASK_TIMEOUT_S) as client:
        run_tasks(client, run_source, sources, out, names, entries, sources, {}, 0.0,
                  task_args=(request, str(out), None), control=control)
    return entries


def _infer_request(overrides: dict):
    """The typed request of infer's processing options at their defaults, with `overrides` (as batch sends it)."""
    from movenet_studio.core.stream import StreamRequest

    parser = argparse.ArgumentParser()
    add_infer_options(parser)
    return StreamRequest("", config_from_args(argparse.Namespace(**{**vars(parser.parse_args([])), **overrides})))


class _Listener:
    def __init__(self, cancel: bool = False):
        self.reports, self.cancel, self.control = [], cancel, None

    def __call__(self, progress) -> None:
        self.reports.append(progress)
        if self.cancel:
            self.control.token.cancel()


def test_batch_run_progress_reaches_the_total(scheduler, tmp_path):
    sources = _data("pose.jpg", "coco_mini")
    listener = _Listener()
    entries = _run_batch(scheduler, sources, tmp_path, listener)
    assert [e["status"] for e in entries.values()] == ["ok", "ok"]
    done = [p.done for p in listener.reports]
    assert done == sorted(done) and done[-1] == listener.reports[-1].total == 5  # 1 image + a folder of 4
    assert listener.reports[-1].message == "2/2 sources"


def test_batch_run_cancel_stops_the_tasks_and_leaves_no_output(scheduler, tmp_path):
    from movenet_studio.core.progress import Cancelled

    sources = _data("pose_1.mp4", "pose_squats.mp4")
    listener = _Listener(cancel=True)  # at the first report, before any task ends
    with pytest.raises(Cancelled):
        _run_batch(scheduler, sources, tmp_path, listener)
    assert [p.done for p in listener.reports] == [0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json"]  # no output, no temporary file
    manifest = _manifest(tmp_path)
    assert [e["status"] for e in manifest["sources"]] == ["error", "error"]
    assert all("cancelled" in e["error"] for e in manifest["sources"])
