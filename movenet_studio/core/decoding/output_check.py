"""The check every model output passes before it is used as data.

A model file passes the probe (:mod:`~movenet_studio.core.sandbox`) on one blank image; a hostile or damaged
model can still change its output shape on real frames, or give values no MoveNet model
can (1e30, NaN). :func:`check_model_output` is called on every decoded output by the
decoder (:class:`~.output_decode.OutputDecoder`, which the pipeline, evaluation and
quantisation all decode with); a bad output is a model fault with one clear message, never
keypoints in a results file or a renderer.

Limits (:data:`COORDINATE_RANGE`, :data:`SCORE_RANGE`) leave room around what real models
give: on pose_1.mp4, pose_squats.mp4 and coco_mini the bundled models' normalised
coordinates lie in -0.001..1.032 and scores in 0..0.97.
"""

from __future__ import annotations

import numpy as np

from ..errors import ModelError

#: Normalised keypoint / box coordinates accepted from a model (the model input is 0..1).
COORDINATE_RANGE = (-1.0, 2.0)
#: Scores accepted (sigmoid outputs, with float rounding).
SCORE_RANGE = (-1e-3, 1.0 + 1e-3)
#: Largest magnitude accepted from outputs of other layouts (heatmaps, logits).
MAX_MAGNITUDE = 1e6
#: Output shape by architecture.
EXPECTED_SHAPES = {"singlepose": (1, 1, 17, 3), "multipose": (1, 6, 56)}


class ModelOutputError(ModelError):
    """A model gave an output that cannot be MoveNet's (shape, non-finite, out of range)."""


def check_model_output(output: np.ndarray, architecture: str, num_keypoints: int, name: str) -> np.ndarray:
    """Return `output` if it can be the decoded output of a MoveNet model, else raise.

    Args:
        output: the decoded output of one invoke (:attr:`~.output_decode.DecodedOutput.raw`).
        architecture: ``singlepose`` (expects float32 [1, 1, `num_keypoints`, 3]) or
            ``multipose`` (expects [1, 6, 56]); any other is only checked for finite, bounded values.
        num_keypoints: K of a single-pose model (17, or 13 for ST's layout).
        name: the model file's name, for messages.

    Raises:
        ModelOutputError: "model fault" with what is wrong (shape, non-finite values, values
            out of range); the caller must not use the output.
    """
    array = np.asarray(output)
    expected = EXPECTED_SHAPES.get(architecture)
    if expected == EXPECTED_SHAPES["singlepose"]:  # 17 keypoints, or 13 for ST's layout
        expected = (1, 1, int(num_keypoints), 3)
        if array.shape == expected and array.dtype == np.float32 and _within(array, _SINGLEPOSE_BOUNDS):
            return output  # the per-frame case: one pass, no message built
    if expected is not None and tuple(array.shape) != expected:
        raise ModelOutputError(f"{name}: model fault: output shape {list(array.shape)} instead of {list(expected)}")
    if not np.issubdtype(array.dtype, np.number):
        raise ModelOutputError(f"{name}: model fault: output of type {array.dtype}")
    values = array.astype(np.float64, copy=False)
    if not np.isfinite(values).all():
        bad = int(np.count_nonzero(~np.isfinite(values)))
        raise ModelOutputError(f"{name}: model fault: {bad} non-finite output value{'s' if bad != 1 else ''} (NaN or infinity)")
    if expected is not None and len(expected) == 4:
        _in_range(name, values[..., :2], COORDINATE_RANGE, "keypoint coordinate")
        _in_range(name, values[..., 2], SCORE_RANGE, "keypoint score")
    elif expected == (1, 6, 56):
        keypoints = values[..., :51].reshape(-1, 17, 3)
        _in_range(name, keypoints[..., :2], COORDINATE_RANGE, "keypoint coordinate")
        _in_range(name, keypoints[..., 2], SCORE_RANGE, "keypoint score")
        _in_range(name, values[..., 51:55], COORDINATE_RANGE, "box coordinate")
        _in_range(name, values[..., 55], SCORE_RANGE, "instance score")
    else:
        _in_range(name, values, (-MAX_MAGNITUDE, MAX_MAGNITUDE), "output value")
    return output


#: (low, high) per (y, x, score) column of a single-pose output: float64 [3] each (compared in
#: float64, as the checks below compare).
_SINGLEPOSE_BOUNDS = (np.array([COORDINATE_RANGE[0]] * 2 + [SCORE_RANGE[0]]),
                      np.array([COORDINATE_RANGE[1]] * 2 + [SCORE_RANGE[1]]))


def _within(values: np.ndarray, bounds: tuple[np.ndarray, np.ndarray]) -> bool:
    """True when every value lies inside its column's bounds (NaN never does; infinities lie outside)."""
    low, high = bounds
    return bool(np.logical_and(values >= low, values <= high).all())


def _in_range(name: str, values: np.ndarray, bounds: tuple[float, float], what: str) -> None:
    low, high = bounds
    if values.size and (values.min() < low or values.max() > high):
        worst = values.flat[int(np.argmax(np.maximum(low - values, values - high)))]
        raise ModelOutputError(f"{name}: model fault: {what} {worst:.4g} outside {low:g}..{high:g}")
