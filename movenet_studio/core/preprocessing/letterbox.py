"""Model-input preparation: letterbox the whole frame, and the mapping back to frame pixels.

Every way of making the model input (letterbox here, the crop region of
:mod:`.cropping`) shows the model a box of the frame. :class:`InputMapping` records that
box so keypoints, heatmap cells and overlays map back to frame pixels the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True, slots=True)
class InputMapping:
    """The box of the frame that the model input shows.

    Attributes:
        box: (ymin, xmin, ymax, xmax) normalised to the frame (0..1 spans the frame; a
            letterbox or a crop near an edge extends beyond it).
        frame_size: (height, width) of the frame in pixels.
        input_size: (height, width) of the model input in pixels.
    """

    box: tuple[float, float, float, float]
    frame_size: tuple[int, int]
    input_size: tuple[int, int]

    def to_frame(self, yx: np.ndarray) -> np.ndarray:
        """Map (y, x) normalised to the model input (0..1) to (x, y) in frame pixels.

        Args:
            yx: float [..., 2] with (y, x) pairs normalised to the model input.

        Returns:
            float32 [..., 2] with (x, y) pairs in frame pixels.
        """
        ymin, xmin, ymax, xmax = self.box
        h, w = self.frame_size
        yx = np.asarray(yx, dtype=np.float64)
        x = (xmin + yx[..., 1] * (xmax - xmin)) * w
        y = (ymin + yx[..., 0] * (ymax - ymin)) * h
        return np.stack([x, y], axis=-1).astype(np.float32)

    def from_frame(self, xy: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`to_frame`: (x, y) frame pixels -> (y, x) normalised to the model input."""
        ymin, xmin, ymax, xmax = self.box
        h, w = self.frame_size
        xy = np.asarray(xy, dtype=np.float64)
        yn = (xy[..., 1] / h - ymin) / (ymax - ymin)
        xn = (xy[..., 0] / w - xmin) / (xmax - xmin)
        return np.stack([yn, xn], axis=-1)

    def frame_rect(self) -> tuple[float, float, float, float]:
        """The model input's extent in frame pixels as (x, y, width, height)."""
        ymin, xmin, ymax, xmax = self.box
        h, w = self.frame_size
        return xmin * w, ymin * h, (xmax - xmin) * w, (ymax - ymin) * h


def letterbox(frame: np.ndarray, input_size: tuple[int, int]) -> tuple[np.ndarray, InputMapping]:
    """Resize `frame` into the model input keeping its aspect ratio, padding with black.

    The frame is scaled by min(in_w / w, in_h / h) (area interpolation when shrinking,
    bilinear when enlarging) and centred; the padding is split evenly (the odd pixel goes
    right/bottom).

    Args:
        frame: uint8 [H, W, 3] RGB.
        input_size: (height, width) of the model input.

    Returns:
        (uint8 [in_h, in_w, 3] model input, the :class:`InputMapping` back to the frame).
    """
    h, w = frame.shape[:2]
    in_h, in_w = input_size
    scale = min(in_w / w, in_h / h)
    new_w = max(1, min(in_w, round(w * scale)))
    new_h = max(1, min(in_h, round(h * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(frame, (new_w, new_h), interpolation=interpolation)
    pad_x = (in_w - new_w) // 2
    pad_y = (in_h - new_h) // 2
    image = np.zeros((in_h, in_w, 3), dtype=np.uint8)
    image[pad_y:pad_y + new_h, pad_x:pad_x + new_w] = resized
    # Model-input pixel u maps to frame pixel (u - pad) * w / new_w; in normalised units:
    box = (-pad_y / new_h, -pad_x / new_w, (in_h - pad_y) / new_h, (in_w - pad_x) / new_w)
    return image, InputMapping(box, (h, w), (in_h, in_w))
