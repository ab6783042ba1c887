"""Pose classifiers built in the tests with onnx.helper (known weights), and the shared real one.

No fixtures and no side effects at import.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: The test classifier's classes: "wide" when the keypoints' first coordinates exceed their
#: second ones on average (x > y in (x, y, score) rows), else "tall".
ORDER_LABELS = ("wide", "tall")


def shared_classifier(fmt: str) -> tuple[Path, Path]:
    """(classifier file, labels file) of ../shared/models/classifier; skips when absent (fails
    under MOVENET_STUDIO_REQUIRE_MEDIA=1, see tests/media.py)."""
    from media import shared_path

    return shared_path(f"models/classifier/squat_classifier.{fmt}"), shared_path("models/classifier/labels.txt")


def order_weights(scale: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Weights [51, 2] and bias [2] of the order classifier: logit 0 = scale * (sum of slot 0 -
    sum of slot 1 of each keypoint), logit 1 = its negative; scores (slot 2) are ignored."""
    weights = np.zeros((51, 2), np.float32)
    weights[0::3, 0], weights[1::3, 0] = scale, -scale
    weights[:, 1] = -weights[:, 0]
    return weights, np.zeros(2, np.float32)


def write_onnx_classifier(path: Path, *, softmax: bool = True, input_shape=(1, 51), input_type: str = "float",
                          classes: int = 2, inputs: int = 1) -> Path:
    """Write a small ONNX graph: MatMul + Add (+ Softmax) with the :func:`order_weights`.

    Args:
        path: file to write.
        softmax: end with a Softmax (probabilities) or return the logits.
        input_shape: declared input shape (a wrong one makes a file to refuse).
        input_type: ``float`` or another ONNX element type name (``double``, ``int32``...).
        classes: output classes (weights beyond 2 are zero).
        inputs: number of graph inputs (extra inputs are unused).
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights, bias = order_weights()
    if classes != 2:
        weights = np.pad(weights, ((0, 0), (0, max(0, classes - 2))))[:, :classes]
        bias = np.zeros(classes, np.float32)
    elem = getattr(TensorProto, input_type.upper())
    graph_inputs = [helper.make_tensor_value_info("keypoints", elem, list(input_shape))]
    graph_inputs += [helper.make_tensor_value_info(f"extra_{i}", TensorProto.FLOAT, [1, 1]) for i in range(inputs - 1)]
    nodes = []
    source = "keypoints"
    if input_type != "float":
        nodes.append(helper.make_node("Cast", ["keypoints"], ["as_float"], to=TensorProto.FLOAT))
        source = "as_float"
    width = int(np.prod(input_shape[1:])) if len(input_shape) > 1 else 51
    initializers = []
    if len(input_shape) != 2:  # e.g. [1, 17, 3]: flatten first
        initializers.append(numpy_helper.from_array(np.array([1, -1], np.int64), "flat_shape"))
        nodes.append(helper.make_node("Reshape", [source, "flat_shape"], ["flat"]))
        source = "flat"
    if width != 51:
        weights = np.resize(weights, (width, weights.shape[1])).astype(np.float32)
    nodes.append(helper.make_node("MatMul", [source, "weights"], ["product"]))
    nodes.append(helper.make_node("Add", ["product", "bias"], ["logits" if softmax else "scores"]))
    if softmax:
        nodes.append(helper.make_node("Softmax", ["logits"], ["scores"], axis=-1))
    graph = helper.make_graph(
        nodes, "order_classifier", graph_inputs,
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, classes])],
        [numpy_helper.from_array(weights, "weights"), numpy_helper.from_array(bias, "bias"), *initializers])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def write_labels(path: Path, labels=ORDER_LABELS, trailing_newline: bool = True) -> Path:
    """Write a labels file, one class per line."""
    path.write_text("\n".join(labels) + ("\n" if trailing_newline else ""), encoding="utf-8")
    return path


def wide_pose() -> np.ndarray:
    """A pose [17, 3] whose x coordinates all exceed its y coordinates (x - y = 100 px)."""
    kp = np.zeros((17, 3), np.float32)
    kp[:, 1] = np.linspace(50, 250, 17)
    kp[:, 0] = kp[:, 1] + 100
    kp[:, 2] = 0.9
    return kp
