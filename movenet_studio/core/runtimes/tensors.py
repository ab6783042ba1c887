"""Feeding a model file and reading its outputs: input quantisation and layout, output dequantisation.

Shared by both runtimes, driven by what the file declares (the input and output specs of its
:class:`~movenet_studio.core.models.model_io.ModelIO`, which satisfy the protocols below).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

#: Tensor layouts: channels last (TFLite's and MoveNet's own) and channels first (PyTorch / ONNX ports).
NHWC, NCHW = "NHWC", "NCHW"


class InputTensorSpec(Protocol):
    """What :func:`prepare_input` needs of a model's image input."""

    dtype: str  # numpy dtype name: uint8, int8, int32, float32
    layout: str  # NHWC or NCHW
    scale: float  # quantisation scale (integer inputs)
    zero_point: int
    value_range: tuple[float, float]  # what a float32 input expects pixel 0..255 mapped to

    @property
    def quantised(self) -> bool: ...


class OutputTensorSpec(Protocol):
    """What :func:`output_to_float` needs of one model output."""

    layout: str  # NHWC or NCHW
    scale: float  # 0 for a float output
    zero_point: int

_INT_RANGE = {"int8": (-128, 127), "uint8": (0, 255), "int32": (-2 ** 31, 2 ** 31 - 1)}


def prepare_input(image: np.ndarray, spec: InputTensorSpec | None, dtype: np.dtype | type = np.uint8) -> np.ndarray:
    """The model's input tensor for one RGB image, as the model declares it.

    * integer input with a scale and zero point (other than 1 / 0): ``round(pixel / scale) +
      zero_point``, clipped to the dtype (scale 1, zero point -128: pixel - 128);
    * float32 input: pixel 0..255 mapped linearly to the expected value range
      (:attr:`InputSpec.value_range`, default 0..255);
    * NCHW input: transposed once to [1, 3, H, W].

    Args:
        image: uint8 [H, W, 3] RGB at the model input size.
        spec: the file's input (None: a bundled model: cast to `dtype`, NHWC).
        dtype: the runtime's input dtype (used when `spec` is None).

    Returns:
        [1, H, W, 3] or [1, 3, H, W] array of the input dtype.
    """
    if spec is None:
        return image[np.newaxis].astype(dtype, copy=False)
    target = np.dtype(spec.dtype)
    if spec.dtype == "float32":
        lo, hi = spec.value_range
        tensor = image.astype(np.float32)
        if (lo, hi) != (0.0, 255.0):
            tensor = tensor * np.float32((hi - lo) / 255.0) + np.float32(lo)
    elif spec.quantised:
        lo, hi = _INT_RANGE.get(spec.dtype, (-128, 127))
        if spec.scale == 1.0:
            tensor = np.clip(image.astype(np.int32) + spec.zero_point, lo, hi).astype(target)
        else:
            q = np.rint(image.astype(np.float32) / np.float32(spec.scale)) + spec.zero_point
            tensor = np.clip(q, lo, hi).astype(target)
    else:
        tensor = image.astype(target, copy=False)
    tensor = tensor[np.newaxis]
    if spec.layout == NCHW:
        tensor = np.ascontiguousarray(tensor.transpose(0, 3, 1, 2))
    return tensor


def output_to_float(values: np.ndarray, spec: OutputTensorSpec) -> np.ndarray:
    """One output as float32: dequantised ((q - zero_point) * scale) and NCHW maps moved to NHWC."""
    if spec.scale:
        array = (np.asarray(values, dtype=np.int32) - np.int32(spec.zero_point)).astype(np.float32) \
            * np.float32(spec.scale)
    else:
        array = np.asarray(values, dtype=np.float32)
    if spec.layout == NCHW and array.ndim == 4:
        array = array.transpose(0, 2, 3, 1)
    return array

