"""Make a float MoveNet ``.onnx`` file something ONNX Runtime's ``quantize_static`` can take.

* **float16 weights** (the bundled ONNX files keep them as float16 initializers behind
  ``Cast`` nodes): each ``Cast`` of an initializer is folded into a float32 initializer.
* **shared initializers get their own copies.** tf2onnx shares constants between nodes (one
  zero bias for five ``Conv`` s); ``quantize_static`` then copies a shared bias under a
  name that collides with an existing output, and ONNX Runtime refuses to load the result
  (upstream microsoft/onnxruntime, QDQ quantization of initializers shared by several
  nodes). Every initializer used by more than one node input is given one copy per use.
* **names and shapes**: unnamed nodes are named (the quantizer's ``nodes_to_exclude`` goes
  by node name) and shapes are inferred (``onnx.shape_inference``), as ONNX Runtime's own
  ``quant_pre_process`` recommends.

Graph inputs and outputs (names, dtypes, order) are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ModelError


@dataclass(frozen=True, slots=True)
class NormalisedOnnx:
    """A normalised float32 ONNX model.

    Attributes:
        model: the ``onnx.ModelProto``.
        folded_casts: float16 initializers made float32.
        copied: initializer copies made for shared initializers.
        named: nodes that were given a name.
    """

    model: object
    folded_casts: int
    copied: int
    named: int

    def notes(self) -> list[str]:
        """Human lines saying what was changed, for the report."""
        lines = []
        if self.folded_casts:
            lines.append(f"{self.folded_casts} float16 initializers made float32 (Cast folded)")
        if self.copied:
            lines.append(f"{self.copied} copies of shared initializers made (onnxruntime quantize_static "
                         f"otherwise writes a model it cannot load)")
        if self.named:
            lines.append(f"{self.named} unnamed nodes named")
        lines.append("shapes inferred")
        return lines


def normalise_onnx(data: bytes, filename: str = "model.onnx") -> NormalisedOnnx:
    """Fold float16 weights, copy shared initializers, name nodes, infer shapes.

    Raises:
        ModelError: not a readable ONNX model, or already quantized (QDQ / integer weights).
    """
    import numpy as np
    import onnx
    from onnx import numpy_helper, shape_inference

    try:
        model = onnx.load_from_string(data)
    except Exception as exc:
        raise ModelError(f"{filename}: not a readable ONNX model ({exc})") from None
    graph = model.graph
    if any(n.op_type in ("QuantizeLinear", "DequantizeLinear", "QLinearConv", "ConvInteger") for n in graph.node):
        raise ModelError(f"{filename}: already quantized (QDQ / integer ops); quantize the float model it was made from")
    inits = {t.name: t for t in graph.initializer}
    folded = 0
    keep = []
    for node in graph.node:
        if node.op_type == "Cast" and node.input and node.input[0] in inits:
            to = next((a.i for a in node.attribute if a.name == "to"), None)
            source = inits[node.input[0]]
            if to == onnx.TensorProto.FLOAT and source.data_type == onnx.TensorProto.FLOAT16:
                values = numpy_helper.to_array(source).astype(np.float32)
                graph.initializer.append(numpy_helper.from_array(values, node.output[0]))
                folded += 1
                continue
        keep.append(node)
    del graph.node[:]
    graph.node.extend(keep)
    taken = {v for n in graph.node for v in (*n.input, *n.output)} | {t.name for t in graph.initializer}
    taken |= {i.name for i in graph.input} | {o.name for o in graph.output} | {n.name for n in graph.node}
    inits = {t.name: t for t in graph.initializer}
    uses: dict[str, int] = {}
    copied = 0
    for node in graph.node:
        for k, name in enumerate(node.input):
            if name not in inits:
                continue
            uses[name] = uses.get(name, 0) + 1
            if uses[name] == 1:
                continue
            new = f"{name}__copy{uses[name] - 1}"
            while new in taken:
                new += "_"
            taken.add(new)
            copy = onnx.TensorProto()
            copy.CopyFrom(inits[name])
            copy.name = new
            graph.initializer.append(copy)
            node.input[k] = new
            copied += 1
    used = {v for n in graph.node for v in n.input} | {o.name for o in graph.output}
    kept_inits = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept_inits)
    named = 0
    seen_names: set[str] = set()
    for i, node in enumerate(graph.node):
        if not node.name or node.name in seen_names:
            node.name = f"{node.op_type}_{i}"
            while node.name in taken:
                node.name += "_"
            named += 1
        seen_names.add(node.name)
    del graph.value_info[:]
    try:
        model = shape_inference.infer_shapes(model, strict_mode=False)
    except Exception as exc:
        raise ModelError(f"{filename}: shapes cannot be inferred ({exc})") from None
    if any(v.type.tensor_type.elem_type == onnx.TensorProto.FLOAT16 for v in graph.value_info):
        raise ModelError(f"{filename}: computes in float16 inside the graph; quantize a float32 model")
    return NormalisedOnnx(model, folded, copied, named)
