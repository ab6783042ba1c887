"""Running statistics of non-negative values in fixed memory: exact count, mean, min and max,
and quantiles from a histogram of log-spaced bins (:class:`LogHistogram`).

Why log-spaced bins: a comparison's keypoint distances span five orders of magnitude
(1e-4 px between TFLite and ONNX on the same input, tens of px between float16 and int8 on a
low-score keypoint) and timings from a fraction of a ms to seconds. Bins whose edges grow by a
constant factor give every value the same *relative* resolution with a fixed number of bins,
whatever the run's length or the values' range; the bin mapping and its error bound are
DDSketch's (C. Masson, J. E. Rim, H. K. Lee, "DDSketch: A Fast and Fully-Mergeable Quantile
Sketch with Relative-Error Guarantees", VLDB 2019). A reservoir sample would bound memory too,
but its quantiles carry a sampling error that depends on the run and cannot be stated as one
resolution; a linear histogram fine enough for 1e-4 px would need millions of bins to reach
1e5 px. The bins are one numpy array filled per call, so adding a frame's 17 keypoints costs a
few microseconds (the window adds one per result on the GUI thread).
"""

from __future__ import annotations

import math

import numpy as np

#: Relative resolution of a quantile: within 0.5 % of numpy's value.
RELATIVE_ERROR = 0.005
#: Values below this are told apart from each other only within this absolute resolution.
LOWEST = 1e-4
#: Values from this up share the top bin (reported clipped to the exact maximum).
HIGHEST = 1e5


class LogHistogram:
    """Running count, mean, min, max and quantiles of non-negative values in `rows` rows.

    Memory is fixed at construction (:attr:`nbytes`): ``rows x bins`` int64 counts plus four
    float64 [rows] arrays, about 17 x 2080 x 8 B = 280 KB for 17 keypoints with the defaults.

    Resolution of :meth:`quantile` against ``numpy.percentile`` (linear interpolation) of
    the same values: within `relative_error` of the value, or within `lowest` absolute for
    values below `lowest`; values at or above `highest` are reported no higher than the exact
    maximum (their relative error is then not bounded). Count, mean, min and max are exact
    (float64 sums).

    Args:
        rows: independent rows (e.g. 17 keypoints); :meth:`add` takes [..., rows] arrays.
        relative_error: alpha; bin edges grow by ``gamma = (1 + alpha) / (1 - alpha)`` and a
            bin reports ``2 lo hi / (lo + hi)``, within alpha of any value in ``[lo, hi)``.
        lowest: values in ``[0, lowest)`` share bin 0 (unit of the values, e.g. px or ms).
        highest: values from here up share the top bin.

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
        self._log_gamma = math.log((1.0 + relative_error) / (1.0 - relative_error))
        self.bins = 2 + math.ceil(math.log(highest / lowest) / self._log_gamma)
        gamma = math.exp(self._log_gamma)
        # Bin b >= 1 holds [lowest * gamma^(b-1), lowest * gamma^b); bin 0 holds [0, lowest).
        # What each bin reports (then clipped to the exact min and max): the top bin the max.
        self._values = np.concatenate([[0.0], lowest * gamma ** np.arange(self.bins - 2) * 2 * gamma / (1 + gamma),
                                       [np.inf]])
        self._counts = np.zeros((self.rows, self.bins), np.int64)
        self._rows_cache = np.arange(self.rows)
        self._sum = np.zeros(self.rows)
        self._min = np.full(self.rows, np.inf)
        self._max = np.full(self.rows, -np.inf)

    def reset(self) -> None:
        """Forget every value (the memory stays)."""
        self._counts[:] = 0
        self._sum[:] = 0.0
        self._min[:] = np.inf
        self._max[:] = -np.inf

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays holding the statistics (constant after construction)."""
        return sum(a.nbytes for a in (self._counts, self._sum, self._min, self._max, self._values))

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
        if present.all():  # the usual case, kept cheap: the window adds a frame per result
            rows, kept = self._row_index(len(values)), values.ravel()
            low = high = total = values
        elif present.any():
            rows, kept = np.nonzero(present)[1], values[present]
            low, high = np.where(present, values, np.inf), np.where(present, values, -np.inf)
            total = np.where(present, values, 0.0)
        else:
            return
        if kept.min() < 0 or kept.max() == np.inf:
            raise ValueError("histogram values must be finite and non-negative")
        index = np.log(np.maximum(kept, self.lowest) * (1.0 / self.lowest))
        index *= 1.0 / self._log_gamma
        index = np.minimum(index.astype(np.intp) + 1, self.bins - 1)  # floor: the log is >= 0
        index[kept < self.lowest] = 0
        if len(values) == 1:  # one value per row: no (row, bin) repeats, so plain indexing adds
            self._counts[rows, index] += 1
        else:
            np.add.at(self._counts, (rows, index), 1)
        self._sum += total.sum(axis=0)
        np.fmin(self._min, low.min(axis=0), out=self._min)
        np.fmax(self._max, high.max(axis=0), out=self._max)

    def _row_index(self, n: int) -> np.ndarray:
        """intp [n * rows] the row of each value of an [n, rows] array, flattened."""
        if len(self._rows_cache) != n * self.rows:
            self._rows_cache = np.tile(np.arange(self.rows), n)
        return self._rows_cache

    @property
    def count(self) -> np.ndarray:
        """int64 [rows] values added per row."""
        return self._counts.sum(axis=1)

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
        total = int(self._counts.sum())
        return float(self._sum.sum() / total) if total else float("nan")

    def pooled_max(self) -> float:
        """Exact maximum over every row (nan when empty)."""
        return float(np.nanmax(self.max)) if self._counts.any() else float("nan")

    def quantile(self, q: float, row: int | None = None) -> float:
        """The `q` quantile (0..1) of one row's values, or of all rows pooled with None.

        Like ``numpy.percentile(values, 100 * q)`` (linear interpolation between the order
        statistics around rank ``q (n - 1)``), each order statistic read from its bin, clipped
        to the exact min and max: within the resolution in the class docstring. nan when empty.

        Raises:
            ValueError: q outside 0..1.
        """
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"quantile must be in 0..1, got {q}")
        rows = slice(None) if row is None else slice(row, row + 1)
        counts = self._counts[rows].sum(axis=0)
        total = int(counts.sum())
        if not total:
            return float("nan")
        low, high = float(np.min(self._min[rows])), float(np.max(self._max[rows]))
        cumulative = np.cumsum(counts)
        rank = q * (total - 1)
        below = math.floor(rank)
        above = min(below + 1, total - 1)
        first, second = (float(np.clip(self._values[np.searchsorted(cumulative, k, side="right")], low, high))
                         for k in (below, above))
        return first + (rank - below) * (second - first)
