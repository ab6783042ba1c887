"""Read what a .tflite or .onnx file declares, without running it.

:func:`read_signature` returns a :class:`~.signature.ModelSignature`: every graph input and
output with its dtype, shape and quantisation (scale, zero point), whether the output comes
out of a sigmoid, the count of each op type and the custom ops the file needs.

TFLite files are read from their flatbuffer with the schema that ships with LiteRT
(``ai_edge_litert.schema_py_generated``), so nothing native parses the file here and a file
full of custom ops (an Arm Vela ``ethos-u`` file) is described, not refused by an
interpreter that cannot resolve them. ONNX files are read with the ``onnx`` package
(external data is not loaded).

Quantisation in ONNX lives in the graph, not on the tensors: an integer graph input that
feeds a ``DequantizeLinear`` takes that node's scale and zero point, and an integer graph
output made by a ``QuantizeLinear`` takes that node's.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from ..errors import BackendError, ModelError
from .signature import ModelSignature, TensorSignature
from ..runtimes import litert
from ..text import first_line

#: Ops that only move or re-type values: a sigmoid behind them still makes the output a probability.
#: (Channel selection by GATHER / Slice keeps the values too: ST's 13-keypoint file gathers 13 of 17 maps.)
_TFLITE_PASS = frozenset({"DEQUANTIZE", "QUANTIZE", "RESHAPE", "TRANSPOSE", "SQUEEZE", "EXPAND_DIMS", "CAST",
                          "GATHER", "SLICE", "STRIDED_SLICE"})
_ONNX_PASS = frozenset({"DequantizeLinear", "QuantizeLinear", "Transpose", "Reshape", "Identity", "Squeeze",
                        "Unsqueeze", "Cast", "Flatten", "Gather", "Slice"})
#: ONNX op domains a desktop ONNX Runtime resolves; ops of any other domain are custom ops.
ONNX_STANDARD_DOMAINS = frozenset({"", "ai.onnx", "ai.onnx.ml", "com.microsoft", "com.microsoft.nchwc",
                                   "com.microsoft.experimental", "ai.onnx.training", "ai.onnx.preview.training"})


def read_signature(path: Path) -> ModelSignature:
    """Inputs, outputs, quantisation, op counts and custom ops of a model file.

    Args:
        path: a ``.tflite`` or ``.onnx`` file (judged by its extension).

    Returns:
        :class:`~.signature.ModelSignature`; shape entries < 0 are dynamic.

    Raises:
        ModelError: the file is empty or cannot be parsed as its format.
    """
    path = Path(path)
    if path.stat().st_size == 0:
        raise ModelError(f"{path.name}: empty file, not a model")
    if path.suffix.lower() == ".onnx":
        return _read_onnx(path)
    return _read_tflite(path)


# -- TFLite -------------------------------------------------------------------------------

def _read_tflite(path: Path) -> ModelSignature:
    schema = litert.flatbuffer_schema()
    if schema is None:
        return _read_tflite_interpreter(path)
    data = path.read_bytes()
    try:
        if len(data) < 8 or data[4:8] != b"TFL3":
            raise ValueError("no TFL3 identifier")
        model = schema.Model.GetRootAsModel(data, 0)
        builtin_names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
        type_names = {v: k.lower() for k, v in vars(schema.TensorType).items() if not k.startswith("_")}
        codes = []
        for i in range(model.OperatorCodesLength()):
            code = model.OperatorCodes(i)
            builtin = max(int(code.BuiltinCode()), int(code.DeprecatedBuiltinCode()))
            custom = code.CustomCode()
            codes.append(("custom", custom.decode("utf-8", "replace")) if builtin == schema.BuiltinOperator.CUSTOM
                         else ("builtin", builtin_names.get(builtin, f"OP_{builtin}")))
        graph = model.Subgraphs(0)
        ops: Counter[str] = Counter()
        custom: Counter[str] = Counter()
        producer: dict[int, tuple[str, list[int]]] = {}
        for i in range(graph.OperatorsLength()):
            op = graph.Operators(i)
            kind, name = codes[op.OpcodeIndex()]
            ops[name] += 1
            if kind == "custom":
                custom[name] += 1
            inputs = [int(v) for v in op.InputsAsNumpy()] if op.InputsLength() else []
            for out in (op.OutputsAsNumpy() if op.OutputsLength() else []):
                producer[int(out)] = (name, inputs)
        dtypes = set()
        for i in range(graph.TensorsLength()):
            dtypes.add(type_names.get(graph.Tensors(i).Type(), "?"))

        def tensor(index: int) -> TensorSignature:
            t = graph.Tensors(index)
            shape = t.ShapeSignatureAsNumpy() if t.ShapeSignatureLength() else t.ShapeAsNumpy()
            shape = tuple(int(v) for v in shape) if not isinstance(shape, int) else ()
            scale, zero_point = 0.0, 0
            q = t.Quantization()
            if q is not None and q.ScaleLength():
                scale = float(q.Scale(0))
                zero_point = int(q.ZeroPoint(0)) if q.ZeroPointLength() else 0
            name = t.Name().decode("utf-8", "replace")
            return TensorSignature(name, shape, _np_name(type_names.get(t.Type(), "?")), scale, zero_point,
                                   _after(index, producer, "LOGISTIC", _TFLITE_PASS))

        inputs = tuple(tensor(int(i)) for i in graph.InputsAsNumpy())
        outputs = tuple(tensor(int(i)) for i in graph.OutputsAsNumpy())
    except Exception as exc:
        raise ModelError(f"{path.name}: not a readable TFLite model ({first_line(exc)})") from None
    precision = "int8" if "int8" in dtypes else "float16" if "float16" in dtypes else "float32"
    return ModelSignature(inputs, outputs, precision, tuple(sorted(ops.items(), key=lambda kv: (-kv[1], kv[0]))),
                          tuple(sorted(custom.items())))


def _np_name(type_name: str) -> str:
    return {"float32": "float32", "float16": "float16", "int32": "int32", "uint8": "uint8", "int8": "int8",
            "int16": "int16", "int64": "int64", "bool": "bool", "float64": "float64"}.get(type_name, type_name)


def _after(index, producer: dict, sigmoid: str, passthrough: frozenset) -> bool:
    """True when tensor `index` is a `sigmoid` op's output, possibly behind pass-through ops."""
    for _ in range(16):
        if index not in producer:
            return False
        op, inputs = producer[index]
        if op == sigmoid:
            return True
        if op not in passthrough or not inputs:
            return False
        index = inputs[0]
    return False


def _read_tflite_interpreter(path: Path) -> ModelSignature:
    """Fallback without LiteRT's schema module (tflite-runtime): the interpreter's view."""
    try:
        interpreter = litert.create_interpreter(path)
    except BackendError:
        raise
    except Exception as exc:
        raise ModelError(f"{path.name}: not a readable TFLite model ({first_line(exc)})") from None

    def sig(d: dict) -> TensorSignature:
        shape = d.get("shape_signature", d["shape"])
        scale, zero_point = d.get("quantization", (0.0, 0))
        return TensorSignature(d["name"], tuple(int(v) for v in shape), np.dtype(d["dtype"]).name,
                               float(scale), int(zero_point))

    dtypes = {np.dtype(t["dtype"]).name for t in interpreter.get_tensor_details()}
    precision = "int8" if "int8" in dtypes else "float16" if "float16" in dtypes else "float32"
    return ModelSignature(tuple(sig(d) for d in interpreter.get_input_details()),
                          tuple(sig(d) for d in interpreter.get_output_details()), precision)


# -- ONNX ---------------------------------------------------------------------------------

def _read_onnx(path: Path) -> ModelSignature:
    try:
        import onnx
        from onnx import helper, numpy_helper

        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:
        raise ModelError(f"{path.name}: not a readable ONNX model ({first_line(exc)})") from None
    graph = model.graph
    initializers = {init.name: init for init in graph.initializer}
    producer = {out: (node.op_type, list(node.input)) for node in graph.node for out in node.output}
    consumers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)

    def const(name: str) -> float | None:
        if name not in initializers:
            return None
        values = numpy_helper.to_array(initializers[name]).reshape(-1)
        return float(values[0]) if values.size else None

    def quantisation(node) -> tuple[float, int]:
        scale = const(node.input[1]) if len(node.input) > 1 else None
        zero = const(node.input[2]) if len(node.input) > 2 else 0.0
        return (float(scale), int(zero or 0)) if scale else (0.0, 0)

    def sig(value_info, is_input: bool) -> TensorSignature:
        tensor = value_info.type.tensor_type
        dims = tuple(d.dim_value if d.HasField("dim_value") else -1 for d in tensor.shape.dim)
        dtype = np.dtype(helper.tensor_dtype_to_np_dtype(tensor.elem_type)).name
        scale, zero_point = 0.0, 0
        if dtype in ("int8", "uint8"):
            if is_input:
                dq = [n for n in consumers.get(value_info.name, ()) if n.op_type == "DequantizeLinear"]
                if dq:
                    scale, zero_point = quantisation(dq[0])
            elif producer.get(value_info.name, ("",))[0] == "QuantizeLinear":
                node = next(n for n in graph.node if value_info.name in n.output)
                scale, zero_point = quantisation(node)
        return TensorSignature(value_info.name, dims, dtype, scale, zero_point,
                               _after(value_info.name, producer, "Sigmoid", _ONNX_PASS))

    inputs = tuple(sig(v, True) for v in graph.input if v.name not in initializers)
    outputs = tuple(sig(v, False) for v in graph.output)
    types = {init.data_type for init in graph.initializer}
    precision = ("int8" if onnx.TensorProto.INT8 in types or onnx.TensorProto.UINT8 in types
                 else "float16" if onnx.TensorProto.FLOAT16 in types else "float32")
    ops = Counter(node.op_type for node in graph.node)
    custom = Counter(f"{node.domain}:{node.op_type}" for node in graph.node
                     if node.domain not in ONNX_STANDARD_DOMAINS)
    return ModelSignature(inputs, outputs, precision, tuple(sorted(ops.items(), key=lambda kv: (-kv[1], kv[0]))),
                          tuple(sorted(custom.items())))
