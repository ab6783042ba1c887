"""Capture every intermediate tensor of one model run (TFLite or ONNX Runtime).

A capture runner loads its own copy of a model, used only for this: the playback backends
never pay for it.

* **TFLite**: an interpreter built with ``experimental_preserve_all_tensors`` and the
  builtin op resolver *without* default delegates. (With the XNNPACK delegate the tensors
  inside a delegated partition are never written: measured on the bundled float16 file,
  302 of its op outputs read back as zeros.) The tensors captured are the outputs of every
  op that depends on the model input, in execution order; ops that only unpack constants
  (the ``DEQUANTIZE`` of float16 weights) are left out.
* **ONNX Runtime**: an in-memory copy of the model whose graph also outputs every node
  output that depends on the input (nothing is written to disk). Graph optimisations are
  off, so every value exists as the graph defines it (a QDQ model then runs its
  quantise/dequantise pairs as written).

Only tensors that carry values are captured: floats, and int8 / uint8 / int16 tensors with
a quantisation scale, which are dequantised (``(q - zero_point) * scale``, per tensor or
per channel). Index and shape tensors (int32, int64, bool) are skipped.

The model input is prepared from the uint8 RGB image the pipeline made (crop or letterbox)
as the model's own input signature says (:func:`prepare_input`): uint8 as is, int8 with
its scale and zero point, float as pixel values 0..255, channels-first when the input is
``[1, 3, H, W]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import BackendError
from ..runtimes import litert
from ..text import first_line

_VALUE_DTYPES = frozenset({"float16", "float32", "float64"})
_QUANT_DTYPES = frozenset({"int8", "uint8", "int16"})


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


def open_capture(path: Path, fmt: str, input_size: tuple[int, int] | None = None) -> "TFLiteCapture | OnnxCapture":
    """A capture runner for the model file `path` of format ``tflite`` or ``onnx``.

    Args:
        input_size: (height, width) to give a dynamic image input (MultiPose); a static
            input keeps its own size.

    Raises:
        BackendError: the runtime is missing or cannot load the file.
    """
    if fmt == "onnx":
        from .onnx_capture import OnnxCapture

        return OnnxCapture(path, input_size)
    return TFLiteCapture(path, input_size)


class TFLiteCapture:
    """Runs a .tflite file with every intermediate tensor preserved (see the module docstring).

    Attributes:
        tensors: the captured tensors, in execution order.
        signature: the model's input signature (a dynamic input: as resized to `input_size`).
        dynamic: the model's image input has a dynamic height and width.

    Raises:
        BackendError: the runtime is missing or cannot load the file.
    """

    format = "tflite"

    def __init__(self, path: Path, input_size: tuple[int, int] | None = None):
        litert.interpreter_class()  # BackendError when no runtime is installed
        try:
            self._interpreter = litert.create_interpreter(path, threads=1, preserve_all_tensors=True,
                                                          default_delegates=False)
            first = self._interpreter.get_input_details()[0]
            self.dynamic = bool(np.any(np.asarray(first.get("shape_signature", first["shape"]))[1:3] < 0))
            if self.dynamic and input_size is not None:
                self._interpreter.resize_tensor_input(first["index"], [1, *input_size, 3], strict=False)
            self._interpreter.allocate_tensors()
            details = self._interpreter.get_tensor_details()
            ops = self._interpreter._get_ops_details()  # private but long-stable
        except Exception as exc:
            raise BackendError(f"{Path(path).name}: TFLite could not load it for layer capture "
                               f"({first_line(exc)})") from None
        first = self._interpreter.get_input_details()[0]
        quant = first.get("quantization_parameters", {})
        scales = np.asarray(quant.get("scales", []))
        zps = np.asarray(quant.get("zero_points", []))
        self._input_index = first["index"]
        self.signature = InputSignature(tuple(int(v) for v in first["shape"]), np.dtype(first["dtype"]).name,
                                        float(scales[0]) if scales.size else 0.0, int(zps[0]) if zps.size else 0)
        by_index = {d["index"]: d for d in details}
        dynamic = {d["index"] for d in self._interpreter.get_input_details()}
        self._refs: list[tuple[int, tuple]] = []
        tensors: list[CapturedTensor] = []
        for op in ops:
            if not any(i in dynamic for i in op["inputs"] if i >= 0):
                continue  # unpacks constants only
            for index in op["outputs"]:
                dynamic.add(index)
                detail = by_index[index]
                dtype = np.dtype(detail["dtype"]).name
                q = detail.get("quantization_parameters", {})
                scale = np.asarray(q.get("scales", []), dtype=np.float32)
                if dtype not in _VALUE_DTYPES and not (dtype in _QUANT_DTYPES and scale.size and np.any(scale)):
                    continue
                self._refs.append((index, (scale, np.asarray(q.get("zero_points", [])),
                                           int(q.get("quantized_dimension", 0)))))
                tensors.append(CapturedTensor(detail["name"], op["op_name"], tuple(int(v) for v in detail["shape"]),
                                              dtype, len(tensors)))
        self.tensors: tuple[CapturedTensor, ...] = tuple(tensors)

    def run(self, image: np.ndarray) -> list[np.ndarray]:
        """Run on one model-input image and read every captured tensor.

        Args:
            image: uint8 [H, W, 3] RGB at the model input size.

        Returns:
            float32 arrays, one per :attr:`tensors` entry, dequantised.

        Raises:
            BackendError: the run failed.
        """
        try:
            self._interpreter.set_tensor(self._input_index, prepare_input(image, self.signature))
            self._interpreter.invoke()
            out = []
            for index, (scale, zero_point, axis) in self._refs:
                value = self._interpreter.get_tensor(index)
                out.append(dequantise(value, scale, zero_point, axis) if scale.size
                           else value.astype(np.float32, copy=False))
            return out
        except Exception as exc:
            raise BackendError(f"TFLite layer capture failed: {first_line(exc)}") from None

    def close(self) -> None:
        """Drop the interpreter."""
        self._interpreter = None
