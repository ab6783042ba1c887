"""The camera list (driven by a fake /sys/class/video4linux and a fake V4L2 probe), the
`cameras` command, camera:N mode specs, and the live source's newest-frame-wins rule on a fake feed."""

from __future__ import annotations

import errno
import json

import numpy as np
import pytest

from movenet_studio.cli import main
from movenet_studio.core.errors import SourceError
from movenet_studio.core.media import cameras
from movenet_studio.core.media.cameras import CameraMode, describe_cameras, list_cameras
from movenet_studio.core.media.live import FeedFrame, LivePolicy, LiveSource
from movenet_studio.core.media.sources import camera_spec

from schemas import validate

MODES = (CameraMode("MJPG", 1280, 720, 30.0), CameraMode("YUYV", 640, 480, 30.0), CameraMode("YUYV", 640, 480, 15.0))


def _fake_sys(tmp_path, names: dict[str, str]):
    for node, name in names.items():
        (tmp_path / node).mkdir()
        (tmp_path / node / "name").write_text(name + "\n")
    return tmp_path


def _fake_modes(path: str):
    if path.endswith("video1"):
        return None  # the UVC camera's metadata node
    if path.endswith("video2"):
        raise OSError(errno.EBUSY, "Device or resource busy")
    return MODES


def test_camera_list_names_modes_and_skips_metadata_nodes(tmp_path):
    root = _fake_sys(tmp_path, {"video0": "HD Pro Webcam C920", "video1": "HD Pro Webcam C920",
                                "video2": "USB2.0 Camera", "video10": "Loopback", "vbi0": "not a camera"})
    found = list_cameras(root, tmp_path / "dev", _fake_modes)
    assert [(c.index, c.name) for c in found] == [(0, "HD Pro Webcam C920"), (2, "USB2.0 Camera"), (10, "Loopback")]
    assert found[0].modes == MODES and found[0].spec == "camera:0"
    assert found[1].modes == () and "busy" in found[1].note
    lines = describe_cameras(found)
    assert lines[0].startswith("camera:0") and "HD Pro Webcam C920" in lines[0]
    assert lines[1].strip() == "1280x720 @ 30 fps MJPG" and "640x480 @ 15 fps YUYV" in lines[3]


def test_cameras_command_prints_the_list_or_says_there_is_none(monkeypatch, capsys, tmp_path):
    root = _fake_sys(tmp_path, {"video0": "HD Pro Webcam C920"})
    monkeypatch.setattr(cameras, "list_cameras", lambda: list_cameras(root, tmp_path, _fake_modes))
    assert main(["cameras"]) == 0
    out = capsys.readouterr().out
    assert "camera:0" in out and "1280x720 @ 30 fps MJPG" in out
    monkeypatch.setattr(cameras, "list_cameras", lambda: [])
    assert main(["cameras"]) == 0
    assert capsys.readouterr().out.startswith("no camera found")
    assert main(["cameras", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_cameras_json_lists_each_camera_with_its_modes(monkeypatch, capsys, tmp_path):
    root = _fake_sys(tmp_path, {"video0": "HD Pro Webcam C920", "video1": "HD Pro Webcam C920"})
    monkeypatch.setattr(cameras, "list_cameras", lambda: list_cameras(root, tmp_path, _fake_modes))
    assert main(["cameras", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    validate(document, "cameras")
    assert [c["source"] for c in document] == ["camera:0"]
    assert document[0]["modes"][0] == {"pixel_format": "MJPG", "width": 1280, "height": 720, "fps": 30}


def test_v4l2_request_codes_match_videodev2():
    assert (cameras.VIDIOC_QUERYCAP, cameras.VIDIOC_ENUM_FMT, cameras.VIDIOC_ENUM_FRAMESIZES,
            cameras.VIDIOC_ENUM_FRAMEINTERVALS) == (0x80685600, 0xC0405602, 0xC02C564A, 0xC034564B)


def test_camera_specs_carry_a_mode():
    assert camera_spec("camera:2") == (2, None, None)
    assert camera_spec("camera:0:1280x720@30") == (0, (1280, 720), 30.0)
    for bad in ("camera:100", "camera:0:big", "camera:0:1280x720@0", "camera:0:99999x1"):
        with pytest.raises(SourceError):
            camera_spec(bad)


def test_camera_size_option_is_checked(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["infer", "camera:0", "--camera-size", "huge"])
    assert caught.value.code == 2 and "not a frame size" in capsys.readouterr().err


class _FakeFeed:
    """A feed of `count` frames, delivered as fast as they are asked for; `finite`: a recording
    (its end ends the source) rather than a live feed (whose end is a drop)."""

    fps = 30.0

    def __init__(self, count: int, finite: bool = False):
        self.count, self.sent, self.finite = count, 0, finite

    def read(self):
        if self.sent == self.count:
            return None
        self.sent += 1
        return FeedFrame(np.full((4, 4, 3), self.sent, np.uint8), self.sent * 1000 / 30, 0.0)

    def close(self):
        pass


def test_live_source_hands_over_the_newest_frame_and_counts_the_rest():
    source = LiveSource("fake", "camera", lambda: _FakeFeed(10), LivePolicy(reconnects=0))
    assert source.wait_frame(10)  # reading starts with the first wait or read
    with source._cond:  # nothing is read until the feed has delivered everything
        assert source._cond.wait_for(lambda: source._ended, 10)
    frame = source.read()
    assert frame.rgb[0, 0, 0] == 10 and frame.index == 9  # indices follow the feed's timestamps
    assert source.dropped == 9
    with pytest.raises(SourceError, match="reconnecting is off"):
        source.read()
    assert [e.kind for e in source.events] == ["dropped", "lost"]
    source.close()


def test_a_finite_feed_hands_over_every_frame_in_order():
    source = LiveSource("fake", "stream", lambda: _FakeFeed(10, finite=True), LivePolicy(reconnects=0))
    assert source.finite and source.wait_frame(10)
    with source._cond:  # the reader waits for the frame in the slot to be taken: it never ends on its own
        assert not source._cond.wait_for(lambda: source._ended, 0.2)
    frames = [source.read() for _ in range(10)]
    assert [f.rgb[0, 0, 0] for f in frames] == list(range(1, 11)) and [f.index for f in frames] == list(range(10))
    assert source.read() is None and source.dropped == 0
    assert [e.kind for e in source.events] == ["ended"]
    source.close()
