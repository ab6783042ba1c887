"""Give a quantized ``.tflite`` MoveNet integer input and outputs (``--io int8|uint8``).

ai-edge-quantizer keeps the float model's I/O: uint8 pixels in (``CAST`` to float, then its
``QUANTIZE``), float keypoints out (the float decode tail). This rewrites the flatbuffer
(LiteRT's schema and object API, as :mod:`.normalise_tflite`):

* **input**: the input tensor becomes int8 (scale 1, zero point -128) or uint8 (scale 1,
  zero point 0); the chain of ``CAST`` ops that turned the pixels into float goes, and a
  ``DEQUANTIZE`` gives the float pixels instead. When every reader of those float pixels is
  a ``QUANTIZE`` to int8 / uint8 (the library's input quantisation), the ``DEQUANTIZE`` is
  folded away: the ``QUANTIZE`` requantizes the integer input directly, and goes too when
  it would not change the values (int8 input with the library's input quantisation, scale
  1 zero point -128, see :func:`~.tflite_driver.pixel_tensor`): the first op reads the
  input itself, as in Google's int8-input files.
* **outputs**: each float output gets a ``QUANTIZE`` to int8 / uint8 with the scale and zero
  point of :func:`~.io_types.output_quantisation`; an output that was already a
  ``DEQUANTIZE`` of an integer tensor (a raw head whose convolution is quantized) is
  requantized from that tensor instead (no float round trip).

Tensor names, the order of inputs and outputs and the signature stay, so the file opens as
the zoo's int8-I/O files do (:mod:`~..models.model_io` dequantises integer outputs).
"""

from __future__ import annotations

import numpy as np

from ..errors import ModelError
from .io_types import Quantisation, input_quantisation, output_quantisation
from .normalise_tflite import _drop_unused_tensors, _text, flatbuffer_modules

#: Types a TFLite QUANTIZE op can requantize an int8 / uint8 tensor into.
_REQUANTIZE_TO = ("INT8", "UINT8")


def set_tflite_io(data: bytes, io: str, ranges: dict[str, tuple[float, float]], bounded: dict[str, bool]) -> bytes:
    """The flatbuffer `data` with integer input and outputs.

    Args:
        data: a quantized single-subgraph ``.tflite`` (float I/O, as ai-edge-quantizer writes it).
        io: ``int8`` or ``uint8``.
        ranges: output tensor name -> (min, max) over the calibration frames.
        bounded: output tensor name -> True for 0..1 outputs (see :func:`~.io_types.output_quantisation`).

    Returns:
        The new flatbuffer bytes.

    Raises:
        ModelError: an output has no calibrated range, or the input is not pixels (uint8 or float32).
    """
    schema, fb = flatbuffer_modules()
    model = fb.read_model_from_bytearray(bytearray(data))
    graph = model.subgraphs[0]
    edit = _Graph(schema, model, graph)
    edit.set_input(graph.inputs[0], input_quantisation(io))
    for index in list(graph.outputs):
        name = _text(graph.tensors[index].name)
        if name not in ranges:
            raise ModelError(f"output {name}: no calibrated range; cannot make it {io}")
        lo, hi = ranges[name]
        edit.set_output(index, output_quantisation(io, lo, hi, bounded.get(name, False)))
    _drop_unused_tensors(model, graph)
    return bytes(fb.convert_object_to_bytearray(model))


class _Graph:
    """Small edits of one subgraph in LiteRT's object API."""

    def __init__(self, schema, model, graph):
        self.schema, self.model, self.graph = schema, model, graph
        self.T = schema.TensorType
        self.type_names = {v: k for k, v in vars(schema.TensorType).items() if not k.startswith("_")}

    # -- helpers --------------------------------------------------------------------------

    def _code(self, builtin: int) -> int:
        """The operator-code index of a builtin op, added when the model has none."""
        for i, code in enumerate(self.model.operatorCodes):
            if max(int(code.builtinCode), int(code.deprecatedBuiltinCode)) == builtin:
                return i
        code = self.schema.OperatorCodeT()
        code.builtinCode = builtin
        code.deprecatedBuiltinCode = builtin  # < 127: both fields hold it
        code.version = 1
        self.model.operatorCodes.append(code)
        return len(self.model.operatorCodes) - 1

    def _kind(self, op) -> str:
        code = self.model.operatorCodes[op.opcodeIndex]
        value = max(int(code.builtinCode), int(code.deprecatedBuiltinCode))
        return next((k for k, v in vars(self.schema.BuiltinOperator).items() if v == value), "CUSTOM")

    def _op(self, builtin_name: str, inputs: list[int], outputs: list[int]):
        op = self.schema.OperatorT()
        op.opcodeIndex = self._code(getattr(self.schema.BuiltinOperator, builtin_name))
        op.inputs, op.outputs = list(inputs), list(outputs)
        options = {"QUANTIZE": "QuantizeOptions", "DEQUANTIZE": "DequantizeOptions"}[builtin_name]
        op.builtinOptionsType = getattr(self.schema.BuiltinOptions, options)
        op.builtinOptions = getattr(self.schema, options + "T")()
        return op

    def _tensor_like(self, index: int, suffix: str, type_: int) -> int:
        """A new activation tensor shaped as tensor `index`."""
        source = self.graph.tensors[index]
        tensor = self.schema.TensorT()
        tensor.shape = None if source.shape is None else np.array(source.shape, dtype=np.int32)
        tensor.shapeSignature = None if source.shapeSignature is None else np.array(source.shapeSignature, dtype=np.int32)
        tensor.type = type_
        tensor.buffer = 0
        tensor.name = (_text(source.name) + suffix).encode()
        self.graph.tensors.append(tensor)
        return len(self.graph.tensors) - 1

    def _quantise(self, index: int, q: Quantisation) -> None:
        tensor = self.graph.tensors[index]
        tensor.type = getattr(self.T, q.dtype.upper())
        params = self.schema.QuantizationParametersT()
        params.scale = np.array([q.scale], dtype=np.float32)
        params.zeroPoint = np.array([q.zero_point], dtype=np.int64)
        params.quantizedDimension = 0
        tensor.quantization = params

    def _readers(self, index: int) -> list:
        return [op for op in self.graph.operators if index in op.inputs]

    def _producer(self, index: int):
        return next((op for op in self.graph.operators if index in op.outputs), None)

    def _type(self, index: int) -> str:
        return self.type_names.get(self.graph.tensors[index].type, "?")

    def _single_scale(self, index: int) -> bool:
        q = self.graph.tensors[index].quantization
        return q is not None and q.scale is not None and len(q.scale) == 1

    def _same_quantisation(self, a: int, b: int) -> bool:
        ta, tb = self.graph.tensors[a], self.graph.tensors[b]
        return (ta.type == tb.type and self._single_scale(a) and self._single_scale(b)
                and float(ta.quantization.scale[0]) == float(tb.quantization.scale[0])
                and int(ta.quantization.zeroPoint[0]) == int(tb.quantization.zeroPoint[0]))

    def _replace_uses(self, old: int, new: int) -> None:
        for op in self.graph.operators:
            op.inputs = [new if i == old else i for i in op.inputs]

    # -- input ----------------------------------------------------------------------------

    def set_input(self, index: int, q: Quantisation) -> None:
        """Make input `index` an integer tensor with `q` (see the module docstring)."""
        if self._type(index) not in ("UINT8", "FLOAT32"):
            raise ModelError(f"input {_text(self.graph.tensors[index].name)} is {self._type(index).lower()}; "
                             f"--io needs a uint8 or float32 pixel input")
        pixels, chain = index, []
        while pixels not in self.graph.outputs:  # CAST ops that only change the type of the pixels
            readers = self._readers(pixels)
            if self._type(pixels) == "FLOAT32" or len(readers) != 1 or self._kind(readers[0]) != "CAST":
                break
            chain.append(readers[0])
            pixels = readers[0].outputs[0]
        if self._type(pixels) != "FLOAT32":
            raise ModelError(f"input {_text(self.graph.tensors[index].name)}: no float pixels found behind it")
        if pixels == index:  # a float input: its readers get a new float tensor
            pixels = self._tensor_like(index, "/dequantized", self.T.FLOAT32)
            for op in self._readers(index):
                op.inputs = [pixels if i == index else i for i in op.inputs]
        self.graph.operators = [op for op in self.graph.operators if not any(op is c for c in chain)]
        self._quantise(index, q)
        readers = self._readers(pixels)
        if readers and pixels not in self.graph.outputs and all(
                self._kind(op) == "QUANTIZE" and self._type(op.outputs[0]) in _REQUANTIZE_TO
                and self._single_scale(op.outputs[0]) for op in readers):
            for op in readers:  # requantize the integer input directly
                op.inputs = [index if i == pixels else i for i in op.inputs]
                if self._same_quantisation(op.outputs[0], index):  # an identity: read the input itself
                    self._replace_uses(op.outputs[0], index)
                    self.graph.operators = [o for o in self.graph.operators if o is not op]
        else:
            self.graph.operators.insert(0, self._op("DEQUANTIZE", [index], [pixels]))

    # -- outputs --------------------------------------------------------------------------

    def set_output(self, index: int, q: Quantisation) -> None:
        """Make output `index` an integer tensor with `q`, keeping its name and position."""
        if self._type(index) != "FLOAT32":
            raise ModelError(f"output {_text(self.graph.tensors[index].name)} is {self._type(index).lower()}, "
                             f"not float; cannot change its type")
        producer = self._producer(index)
        float_value = self._tensor_like(index, "/float", self.T.FLOAT32)
        if producer is not None:
            producer.outputs = [float_value if i == index else i for i in producer.outputs]
        for op in self._readers(index):
            op.inputs = [float_value if i == index else i for i in op.inputs]
        source = float_value
        if (producer is not None and self._kind(producer) == "DEQUANTIZE"
                and self._type(producer.inputs[0]) in _REQUANTIZE_TO and self._single_scale(producer.inputs[0])
                and not self._readers(float_value)):
            source = producer.inputs[0]  # requantize the head's own integer tensor
            self.graph.operators = [op for op in self.graph.operators if op is not producer]
        self._quantise(index, q)
        self.graph.operators.append(self._op("QUANTIZE", [source], [index]))
