"""Keypoint trajectories: every processed frame's keypoints before and after smoothing.

A :class:`TrajectoryRecorder` keeps, for the current source, per processed frame: the raw
keypoints (the model's, mapped to the frame, *before* the One Euro filter), the smoothed
keypoints (what the pipeline reports), keypoint scores, the pose score, whether the crop
tracker reset, and how many frames were dropped before it. :mod:`.jitter` measures jitter
and filter lag on its :class:`Trajectory` snapshots; the window's Timeline plots them.

Memory is bounded:

- a file whose length is known and at most :data:`MAX_CLIP_FRAMES` frames is kept whole,
  one slot per frame index (a frame seen again, after a seek or a loop, replaces its slot);
  with 17 keypoints (raw and smoothed x, y and the scores as float32) about 380 bytes a
  frame, 6.8 MB at the limit;
- live sources (cameras), longer files and files of unknown length keep the last
  :data:`RING_FRAMES` processed frames in a ring buffer, which starts again when the frame
  index goes back (a seek or a loop).

The recorder is thread-safe: the window's inference worker adds every result (also those
the display skips) while the GUI thread takes snapshots.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

from ..decoding.keypoint_sets import KEYPOINT_SETS, keypoint_set_for
from ..decoding.keypoints import KEYPOINT_NAMES
from ..decoding.pose import pose_score
from ..tracking.smoothing import OneEuroConfig

#: Files up to this many frames (10 minutes at 30 fps) are recorded whole.
MAX_CLIP_FRAMES = 18_000
#: Live sources and longer files keep this many recent frames (60 s at 30 fps).
RING_FRAMES = 1_800


def default_keypoint_names(count: int) -> tuple[str, ...]:
    """Names of a pose with `count` keypoints: its keypoint set's (COCO-17, ST's 13), else ``keypoint_<i>``."""
    if count in KEYPOINT_SETS:
        return keypoint_set_for(count).names
    return tuple(f"keypoint_{i}" for i in range(count))


@dataclass(frozen=True, slots=True)
class Trajectory:
    """A snapshot of recorded frames in frame-index order (N frames, K keypoints; copies).

    Attributes:
        names: the K keypoint names.
        index: int64 [N] frame indices, increasing.
        timestamp_ms: float64 [N] frame timestamps in ms.
        raw: float32 [N, K, 2] (x, y) in frame pixels before smoothing; NaN when unknown
            (no pose, MultiPose).
        smoothed: float32 [N, K, 2] (x, y) in frame pixels as reported; NaN when no pose.
        scores: float32 [N, K] keypoint scores 0..1 (NaN when unknown).
        pose_score: float32 [N] pose score 0..1 (also on tracker resets, from the model's
            output); NaN when unknown.
        tracker_reset: bool [N] the crop tracker and the filter reset on this frame.
        dropped_before: int32 [N] frames of the same run skipped just before this one.
        run: int64 [N] run id: frames of one run were filtered without a reset in between
            (a seek, a source restart or a tracker reset starts a new run).
        epoch: int64 [N] id of the filter parameters that smoothed the frame.
        one_euro: the filter parameters of the newest frame (None: smoothing off).
        epoch_now: the epoch of the newest frame.
    """

    names: tuple[str, ...]
    index: np.ndarray
    timestamp_ms: np.ndarray
    raw: np.ndarray
    smoothed: np.ndarray
    scores: np.ndarray
    pose_score: np.ndarray
    tracker_reset: np.ndarray
    dropped_before: np.ndarray
    run: np.ndarray
    epoch: np.ndarray
    one_euro: OneEuroConfig | None
    epoch_now: int

    def __len__(self) -> int:
        return int(self.index.shape[0])


_FIELDS = ("index", "timestamp_ms", "raw", "smoothed", "scores", "pose_score", "tracker_reset",
           "dropped_before", "run", "epoch", "generation")


class TrajectoryRecorder:
    """Records per-frame raw and smoothed keypoints of one source (see the module docstring).

    Args:
        frame_count: the source's length in frames, or None when unknown.
        live: True for live sources (ring buffer whatever `frame_count` says).
        names: keypoint names (their count fixes K); default: COCO's 17.
        stills: the frames are independent photos (an image, a folder of photos): each is a
            run of its own, so no jitter or lag is measured across them.
    """

    def __init__(self, frame_count: int | None = None, live: bool = False,
                 names: tuple[str, ...] = KEYPOINT_NAMES, stills: bool = False) -> None:
        self._lock = threading.Lock()
        self._configure(frame_count, live, tuple(names), stills)

    # ------------------------------------------------------------------ set-up
    def _configure(self, frame_count: int | None, live: bool, names: tuple[str, ...], stills: bool) -> None:
        self._frame_count, self._live, self.names, self.stills = frame_count, live, names, stills
        self.clip = not live and frame_count is not None and 0 < frame_count <= MAX_CLIP_FRAMES
        capacity = frame_count if self.clip else RING_FRAMES
        k = len(names)
        self._a = {
            "valid": np.zeros(capacity, bool), "index": np.zeros(capacity, np.int64),
            "timestamp_ms": np.zeros(capacity, np.float64), "raw": np.full((capacity, k, 2), np.nan, np.float32),
            "smoothed": np.full((capacity, k, 2), np.nan, np.float32), "scores": np.full((capacity, k), np.nan, np.float32),
            "pose_score": np.full(capacity, np.nan, np.float32), "tracker_reset": np.zeros(capacity, bool),
            "dropped_before": np.zeros(capacity, np.int32), "run": np.zeros(capacity, np.int64),
            "epoch": np.zeros(capacity, np.int64), "generation": np.zeros(capacity, np.int64),
        }
        self._count = 0          # ring: samples written so far (slot = count % capacity)
        self._last: tuple[int, int, bool] | None = None  # (index, generation, tracker_reset) of the newest
        self._run = 0
        self._epoch = 0
        self._one_euro: OneEuroConfig | None = None
        self._seen_config = False

    @property
    def capacity(self) -> int:
        """Frames the recorder can hold."""
        return int(self._a["valid"].shape[0])

    def reset(self, frame_count: int | None = None, live: bool = False, *, names: tuple[str, ...] | None = None,
              stills: bool = False, keep_generation: int | None = None) -> None:
        """Start over for a new source.

        Args:
            frame_count, live, stills: as in the constructor.
            names: new keypoint names (default: keep the current ones).
            keep_generation: keep frames recorded under this generation or a newer one (the
                window resets from the GUI thread when a source opened, while the worker may
                already have recorded the new source's first frames).
        """
        with self._lock:
            kept = self._snapshot_locked(None, keep_generation) if keep_generation is not None else None
            self._configure(frame_count, live, tuple(names) if names is not None else self.names, stills)
            if kept is not None and len(kept[0]):
                self._restore(kept)

    # ------------------------------------------------------------------ recording
    def add(self, result, generation: int = 0) -> None:
        """Record one :class:`~.frame_result.FrameResult` (any thread).

        Args:
            result: the frame's result; its first pose is recorded (MultiPose: the first
                person reported, with no raw keypoints).
            generation: the engine generation it was processed under; a change starts a
                new run (the pipeline was reset by a seek or a source switch).
        """
        pose = result.poses[0] if result.poses else None
        raw_kp = getattr(result, "raw_keypoints", None)
        count = next((a.shape[0] for a in (raw_kp, None if pose is None else pose.keypoints) if a is not None),
                     len(self.names))
        model_scores = _model_scores(result)
        with self._lock:
            if count != len(self.names):  # another model: other keypoints
                self._configure(self._frame_count, self._live, default_keypoint_names(count), self.stills)
            index, reset = int(result.index), bool(result.tracker_reset)
            config = getattr(result, "one_euro", None)
            if not self._seen_config or config != self._one_euro:
                self._epoch += int(self._seen_config)
                self._one_euro, self._seen_config = config, True
            last = self._last
            same = last is not None and generation == last[1]
            if last is None or not same or index <= last[0] or last[2] or self.stills:
                self._run += 1
            dropped = index - last[0] - 1 if same and index > last[0] else 0
            if not self.clip and last is not None and index <= last[0]:
                self._a["valid"][:] = False  # ring: a seek or loop back starts the buffer again
                self._count = 0
            slot = self._slot(index)
            self._last = (index, generation, reset)
            if slot is None:
                return
            a = self._a
            a["valid"][slot], a["index"][slot], a["timestamp_ms"][slot] = True, index, float(result.timestamp_ms)
            a["raw"][slot] = np.nan if raw_kp is None else raw_kp[:, :2]
            a["smoothed"][slot] = np.nan if pose is None else pose.keypoints[:, :2]
            scores = pose.keypoints[:, 2] if pose is not None else (raw_kp[:, 2] if raw_kp is not None else model_scores)
            a["scores"][slot] = np.nan if scores is None or scores.shape[0] != count else scores
            a["pose_score"][slot] = (pose.score if pose is not None
                                     else pose_score(model_scores) if reset and model_scores is not None else np.nan)
            a["tracker_reset"][slot], a["dropped_before"][slot] = reset, dropped
            a["run"][slot], a["epoch"][slot], a["generation"][slot] = self._run, self._epoch, generation

    def _slot(self, index: int) -> int | None:
        if self.clip:
            if index >= self.capacity:  # the container said fewer frames than it holds: grow
                if index >= MAX_CLIP_FRAMES:
                    return None
                grow = min(MAX_CLIP_FRAMES, max(index + 1, 2 * self.capacity)) - self.capacity
                for key, array in self._a.items():
                    fill = np.nan if array.dtype.kind == "f" and key != "timestamp_ms" else 0
                    pad = np.full((grow, *array.shape[1:]), fill, array.dtype)
                    self._a[key] = np.concatenate([array, pad])
            return index
        slot = self._count % self.capacity
        self._count += 1
        return slot

    def _restore(self, kept: tuple) -> None:
        """Re-insert kept samples (arrays in :data:`_FIELDS` order) into fresh storage."""
        fields = dict(zip(_FIELDS, kept))
        for i in range(len(fields["index"])):
            slot = self._slot(int(fields["index"][i]))
            if slot is None:
                continue
            self._a["valid"][slot] = True
            for key, values in fields.items():
                self._a[key][slot] = values[i]
        self._run = int(fields["run"].max()) + 1
        self._last = (int(fields["index"][-1]), int(fields["generation"][-1]), bool(fields["tracker_reset"][-1]))

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        with self._lock:
            return int(self._a["valid"].sum())

    def snapshot(self, keypoint: int | None = None) -> Trajectory:
        """A copy of the recorded frames in index order (any thread).

        Args:
            keypoint: keep only this keypoint (K = 1 in the arrays; cheaper for plotting one).

        Raises:
            IndexError: `keypoint` out of range.
        """
        with self._lock:
            if keypoint is not None and not -len(self.names) <= keypoint < len(self.names):
                raise IndexError(f"keypoint {keypoint} out of range 0..{len(self.names) - 1}")
            arrays = self._snapshot_locked(keypoint, None)
            fields = dict(zip(_FIELDS, arrays))
            del fields["generation"]
            names = self.names if keypoint is None else (self.names[keypoint],)
            return Trajectory(names, **fields, one_euro=self._one_euro, epoch_now=self._epoch)

    def _snapshot_locked(self, keypoint: int | None, min_generation: int | None) -> tuple:
        a = self._a
        if self.clip:
            slots = np.flatnonzero(a["valid"])
        else:  # oldest first
            n = min(self._count, self.capacity)
            slots = (np.arange(self._count - n, self._count) % self.capacity) if n else np.zeros(0, np.int64)
        if min_generation is not None:
            slots = slots[a["generation"][slots] >= min_generation]
        if keypoint is not None:
            keypoint %= len(self.names)
        out = []
        for key in _FIELDS:
            if keypoint is not None and key in ("raw", "smoothed", "scores"):
                out.append(a[key][slots, keypoint:keypoint + 1])  # only that keypoint is copied
            else:
                out.append(a[key][slots])
        return tuple(out)


def _model_scores(result) -> np.ndarray | None:
    """float [K] keypoint scores from a single-pose model's own output [1, 1, K, 3], else None."""
    raw = getattr(result, "raw_output", None)
    if raw is None or raw.ndim != 4 or raw.shape[:2] != (1, 1) or raw.shape[-1] != 3:
        return None
    scores = np.asarray(raw[0, 0, :, 2], dtype=np.float64)
    return scores if all(math.isfinite(s) for s in scores) else None
