"""Running figures of a comparison (:class:`CompareStats`) in fixed memory: the one
accumulator of the CLI's ``compare`` report and JSON summary and of the window's compare table.

Means, maxima, scores and counts are exact; medians and 95th percentiles come from
log-spaced histograms (:class:`~.log_histogram.LogHistogram`): within 0.5 % (or 1e-4 px /
1e-4 ms for smaller values) of numpy's percentile of every value, while the memory stays the
same however long the run (a looping video in the window).
"""

from __future__ import annotations

import numpy as np

from ..decoding.keypoints import KEYPOINT_NAMES, NUM_KEYPOINTS
from .compare_frame import CompareFrame
from .log_histogram import LogHistogram

#: Rows of the timing histogram.
_TIMINGS = (("a", "inference"), ("b", "inference"), ("a", "total"), ("b", "total"))


def _optional(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


class CompareStats:
    """Accumulates :class:`~.compare_frame.CompareFrame` results over a run, O(1) time and memory per frame.

    Attributes:
        frames: frames added since the last reset.
        frame_size: (height, width) in pixels of the first frame added (None before).
        pairs: compared pose pairs (single-pose: one per frame).
        shared_frames: frames on which B ran on A's exact model input.
        unmatched_a, unmatched_b: MultiPose instances without a partner, summed over frames.
        distances: per keypoint (17 rows), the A-B distances in frame pixels (NaN, a keypoint
            one model does not have, skipped).
        timings_ms: rows ``_TIMINGS``: A's and B's inference, A's and B's total time per
            frame in ms (B's total includes making its input only when it could not reuse A's).
        last_px: float [17] A-B distance on the newest frame (mean over its pairs; nan
            without a pair or for a keypoint one model does not have).
        last_score_a, last_score_b: float [17] the newest frame's keypoint scores (mean over pairs).
    """

    def __init__(self):
        self.distances = LogHistogram(NUM_KEYPOINTS)
        self.timings_ms = LogHistogram(len(_TIMINGS))
        self.reset()

    def reset(self) -> None:
        """Forget everything (the memory stays)."""
        self.frames = self.pairs = self.shared_frames = self.unmatched_a = self.unmatched_b = 0
        self.frame_size: tuple[int, int] | None = None
        self.distances.reset()
        self.timings_ms.reset()
        self._sum_a = np.zeros(NUM_KEYPOINTS)
        self._sum_b = np.zeros(NUM_KEYPOINTS)
        self.last_px = np.full(NUM_KEYPOINTS, np.nan)
        self.last_score_a = np.full(NUM_KEYPOINTS, np.nan)
        self.last_score_b = np.full(NUM_KEYPOINTS, np.nan)

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays holding the figures: the same after 1 frame or a million."""
        arrays = (self._sum_a, self._sum_b, self.last_px, self.last_score_a, self.last_score_b)
        return self.distances.nbytes + self.timings_ms.nbytes + sum(a.nbytes for a in arrays)

    def add(self, frame: CompareFrame) -> None:
        """Add one frame's comparison."""
        self.frames += 1
        if self.frame_size is None:
            self.frame_size = (int(frame.a.frame.shape[0]), int(frame.a.frame.shape[1]))
        self.shared_frames += int(frame.shared_input)
        self.unmatched_a += frame.unmatched_a
        self.unmatched_b += frame.unmatched_b
        self.timings_ms.add([float(getattr(frame, side).timings_ms[stage]) for side, stage in _TIMINGS])
        distances = np.asarray(frame.distances_px, dtype=np.float64)
        if not len(distances):
            self.last_px[:] = self.last_score_a[:] = self.last_score_b[:] = np.nan
            return
        self.pairs += len(distances)
        self.distances.add(distances)
        scores_a = np.nansum(np.asarray(frame.scores_a, dtype=np.float64), axis=0)
        scores_b = np.nansum(np.asarray(frame.scores_b, dtype=np.float64), axis=0)
        self._sum_a += scores_a
        self._sum_b += scores_b
        present = np.isfinite(distances)
        count = present.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.last_px = np.where(count > 0, np.where(present, distances, 0.0).sum(axis=0) / count, np.nan)
            self.last_score_a = np.where(count > 0, scores_a / len(distances), np.nan)
            self.last_score_b = np.where(count > 0, scores_b / len(distances), np.nan)

    @property
    def mean_px(self) -> np.ndarray:
        """float [17] running mean distance per keypoint (nan before any pair)."""
        return self.distances.mean

    @property
    def max_px(self) -> np.ndarray:
        """float [17] running max distance per keypoint (nan before any pair)."""
        return self.distances.max

    @property
    def mean_score_a(self) -> np.ndarray:
        """float [17] A's running mean keypoint score over all pairs (nan before any pair)."""
        return self._sum_a / self.pairs if self.pairs else np.full(NUM_KEYPOINTS, np.nan)

    @property
    def mean_score_b(self) -> np.ndarray:
        """float [17] B's running mean keypoint score over all pairs (nan before any pair)."""
        return self._sum_b / self.pairs if self.pairs else np.full(NUM_KEYPOINTS, np.nan)

    def keypoint_rows(self) -> list[dict]:
        """Per keypoint: ``name``, ``mean_px``, ``p95_px``, ``max_px``, ``mean_score_a``,
        ``mean_score_b`` (None for a keypoint never compared)."""
        mean, top, score_a, score_b = self.mean_px, self.max_px, self.mean_score_a, self.mean_score_b
        rows = []
        for k, name in enumerate(KEYPOINT_NAMES):
            has = np.isfinite(mean[k])
            rows.append({
                "name": name, "mean_px": _optional(mean[k]),
                "p95_px": _optional(self.distances.quantile(0.95, k)), "max_px": _optional(top[k]),
                "mean_score_a": float(score_a[k]) if has else None,
                "mean_score_b": float(score_b[k]) if has else None,
            })
        return rows

    def overall(self) -> dict:
        """Over all keypoints and pairs: ``mean_px``, ``median_px``, ``p95_px``, ``max_px``
        (None when nothing was compared)."""
        return {"mean_px": _optional(self.distances.pooled_mean()),
                "median_px": _optional(self.distances.quantile(0.5)),
                "p95_px": _optional(self.distances.quantile(0.95)),
                "max_px": _optional(self.distances.pooled_max())}

    def _timing(self, row: int) -> dict:
        frames = int(self.timings_ms.count[row])
        mean = _optional(self.timings_ms.mean[row])
        return {"frames": frames, "mean_ms": mean, "p50_ms": _optional(self.timings_ms.quantile(0.5, row)),
                "p95_ms": _optional(self.timings_ms.quantile(0.95, row)),
                "fps": 1000.0 / mean if mean else None}

    def timing(self) -> dict:
        """``{"a": {...}, "b": {...}}`` with ``inference`` and ``total`` stats each:
        ``frames``, ``mean_ms``, ``p50_ms``, ``p95_ms``, ``fps`` (1000 / mean)."""
        out: dict = {"a": {}, "b": {}}
        for row, (side, stage) in enumerate(_TIMINGS):
            out[side][stage] = self._timing(row)
        return out

    def summary(self) -> dict:
        """Everything as a JSON-ready dict: counts, ``overall``, ``keypoints``, ``timing``."""
        return {
            "frames": self.frames, "frame_size": None if self.frame_size is None else list(self.frame_size),
            "pairs": self.pairs, "shared_input_frames": self.shared_frames,
            "unmatched_a": self.unmatched_a, "unmatched_b": self.unmatched_b,
            "overall": self.overall(), "keypoints": self.keypoint_rows(), "timing": self.timing(),
        }
