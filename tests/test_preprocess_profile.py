"""The preprocessing profile (channel order, resize mode, interpolation) and its CLI options."""

from __future__ import annotations

import numpy as np
import pytest

from movenet_studio.core.pipeline import Pipeline
from movenet_studio.core.pipeline_config import PipelineConfig
from movenet_studio.core.preprocessing.profile import PreprocessProfile, prepare_model_input, prepare_multipose_input
from movenet_studio.core.media.sources import Frame


def _frame(height: int = 60, width: int = 100) -> np.ndarray:
    frame = np.zeros((height, width, 3), np.uint8)
    frame[..., 0] = 200  # red
    frame[10:20, 70:80] = (0, 255, 0)  # a green block
    return frame


@pytest.mark.parametrize("resize", ["letterbox", "stretch", "centre-crop"])
@pytest.mark.parametrize("interpolation", ["auto", "bilinear", "nearest", "area"])
def test_mapping_takes_model_input_pixels_back_to_the_frame(resize, interpolation):
    frame = _frame()
    image, mapping = prepare_model_input(frame, (32, 32), PreprocessProfile("rgb", resize, interpolation))
    assert image.shape == (32, 32, 3) and image.dtype == np.uint8
    # The green block's centre in the model input maps back onto the block in the frame.
    ys, xs = np.nonzero(image[..., 1] > 128)
    if resize == "centre-crop":
        assert ys.size  # the block (x 70..80) lies inside the centred 60 x 60 square (x 20..80)
    centre = mapping.to_frame(np.array([[(ys.mean() + 0.5) / 32, (xs.mean() + 0.5) / 32]]))[0]
    assert abs(centre[0] - 75) < 3 and abs(centre[1] - 15) < 3


def test_stretch_fills_the_input_and_bgr_swaps_red_and_blue():
    image, mapping = prepare_model_input(_frame(), (32, 32), PreprocessProfile("bgr", "stretch", "nearest"))
    assert mapping.box == (0.0, 0.0, 1.0, 1.0)
    assert image[0, 0].tolist() == [0, 0, 200]  # red became the last channel
    with pytest.raises(ValueError, match="resize 'squash'"):
        PreprocessProfile(resize="squash")


def test_pipeline_follows_the_profile_and_turns_crop_tracking_off():
    profile = PreprocessProfile("bgr", "stretch", "nearest")
    pipeline = Pipeline(PipelineConfig(model="lightning", preprocess=profile))
    try:
        frame = Frame(0, 0.0, _frame(120, 200), 0.0)
        result = pipeline.process(frame)
        expected, _ = prepare_model_input(frame.rgb, (192, 192), profile)
        assert np.array_equal(result.model_input, expected)  # exactly what the profile makes, BGR
        assert result.crop_region is None and result.mapping.box == (0.0, 0.0, 1.0, 1.0)
        assert pipeline.process(Frame(1, 33.0, _frame(120, 200), 0.0)).crop_region is None
    finally:
        pipeline.close()


def test_multipose_follows_the_profile():
    import cv2

    from conftest import data_file
    from movenet_studio.core.preprocessing.multipose_input import preprocess_multipose

    rgb = cv2.cvtColor(cv2.imread(str(data_file("pose.jpg"))), cv2.COLOR_BGR2RGB)
    frame = Frame(0, 0.0, rgb, 0.0, still=True)
    people = {}
    for profile in (PreprocessProfile(), PreprocessProfile("bgr", "stretch", "nearest"),
                    PreprocessProfile("rgb", "letterbox", "nearest")):
        pipeline = Pipeline(PipelineConfig(model="multipose", tracker="none", smoothing=False, preprocess=profile))
        try:
            result = pipeline.process(frame)
            size = pipeline.input_size(rgb.shape)
        finally:
            pipeline.close()
        expected, mapping = prepare_multipose_input(rgb, size, profile)
        assert np.array_equal(result.model_input, expected) and result.mapping.box == mapping.box
        people[profile.describe()] = max(result.poses, key=lambda p: p.score).keypoints
    default = preprocess_multipose(rgb, size)[0]
    assert np.array_equal(prepare_multipose_input(rgb, size, PreprocessProfile())[0], default)  # as before
    nearest = preprocess_multipose(rgb, size, cv2.INTER_NEAREST)[0]
    assert np.array_equal(prepare_multipose_input(rgb, size, PreprocessProfile(interpolation="nearest"))[0], nearest)
    assert not np.array_equal(nearest, default)
    # The stretched BGR input maps back onto the same person: keypoints within a few pixels.
    a, b = people["RGB, letterbox, auto"], people["BGR, stretch, nearest"]
    confident = (a[:, 2] > 0.3) & (b[:, 2] > 0.3)
    assert confident.sum() >= 10
    assert np.median(np.hypot(*(a[confident, :2] - b[confident, :2]).T)) < 0.015 * max(rgb.shape[:2])  # 4.5 px of 1000


def test_cli_options_reach_the_pipeline_config():
    import argparse

    from movenet_studio.cli.options import add_pipeline_options, config_from_args

    parser = argparse.ArgumentParser()
    add_pipeline_options(parser)
    args = parser.parse_args(["--channels", "bgr", "--resize", "stretch", "--interpolation", "nearest",
                              "--input-range=-1..1"])
    config = config_from_args(args)
    assert config.preprocess == PreprocessProfile("bgr", "stretch", "nearest")
    assert config.input_range == (-1.0, 1.0)
    assert config_from_args(parser.parse_args([])).preprocess.is_default
