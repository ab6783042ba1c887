"""Read a normalised (float32, shapes inferred) ONNX model into a :class:`~.graph_blocks.ModelGraph`."""

from __future__ import annotations

import numpy as np

from ..backends.onnx_heads import locate_onnx_heads
from ..errors import ModelError
from .graph_blocks import GraphOp, ModelGraph, map_hw
from .tflite_graph import heatmap_end


def read_onnx_graph(model, io, filename: str = "model.onnx") -> ModelGraph:
    """The nodes, input size and head values of an ONNX MoveNet.

    Args:
        model: a normalised ``onnx.ModelProto`` (node names unique, shapes inferred).
        io: the file's :class:`~..models.model_io.ModelIO` (a raw-heads file names its heads there).

    Raises:
        ModelError: no heads or heatmap output found.
    """
    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    shapes = {}
    for value in (*graph.input, *graph.value_info, *graph.output):
        dims = value.type.tensor_type.shape.dim
        shapes[value.name] = [d.dim_value if d.HasField("dim_value") else -1 for d in dims]
    input_hw = tuple(io.input.size)
    ops = []
    for k, node in enumerate(graph.node):
        acts = [v for v in node.input if v and v not in inits]
        out_hw = map_hw(shapes.get(node.output[0]), input_hw) if node.output else None
        in_hw = map_hw(shapes.get(acts[0]), input_hw) if acts else None
        ops.append(GraphOp(k, node.op_type, tuple(v for v in node.input if v), tuple(node.output), tuple(acts),
                           out_hw, in_hw, _macs(node, shapes, inits), node.name))
    if io.kind == "heads":
        roles = {}
        for out in io.outputs:
            role = out.role if out.role != "regression_or_offsets" else f"pair{out.index}"
            roles[role] = out.name
        ends = roles
    elif io.kind == "heatmaps":
        ends = heatmap_end(ops, [io.outputs[0].name], filename)
    else:
        heads = locate_onnx_heads(model, input_hw)
        if heads is None:
            raise ModelError(f"{filename}: MoveNet's four heads were not found in the graph; "
                             f"cannot tell the network from its decode")
        t = heads.tensors
        ends = {"centre": t.centre.name, "keypoint_heatmaps": t.keypoint_heatmaps.name,
                "regression": t.regression.name, "offsets": t.offsets.name}
    return ModelGraph(tuple(ops), input_hw, ends)


def _macs(node, shapes: dict, inits: dict) -> int:
    """Multiply-accumulates of a Conv / Gemm / MatMul node with a constant weight (0 otherwise)."""
    if node.op_type not in ("Conv", "Gemm", "MatMul") or len(node.input) < 2 or node.input[1] not in inits:
        return 0
    out = shapes.get(node.output[0])
    weight = list(inits[node.input[1]].dims)
    if not out or any(d <= 0 for d in out):
        return 0
    if node.op_type == "Conv":  # weight [Cout, Cin/groups, kh, kw]
        return int(np.prod(out)) * int(np.prod(weight[1:]))
    return int(np.prod(out)) * int(weight[0])
