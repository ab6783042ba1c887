"""The ``infer --heads-npz`` file: every processed frame's head tensors and the model's output.

Arrays (N = frames with heads, S = heatmap size):

- ``centre``: float32 [N, S, S], person-centre probabilities 0..1;
- ``keypoint_heatmaps``: float32 [N, S, S, K], keypoint probabilities 0..1 (K = 17, 13 for ST's layout);
- ``regression``: float32 [N, S, S, 2K], centre-to-keypoint displacement, channel pairs (y, x), in cells;
- ``offsets``: float32 [N, S, S, 2K], sub-cell keypoint offsets, channel pairs (y, x), in cells;
- ``keypoints``: float32 [N, K, 3], the model's own output (y, x, score), y and x normalised to
  the model input (single-pose models); MultiPose files store ``output`` float32 [N, 6, 56] instead;
- heatmap-only models (ST's zoo files) have only ``keypoint_heatmaps`` of the four heads;
- ``frame_index``: int64 [N], ``timestamp_ms``: float64 [N];
- ``crop_box``: float64 [N, 4], the model input's box (ymin, xmin, ymax, xmax) normalised to the frame.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..atomic import atomic_output

_HEADS = ("centre", "keypoint_heatmaps", "regression", "offsets")


class HeadsNpzWriter:
    """Collects heads frame by frame and writes the .npz atomically on :meth:`close`.

    Raises:
        OSError: on close, when the folder is not writable.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._arrays: dict[str, list[np.ndarray]] = {}

    def add(self, result) -> bool:
        """Append one :class:`~movenet_studio.core.frame_result.FrameResult`; False if it has no heads."""
        if result.heads is None:
            return False
        # A heatmap-only model (ST's zoo files) has keypoint heatmaps and no other head: only
        # the heads it has are stored (a None would become an object array np.load refuses).
        values = {name: getattr(result.heads, name) for name in _HEADS if getattr(result.heads, name) is not None}
        if result.raw_output.shape[-1] == 56:
            values["output"] = result.raw_output.reshape(-1, 56)
        else:
            values["keypoints"] = result.raw_output.reshape(-1, 3)  # K = 17, or 13 for ST's layout
        values["frame_index"] = np.int64(result.index)
        values["timestamp_ms"] = np.float64(result.timestamp_ms)
        values["crop_box"] = np.asarray(result.mapping.box, dtype=np.float64)
        for name, value in values.items():
            self._arrays.setdefault(name, []).append(np.asarray(value))
        return True

    @property
    def count(self) -> int:
        """Frames collected so far."""
        return len(self._arrays.get("frame_index", ()))

    def close(self) -> None:
        """Write the file (a temporary file beside it, renamed when complete)."""
        stacked = {name: np.stack(values) for name, values in self._arrays.items()}
        with atomic_output(self.path, "wb") as handle:
            np.savez(handle, **stacked)
