"""Make a float MoveNet ``.tflite`` file something ai-edge-quantizer can take.

Two things stop ai-edge-quantizer 0.10 on the files Google ships:

* float16 files keep their weights as float16 constants behind ``DEQUANTIZE`` ops, and
  ``quantize()`` fails inside on them (``'NoneType' object has no attribute 'ndim'``). Here
  every ``DEQUANTIZE`` of a float16 constant is folded: its output becomes a float32
  constant holding the same values (float16 -> float32 is exact) and the op goes.
* the float32 file has no signature, and the quantizer calibrates and quantizes by
  signature (``Invalid signature_key "serving_default"``; upstream
  google-ai-edge/ai-edge-quantizer, "Invalid signature_key" for models without signature
  defs). A ``serving_default`` signature naming the graph's inputs and outputs by their
  tensor names is added when the file has none.

Nothing else changes: tensor names, the order of inputs and outputs and their dtypes stay,
so the quantized file opens everywhere Google's int8 files do. The file is read and written
with LiteRT's own flatbuffer object API (``ai_edge_litert.tools.flatbuffer_utils``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ModelError

SIGNATURE_KEY = "serving_default"


@dataclass(frozen=True, slots=True)
class NormalisedTflite:
    """A normalised float32 ``.tflite`` model.

    Attributes:
        data: the flatbuffer bytes.
        folded_float16: float16 constants turned into float32 (DEQUANTIZE ops removed).
        added_signature: True when a ``serving_default`` signature was added.
        input_names: the signature's input names, in graph order (what calibration data is keyed by).
    """

    data: bytes
    folded_float16: int
    added_signature: bool
    input_names: tuple[str, ...]

    def notes(self) -> list[str]:
        """Human lines saying what was changed, for the report."""
        lines = []
        if self.folded_float16:
            lines.append(f"{self.folded_float16} float16 weights made float32 (DEQUANTIZE folded)")
        if self.added_signature:
            lines.append("serving_default signature added (the file had none)")
        return lines


def flatbuffer_modules():
    """LiteRT's schema module and flatbuffer object helpers (:mod:`..runtimes.litert`).

    Raises:
        ModelError: ai-edge-litert is not installed (tflite-runtime does not ship them).
    """
    from ..runtimes import litert

    schema, objects = litert.flatbuffer_schema(), litert.flatbuffer_objects()
    if schema is None or objects is None:
        raise ModelError("quantizing a .tflite file needs ai-edge-litert (pip install ai-edge-litert)")
    return schema, objects


def normalise_tflite(data: bytes, filename: str = "model.tflite") -> NormalisedTflite:
    """Fold float16 weights to float32 and add a ``serving_default`` signature.

    Args:
        data: a float16 or float32 ``.tflite`` flatbuffer (one subgraph).
        filename: for messages.

    Returns:
        :class:`NormalisedTflite`.

    Raises:
        ModelError: not a TFLite flatbuffer, more than one subgraph, or already quantized
            (int8 / int16 tensors).
    """
    schema, fb = flatbuffer_modules()
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise ModelError(f"{filename}: not a TFLite model (no TFL3 identifier)")
    try:
        model = fb.read_model_from_bytearray(bytearray(data))
    except Exception as exc:
        raise ModelError(f"{filename}: not a readable TFLite model ({exc})") from None
    if len(model.subgraphs) != 1:
        raise ModelError(f"{filename}: has {len(model.subgraphs)} subgraphs; MoveNet has one")
    graph = model.subgraphs[0]
    T = schema.TensorType
    quantized = [t for t in graph.tensors if t.type in (T.INT8, T.INT16) and t.quantization is not None
                 and t.quantization.scale is not None and len(t.quantization.scale)]
    if quantized:
        raise ModelError(f"{filename}: already quantized ({len(quantized)} int8/int16 tensors); "
                         f"quantize the float model it was made from")
    folded = _fold_float16(model, graph, schema)
    added = False
    if not any(_text(sd.signatureKey) == SIGNATURE_KEY for sd in (model.signatureDefs or [])):
        signature = schema.SignatureDefT()
        signature.signatureKey = SIGNATURE_KEY
        signature.subgraphIndex = 0
        signature.inputs = [_tensor_map(schema, graph, i) for i in graph.inputs]
        signature.outputs = [_tensor_map(schema, graph, i) for i in graph.outputs]
        model.signatureDefs = [signature] + list(model.signatureDefs or [])
        added = True
    sig = next(sd for sd in model.signatureDefs if _text(sd.signatureKey) == SIGNATURE_KEY)
    by_index = {m.tensorIndex: _text(m.name) for m in sig.inputs}
    names = tuple(by_index[i] for i in graph.inputs)
    return NormalisedTflite(bytes(fb.convert_object_to_bytearray(model)), folded, added, names)


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, (bytes, bytearray)) else str(value or "")


def _tensor_map(schema, graph, index: int):
    entry = schema.TensorMapT()
    entry.name = graph.tensors[index].name
    entry.tensorIndex = int(index)
    return entry


def _fold_float16(model, graph, schema) -> int:
    """Replace DEQUANTIZE(float16 constant) by a float32 constant; returns how many were folded."""
    codes = [max(int(c.builtinCode), int(c.deprecatedBuiltinCode)) for c in model.operatorCodes]
    T = schema.TensorType
    keep, folded = [], 0
    for op in graph.operators:
        if codes[op.opcodeIndex] == schema.BuiltinOperator.DEQUANTIZE and len(op.inputs) == 1:
            source = graph.tensors[op.inputs[0]]
            data = model.buffers[source.buffer].data if source.buffer else None
            if source.type == T.FLOAT16 and data is not None and len(data):
                values = np.frombuffer(bytes(data), dtype="<f2").astype("<f4")
                buffer = schema.BufferT()
                buffer.data = np.frombuffer(values.tobytes(), dtype=np.uint8)
                model.buffers.append(buffer)
                graph.tensors[op.outputs[0]].buffer = len(model.buffers) - 1
                folded += 1
                continue
        keep.append(op)
    graph.operators = keep
    if folded:
        _drop_unused_tensors(model, graph)
        used = {t.buffer for t in graph.tensors}
        for i, buffer in enumerate(model.buffers):
            if i and i not in used:
                buffer.data = None  # a float16 copy no tensor refers to any more
    return folded


def _drop_unused_tensors(model, graph) -> None:
    """Remove tensors no op, input or output refers to, renumbering the references
    (ops, graph inputs and outputs, signatures)."""
    used = set(graph.inputs) | set(graph.outputs)
    for op in graph.operators:
        used.update(i for i in op.inputs if i >= 0)
        used.update(op.outputs)
        used.update(op.intermediates or [])
    order = sorted(used)
    new = {old: i for i, old in enumerate(order)}
    graph.tensors = [graph.tensors[i] for i in order]
    graph.inputs = [new[i] for i in graph.inputs]
    graph.outputs = [new[i] for i in graph.outputs]
    for op in graph.operators:
        op.inputs = [new[i] if i >= 0 else i for i in op.inputs]
        op.outputs = [new[i] for i in op.outputs]
        if op.intermediates:
            op.intermediates = [new[i] for i in op.intermediates]
    for signature in model.signatureDefs or []:
        for entry in (*(signature.inputs or []), *(signature.outputs or [])):
            entry.tensorIndex = new[entry.tensorIndex]
