"""MultiPose's model input, as TF.js makes it (``pose-detection/src/movenet/detector.ts``,
``estimateMultiplePoses``; ported, not copied): the frame resized so its longer side is 256 keeping
the aspect ratio, then padded with zeros on the bottom / right only, up to a multiple of 32 (files
with a fixed input: up to that size). See :mod:`~movenet_studio.core.decoding.multipose` for the
decode and where this project differs from TF.js.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .mapping import InputMapping

#: Longer side of the model input for files with a dynamic input (TF.js ``MOVENET_MULTIPOSE_DEFAULT_MAX_DIMENSION``).
MAX_DIMENSION = 256
#: Dynamic-input sides are padded up to a multiple of this.
DIMENSION_DIVISOR = 32


def _resized_size(frame_size: tuple[int, int], max_dimension: int) -> tuple[int, int]:
    """(height, width) of the frame resized so its longer side is `max_dimension` (TF.js rounding)."""
    h, w = frame_size
    if w > h:
        return max(1, round(max_dimension * h / w)), max_dimension
    return max_dimension, max(1, round(max_dimension * w / h))


def multipose_input_size(frame_shape: tuple[int, ...], model_input_size: tuple[int, int] = (-1, -1),
                         max_dimension: int = MAX_DIMENSION) -> tuple[int, int]:
    """Model-input (height, width) for a frame.

    Args:
        frame_shape: the frame's shape; only (height, width) = ``frame_shape[:2]`` is used.
        model_input_size: the file's declared (height, width); a positive size is returned
            as is (the bundled files: 256x256), (-1, -1) means a dynamic input.
        max_dimension: longer side for dynamic inputs, a multiple of 32 (TF.js default 256).

    Returns:
        (height, width) in pixels. Dynamic inputs: the longer frame side becomes
        `max_dimension`, the shorter ``round(max_dimension * short / long)`` rounded up to a
        multiple of 32 (as TF.js ``estimateMultiplePoses``).

    Raises:
        ValueError: `max_dimension` is not a positive multiple of 32, or the frame is empty.
    """
    if model_input_size[0] > 0 and model_input_size[1] > 0:
        return int(model_input_size[0]), int(model_input_size[1])
    if max_dimension < DIMENSION_DIVISOR or max_dimension % DIMENSION_DIVISOR:
        raise ValueError(f"max_dimension must be a positive multiple of {DIMENSION_DIVISOR}, got {max_dimension}")
    h, w = int(frame_shape[0]), int(frame_shape[1])
    if h < 1 or w < 1:
        raise ValueError(f"empty frame of shape {tuple(frame_shape)}")
    rh, rw = _resized_size((h, w), max_dimension)
    return (math.ceil(rh / DIMENSION_DIVISOR) * DIMENSION_DIVISOR,
            math.ceil(rw / DIMENSION_DIVISOR) * DIMENSION_DIVISOR)


def preprocess_multipose(frame: np.ndarray, input_size: tuple[int, int],
                         interpolation: int | None = None) -> tuple[np.ndarray, InputMapping]:
    """Resize `frame` into the MultiPose input keeping its aspect ratio; pad bottom / right.

    The frame is scaled so it fits `input_size` (its longer side fills the matching input
    side; the other side is ``round(side * scale)``), placed at the top-left corner, and the
    rest is black, as TF.js pads. Area interpolation when shrinking, bilinear when enlarging,
    unless `interpolation` (an OpenCV ``INTER_*`` flag) says otherwise.

    Args:
        frame: uint8 [H, W, 3] RGB.
        input_size: (height, width) of the model input in pixels, e.g. from
            :func:`multipose_input_size`.
        interpolation: OpenCV interpolation flag; None: area / bilinear as above.

    Returns:
        (uint8 [in_h, in_w, 3] model input, the :class:`~.preprocess.InputMapping` from
        model-input coordinates back to the frame).

    Raises:
        ValueError: the frame is not [H, W, 3] or is empty.
    """
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.shape[0] < 1 or frame.shape[1] < 1:
        raise ValueError(f"frame must be [H, W, 3], got shape {frame.shape}")
    h, w = frame.shape[:2]
    in_h, in_w = int(input_size[0]), int(input_size[1])
    scale = min(in_w / w, in_h / h)
    new_w = max(1, min(in_w, round(w * scale)))
    new_h = max(1, min(in_h, round(h * scale)))
    if interpolation is None:
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    image = np.zeros((in_h, in_w, 3), dtype=np.uint8)
    image[:new_h, :new_w] = cv2.resize(frame, (new_w, new_h), interpolation=interpolation)
    # The resized frame spans rows 0..new_h and columns 0..new_w of the input exactly, so the
    # whole input (0..1) shows the frame box (0, 0) .. (in_h / new_h, in_w / new_w).
    box = (0.0, 0.0, in_h / new_h, in_w / new_w)
    return image, InputMapping(box, (h, w), (in_h, in_w))
