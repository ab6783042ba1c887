"""The decoder: a MoveNet file's outputs to keypoints, once per frame, per output kind
(:mod:`~movenet_studio.core.models.model_io` tells the kinds; the pipeline picks the decoder
once at load with :func:`~movenet_studio.core.models.model_io.output_decoder`).

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
(y, x, score normalised to the model input), so everything downstream is shared. A
single-pose model whose backend reads the heads inside its graph (``keypoints`` files with
heads on) gets its decode steps from those heads here too: this module is the one place a
frame's heads are decoded. Every decoded output passes :func:`~.output_check.check_model_output`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from typing import Sequence

from .decode import DecodeSteps, decode_singlepose
from .heads import Heads, sigmoid
from .output_check import ModelOutputError, check_model_output


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
    """Turns one inference's outputs (float32, NHWC, in the file's output order: what
    :meth:`~movenet_studio.core.backends.base.Backend.invoke` returns) into a checked
    :class:`DecodedOutput`.

    For ``heads`` files whose names do not tell regression from offsets, the first call
    decides by magnitude (mean absolute value: regression reaches across cells to the
    keypoints, offsets stay within about a cell) and keeps that choice.

    Args:
        kind: ``keypoints``, ``multipose``, ``heatmaps`` or ``heads``.
        num_keypoints: K (17, or 13 for ST's layout).
        input_size: (height, width) of the model input in pixels.
        name: the model file's name, for messages.
        roles: role per output (``heads`` kind: ``centre``, ``keypoint_heatmaps``,
            ``regression``, ``offsets`` or ``regression_or_offsets``).
        activations: ``logits`` or ``probabilities`` per output (maps), else ``""``.
        layouts: ``flat`` for a [1, K*3] keypoints output, else ``""``, per output.
    """

    def __init__(self, kind: str, num_keypoints: int, input_size: tuple[int, int], name: str, *,
                 roles: tuple[str, ...] = (), activations: tuple[str, ...] = (), layouts: tuple[str, ...] = ()):
        self.kind = kind
        self.num_keypoints = int(num_keypoints)
        self._layouts = tuple(layouts)
        self.input_size = tuple(int(v) for v in input_size)
        self.name = name
        self._roles = tuple(roles)
        self._activations = tuple(activations)
        self._architecture = "multipose" if kind == "multipose" else "singlepose"

    @property
    def roles(self) -> tuple[str, ...]:
        """Role per output (after the magnitude decision, once made)."""
        return self._roles

    @property
    def maps_from_outputs(self) -> bool:
        """The file outputs its maps itself (``heads`` / ``heatmaps`` kinds): the heads come
        from the outputs, not from the backend."""
        return self.kind in ("heads", "heatmaps")

    def decode(self, outputs: Sequence[np.ndarray], graph_heads: Heads | None = None) -> DecodedOutput:
        """Decode and check one inference.

        Args:
            outputs: float32 arrays (dequantised, maps NHWC with the batch axis).
            graph_heads: the heads a backend read inside the graph for this inference
                (``keypoints`` and ``multipose`` kinds with heads on), or None.

        Returns:
            The keypoints (or MultiPose rows), the maps (the file's own, else `graph_heads`)
            and, for a single-pose model with all four heads, the decode steps.

        Raises:
            ModelOutputError: the decoded output cannot be MoveNet's (shape, non-finite,
                out of range), or an output does not have the shape this kind's decode needs
                (the layout the file declares): one line naming the output, its shape and the
                shape needed. A file may declare one shape and return another, or change its
                output shape between frames.
        """
        self._check_shapes(outputs)
        first = np.asarray(outputs[0], dtype=np.float32)
        heads = self._maps(outputs) if self.maps_from_outputs else graph_heads
        steps = None
        if self._architecture == "singlepose" and heads is not None and heads.complete:
            steps = decode_singlepose(heads)
        if self.kind == "heads":
            raw = steps.keypoints[None, None]
        elif self.kind == "heatmaps":
            raw = peak_decode(heads.keypoint_heatmaps)[None, None]
        elif self.kind == "multipose":
            raw = first
        else:
            raw = first.reshape(1, 1, self.num_keypoints, 3)
        check_model_output(raw, self._architecture, self.num_keypoints, self.name)
        return DecodedOutput(raw, heads, steps)

    def _maps(self, outputs: Sequence[np.ndarray]) -> Heads:
        if self.kind == "heatmaps":
            maps = np.asarray(outputs[0], dtype=np.float32)[0]
            if self._activations[0] == "logits":
                maps = sigmoid(maps)
            return Heads(None, maps, None, None, self.input_size)
        by_role = self._assign(outputs)
        centre = by_role["centre"][0]
        heatmaps = by_role["keypoint_heatmaps"][0]
        if self._activation("centre") == "logits":
            centre = sigmoid(centre)
        if self._activation("keypoint_heatmaps") == "logits":
            heatmaps = sigmoid(heatmaps)
        return Heads(centre[..., 0], heatmaps, by_role["regression"][0], by_role["offsets"][0], self.input_size)

    def _check_shapes(self, outputs: Sequence[np.ndarray]) -> None:
        """Raise ModelOutputError unless every output has the shape :meth:`decode` needs."""
        k, kind = self.num_keypoints, self.kind
        expected = max(1, len(self._roles))
        if len(outputs) < expected:
            raise ModelOutputError(f"{self.name}: model fault: {len(outputs)} outputs instead of {expected}")
        grid = None
        for i, array in enumerate(outputs[:expected]):
            shape = tuple(np.shape(array))
            role = self._roles[i] if i < len(self._roles) else kind
            if kind == "keypoints":
                needed = (1, 3 * k) if i < len(self._layouts) and self._layouts[i] == "flat" else (1, 1, k, 3)
            elif kind == "multipose":
                needed = (1, shape[1] if len(shape) == 3 else 6, 56)
            else:  # maps, NHWC: [1, H, W, channels], one grid for all
                channels = {"centre": 1, "keypoint_heatmaps": k, "heatmaps": k}.get(role, 2 * k)
                if grid is None and len(shape) == 4 and min(shape[1:3]) > 0:
                    grid = shape[1:3]
                needed = (1, *(grid or (None, None)), channels)
            if shape != needed:
                text = ",".join("H" if d is None else str(d) for d in needed)
                what = f"output {i}" if len(outputs) > 1 else "output"
                raise ModelOutputError(f"{self.name}: model fault: {what} has shape {list(shape)}; "
                                       f"the decode of this {kind} file needs [{text}], the shape it declares")

    def _activation(self, role: str) -> str:
        return next(a for r, a in zip(self._roles, self._activations) if r == role)

    def _assign(self, outputs: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
        if "regression_or_offsets" in self._roles:
            pair = [i for i, r in enumerate(self._roles) if r == "regression_or_offsets"]
            sizes = [float(np.mean(np.abs(outputs[i]))) for i in pair]
            regression = pair[int(np.argmax(sizes))]
            self._roles = tuple(("regression" if i == regression else "offsets") if r == "regression_or_offsets" else r
                                for i, r in enumerate(self._roles))
        return {role: np.asarray(array, dtype=np.float32) for role, array in zip(self._roles, outputs)}
