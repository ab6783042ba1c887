"""Decode each output kind of a MoveNet file to keypoints (see :mod:`.model_io` for the kinds).

* ``keypoints``: the output is the keypoints ([1,1,K,3], or flat [1,K*3] reshaped);
* ``multipose``: passed through ([1,6,56]);
* ``heatmaps``: ST's rule for heatmap-only models (stm32ai-modelzoo, pose estimation
  "heatmaps_spe" post-processing): per keypoint the peak cell (row, col) of its S x S map,
  y = (row + 0.5) / S, x = (col + 0.5) / S, score = the peak value; logits get a sigmoid
  first; no offset refinement. The maps are kept as :class:`~.heads.Heads` with only
  keypoint heatmaps, for the heatmap overlay;
* ``heads``: the four raw heads (sigmoid applied to logits) go through this project's
  MoveNet decode (:func:`~.decode.decode_singlepose`), so every head overlay and the decode
  steps are available.

Every kind ends as the keypoint layout of the official files, float32 [1, 1, K, 3]
(y, x, score normalised to the model input), so everything downstream is shared.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .decode import DecodeSteps, decode_singlepose
from .heads import Heads, sigmoid
from ..models.model_io import ModelIO


@dataclass(frozen=True, slots=True)
class DecodedOutput:
    """One inference's outputs, decoded.

    Attributes:
        raw: float32 [1, 1, K, 3] keypoints (y, x, score; normalised to the model input) or
            the MultiPose [1, 6, 56].
        heads: the maps the file outputs (``heads`` and ``heatmaps`` kinds), else None.
        steps: the decode steps (``heads`` kind), else None.
    """

    raw: np.ndarray
    heads: Heads | None = None
    steps: DecodeSteps | None = None


def peak_decode(heatmaps: np.ndarray) -> np.ndarray:
    """ST's heatmap-only decode: the peak cell of each map, at the cell's centre.

    Args:
        heatmaps: float [S, S, K] probabilities (row = y).

    Returns:
        float32 [K, 3] (y, x, score): y = (row + 0.5) / S, x = (col + 0.5) / S (normalised
        to the model input), score = the peak value. Ties go to the first cell (row-major).
    """
    rows, cols, k = heatmaps.shape
    flat = np.argmax(heatmaps.reshape(rows * cols, k), axis=0)
    row, col = np.divmod(flat, cols)
    scores = heatmaps.reshape(rows * cols, k)[flat, np.arange(k)]
    return np.stack([(row + 0.5) / rows, (col + 0.5) / cols, scores], axis=1).astype(np.float32)


class OutputDecoder:
    """Turns a file's outputs (float32, NHWC, in :attr:`ModelIO.outputs` order) into a :class:`DecodedOutput`.

    For ``heads`` files whose names do not tell regression from offsets, the first call
    decides by magnitude (mean absolute value: regression reaches across cells to the
    keypoints, offsets stay within about a cell) and keeps that choice.

    Args:
        io: the file's :class:`~.model_io.ModelIO` (None: bundled keypoints/MultiPose file).
        input_size: (height, width) of the model input in pixels.
    """

    def __init__(self, io: ModelIO | None, input_size: tuple[int, int]):
        self.io = io
        self.input_size = tuple(int(v) for v in input_size)
        self._roles: tuple[str, ...] | None = tuple(o.role for o in io.outputs) if io is not None else None

    @property
    def roles(self) -> tuple[str, ...] | None:
        """Role per output (after the magnitude decision, once made)."""
        return self._roles

    def decode(self, outputs: list[np.ndarray]) -> DecodedOutput:
        """Decode one inference.

        Args:
            outputs: float32 arrays (dequantised, maps NHWC with the batch axis).

        Raises:
            ValueError: an output does not have the declared shape.
        """
        kind = self.io.kind if self.io is not None else "keypoints"
        first = np.asarray(outputs[0], dtype=np.float32)
        if kind == "multipose" or (self.io is None and first.ndim == 3):
            return DecodedOutput(first)
        k = self.io.num_keypoints if self.io is not None else 17
        if kind == "keypoints":
            return DecodedOutput(first.reshape(1, 1, k, 3))
        if kind == "heatmaps":
            maps = first[0]
            if self.io.outputs[0].activation == "logits":
                maps = sigmoid(maps)
            heads = Heads(None, maps, None, None, self.input_size)
            return DecodedOutput(peak_decode(maps)[None, None], heads)
        by_role = self._assign(outputs)
        centre = by_role["centre"][0]
        heatmaps = by_role["keypoint_heatmaps"][0]
        if self._activation("centre") == "logits":
            centre = sigmoid(centre)
        if self._activation("keypoint_heatmaps") == "logits":
            heatmaps = sigmoid(heatmaps)
        heads = Heads(centre[..., 0], heatmaps, by_role["regression"][0], by_role["offsets"][0], self.input_size)
        steps = decode_singlepose(heads)
        return DecodedOutput(steps.keypoints[None, None], heads, steps)

    def _activation(self, role: str) -> str:
        return next(o.activation for o in self.io.outputs if o.role == role)

    def _assign(self, outputs: list[np.ndarray]) -> dict[str, np.ndarray]:
        if "regression_or_offsets" in self._roles:
            pair = [i for i, r in enumerate(self._roles) if r == "regression_or_offsets"]
            sizes = [float(np.mean(np.abs(outputs[i]))) for i in pair]
            regression = pair[int(np.argmax(sizes))]
            self._roles = tuple(("regression" if i == regression else "offsets") if r == "regression_or_offsets" else r
                                for i, r in enumerate(self._roles))
        return {role: np.asarray(array, dtype=np.float32) for role, array in zip(self._roles, outputs)}
