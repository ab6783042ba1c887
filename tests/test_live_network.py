"""Network stream kinds beyond HTTP MPEG-TS, on loopback and with PyAV alone (no system FFmpeg):
UDP MPEG-TS pushed by the test, HLS (a playlist and segments written by PyAV's hls muxer, served by
http.server), and a port with nothing behind it for every scheme."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import PROJECT_ROOT, data_file
from live_server import FolderServer, UdpTsSender, write_hls
from schemas import validate
from movenet_studio.core.media.live import LiveOptions, LivePolicy
from movenet_studio.core.media.opener import open_source

FAST = LivePolicy(open_timeout_s=3.0, stall_timeout_s=2.0, reconnects=2, backoff_s=0.2)


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    return subprocess.run([sys.executable, "-m", "movenet_studio.cli", *args], capture_output=True, text=True,
                          env=env, timeout=180)


def _errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("movenet-studio: error:")]


# -- UDP ---------------------------------------------------------------------------------------------

def test_udp_mpegts_frames_arrive_in_order_while_the_sender_pushes():
    with UdpTsSender(data_file("pose_1.mp4")) as sender:  # sends until closed: no race with the bind
        with open_source(sender.url, LiveOptions(FAST)) as source:
            frames = [source.read() for _ in range(10)]
            assert source.kind == "stream" and source.fps == 30
    assert [f.rgb.shape for f in frames] == [(576, 576, 3)] * 10
    indices = [f.index for f in frames]
    assert indices == sorted(set(indices))


def test_infer_on_udp_keeps_the_poses_when_the_sender_goes_away(tmp_path):
    # The sender stops for good after 60 frames sent with the reader bound (it knows: a datagram to a
    # port nothing is bound to is refused), so the reader has frames, then a stall, then nothing.
    with UdpTsSender(data_file("pose_1.mp4"), stop_after=60) as sender:
        done = _cli("infer", sender.url, "--json", str(tmp_path / "u.json"), "--open-timeout", "3",
                    "--stall-timeout", "2", "--reconnect", "2")
        assert sender.stopped.is_set()
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    assert "feed dropped (no answer within 2 s)" in done.stderr
    attempts = [line for line in lines if "reconnecting, attempt" in line]
    assert len(attempts) == 2 and all(line.startswith("movenet-studio: live: udp://127.0.0.1:") for line in attempts)
    assert _errors(done.stderr) == [lines[-1]] and "gave up after 2 reconnect attempts" in lines[-1]
    assert "Traceback" not in done.stderr
    document = json.loads((tmp_path / "u.json").read_text())
    validate(document, "infer")
    assert document["frames"] and all(f["poses"] for f in document["frames"])
    assert document["summary"]["live"]["failure"] and document["summary"]["live"]["frames"] == len(document["frames"])


# -- HLS ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hls_vod(tmp_path_factory):
    """pose_1.mp4's first 90 frames as an HLS VOD of three 1 s segments, written by PyAV's hls muxer."""
    folder = tmp_path_factory.mktemp("hls")
    assert write_hls(data_file("pose_1.mp4"), folder, max_frames=90, segment_s=1.0) == ["x0.ts", "x1.ts", "x2.ts"]
    return folder


def _served(hls_vod, tmp_path, missing=()):
    folder = shutil.copytree(hls_vod, tmp_path / "served")
    for name in missing:
        (folder / name).unlink()
    return FolderServer(folder)


def test_infer_on_an_hls_playlist_gives_every_frame_with_its_poses(hls_vod, tmp_path, loaded_pipeline):
    with _served(hls_vod, tmp_path) as server:
        done = _cli("infer", f"{server.base}/x.m3u8", "--max-frames", "30", "--json", str(tmp_path / "h.json"),
                    "--no-crop", "--no-smoothing")
    assert done.returncode == 0, done.stderr
    document = json.loads((tmp_path / "h.json").read_text())
    validate(document, "infer")
    # A VOD playlist is a recording: every frame in order, none dropped (read as fast as it decodes,
    # newest-wins gave 8 of the 30 frames asked for).
    assert [f["index"] for f in document["frames"]] == list(range(30)) and all(f["poses"] for f in document["frames"])
    assert document["summary"]["live"]["dropped"] == 0 and not document["summary"]["live"]["failure"]
    pipeline = loaded_pipeline(model="lightning", backend="tflite", threads=2, crop=False, smoothing=False)
    distances = []
    with open_source(data_file("pose_1.mp4")) as source:
        for frame, streamed in zip(source, document["frames"]):
            keypoints = pipeline.process(frame).poses[0].keypoints[:, :2]
            distances.append(np.linalg.norm(keypoints - [[k["x"], k["y"]] for k in streamed["poses"][0]["keypoints"]],
                                            axis=1))
    # Frame n of the playlist is frame n of the file, up to the re-encoding (ultrafast x264).
    assert np.median(distances) < 1.5, np.median(distances)


@pytest.mark.parametrize("path, missing, words", [
    ("/nope.m3u8", (), "cannot open: Server returned 404 Not Found"),
    ("/x.m3u8", ("x0.ts", "x1.ts", "x2.ts"), "cannot open: the HLS playlist gave no video FFmpeg can decode "
                                             "(its segments are missing or invalid)"),
])
def test_an_hls_playlist_that_cannot_be_read_gives_one_line(hls_vod, tmp_path, path, missing, words):
    with _served(hls_vod, tmp_path, missing) as server:
        done = _cli("infer", f"{server.base}{path}", "--json", str(tmp_path / "h.json"))
    assert done.returncode == 1
    assert _errors(done.stderr) == [f"movenet-studio: error: {server.base}{path}: {words}"], done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "h.json").exists()


def test_an_hls_segment_missing_is_reported_and_the_rest_kept(hls_vod, tmp_path):
    with _served(hls_vod, tmp_path, missing=("x1.ts",)) as server:
        done = _cli("infer", f"{server.base}/x.m3u8", "--json", str(tmp_path / "h.json"), "--no-crop")
    assert done.returncode == 1
    gap = f"{server.base}/x.m3u8: frames 30-59 are missing from the recording (1.0 s)"
    assert f"movenet-studio: live: {gap}" in done.stderr.splitlines()
    assert _errors(done.stderr) == [f"movenet-studio: error: {server.base}/x.m3u8: the recording ended with 30 frames "
                                    "missing (frames 30-59: data the server did not give) (the 60 frames read were kept)"]
    document = json.loads((tmp_path / "h.json").read_text())
    validate(document, "infer")
    assert [f["index"] for f in document["frames"]] == list(range(30)) + list(range(60, 90))
    assert all(f["poses"] for f in document["frames"])
