"""Test helpers: the shared test media as model inputs, and locating graph tensors by topology.

No fixtures and no side effects at import; tests call these and skip when media is absent,
or fail when ``MOVENET_STUDIO_REQUIRE_MEDIA=1`` (CI sets it: there, missing media is a broken
checkout, not a reason to skip).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import os

import cv2
import numpy as np
import pytest

from movenet_studio.core.preprocessing.letterbox import letterbox
from movenet_studio.core.preprocessing.mapping import InputMapping

SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"
DATA_DIR = SHARED_DIR / "data"
SAMPLES_DIR = Path(__file__).resolve().parents[1] / "resources" / "samples"


def missing(what: str) -> None:
    """Skip the calling test because `what` is absent, or fail it when media is required."""
    if os.environ.get("MOVENET_STUDIO_REQUIRE_MEDIA") == "1":
        pytest.fail(f"{what} (MOVENET_STUDIO_REQUIRE_MEDIA=1)", pytrace=False)
    pytest.skip(what)


def shared_path(relative: str) -> Path:
    """Path of ``../shared/<relative>`` (a file or folder, e.g. ``models/zoo/x.tflite``);
    skips the calling test when it is absent (fails under MOVENET_STUDIO_REQUIRE_MEDIA=1)."""
    path = SHARED_DIR / relative
    if not path.exists():
        missing(f"{relative} not found in {SHARED_DIR}")
    return path


def media_path(name: str) -> Path:
    """Path of a bundled sample (``resources/samples/<name>``) or ``../shared/data/<name>``;
    skips the calling test when it is absent (fails under MOVENET_STUDIO_REQUIRE_MEDIA=1)."""
    if name and (SAMPLES_DIR / name).is_file():
        return SAMPLES_DIR / name
    return shared_path(f"data/{name}")


def video_frames(video: str | Path) -> Iterator[np.ndarray]:
    """Yield every frame of a video as uint8 [H, W, 3] RGB: `video` is a path, or the name of a
    file in the media folder (skips when absent)."""
    capture = cv2.VideoCapture(str(video if isinstance(video, Path) else media_path(video)))
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
