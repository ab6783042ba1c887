"""The pipeline on real models and media: keypoints land on the person and follow the dancer."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import PROJECT_ROOT, data_file
from movenet_studio.core.decoding.keypoints import KEYPOINT_INDEX, KEYPOINT_NAMES
from movenet_studio.core.frame_result import STAGES
from movenet_studio.core.pipeline import Pipeline
from movenet_studio.core.pipeline_config import PipelineConfig
from movenet_studio.core.preprocessing.letterbox import letterbox
from movenet_studio.core.media.sources import Frame
from movenet_studio.core.media.opener import open_source

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
@pytest.mark.parametrize("crop", [True, False])
def test_keypoints_on_pose_jpg_land_on_the_person(loaded_pipeline, model, crop):
    pipeline = loaded_pipeline(model=model, crop=crop)
    frame = next(iter(open_source(data_file("pose.jpg"))))
    result = pipeline.process(frame)
    (pose,) = result.poses
    for name, expected in HAND_CHECKED_POSE_JPG.items():
        x, y, score = pose.keypoints[KEYPOINT_INDEX[name]]
        assert np.hypot(x - expected[0], y - expected[1]) < 30, (model, name, x, y)
        assert score > 0.25  # (thunder-int8's left ankle: 0.27 on the refined still crop, 11 px off)
    assert pose.score > 0.5
    assert set(STAGES) - {"heads"} <= set(result.timings_ms) and result.timings_ms["total"] > 0
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


def test_letterbox_on_pose_1_tracks_the_reference(loaded_pipeline):
    """Whole-frame letterbox, no crop tracking or smoothing: the foundation's bound."""
    reference = json.loads(data_file("pose_1.json").read_text())
    pipeline = loaded_pipeline(model="lightning", crop=False, smoothing=False)
    distances = []
    with open_source(data_file("pose_1.mp4")) as source:
        for frame in source:
            (pose,) = pipeline.process(frame).poses
            expected = np.array([[reference[frame.index][n]["x"], reference[frame.index][n]["y"]] for n in KEYPOINT_NAMES])
            distances.append(np.linalg.norm(pose.xy - expected, axis=1))
    distances = np.array(distances)
    assert distances.shape == (120, 17)
    assert distances.mean() <= 14.0, distances.mean()


def _distances_to_tfjs(pipeline: Pipeline) -> np.ndarray:
    reference = json.loads(data_file("pose_1_tfjs_lightning.json").read_text())
    distances = []
    with open_source(data_file("pose_1.mp4")) as source:
        for frame in source:
            result = pipeline.process(frame)
            expected = reference[frame.index]
            assert bool(result.poses) == bool(expected), frame.index
            if expected:
                xy = np.array([[k["x"], k["y"]] for k in expected[0]["keypoints"]])
                distances.append(np.linalg.norm(result.poses[0].xy - xy, axis=1))
    return np.array(distances)


def test_crop_tracking_and_smoothing_match_google_tfjs(loaded_pipeline):
    """The default pipeline against Google's TF.js MoveNet rerun on the same frames."""
    both = _distances_to_tfjs(loaded_pipeline(model="lightning"))
    assert both.shape == (120, 17)
    # 0.357 px mean since the TF.js-exact crop (core/preprocessing/crop_numpy.py); above 0.5 something moved.
    assert both.mean() <= 0.5 and np.percentile(both, 95) <= 5.0, (both.mean(), np.percentile(both, 95))
    crop_only = _distances_to_tfjs(loaded_pipeline(model="lightning", smoothing=False))
    assert both.mean() < crop_only.mean()  # the smoother is TF.js's, so it brings us closer


def test_crop_region_follows_the_person_and_resets(loaded_pipeline):
    pipeline = loaded_pipeline(model="thunder")
    with open_source(data_file("pose_squats.mp4")) as source:
        results = [pipeline.process(frame) for frame in source]
    first, later = results[0], results[10]
    height, width = first.frame.shape[:2]
    # First frame: the centred square of the portrait frame; later: a square around the woman.
    assert first.crop_region.as_tuple() == pytest.approx(
        ((height - width) / 2 / height, 0.0, (height + width) / 2 / height, 1.0))
    x0, y0, x1, y1 = later.crop_region.to_pixels(height, width)
    assert abs((x1 - x0) - (y1 - y0)) < 2  # square in pixels
    hips = later.poses[0].xy[[11, 12]].mean(axis=0)
    assert x0 < hips[0] < x1 and y0 < hips[1] < y1
    assert later.crop_measurement.torso_visible and not later.tracker_reset
    assert later.mapping.box == later.crop_region.as_tuple()
    blank = Frame(999, 99_999.0, np.zeros((height, width, 3), np.uint8), 0.0)
    reset = pipeline.process(blank)
    assert reset.tracker_reset and reset.poses == ()


def test_heads_only_when_asked_and_decode_reproduces_the_output(loaded_pipeline):
    frame = next(iter(open_source(data_file("pose.jpg"))))
    plain = loaded_pipeline(model="lightning").process(frame)
    assert plain.heads is None and plain.decode is None and "heads" not in plain.timings_ms
    pipeline = loaded_pipeline(model="lightning", heads=True)
    assert pipeline.heads_available
    result = pipeline.process(frame)
    assert result.heads.keypoint_heatmaps.shape == (48, 48, 17) and "heads" in result.timings_ms
    assert np.abs(result.decode.keypoints - result.raw_output.reshape(17, 3)).max() <= 1e-3
    assert np.array_equal(plain.raw_output, result.raw_output)


def test_photos_of_a_folder_are_independent_stills(loaded_pipeline):
    """Each photo of a folder starts from the initial crop region, as a single image does."""
    from movenet_studio.core.media.sources import ImageFolderSource

    folder = ImageFolderSource(data_file("coco_mini"))
    frames = list(folder)
    assert all(f.still for f in frames)
    pipeline = loaded_pipeline(model="lightning")
    in_sequence = [pipeline.process(f) for f in frames]
    alone = [Pipeline(PipelineConfig(model="lightning")).process(f) for f in frames]
    for a, b in zip(in_sequence, alone):
        assert a.crop_region == b.crop_region
        assert np.array_equal(a.raw_output, b.raw_output)


def test_switching_heads_keeps_the_track():
    """set_heads switches head reading mid-video without resetting the crop tracker or the
    filters: a run that switches heads on and off lands exactly where a run without heads does,
    and with_heads adds the heads of a result without changing it."""
    frames = list(open_source(data_file("pose_1.mp4")))[:24]
    plain, switched = Pipeline(PipelineConfig(model="lightning")), Pipeline(PipelineConfig(model="lightning"))
    for i, frame in enumerate(frames):
        if i % 8 == 4:
            switched.set_heads(not switched.config.heads)
        a, b = plain.process(frame), switched.process(frame)
        np.testing.assert_array_equal(a.poses[0].keypoints, b.poses[0].keypoints)
        assert a.crop_region == b.crop_region
        assert (b.heads is not None) == switched.config.heads
    switched.set_heads(True)
    again = switched.with_heads(frames[-1], a)
    assert again.heads is not None and again.decode is not None
    assert again.poses is a.poses and again.crop_region == a.crop_region and again.crop_measurement == a.crop_measurement
    np.testing.assert_array_equal(again.decode.keypoints[:, :2], a.raw_output.reshape(17, 3)[:, :2])


def test_crop_kernel_is_ready_when_the_pipeline_is_built():
    """Building a crop-tracking pipeline compiles the crop kernel (or loads it from numba's
    cache), so the first frame compiles nothing; in a fresh process, as a realtime player starts."""
    code = ("import sys\n"
            "from movenet_studio.core.preprocessing import crop_kernel\n"
            "from movenet_studio.core.pipeline import Pipeline, PipelineConfig\n"
            "from movenet_studio.core.media.opener import open_source\n"
            "pipeline = Pipeline(PipelineConfig(model='lightning'))\n"
            "ready = list(crop_kernel.crop_into.signatures)\n"
            "with open_source(sys.argv[1]) as source:\n"
            "    pipeline.process(source.read())\n"
            "print(len(ready), ready == list(crop_kernel.crop_into.signatures))\n")
    proc = subprocess.run([sys.executable, "-c", code, str(data_file("pose_1.mp4"))], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["1", "True"]
