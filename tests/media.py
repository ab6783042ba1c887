"""Test helpers: the shared test media as model inputs, and locating graph tensors by topology.

No fixtures and no side effects at import; tests call these and skip when media is absent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import cv2
import numpy as np
import pytest

from movenet_studio.core.preprocess import InputMapping, letterbox

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
SAMPLES_DIR = Path(__file__).resolve().parents[1] / "resources" / "samples"


def media_path(name: str) -> Path:
    """Path of a bundled sample (``resources/samples/<name>``) or ``../shared/data/<name>``;
    skips the calling test when it is absent."""
    if (SAMPLES_DIR / name).is_file():
        return SAMPLES_DIR / name
    path = DATA_DIR / name
    if not path.is_file():
        pytest.skip(f"test media {name} not found in {DATA_DIR}")
    return path


def video_frames(name: str) -> Iterator[np.ndarray]:
    """Yield every frame of a video in the media folder as uint8 [H, W, 3] RGB (skips when absent)."""
    capture = cv2.VideoCapture(str(media_path(name)))
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    finally:
        capture.release()


def image(name: str) -> np.ndarray:
    """An image of the media folder as uint8 [H, W, 3] RGB (skips when absent)."""
    frame = cv2.imread(str(media_path(name)))
    if frame is None:
        pytest.skip(f"{name}: not decodable")
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def letterboxed_media(input_size: tuple[int, int]) -> list[tuple[np.ndarray, InputMapping]]:
    """All 120 frames of pose_1.mp4 plus pose.jpg, letterboxed to `input_size` (skips when absent)."""
    inputs = [letterbox(frame, input_size) for frame in video_frames("pose_1.mp4")]
    if len(inputs) != 120:
        pytest.skip(f"pose_1.mp4: decoded {len(inputs)} frames, expected 120")
    return inputs + [letterbox(image("pose.jpg"), input_size)]


def argmax_outputs(interpreter) -> dict[int, int]:
    """The graph's ARG_MAX output tensors, keyed by their number of outputs (1: centre, 17: keypoints)."""
    details = {d["index"]: d for d in interpreter.get_tensor_details()}
    found = {}
    for op in interpreter._get_ops_details():
        if op["op_name"] == "ARG_MAX":
            out = int(op["outputs"][0])
            found[int(np.prod(details[out]["shape"]))] = out
    return found
