"""What a layer capture gives: :class:`CapturedTensor` and the model's :class:`InputSignature`,
the input prepared as that signature says (:func:`prepare_input`) and per-tensor or per-channel
dequantisation (:func:`dequantise`). Shared by the TFLite (:mod:`.capture`) and ONNX
(:mod:`.onnx_capture`) runners.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class CapturedTensor:
    """One intermediate tensor of a model, as a capture runner lists it.

    Attributes:
        name: the tensor (TFLite) or value (ONNX) name.
        op: the op that produced it (``CONV_2D``, ``Conv`` ...).
        shape: static shape as stored by the runtime (ONNX 4-D activations are NCHW).
        dtype: numpy dtype name as stored (``int8`` values are dequantised when read).
        order: position among the captured tensors (execution / topological order).
        match_name: the name to match by when it is not `name` (ONNX: see
            :mod:`.onnx_capture`, "Fused activations"); None: `name`.
    """

    name: str
    op: str
    shape: tuple[int, ...]
    dtype: str
    order: int
    match_name: str | None = None

    @property
    def key_name(self) -> str:
        """The name matching uses."""
        return self.match_name or self.name


@dataclass(frozen=True, slots=True)
class InputSignature:
    """How a model wants its image: shape [1, H, W, 3] or [1, 3, H, W], dtype, quantisation.

    Attributes:
        shape: the input tensor's shape.
        dtype: numpy dtype name.
        scale: quantisation scale (0.0 when not quantised).
        zero_point: quantisation zero point.
    """

    shape: tuple[int, ...]
    dtype: str
    scale: float = 0.0
    zero_point: int = 0

    @property
    def channels_first(self) -> bool:
        """True for a ``[1, 3, H, W]`` input."""
        return len(self.shape) == 4 and self.shape[1] == 3 and self.shape[3] != 3

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) in pixels."""
        return (self.shape[2], self.shape[3]) if self.channels_first else (self.shape[1], self.shape[2])


def prepare_input(image: np.ndarray, signature: InputSignature) -> np.ndarray:
    """The model's input tensor for a uint8 RGB image, as its signature says.

    Args:
        image: uint8 [H, W, 3] RGB at the model input size.
        signature: the model's input signature.

    Returns:
        [1, H, W, 3] (or [1, 3, H, W]) of the signature's dtype: uint8 and int32 hold the
        pixel values, float the pixel values 0..255 (MoveNet normalises inside the graph),
        int8 ``round(pixel / scale) + zero_point`` clipped to -128..127 (scale 1 and zero
        point -128 when the model gives none: pixel - 128).
    """
    pixels = image[np.newaxis]
    if signature.channels_first:
        pixels = np.ascontiguousarray(np.transpose(pixels, (0, 3, 1, 2)))
    dtype = np.dtype(signature.dtype)
    if dtype == np.int8:
        scale = signature.scale or 1.0
        zero_point = signature.zero_point if signature.scale else -128
        quantised = np.round(pixels.astype(np.float32) / scale) + zero_point
        return np.clip(quantised, -128, 127).astype(np.int8)
    return pixels.astype(dtype, copy=False)


def dequantise(values: np.ndarray, scale, zero_point, axis: int = 0) -> np.ndarray:
    """float32 real values of a quantised tensor: ``(q - zero_point) * scale``.

    Args:
        values: int8 / uint8 / int16 array.
        scale: scalar or 1-D per-channel scales (0 / empty: not quantised, values cast).
        zero_point: scalar or 1-D per-channel zero points.
        axis: the channel axis of per-channel parameters.
    """
    scale = np.asarray(scale, dtype=np.float32).reshape(-1)
    zero_point = np.asarray(zero_point, dtype=np.float32).reshape(-1)
    if scale.size == 0 or not np.any(scale):
        return values.astype(np.float32)
    if scale.size > 1:
        shape = [1] * values.ndim
        shape[axis] = scale.size
        scale, zero_point = scale.reshape(shape), zero_point.reshape(shape)
    else:
        scale, zero_point = scale[0], zero_point[0] if zero_point.size else 0.0
    return (values.astype(np.float32) - zero_point) * scale
