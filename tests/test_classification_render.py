"""The classification layer of the renderer (exports and Save frame) and export --classifier."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from classifiers import ORDER_LABELS, shared_classifier
from conftest import data_file
from media import video_frames
from movenet_studio.cli import main
from movenet_studio.core.classify.classification import Classification, FrameClassification
from movenet_studio.core.drawing.classification_render import (
    COUNTER_BACKGROUND, LABEL_BACKGROUND, caption_anchor, counter_caption, pose_caption,
)
from movenet_studio.core.decoding.keypoints import NUM_KEYPOINTS
from movenet_studio.core.decoding.pose import Pose
from movenet_studio.core.preprocessing.letterbox import letterbox
from movenet_studio.core.drawing.render import render_overlays
from movenet_studio.core.drawing.overlay_options import OverlayOptions
from movenet_studio.core.drawing.render_layers import unavailable_overlays


def _result(classification, frame_hw=(240, 320)):
    frame = np.zeros((*frame_hw, 3), np.uint8)
    model_input, mapping = letterbox(frame, (192, 192))
    kp = np.zeros((NUM_KEYPOINTS, 3), np.float32)
    kp[:, 0], kp[:, 1], kp[:, 2] = np.linspace(120, 200, 17), np.linspace(100, 220, 17), 0.9
    return SimpleNamespace(index=0, timestamp_ms=0.0, frame=frame, poses=(Pose(kp, 0.9),), timings_ms={"total": 1.0},
                           model_input=model_input, mapping=mapping, raw_output=np.zeros((1, 1, 17, 3), np.float32),
                           model_key="lightning-float16", classification=classification)


def _classified(inside: bool = False, counted: str | None = "wide") -> FrameClassification:
    answer = Classification(ORDER_LABELS, np.array([0.75, 0.25], np.float32), "xy")
    return FrameClassification((answer,), (), "xy", counted, 2 if counted else None, inside, 0)


def _has_colour(image: np.ndarray, colour, region=None) -> bool:
    """True when some pixel is the caption background blended at 65 % over black."""
    target = np.asarray(colour, np.float32) * 0.65
    patch = image if region is None else image[region]
    return bool((np.abs(patch.astype(np.float32) - target).max(axis=-1) <= 2).any())


def test_captions_and_anchor():
    frame = _classified()
    assert pose_caption(frame.poses[0]) == "wide 0.75" and counter_caption(frame) == "wide reps: 2"
    assert counter_caption(_classified(counted=None)) is None
    nan = Classification(ORDER_LABELS, np.array([np.nan, np.nan], np.float32), "xy")
    assert pose_caption(nan) == "?" and nan.label is None
    pose = _result(None).poses[0]
    assert caption_anchor(pose, 0.3) == pytest.approx((160.0, 100.0))   # centred above the highest keypoint
    assert caption_anchor(Pose(np.zeros((17, 3), np.float32), 0.0), 0.3) is None


def test_label_drawn_above_the_pose_and_counter_top_right():
    result = _result(_classified(inside=True))
    image = render_overlays(result.frame, result, OverlayOptions.from_names("classification"))
    above = (slice(60, 100), slice(100, 220))           # just above the highest keypoint (y = 100)
    assert _has_colour(image, LABEL_BACKGROUND, above)
    assert _has_colour(image, COUNTER_BACKGROUND, (slice(0, 40), slice(160, 320)))
    assert not image[110:, :].any()                     # nothing else drawn: skeleton and dots are off
    out = render_overlays(result.frame, _result(_classified(inside=False)), OverlayOptions.from_names("classification"))
    assert not _has_colour(out, COUNTER_BACKGROUND) and _has_colour(out, LABEL_BACKGROUND, (slice(0, 40), slice(160, 320)))


def test_layer_off_or_missing_draws_nothing():
    result = _result(_classified())
    assert not render_overlays(result.frame, result, OverlayOptions.from_names("")).any()
    bare = _result(None)
    assert not render_overlays(bare.frame, bare, OverlayOptions.from_names("classification")).any()
    assert unavailable_overlays(bare, OverlayOptions.from_names("classification")) == ("classification",)
    assert unavailable_overlays(result, OverlayOptions.from_names("classification")) == ()


def test_export_draws_the_label_and_counts(tmp_path, capsys):
    source = data_file("pose_squats.mp4")
    classifier, labels = shared_classifier("tflite")
    out = tmp_path / "squats.mp4"
    code = main(["export", str(source), "--out", str(out), "--frames", "30:38", "-q", "--classifier", str(classifier),
                 "--labels", str(labels), "--count", "squat"])
    printed = capsys.readouterr().out
    assert code == 0 and "squat repetitions: 1" in printed
    frames = list(video_frames(out))
    assert len(frames) == 8
    corner = frames[5][4:40, -150:-14].astype(np.int32)     # "squat reps: 1" on orange while squatting
    assert np.median(corner[..., 0] - corner[..., 2]) > 80
