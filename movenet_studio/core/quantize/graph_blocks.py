"""Group a MoveNet graph into blocks: backbone stages, feature-pyramid levels, the four heads,
and the in-graph decode tail.

The grouping is read from the graph, not from tensor names:

* **heads**: the four head tensors are found as everywhere in the project
  (:func:`~..decoding.heads.locate_heads` on TFLite, :func:`~..backends.onnx_heads.locate_onnx_heads`
  on ONNX); a head's block is the ops only that head depends on (its exclusive cone:
  the separable convolution, ReLU and the 1x1 output convolution). A heatmap-only file has
  no four heads: its one output map is the end of the network.
* **decode tail**: every op that no head (or the heatmap output) depends on: the sigmoids,
  argmax, gathers, the 1/distance weighting and the packing of ``[1,1,17,3]`` (single-pose)
  or ``[1,6,56]`` (MultiPose). It always stays float.
* **trunk** (the ops every head depends on), by output stride (model input rows / output
  rows): ops reached from an up-sampling op (an op whose output is larger than its input),
  and ops all of whose consumers are such ops (the lateral 1x1 convolutions), form the
  feature pyramid, one block per stride (``fpn_s4`` ... ``fpn_s32``); the other trunk ops
  are the backbone, one block per stride (``backbone_s2`` ... ``backbone_s32``); ops at
  stride 1 (the in-graph input normalisation) form ``input``.

MACs count multiply-accumulates of convolutions and fully connected ops (per inference,
batch 1); other ops count 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: Block names in graph order (those a graph has).
HEAD_BLOCKS = ("head_centre", "head_keypoint_heatmaps", "head_regression", "head_offsets")
TAIL = "decode_tail"


@dataclass(frozen=True, slots=True)
class GraphOp:
    """One op of a model graph.

    Attributes:
        index: position in the graph's op list (topological order).
        op_type: the format's op type (``CONV_2D``, ``Conv`` ...).
        inputs, outputs: tensor (value) names; constants included in `inputs`.
        activations: the inputs that are computed by other ops or are graph inputs (not constants).
        out_hw: (rows, columns) of the first output when it is a 4-D map, else None.
        in_hw: (rows, columns) of the first activation input when it is a 4-D map, else None.
        macs: multiply-accumulates per inference (convolutions, fully connected; else 0).
        scope: what the quantization library's recipe matches for this op (TFLite: output
            tensor names joined by ``;`` plus a final ``;``; ONNX: the node name).
    """

    index: int
    op_type: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    activations: tuple[str, ...]
    out_hw: tuple[int, int] | None
    in_hw: tuple[int, int] | None
    macs: int
    scope: str


@dataclass(frozen=True, slots=True)
class ModelGraph:
    """A graph as the block grouping sees it.

    Attributes:
        ops: :class:`GraphOp` in topological order.
        input_hw: (rows, columns) of the image input.
        ends: the tensors the network ends in: the four head tensors (role -> name), or
            ``{"heatmaps": name}`` for a heatmap-only file.
    """

    ops: tuple[GraphOp, ...]
    input_hw: tuple[int, int]
    ends: dict[str, str]


@dataclass(frozen=True, slots=True)
class Block:
    """A group of ops kept float or quantized together.

    Attributes:
        name: e.g. ``backbone_s8``, ``fpn_s4``, ``head_offsets``, ``decode_tail``.
        ops: op indices, ascending.
        macs: multiply-accumulates per inference.
        scopes: the library's scope strings of its ops.
    """

    name: str
    ops: tuple[int, ...]
    macs: int
    scopes: tuple[str, ...] = field(repr=False, default=())


def _stride(graph: ModelGraph, hw: tuple[int, int] | None) -> int | None:
    if hw is None or hw[0] <= 0:
        return None
    return max(1, int(round(graph.input_hw[0] / hw[0])))


def group_blocks(graph: ModelGraph) -> tuple[list[Block], Block]:
    """The blocks of `graph` (see the module docstring) and its decode tail.

    Returns:
        (blocks in graph order of their first op, the decode tail block).
    """
    producer = {t: op.index for op in graph.ops for t in op.outputs}
    consumers: dict[int, list[int]] = {op.index: [] for op in graph.ops}
    for op in graph.ops:
        for t in op.activations:
            if t in producer:
                consumers[producer[t]].append(op.index)

    def ancestors(tensor: str) -> set[int]:
        seen: set[int] = set()
        stack = [producer[tensor]] if tensor in producer else []
        while stack:
            i = stack.pop()
            if i in seen:
                continue
            seen.add(i)
            stack.extend(producer[t] for t in graph.ops[i].activations if t in producer)
        return seen

    cones = {role: ancestors(name) for role, name in graph.ends.items()}
    upstream = set().union(*cones.values()) if cones else set()
    owner: dict[int, str] = {}
    if len(cones) > 1:
        for role, cone in cones.items():
            others = set().union(*(c for r, c in cones.items() if r != role))
            for i in cone - others:
                owner[i] = f"head_{role}"
    trunk = [i for i in sorted(upstream) if i not in owner]
    trunk_set = set(trunk)
    upsampled: set[int] = set()
    for i in trunk:
        op = graph.ops[i]
        grows = op.in_hw is not None and op.out_hw is not None and op.out_hw[0] > op.in_hw[0]
        fed = any(producer.get(t) in upsampled for t in op.activations)
        if grows or fed:
            upsampled.add(i)
    lateral = {i for i in trunk if i not in upsampled and consumers[i]
               and all(c in upsampled for c in consumers[i] if c in trunk_set)
               and any(c in upsampled for c in consumers[i])}
    last_stride = 1
    for i in trunk:
        op = graph.ops[i]
        stride = _stride(graph, op.out_hw) or last_stride
        last_stride = stride
        if stride == 1:
            owner[i] = "input"
        elif i in upsampled or i in lateral:
            owner[i] = f"fpn_s{stride}"
        else:
            owner[i] = f"backbone_s{stride}"
    members: dict[str, list[int]] = {}
    tail: list[int] = []
    for op in graph.ops:
        if op.index in owner:
            members.setdefault(owner[op.index], []).append(op.index)
        else:
            tail.append(op.index)

    def block(name: str, ops: list[int]) -> Block:
        return Block(name, tuple(ops), int(sum(graph.ops[i].macs for i in ops)),
                     tuple(graph.ops[i].scope for i in ops))

    blocks = sorted((block(name, ops) for name, ops in members.items()), key=_order)
    return blocks, block(TAIL, tail)


def _order(b: Block) -> tuple:
    """input, backbone by stride, fpn from coarse to fine, then the heads."""
    kind, _, stride = b.name.partition("_s")
    if b.name == "input":
        return (0, 0)
    if kind == "backbone":
        return (1, int(stride))
    if kind == "fpn":
        return (2, -int(stride))
    return (3, HEAD_BLOCKS.index(b.name) if b.name in HEAD_BLOCKS else 9)


def map_hw(shape, input_hw: tuple[int, int]) -> tuple[int, int] | None:
    """(rows, columns) of a 4-D map shape, NHWC or NCHW (the pair whose aspect matches the
    input's and whose rows divide the input's), else None."""
    if shape is None or len(shape) != 4 or any(int(d) <= 0 for d in shape):
        return None
    h, w = input_hw
    candidates = [(int(shape[1]), int(shape[2])), (int(shape[2]), int(shape[3]))]
    for rows, cols in candidates:
        if rows * w == cols * h and h % rows == 0 and math.log2(h // rows).is_integer():
            return rows, cols
    return None


def int8_mac_fraction(blocks: list[Block], kept_float: set[str]) -> float:
    """MACs of the quantized blocks over all MACs (1.0 when nothing is kept float)."""
    total = sum(b.macs for b in blocks)
    if not total:
        return 1.0
    return float(sum(b.macs for b in blocks if b.name not in kept_float) / total)


