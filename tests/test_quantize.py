"""quantize: normalisation of each file layout, blocks from the graph, a repaired model on real
media, the recipe round trip, cancel leaving nothing behind, and bad inputs.

Lean on purpose (a shared 2-core machine): Lightning, a dozen calibration frames.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from movenet_studio.core.errors import Cancelled, ModelError
from movenet_studio.core.models.catalog import bundled_model
from movenet_studio.core.progress import JobControl

from media import media_path, shared_path
from schemas import validate

pytest.importorskip("ai_edge_quantizer")

from movenet_studio.core.quantize.graph_blocks import group_blocks  # noqa: E402
from movenet_studio.core.quantize.job import QuantizeRequest, run_quantize  # noqa: E402
from movenet_studio.core.quantize.normalise_tflite import normalise_tflite  # noqa: E402
from movenet_studio.core.quantize.recipe import read_recipe, request_kwargs  # noqa: E402
from movenet_studio.core.quantize.tflite_graph import read_tflite_graph  # noqa: E402

SCHEMA = Path(__file__).resolve().parents[1] / "docs" / "reference" / "schemas" / "quantize-report.schema.json"


def _invoke(content: bytes, image: np.ndarray) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=content)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], image)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


@pytest.mark.parametrize("path", ["lightning", "multipose", "float32"])
def test_normalised_tflite_has_float32_weights_a_signature_and_the_same_output(path):
    file = (bundled_model(path).path if path != "float32"
            else shared_path("models/zoo/movenet_singlepose_lightning_float32.tflite"))
    data = file.read_bytes()
    normal = normalise_tflite(data, file.name)
    if path != "float32":  # float16 weights behind DEQUANTIZE, some shared by two DEQUANTIZE ops (MultiPose)
        assert normal.folded_float16 > 100 and not normal.added_signature
    else:
        assert normal.folded_float16 == 0 and normal.added_signature
    size = 256 if path == "multipose" else 192
    image = np.random.default_rng(0).integers(0, 256, (1, size, size, 3), dtype=np.uint8)
    assert np.array_equal(_invoke(data, image), _invoke(normal.data, image))
    again = normalise_tflite(normal.data)
    assert again.folded_float16 == 0 and not again.added_signature and again.input_names == normal.input_names


def test_int8_and_vela_files_are_refused_by_normalisation():
    with pytest.raises(ModelError, match="already quantized"):
        normalise_tflite(bundled_model("lightning-int8").path.read_bytes(), "int8.tflite")


def test_blocks_come_from_the_graph_and_the_decode_tail_has_no_convolution():
    graph = read_tflite_graph(normalise_tflite(bundled_model("lightning").path.read_bytes()).data)
    blocks, tail = group_blocks(graph)
    names = [b.name for b in blocks]
    assert names == ["input", "backbone_s2", "backbone_s4", "backbone_s8", "backbone_s16", "backbone_s32",
                     "fpn_s32", "fpn_s16", "fpn_s8", "fpn_s4", "head_centre", "head_keypoint_heatmaps",
                     "head_regression", "head_offsets"]
    tail_types = {graph.ops[i].op_type for i in tail.ops}
    assert {"ARG_MAX", "GATHER_ND", "LOGISTIC", "DIV"} <= tail_types and tail.macs == 0
    assert all(len(b.ops) == 3 and b.macs > 0 for b in blocks if b.name.startswith("head_"))
    covered = sorted(i for b in blocks + [tail] for i in b.ops)
    assert covered == list(range(len(graph.ops)))  # every op in exactly one block


@pytest.fixture(scope="module")
def repaired(tmp_path_factory):
    """Lightning TFLite, 12 frames of pose_1.mp4 (9 calibrate, 3 held out), repaired to a tight target."""
    out = tmp_path_factory.mktemp("quantize") / "lightning_int8.tflite"
    request = QuantizeRequest(model="lightning", calibration=(str(media_path("pose_1.mp4")),), out=out,
                              frames=12, target_px=0.5, keep_float="auto", report=out.with_suffix(".json"))
    return request, run_quantize(request)


def test_repaired_model_meets_or_approaches_the_target_and_reports_blocks(repaired):
    request, result = repaired
    report = json.loads(request.report.read_text())
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(report, json.loads(SCHEMA.read_text()))
    assert report["calibration"]["frames"] == 9 and report["holdout"]["frames"] == 3
    full, final = report["full_int8"]["keypoints_px"]["mean"], report["result"]["keypoints_px"]["mean"]
    assert 0 < final < full  # keeping blocks float helped
    assert report["result"]["kept_float"] and 0 < report["result"]["int8_mac_fraction"] < 1
    rows = {b["name"]: b for b in report["blocks"]}
    assert len(rows) == 14 and all(not rows[n]["int8"] for n in report["result"]["kept_float"])
    assert sum(b["sqnr_db"] is not None for b in rows.values()) >= 12
    assert "rank SQNR" in result.text and "decode tail kept float" in result.text


def test_repaired_file_is_an_int8_movenet_the_app_opens(repaired):
    request, _ = repaired
    from movenet_studio.core.models.resolve import model_from_file

    spec = model_from_file(request.out)
    assert spec.precision == "int8" and spec.output_kind == "keypoints" and spec.input_dtype == "uint8"


def test_recipe_round_trip_gives_the_same_file(repaired, tmp_path):
    request, result = repaired
    recipe = read_recipe(request.recipe_path)
    assert recipe["keep_float"] == result.report["result"]["kept_float"]
    validate(recipe, "quantize-recipe")
    again = QuantizeRequest(out=tmp_path / "again.tflite", **request_kwargs(recipe))
    run_quantize(again)
    assert again.out.read_bytes() == request.out.read_bytes()


def test_cancel_leaves_nothing_behind(tmp_path):
    control = JobControl()
    seen = []

    def listener(progress):
        seen.append(progress)
        if "calibrating" in progress.message:
            control.token.cancel()

    control.listener = listener
    out = tmp_path / "cancelled.tflite"
    request = QuantizeRequest(model="lightning", calibration=(str(media_path("pose.jpg")),), out=out, frames=1,
                              report=tmp_path / "r.json")
    with pytest.raises(Cancelled):
        run_quantize(request, control)
    assert seen and list(tmp_path.iterdir()) == []


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "movenet_studio.cli", "quantize", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("case", ["int8", "vela", "no_frames"])
def test_bad_inputs_give_one_line_and_exit_1(case, tmp_path):
    source, model = media_path("pose.jpg"), "lightning"
    if case == "int8":
        model = "lightning-int8"
    elif case == "vela":
        model = shared_path("models/zoo/movenet_singlepose_lightning_int8_io_int8_vela_ethos-u65-256.tflite")
    else:
        source = tmp_path / "broken.mp4"
        source.write_bytes(b"\x00" * 4096)
    out = tmp_path / "out.tflite"
    proc = _cli(model, "--calibration", source, "--out", out, "--frames", "2")
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.startswith("movenet-studio")]
    assert len(lines) == 1, proc.stderr
    expected = {"int8": "already quantized", "vela": "Vela", "no_frames": "broken.mp4"}[case]
    assert expected in lines[0]
    assert not out.exists() and not Path(str(out) + ".recipe.json").exists()


@pytest.mark.parametrize("name", ["lightning", "zoo/movenet_singlepose_lightning_float32_nchw_f32in.onnx",
                                  "zoo/movenet_singlepose_lightning_heads_nchw_f32in.onnx"])
def test_normalised_onnx_loads_computes_the_same_and_has_blocks(name):
    import onnxruntime as ort

    from movenet_studio.core.quantize.onnx_driver import open_onnx

    file = bundled_model(name, "onnx").path if "/" not in name else shared_path(f"models/{name}")
    data = file.read_bytes()
    driver = open_onnx(data, file.name, "int8", False)
    try:
        assert any("shared initializers" in n for n in driver.notes)
        inits = [v for n in driver.normal.model.graph.node for v in n.input
                 if v in {t.name for t in driver.normal.model.graph.initializer}]
        assert len(inits) == len(set(inits))  # no initializer shared any more
        before, after = ort.InferenceSession(data), ort.InferenceSession(driver.float_model)
        spec = before.get_inputs()[0]
        dtype = np.uint8 if "uint8" in spec.type else np.float32
        x = np.random.default_rng(0).integers(0, 256, spec.shape).astype(dtype)
        for a, b in zip(before.run(None, {spec.name: x}), after.run(None, {spec.name: x})):
            assert np.array_equal(a, b)
        blocks, tail = group_blocks(driver.graph)
        heads = [b.name for b in blocks if b.name.startswith("head_")]
        assert len(heads) == 4 and any(b.name.startswith("backbone_s") for b in blocks)
        assert (tail.ops == ()) == name.endswith("heads_nchw_f32in.onnx")  # a raw-heads file has no decode
    finally:
        driver.close()


def test_layers_shows_the_quantize_blocks_of_a(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    out = tmp_path / "layers.json"
    proc = subprocess.run([sys.executable, "-m", "movenet_studio.cli", "layers", str(media_path("pose.jpg")),
                           "--a", "lightning", "--b", "lightning-int8", "--frames", "1", "-q", "--blocks",
                           "--json", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "blocks (quantize's grouping of A's graph)" in proc.stdout
    document = json.loads(out.read_text())
    schema = SCHEMA.with_name("layers.schema.json")
    jsonschema.validate(document, json.loads(schema.read_text()))
    names = [b["name"] for b in document["blocks"]]
    assert names[0] == "input" and names[-1] == "decode_tail" and "head_offsets" in names
    assert all(b["sqnr_db"] is not None for b in document["blocks"] if b["name"].startswith("backbone"))
