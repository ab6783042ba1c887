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
as the model's own input signature says (:func:`~.captured.prepare_input`): uint8 as is, int8 with
its scale and zero point, float as pixel values 0..255, channels-first when the input is
``[1, 3, H, W]``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import BackendError
from ..runtimes import litert
from ..text import first_line
from .captured import CapturedTensor, InputSignature, dequantise, prepare_input
from .onnx_capture import OnnxCapture

_VALUE_DTYPES = frozenset({"float16", "float32", "float64"})
_QUANT_DTYPES = frozenset({"int8", "uint8", "int16"})


def open_capture(path: Path, fmt: str, input_size: tuple[int, int] | None = None) -> TFLiteCapture | OnnxCapture:
    """A capture runner for the model file `path` of format ``tflite`` or ``onnx``.

    Args:
        input_size: (height, width) to give a dynamic image input (MultiPose); a static
            input keeps its own size.

    Raises:
        BackendError: the runtime is missing or cannot load the file.
    """
    if fmt == "onnx":
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
