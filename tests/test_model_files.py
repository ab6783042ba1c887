"""Model-file inspection and the per-kind input/output handling, on small synthetic ONNX graphs.

The graphs (tests/synthetic_models.py) cover every output kind and layout, so the detection
rules, input quantisation, NCHW transposes, output dequantisation and the decodes are tested
without the zoo files.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from movenet_studio.core.backends import create_backend  # noqa: E402
from movenet_studio.core.runtimes.tensors import prepare_input  # noqa: E402
from movenet_studio.core.errors import ModelError  # noqa: E402
from movenet_studio.core.models.model_io import (InputSpec, inspect_signature, npu_only_reason, output_decoder,  # noqa: E402
                                                 parse_range)
from movenet_studio.core.models.resolve import model_from_file, sniff_signature  # noqa: E402
from movenet_studio.core.models.signature import ModelSignature, TensorSignature  # noqa: E402
from movenet_studio.core.decoding.output_decode import peak_decode  # noqa: E402

from synthetic_models import keypoints_graph, maps_graph  # noqa: E402


def _load(path, **kw):
    spec = model_from_file(path, probe=False)
    return spec, create_backend(spec, threads=1, **kw)


def _decoded(spec, backend, image):
    """The pipeline's decoder on one invoke's outputs."""
    return output_decoder(spec).decode(backend.invoke(image))


def _colour_image(size: int, rgb=(200, 100, 50)) -> np.ndarray:
    return np.broadcast_to(np.array(rgb, np.uint8), (size, size, 3)).copy()


def test_int8_input_is_pixel_minus_128_and_general_scales_round_and_clip():
    image = np.array([[[0, 128, 255]]], np.uint8)
    npu = InputSpec("x", "int8", "NHWC", (1, 1), 1.0, -128)
    assert prepare_input(image, npu).tolist() == [[[[-128, 0, 127]]]]
    half = InputSpec("x", "int8", "NHWC", (1, 1), 2.0, 10)
    assert prepare_input(image, half).tolist() == [[[[10, 74, 127]]]]  # round(255 / 2) + 10 = 138 -> 127
    nchw = InputSpec("x", "float32", "NCHW", (1, 1), value_range=(-1.0, 1.0))
    assert np.allclose(prepare_input(image, nchw)[0, :, 0, 0], [-1.0, 128 / 127.5 - 1, 1.0], atol=1e-6)


@pytest.mark.parametrize("dtype,layout,scale,zero_point,value_range", [
    ("uint8", "NHWC", 0.0, 0, (0, 255)),
    ("int8", "NHWC", 1.0, -128, (0, 255)),
    ("float32", "NCHW", 0.0, 0, (0, 255)),
    ("float32", "NCHW", 0.0, 0, (-1.0, 1.0)),
    ("float32", "NHWC", 0.0, 0, (0.0, 1.0)),
])
def test_keypoints_kind_feeds_the_input_as_declared(tmp_path, dtype, layout, scale, zero_point, value_range):
    path = keypoints_graph(tmp_path / "kp.onnx", dtype=dtype, layout=layout, scale=scale, zero_point=zero_point,
                           value_range=value_range)
    spec = model_from_file(path, probe=False)
    assert (spec.io.kind, spec.io.input.layout, spec.io.input.dtype) == ("keypoints", layout, dtype)
    if dtype == "float32":
        spec = replace(spec, io=spec.io.with_input_range(value_range))
    backend = create_backend(spec, threads=1)
    out = _decoded(spec, backend, _colour_image(64)).raw
    assert out.shape == (1, 1, 17, 3)
    # Each keypoint is the fed image's channel means / 255: right only if quantisation,
    # range and the NCHW transpose (not a reshape) were applied as declared.
    assert np.allclose(out[0, 0], [200 / 255, 100 / 255, 50 / 255], atol=1e-5)


def test_int8_output_is_dequantised_and_flat_keypoints_reshaped(tmp_path):
    path = keypoints_graph(tmp_path / "io.onnx", k=13, dtype="int8", scale=1.0, zero_point=-128, flat=True,
                           out_scale=1 / 250, out_zero_point=-128)
    spec, backend = _load(path)
    assert spec.io.outputs[0].layout == "flat" and spec.io.outputs[0].scale == pytest.approx(1 / 250)
    assert spec.num_keypoints == 13 and spec.io.keypoint_set.key == "st13"
    out = _decoded(spec, backend, _colour_image(64)).raw
    assert out.shape == (1, 1, 13, 3) and out.dtype == np.float32
    assert np.allclose(out[0, 0, 0], [200 / 255, 100 / 255, 50 / 255], atol=1 / 250)


@pytest.mark.parametrize("layout", ["NHWC", "NCHW"])
@pytest.mark.parametrize("sigmoid", [True, False])
@pytest.mark.parametrize("k", [17, 13])
def test_heatmaps_kind_peak_cell_decode(tmp_path, layout, sigmoid, k):
    path = maps_graph(tmp_path / "hm.onnx", kind="heatmaps", k=k, layout=layout, sigmoid=sigmoid)
    spec, backend = _load(path, heads=True)
    io = spec.io
    assert (io.kind, io.map_layout, io.num_keypoints) == ("heatmaps", layout, k)
    assert io.outputs[0].activation == ("probabilities" if sigmoid else "logits")
    image = np.zeros((64, 64, 3), np.uint8)
    image[40:44, 20:24, 0] = 255  # cell (10, 5) of 16 x 16
    decoded = _decoded(spec, backend, image)
    out = decoded.raw
    assert out.shape == (1, 1, k, 3)
    assert np.allclose(out[0, 0, :, :2], [10.5 / 16, 5.5 / 16])
    # Score = the peak probability: sigmoid(1) for the probability graph, sigmoid(8 - 4) for logits.
    assert np.allclose(out[0, 0, :, 2], 1 / (1 + np.exp(-1.0)) if sigmoid else 1 / (1 + np.exp(-4.0)), atol=1e-5)
    heads = decoded.heads
    assert heads is not None and not heads.complete and heads.keypoint_heatmaps.shape == (16, 16, k)
    assert backend.heads() is None  # the file's own maps: the decoder's, not the backend's
    assert heads.keypoint_heatmaps.max() <= 1.0


def test_peak_decode_takes_the_first_maximum_at_the_cell_centre():
    maps = np.zeros((4, 4, 2), np.float32)
    maps[1, 2, 0] = maps[3, 3, 0] = 0.9
    maps[0, 0, 1] = 0.1
    assert np.allclose(peak_decode(maps), [[1.5 / 4, 2.5 / 4, 0.9], [0.5 / 4, 0.5 / 4, 0.1]])


@pytest.mark.parametrize("layout", ["NHWC", "NCHW"])
def test_heads_kind_roles_by_name(tmp_path, layout):
    path = maps_graph(tmp_path / "heads.onnx", kind="heads", layout=layout, sigmoid=False)
    spec, backend = _load(path, heads=True)
    io = spec.io
    assert io.kind == "heads" and io.role_rule == "names" and io.map_layout == layout
    assert [o.role for o in io.outputs] == ["centre", "keypoint_heatmaps", "regression", "offsets"]
    assert [o.activation for o in io.outputs[:2]] == ["logits", "logits"]
    image = np.zeros((64, 64, 3), np.uint8)
    image[40:44, 20:24, 0] = 255
    decoded = _decoded(spec, backend, image)
    out, heads = decoded.raw, decoded.heads
    assert out.shape == (1, 1, 17, 3) and heads.complete and decoded.steps is not None and heads.regression.shape == (16, 16, 34)
    assert 0.0 <= heads.centre.min() and heads.centre.max() <= 1.0  # the sigmoid was applied to the logits


def test_heads_kind_roles_by_magnitude_when_names_do_not_say(tmp_path):
    path = maps_graph(tmp_path / "anon.onnx", kind="heads", names=("a", "b", "c", "d"), gains=(0.5, 20.0))
    spec, backend = _load(path, heads=True)
    assert spec.io.role_rule == "magnitude"
    image = np.zeros((64, 64, 3), np.uint8)
    image[8:60, 8:60, 0] = 200
    decoder = output_decoder(spec)
    decoder.decode(backend.invoke(image))
    # "d" has 40x the values of "c": it is the regression (reaches across cells), "c" the offsets.
    assert decoder.roles == ("centre", "keypoint_heatmaps", "offsets", "regression")


def test_refusals_say_what_the_file_looks_like(tmp_path):
    def sig(*outputs, inputs=(("in", (1, 192, 192, 3), "uint8"),), custom=()):
        return ModelSignature(tuple(TensorSignature(*t) for t in inputs), tuple(TensorSignature(*t) for t in outputs),
                              "int8", (), custom)

    with pytest.raises(ModelError, match=r"outputs float32\[1,48,48,9\]: a heatmap-like output with 9 channels; "
                                         r"MoveNet has 17 or 13 keypoints"):
        inspect_signature(sig(("hm", (1, 48, 48, 9), "float32")), "nine.tflite")
    with pytest.raises(ModelError, match="1 channels; MoveNet takes an RGB image"):
        inspect_signature(sig(("k", (1, 1, 17, 3), "float32"), inputs=(("in", (1, 192, 192, 1), "uint8"),)), "g.tflite")
    with pytest.raises(ModelError, match="compiled by Arm Vela for an Ethos-U NPU.*open the .tflite that went into Vela"):
        inspect_signature(sig(("k", (1, 1, 17, 3), "int8"), custom=(("ethos-u", 3),)), "vela.tflite")
    other = sig(("k", (1, 1, 17, 3), "int8"), custom=(("MyOp", 2),))
    assert "MyOp (x2)" in npu_only_reason(other, "x.tflite")


def test_onnx_int8_io_quantisation_is_read_from_the_graph(tmp_path):
    path = keypoints_graph(tmp_path / "q.onnx", dtype="int8", scale=1.0, zero_point=-128, out_scale=0.004,
                           out_zero_point=-128)
    signature = sniff_signature(path)
    assert (signature.inputs[0].scale, signature.inputs[0].zero_point) == (1.0, -128)
    assert signature.outputs[0].scale == pytest.approx(0.004) and signature.outputs[0].zero_point == -128
    assert dict(signature.op_counts)["QuantizeLinear"] == 1 and signature.custom_ops == ()


def test_parse_range():
    assert parse_range("-1..1") == (-1.0, 1.0) and parse_range("0..1") == (0.0, 1.0)
    assert parse_range("-0.5..0.5") == (-0.5, 0.5)
    with pytest.raises(ValueError):
        parse_range("1..0")


def test_st13_annotations_and_mean_oks():
    from movenet_studio.core.evaluation.keypoint_sets import dataset_for, mean_oks
    from movenet_studio.core.decoding.keypoint_sets import COCO17, ST13, coco_face_to_head

    face = np.zeros((17, 3))
    face[0] = (10, 20, 2)
    face[1] = (14, 18, 1)  # weight 1: the head point leans to the nose (weight 2)
    assert np.allclose(coco_face_to_head(face), [(2 * 10 + 14) / 3, (2 * 20 + 18) / 3, 2])
    dataset = {"images": [], "categories": [{"id": 1, "keypoints": list(COCO17.names)}],
               "annotations": [{"id": 1, "category_id": 1, "keypoints": face.reshape(-1).tolist(), "num_keypoints": 2}]}
    mapped = dataset_for(dataset, ST13)
    assert mapped["categories"][0]["keypoints"] == list(ST13.names) and len(mapped["annotations"][0]["keypoints"]) == 39
    assert mapped["annotations"][0]["num_keypoints"] == 1 and dataset["annotations"][0]["num_keypoints"] == 2
    assert mean_oks(np.array([[1.0, np.nan, 0.5], [np.nan, np.nan, np.nan], [0.2, 0.4, np.nan]])) == pytest.approx(0.525)
    assert mean_oks(np.zeros((0, 13))) is None


def test_coco_slot_names_use_the_sets_own_names():
    from movenet_studio.core.decoding.keypoint_sets import COCO17, ST13, coco_slot_names

    assert coco_slot_names(COCO17) == COCO17.names
    st = coco_slot_names(ST13)
    assert len(st) == 17 and st[0] == "head" and st[1:5] == COCO17.names[1:5] and st[5:] == ST13.names[1:]
