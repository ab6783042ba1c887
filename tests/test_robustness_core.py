"""Core robustness: odd images are normalised, damaged videos skip or fail cleanly, a model
giving non-finite output does not poison the trackers, and the soak figures count threads."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

import badinputs
from conftest import data_file
from movenet_studio.core.errors import SourceError
from movenet_studio.core.media.sources import decode_image
from movenet_studio.core.media.opener import open_source

PATTERN = badinputs.pattern_image(48, 64)  # red TL, green TR, blue BL, white BR
RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


def _quadrants(rgb: np.ndarray) -> list[tuple[int, ...]]:
    """Colours at the centres of the TL, TR, BL, BR quadrants, rounded to 0/255."""
    h, w = rgb.shape[:2]
    points = [(h // 4, w // 4), (h // 4, 3 * w // 4), (3 * h // 4, w // 4), (3 * h // 4, 3 * w // 4)]
    return [tuple(int(v) for v in np.where(rgb[y, x] > 127, 255, 0)) for y, x in points]


def _encode(ext: str, image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(ext, image)
    assert ok
    return data.tobytes()


def _check_rgb(rgb: np.ndarray, shape: tuple[int, int]) -> None:
    assert rgb.dtype == np.uint8 and rgb.shape == (*shape, 3) and rgb.flags.c_contiguous


def test_grayscale_png_becomes_rgb():
    gray = cv2.cvtColor(PATTERN, cv2.COLOR_RGB2GRAY)
    rgb = decode_image(_encode(".png", gray))
    _check_rgb(rgb, (48, 64))
    assert np.array_equal(rgb[..., 0], gray) and np.array_equal(rgb[..., 1], gray)


def test_rgba_png_drops_alpha():
    bgra = cv2.cvtColor(PATTERN, cv2.COLOR_RGB2BGRA)
    bgra[..., 3] = 0  # fully transparent: the colour is still what is shown
    rgb = decode_image(_encode(".png", bgra))
    _check_rgb(rgb, (48, 64))
    assert np.array_equal(rgb, PATTERN)


@pytest.mark.parametrize("ext", [".png", ".tiff"])
def test_16_bit_images_are_scaled_to_8_bit(ext):
    bgr16 = cv2.cvtColor(PATTERN, cv2.COLOR_RGB2BGR).astype(np.uint16) * 257  # 255 -> 65535
    rgb = decode_image(_encode(ext, bgr16))
    _check_rgb(rgb, (48, 64))
    assert np.array_equal(rgb, PATTERN)
    gray16 = np.full((10, 12), 40000, np.uint16)
    assert np.all(decode_image(_encode(ext, gray16)) == 40000 >> 8)


@pytest.mark.parametrize("orientation, quadrants, shape", [
    (1, [RED, GREEN, BLUE, WHITE], (48, 64)),
    (3, [WHITE, BLUE, GREEN, RED], (48, 64)),    # rotated 180
    (6, [BLUE, RED, WHITE, GREEN], (64, 48)),    # rotated 90 clockwise (phone held upright)
    (8, [GREEN, WHITE, RED, BLUE], (64, 48)),    # rotated 90 counter-clockwise
    (2, [GREEN, RED, WHITE, BLUE], (48, 64)),    # mirrored
])
def test_exif_orientation_is_applied(orientation, quadrants, shape):
    """OpenCV writes no EXIF: the Orientation tag is a hand-made APP1 segment after SOI."""
    data = badinputs.jpeg_with_orientation(PATTERN, orientation)
    assert data[2:4] == b"\xff\xe1" and b"Exif\x00\x00" in data[:40]
    rgb = decode_image(data)
    _check_rgb(rgb, shape)
    assert _quadrants(rgb) == quadrants


def test_cmyk_jpeg_is_converted_to_rgb():
    """OpenCV cannot write CMYK JPEGs; badinputs.cmyk_jpeg encodes flat 8x8 blocks by hand
    (Adobe APP14, inverted CMYK as Photoshop writes it)."""
    inks = np.zeros((2, 3, 4), np.uint8)
    inks[0, 0], inks[0, 1], inks[0, 2] = (255, 0, 0, 0), (0, 255, 0, 0), (0, 0, 255, 0)  # C, M, Y
    inks[1, 0], inks[1, 1], inks[1, 2] = (0, 0, 0, 255), (0, 0, 0, 0), (255, 255, 0, 0)  # K, none, C+M
    data = badinputs.cmyk_jpeg(inks)
    assert cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED) is not None
    rgb = decode_image(data)
    _check_rgb(rgb, (16, 24))
    expected = [[(0, 255, 255), (255, 0, 255), (255, 255, 0)], [(0, 0, 0), (255, 255, 255), (0, 0, 255)]]
    blocks = rgb[4::8, 4::8].astype(int)
    assert np.abs(blocks - np.array(expected)).max() <= 3, blocks.tolist()


def test_image_folder_with_odd_formats_reads_every_one_as_rgb(tmp_path):
    folder = odd_image_folder(tmp_path / "odd")
    source = open_source(folder)
    frames = list(source)
    assert len(frames) == len(list(folder.iterdir()))
    for frame in frames:
        assert frame.rgb.dtype == np.uint8 and frame.rgb.ndim == 3 and frame.rgb.shape[2] == 3


def odd_image_folder(folder: Path) -> Path:
    """A folder of odd but valid images (also used by the GUI test)."""
    folder.mkdir(parents=True, exist_ok=True)
    bgr = cv2.cvtColor(PATTERN, cv2.COLOR_RGB2BGR)
    (folder / "a_gray.png").write_bytes(_encode(".png", cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)))
    (folder / "b_rgba.png").write_bytes(_encode(".png", cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA)))
    (folder / "c_16bit.png").write_bytes(_encode(".png", bgr.astype(np.uint16) * 257))
    (folder / "d_exif6.jpg").write_bytes(badinputs.jpeg_with_orientation(PATTERN, 6))
    (folder / "e_cmyk.jpg").write_bytes(badinputs.cmyk_jpeg(np.full((6, 8, 4), 60, np.uint8)))
    return folder


# ---------------------------------------------------------------- damaged video

def test_damaged_frames_are_skipped_with_file_positions_kept(tmp_path):
    (flipped,) = badinputs.flipped_videos(data_file("pose_1.mp4"), tmp_path, ((0, 200),))
    source = open_source(flipped.path)
    indices = [frame.index for frame in source]
    assert source.skipped_frames >= 1 and len(indices) == 120 - source.skipped_frames
    assert indices[0] == 0 and indices[-1] == 119 and indices == sorted(set(indices))
    source.seek(60)
    assert source.read().index >= 60


def test_video_that_stops_decoding_raises_instead_of_ending(tmp_path):
    bad = badinputs.truncated_avi(data_file("pose_1.mp4"), tmp_path)
    source = open_source(bad.path)
    assert source.frame_count == 40
    read = []
    with pytest.raises(SourceError, match=r"cut-mjpg.avi: decoding stopped at frame \d+ of 40"):
        while (frame := source.read()) is not None:
            read.append(frame.index)
    assert 5 < len(read) < 38
    source.close()


def test_clean_video_ends_normally_and_loops():
    source = open_source(data_file("pose_1.mp4"))
    assert sum(1 for _ in source) == 120 and source.skipped_frames == 0
    assert source.read() is None
    source.seek(0)
    assert source.read().index == 0
    source.close()


# ---------------------------------------------------------------- non-finite model output

class _NanBackend:
    """Gives NaN for some keypoints on every other frame."""

    name, device = "fake", "fake"

    def __init__(self):
        self.calls = 0

    def invoke(self, model_input):
        self.calls += 1
        out = np.zeros((1, 1, 17, 3), np.float32)
        out[..., 0], out[..., 1], out[..., 2] = 0.5, 0.5, 0.9
        if self.calls % 2 == 0:
            out[0, 0, :9] = np.nan
            out[0, 0, 9:, 2] = np.inf
        return (out,)

    def close(self):
        pass


def test_non_finite_model_output_is_a_model_fault_not_data(monkeypatch):
    """NaN / infinity from the model: one clear error for that frame, never keypoints; the
    trackers are not poisoned, so the next good frame has a finite pose."""
    from movenet_studio.core import pipeline as pipeline_module
    from movenet_studio.core.decoding.output_check import ModelOutputError
    from movenet_studio.core.pipeline import Pipeline
    from movenet_studio.core.pipeline_config import PipelineConfig
    from movenet_studio.core.media.sources import Frame

    monkeypatch.setattr(pipeline_module, "create_backend", lambda *a, **k: _NanBackend())
    pipe = Pipeline(PipelineConfig(model="lightning"))
    rgb = np.zeros((120, 160, 3), np.uint8)
    faults = 0
    for i in range(8):
        try:
            result = pipe.process(Frame(i, i * 33.3, rgb, 0.0))
        except ModelOutputError as exc:
            assert "model fault" in str(exc) and "non-finite" in str(exc) and "\n" not in str(exc)
            faults += 1
            continue
        if result.crop_region is not None:
            assert np.isfinite(result.crop_region.as_tuple()).all()
        for pose in result.poses:
            assert np.isfinite(pose.keypoints).all()
    assert faults == 4
    result = pipe.process(Frame(9, 300.0, rgb, 0.0))
    assert result.poses and np.isfinite(result.poses[0].keypoints).all()


def test_resource_monitor_counts_os_threads():
    from movenet_studio.core.analysis.process_resources import WARM_UP_FRAMES, ResourceMonitor

    monitor = ResourceMonitor()
    for count in range(1, WARM_UP_FRAMES * 3 + 1):
        monitor.frame_done(count)
    figures = monitor.to_json()
    assert figures["os_threads_after_warmup"] >= figures["threads_after_warmup"] >= 1
    assert figures["os_threads_last"] >= 1 and figures["rss_growth_mb"] is not None
    assert "all threads" in monitor.summary()
