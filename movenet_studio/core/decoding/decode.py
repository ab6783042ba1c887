"""MoveNet's single-pose decode in numpy, step by step, from the four heads.

This is the decode that the single-pose graphs run after their heads (read off the op list
of the bundled .tflite files; the same algorithm as Google's TF.js pose-detection MoveNet):

1. centre cell = argmax over cells of ``centre_prob * W``, with the constant weight map
   ``W[y, x] = 1 / (sqrt((y - S/2)^2 + (x - S/2)^2) + 1.8)`` stored as **float16** in the
   graph (dequantized to float32 before the multiply);
2. rough keypoint k = centre cell + regression[centre cell, 2k:2k+2] (float, in cells; the
   graph neither rounds nor clips it);
3. keypoint cell k = argmax over cells of ``heatmap_k / (sqrt((y - ry)^2 + (x - rx)^2) + c)``
   (Euclidean distance in cells to the rough keypoint, ``c`` = float16(1.8) = 1.7998046875);
4. (y, x) = (cell + offsets[cell, 2k:2k+2]) * float16(1 / S), normalised to the model input;
   score = the unweighted heatmap probability at the cell.

Argmax ties resolve to the first cell in row-major order, as TFLite's ARG_MAX over the
flattened [S*S] axis does (numpy's argmax does the same). Arithmetic is float32 like the
graph's, with the graph's float16 constants (weight map, 1.8, 1/S); pass
``constants_dtype=np.float32`` for a float32 export. On the bundled float16 files this
reproduces the model's output bit for bit (tests/test_decode.py).

int8 files run this decode in quantized arithmetic (int8 weight map, the centre x weight
product on a ~7e-4 grid, squared distances on a ~23 cells^2 grid, int8 argmax ties), which is
not emulated here: on the test media the float decode picks the model's keypoint cell for
59-65% of keypoints and lands within one cell of the model's keypoint for 96-97%.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .heads import Heads

#: The distance bias of both argmax steps, before rounding to the constants' dtype.
DISTANCE_BIAS = 1.8


@dataclass(frozen=True, slots=True)
class DecodeSteps:
    """Every intermediate of :func:`decode_singlepose`, for display and for tests.

    Attributes:
        centre_cell: (y, x) int heatmap cell of the chosen person centre.
        centre_weights: float32 [S, S] the centre-distance weight map W (step 1).
        rough_keypoints: float32 [17, 2] (y, x) in cells: centre cell + regression.
        keypoint_cells: int64 [17, 2] (y, x) chosen heatmap cell per keypoint.
        offsets: float32 [17, 2] (y, x) offset in cells at each chosen cell (from the cell's
            top-left corner in CenterNet's convention: mostly 0..1, seen from -1.4 to 2.4).
        keypoints: float32 [17, 3] (y, x, score): y and x normalised to the model input
            (0..1), score = heatmap probability at the chosen cell. Same layout as the
            model's output [1, 1, 17, 3] without the batch axes.
    """

    centre_cell: tuple[int, int]
    centre_weights: np.ndarray
    rough_keypoints: np.ndarray
    keypoint_cells: np.ndarray
    offsets: np.ndarray
    keypoints: np.ndarray


def centre_weight_map(size: int, constants_dtype: type = np.float16) -> np.ndarray:
    """The graph's centre weight map ``1 / (sqrt((y - S/2)^2 + (x - S/2)^2) + 1.8)``.

    Computed in float64 and rounded to `constants_dtype` (float16, as stored in the
    graph). Matches the bundled Lightning constant bit for bit; of Thunder's 64 x 64
    constant, 8 cells (at distance 35.5 from the centre, where the exact value lies within
    3e-8 of a float16 rounding midpoint) are one float16 step (1.5e-5) lower here.

    Args:
        size: S, heatmap cells per side (> 0).
        constants_dtype: dtype the graph stores its constants in.

    Returns:
        float32 [S, S] weights (row = y, column = x).
    """
    grid = np.arange(size, dtype=np.float64) - size / 2
    distance = np.sqrt(grid[:, None] ** 2 + grid[None, :] ** 2)
    return (1.0 / (distance + DISTANCE_BIAS)).astype(constants_dtype).astype(np.float32)


def _argmax_cells(scores: np.ndarray) -> np.ndarray:
    """First-max (row-major) cell of each channel of [S, S, C] -> int64 [C, 2] (y, x)."""
    s, w, c = scores.shape
    flat = np.argmax(scores.reshape(s * w, c), axis=0)
    return np.stack(np.divmod(flat, w), axis=-1).astype(np.int64)


def decode_singlepose(heads: Heads, constants_dtype: type = np.float16) -> DecodeSteps:
    """Decode one person from the heads exactly as the single-pose MoveNet graph does.

    See the module docstring for the algorithm (source: the graph's own ops; TF.js
    pose-detection ``movenet``). Vectorised: no Python loop over cells or keypoints.

    Args:
        heads: the heads of one inference (square S x S heatmaps, probabilities 0..1).
        constants_dtype: dtype of the graph's constants (float16 for the bundled and the
            official float16/int8 files).

    Returns:
        :class:`DecodeSteps`; ``keypoints`` is the decoded result, normalised to the model
        input. Positions may fall slightly outside 0..1 when offsets point past the border.

    Raises:
        ValueError: the heatmaps are not square or the head shapes disagree.
    """
    s, w = heads.shape
    k = heads.keypoint_heatmaps.shape[-1]
    if s != w or heads.keypoint_heatmaps.shape[:2] != (s, w) or heads.regression.shape != (s, w, 2 * k) \
            or heads.offsets.shape != (s, w, 2 * k):
        raise ValueError(f"single-pose decode needs square heads of matching shapes; got centre {heads.centre.shape}, "
                         f"heatmaps {heads.keypoint_heatmaps.shape}, regression {heads.regression.shape}, "
                         f"offsets {heads.offsets.shape}")
    f32 = np.float32
    weights = centre_weight_map(s, constants_dtype)
    centre = np.asarray(heads.centre, dtype=f32)
    cy, cx = (int(v) for v in _argmax_cells((centre * weights)[..., None])[0])

    regression = np.asarray(heads.regression[cy, cx], dtype=f32).reshape(k, 2)
    rough = np.array([cy, cx], dtype=f32) + regression                     # [K, 2] (y, x) cells
    grid = np.arange(s, dtype=f32)
    dy2 = np.square(rough[:, 0][None, None, :] - grid[:, None, None])       # [S, 1, K]
    dx2 = np.square(rough[:, 1][None, None, :] - grid[None, :, None])       # [1, S, K]
    bias = f32(np.array(DISTANCE_BIAS, dtype=constants_dtype))
    heatmaps = np.asarray(heads.keypoint_heatmaps, dtype=f32)
    cells = _argmax_cells(heatmaps / (np.sqrt(dy2 + dx2) + bias))

    channels = np.arange(k)
    ky, kx = cells[:, 0], cells[:, 1]
    offsets = np.asarray(heads.offsets, dtype=f32)[ky, kx].reshape(k, k, 2)[channels, channels]
    scale = f32(np.array(1.0 / s, dtype=constants_dtype))
    yx = (cells.astype(f32) + offsets) * scale
    scores = heatmaps[ky, kx, channels]
    keypoints = np.concatenate([yx, scores[:, None]], axis=1).astype(f32)
    return DecodeSteps((cy, cx), weights, rough.astype(f32), cells, offsets.astype(f32), keypoints)
