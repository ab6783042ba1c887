"""Jitter and filter lag of keypoint trajectories (a :class:`~.trajectories.Trajectory`).

**Jitter** of a keypoint is the RMS of the second temporal difference of its position,
``d2[i] = p[i+1] - 2 p[i] + p[i-1]``, over x and y (each coordinate counts as one sample),
in pixels per frame^2 *normalised to 30 fps*. A second difference is taken only over three
consecutive frame indices of one run (no seek, restart or tracker reset in between; frames
dropped by the display's pacing leave a gap) where all three positions are known.

*Normalisation.* For motion that is smooth in time, ``p(t)`` with acceleration ``a``,
``d2 = a * dt^2 + O(dt^4)`` for a frame interval ``dt``: the second difference scales with
``dt^2``. To compare sources of any frame rate, ``d2`` is expressed at the interval of a
30 fps source, ``dt30 = 1/30 s``: ``d2_30 = d2 * (dt30 / dt)^2 = d2 / (dt * 30)^2`` with
``dt`` in seconds (``dt = (t[i+1] - t[i-1]) / 2`` from the frame timestamps). At 30 fps the
factor is 1; at 5 fps (``pose_squats.mp4``) a second difference is divided by 36. White
noise does not scale this way: independent noise of standard deviation sigma per coordinate
gives ``var(d2) = (1 + 4 + 1) sigma^2``, so an RMS of ``sqrt(6) sigma`` at 30 fps whatever
the motion, and ``sqrt(6) sigma / (dt * 30)^2`` at another rate: the same pixel noise
sampled more often is more jitter per unit of time, which is what a viewer sees.

**Lag** of the filter is the time shift that maximises the cross-correlation of the raw and
the smoothed velocities, ``c(s) = mean_i <v_raw[i], v_smoothed[i + s]>`` for ``s`` in
``-MAX_LAG_FRAMES .. MAX_LAG_FRAMES`` frames; the peak is refined to a fraction of a frame by
fitting a parabola through it and its two neighbours, and converted to ms with the median
frame interval. Positive: the smoothed keypoint follows the raw one late.

Velocities are displacements over :data:`VELOCITY_SPAN_MS` (``v[i] = p[i] - p[i - w]``, ``w``
that span in frames, at least 1, within one run), not over one frame: frame-to-frame
differences of real keypoints are mostly detection noise, and a causal filter's output
correlates with white-noise input most at shift 0 (its impulse response peaks there), so
one-frame velocities read almost no lag whatever the filter. On ``pose_1.mp4`` with a 1 Hz
low-pass (``min_cutoff=1,beta=0``, time constant 159 ms) one-frame velocities give a median
lag of 4.9 ms over the 17 keypoints, 100 ms velocities 40 ms; TF.js's filter 1.6 and 4.1 ms.
The figure ranks filters and shows what a change does; it is not the group delay itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .trajectories import Trajectory

#: The reference frame rate jitter is normalised to (Hz).
REFERENCE_FPS = 30.0
#: Largest filter lag searched, in frames either way.
MAX_LAG_FRAMES = 10
#: Velocities for the lag are displacements over this time span (ms), rounded to frames.
VELOCITY_SPAN_MS = 100.0
#: No jitter figure from fewer second differences (frame triplets) of one configuration.
MIN_JITTER_SAMPLES = 10
#: No lag figure from fewer velocity pairs (raw with smoothed, at zero shift): with a handful
#: the correlation peak is noise (2 triplets after a switch read -333 ms).
MIN_LAG_SAMPLES = 30


@dataclass(frozen=True, slots=True)
class KeypointJitter:
    """Jitter and lag of one keypoint.

    Attributes:
        raw_px: jitter of the raw (unsmoothed) keypoint, px per frame^2 at 30 fps; None
            when no second difference could be taken.
        smoothed_px: the same for the smoothed keypoint.
        lag_ms: filter lag in ms (positive: smoothed behind raw); None without raw
            keypoints or motion.
        samples: second differences measured (per coordinate pair).
    """

    raw_px: float | None
    smoothed_px: float | None
    lag_ms: float | None
    samples: int

    def to_json(self) -> dict:
        """``{"raw_px", "smoothed_px", "lag_ms"}`` rounded for the results file (null when unknown)."""
        def rounded(value, digits):
            return None if value is None else round(float(value), digits)
        return {"raw_px": rounded(self.raw_px, 3), "smoothed_px": rounded(self.smoothed_px, 3),
                "lag_ms": rounded(self.lag_ms, 2)}


def _keep(trajectory: Trajectory, current_epoch: bool) -> np.ndarray:
    """bool [N]: frames measured (with `current_epoch`, those smoothed by the newest parameters)."""
    if current_epoch:
        return trajectory.epoch == trajectory.epoch_now
    return np.ones(len(trajectory), bool)


def _neighbours(trajectory: Trajectory, keep: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray]:
    """(positions j, positions of frame index[j] + step) for pairs in one run, both kept."""
    index, run = trajectory.index, trajectory.run
    j = np.flatnonzero(keep)
    pos = np.searchsorted(index, index[j] + step)
    ok = pos < len(index)
    j, pos = j[ok], pos[ok]
    ok = (index[pos] == index[j] + step) & (run[pos] == run[j]) & keep[pos]
    return j[ok], pos[ok]


def second_difference_rms(xy: np.ndarray, trajectory: Trajectory, keep: np.ndarray | None = None
                          ) -> tuple[np.ndarray, np.ndarray]:
    """RMS second difference per keypoint, px per frame^2 normalised to 30 fps (module docstring).

    Args:
        xy: float [N, K, 2] positions in pixels, aligned with `trajectory` (NaN: unknown).
        trajectory: gives frame indices, timestamps (ms) and runs.
        keep: bool [N] frames to use (default: all).

    Returns:
        (float64 [K] RMS, NaN where no sample; int64 [K] second differences per keypoint).
    """
    keep = np.ones(len(trajectory), bool) if keep is None else keep
    with_prev, prev_all = _neighbours(trajectory, keep, -1)
    with_next, next_all = _neighbours(trajectory, keep, +1)
    centre, at_prev, at_next = np.intersect1d(with_prev, with_next, return_indices=True)
    prev, nxt = prev_all[at_prev], next_all[at_next]
    k = xy.shape[1]
    if centre.size == 0:
        return np.full(k, np.nan), np.zeros(k, np.int64)
    p = xy.astype(np.float64)
    d2 = p[nxt] - 2 * p[centre] + p[prev]                                       # [T, K, 2]
    dt_s = (trajectory.timestamp_ms[nxt] - trajectory.timestamp_ms[prev]) / 2000.0
    scale = np.where(dt_s > 0, 1.0 / np.maximum(dt_s * REFERENCE_FPS, 1e-9) ** 2, np.nan)
    d2 = d2 * scale[:, None, None]
    valid = np.isfinite(d2).all(axis=2)                                         # [T, K]
    counts = valid.sum(axis=0)
    d2[~valid] = 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        rms = np.sqrt(np.einsum("tkc,tkc->k", d2, d2) / (2 * counts))
    return np.where(counts > 0, rms, np.nan), counts.astype(np.int64)


def filter_lag_ms(trajectory: Trajectory, keep: np.ndarray | None = None,
                  max_frames: int = MAX_LAG_FRAMES, min_samples: int = MIN_LAG_SAMPLES) -> np.ndarray:
    """Lag of the smoothed keypoints behind the raw ones, in ms per keypoint (module docstring).

    Args:
        trajectory: raw and smoothed positions [N, K, 2] with indices, timestamps, runs.
        keep: bool [N] frames to use (default: all).
        max_frames: largest shift searched, frames either way.
        min_samples: fewest velocity pairs (at zero shift) a keypoint needs for a figure.

    Returns:
        float64 [K] lag in ms, NaN where it cannot be measured (no raw keypoints, no motion,
        fewer than `min_samples` velocity pairs).
    """
    keep = np.ones(len(trajectory), bool) if keep is None else keep
    k = trajectory.raw.shape[1]
    cur, prev = _neighbours(trajectory, keep, -1)
    if cur.size < 3:
        return np.full(k, np.nan)
    frame_ms = _frame_interval_ms(trajectory, prev, cur)
    span = max(1, round(VELOCITY_SPAN_MS / frame_ms))
    cur, prev = _neighbours(trajectory, keep, -span)
    if cur.size < 3:
        return np.full(k, np.nan)
    raw = trajectory.raw.astype(np.float64)
    smooth = trajectory.smoothed.astype(np.float64)
    v_raw, v_smooth = raw[cur] - raw[prev], smooth[cur] - smooth[prev]         # [V, K, 2]
    ok_raw, ok_smooth = np.isfinite(v_raw).all(axis=2), np.isfinite(v_smooth).all(axis=2)  # [V, K]
    v_raw[~ok_raw], v_smooth[~ok_smooth] = 0.0, 0.0
    ok_raw, ok_smooth = ok_raw.astype(np.float64), ok_smooth.astype(np.float64)
    has_v = np.zeros(len(trajectory), bool)
    has_v[cur] = True
    row = np.full(len(trajectory), -1)
    row[cur] = np.arange(cur.size)
    shifts = np.arange(-max_frames, max_frames + 1)
    corr = np.full((shifts.size, k), np.nan)
    enough = np.einsum("pk,pk->k", ok_raw, ok_smooth) >= min_samples                # [K]
    for n, shift in enumerate(shifts):
        a, b = _neighbours(trajectory, has_v, int(shift)) if shift else (cur, cur)
        if a.size == 0:
            continue
        ra, rb = row[a], row[b]
        pairs = np.einsum("pk,pk->k", ok_raw[ra], ok_smooth[rb])                 # [K] pairs with both
        total = np.einsum("pkc,pkc->k", v_raw[ra], v_smooth[rb])
        corr[n] = np.where(pairs > 0, total / np.maximum(pairs, 1), np.nan)
    return np.array([_peak(corr[:, j], shifts) * frame_ms if enough[j] else math.nan for j in range(k)])


def _frame_interval_ms(trajectory: Trajectory, prev: np.ndarray, cur: np.ndarray) -> float:
    steps = trajectory.timestamp_ms[cur] - trajectory.timestamp_ms[prev]
    steps = steps[steps > 0]
    return float(np.median(steps)) if steps.size else 1000.0 / REFERENCE_FPS


def _peak(corr: np.ndarray, shifts: np.ndarray) -> float:
    """Shift (frames, sub-frame by a parabola through the peak) of the largest correlation, or NaN."""
    if not np.isfinite(corr).any() or np.nanmax(corr) <= 0:
        return math.nan
    n = int(np.nanargmax(corr))
    shift = float(shifts[n])
    if 0 < n < len(corr) - 1 and np.isfinite(corr[n - 1]) and np.isfinite(corr[n + 1]):
        left, mid, right = corr[n - 1], corr[n], corr[n + 1]
        curvature = left - 2 * mid + right
        if curvature < 0:
            shift += 0.5 * (left - right) / curvature
    return shift


def measure_jitter(trajectory: Trajectory, current_epoch: bool = True) -> dict[str, KeypointJitter]:
    """Jitter (raw and smoothed) and lag of every keypoint of `trajectory`.

    Args:
        trajectory: a recorder's snapshot (all keypoints).
        current_epoch: measure only the frames of the newest epoch: smoothed with the newest
            filter parameters, by the newest model and runtime (after a change in the window
            the figures describe the new configuration alone).

    A jitter figure needs :data:`MIN_JITTER_SAMPLES` frame triplets and a lag figure
    :data:`MIN_LAG_SAMPLES` velocity pairs of that epoch; fewer give None (no figure).

    Returns:
        ``{keypoint name: KeypointJitter}`` in keypoint order, for every keypoint.
    """
    keep = _keep(trajectory, current_epoch)
    raw, counts = second_difference_rms(trajectory.raw, trajectory, keep)
    smooth, smooth_counts = second_difference_rms(trajectory.smoothed, trajectory, keep)
    lag = filter_lag_ms(trajectory, keep)

    def value(x: float, samples: int = MIN_JITTER_SAMPLES) -> float | None:
        return None if not math.isfinite(x) or samples < MIN_JITTER_SAMPLES else float(x)

    return {name: KeypointJitter(value(raw[i], counts[i]), value(smooth[i], smooth_counts[i]), value(lag[i]),
                                 int(max(counts[i], smooth_counts[i])))
            for i, name in enumerate(trajectory.names)}


def jitter_summary_json(jitter: dict[str, KeypointJitter]) -> dict:
    """``summary.jitter`` of the results file: ``{name: {"raw_px", "smoothed_px", "lag_ms"}}``."""
    return {name: value.to_json() for name, value in jitter.items()}
