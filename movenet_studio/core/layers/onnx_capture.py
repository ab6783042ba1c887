"""Capture every intermediate value of an ONNX model run (see :mod:`.capture`).

ONNX Runtime returns only graph outputs, so the runner builds, in memory, a copy of the
model whose graph also outputs every node output that depends on the model input and holds
floats (shape inference gives the types; nothing is written to disk). Graph optimisations
are switched off for this session, so every value exists exactly as the graph defines it.
The shapes of the captured values are those of a first run on a black image.

Fused activations. TFLite fuses an activation into the op before it (``CONV_2D`` with a
``RELU6``) and names the fused output after the op; a tf2onnx conversion splits them again:
the ``Conv`` output keeps the fused name but holds the values *before* the activation, and
the ``Clip`` after it (``Relu6__5:0``) holds what TFLite's tensor holds. So for matching,
an activation (``Relu``, ``Clip``, ``LeakyRelu``, ``Tanh``) that is the only consumer of a
``Conv`` / ``Add`` / ``Sub`` / ``Mul`` / ``Gemm`` / ``MatMul`` output takes that output's name,
and the output itself is matched as ``<leading op path>/pre_activation``. TFLite's
``SQUARED_DIFFERENCE`` splits the same way (``Sub``, then ``Mul`` of it by itself).

QDQ models (ONNX Runtime static quantisation). A float value whose only consumers are
``QuantizeLinear`` nodes is the float op's output *before* quantisation; what the next layer
sees is the ``DequantizeLinear`` of it. So such values are not captured, and the
``DequantizeLinear`` output is matched under the quantised value's name.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import BackendError
from ..runtimes import ort
from ..text import first_line
from .captured import CapturedTensor, InputSignature, prepare_input

_ACTIVATIONS = frozenset({"Relu", "Clip", "LeakyRelu", "Tanh"})
_FUSING_OPS = frozenset({"Conv", "Add", "Sub", "Mul", "Gemm", "MatMul"})
_FLOAT_TYPES = {1: "float32", 10: "float16", 11: "float64"}  # onnx.TensorProto elem types
_INPUT_TYPES = {"tensor(uint8)": "uint8", "tensor(int8)": "int8", "tensor(int32)": "int32",
                "tensor(float)": "float32"}


class OnnxCapture:
    """Runs a .onnx file with every float node output exposed as a graph output.

    Attributes:
        tensors: the captured values, in the graph's (topological) node order.
        signature: the model's input signature (a dynamic input: at `input_size`).
        dynamic: the model's image input has free dimensions.

    Raises:
        BackendError: onnx / onnxruntime missing, or the file cannot be loaded.
    """

    format = "onnx"

    def __init__(self, path: Path, input_size: tuple[int, int] | None = None):
        try:
            import onnx
            from onnx import shape_inference

            ort.onnxruntime()
        except (ImportError, BackendError):
            raise BackendError("layer capture of ONNX models needs onnx and onnxruntime") from None
        name = Path(path).name
        try:
            model = onnx.load(str(path))
            inferred = shape_inference.infer_shapes(model)
        except Exception as exc:
            raise BackendError(f"{name}: ONNX could not load it for layer capture ({first_line(exc)})") from None
        graph = inferred.graph
        initializers = {init.name for init in graph.initializer}
        dynamic = {v.name for v in graph.input if v.name not in initializers}
        types = {vi.name: vi for vi in (*graph.value_info, *graph.output)}
        existing = {o.name for o in model.graph.output}
        wanted: list[tuple[str, str, str]] = []  # (value, op, dtype)
        for node in graph.node:
            if not any(i in dynamic for i in node.input if i):
                continue
            for out in node.output:
                if not out:
                    continue
                dynamic.add(out)
                info = types.get(out)
                elem = info.type.tensor_type.elem_type if info is not None else 0
                if elem in _FLOAT_TYPES:
                    wanted.append((out, node.op_type, _FLOAT_TYPES[elem]))
        aliases = _fused_activation_names(graph)
        aliases.update(_qdq_names(graph, aliases))
        before_quantise = _quantised_inputs(graph)
        wanted = [w for w in wanted if w[0] not in before_quantise]
        for out, _, _ in wanted:
            if out not in existing:
                model.graph.output.append(types[out])
        try:
            self._session = ort.create_session(model.SerializeToString(), ort.session_options(1, optimize=False),
                                               [ort.CPU])
        except Exception as exc:
            raise BackendError(f"{name}: ONNX Runtime could not load it for layer capture "
                               f"({first_line(exc)})") from None
        first = self._session.get_inputs()[0]
        shape = list(first.shape)
        self.dynamic = len(shape) == 4 and any(not isinstance(d, int) or d < 0 for d in shape)
        if self.dynamic and input_size is not None:  # [N, H, W, 3] or [N, 3, H, W] with free dims
            channels_first = shape[1] == 3
            shape = [1, 3, *input_size] if channels_first else [1, *input_size, 3]
        if first.type not in _INPUT_TYPES or any(not isinstance(d, int) or d < 0 for d in shape):
            raise BackendError(f"{name}: layer capture needs a static image input (got {first.type} {first.shape})")
        self._input_name = first.name
        self.signature = InputSignature(tuple(shape), _INPUT_TYPES[first.type])
        self._names = [out for out, _, _ in wanted]
        height, width = self.signature.size
        values = self._run(np.zeros((height, width, 3), np.uint8))
        self.tensors: tuple[CapturedTensor, ...] = tuple(
            CapturedTensor(out, op, tuple(int(v) for v in value.shape), dtype, i, aliases.get(out))
            for i, ((out, op, dtype), value) in enumerate(zip(wanted, values)))

    def _run(self, image: np.ndarray) -> list[np.ndarray]:
        feed = {self._input_name: prepare_input(image, self.signature)}
        return self._session.run(self._names, feed)

    def run(self, image: np.ndarray) -> list[np.ndarray]:
        """Run on one model-input image; float32 arrays, one per :attr:`tensors` entry.

        Args:
            image: uint8 [H, W, 3] RGB at the model input size.

        Raises:
            BackendError: the run failed.
        """
        try:
            return [np.asarray(v, dtype=np.float32) for v in self._run(image)]
        except Exception as exc:
            raise BackendError(f"ONNX layer capture failed: {first_line(exc)}") from None

    def close(self) -> None:
        """Drop the session."""
        self._session = None



def _fused_activation_names(graph) -> dict[str, str]:
    """Match names of split fused activations (see the module docstring, "Fused activations")."""
    producer = {out: node for node in graph.node for out in node.output}
    consumers: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            consumers[name] = consumers.get(name, 0) + 1
    aliases: dict[str, str] = {}
    for node in graph.node:
        square = node.op_type == "Mul" and len(node.input) == 2 and node.input[0] == node.input[1]
        if not (node.op_type in _ACTIVATIONS or square) or not node.input or not node.output:
            continue
        source = node.input[0]
        before = producer.get(source)
        uses = 2 if square else 1
        if before is not None and before.op_type in _FUSING_OPS and consumers.get(source) == uses:
            aliases[node.output[0]] = source
            aliases[source] = source.split(";", 1)[0] + "/pre_activation"
    return aliases


def _quantised_inputs(graph) -> set[str]:
    """Float values consumed only by ``QuantizeLinear`` nodes (see "QDQ models")."""
    consumers: dict[str, list[str]] = {}
    for node in graph.node:
        for name in node.input[:1]:
            consumers.setdefault(name, []).append(node.op_type)
        for name in node.input[1:]:
            consumers.setdefault(name, []).append("")  # scale / zero point / weights: not the data input
    return {name for name, ops in consumers.items() if ops and all(op == "QuantizeLinear" for op in ops)}


def _qdq_names(graph, aliases: dict[str, str]) -> dict[str, str]:
    """Match names of ``DequantizeLinear`` outputs: the name of the value quantised before them."""
    producer = {out: node for node in graph.node for out in node.output}
    names: dict[str, str] = {}
    for node in graph.node:
        if node.op_type != "DequantizeLinear" or not node.input or not node.output:
            continue
        quantise = producer.get(node.input[0])
        if quantise is None or quantise.op_type != "QuantizeLinear" or not quantise.input:
            continue
        source = quantise.input[0]
        names[node.output[0]] = aliases.get(source, source)
    return names
