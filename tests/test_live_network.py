"""Network stream kinds beyond HTTP MPEG-TS, on loopback and with PyAV alone (no system FFmpeg):
UDP MPEG-TS pushed by the test, HLS (a playlist and segments written by PyAV's hls muxer, served by
http.server), and a port with nothing behind it for every scheme."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import PROJECT_ROOT, data_file
from live_server import UdpTsSender
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
