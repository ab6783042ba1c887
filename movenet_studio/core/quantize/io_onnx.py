"""Give a quantized (QDQ) ONNX MoveNet integer input and outputs (``--io int8|uint8``).

ONNX Runtime's ``quantize_static`` keeps the float model's I/O. This rewrites the graph
with ``onnx.helper``, in QDQ style (ONNX Runtime folds the new pairs with the library's own
``QuantizeLinear`` / ``DequantizeLinear`` when it loads the file):

* **input**: the graph input becomes int8 (scale 1, zero point -128) or uint8 (scale 1,
  zero point 0); the chain of ``Cast`` nodes that turned the pixels into float goes, and a
  ``DequantizeLinear`` gives the float pixels (0..255, channels as the input has them)
  instead. :func:`~..models.graph.read_signature` reads the input's scale and zero point
  from that node, as for any QDQ file.
* **outputs**: each float output is renamed ``NAME/float`` inside the graph and a
  ``QuantizeLinear`` with the scale and zero point of
  :func:`~.io_types.output_quantisation` writes ``NAME`` (int8 / uint8).

Input and output names, order and shapes stay.
"""

from __future__ import annotations

from ..errors import ModelError
from .io_types import Quantisation, input_quantisation, output_quantisation


def set_onnx_io(data: bytes, io: str, ranges: dict[str, tuple[float, float]], bounded: dict[str, bool]) -> bytes:
    """The ONNX model `data` with integer input and outputs.

    Args:
        data: a quantized ONNX model (float I/O).
        io: ``int8`` or ``uint8``.
        ranges: output name -> (min, max) over the calibration frames.
        bounded: output name -> True for 0..1 outputs (see :func:`~.io_types.output_quantisation`).

    Returns:
        The serialised model.

    Raises:
        ModelError: an output has no calibrated range, or the input is not uint8 / float32 pixels.
    """
    import onnx

    model = onnx.load_from_string(data)
    graph = model.graph
    _set_input(graph, input_quantisation(io))
    for output in graph.output:
        if output.name not in ranges:
            raise ModelError(f"output {output.name}: no calibrated range; cannot make it {io}")
        lo, hi = ranges[output.name]
        _set_output(graph, output, output_quantisation(io, lo, hi, bounded.get(output.name, False)))
    return model.SerializeToString()


def _elem(q: Quantisation) -> int:
    import onnx

    return onnx.TensorProto.INT8 if q.dtype == "int8" else onnx.TensorProto.UINT8


def _constants(graph, name: str, q: Quantisation) -> tuple[str, str]:
    """Scale and zero-point initializers for `q`, named after `name`."""
    import numpy as np
    from onnx import numpy_helper

    scale, zero = f"{name}/io_scale", f"{name}/io_zero_point"
    graph.initializer.append(numpy_helper.from_array(np.array(q.scale, dtype=np.float32), scale))
    graph.initializer.append(numpy_helper.from_array(np.array(q.zero_point, dtype=q.dtype), zero))
    return scale, zero


def _set_input(graph, q: Quantisation) -> None:
    import onnx
    from onnx import helper

    value = graph.input[0]
    name = value.name
    elem = value.type.tensor_type.elem_type
    if elem not in (onnx.TensorProto.UINT8, onnx.TensorProto.FLOAT):
        raise ModelError(f"input {name} is {onnx.TensorProto.DataType.Name(elem).lower()}; "
                         f"--io needs a uint8 or float32 pixel input")
    pixels, chain = name, []
    outputs = {o.name for o in graph.output}
    while elem != onnx.TensorProto.FLOAT and pixels not in outputs:  # Casts that only re-type the pixels
        readers = [n for n in graph.node if pixels in n.input]
        if len(readers) != 1 or readers[0].op_type != "Cast":
            break
        chain.append(readers[0])
        pixels = readers[0].output[0]
        elem = next(a.i for a in readers[0].attribute if a.name == "to")
    if elem != onnx.TensorProto.FLOAT:
        raise ModelError(f"input {name}: no float pixels found behind it")
    if pixels == name:  # a float input: its readers get a new float value
        pixels = f"{name}/dequantized"
        for node in graph.node:
            for k, v in enumerate(node.input):
                if v == name:
                    node.input[k] = pixels
    for node in chain:
        graph.node.remove(node)
    scale, zero = _constants(graph, name, q)
    graph.node.insert(0, helper.make_node("DequantizeLinear", [name, scale, zero], [pixels],
                                          name=f"{name}/io_dequantize"))
    value.type.tensor_type.elem_type = _elem(q)


def _set_output(graph, output, q: Quantisation) -> None:
    from onnx import helper

    name = output.name
    inner = f"{name}/float"
    for node in graph.node:
        for k, v in enumerate(node.output):
            if v == name:
                node.output[k] = inner
        for k, v in enumerate(node.input):
            if v == name:
                node.input[k] = inner
    for info in graph.value_info:
        if info.name == name:
            info.name = inner
    scale, zero = _constants(graph, name, q)
    graph.node.append(helper.make_node("QuantizeLinear", [inner, scale, zero], [name], name=f"{name}/io_quantize"))
    output.type.tensor_type.elem_type = _elem(q)
