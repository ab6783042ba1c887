"""Running statistics of non-negative values in bounded memory: exact count, mean, min and max,
and quantiles from one DDSketch per row (:class:`LogHistogram`).

Why a relative-error sketch: a comparison's keypoint distances span five orders of magnitude
(1e-4 px between TFLite and ONNX on the same input, tens of px between float16 and int8 on a
low-score keypoint) and timings from a fraction of a ms to seconds. DDSketch's log-spaced bins
give every value the same *relative* resolution with a bounded number of bins, whatever the
run's length or the values' range (C. Masson, J. E. Rim, H. K. Lee, "DDSketch: A Fast and
Fully-Mergeable Quantile Sketch with Relative-Error Guarantees", VLDB 2019; the ``ddsketch``
package is Datadog's, the paper's authors'). A reservoir sample would bound memory too, but
its quantiles carry a sampling error that depends on the run and cannot be stated as one
resolution. What stays here is what MoveNet's figures need on top of the sketch: many rows (17
keypoints) added as one array, NaN keypoints skipped, values below :data:`LOWEST` px told apart
only absolutely, numpy's interpolated percentile, and exact means, minima and maxima.
"""

from __future__ import annotations

import math

import numpy as np
from ddsketch import LogCollapsingLowestDenseDDSketch

#: Relative resolution of a quantile: within 0.5 % of numpy's value.
RELATIVE_ERROR = 0.005
#: Values below this are told apart from each other only within this absolute resolution.
LOWEST = 1e-4
#: Values from this up share the top bin (reported clipped to the exact maximum).
HIGHEST = 1e5


class LogHistogram:
    """Running count, mean, min, max and quantiles of non-negative values in `rows` rows.

    Memory is bounded at construction (:attr:`nbytes`): each row's sketch keeps at most
    ``bins`` bins (values from `lowest` to `highest` at the relative resolution need no more,
    so none is ever collapsed), plus four float64 [rows] arrays for the exact statistics.

    Resolution of :meth:`quantile` against ``numpy.percentile`` (linear interpolation) of
    the same values: within `relative_error` of the value, or within `lowest` absolute for
    values below `lowest`; values at or above `highest` are reported no higher than the exact
    maximum (their relative error is then not bounded). Count, mean, min and max are exact
    (float64 sums).

    Args:
        rows: independent rows (e.g. 17 keypoints); :meth:`add` takes [..., rows] arrays.
        relative_error: DDSketch's relative accuracy alpha.
        lowest: values in ``[0, lowest)`` count as 0 in the sketch (unit of the values, e.g. px or ms).
        highest: values from here up count as `highest` in the sketch.

    Raises:
        ValueError: rows < 1, relative_error not in (0, 1), or not 0 < lowest < highest.
    """

    def __init__(self, rows: int = 1, relative_error: float = RELATIVE_ERROR, lowest: float = LOWEST,
                 highest: float = HIGHEST):
        if rows < 1 or not 0.0 < relative_error < 1.0 or not 0.0 < lowest < highest:
            raise ValueError(f"bad histogram: rows={rows}, relative_error={relative_error}, "
                             f"lowest={lowest}, highest={highest}")
        self.rows = int(rows)
        self.relative_error = float(relative_error)
        self.lowest, self.highest = float(lowest), float(highest)
        gamma = (1.0 + relative_error) / (1.0 - relative_error)
        #: Most bins a row's sketch keeps: enough for lowest..highest, so nothing is collapsed.
        self.bins = 2 + math.ceil(math.log(highest / lowest) / math.log(gamma))
        self._sum = np.zeros(self.rows)
        self._min = np.full(self.rows, np.inf)
        self._max = np.full(self.rows, -np.inf)
        self._sketches = self._new_sketches()
        top = LogCollapsingLowestDenseDDSketch(self.relative_error, bin_limit=self.bins)
        top.add(self.highest)
        self._top = top.get_quantile_value(0.0)  # what the sketch reports for the bin of `highest`

    def _new_sketches(self) -> list[LogCollapsingLowestDenseDDSketch]:
        return [LogCollapsingLowestDenseDDSketch(self.relative_error, bin_limit=self.bins) for _ in range(self.rows)]

    def reset(self) -> None:
        """Forget every value."""
        self._sketches = self._new_sketches()
        self._sum[:] = 0.0
        self._min[:] = np.inf
        self._max[:] = -np.inf

    @property
    def nbytes(self) -> int:
        """Bound on the bytes holding the statistics: ``bins`` 8-byte counts per row and the exact
        statistics' arrays (constant after construction)."""
        return self.rows * self.bins * 8 + sum(a.nbytes for a in (self._sum, self._min, self._max))

    def add(self, values: np.ndarray) -> None:
        """Add values: float [..., rows] (e.g. [P, 17] for P pose pairs); NaN values are skipped.

        Raises:
            ValueError: the last axis is not `rows` long, or a value is negative or infinite.
        """
        values = np.asarray(values, dtype=np.float64)
        if values.shape[-1:] != (self.rows,):
            raise ValueError(f"expected [..., {self.rows}] values, got shape {values.shape}")
        values = values.reshape(-1, self.rows)
        present = values == values  # not NaN
        if not present.any():
            return
        kept = values[present]
        if kept.min() < 0 or kept.max() == np.inf:
            raise ValueError("histogram values must be finite and non-negative")
        sketched = np.where(values < self.lowest, 0.0, np.minimum(values, self.highest))
        for row, sketch in enumerate(self._sketches):
            column = sketched[:, row]
            for value in (column if present[:, row].all() else column[present[:, row]]).tolist():
                sketch.add(value)
        self._sum += np.where(present, values, 0.0).sum(axis=0)
        np.fmin(self._min, np.where(present, values, np.inf).min(axis=0), out=self._min)
        np.fmax(self._max, np.where(present, values, -np.inf).max(axis=0), out=self._max)

    @property
    def count(self) -> np.ndarray:
        """int64 [rows] values added per row."""
        return np.array([int(sketch.count) for sketch in self._sketches], np.int64)

    @property
    def mean(self) -> np.ndarray:
        """float64 [rows] exact mean per row (nan for an empty row)."""
        count = self.count
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, self._sum / np.maximum(count, 1), np.nan)

    @property
    def max(self) -> np.ndarray:
        """float64 [rows] exact maximum per row (nan for an empty row)."""
        return np.where(np.isfinite(self._max), self._max, np.nan)

    @property
    def min(self) -> np.ndarray:
        """float64 [rows] exact minimum per row (nan for an empty row)."""
        return np.where(np.isfinite(self._min), self._min, np.nan)

    def pooled_mean(self) -> float:
        """Exact mean over every row's values (nan when empty)."""
        total = int(self.count.sum())
        return float(self._sum.sum() / total) if total else float("nan")

    def pooled_max(self) -> float:
        """Exact maximum over every row (nan when empty)."""
        return float(np.nanmax(self.max)) if self.count.any() else float("nan")

    def quantile(self, q: float, row: int | None = None) -> float:
        """The `q` quantile (0..1) of one row's values, or of all rows pooled with None.

        Like ``numpy.percentile(values, 100 * q)`` (linear interpolation between the order
        statistics around rank ``q (n - 1)``), each order statistic read from the sketch,
        clipped to the exact min and max: within the resolution in the class docstring. nan
        when empty.

        Raises:
            ValueError: q outside 0..1.
        """
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"quantile must be in 0..1, got {q}")
        rows = range(self.rows) if row is None else (row,)
        sketch = self._sketches[rows[0]]
        if len(rows) > 1:
            sketch = LogCollapsingLowestDenseDDSketch(self.relative_error, bin_limit=self.bins)
            for r in rows:
                sketch.merge(self._sketches[r])
        total = int(sketch.count)
        if not total:
            return float("nan")
        low, high = float(np.min(self._min[list(rows)])), float(np.max(self._max[list(rows)]))
        rank = q * (total - 1)
        below = math.floor(rank)
        above = min(below + 1, total - 1)
        first, second = (float(np.clip(self._order_statistic(sketch, k, total), low, high)) for k in (below, above))
        return first + (rank - below) * (second - first)

    def _order_statistic(self, sketch: LogCollapsingLowestDenseDDSketch, k: int, total: int) -> float:
        """The sketch's value of the k-th smallest (0-based) of its `total` values (asked at rank
        k + 0.5, inside the k-th value's count, so float rounding cannot move it to a neighbour);
        +inf for the top bin (values from `highest` up), which the caller clips to the exact max."""
        value = sketch.get_quantile_value(0.0 if total == 1 else min((k + 0.5) / (total - 1), 1.0))
        return np.inf if value >= self._top else value
