"""Failure events on video without ground truth: left/right swaps, person switches and
keypoints outside the frame, per track.

:func:`detect_events` is a pure function over a sequence of per-frame poses;
:class:`EventDetector` is the same computation one frame at a time (a stream sink).

Per track (a pose's ``track_id``; single-pose models have one track, id None), with
*confident* keypoints those scoring at least ``min_score``, and the *torso size* the
distance between the shoulder midpoint and the hip midpoint of the track's reference pose
(pixels; when those are not confident, half the diagonal of its confident keypoints' box):

``left_right_swap``
    The reference is the track's smoothed pose (an exponential moving average of the
    previous frames' keypoints, weight ``smoothing`` for the newest). ``D`` is the mean
    distance of the confident left/right keypoints to the reference, ``D_swapped`` the same
    with each left/right pair exchanged. An event when ``D - D_swapped >= swap_gain x
    torso`` and ``D_swapped <= swap_ratio x D``. Its keypoints are the pairs that come
    closer when exchanged; magnitude ``(D - D_swapped) / torso``. The reference is then
    updated with the exchanged pose (the flip is taken as the model's error).
``person_switch``
    The median distance of the confident keypoints to the previous frame's pose (after the
    left/right exchange that fits it better) is more than ``switch_torso x torso`` while
    the mean score of the confident keypoints of both frames is at least ``min_score``.
    Magnitude: that median distance / torso. The track's history restarts there.
``outside_frame``
    Confident keypoints outside the frame (``x < -margin``, ``x > width + margin``, or the
    same for y). Magnitude: the largest distance outside, in pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

#: Event kinds, in report order.
EVENT_KINDS = ("left_right_swap", "person_switch", "outside_frame")


@dataclass(frozen=True, slots=True)
class EventOptions:
    """Thresholds of :func:`detect_events` (see the module docstring); the defaults are the
    documented ones (``events --help``).

    Attributes:
        min_score: a keypoint is confident at this score or above (0..1).
        smoothing: weight of the newest frame in the reference pose (0..1].
        swap_gain: the exchange must bring the pose this many torso sizes closer.
        swap_ratio: and leave at most this fraction of the unexchanged distance.
        switch_torso: a person switch moves the pose more than this many torso sizes.
        margin: pixels a keypoint may lie outside the frame before it counts.
        swap_persist: after this many swapped frames in a row the exchanged orientation is
            taken as the track's own (no event, the reference follows it).
    """

    min_score: float = 0.3
    smoothing: float = 0.5
    swap_gain: float = 0.15
    swap_ratio: float = 0.6
    switch_torso: float = 0.5
    margin: float = 0.0
    swap_persist: int = 5


@dataclass(frozen=True, slots=True)
class Event:
    """One event: `kind` at `frame` on track `track_id` (None: the single-pose track).

    Attributes:
        keypoints: names of the keypoints involved.
        magnitude: torso sizes (swap, switch) or pixels (outside_frame).
    """

    frame: int
    kind: str
    track_id: int | None
    keypoints: tuple[str, ...]
    magnitude: float

    def to_json(self) -> dict:
        """``{"frame", "kind", "track_id", "keypoints", "magnitude"}`` (docs/reference/schemas/events.schema.json)."""
        return {"frame": int(self.frame), "kind": self.kind, "track_id": self.track_id,
                "keypoints": list(self.keypoints), "magnitude": round(float(self.magnitude), 4)}


@dataclass(frozen=True, slots=True)
class FramePoses:
    """One frame's poses for the detector.

    Attributes:
        index: frame index.
        poses: (track id or None, float [K, 3] (x, y, score) in frame pixels) per pose.
        size: (width, height) of the frame in pixels, None when unknown (no outside_frame then).
    """

    index: int
    poses: Sequence[tuple[int | None, np.ndarray]]
    size: tuple[int, int] | None = None


def _pairs(names: Sequence[str]) -> list[tuple[int, int]]:
    index = {n: k for k, n in enumerate(names)}
    return [(k, index["right_" + n[5:]]) for k, n in enumerate(names)
            if n.startswith("left_") and "right_" + n[5:] in index]


@dataclass(slots=True)
class _Track:
    reference: np.ndarray  # float [K, 2] smoothed pose
    seen: np.ndarray  # bool [K] the reference holds a confident position
    previous: np.ndarray  # float [K, 3] last frame's pose (as exchanged when a swap was found)
    swap_run: int = 0  # swapped frames in a row


@dataclass
class EventDetector:
    """:func:`detect_events` one frame at a time: :meth:`push` returns that frame's events.

    Args:
        names: the K keypoint names (their ``left_``/``right_`` pairs are exchanged).
        options: thresholds.
    """

    names: Sequence[str]
    options: EventOptions = field(default_factory=EventOptions)
    _tracks: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.names = tuple(self.names)
        pairs = _pairs(self.names)
        self._swap = np.arange(len(self.names))
        for a, b in pairs:
            self._swap[a], self._swap[b] = b, a
        self._paired = np.zeros(len(self.names), bool)
        for a, b in pairs:
            self._paired[[a, b]] = True
        rows = {n: k for k, n in enumerate(self.names)}
        self._torso_rows = [rows.get(n) for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip")]

    def restart(self) -> None:
        """Forget every track (a new run of the source: a loop restart, or the next independent photo)."""
        self._tracks.clear()

    def push(self, frame: FramePoses) -> list[Event]:
        """The events of `frame` (poses in frame pixels); updates the tracks."""
        events: list[Event] = []
        for position, (track_id, keypoints) in enumerate(frame.poses):
            key = track_id if track_id is not None else (None if len(frame.poses) == 1 else f"#{position}")
            report_id = None if track_id is None else int(track_id)
            kp = np.asarray(keypoints, dtype=np.float64).reshape(len(self.names), 3)
            if frame.size is not None:
                events += self._outside(frame.index, report_id, kp, frame.size)
            track = self._tracks.get(key)
            if track is None:
                self._tracks[key] = self._start(kp)
                continue
            found, kp = self._track_events(frame.index, report_id, kp, track)
            events += found
        return events

    def _start(self, kp: np.ndarray) -> _Track:
        confident = kp[:, 2] >= self.options.min_score
        return _Track(kp[:, :2].copy(), confident.copy(), kp.copy())

    def _torso(self, pose: np.ndarray, confident: np.ndarray) -> float:
        ls, rs, lh, rh = self._torso_rows
        if None not in self._torso_rows and confident[[ls, rs, lh, rh]].all():
            size = float(np.linalg.norm((pose[ls] + pose[rs]) / 2 - (pose[lh] + pose[rh]) / 2))
            if size > 0:
                return size
        points = pose[confident]
        if len(points) >= 2:
            return max(float(np.linalg.norm(points.max(0) - points.min(0))) / 2, 1.0)
        return 1.0

    def _track_events(self, index: int, track_id, kp: np.ndarray, track: _Track) -> tuple[list[Event], np.ndarray]:
        opt = self.options
        confident = kp[:, 2] >= opt.min_score
        torso = self._torso(track.reference, track.seen)
        events = []
        # person switch: against the previous frame, after the better left/right fit
        prev = track.previous
        prev_conf = prev[:, 2] >= opt.min_score
        both = confident & prev_conf
        if both.sum() >= 3:
            plain = np.linalg.norm(kp[:, :2] - prev[:, :2], axis=1)
            swapped = np.linalg.norm(kp[self._swap, :2] - prev[:, :2], axis=1)
            both_sw = confident[self._swap] & prev_conf
            jump = float(np.median(plain[both]))
            if both_sw.sum() >= 3:
                jump = min(jump, float(np.median(swapped[both_sw])))
            if jump > opt.switch_torso * torso and kp[confident, 2].mean() >= opt.min_score \
                    and prev[prev_conf, 2].mean() >= opt.min_score:
                events.append(Event(index, "person_switch", track_id, tuple(np.asarray(self.names)[both]),
                                    jump / torso))
                self._tracks_restart(track, kp)
                return events, kp
        # left/right swap: against the smoothed reference
        usable = confident & self._paired & track.seen & track.seen[self._swap] & confident[self._swap]
        if usable.sum() >= 2:
            plain = np.linalg.norm(kp[:, :2] - track.reference, axis=1)
            swapped = np.linalg.norm(kp[self._swap, :2] - track.reference, axis=1)
            d, d_sw = float(plain[usable].mean()), float(swapped[usable].mean())
            if d - d_sw >= opt.swap_gain * torso and d_sw <= opt.swap_ratio * d:
                track.swap_run += 1
                if track.swap_run > opt.swap_persist:  # flipped for good: follow it
                    track.swap_run = 0
                    self._tracks_restart(track, kp)
                    return events, kp
                closer = usable & (swapped < plain)
                events.append(Event(index, "left_right_swap", track_id, tuple(np.asarray(self.names)[closer]),
                                    (d - d_sw) / torso))
                kp = kp[self._swap]
                confident = confident[self._swap]
            else:
                track.swap_run = 0
        # update the reference with what was seen (exchanged back after a swap)
        alpha = opt.smoothing
        fresh = confident & ~track.seen
        blend = confident & track.seen
        track.reference[fresh] = kp[fresh, :2]
        track.reference[blend] = alpha * kp[blend, :2] + (1 - alpha) * track.reference[blend]
        track.seen |= confident
        track.previous = kp.copy()
        return events, kp

    def _tracks_restart(self, track: _Track, kp: np.ndarray) -> None:
        fresh = self._start(kp)
        track.reference, track.seen, track.previous = fresh.reference, fresh.seen, fresh.previous

    def _outside(self, index: int, track_id, kp: np.ndarray, size: tuple[int, int]) -> list[Event]:
        width, height = size
        m = self.options.margin
        confident = kp[:, 2] >= self.options.min_score
        beyond = np.maximum.reduce([-m - kp[:, 0], kp[:, 0] - width - m, -m - kp[:, 1], kp[:, 1] - height - m,
                                    np.zeros(len(kp))])
        out = confident & (beyond > 0)
        if not out.any():
            return []
        return [Event(index, "outside_frame", track_id, tuple(np.asarray(self.names)[out]),
                      float(beyond[out].max()))]


def detect_events(frames: Iterable[FramePoses], names: Sequence[str],
                  options: EventOptions | None = None) -> list[Event]:
    """Every event of a sequence of frames (see the module docstring), in frame order.

    Args:
        frames: per frame, its poses (:class:`FramePoses`), in frame order.
        names: the K keypoint names.
        options: thresholds (default :class:`EventOptions`).

    Returns:
        The events, frame by frame; within a frame, per pose: outside_frame, then
        person_switch or left_right_swap.
    """
    detector = EventDetector(names, options or EventOptions())
    events: list[Event] = []
    for frame in frames:
        events += detector.push(frame)
    return events


def frames_from_infer_json(document: dict) -> tuple[list[FramePoses], tuple[str, ...]]:
    """The frames of an ``infer --json`` document for :func:`detect_events`.

    Returns:
        (frames, keypoint names in the first pose's order; a pose listing them in another
        order is read by name). A frame's size is its ``size`` field ([width, height]) when
        the file has one.

    Raises:
        ValueError: the document is not an ``infer --json`` file (message says what is wrong).
    """
    if not isinstance(document, dict) or not isinstance(document.get("frames"), list):
        raise ValueError("not an infer --json file (no \"frames\" list)")
    frames, names = [], None
    for i, frame in enumerate(document["frames"]):
        if not isinstance(frame, dict) or not isinstance(frame.get("poses"), list):
            raise ValueError(f"frames[{i}]: expected an object with a \"poses\" list")
        poses = []
        for j, pose in enumerate(frame["poses"]):
            try:
                kps = pose["keypoints"]
                these = tuple(str(k["name"]) for k in kps)
                array = np.array([[float(k["x"]), float(k["y"]), float(k["score"])] for k in kps])
                track = pose.get("track_id")
                track = None if track is None else int(track)
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"frames[{i}].poses[{j}]: expected keypoints with name, x, y and score") from None
            if not np.isfinite(array).all():
                raise ValueError(f"frames[{i}].poses[{j}]: keypoints must be finite numbers")
            if names is None:
                names = these
            if these != names:  # the same keypoints in another order: by name
                if sorted(these) != sorted(names) or len(set(these)) != len(these):
                    raise ValueError(f"frames[{i}].poses[{j}]: keypoint names differ from the first pose's")
                array = array[[these.index(name) for name in names]]
            poses.append((track, array))
        size = frame.get("size")
        size = (int(size[0]), int(size[1])) if isinstance(size, list) and len(size) == 2 else None
        index = frame.get("index", i)
        frames.append(FramePoses(int(index) if isinstance(index, (int, float)) else i, poses, size))
    return frames, names or ()


def events_of_trajectory(trajectory, size: tuple[int, int] | None, options: EventOptions | None = None,
                         independent: bool = False) -> list[Event]:
    """The events of a recorded :class:`~.trajectories.Trajectory` (the window's Timeline).

    Args:
        trajectory: a snapshot with every keypoint (its smoothed positions, as shown, and scores);
            frames without a pose (NaN) are skipped.
        size: (width, height) of the frames, None when unknown (no outside_frame then).
        options: thresholds (default :class:`EventOptions`).
        independent: the frames are unrelated photos: each starts fresh (only outside_frame).

    Returns:
        As :func:`detect_events` (one track, id None).
    """
    frames = []
    for i, index in enumerate(trajectory.index):
        xy = np.asarray(trajectory.smoothed[i], dtype=np.float64)
        scores = np.asarray(trajectory.scores[i], dtype=np.float64)
        if not np.isfinite(xy).all() or not np.isfinite(scores).all():
            continue
        frames.append(FramePoses(int(index), [(None, np.concatenate([xy, scores[:, None]], axis=1))], size))
    detector = EventDetector(trajectory.names, options or EventOptions())
    events: list[Event] = []
    for frame in frames:
        if independent:
            detector.restart()
        events += detector.push(frame)
    return events
