"""Where MoveNet's heads are in an ONNX graph, and a copy of the graph that outputs them.

The bundled ``.onnx`` files are tf2onnx conversions of the TFLite graphs:
the graph runs NCHW internally (ONNX ``Conv`` is NCHW) with ``Transpose`` nodes around it,
and node outputs keep the TFLite tensor names (``StatefulPartitionedCall/kpt_offset_0/
conv2d_7/BiasAdd/BiasAdd;StatefulPartitionedCall/kpt_regress_0/...``, sometimes with a
``__452:0`` suffix after a transpose). ONNX Runtime can only return graph outputs, so with
``heads=True`` :class:`~.onnx.OnnxBackend` builds, in memory, a copy of the model whose
graph also outputs the head tensors (:func:`add_head_outputs`) and fetches them with every run.

The heads are found by the same rules as on TFLite (:func:`~movenet_studio.core.decoding.heads.
locate_heads`: leading-op-path scope + shape ``[1, H/4, W/4, C]``), applied to a TFLite-style
tensor list built from the ONNX graph (:func:`locate_onnx_heads`):

* shapes come from ``onnx.shape_inference``; a 4-D value counts in its logical NHWC shape,
  so an NCHW ``[1, C, S, S]`` convolution output is presented as ``[1, S, S, C]`` and
  transposed in numpy when read;
* outputs of pure layout ops (``Transpose``, ``Reshape``, ``Identity``, ``Squeeze``,
  ``Unsqueeze``) are left out when they only re-lay-out another head tensor or a
  ``Sigmoid`` output: tf2onnx's transpose optimiser pushes transposes through the sigmoid,
  so e.g. the Lightning file's NHWC ``.../center_0/conv2d_4/BiasAdd/BiasAdd;...__474:0``
  holds the centre *probabilities*, not the logits its name says;
* QDQ graphs (ONNX Runtime static quantisation) hold three same-named copies of each head:
  the float ``Conv`` output, its ``QuantizeLinear`` (integer) and ``DequantizeLinear`` (float)
  copies. The dequantised copy is what the rest of the graph computes on, so it is the one
  read (and the integer copy is never listed);
* ``Sigmoid`` nodes are given as ``LOGISTIC`` ops, so the graph's own sigmoid of the centre
  and heatmap logits is found by topology and read, exactly as the TFLite backend does (see
  :mod:`movenet_studio.core.decoding.heads`, "Sigmoids"); without one the sigmoid is applied in numpy.

Measured on the bundled float16 files (tests/test_onnx.py, same model input on both runtimes):
centre and heatmap probabilities within 5e-6 of TFLite's, regression and offsets within 5e-4
cells, model outputs within 2.4e-7 (normalised); both runtimes compute float32 from the same
float16-stored weights, so only summation order differs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..decoding.heads import HEAD_CHANNELS, HEAD_STRIDE, HeadTensors, head_scope, locate_heads

#: Ops that only move values around: their output is the same tensor in another layout.
_LAYOUT_OPS = frozenset({"Transpose", "Reshape", "Identity", "Squeeze", "Unsqueeze"})
NHWC, NCHW = "NHWC", "NCHW"


@dataclass(frozen=True, slots=True)
class OnnxHeads:
    """Where the heads are in an ONNX graph (result of :func:`locate_onnx_heads`).

    Attributes:
        tensors: the heads as :func:`~movenet_studio.core.decoding.heads.locate_heads` found them;
            each :attr:`~movenet_studio.core.decoding.heads.TensorRef.index` indexes :attr:`values`
            and each shape is the logical NHWC shape ``[1, S, S, C]``.
        values: ONNX value names, by index.
        layouts: ``"NHWC"`` or ``"NCHW"`` per value: how the graph stores it.
    """

    tensors: HeadTensors
    values: tuple[str, ...]
    layouts: tuple[str, ...]

    def output_names(self) -> tuple[str, ...]:
        """The ONNX values to add as graph outputs (each head and sigmoid once, in refs order)."""
        names: list[str] = []
        for ref in self.tensors.refs():
            if self.values[ref.index] not in names:
                names.append(self.values[ref.index])
        return tuple(names)


def _static_shape(value_info) -> tuple[int, ...] | None:
    tensor = value_info.type.tensor_type
    if not tensor.HasField("shape"):
        return None
    dims = []
    for d in tensor.shape.dim:
        if not d.HasField("dim_value"):
            return None
        dims.append(int(d.dim_value))
    return tuple(dims)


def _layout(shape: tuple[int, ...], rows: int, cols: int, channels: int) -> str | None:
    if len(shape) != 4 or shape[0] != 1:
        return None
    if shape[1:] == (rows, cols, channels):
        return NHWC
    if shape[1:] == (channels, rows, cols):
        return NCHW
    return None


def _logical(shape: tuple[int, ...], layout: str) -> tuple[int, ...]:
    return shape if layout == NHWC else (shape[0], shape[2], shape[3], shape[1])


def locate_onnx_heads(model, input_size: tuple[int, int]) -> OnnxHeads | None:
    """Find MoveNet's four heads (and the graph's sigmoids of centre and heatmaps) in an ONNX graph.

    See the module docstring for the rules; the decision itself is
    :func:`~movenet_studio.core.decoding.heads.locate_heads`, the same as on TFLite.

    Args:
        model: an ``onnx.ModelProto`` (not modified).
        input_size: (height, width) of the model input in pixels (static).

    Returns:
        :class:`OnnxHeads`, or None when a head is missing or ambiguous, or the shapes
        cannot be inferred (e.g. a dynamic input): the model still runs, without heads.
    """
    from onnx import helper, shape_inference

    try:
        inferred = shape_inference.infer_shapes(model)
    except Exception:
        return None
    graph = inferred.graph
    infos = {vi.name: vi for vi in (*graph.value_info, *graph.output)}
    producer = {out: node for node in graph.node for out in node.output}
    h, w = int(input_size[0]), int(input_size[1])
    if h <= 0 or w <= 0 or h % HEAD_STRIDE or w % HEAD_STRIDE:
        return None
    rows, cols = h // HEAD_STRIDE, w // HEAD_STRIDE

    def root(name: str) -> str:
        """Follow layout-only ops back to the value that was computed."""
        seen = 0
        while name in producer and producer[name].op_type in _LAYOUT_OPS and producer[name].input and seen < 64:
            name, seen = producer[name].input[0], seen + 1
        return name

    values: list[str] = []
    layouts: list[str] = []
    details: list[dict] = []
    index: dict[str, int] = {}

    def add(name: str, shape: tuple[int, ...], layout: str) -> None:
        tensor = infos[name].type.tensor_type
        index[name] = len(values)
        details.append({"index": len(values), "name": name, "shape": np.array(_logical(shape, layout)),
                        "dtype": np.dtype(helper.tensor_dtype_to_np_dtype(tensor.elem_type)), "quantization": (0.0, 0)})
        values.append(name)
        layouts.append(layout)

    for node in graph.node:  # topological order: a sigmoid's input is seen before it
        for out in node.output:
            if out not in infos or (shape := _static_shape(infos[out])) is None:
                continue
            if node.op_type == "QuantizeLinear":
                continue  # QDQ graphs: the integer copy of a tensor; its DequantizeLinear is read instead
            if node.op_type == "DequantizeLinear" and node.input:
                quantise = producer.get(node.input[0])
                source = quantise.input[0] if quantise is not None and quantise.op_type == "QuantizeLinear" else ""
                if source in index:  # the dequantised copy is what the graph computes on: read that one
                    i = index[source]
                    values[i] = out
                    details[i]["name"] = out
                    index[out] = i
                    continue
            if node.op_type == "Sigmoid":
                source = node.input[0] if node.input else ""
                if source in index:
                    add(out, shape, layouts[index[source]])
                continue
            head = head_scope(out)
            if head is None:
                continue
            layout = _layout(shape, rows, cols, HEAD_CHANNELS[head])
            if layout is None:
                continue
            if node.op_type in _LAYOUT_OPS:
                source = root(out)
                if source in index or (source in producer and producer[source].op_type == "Sigmoid"):
                    continue  # the same values as a tensor already listed, or post-sigmoid values
            add(out, shape, layout)
    ops = []
    for node in graph.node:
        if node.op_type == "Sigmoid" and node.input and node.input[0] in index and node.output[0] in index:
            ops.append({"op_name": "LOGISTIC", "inputs": [index[node.input[0]]], "outputs": [index[node.output[0]]]})
    tensors = locate_heads(details, (h, w), ops)
    if tensors is None:
        return None
    return OnnxHeads(tensors, tuple(values), tuple(layouts))


def add_head_outputs(model, names: tuple[str, ...]) -> bytes:
    """Serialise a copy of `model` whose graph also outputs the values `names`.

    Args:
        model: an ``onnx.ModelProto`` (not modified).
        names: value names inside the graph (e.g. :meth:`OnnxHeads.output_names`).

    Returns:
        The new model as bytes (for ``InferenceSession``); nothing is written to disk.
        Existing outputs keep their order; the new ones follow in the order of `names`.

    Raises:
        ValueError: a name has no inferable type.
    """
    import onnx
    from onnx import shape_inference

    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    inferred = {vi.name: vi for vi in shape_inference.infer_shapes(model).graph.value_info}
    existing = {o.name for o in copy.graph.output}
    for name in names:
        if name in existing:
            continue
        if name not in inferred:
            raise ValueError(f"no type information for ONNX value {name!r}")
        copy.graph.output.append(inferred[name])
    return copy.SerializeToString()


def static_input_size(model) -> tuple[int, int] | None:
    """(height, width) of the first non-initializer NHWC graph input, when static."""
    initializers = {init.name for init in model.graph.initializer}
    for value in model.graph.input:
        if value.name in initializers:
            continue
        shape = _static_shape(value)
        if shape and len(shape) == 4 and shape[3] == 3:
            return shape[1], shape[2]
        return None
    return None
