"""The pipeline on real models and media: keypoints land on the person and follow the dancer."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import data_file
from movenet_studio.core.keypoints import KEYPOINT_INDEX, KEYPOINT_NAMES
from movenet_studio.core.pipeline import STAGES, Pipeline, PipelineConfig
from movenet_studio.core.preprocess import letterbox
from movenet_studio.core.sources import open_source

#: Positions read off pose.jpg by eye (x, y in pixels), from the annotated image.
HAND_CHECKED_POSE_JPG = {
    "nose": (462, 280),
    "left_wrist": (700, 312),    # the person's left: image right
    "right_wrist": (310, 307),
    "left_hip": (515, 462),
    "right_hip": (468, 460),
    "left_ankle": (715, 622),
    "right_ankle": (345, 618),
}


@pytest.mark.parametrize("model", ["lightning", "thunder", "lightning-int8", "thunder-int8"])
def test_keypoints_on_pose_jpg_land_on_the_person(model):
    pipeline = Pipeline(PipelineConfig(model=model))
    frame = next(iter(open_source(data_file("pose.jpg"))))
    result = pipeline.process(frame)
    (pose,) = result.poses
    for name, expected in HAND_CHECKED_POSE_JPG.items():
        x, y, score = pose.keypoints[KEYPOINT_INDEX[name]]
        assert np.hypot(x - expected[0], y - expected[1]) < 30, (model, name, x, y)
        assert score > 0.3
    assert pose.score > 0.5
    assert set(STAGES) <= set(result.timings_ms) and result.timings_ms["total"] > 0
    assert result.model_input.shape == (*pipeline.model.input_size, 3)


def test_letterbox_mapping_is_exact_for_a_drawn_point():
    frame = np.zeros((300, 500, 3), np.uint8)
    frame[100:104, 400:404] = 255  # a bright 4x4 square centred at (402, 102) in pixel-centre coordinates
    image, mapping = letterbox(frame, (192, 192))
    ys, xs = np.nonzero(image[..., 0] > 60)
    centre_yx_norm = np.array([(ys.mean() + 0.5) / 192, (xs.mean() + 0.5) / 192])
    x, y = mapping.to_frame(centre_yx_norm)
    assert abs(x - 402) < 1.5 and abs(y - 102) < 1.5
    assert np.allclose(mapping.from_frame(mapping.to_frame(np.array([0.3, 0.7]))), [0.3, 0.7])


def test_infer_on_pose_1_tracks_the_reference():
    reference = json.loads(data_file("pose_1.json").read_text())
    pipeline = Pipeline(PipelineConfig(model="lightning"))
    distances = []
    with open_source(data_file("pose_1.mp4")) as source:
        for frame in source:
            (pose,) = pipeline.process(frame).poses
            expected = np.array([[reference[frame.index][n]["x"], reference[frame.index][n]["y"]] for n in KEYPOINT_NAMES])
            distances.append(np.linalg.norm(pose.xy - expected, axis=1))
    distances = np.array(distances)
    assert distances.shape == (120, 17)
    assert distances.mean() <= 14.0, distances.mean()
