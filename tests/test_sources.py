"""Frame sources on real media and on bad input."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from conftest import data_file
from movenet_studio.core.errors import SourceError
from movenet_studio.core.media.sources import ImageFolderSource, decode_image
from movenet_studio.core.media.opener import open_source


def test_video_frames_have_file_timestamps():
    with open_source(data_file("pose_1.mp4")) as source:
        assert (source.frame_count, source.fps) == (120, 30.0)
        frames = list(source)
    assert len(frames) == 120
    assert frames[0].rgb.shape == (576, 576, 3) and frames[0].rgb.dtype == np.uint8
    steps = np.diff([f.timestamp_ms for f in frames])
    assert np.allclose(steps, 1000 / 30, atol=0.5)


def test_video_seek_returns_that_frame():
    with open_source(data_file("pose_1.mp4")) as source:
        frames = list(source)
        source.seek(50)
        again = source.read()
    assert again.index == 50
    assert np.abs(again.rgb.astype(int) - frames[50].rgb.astype(int)).mean() < 1.0


def test_small_videos_decode_on_one_thread_with_the_same_frames(tmp_path):
    """Up to 1080p a video decodes on the reading thread alone (no FFmpeg frame threads
    competing with inference), frame for frame as OpenCV's default threads decode it."""
    path = data_file("pose_1.mp4")
    default = cv2.VideoCapture(str(path))
    with open_source(path) as source:
        assert source._capture.get(cv2.CAP_PROP_N_THREADS) == 1
        for frame in source:
            ok, bgr = default.read()
            assert ok and np.array_equal(frame.rgb, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)), frame.index
    assert not default.read()[0]
    default.release()
    # A larger video keeps OpenCV's threads (one may not decode it in real time).
    big = tmp_path / "big.mp4"
    writer = cv2.VideoWriter(str(big), cv2.VideoWriter_fourcc(*"mp4v"), 30, (2048, 1152))
    for _ in range(2):
        writer.write(np.zeros((1152, 2048, 3), np.uint8))
    writer.release()
    with open_source(big) as source:
        assert source._capture.get(cv2.CAP_PROP_N_THREADS) != 1
        assert len(list(source)) == 2


def test_image_is_rgb():
    path = data_file("pose.jpg")
    with open_source(path) as source:
        frames = list(source)
    assert len(frames) == 1 and frames[0].rgb.shape == (667, 1000, 3)
    bgr = cv2.imread(str(path))
    assert np.array_equal(frames[0].rgb[..., 0], bgr[..., 2])


def test_folder_of_images_in_name_order():
    source = ImageFolderSource(data_file("coco_mini"))
    names = [p.name for p in source.files]
    assert names == sorted(names) and len(names) == 4
    assert [f.index for f in source] == [0, 1, 2, 3]


@pytest.mark.parametrize("make, flags", [
    (lambda: np.full((20, 30), 128, np.uint8), "gray"),
    (lambda: np.full((20, 30, 4), 200, np.uint8), "rgba"),
    (lambda: np.full((20, 30, 3), 65535, np.uint16), "16-bit"),
])
def test_odd_image_formats_become_uint8_rgb(make, flags):
    ok, png = cv2.imencode(".png", make())
    assert ok
    rgb = decode_image(png.tobytes(), flags)
    assert rgb.shape == (20, 30, 3) and rgb.dtype == np.uint8


def test_missing_corrupt_and_wrong_files(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        open_source(tmp_path / "missing.mp4")
    text = tmp_path / "notes.png"
    text.write_text("hello")
    with pytest.raises(SourceError, match="not an image"):
        open_source(text)
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(data_file("pose_1.mp4").read_bytes()[:2000])
    with pytest.raises(SourceError, match="truncated.mp4"):
        open_source(truncated)
    with pytest.raises(SourceError, match="camera index"):
        open_source("camera:x")


def test_camera_that_does_not_open():
    with pytest.raises(SourceError, match="camera 99"):
        open_source("camera:99")


def test_an_unreadable_image_in_a_folder_is_skipped_not_fatal(tmp_path, capsys):
    from movenet_studio.cli import main

    for name in ("a.jpg", "c.jpg"):
        (tmp_path / name).write_bytes(data_file("pose.jpg").read_bytes())
    (tmp_path / "b.jpg").write_bytes(b"not a jpeg")
    source = ImageFolderSource(tmp_path)
    assert [f.index for f in source] == [0, 2]
    assert source.skipped_frames == 1 and [p.name for p in source.skipped_files] == ["b.jpg"]
    assert main(["infer", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "2 frames" in captured.out and "skipped 1 frame" in captured.err


def test_a_folder_of_only_unreadable_images_is_an_error(tmp_path):
    (tmp_path / "x.png").write_text("no")
    with pytest.raises(SourceError, match="none of its 1 image files"):
        list(ImageFolderSource(tmp_path))
