"""MultiPose trackers: TF.js behaviour (ported from its unit tests), OKS/IoU, smoothing, and
stable ids on real video (one person; two people side by side)."""

from __future__ import annotations

import contextlib
import io

import cv2
import numpy as np
import pytest
from conftest import data_file
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from movenet_studio.core.decoding.pose import Pose
from movenet_studio.core.media.sources import Frame
from movenet_studio.core.media.opener import open_source
from movenet_studio.core.tracking.track_ids import (BOX_TRACKER_CONFIG, COCO_KEYPOINT_SIGMAS, KEYPOINT_TRACKER_CONFIG,
                                                    BoundingBoxTracker, KeypointTracker, TrackerConfig, box_iou,
                                                    create_tracker, keypoint_area, keypoint_oks)

# The configuration of TF.js keypoint_tracker_test.ts / bounding_box_tracker_test.ts.
KPT_CONFIG = TrackerConfig(max_tracks=4, max_age_ms=1000, min_similarity=0.5, keypoint_confidence=0.2,
                           keypoint_sigmas=(0.1, 0.1, 0.1, 0.1), min_keypoints=2)
BOX_CONFIG = TrackerConfig(max_tracks=4, max_age_ms=1000, min_similarity=0.5)


def kpose(*keypoints, score=1.0) -> Pose:
    """A pose from (x, y, score) keypoints (normalised coordinates)."""
    return Pose(np.array(keypoints, np.float32), score)


def bpose(ymin, xmin, ymax, xmax, score=1.0) -> Pose:
    """A pose with a TF.js-style box (yMin, xMin, yMax, xMax) and no keypoints to speak of."""
    return Pose(np.zeros((17, 3), np.float32), score, box=np.array([xmin, ymin, xmax, ymax], np.float32))


def ids(poses) -> list[int]:
    return [p.track_id for p in poses]


def track_state(tracker) -> list[tuple[int, float]]:
    return [(t.id, t.last_timestamp_ms) for t in tracker.tracks]


# --- TF.js unit tests, ported (timestamps: TF.js microseconds / 1000) ---------------------


def test_keypoint_oks_and_area_as_tfjs():
    pose = np.array([[[0.2, 0.2, 1.0], [0.4, 0.4, 0.8], [0.6, 0.6, 0.1], [0.8, 0.7, 0.8]]])
    track = np.array([[[0.2, 0.2, 1.0], [0.4, 0.4, 0.8], [0.6, 0.6, 0.9], [0.8, 0.8, 0.8]]])
    oks = keypoint_oks(pose, track, KPT_CONFIG.keypoint_sigmas, 0.2, 2)
    area, x, d = (0.8 - 0.2) ** 2, 2 * 0.1, 0.1
    expected = (1 + 1 + np.exp(-d ** 2 / (2 * area * x ** 2))) / 3
    assert oks.shape == (1, 1) and oks[0, 0] == pytest.approx(expected, abs=1e-6)

    pose = np.array([[[0.2, 0.2, 1.0], [0.4, 0.4, 0.1], [0.6, 0.6, 0.9], [0.8, 0.8, 0.8]]])
    track = np.array([[[0.2, 0.2, 1.0], [0.4, 0.4, 0.8], [0.6, 0.6, 0.1], [0.8, 0.8, 0.0]]])
    assert keypoint_oks(pose, track, KPT_CONFIG.keypoint_sigmas, 0.2, 2)[0, 0] == 0.0  # 1 valid < 2

    keypoints = np.array([[0.1, 0.2, 1.0], [0.3, 0.4, 0.9], [0.4, 0.6, 0.9], [0.7, 0.8, 0.1]])
    assert keypoint_area(keypoints, 0.2) == pytest.approx((0.4 - 0.1) * (0.6 - 0.2))
    # TF.js clamps: no confident keypoint gives the whole frame.
    assert keypoint_area(keypoints, 1.0) == pytest.approx(1.0)


def test_keypoint_tracker_sequence_as_tfjs():
    tracker = KeypointTracker(KPT_CONFIG)
    out = tracker.apply([kpose([0.2, 0.2, 1.0], [0.4, 0.4, 0.8], [0.6, 0.6, 0.9], [0.8, 0.8, 0.0])], 0)
    assert ids(out) == [1] and track_state(tracker) == [(1, 0)]

    out = tracker.apply([
        kpose([0.2, 0.2, 1.0], [0.4, 0.4, 0.8], [0.6, 0.6, 0.9], [0.8, 0.8, 0.8], score=0.9),
        kpose([0.8, 0.8, 0.8], [0.6, 0.6, 0.3], [0.4, 0.4, 0.1], [0.2, 0.2, 0.8], score=0.8),
    ], 100)
    assert ids(out) == [1, 2] and track_state(tracker) == [(1, 100), (2, 100)]

    out = tracker.apply([
        kpose([0.6, 0.7, 0.7], [0.5, 0.6, 0.7], [0.0, 0.0, 0.1], [0.2, 0.1, 1.0], score=0.9),
        kpose([0.5, 0.1, 0.6], [0.9, 0.3, 0.6], [0.1, 1.0, 0.9], [0.4, 0.4, 0.1], score=0.8),
    ], 900)
    assert ids(out) == [2, 3] and track_state(tracker) == [(2, 900), (3, 900), (1, 100)]

    # Track 1 is 1100 ms old: gone, so an identical pose becomes track 4.
    out = tracker.apply([
        kpose([0.2, 0.2, 1.0], [0.4, 0.4, 0.8], [0.6, 0.6, 0.9], [0.8, 0.8, 0.8], score=0.9),
        kpose([0.55, 0.7, 0.7], [0.5, 0.6, 0.9], [1.0, 1.0, 0.1], [0.8, 0.1, 0.0], score=0.8),
        kpose([0.1, 0.1, 0.1], [0.2, 0.2, 0.9], [0.3, 0.3, 0.7], [0.4, 0.4, 0.8], score=0.7),
    ], 1200)
    assert ids(out) == [4, 2, 5]
    assert track_state(tracker) == [(2, 1200), (4, 1200), (5, 1200), (3, 900)]

    # max_tracks = 4: the stalest track (3) is dropped.
    out = tracker.apply([kpose([0.1, 0.8, 1.0], [0.2, 0.9, 0.6], [0.2, 0.9, 0.5], [0.8, 0.2, 0.4])], 1300)
    assert ids(out) == [6]
    assert track_state(tracker) == [(6, 1300), (2, 1200), (4, 1200), (5, 1200)]


def test_box_iou_as_tfjs():
    assert box_iou([[0, 0, 2 / 3, 1]], [[1 / 3, 0, 1, 1]])[0, 0] == pytest.approx(1 / 3)
    assert box_iou([[0, 0, 1, 1]], [[0, 0, 1, 1]])[0, 0] == pytest.approx(1.0)
    assert box_iou([[0, 0, 0.5, 0.5]], [[0.5, 0.5, 1, 1]])[0, 0] == 0.0


def test_bounding_box_tracker_sequence_as_tfjs():
    tracker = BoundingBoxTracker(BOX_CONFIG)
    out = tracker.apply([bpose(0, 0, 0.5, 0.5, 0.9), bpose(0, 0, 1, 1, 0.8)], 0)
    assert ids(out) == [1, 2] and track_state(tracker) == [(1, 0), (2, 0)]

    out = tracker.apply([bpose(0.1, 0.1, 0.5, 0.5, 0.9), bpose(0.3, 0.2, 0.9, 0.9, 0.8)], 100)
    assert ids(out) == [1, 3] and track_state(tracker) == [(1, 100), (3, 100), (2, 0)]

    # Track 2 is 1050 ms old: gone, so an identical box becomes track 4.
    out = tracker.apply([bpose(0.1, 0.1, 0.5, 0.55, 0.9), bpose(0, 0, 1, 1, 0.8)], 1050)
    assert ids(out) == [1, 4] and track_state(tracker) == [(1, 1050), (4, 1050), (3, 100)]


# --- more tracker semantics -------------------------------------------------------------


def test_tfjs_defaults():
    assert (BOX_TRACKER_CONFIG.max_tracks, BOX_TRACKER_CONFIG.max_age_ms, BOX_TRACKER_CONFIG.min_similarity) == (18, 1000, 0.15)
    c = KEYPOINT_TRACKER_CONFIG
    assert (c.max_tracks, c.max_age_ms, c.min_similarity, c.keypoint_confidence, c.min_keypoints) == (18, 1000, 0.2, 0.3, 4)
    assert len(c.keypoint_sigmas) == 17 and c.keypoint_sigmas[0] == 0.026 and c.keypoint_sigmas[-1] == 0.089


def test_max_age_is_inclusive_and_in_milliseconds():
    tracker = BoundingBoxTracker(BOX_CONFIG)
    tracker.apply([bpose(0, 0, 1, 1)], 0)
    assert ids(tracker.apply([bpose(0, 0, 1, 1)], 1000)) == [1]      # exactly max age: kept
    assert ids(tracker.apply([bpose(0, 0, 1, 1)], 2000.5)) == [2]    # 1000.5 ms: expired
    tracker.apply([], 3500)                                           # an empty frame expires it too
    assert tracker.tracks == ()


def test_greedy_assignment_visits_confident_detections_first():
    tracker = BoundingBoxTracker(BOX_CONFIG)
    tracker.apply([bpose(0, 0, 1, 1)], 0)
    # Both detections match track 1; the more confident one gets it even though it comes second.
    out = tracker.apply([bpose(0, 0, 1, 0.9, score=0.3), bpose(0, 0, 1, 0.8, score=0.7)], 10)
    assert ids(out) == [2, 1]
    # Ties go to the track earlier in the list (the most recently linked).
    tracker = BoundingBoxTracker(BOX_CONFIG)
    tracker.apply([bpose(0, 0, 1, 0.6, 0.9), bpose(0, 0.4, 1, 1, 0.8)], 0)
    assert ids(tracker.apply([bpose(0, 0.2, 1, 0.8)], 10)) == [1]


def test_ids_are_never_reused_within_a_run_and_restart_after_reset():
    tracker = create_tracker("boxes", smoothing=False)
    tracker.apply([bpose(0, 0, 1, 1)], 0)
    tracker.remove(1)
    assert ids(tracker.apply([bpose(0, 0, 1, 1)], 10)) == [2]
    tracker.reset()
    assert tracker.tracks == ()
    assert ids(tracker.apply([bpose(0, 0, 1, 1)], 20)) == [1]


def test_max_tracks_keeps_the_freshest():
    tracker = BoundingBoxTracker(TrackerConfig(max_tracks=2))
    tracker.apply([bpose(0, 0, 0.1, 0.1)], 0)
    tracker.apply([bpose(0.5, 0.5, 0.6, 0.6)], 10)
    tracker.apply([bpose(0.8, 0.8, 0.9, 0.9)], 20)
    assert [t.id for t in tracker.tracks] == [3, 2]


def test_keypoint_tracker_normalises_pixels_by_frame_size():
    # The same scene in pixels of a 640x480 frame and normalised: same ids.
    rng = np.random.default_rng(0)
    base = rng.uniform(0.2, 0.8, (17, 2))
    moved = base + 0.01
    other = base[::-1] * 0.5
    scale = np.array([640, 480])

    def scene(points, pixels):
        xy = points * scale if pixels else points
        return Pose(np.concatenate([xy, np.full((17, 1), 0.9)], 1).astype(np.float32), 0.9)

    for pixels in (False, True):
        tracker = KeypointTracker()
        size = (480, 640) if pixels else None
        tracker.apply([scene(base, pixels)], 0, size)
        assert ids(tracker.apply([scene(other, pixels), scene(moved, pixels)], 33, size)) == [2, 1]


def test_keypoint_oks_matches_pycocotools():
    """With every keypoint confident, TF.js OKS is COCO's OKS with area = the track's keypoint box."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    rng = np.random.default_rng(1)
    track = np.concatenate([rng.uniform(0.2, 0.8, (17, 2)), np.full((17, 1), 0.9)], 1)
    dets = np.stack([np.concatenate([track[:, :2] + rng.normal(0, s, (17, 2)), np.full((17, 1), 0.9)], 1)
                     for s in (0.005, 0.02, 0.05)])
    area = keypoint_area(track, 0.3) + 1e-6
    ours = keypoint_oks(dets, track[None], COCO_KEYPOINT_SIGMAS, 0.3, 4)[:, 0]

    gt_kp = np.concatenate([track[:, :2], np.full((17, 1), 2)], 1)
    dataset = {"images": [{"id": 1, "width": 1, "height": 1}], "categories": [{"id": 1, "name": "person"}],
               "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": area,
                                "num_keypoints": 17, "bbox": [0.2, 0.2, 0.6, 0.6],
                                "keypoints": gt_kp.ravel().tolist()}]}
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = dataset
        gt.createIndex()
        dt = gt.loadRes([{"image_id": 1, "category_id": 1, "score": 1.0 - i / 10,
                          "keypoints": np.concatenate([d[:, :2], np.ones((17, 1))], 1).ravel().tolist()}
                         for i, d in enumerate(dets)])
        evaluation = COCOeval(gt, dt, "keypoints")
        evaluation.evaluate()
    coco = np.asarray(evaluation.ious[(1, 1)])[:, 0]  # detections sorted by score: same order
    np.testing.assert_allclose(ours, coco, rtol=1e-6)
    assert ours[0] > ours[1] > ours[2]


@settings(max_examples=100, deadline=None)
@given(arrays(np.float64, (3, 4), elements=st.floats(0, 100)), arrays(np.float64, (2, 4), elements=st.floats(0, 100)),
       st.floats(0.1, 10), st.floats(0.1, 10))
def test_box_iou_properties(a, b, sx, sy):
    a = np.concatenate([np.minimum(a[:, :2], a[:, 2:]), np.maximum(a[:, :2], a[:, 2:])], 1)
    b = np.concatenate([np.minimum(b[:, :2], b[:, 2:]), np.maximum(b[:, :2], b[:, 2:])], 1)
    iou = box_iou(a, b)
    assert iou.shape == (3, 2) and ((iou >= 0) & (iou <= 1 + 1e-12)).all()
    np.testing.assert_allclose(iou, box_iou(b, a).T)
    scale = np.array([sx, sy, sx, sy])
    np.testing.assert_allclose(box_iou(a * scale, b * scale), iou, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(arrays(np.float64, (2, 17, 3), elements=st.floats(0, 1)), arrays(np.float64, (3, 17, 3), elements=st.floats(0, 1)))
def test_keypoint_oks_properties(p, t):
    oks = keypoint_oks(p, t, COCO_KEYPOINT_SIGMAS)
    assert oks.shape == (2, 3) and ((oks >= 0) & (oks <= 1)).all()
    self_oks = keypoint_oks(t, t, COCO_KEYPOINT_SIGMAS).diagonal()
    enough = ((t[:, :, 2] >= 0.3).sum(axis=1) >= 4)
    np.testing.assert_allclose(self_oks[enough], 1.0)
    assert (self_oks[~enough] == 0).all()


def test_per_track_smoothing_keeps_raw_keypoints_in_tracks():
    tracker = create_tracker("keypoints", smoothing=True)
    frame_size = (480, 640)
    base = np.concatenate([np.random.default_rng(2).uniform(100, 400, (17, 2)), np.full((17, 1), 0.9)], 1)
    first = tracker.apply([Pose(base.astype(np.float32), 0.9)], 1000, frame_size)
    np.testing.assert_allclose(first[0].keypoints, base, atol=1e-3)  # a new filter passes the first frame
    moved = base.copy()
    moved[:, 0] += 6.0
    second = tracker.apply([Pose(moved.astype(np.float32), 0.9)], 1033, frame_size)
    assert second[0].track_id == 1
    shift = second[0].keypoints[:, 0] - base[:, 0]
    assert (shift > 0).all() and (shift < 6.0 - 1e-3).all()  # smoothed: lags behind the raw jump
    np.testing.assert_array_equal(second[0].scores, moved[:, 2].astype(np.float32))
    np.testing.assert_allclose(tracker.tracks[0].keypoints, moved, atol=1e-4)  # the track holds raw keypoints


def test_create_tracker_kinds_and_errors():
    assert create_tracker("none") is None
    assert isinstance(create_tracker("boxes"), BoundingBoxTracker)
    assert isinstance(create_tracker("Keypoints"), KeypointTracker)
    with pytest.raises(ValueError):
        create_tracker("hungarian")
    with pytest.raises(ValueError):
        BoundingBoxTracker(TrackerConfig(max_tracks=0))
    with pytest.raises(ValueError):
        KeypointTracker(TrackerConfig(keypoint_confidence=1.5))


def test_box_tracker_needs_boxes():
    tracker = BoundingBoxTracker()
    with pytest.raises(ValueError):
        tracker.apply([kpose(*[[0.1, 0.1, 1.0]] * 17)], 0)
    tracker.apply([bpose(0, 0, 1, 1)], 0)
    with pytest.raises(ValueError):
        tracker.apply([kpose(*[[0.1, 0.1, 1.0]] * 17)], 10)


# --- real model and video ---------------------------------------------------------------


def _frames(name: str) -> list[Frame]:
    with open_source(data_file(name)) as source:
        return list(source)


@pytest.mark.parametrize("kind", ["boxes", "keypoints"])
def test_one_person_keeps_one_id_through_the_squats(loaded_pipeline, kind):
    frames = _frames("pose_squats.mp4")
    pipeline = loaded_pipeline(model="multipose", tracker=kind)
    seen = [[p.track_id for p in pipeline.process(frame).poses] for frame in frames]
    assert all(len(ids_) >= 1 for ids_ in seen), "the person is found in every frame"
    assert {ids_[0] for ids_ in seen} == {1}  # the most confident pose is always track 1
    assert all(i == 1 for ids_ in seen for i in ids_)


def test_two_people_side_by_side_keep_their_ids_and_expire_after_max_age(loaded_pipeline):
    """Squats (left) next to the dancer of pose_1.mp4 (right, scaled to the same height); the
    right person leaves for 300 ms (ids kept) and later for 1.2 s (more than max age: new id)."""
    squats = _frames("pose_squats.mp4")
    dance = _frames("pose_1.mp4")
    height = squats[0].rgb.shape[0]
    pipeline = loaded_pipeline(model="multipose", tracker="boxes")
    short_gap, long_gap = range(12, 15), range(24, 36)
    left_ids, right_ids = [], []
    for i in range(40):
        right = cv2.resize(dance[(2 * i) % len(dance)].rgb, (height, height))
        if i in short_gap or i in long_gap:
            right = np.zeros_like(right)
        image = np.ascontiguousarray(np.concatenate([squats[i].rgb, right], axis=1))
        poses = pipeline.process(Frame(i, i * 100.0, image, 0.0)).poses  # 10 fps
        split = squats[0].rgb.shape[1]
        left = [p.track_id for p in poses if (p.box[0] + p.box[2]) / 2 < split]
        rightside = [p.track_id for p in poses if (p.box[0] + p.box[2]) / 2 >= split]
        assert len(left) == 1, f"frame {i}: left person found once"
        assert len(rightside) == (0 if i in short_gap or i in long_gap else 1), f"frame {i}"
        left_ids.append(left[0])
        right_ids.append(rightside[0] if rightside else None)
    assert len(set(left_ids)) == 1
    before, between, after = right_ids[:12], right_ids[15:24], right_ids[36:]
    assert len(set(before)) == 1 and set(between) == set(before)  # 300 ms away: same id
    assert len(set(after)) == 1 and after[0] not in set(before) | set(left_ids)  # 1.2 s away: a new id
    assert after[0] == max(set(before) | set(left_ids)) + 1


def test_pipeline_reset_drops_tracks(loaded_pipeline):
    frame = _frames("pose_squats.mp4")[0]
    pipeline = loaded_pipeline(model="multipose")
    assert [p.track_id for p in pipeline.process(frame).poses][0] == 1
    pipeline.reset()
    # Same frame again after a reset: a new run, numbered from 1 again.
    assert [p.track_id for p in pipeline.process(frame).poses][0] == 1
