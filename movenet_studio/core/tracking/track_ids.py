"""MultiPose track ids: a bounding-box IoU tracker and a keypoint OKS tracker, as TF.js runs them.

Ported from Google's ``tensorflow/tfjs-models`` (Apache-2.0), written anew in numpy:

- ``pose-detection/src/calculators/tracker.ts``              -> :class:`Tracker`
- ``pose-detection/src/calculators/bounding_box_tracker.ts`` -> :class:`BoundingBoxTracker`, :func:`box_iou`
- ``pose-detection/src/calculators/keypoint_tracker.ts``     -> :class:`KeypointTracker`, :func:`keypoint_oks`
- ``pose-detection/src/calculators/tracker_utils.ts``        -> :meth:`TrackerConfig.validate`
- ``pose-detection/src/movenet/constants.ts`` (``DEFAULT_*_TRACKER_CONFIG``) -> the defaults here
- ``pose-detection/src/movenet/detector.ts`` (``estimateMultiplePoses``) -> per-track smoothing

How TF.js tracks, step by step, for each frame (``Tracker.apply``):

1. Drop tracks not linked for more than ``maxAge`` (kept iff ``now - last <= maxAge``; TF.js
   compares microseconds, this module milliseconds).
2. Similarity matrix [detections, tracks]: IoU of the boxes, or OKS of the keypoints.
3. Greedy assignment: detections in order (TF.js assumes they come most confident first;
   here they are visited by descending score, which is the same for the decoder's output),
   each takes the still-unmatched track with the highest similarity, provided it is
   ``>= minSimilarity``; ties go to the earlier track in the list. The linked track takes
   the detection's keypoints, box and timestamp and keeps its id and list position.
4. Unmatched detections each start a new track, appended in visiting order, with the next
   id: ids start at 1, only ever increase, and are not reused, not even after :meth:`reset`.
5. Tracks are sorted by last-linked time, newest first (a stable sort), and cut to ``maxTracks``.

With smoothing on (TF.js ``enableSmoothing``, the default) each track id gets its own
One Euro keypoint filter (:class:`~.smoothing.KeypointSmoother`, MoveNet's parameters) run on
frame-normalised coordinates; filters of tracks that are gone are dropped. Tracks store the
*unsmoothed* keypoints, as in TF.js, so similarity is computed on raw detections.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..decoding.keypoint_sets import COCO_SIGMAS
from ..decoding.pose import Pose
from .smoothing import MOVENET_KEYPOINT_FILTER_CONFIG, KeypointSmoother, OneEuroConfig, check_one_euro

__all__ = [
    "BOX_TRACKER_CONFIG",
    "COCO_KEYPOINT_SIGMAS",
    "KEYPOINT_TRACKER_CONFIG",
    "TRACKER_KINDS",
    "BoundingBoxTracker",
    "KeypointTracker",
    "Track",
    "Tracker",
    "TrackerConfig",
    "box_iou",
    "create_tracker",
    "keypoint_area",
    "keypoint_oks",
]

#: COCO per-keypoint OKS sigmas (TF.js calls them "falloffs"), COCO-17 order: those of
#: :data:`~.keypoint_sets.COCO_SIGMAS` (https://cocodataset.org/#keypoints-eval).
COCO_KEYPOINT_SIGMAS: tuple[float, ...] = tuple(float(s) for s in COCO_SIGMAS)

#: Values of ``--tracker``: no track ids, bounding-box IoU (TF.js default), keypoint OKS.
TRACKER_KINDS: tuple[str, ...] = ("none", "boxes", "keypoints")


@dataclass(frozen=True, slots=True)
class TrackerConfig:
    """Tracker parameters (TF.js ``TrackerConfig`` + ``keypointTrackerParams``).

    Attributes:
        max_tracks: at most this many tracks are kept (the most recently linked).
        max_age_ms: a track not linked for more than this many milliseconds is dropped.
        min_similarity: a detection links to a track only if similarity >= this.
        keypoint_confidence: (keypoint tracker) keypoints scoring below this are ignored by
            OKS; the track's area uses keypoints scoring strictly above it.
        keypoint_sigmas: (keypoint tracker) per-keypoint OKS sigma, one per keypoint.
        min_keypoints: (keypoint tracker) OKS is 0 unless at least this many keypoints are
            confident in both the detection and the track.
    """

    max_tracks: int = 18
    max_age_ms: float = 1000.0
    min_similarity: float = 0.15
    keypoint_confidence: float = 0.3
    keypoint_sigmas: tuple[float, ...] = COCO_KEYPOINT_SIGMAS
    min_keypoints: int = 4

    def validate(self) -> None:
        """Check the parameters as TF.js ``validateTrackerConfig`` does.

        Raises:
            ValueError: max_tracks < 1, max_age_ms <= 0, keypoint_confidence outside 0..1,
                min_keypoints < 1, or a sigma <= 0.
        """
        if self.max_tracks < 1:
            raise ValueError(f"max_tracks must be at least 1, got {self.max_tracks}")
        if not self.max_age_ms > 0:
            raise ValueError(f"max_age_ms must be positive, got {self.max_age_ms}")
        if not 0.0 <= self.keypoint_confidence <= 1.0:
            raise ValueError(f"keypoint_confidence must be in 0..1, got {self.keypoint_confidence}")
        if self.min_keypoints < 1:
            raise ValueError(f"min_keypoints must be at least 1, got {self.min_keypoints}")
        if any(not f > 0 for f in self.keypoint_sigmas):
            raise ValueError(f"keypoint sigmas must be positive, got {self.keypoint_sigmas}")


#: TF.js ``DEFAULT_BOUNDING_BOX_TRACKER_CONFIG``: 18 tracks (3 x the model's 6 detections), 1 s, IoU >= 0.15.
BOX_TRACKER_CONFIG = TrackerConfig(max_tracks=18, max_age_ms=1000.0, min_similarity=0.15)
#: TF.js ``DEFAULT_KEYPOINT_TRACKER_CONFIG``: 18 tracks, 1 s, OKS >= 0.2, keypoints >= 0.3, at least 4, COCO sigmas.
KEYPOINT_TRACKER_CONFIG = TrackerConfig(max_tracks=18, max_age_ms=1000.0, min_similarity=0.2,
                                        keypoint_confidence=0.3, keypoint_sigmas=COCO_KEYPOINT_SIGMAS,
                                        min_keypoints=4)


@dataclass(frozen=True, slots=True)
class Track:
    """One tracked person, as last linked.

    Attributes:
        id: track id (>= 1).
        last_timestamp_ms: timestamp of the frame that last linked it, in ms.
        keypoints: float32 [K, 3] (x, y, score) of the last linked detection, unsmoothed,
            in the coordinates the poses were given in (frame pixels in the pipeline).
        box: float32 [4] (x0, y0, x1, y1) of the last linked detection, or None.
    """

    id: int
    last_timestamp_ms: float
    keypoints: np.ndarray
    box: np.ndarray | None = None


def box_iou(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """Pairwise intersection-over-union of axis-aligned boxes (TF.js ``BoundingBoxTracker.iou``).

    Args:
        boxes_a: float [N, 4] (x0, y0, x1, y1), any unit (pixels or normalised).
        boxes_b: float [M, 4] in the same unit.

    Returns:
        float64 [N, M] IoU in 0..1; 0 where the boxes do not overlap (touching counts as not
        overlapping). IoU does not change when both boxes are scaled per axis, so pixels and
        normalised coordinates give the same values.
    """
    a = np.asarray(boxes_a, dtype=np.float64).reshape(-1, 4)[:, None, :]
    b = np.asarray(boxes_b, dtype=np.float64).reshape(-1, 4)[None, :, :]
    x0 = np.maximum(a[..., 0], b[..., 0])
    y0 = np.maximum(a[..., 1], b[..., 1])
    x1 = np.minimum(a[..., 2], b[..., 2])
    y1 = np.minimum(a[..., 3], b[..., 3])
    overlap = (x0 < x1) & (y0 < y1)
    inter = np.where(overlap, (x1 - x0) * (y1 - y0), 0.0)
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = area_a + area_b - inter
    # Boxes of (sub)normal-tiny size underflow to inter = union = 0: count them as not overlapping.
    valid = overlap & (union > 0) & (inter > 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.clip(np.where(valid, inter / np.where(valid, union, 1.0), 0.0), 0.0, 1.0)


def keypoint_area(keypoints: np.ndarray, confidence: float) -> float:
    """Area of the box around a track's confident keypoints (TF.js ``KeypointTracker.area``).

    Faithful to TF.js, including its clamps: keypoints scoring strictly above `confidence`
    count, and the box is ``[min(1, xs), max(0, xs)] x [min(1, ys), max(0, ys)]`` so with no
    confident keypoint the area is 1 (the whole normalised frame).

    Args:
        keypoints: float [K, 3] (x, y, score) normalised to the frame (0..1).
        confidence: keypoint score threshold.

    Returns:
        The area, in normalised units (fraction of the frame).
    """
    kp = np.asarray(keypoints, dtype=np.float64)
    good = kp[kp[:, 2] > confidence]
    min_x = min(1.0, float(good[:, 0].min())) if len(good) else 1.0
    max_x = max(0.0, float(good[:, 0].max())) if len(good) else 0.0
    min_y = min(1.0, float(good[:, 1].min())) if len(good) else 1.0
    max_y = max(0.0, float(good[:, 1].max())) if len(good) else 0.0
    return (max_x - min_x) * (max_y - min_y)


def keypoint_oks(pose_keypoints: np.ndarray, track_keypoints: np.ndarray, sigmas: Sequence[float],
                 confidence: float = 0.3, min_keypoints: int = 4) -> np.ndarray:
    """Pairwise Object Keypoint Similarity as the TF.js keypoint tracker defines it.

    ``OKS = mean over valid i of exp(-d_i^2 / (2 * A * (2 * sigma_i)^2))`` where keypoint i
    is valid when it scores >= `confidence` in both the pose and the track, ``d_i`` is the
    distance between them, and ``A`` is :func:`keypoint_area` of the *track's* keypoints
    plus 1e-6. With fewer than `min_keypoints` valid keypoints the OKS is 0. (COCO's OKS
    uses the ground-truth segment area; TF.js uses the keypoint box of the track.)

    Args:
        pose_keypoints: float [N, K, 3] (x, y, score) of the detections, normalised to the frame.
        track_keypoints: float [M, K, 3] (x, y, score) of the tracks, normalised to the frame.
        sigmas: K per-keypoint OKS sigmas (COCO: :data:`COCO_KEYPOINT_SIGMAS`).
        confidence: keypoint score threshold.
        min_keypoints: minimum number of valid keypoints.

    Returns:
        float64 [N, M] OKS in 0..1.

    Raises:
        ValueError: the keypoint counts of poses, tracks and sigmas differ.
    """
    p = np.asarray(pose_keypoints, dtype=np.float64)
    t = np.asarray(track_keypoints, dtype=np.float64)
    sigmas = np.asarray(sigmas, dtype=np.float64)
    if p.ndim != 3 or t.ndim != 3 or p.shape[1:] != t.shape[1:] or p.shape[1] != sigmas.size:
        raise ValueError(f"keypoints must be [N, K, 3] and [M, K, 3] with K = {sigmas.size}; "
                         f"got {p.shape} and {t.shape}")
    if not len(p) or not len(t):
        return np.zeros((len(p), len(t)))
    area = np.array([keypoint_area(track, confidence) for track in t]) + 1e-6  # [M]
    valid = (p[:, None, :, 2] >= confidence) & (t[None, :, :, 2] >= confidence)  # [N, M, K]
    d2 = ((p[:, None, :, :2] - t[None, :, :, :2]) ** 2).sum(axis=-1)  # [N, M, K]
    x = 2.0 * sigmas
    e = np.exp(-d2 / (2.0 * area[None, :, None] * x ** 2))
    count = valid.sum(axis=-1)
    total = np.where(valid, e, 0.0).sum(axis=-1)
    return np.where(count >= min_keypoints, total / np.maximum(count, 1), 0.0)


class Tracker(ABC):
    """Assigns stable track ids to MultiPose detections across frames (TF.js ``Tracker``).

    See the module docstring for the algorithm. Not thread-safe; one per source.

    Args:
        config: parameters; validated.
        smoothing: run a One Euro keypoint filter per track on the returned keypoints
            (TF.js ``enableSmoothing``). Tracks always keep the raw keypoints.

    Raises:
        ValueError: invalid `config`.
    """

    def __init__(self, config: TrackerConfig, *, smoothing: bool = False) -> None:
        config.validate()
        self.config = config
        self.smoothing = smoothing
        self._tracks: list[Track] = []
        self._next_id = 1
        self._smoothers: dict[int, KeypointSmoother] = {}
        self._one_euro = MOVENET_KEYPOINT_FILTER_CONFIG

    def set_one_euro(self, config: OneEuroConfig) -> None:
        """Smooth every track with these One Euro parameters from the next frame on (state kept)."""
        check_one_euro(config)
        self._one_euro = config
        for smoother in self._smoothers.values():
            smoother.set_config(config)

    @property
    def tracks(self) -> tuple[Track, ...]:
        """The live tracks, most recently linked first."""
        return tuple(self._tracks)

    @property
    def track_ids(self) -> frozenset[int]:
        """Ids of the live tracks."""
        return frozenset(track.id for track in self._tracks)

    def apply(self, poses: Sequence[Pose], timestamp_ms: float,
              frame_size: tuple[int, int] | None = None) -> tuple[Pose, ...]:
        """Link this frame's detections to tracks.

        Args:
            poses: detections of one frame (keypoints (x, y, score) and, for the box
                tracker, ``box`` (x0, y0, x1, y1)), in frame pixels when `frame_size` is
                given, else already normalised to the frame (0..1).
            timestamp_ms: the frame's timestamp in milliseconds (must not go back without
                a :meth:`reset`).
            frame_size: (height, width) of the frame in pixels, used to normalise keypoints
                for OKS and smoothing as TF.js does; None when poses are normalised already.

        Returns:
            The poses in the given order, each with ``track_id`` set and, with smoothing on,
            smoothed keypoint positions (scores and box unchanged).

        Raises:
            ValueError: the box tracker got a pose without a box, or keypoint counts differ
                from the sigmas (keypoint tracker).
        """
        self._tracks = [t for t in self._tracks if timestamp_ms - t.last_timestamp_ms <= self.config.max_age_ms]
        similarity = self.similarity(poses, frame_size)
        ids = self._assign(poses, similarity, timestamp_ms)
        # Newest first (Python's sort is stable, as JavaScript's is since ES2019), then cap.
        self._tracks.sort(key=lambda t: -t.last_timestamp_ms)
        del self._tracks[self.config.max_tracks:]
        result = tuple(dataclasses.replace(pose, track_id=track_id) for pose, track_id in zip(poses, ids))
        if self.smoothing:
            result = self._smooth(result, timestamp_ms, frame_size)
        return result

    @abstractmethod
    def similarity(self, poses: Sequence[Pose], frame_size: tuple[int, int] | None) -> np.ndarray:
        """float64 [len(poses), len(tracks)] similarity between detections and live tracks."""

    def _assign(self, poses: Sequence[Pose], similarity: np.ndarray, timestamp_ms: float) -> list[int]:
        ids: list[int] = [0] * len(poses)
        unmatched_tracks = list(range(len(self._tracks)))
        unmatched_poses = []
        order = sorted(range(len(poses)), key=lambda i: -float(poses[i].score))  # stable
        for i in order:
            best, best_similarity = -1, -1.0
            for j in unmatched_tracks:
                s = similarity[i, j]
                if s >= self.config.min_similarity and s > best_similarity:
                    best, best_similarity = j, float(s)
            if best < 0:
                unmatched_poses.append(i)
                continue
            track = self._tracks[best]
            self._tracks[best] = self._make_track(poses[i], timestamp_ms, track.id)
            ids[i] = track.id
            unmatched_tracks.remove(best)
        for i in unmatched_poses:
            track = self._make_track(poses[i], timestamp_ms, self._next_id)
            self._next_id += 1
            self._tracks.append(track)
            ids[i] = track.id
        return ids

    @staticmethod
    def _make_track(pose: Pose, timestamp_ms: float, track_id: int) -> Track:
        box = None if pose.box is None else np.array(pose.box, dtype=np.float32)
        return Track(track_id, float(timestamp_ms), np.array(pose.keypoints, dtype=np.float32), box)

    def _smooth(self, poses: tuple[Pose, ...], timestamp_ms: float,
                frame_size: tuple[int, int] | None) -> tuple[Pose, ...]:
        h, w = (1.0, 1.0) if frame_size is None else (float(frame_size[0]), float(frame_size[1]))
        out = []
        for pose in poses:
            smoother = self._smoothers.setdefault(pose.track_id, KeypointSmoother(config=self._one_euro))
            yx = np.stack([pose.keypoints[:, 1] / h, pose.keypoints[:, 0] / w], axis=1)
            yx = smoother.apply(yx, timestamp_ms)
            keypoints = pose.keypoints.copy()
            keypoints[:, 0] = yx[:, 1] * w
            keypoints[:, 1] = yx[:, 0] * h
            out.append(dataclasses.replace(pose, keypoints=keypoints.astype(np.float32)))
        live = self.track_ids
        for track_id in [k for k in self._smoothers if k not in live]:
            del self._smoothers[track_id]
        return tuple(out)

    def remove(self, *ids: int) -> None:
        """Drop the tracks with these ids (and their smoothing filters)."""
        self._tracks = [t for t in self._tracks if t.id not in ids]
        for track_id in ids:
            self._smoothers.pop(track_id, None)

    def reset(self) -> None:
        """Drop every track and filter and number tracks from 1 again (call on a seek, a source
        change or a loop wrap: ids name people within one continuous run).

        Within a run, as in TF.js, ids are never reused: a new track after an expired or
        removed one takes the next number. (TF.js's tracker has no reset at all; a
        restart of the numbering keeps ids small when a still image or a clip loops.)
        """
        self._tracks = []
        self._smoothers.clear()
        self._next_id = 1


class BoundingBoxTracker(Tracker):
    """Tracks by box IoU (TF.js ``BoundingBoxTracker``; default :data:`BOX_TRACKER_CONFIG`).

    Args:
        config: parameters (the keypoint fields are unused).
        smoothing: per-track keypoint smoothing, see :class:`Tracker`.
    """

    def __init__(self, config: TrackerConfig = BOX_TRACKER_CONFIG, *, smoothing: bool = False) -> None:
        super().__init__(config, smoothing=smoothing)

    def similarity(self, poses: Sequence[Pose], frame_size: tuple[int, int] | None = None) -> np.ndarray:
        """IoU [len(poses), len(tracks)] of detection boxes and track boxes.

        Raises:
            ValueError: a pose has no box.
        """
        if any(pose.box is None for pose in poses):
            raise ValueError("the bounding-box tracker needs poses with a box")
        if not poses or not self._tracks:
            return np.zeros((len(poses), len(self._tracks)))
        return box_iou(np.stack([pose.box for pose in poses]), np.stack([t.box for t in self._tracks]))


class KeypointTracker(Tracker):
    """Tracks by keypoint OKS (TF.js ``KeypointTracker``; default :data:`KEYPOINT_TRACKER_CONFIG`).

    OKS is computed on keypoints normalised to the frame (x / width, y / height), as TF.js
    does; for non-square frames that weighs horizontal and vertical distances differently,
    and the 1e-6 added to the area is in those units.

    Args:
        config: parameters.
        smoothing: per-track keypoint smoothing, see :class:`Tracker`.
    """

    def __init__(self, config: TrackerConfig = KEYPOINT_TRACKER_CONFIG, *, smoothing: bool = False) -> None:
        super().__init__(config, smoothing=smoothing)

    def similarity(self, poses: Sequence[Pose], frame_size: tuple[int, int] | None = None) -> np.ndarray:
        """OKS [len(poses), len(tracks)] (see :func:`keypoint_oks`).

        Raises:
            ValueError: keypoint counts differ from the number of sigmas.
        """
        if not poses or not self._tracks:
            return np.zeros((len(poses), len(self._tracks)))
        scale = np.array([1.0, 1.0, 1.0]) if frame_size is None else \
            np.array([1.0 / frame_size[1], 1.0 / frame_size[0], 1.0])
        p = np.stack([np.asarray(pose.keypoints, dtype=np.float64) for pose in poses]) * scale
        t = np.stack([np.asarray(track.keypoints, dtype=np.float64) for track in self._tracks]) * scale
        c = self.config
        return keypoint_oks(p, t, c.keypoint_sigmas, c.keypoint_confidence, c.min_keypoints)


def create_tracker(kind: str, *, smoothing: bool = True, config: TrackerConfig | None = None) -> Tracker | None:
    """Make a tracker by its ``--tracker`` name.

    Args:
        kind: ``none`` (returns None), ``boxes`` (:class:`BoundingBoxTracker`, the TF.js
            default) or ``keypoints`` (:class:`KeypointTracker`); case-insensitive.
        smoothing: per-track One Euro keypoint smoothing (TF.js default: on).
        config: parameters; None for the TF.js defaults of that kind.

    Raises:
        ValueError: unknown `kind` or invalid `config`.
    """
    name = kind.strip().lower()
    if name == "none":
        return None
    if name == "boxes":
        return BoundingBoxTracker(config or BOX_TRACKER_CONFIG, smoothing=smoothing)
    if name == "keypoints":
        return KeypointTracker(config or KEYPOINT_TRACKER_CONFIG, smoothing=smoothing)
    raise ValueError(f"unknown tracker '{kind}'; use one of {', '.join(TRACKER_KINDS)}")
