"""Small ONNX graphs shaped like every MoveNet output kind, built with onnx.helper (tests only).

Each graph runs in ONNX Runtime and computes something simple enough to predict:

* :func:`keypoints_graph`: the mean of each input channel, mapped back to 0..1 from the
  declared input range, repeated for every keypoint: output (y, x, score) = (mean R, mean G,
  mean B) / 255 of the image the app fed, whatever the input dtype, quantisation or layout;
* :func:`maps_graph`: heatmaps or the four heads from a 4 x 4 average pool of the image
  (one cell per 4 input pixels), so a bright block in the image makes a known peak cell.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

_TYPES = {"float32": TensorProto.FLOAT, "uint8": TensorProto.UINT8, "int8": TensorProto.INT8}


def _const(name: str, value) -> "TensorProto":
    return numpy_helper.from_array(np.asarray(value), name)


def _input_to_float_nhwc(nodes, inits, *, dtype: str, layout: str, scale: float, zero_point: int,
                         value_range: tuple[float, float]) -> str:
    """Nodes turning the graph input ``image`` into float pixels 0..255, NHWC; returns the value name."""
    name = "image"
    if dtype in ("int8", "uint8") and scale:
        inits += [_const("in_scale", np.float32(scale)),
                  _const("in_zero", np.array(zero_point, dtype=np.int8 if dtype == "int8" else np.uint8))]
        nodes.append(helper.make_node("DequantizeLinear", [name, "in_scale", "in_zero"], ["pixels_dq"]))
        name = "pixels_dq"
    elif dtype != "float32":
        nodes.append(helper.make_node("Cast", [name], ["pixels_cast"], to=TensorProto.FLOAT))
        name = "pixels_cast"
    if dtype == "float32" and tuple(value_range) != (0.0, 255.0):
        lo, hi = value_range
        inits += [_const("range_lo", np.float32(lo)), _const("range_k", np.float32(255.0 / (hi - lo)))]
        nodes.append(helper.make_node("Sub", [name, "range_lo"], ["pixels_shift"]))
        nodes.append(helper.make_node("Mul", ["pixels_shift", "range_k"], ["pixels_255"]))
        name = "pixels_255"
    if layout == "NCHW":
        nodes.append(helper.make_node("Transpose", [name], ["pixels_nhwc"], perm=[0, 2, 3, 1]))
        name = "pixels_nhwc"
    return name


def _save(path: Path, nodes, inits, inputs, outputs) -> Path:
    graph = helper.make_graph(nodes, "synthetic_movenet", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    save(model, str(path))
    return path


def keypoints_graph(path: Path, *, k: int = 17, size: int = 64, dtype: str = "uint8", layout: str = "NHWC",
                    scale: float = 0.0, zero_point: int = 0, value_range=(0.0, 255.0), flat: bool = False,
                    out_scale: float = 0.0, out_zero_point: int = 0) -> Path:
    """A keypoints-kind graph: every keypoint = (mean R, mean G, mean B) / 255 of the fed image.

    Args:
        k: keypoints (17 or 13). size: square input size.
        dtype, layout, scale, zero_point: the image input (int8 with a scale: quantised).
        value_range: what a float32 input expects pixel 0..255 mapped to.
        flat: output [1, K*3] instead of [1, 1, K, 3].
        out_scale, out_zero_point: quantise the output to int8 with these.
    """
    nodes, inits = [], []
    pixels = _input_to_float_nhwc(nodes, inits, dtype=dtype, layout=layout, scale=scale, zero_point=zero_point,
                                  value_range=value_range)
    inits += [_const("inv255", np.float32(1 / 255)),
              _const("shape", np.array([1, 1, k, 3] if not flat else [1, k * 3], np.int64)),
              _const("expand", np.array([1, 1, k, 3], np.int64))]
    nodes += [helper.make_node("ReduceMean", [pixels], ["mean"], axes=[1, 2], keepdims=1),
              helper.make_node("Mul", ["mean", "inv255"], ["mean01"]),
              helper.make_node("Expand", ["mean01", "expand"], ["per_keypoint"]),
              helper.make_node("Reshape", ["per_keypoint", "shape"], ["keypoints_f"])]
    out, out_type = "keypoints_f", TensorProto.FLOAT
    if out_scale:
        inits += [_const("out_scale", np.float32(out_scale)), _const("out_zero", np.int8(out_zero_point))]
        nodes.append(helper.make_node("QuantizeLinear", ["keypoints_f", "out_scale", "out_zero"], ["keypoints_q"]))
        out, out_type = "keypoints_q", TensorProto.INT8
    shape_in = [1, size, size, 3] if layout == "NHWC" else [1, 3, size, size]
    shape_out = [1, 1, k, 3] if not flat else [1, k * 3]
    return _save(path, nodes, inits, [helper.make_tensor_value_info("image", _TYPES[dtype], shape_in)],
                 [helper.make_tensor_value_info(out, out_type, shape_out)])


def maps_graph(path: Path, *, kind: str = "heatmaps", k: int = 17, size: int = 64, layout: str = "NHWC",
               sigmoid: bool = True, names: tuple[str, str, str, str] = ("hm", "hm_hp", "hps", "hp_offset"),
               gains: tuple[float, float] = (1.0, 1.0)) -> Path:
    """A heatmaps- or heads-kind graph on a uint8 NHWC input.

    Every map channel is the 4 x 4 average of the image's red channel / 255 (a bright block
    makes the peak), centred at 0 for logits (``sigmoid=False``: value - 0.5, times 8).

    Args:
        kind: ``heatmaps`` (one [.., K] map output) or ``heads`` (centre, heatmaps, regression,
            offsets, in the order of `names`).
        layout: of the outputs, ``NHWC`` or ``NCHW``.
        sigmoid: end the centre / heatmap maps with a Sigmoid (probabilities) or not (logits).
        names: output names (centre, heatmaps, regression, offsets).
        gains: multipliers of the regression and offsets maps (for the magnitude rule).
    """
    s = size // 4
    nodes, inits = [], []
    nodes += [helper.make_node("Cast", ["image"], ["pixels"], to=TensorProto.FLOAT),
              helper.make_node("Transpose", ["pixels"], ["nchw"], perm=[0, 3, 1, 2]),
              helper.make_node("AveragePool", ["nchw"], ["pooled"], kernel_shape=[4, 4], strides=[4, 4])]

    def head(name: str, channels: int, gain: float, activation: bool) -> helper.ValueInfoProto:
        weight = np.zeros((channels, 3, 1, 1), np.float32)
        weight[:, 0] = gain / 255 * (8 if activation and not sigmoid else 1)
        inits.append(_const(f"{name}_w", weight))
        conv, value = f"{name}_conv", f"{name}_conv"
        nodes.append(helper.make_node("Conv", ["pooled", f"{name}_w"], [conv]))
        if activation:
            if sigmoid:
                nodes.append(helper.make_node("Sigmoid", [conv], [f"{name}_act"]))
            else:
                inits.append(_const(f"{name}_half", np.float32(4.0)))
                nodes.append(helper.make_node("Sub", [conv, f"{name}_half"], [f"{name}_act"]))
            value = f"{name}_act"
        if layout == "NHWC":
            nodes.append(helper.make_node("Transpose", [value], [name], perm=[0, 2, 3, 1]))
            shape = [1, s, s, channels]
        else:
            nodes.append(helper.make_node("Identity", [value], [name]))
            shape = [1, channels, s, s]
        return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)

    if kind == "heatmaps":
        outputs = [head("heatmaps", k, 1.0, True)]
    else:
        outputs = [head(names[0], 1, 1.0, True), head(names[1], k, 1.0, True),
                   head(names[2], 2 * k, gains[0], False), head(names[3], 2 * k, gains[1], False)]
    return _save(path, nodes, inits, [helper.make_tensor_value_info("image", TensorProto.UINT8, [1, size, size, 3])],
                 outputs)
