"""Model catalog: bundled files resolve, user files are sniffed, non-MoveNet files are refused."""

from __future__ import annotations

import pytest

from movenet_studio.core.errors import ModelError
from movenet_studio.core.models.resolve import classify_signature, model_from_file, resolve_model
from movenet_studio.core.models.catalog import bundled_keys, bundled_model
from movenet_studio.core.models.signature import ModelSignature, TensorSignature


@pytest.mark.parametrize("name, key, size, precision", [
    ("lightning", "lightning-float16", 192, "float16"),
    ("thunder", "thunder-float16", 256, "float16"),
    ("lightning-int8", "lightning-int8", 192, "int8"),
    ("thunder-int8", "thunder-int8", 256, "int8"),
    ("multipose", "multipose-float16", 256, "float16"),
])
def test_bundled_names_resolve(name, key, size, precision):
    spec = resolve_model(name)
    assert spec.key == key and spec.input_size == (size, size) and spec.precision == precision
    assert spec.path.is_file() and spec.bundled


def test_every_bundled_tflite_sniffs_as_what_the_catalog_says():
    for key in bundled_keys():
        spec = bundled_model(key)
        sniffed = model_from_file(spec.path)
        assert (sniffed.architecture, sniffed.input_size, sniffed.precision) == \
               (spec.architecture, spec.input_size, spec.precision)


def test_onnx_bundled_and_int8_onnx_refused():
    assert resolve_model("thunder", backend="onnx").path.suffix == ".onnx"
    with pytest.raises(ModelError, match="no bundled ONNX"):
        resolve_model("lightning-int8", backend="onnx")


def test_unknown_name_lists_known_models():
    with pytest.raises(ModelError, match="known models: .*lightning"):
        resolve_model("lightening")


@pytest.mark.parametrize("content", [b"", b"not a flatbuffer at all" * 10, bytes(range(256)) * 8])
def test_garbage_tflite_is_refused_with_a_clear_message(tmp_path, content):
    path = tmp_path / "model.tflite"
    path.write_bytes(content)
    with pytest.raises(ModelError, match="model.tflite"):
        model_from_file(path)


def test_missing_and_wrong_extension(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        resolve_model(tmp_path / "nope.tflite")
    other = tmp_path / "weights.bin"
    other.write_bytes(b"x")
    with pytest.raises(ModelError, match="expected .tflite or .onnx"):
        resolve_model(other)


def test_non_movenet_signature_is_refused():
    classifier = ModelSignature((TensorSignature("in", (1, 224, 224, 3), "float32"),),
                                (TensorSignature("logits", (1, 1000), "float32"),), "float32")
    with pytest.raises(ModelError, match="not a MoveNet model.*float32\\[1,1000\\].*classifier"):
        classify_signature(classifier, "mobilenet.tflite")


def test_dynamic_multipose_signature_is_accepted():
    dynamic = ModelSignature((TensorSignature("input", (1, -1, -1, 3), "int32"),),
                             (TensorSignature("out", (1, 6, 56), "float32"),), "float16")
    assert classify_signature(dynamic, "official.tflite") == ("multipose", (-1, -1), "int32")


def test_non_movenet_onnx_is_refused(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])], "identity",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])],
    )
    path = tmp_path / "identity.onnx"
    onnx.save(helper.make_model(graph), str(path))
    with pytest.raises(ModelError, match="not a MoveNet model"):
        model_from_file(path)
