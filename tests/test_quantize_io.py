"""quantize --io int8|uint8: integer input and outputs on the quantized file, for TFLite (ai-edge-quantizer's
output rewritten) and ONNX (QDQ), including the raw-heads ONNX port. The file opens as the zoo's int8-I/O
files do, LiteRT / ONNX Runtime load it alone, and its outputs are within one output quantisation step of
the float-I/O model made from the same calibration.

Lean: four frames of pose_1.mp4 (three calibrate, one held out).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from movenet_studio.core.models.resolve import model_from_file

from media import media_path, shared_path
from schemas import validate

pytest.importorskip("ai_edge_quantizer")

from movenet_studio.core.quantize.io_types import output_quantisation  # noqa: E402
from movenet_studio.core.quantize.job import QuantizeRequest, run_quantize  # noqa: E402
from movenet_studio.core.quantize.recipe import read_recipe, request_kwargs  # noqa: E402

HEADS = "models/zoo/movenet_singlepose_lightning_heads_nchw_f32in.onnx"


def _quantize(tmp, model: str, io: str, suffix: str, backend: str = "tflite"):
    out = tmp / f"{io}{suffix}"
    request = QuantizeRequest(model=model, backend=backend, calibration=(str(media_path("pose_1.mp4")),), out=out,
                              frames=4, keep_float="none", io=io)
    return request, run_quantize(request)


@pytest.fixture(scope="module")
def tflite(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("io_tflite")
    return {io: _quantize(tmp, "lightning", io, ".tflite") for io in ("float", "int8")}


def _onnx_files(tmp, relative: str, io: str) -> tuple:
    """(float-I/O file, `io` file) of a zoo ONNX file, quantized by the driver itself (no measurement):
    calibrated on three pipeline model inputs, fed as the file's input wants them."""
    from movenet_studio.core.quantize.io_types import bounded_outputs
    from movenet_studio.core.quantize.onnx_driver import open_onnx

    path = shared_path(relative)
    io_spec = model_from_file(path).io
    driver = open_onnx(path.read_bytes(), path.name, "int8", False)
    try:
        driver.calibrate([_feed(np.float32, io_spec.input.layout, image) for image in _images()])
        data = driver.quantize()
        files = (tmp / "float.onnx", tmp / f"{io}.onnx")
        files[0].write_bytes(data)
        files[1].write_bytes(driver.set_io(data, io, bounded_outputs(io_spec)))
    finally:
        driver.close()
    return files


def _images(n: int = 3) -> list[np.ndarray]:
    """Model inputs the pipeline cuts from pose_1.mp4 (uint8 [192,192,3])."""
    from movenet_studio.core.pipeline_config import PipelineConfig
    from movenet_studio.core.quantize.frames import collect_inputs

    return [i.image for i in collect_inputs([str(media_path("pose_1.mp4"))], PipelineConfig(model="lightning"), n)]


def _feed(dtype, layout: str, image: np.ndarray) -> np.ndarray:
    x = image.transpose(2, 0, 1) if layout == "NCHW" else image
    if dtype == np.int8:
        return (x.astype(np.int16) - 128).astype(np.int8)[None]
    return x.astype(dtype)[None]


def _run_tflite(path, image) -> list[tuple[np.ndarray, float]]:
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(path))
    it.allocate_tensors()
    d = it.get_input_details()[0]
    it.set_tensor(d["index"], _feed(d["dtype"], "NHWC", image))
    it.invoke()
    out = []
    for o in it.get_output_details():
        scale, zero = o["quantization"]
        y = it.get_tensor(o["index"]).astype(np.float64)
        out.append(((y - zero) * scale if scale else y, scale))
    return out


def _run_onnx(path, image) -> list[tuple[np.ndarray, float]]:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    spec = model_from_file(path).io
    i = session.get_inputs()[0]
    dtype = {"tensor(int8)": np.int8, "tensor(uint8)": np.uint8}.get(i.type, np.float32)
    raw = session.run(None, {i.name: _feed(dtype, spec.input.layout, image)})
    out = []
    for o in sorted(spec.outputs, key=lambda o: o.index):
        value = raw[o.index]
        out.append((((value.astype(np.float64) - o.zero_point) * o.scale) if o.scale else value.astype(np.float64),
                    o.scale))
    return out


def test_output_quantisation_covers_0_1_for_keypoints_and_the_calibrated_range_for_heads():
    keypoints = output_quantisation("int8", 0.01, 0.97, bounded=True)
    assert (keypoints.zero_point, keypoints.scale) == (-128, pytest.approx(1 / 255))
    assert output_quantisation("uint8", 0.0, 1.0217, bounded=True).zero_point == 0
    assert output_quantisation("int8", 0.0, 1.0217, bounded=True).scale == pytest.approx(0.00400667, rel=1e-4)
    logits = output_quantisation("int8", -40.0, 8.0, bounded=False)
    assert logits.scale == pytest.approx(48 / 255)
    assert -128 <= logits.zero_point <= 127 and round(-40.0 / logits.scale) + logits.zero_point == -128


def test_tflite_int8_io_opens_as_the_zoo_int8_io_file_and_matches_float_io(tflite):
    request, result = tflite["int8"]
    spec = model_from_file(request.out)
    assert spec.precision == "int8" and spec.output_kind == "keypoints"
    assert (spec.io.input.dtype, spec.io.input.scale, spec.io.input.zero_point) == ("int8", 1.0, -128)
    out = spec.io.outputs[0]
    assert out.dtype == "int8" and out.zero_point == -128 and 1 / 255 <= out.scale < 1.1 / 255
    assert result.report["io"]["type"] == "int8" and result.report["io"]["outputs"][0]["zero_point"] == -128
    validate(result.report, "quantize-report")
    assert "I/O (int8)" in result.text
    float_path = tflite["float"][0].out
    for image in _images():
        (a, _), = _run_tflite(float_path, image)
        (b, scale), = _run_tflite(request.out, image)
        assert np.abs(a - b).max() <= 1.01 * scale  # the output's rounding, nothing else


def test_tflite_int8_io_recipe_round_trip_gives_the_same_file(tflite, tmp_path):
    request, _ = tflite["int8"]
    recipe = read_recipe(request.recipe_path)
    assert recipe["io"] == "int8"
    validate(recipe, "quantize-recipe")
    again = QuantizeRequest(out=tmp_path / "again.tflite", **request_kwargs(recipe))
    run_quantize(again)
    assert again.out.read_bytes() == request.out.read_bytes()


def test_raw_heads_onnx_int8_io_keeps_each_head_within_one_step(tmp_path):
    float_path, int8_path = _onnx_files(tmp_path, HEADS, "int8")
    spec = model_from_file(int8_path)
    assert spec.io.kind == "heads" and spec.io.input.dtype == "int8" and spec.io.input.zero_point == -128
    assert {o.name: o.dtype for o in spec.io.outputs} == dict.fromkeys(["hm", "hm_hp", "hps", "hp_offset"], "int8")
    for image in _images(2):
        for (a, _), (b, scale) in zip(_run_onnx(float_path, image), _run_onnx(int8_path, image)):
            # ONNX Runtime optimises the graph with the new QuantizeLinear differently: a few cells of the
            # offset head (6 and 12 of 78336 on these frames) move by more than one step
            assert np.mean(np.abs(a - b) > 1.01 * scale) <= 1e-3
            assert np.median(np.abs(a - b)) <= 0.01 * scale


def test_nchw_float_input_onnx_uint8_io_matches_and_runs_in_infer_and_layers(tmp_path):
    float_path, path = _onnx_files(tmp_path, "models/zoo/movenet_singlepose_lightning_float32_nchw_f32in.onnx", "uint8")
    spec = model_from_file(path)
    assert (spec.io.input.dtype, spec.io.input.layout, spec.io.outputs[0].dtype) == ("uint8", "NCHW", "uint8")
    assert spec.io.outputs[0].zero_point == 0
    image = _images(1)[0]
    (a, _), = _run_onnx(float_path, image)
    (b, scale), = _run_onnx(path, image)
    assert np.abs(a - b).max() <= 1.01 * scale
    for command in (["infer", str(media_path("pose.jpg")), "--model", str(path), "--json", str(tmp_path / "i.json")],
                    ["layers", str(media_path("pose.jpg")), "--a", "lightning", "--b", str(path), "--frames", "1",
                     "-q"]):
        proc = subprocess.run([sys.executable, "-m", "movenet_studio.cli", *command], capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr


def test_dynamic_scheme_with_integer_io_is_one_line(tmp_path):
    out = tmp_path / "d.tflite"
    proc = subprocess.run([sys.executable, "-m", "movenet_studio.cli", "quantize", "lightning", "--calibration",
                           str(media_path("pose.jpg")), "--out", str(out), "--scheme", "dynamic", "--io", "int8"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.startswith("movenet-studio")]
    assert len(lines) == 1 and "--io int8" in lines[0] and not out.exists()
