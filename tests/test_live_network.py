"""Network stream kinds beyond HTTP MPEG-TS, on loopback and with PyAV alone (no system FFmpeg):
UDP MPEG-TS pushed by the test, HLS (a playlist and segments written by PyAV's hls muxer, served by
http.server), RTSP over TCP and UDP (a minimal RTSP server in tests/live_server.py sending PyAV's
rtp muxer's packets), a port with nothing behind it for every scheme, and the RTSP options PyAV
is given."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import av
import numpy as np
import pytest

from conftest import PROJECT_ROOT, data_file
from live_server import FolderServer, RtspServer, TsServer, UdpTsSender, free_udp_port, write_hls
from schemas import validate
from movenet_studio.core.errors import SourceError
from movenet_studio.core.media import stream_source
from movenet_studio.core.media.live import LiveOptions, LivePolicy
from movenet_studio.core.media.opener import open_source

FAST = LivePolicy(open_timeout_s=3.0, stall_timeout_s=2.0, reconnects=2, backoff_s=0.2)
SECRET = "hunter2"


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    return subprocess.run([sys.executable, "-m", "movenet_studio.cli", *args], capture_output=True, text=True,
                          env=env, timeout=180)


def _closed_tcp_port() -> int:
    """A TCP port of 127.0.0.1 with nothing listening (the OS's pick, released again)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


# -- RTSP ---------------------------------------------------------------------------------------------

def test_infer_on_rtsp_with_credentials_gives_frames_with_poses(tmp_path):
    with RtspServer(data_file("pose_1.mp4"), credentials=("viewer", SECRET)) as server:
        url = server.url.replace("rtsp://", f"rtsp://viewer:{SECRET}@")
        done = _cli("infer", url, "--max-frames", "30", "--json", str(tmp_path / "r.json"))
        assert server.transports == ["tcp"] and server.authorized == 1  # the default transport; Basic auth after 401
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout + done.stderr and "Traceback" not in done.stderr
    document = json.loads((tmp_path / "r.json").read_text())
    validate(document, "infer")
    assert SECRET not in json.dumps(document) and document["source"] == url.replace(SECRET, "***")
    assert len(document["frames"]) == 30 and all(f["poses"] for f in document["frames"])
    assert document["summary"]["live"]["frames"] == 30 and not document["summary"]["live"]["failure"]


def test_rtsp_over_udp_delivers_frames_in_order():
    with RtspServer(data_file("pose_1.mp4")) as server:
        with open_source(server.url.replace("rtsp://", "rtsp+udp://"), LiveOptions(FAST)) as source:
            frames = [source.read() for _ in range(10)]
            assert source.fps == 30
        assert server.transports == ["udp"]
    assert [f.rgb.shape for f in frames] == [(576, 576, 3)] * 10
    assert [f.index for f in frames] == sorted({f.index for f in frames})


@pytest.mark.parametrize("scheme", ["rtsp+tcp", "rtsp+udp"])
def test_an_rtsp_server_that_goes_away_is_retried_then_given_up_keeping_frames(scheme):
    events = []
    with RtspServer(data_file("pose_1.mp4"), stop_after=45) as server:
        url = server.url.replace("rtsp://", f"{scheme}://")
        source = open_source(url, LiveOptions(FAST, listener=events.append))
        frames = []
        with pytest.raises(SourceError) as caught:
            while (frame := source.read()) is not None:
                frames.append(frame)
        source.close()
    assert frames and [f.index for f in frames] == sorted({f.index for f in frames})
    assert [e.kind for e in events] == ["dropped", "reconnecting", "reconnecting", "lost"]
    assert str(caught.value) == (f"{url}: feed lost (cannot open: Connection refused); "
                                 "gave up after 2 reconnect attempts")


def test_rtsp_with_wrong_credentials_gives_one_line_without_them():
    with RtspServer(data_file("pose_1.mp4"), credentials=("viewer", "right")) as server:
        url = server.url.replace("rtsp://", f"rtsp://viewer:{SECRET}@")
        with pytest.raises(SourceError) as caught:
            open_source(url, LiveOptions(FAST))
    assert str(caught.value) == (f"{url.replace(SECRET, '***')}: cannot open: "
                                 "Server returned 401 Unauthorized (authorization failed)")


# -- nothing there -----------------------------------------------------------------------------------

@pytest.mark.parametrize("scheme, path, reason", [
    ("http", "/live.ts", "Connection refused"),
    ("tcp", "", "Connection refused"),
    ("rtsp", "/stream1", "Connection refused"),
    ("rtsp+udp", "/stream1", "Connection refused"),
    ("rtmp", "/live/cam", "Connection refused"),
    ("udp", "", "no answer within 1 s"),  # the reader binds the port and waits for datagrams
    ("rtp", "", "no answer within 1 s"),
])
def test_a_port_with_nothing_behind_it_fails_in_one_line_within_the_open_timeout(scheme, path, reason):
    port = free_udp_port() if scheme in ("udp", "rtp") else _closed_tcp_port()
    url = f"{scheme}://127.0.0.1:{port}{path}"
    with pytest.raises(SourceError) as caught:
        open_source(url, LiveOptions(LivePolicy(open_timeout_s=1.0, stall_timeout_s=1.0)))
    assert str(caught.value) == f"{url}: cannot open: {reason}"


@pytest.mark.parametrize("scheme", ["rtsp", "rtsp+udp", "tcp", "rtmp"])
def test_a_server_that_accepts_and_never_answers_is_a_timeout_whatever_the_protocol(scheme):
    # FFmpeg's RTSP client reports an interrupted reply as invalid data: it was "not a stream FFmpeg can decode".
    with TsServer(mode="silent") as server:
        url = server.url.replace("http://", f"{scheme}://")
        with pytest.raises(SourceError) as caught:
            open_source(url, LiveOptions(LivePolicy(open_timeout_s=1.0, stall_timeout_s=5.0)))
    assert str(caught.value) == f"{url}: cannot open: no answer within 1 s"


def test_a_protocol_missing_from_pyavs_ffmpeg_is_named():
    url = f"srt://127.0.0.1:{free_udp_port()}"
    with pytest.raises(SourceError) as caught:
        open_source(url)
    assert str(caught.value) == f"{url}: cannot open: PyAV's FFmpeg was built without srt:// support"


# -- RTSP options ------------------------------------------------------------------------------------

@pytest.mark.parametrize("url, transport, given, options", [
    ("rtsp://u:pw@cam/s", None, "rtsp://u:pw@cam/s", {"rtsp_transport": "tcp", "timeout": "2000000"}),
    ("rtsp+tcp://cam/s", None, "rtsp://cam/s", {"rtsp_transport": "tcp", "timeout": "2000000"}),
    ("rtsp+udp://cam:8554/s?x=1", None, "rtsp://cam:8554/s?x=1", {"rtsp_transport": "udp", "timeout": "2000000"}),
    ("rtsp://cam/s", "udp", "rtsp://cam/s", {"rtsp_transport": "udp", "timeout": "2000000"}),
    ("rtsp://cam/s", "auto", "rtsp://cam/s", {"timeout": "2000000"}),  # FFmpeg's own order: UDP, then TCP
    ("http://cam/live.ts", "udp", "http://cam/live.ts", {"rw_timeout": "2000000"}),
])
def test_rtsp_transport_and_timeouts_reach_pyav(monkeypatch, url, transport, given, options):
    opened = _refused_opens(monkeypatch)
    with pytest.raises(SourceError):
        open_source(url, LiveOptions(LivePolicy(open_timeout_s=3.0, stall_timeout_s=2.0), rtsp_transport=transport))
    assert opened == [(given, {"options": options, "timeout": (3.0, 2.0)})]


def test_the_command_lines_rtsp_options_reach_pyav(monkeypatch, capsys):
    from movenet_studio.cli import main

    opened = _refused_opens(monkeypatch)
    assert main(["infer", "rtsp://cam/s", "--rtsp-transport", "udp", "--open-timeout", "3", "--stall-timeout", "2"]) == 1
    assert opened == [("rtsp://cam/s", {"options": {"rtsp_transport": "udp", "timeout": "2000000"},
                                        "timeout": (3.0, 2.0)})]
    assert capsys.readouterr().err.splitlines()[-1] == "movenet-studio: error: rtsp://cam/s: cannot open: Connection refused"


def _refused_opens(monkeypatch) -> list:
    """Replace PyAV's open with one that records its arguments and is refused; the records."""
    opened = []

    def refused(file, **kwargs):
        opened.append((file, kwargs))
        raise av.error.ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(stream_source.av, "open", refused)
    return opened
