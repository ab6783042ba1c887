"""Keypoint smoothing as TF.js MoveNet runs it: a One Euro filter with a thresholded low-pass.

Ported from Google's ``tensorflow/tfjs-models`` (Apache-2.0), not copied:

- ``shared/filters/low_pass_filter.ts``           -> :class:`LowPassFilter`
- ``shared/filters/one_euro_filter.ts``           -> :class:`OneEuroFilter`
- ``shared/filters/keypoints_one_euro_filter.ts`` -> :class:`KeypointsOneEuroFilter`
- ``pose-detection/src/movenet/constants.ts`` (``KEYPOINT_FILTER_CONFIG``) and
  ``pose-detection/src/movenet/detector.ts`` (``estimateSinglePose``) -> :class:`KeypointSmoother`

The "thresholded low-pass" / velocity stage of MoveNet is not a separate filter in TF.js: it is
the ``threshold`` argument of the One Euro filter's value low-pass, which passes the change
``value - previous`` through ``threshold * asinh(change / threshold)`` (linear for small
changes, logarithmic for big jumps). ``KeypointsVelocityFilter`` / ``KeypointsSmoothingFilter``
in ``shared/filters`` are BlazePose's, MoveNet never uses them.

All filters here are vectorised: one filter object smooths a whole numpy array element-wise,
which is exactly equivalent to TF.js's one scalar filter per coordinate because every element
shares the same timestamps. Arithmetic is float64 in the same operation order as the
JavaScript (doubles), so results match TF.js to the last bit or close to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

__all__ = [
    "MOVENET_KEYPOINT_FILTER_CONFIG",
    "KeypointSmoother",
    "KeypointsOneEuroFilter",
    "LowPassFilter",
    "OneEuroConfig",
    "OneEuroFilter",
    "ONE_EURO_PARAMETERS",
    "check_one_euro",
    "format_one_euro",
    "one_euro_values",
    "parse_one_euro",
]

_MILLISECOND_TO_MICRO_SECONDS = 1000  # shared/calculators/constants.ts
_MICRO_SECONDS_TO_SECOND = 1e-6


def _as_value(value):
    """float64 ndarray (any shape, 0-d for scalars) of ``value``."""
    return np.array(value, dtype=np.float64)


def _out(result: np.ndarray):
    """Return a Python float for 0-d results, the array otherwise."""
    return float(result) if result.ndim == 0 else result


class LowPassFilter:
    """Exponential smoothing with an optional asinh "threshold" non-linearity.

    Port of ``shared/filters/low_pass_filter.ts`` (itself from MediaPipe
    ``util/filtering/low_pass_filter.cc``), vectorised over numpy arrays.

    The first sample after construction or :meth:`reset` passes through unchanged and
    initialises the state. Afterwards ``out = prev + alpha * (value - prev)``, or with a
    threshold ``out = prev + alpha * threshold * asinh((value - prev) / threshold)``, where
    ``prev`` is the previous *output*. Units are whatever the caller feeds in.

    Args:
        alpha: smoothing factor in (0, 1]; 1 passes values through.
    """

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha
        self._raw: np.ndarray | None = None
        self._stored: np.ndarray | None = None

    def reset(self) -> None:
        """Forget the state; the next sample passes through (TF.js ``reset``)."""
        self._raw = None
        self._stored = None

    @property
    def initialized(self) -> bool:
        """True once a sample has been seen since construction/reset (``hasLastRawValue``)."""
        return self._stored is not None

    def last_raw_value(self):
        """The last unfiltered input (float or ndarray copy). Raises RuntimeError if none."""
        if self._raw is None:
            raise RuntimeError("LowPassFilter has no sample yet")
        return _out(self._raw.copy())

    def apply(self, value, threshold=None):
        """Filter one sample.

        Args:
            value: float or float ndarray (same shape on every call until reset).
            threshold: None for the plain low-pass, or a positive float / ndarray
                (broadcastable to ``value``) for the asinh-limited form.

        Returns:
            The filtered sample: float for scalar input, float64 ndarray otherwise.

        Raises:
            ValueError: if ``value`` changes shape without a reset.
        """
        v = _as_value(value)
        if self._stored is None:
            result = v.copy()
        else:
            if v.shape != self._stored.shape:
                raise ValueError(f"sample shape {v.shape} != filter shape {self._stored.shape}")
            prev = self._stored
            if threshold is None:
                result = prev + self.alpha * (v - prev)
            else:
                t = _as_value(threshold)
                result = prev + self.alpha * t * np.arcsinh((v - prev) / t)
        self._raw = v
        self._stored = np.asarray(result, dtype=np.float64)
        return _out(self._stored.copy())

    def apply_with_alpha(self, value, alpha, threshold=None):
        """Set ``alpha`` (float or ndarray broadcastable to ``value``), then :meth:`apply`."""
        self.alpha = alpha
        return self.apply(value, threshold)


@dataclass(frozen=True, slots=True)
class OneEuroConfig:
    """One Euro filter parameters (TF.js ``OneEuroFilterConfig``).

    Attributes:
        frequency: initial sampling rate in Hz; replaced by the rate measured from timestamps
            from the second timestamped sample on.
        min_cutoff: minimum cut-off frequency in Hz (``minCutOff``).
        beta: speed coefficient (``beta``), cut-off grows by ``beta * |speed|``.
        derivate_cutoff: cut-off in Hz for the speed estimate (``derivateCutOff``).
        threshold_cutoff: base of the asinh threshold (``thresholdCutOff``), None disables it.
        threshold_beta: growth of the threshold with ``|speed|`` (``thresholdBeta``).
        disable_value_scaling: True: ignore the object scale (MoveNet sets this).
        min_allowed_object_scale: with value scaling on, smaller object scales skip smoothing.
    """

    frequency: float = 30.0
    min_cutoff: float = 1.0
    beta: float = 0.0
    derivate_cutoff: float = 1.0
    threshold_cutoff: float | None = None
    threshold_beta: float | None = None
    disable_value_scaling: bool = False
    min_allowed_object_scale: float = 1e-6


#: TF.js ``KEYPOINT_FILTER_CONFIG`` from ``pose-detection/src/movenet/constants.ts``.
MOVENET_KEYPOINT_FILTER_CONFIG = OneEuroConfig(
    frequency=30.0,
    min_cutoff=2.5,
    beta=300.0,
    derivate_cutoff=2.5,
    threshold_cutoff=0.5,
    threshold_beta=5.0,
    disable_value_scaling=True,
)

#: The One Euro parameters a user tunes, as ``--smoothing`` spells them, and the
#: :class:`OneEuroConfig` field each one sets.
ONE_EURO_PARAMETERS = {"min_cutoff": "min_cutoff", "beta": "beta", "d_cutoff": "derivate_cutoff"}


def parse_one_euro(text: str, base: OneEuroConfig = MOVENET_KEYPOINT_FILTER_CONFIG) -> OneEuroConfig:
    """The filter that ``--smoothing`` text such as ``min_cutoff=2.5,beta=300,d_cutoff=2.5`` asks for.

    Parameters not named keep `base`'s values (TF.js's by default), so ``beta=100`` changes
    beta only; ``tfjs`` (or an empty text) is `base` itself.

    Args:
        text: comma-separated ``name=value`` pairs; names are those of
            :data:`ONE_EURO_PARAMETERS`: ``min_cutoff`` (Hz, > 0), ``beta`` (>= 0, cut-off
            growth per unit of speed in frame-normalised units per second) and ``d_cutoff``
            (Hz, > 0, cut-off of the speed estimate).
        base: the configuration the named parameters change.

    Returns:
        A new :class:`OneEuroConfig` (the thresholded low-pass and frequency of `base` kept).

    Raises:
        ValueError: an unknown name, a missing ``=``, a value that is not a finite number or
            out of range; the message names the offending part.
    """
    changes: dict[str, float] = {}
    text = text.strip()
    if text.lower() in ("", "tfjs"):
        return base
    for part in text.split(","):
        name, sep, value = (p.strip() for p in part.partition("="))
        if not sep or name not in ONE_EURO_PARAMETERS:
            known = ", ".join(ONE_EURO_PARAMETERS)
            raise ValueError(f"{part.strip() or '(empty)'}: expected name=value with name one of {known}")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"{name}={value}: not a number") from None
        changes[ONE_EURO_PARAMETERS[name]] = number
    config = replace(base, **changes)
    check_one_euro(config)
    return config


def check_one_euro(config: OneEuroConfig) -> None:
    """Raise ValueError unless the tunable parameters of `config` are usable: cut-offs finite
    and > 0 Hz, beta finite and >= 0."""
    for label, field in ONE_EURO_PARAMETERS.items():
        value = getattr(config, field)
        low_ok = value >= 0 if label == "beta" else value > 0
        if not math.isfinite(value) or not low_ok:
            raise ValueError(f"{label}={value:g}: must be a finite number {'>= 0' if label == 'beta' else '> 0'}")


def one_euro_values(config: OneEuroConfig) -> dict[str, float]:
    """`config`'s tunable parameters by their ``--smoothing`` names: ``{"min_cutoff", "beta", "d_cutoff"}``."""
    return {label: float(getattr(config, field)) for label, field in ONE_EURO_PARAMETERS.items()}


def format_one_euro(config: OneEuroConfig) -> str:
    """The ``--smoothing`` text of `config`'s tunable parameters, e.g. ``min_cutoff=2.5,beta=300,d_cutoff=2.5``."""
    return ",".join(f"{label}={value:g}" for label, value in one_euro_values(config).items())



class OneEuroFilter:
    """One Euro filter with TF.js / MediaPipe semantics, vectorised over numpy arrays.

    Port of ``shared/filters/one_euro_filter.ts`` (MediaPipe ``one_euro_filter.cc``).
    Timestamps are taken in **milliseconds** and converted as TF.js does: to integer
    microseconds with ``trunc(ms * 1000)``. Faithful details:

    - the last timestamp starts at 0; a sample whose timestamp is not strictly later than the
      last accepted one (including the very first sample when its timestamp is <= 0) is
      returned unchanged and does **not** touch the state;
    - the rate ``1 / dt`` replaces ``frequency`` only when both the previous and the current
      timestamp are non-zero, so the first filtered sample uses the configured frequency;
    - the first filtered sample passes through (speed estimate 0) and seeds both low-passes.

    Args:
        config: an :class:`OneEuroConfig`.
    """

    def __init__(self, config: OneEuroConfig) -> None:
        self.config = config  # may be replaced between samples: the state is kept
        self.frequency = float(config.frequency)
        self.last_timestamp_us = 0
        self._x = LowPassFilter(self._alpha(config.min_cutoff))
        self._dx = LowPassFilter(self._alpha(config.derivate_cutoff))

    def _alpha(self, cutoff):
        # 1 / (1 + tau / te) with te = 1 / frequency and tau = 1 / (2 pi cutoff).
        return 1.0 / (1.0 + (self.frequency / (2 * math.pi * cutoff)))

    def apply(self, value, timestamp_ms: float, value_scale: float = 1.0):
        """Filter one sample taken at ``timestamp_ms``.

        Args:
            value: float or float ndarray (same shape on every call), in any unit.
            timestamp_ms: sample time in milliseconds (any origin; must increase).
            value_scale: multiplies the speed estimate (TF.js ``valueScale``, 1 / object scale).

        Returns:
            Filtered value, same unit and shape (float for scalar input, float64 ndarray else).

        Raises:
            ValueError: if ``value`` changes shape between calls.
        """
        micros = math.trunc(timestamp_ms * _MILLISECOND_TO_MICRO_SECONDS)
        if self.last_timestamp_us >= micros:
            return _out(_as_value(value))
        if self.last_timestamp_us != 0 and micros != 0:
            self.frequency = 1 / ((micros - self.last_timestamp_us) * _MICRO_SECONDS_TO_SECOND)
        self.last_timestamp_us = micros

        v = _as_value(value)
        if self._x.initialized:
            d_value = (v - _as_value(self._x.last_raw_value())) * value_scale * self.frequency
        else:
            d_value = np.zeros_like(v)
        ed_value = _as_value(self._dx.apply_with_alpha(d_value, self._alpha(self.config.derivate_cutoff)))
        cutoff = self.config.min_cutoff + self.config.beta * np.abs(ed_value)
        threshold = None
        if self.config.threshold_cutoff is not None:
            threshold = self.config.threshold_cutoff + self.config.threshold_beta * np.abs(ed_value)
        return self._x.apply_with_alpha(v, self._alpha(cutoff), threshold)


class KeypointsOneEuroFilter:
    """One Euro filter over a keypoint array, every coordinate separately.

    Port of ``shared/filters/keypoints_one_euro_filter.ts``: coordinates (x, y and z if given)
    are filtered, scores are not part of the input and stay untouched. The filter state is
    (re)created on the first call, after :meth:`reset`, or when the number of keypoints
    changes.

    Args:
        config: an :class:`OneEuroConfig` (MoveNet: :data:`MOVENET_KEYPOINT_FILTER_CONFIG`).
    """

    def __init__(self, config: OneEuroConfig = MOVENET_KEYPOINT_FILTER_CONFIG) -> None:
        self.config = config
        self._filter: OneEuroFilter | None = None
        self._shape: tuple[int, ...] | None = None

    def reset(self) -> None:
        """Drop all filter state (TF.js ``reset``)."""
        self._filter = None
        self._shape = None

    def set_config(self, config: OneEuroConfig) -> None:
        """Use `config` from the next sample on, keeping the filter state (no reset)."""
        self.config = config
        if self._filter is not None:
            self._filter.config = config

    def apply(self, keypoints: np.ndarray, timestamp_ms: float, object_scale: float = 1.0) -> np.ndarray:
        """Smooth one frame of keypoints.

        Args:
            keypoints: float array [N, D] of coordinates (D = 2 or 3), any unit.
            timestamp_ms: frame time in milliseconds.
            object_scale: object size; used only when value scaling is enabled.

        Returns:
            float64 array [N, D], the smoothed coordinates (a copy).

        Raises:
            ValueError: if ``keypoints`` is not 2-D.
        """
        kp = np.array(keypoints, dtype=np.float64)
        if kp.ndim != 2:
            raise ValueError(f"keypoints must be [N, D], got shape {kp.shape}")
        if self._filter is None or self._shape != kp.shape:
            self._filter = OneEuroFilter(self.config)
            self._shape = kp.shape
        value_scale = 1.0
        if not self.config.disable_value_scaling:
            if object_scale < self.config.min_allowed_object_scale:
                return kp
            value_scale = 1.0 / object_scale
        return np.asarray(self._filter.apply(kp, timestamp_ms, value_scale), dtype=np.float64)


class KeypointSmoother:
    """The whole TF.js MoveNet single-pose keypoint smoothing.

    As in ``pose-detection/src/movenet/detector.ts`` (``estimateSinglePose``): keypoints are
    mapped from the crop to the frame, **normalised to the frame** (y / frame height,
    x / frame width), smoothed with :class:`KeypointsOneEuroFilter` and
    :data:`MOVENET_KEYPOINT_FILTER_CONFIG` (frequency 30 Hz, minCutOff 2.5, beta 300,
    derivateCutOff 2.5, thresholdCutOff 0.5, thresholdBeta 5, no value scaling), and only
    then used to determine the next crop region. Scores are never smoothed.

    TF.js resets this filter (with the crop tracker) when the pose score is below 0.25;
    call :meth:`reset` then, and on a seek or source change (a timestamp that is not later
    than the last one makes the filter return its input unchanged until time catches up).

    Args:
        enabled: False passes keypoints through (TF.js ``enableSmoothing: false``).
        config: filter parameters; defaults to MoveNet's.
    """

    def __init__(self, enabled: bool = True, config: OneEuroConfig = MOVENET_KEYPOINT_FILTER_CONFIG) -> None:
        self.enabled = enabled
        self._filter = KeypointsOneEuroFilter(config)

    @property
    def config(self) -> OneEuroConfig:
        """The filter parameters in use."""
        return self._filter.config

    def set_config(self, config: OneEuroConfig) -> None:
        """Smooth the next frames with `config` (e.g. tuned in the window) without a reset.

        Raises:
            ValueError: a cut-off <= 0 or a negative beta (see :func:`check_one_euro`).
        """
        check_one_euro(config)
        self._filter.set_config(config)

    def reset(self) -> None:
        """Forget all history; the next frame passes through and seeds the filters."""
        self._filter.reset()

    def apply(self, keypoints_yx_norm: np.ndarray, timestamp_ms: float | None) -> np.ndarray:
        """Smooth one frame.

        Args:
            keypoints_yx_norm: float array [17, 2] of (y, x) normalised to the frame
                (0..1 inside the frame), e.g. from ``cropping.region_to_frame_normalized``.
            timestamp_ms: frame time in milliseconds, or None (TF.js then skips smoothing).

        Returns:
            float64 array [17, 2] of smoothed (y, x), normalised to the frame.

        Raises:
            ValueError: if the array is not [N, 2].
        """
        kp = np.array(keypoints_yx_norm, dtype=np.float64)
        if kp.ndim != 2 or kp.shape[1] != 2:
            raise ValueError(f"keypoints_yx_norm must be [N, 2], got shape {kp.shape}")
        if not self.enabled or timestamp_ms is None:
            return kp
        return self._filter.apply(kp, timestamp_ms, 1.0)
