"""Network streams and live behaviour: URLs are never paths, credentials never shown, a stream
served on loopback by the test itself (tests/live_server.py) runs through infer, a stopped
server is reconnected to and then reported, a silent or garbage server gives one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import PROJECT_ROOT, data_file
from live_server import TsServer
from schemas import validate
from movenet_studio.core.errors import SourceError
from movenet_studio.core.media.live import LiveOptions, LivePolicy
from movenet_studio.core.media.opener import open_source
from movenet_studio.core.media.urls import is_url, parse_stream_url
from movenet_studio.core.text import hide_credentials, printable

SECRET = "hunter2"
FAST = LivePolicy(open_timeout_s=3.0, stall_timeout_s=2.0, reconnects=2, backoff_s=0.2)


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    return subprocess.run([sys.executable, "-m", "movenet_studio.cli", *args], capture_output=True, text=True,
                          env=env, timeout=timeout)


def _with_secret(url: str) -> str:
    return url.replace("http://", f"http://viewer:{SECRET}@")


def _keypoints(document: dict) -> dict[int, np.ndarray]:
    return {f["index"]: np.array([[k["x"], k["y"]] for k in f["poses"][0]["keypoints"]])
            for f in document["frames"] if f["poses"]}


# -- URLs -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, shown", [
    ("rtsp://admin:p@ss@10.0.0.2:554/s?x=1&token=abc", "rtsp://admin:***@10.0.0.2:554/s?x=1&token=***"),
    ("http://tok3n@cam/live.ts", "http://***@cam/live.ts"),
    ("failed: rtsp://u:pw@h/a and http://h/b", "failed: rtsp://u:***@h/a and http://h/b"),
    ("udp://@:1234", "udp://@:1234"),
    ("pose_1.mp4", "pose_1.mp4"),
])
def test_credentials_are_hidden_wherever_text_is_shown(text, shown):
    assert hide_credentials(text) == shown
    assert printable(text) == shown


def test_a_url_is_never_a_path_and_bad_urls_get_one_line():
    assert is_url("http://127.0.0.1:8090/live.ts") and is_url("RTSP://cam/x")
    assert not is_url("camera:0") and not is_url("C:\\videos\\a.mp4") and not is_url("a//b.mp4")
    address = parse_stream_url("rtsp+udp://u:pw@cam/stream")
    assert (address.url, address.rtsp_transport, address.shown) == ("rtsp://u:pw@cam/stream", "udp",
                                                                     "rtsp+udp://u:***@cam/stream")
    assert parse_stream_url("rtsp://cam/s").rtsp_transport == "tcp"
    for bad, words in (("ftp://u:pw@h/x.mp4", "not a stream scheme"), ("http:///x.ts", "no host"),
                       ("http://h:99999/x", "not a valid URL")):
        with pytest.raises(SourceError) as caught:
            open_source(bad)
        assert words in str(caught.value) and "pw" not in str(caught.value) and "\n" not in str(caught.value)


def test_batch_refuses_a_stream_url_in_one_line():
    from movenet_studio.core.distributed.batch import BatchError, expand_sources

    with pytest.raises(BatchError) as caught:
        expand_sources([f"rtsp://admin:{SECRET}@cam/stream1"])
    assert str(caught.value) == "rtsp://admin:***@cam/stream1: a batch runs files; run a stream with infer"


# -- live sources on a loopback server ----------------------------------------------------------------

def test_stopped_server_reconnects_then_reports_loss_keeping_frames():
    with TsServer(data_file("pose_1.mp4"), mode="stop_after", stop_after_s=1.0) as server:
        events = []
        source = open_source(server.url, LiveOptions(FAST, listener=events.append))
        frames = []
        with pytest.raises(SourceError) as caught:
            while (frame := source.read()) is not None:
                frames.append(frame)
        source.close()
    kinds = [e.kind for e in events]
    assert frames and kinds[0] == "dropped" and kinds[-1] == "lost"
    assert [e.attempt for e in events if e.kind == "reconnecting"] == [1, 2]
    assert "gave up after 2 reconnect attempts" in str(caught.value)
    indices = [f.index for f in frames]
    assert indices == sorted(set(indices))  # newest wins: indices only grow
    assert all(f.captured_s is not None for f in frames)


def test_infer_on_a_loopback_stream_agrees_with_the_files_own_infer(tmp_path, loaded_pipeline):
    video = data_file("pose_1.mp4")
    # Each frame on its own (no crop tracking, no smoothing): frames dropped on a loaded machine
    # (newest wins) cannot change the others, so the difference is the stream's re-encoding alone.
    with TsServer(video, max_frames=120, loops=8) as server:  # 32 s: any model load on a loaded machine fits
        url, length = _with_secret(server.url), len(server.frames)
        done = _cli("infer", url, "--max-frames", "60", "--json", str(tmp_path / "s.json"), "--no-crop",
                    "--no-smoothing")
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout + done.stderr
    document = json.loads((tmp_path / "s.json").read_text())
    assert SECRET not in json.dumps(document) and "viewer:***@" in document["source"]
    assert len(document["frames"]) == 60 and all(f["poses"] for f in document["frames"])
    assert document["summary"]["live"]["frames"] == 60
    validate(document, "infer")
    assert document["summary"]["live"]["capture_to_result_ms"]["frames"] == 60
    assert not document["summary"]["live"]["reconnects"]
    stream = {index % length: points for index, points in _keypoints(document).items()}  # -> the video's frame
    pipeline = loaded_pipeline(model="lightning", backend="tflite", threads=2, crop=False, smoothing=False)
    distances = []
    with open_source(video) as source:
        for frame in source:
            if frame.index in stream:
                keypoints = pipeline.process(frame).poses[0].keypoints[:, :2]
                distances.append(np.linalg.norm(stream[frame.index] - keypoints, axis=1))
    distances = np.concatenate(distances)
    # Re-encoding error measured on this video (docs/measured.md): median 0.6, mean 1.2 px.
    assert np.median(distances) < 1.5 and distances.mean() < 3.0, (np.median(distances), distances.mean())


def test_infer_on_a_server_stopped_mid_stream_reports_attempts_and_keeps_frames(tmp_path):
    with TsServer(data_file("pose_1.mp4"), mode="stop_after", stop_after_s=2.0) as server:
        started = time.monotonic()
        done = _cli("infer", _with_secret(server.url), "--json", str(tmp_path / "s.json"), "--stall-timeout", "2",
                    "--reconnect", "2", "--open-timeout", "2")
        elapsed = time.monotonic() - started
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    attempts = [line for line in lines if "reconnecting, attempt" in line]
    assert len(attempts) == 2 and all(line.startswith("movenet-studio: live: ") for line in attempts)
    assert lines[-1].startswith("movenet-studio: error: ") and "gave up after 2 reconnect attempts" in lines[-1]
    assert "Traceback" not in done.stderr and SECRET not in done.stdout + done.stderr
    document = json.loads((tmp_path / "s.json").read_text())
    assert document["frames"] and document["summary"]["live"]["failure"]
    validate(document, "infer")
    assert elapsed < 60  # bounded: the run ended by itself (the policy's worst case is 2 + 2 x (2 + 2) s)


def test_an_mjpeg_stream_over_http_plays_as_it_comes():
    with TsServer(data_file("pose_1.mp4"), mode="mjpeg", max_frames=30) as server:
        with open_source(server.url, LiveOptions(FAST)) as source:
            frames = [source.read() for _ in range(3)]
            assert source.kind == "stream"
    assert [f.rgb.shape for f in frames] == [(576, 576, 3)] * 3
    assert frames[0].index < frames[1].index < frames[2].index


def test_a_server_sending_garbage_is_refused_in_one_line():
    with TsServer(mode="garbage") as server:
        with pytest.raises(SourceError) as caught:
            open_source(_with_secret(server.url), LiveOptions(FAST))
    assert str(caught.value).endswith("cannot open: not a stream FFmpeg can decode (invalid data)")
    assert SECRET not in str(caught.value) and "viewer:***@" in str(caught.value)


def test_a_server_that_never_answers_gives_one_clear_line_within_the_open_timeout(tmp_path):
    with TsServer(mode="silent") as server:
        done = _cli("infer", _with_secret(server.url), "--open-timeout", "2", "--json", str(tmp_path / "o.json"))
    words = "no answer within 2 s"
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if "movenet-studio" in line]
    assert len(errors) == 1 and words in errors[0] and "viewer:***@" in errors[0], done.stderr
    assert "Traceback" not in done.stderr and SECRET not in done.stdout + done.stderr
    assert not (tmp_path / "o.json").exists()
