"""Classifying every pose of every frame, and counting repetitions of one class.

:class:`FrameClassifier` is the classification stage of the pipeline
(:attr:`~.pipeline.Pipeline.classifier`): after keypoints are decoded, mapped to the frame
and smoothed, it runs a :class:`~.classifier.PoseClassifier` on each pose in the chosen
coordinate order (and, when asked, in the other order too, so a user can see which
convention a classifier expects), feeds the counted class's probability of the best pose
to a :class:`~.repetitions.RepetitionCounter`, and tallies frames per top class for the
run's summary. Its result is a :class:`FrameClassification` in
:attr:`~.frame_result.FrameResult.classification`.

Thread use: the GUI's worker thread calls :meth:`FrameClassifier.classify` and
:meth:`FrameClassifier.reset`; the GUI thread may call :meth:`FrameClassifier.set_order`,
:meth:`FrameClassifier.set_counted` and :meth:`FrameClassifier.set_compare_orders` at any
time (a lock guards the settings; a change resets the counter).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .classifier import COORDINATE_ORDERS, ClassifierError, PoseClassifier
from .repetitions import RepetitionCounter

#: Decimals of probabilities in JSON.
JSON_DECIMALS = 5


@dataclass(frozen=True, slots=True)
class Classification:
    """The classifier's answer for one pose.

    Attributes:
        labels: class names, in output-index order.
        scores: float32 [C] probabilities in label order, summing to 1 (NaN when the
            classifier's output was not finite).
        order: the coordinate order the pose was fed in (``xy`` or ``yx``).
    """

    labels: tuple[str, ...]
    scores: np.ndarray
    order: str

    @property
    def label(self) -> str | None:
        """The most probable class, or None when the scores are not finite."""
        if not np.isfinite(self.scores).all():
            return None
        return self.labels[int(np.argmax(self.scores))]

    @property
    def score(self) -> float:
        """The top class's probability (NaN when the scores are not finite)."""
        return float(np.max(self.scores)) if np.isfinite(self.scores).all() else float("nan")

    def probability(self, label: str) -> float:
        """Probability of class `label` (ValueError for an unknown label)."""
        return float(self.scores[self.labels.index(label)])

    def to_json(self) -> dict:
        """``{"label": str | None, "scores": {label: probability}}`` (probabilities rounded to 5 decimals)."""
        return {"label": self.label,
                "scores": {name: (round(float(p), JSON_DECIMALS) if np.isfinite(p) else None)
                           for name, p in zip(self.labels, self.scores)}}


@dataclass(frozen=True, slots=True)
class FrameClassification:
    """Classification of one frame's poses (immutable; travels with the frame result).

    Attributes:
        poses: one :class:`Classification` per pose of the frame, same order, in :attr:`order`.
        other: the same poses fed in the other coordinate order (the window's "compare
            orders" view), or () when not asked for.
        order: the coordinate order of :attr:`poses`.
        counted: the class whose repetitions are counted, or None.
        repetitions: repetitions counted since the last reset (None without a counted class).
        inside: the counter's state after this frame: in the counted class.
        counted_pose: index into :attr:`poses` of the pose the counter followed (the best
            scoring), or None when the frame has no pose.
        note: why the poses could not be classified (e.g. a 13-keypoint model), else ``""``
            (only from a non-strict :class:`FrameClassifier`).
    """

    poses: tuple[Classification, ...]
    other: tuple[Classification, ...] = ()
    order: str = "xy"
    counted: str | None = None
    repetitions: int | None = None
    inside: bool = False
    counted_pose: int | None = None
    note: str = ""

    @property
    def best(self) -> Classification | None:
        """The classification of the pose the counter followed (None without poses)."""
        return self.poses[self.counted_pose] if self.counted_pose is not None else None


@dataclass(frozen=True, slots=True)
class ClassifierSpec:
    """What a classification stage runs, to build another one elsewhere (e.g. an export on a
    background thread: a runtime must not be shared between threads).

    Attributes:
        path: the classifier file (already probed: :meth:`build` loads it in this process).
        labels: its class names.
        order: coordinate order (``xy`` / ``yx``).
        counted: class whose repetitions are counted, or None.
    """

    path: Path
    labels: tuple[str, ...]
    order: str = "xy"
    counted: str | None = None

    def build(self, *, strict: bool = True) -> "FrameClassifier":
        """A new stage with its own runtime, counter and tally.

        Raises:
            ClassifierError: the file cannot be loaded any more.
        """
        return FrameClassifier(PoseClassifier(self.path, self.labels), self.order, self.counted, strict=strict)


class FrameClassifier:
    """The classification stage: classifies each frame's poses, counts repetitions.

    Args:
        classifier: the loaded pose classifier.
        order: coordinate order to feed (``xy``: the tutorial's; ``yx``: Google's mobile samples').
        counted: class to count repetitions of (one of ``classifier.labels``), or None.
        compare_orders: also classify in the other order (:attr:`FrameClassification.other`).
        counter: the repetition counter (default: :class:`~.repetitions.RepetitionCounter()`).
        strict: raise :class:`~.classifier.ClassifierError` from :meth:`classify` when poses
            cannot be classified (the CLI); when False (the window) the frame's classification
            carries the reason in :attr:`FrameClassification.note` instead, so the poses still show.

    Attributes:
        frames: frames per top class of the counted (best) pose since construction, in label
            order (the run's summary; not reset by :meth:`reset`).
        total_repetitions: repetitions over the whole run, across resets (None without a
            counted class).

    Raises:
        ValueError: an unknown order.
        ClassifierError: `counted` is not one of the classifier's labels.
    """

    def __init__(self, classifier: PoseClassifier, order: str = "xy", counted: str | None = None, *,
                 compare_orders: bool = False, counter: RepetitionCounter | None = None, strict: bool = True):
        self.classifier = classifier
        self.strict = strict
        self._lock = threading.Lock()
        self._order = _check_order(order)
        self._counted = self._check_counted(counted)
        self._compare = bool(compare_orders)
        self.counter = counter or RepetitionCounter()
        self.frames: dict[str, int] = {label: 0 for label in classifier.labels}
        self._earlier_runs = 0  # repetitions counted before the last reset

    def _check_counted(self, counted: str | None) -> str | None:
        if counted is not None and counted not in self.classifier.labels:
            raise ClassifierError(f"cannot count {counted!r}: {self.classifier.path.name} has the classes "
                                  f"{', '.join(self.classifier.labels)}")
        return counted

    @property
    def labels(self) -> tuple[str, ...]:
        """The classifier's class names."""
        return self.classifier.labels

    @property
    def order(self) -> str:
        """The coordinate order fed to the classifier."""
        return self._order

    @property
    def counted(self) -> str | None:
        """The class whose repetitions are counted, or None."""
        return self._counted

    @property
    def compare_orders(self) -> bool:
        """True while both orders are classified."""
        return self._compare

    @property
    def total_repetitions(self) -> int | None:
        """Repetitions over the whole run (across resets), or None without a counted class."""
        return None if self._counted is None else self._earlier_runs + self.counter.count

    def spec(self) -> ClassifierSpec:
        """This stage's classifier and settings (:meth:`ClassifierSpec.build` makes a twin)."""
        with self._lock:
            return ClassifierSpec(self.classifier.path, self.classifier.labels, self._order, self._counted)

    def set_order(self, order: str) -> None:
        """Feed `order` from the next frame on; resets the counter (any thread)."""
        order = _check_order(order)
        with self._lock:
            if order != self._order:
                self._order = order
                self._restart_counter()

    def set_counted(self, counted: str | None) -> None:
        """Count repetitions of `counted` (None: none) from the next frame on; resets the counter."""
        counted = self._check_counted(counted)
        with self._lock:
            if counted != self._counted:
                self._restart_counter()
                self._counted = counted

    def set_compare_orders(self, on: bool) -> None:
        """Also classify in the other order (or stop doing so)."""
        with self._lock:
            self._compare = bool(on)

    def _restart_counter(self) -> None:
        self._earlier_runs += self.counter.count
        self.counter.reset()

    def reset(self) -> None:
        """Start counting afresh (seek, source change, loop): the counter goes back to 0."""
        with self._lock:
            self._restart_counter()

    def classify(self, poses, timestamp_ms: float, *, count: bool = True) -> FrameClassification:
        """Classify the poses of one frame and update the counter and the frame tally.

        Args:
            poses: the frame's :class:`~.keypoints.Pose` objects (keypoints [17, 3] in frame
                pixels), as in :attr:`~.frame_result.FrameResult.poses`.
            timestamp_ms: the frame's time in ms (drives the counter's minimum dwell).
            count: update the counter and the tally; False classifies a frame shown again
                (a paused frame after an order switch) without counting it twice.

        Returns:
            :class:`FrameClassification`.

        Raises:
            ClassifierError: (strict only) a pose without 17 keypoints (e.g. a 13-keypoint
                model), or the classifier failed.
        """
        with self._lock:
            order, counted, compare = self._order, self._counted, self._compare
            other_order = next(o for o in COORDINATE_ORDERS if o != order)
            labels = self.classifier.labels
            try:
                chosen = tuple(Classification(labels, self.classifier.probabilities(p.keypoints, order), order)
                               for p in poses)
                other = tuple(Classification(labels, self.classifier.probabilities(p.keypoints, other_order),
                                             other_order) for p in poses) if compare else ()
            except ClassifierError as exc:
                if self.strict:
                    raise
                return FrameClassification((), (), order, counted, self.counter.count if counted else None,
                                           self.counter.inside, None, str(exc))
            best = max(range(len(poses)), key=lambda i: float(poses[i].score)) if poses else None
            if count and best is not None and chosen[best].label is not None:
                self.frames[chosen[best].label] += 1
            repetitions = None
            if counted is not None:
                probability = chosen[best].probability(counted) if best is not None else None
                if count:
                    self.counter.update(probability, float(timestamp_ms))
                repetitions = self.counter.count
            return FrameClassification(chosen, other, order, counted, repetitions,
                                       self.counter.inside if counted is not None else False, best)

    def summary(self) -> dict:
        """The run's summary for JSON: ``{"frames": {label: n}, "repetitions": n or None}``.

        ``frames`` counts frames by the top class of their best-scoring pose (frames without
        a pose are not counted); ``repetitions`` is :attr:`total_repetitions`.
        """
        with self._lock:
            return {"frames": dict(self.frames), "repetitions": self.total_repetitions}


def _check_order(order: str) -> str:
    if order not in COORDINATE_ORDERS:
        raise ValueError(f"unknown coordinate order {order!r}; use {' or '.join(COORDINATE_ORDERS)}")
    return order
