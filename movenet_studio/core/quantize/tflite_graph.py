"""Read a (normalised, float32) ``.tflite`` flatbuffer into a :class:`~.graph_blocks.ModelGraph`."""

from __future__ import annotations

import numpy as np

from ..decoding.heads import locate_heads
from ..errors import ModelError
from .graph_blocks import GraphOp, ModelGraph, map_hw
from .normalise_tflite import flatbuffer_modules


def read_tflite_graph(data: bytes, filename: str = "model.tflite") -> ModelGraph:
    """The ops, input size and head tensors of a single-subgraph ``.tflite`` model.

    Tensor ids are the tensor names (TFLite names are unique within a subgraph).

    Raises:
        ModelError: the graph has neither MoveNet's four heads nor a heatmap output.
    """
    schema, flatbuffer_utils = flatbuffer_modules()
    model = flatbuffer_utils.read_model_from_bytearray(bytearray(data))
    graph = model.subgraphs[0]
    op_names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    codes = [op_names.get(max(int(c.builtinCode), int(c.deprecatedBuiltinCode)), "CUSTOM") for c in model.operatorCodes]
    tensors = graph.tensors
    names = [t.name.decode("utf-8", "replace") if isinstance(t.name, bytes) else str(t.name) for t in tensors]
    image = tensors[graph.inputs[0]]
    shape = [int(v) for v in image.shape]
    input_hw = (shape[2], shape[3]) if len(shape) == 4 and shape[1] == 3 and shape[3] != 3 else (shape[1], shape[2])
    constant = {i for i, t in enumerate(tensors) if t.buffer and model.buffers[t.buffer].data is not None
                and len(model.buffers[t.buffer].data)}
    ops = []
    for k, op in enumerate(graph.operators):
        kind = codes[op.opcodeIndex]
        ins = [i for i in op.inputs if i >= 0]
        acts = [i for i in ins if i not in constant]
        out_hw = map_hw(tensors[op.outputs[0]].shape, input_hw) if op.outputs else None
        in_hw = map_hw(tensors[acts[0]].shape, input_hw) if acts else None
        ops.append(GraphOp(k, kind, tuple(names[i] for i in ins), tuple(names[i] for i in op.outputs),
                           tuple(names[i] for i in acts), out_hw, in_hw, _macs(kind, op, tensors),
                           ";".join(names[i] for i in op.outputs) + ";"))
    details = [{"index": i, "name": names[i], "shape": np.array(t.shape if t.shape is not None else []),
                "dtype": np.float32, "quantization": (0.0, 0)} for i, t in enumerate(tensors)]
    heads = locate_heads(details, input_hw)
    if heads is not None:
        ends = {"centre": heads.centre.name, "keypoint_heatmaps": heads.keypoint_heatmaps.name,
                "regression": heads.regression.name, "offsets": heads.offsets.name}
    else:
        ends = heatmap_end(ops, [names[i] for i in graph.outputs], filename)
    return ModelGraph(tuple(ops), input_hw, ends)


def heatmap_end(ops: list[GraphOp], outputs: list[str], filename: str) -> dict[str, str]:
    """A heatmap-only graph (TFLite or ONNX): its output map, followed back through sigmoid / layout / gather
    ops to the convolution that computes it."""
    producer = {t: op for op in ops for t in op.outputs}
    if len(outputs) == 1:
        name = outputs[0]
        for _ in range(16):
            op = producer.get(name)
            if op is None or op.op_type in ("CONV_2D", "DEPTHWISE_CONV_2D", "Conv"):
                return {"keypoint_heatmaps": name}
            if not op.activations:
                break
            name = op.activations[0]
    raise ModelError(f"{filename}: MoveNet's four heads or a heatmap output were not found in the graph; "
                     f"cannot tell the network from its decode")


def _macs(kind: str, op, tensors) -> int:
    """Multiply-accumulates of one convolution / fully connected op (0 for other ops)."""
    if kind not in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED") or len(op.inputs) < 2:
        return 0
    out = [int(v) for v in tensors[op.outputs[0]].shape]
    weight = [int(v) for v in tensors[op.inputs[1]].shape]
    if kind == "CONV_2D":  # weights [Cout, kh, kw, Cin]
        return int(np.prod(out)) * weight[1] * weight[2] * weight[3]
    if kind == "DEPTHWISE_CONV_2D":  # weights [1, kh, kw, C]
        return int(np.prod(out)) * weight[1] * weight[2]
    return int(np.prod(out)) * weight[-1]  # FULLY_CONNECTED: [out, in]
