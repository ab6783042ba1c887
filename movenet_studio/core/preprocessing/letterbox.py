"""Letterbox the whole frame into the model input (the mapping back is :class:`~.mapping.InputMapping`)."""

from __future__ import annotations

import cv2
import numpy as np

from .mapping import InputMapping


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
