"""Layer-by-layer comparison: capture, matching, metrics, first divergence, CLI JSON, node data."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import PROJECT_ROOT, data_file
from movenet_studio.cli import main
from movenet_studio.core.analysis.compare import config_for
from movenet_studio.core.layers.matching import NCHW_TO_NHWC, SAME, layer_label, layouts_that_fit, name_key
from movenet_studio.core.layers.metrics import PairSums
from movenet_studio.core.layers.runner import LayerCapturePair, LayerComparison, first_divergence
from movenet_studio.core.pipeline_config import PipelineConfig
from movenet_studio.core.media.opener import open_source

MODELS = PROJECT_ROOT / "models"
FLOAT16 = MODELS / "movenet_singlepose_lightning_float16.tflite"
FLOAT16_ONNX = MODELS / "movenet_singlepose_lightning_float16.onnx"


def _strict(text: str) -> dict:
    def refuse(token):
        raise ValueError(f"not strict JSON: {token}")
    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="session")
def float16_vs_int8():
    """Bundled Lightning float16 (A) vs int8 (B) on the first 3 frames of pose_1.mp4."""
    video = data_file("pose_1.mp4")
    base = PipelineConfig()
    with open_source(video) as source, LayerComparison(config_for("lightning-float16", base),
                                                       config_for("lightning-int8", base)) as comparison:
        for i, frame in enumerate(source):
            comparison.process(frame)
            if i == 2:
                break
        return comparison.report()


def test_float16_vs_int8_matches_and_diverges(float16_vs_int8):
    report = float16_vs_int8
    finite = [r for r in report["tensors"] if r["sqnr_db"] is not None]
    assert len(finite) >= 50
    assert report["frames"] == 3 and report["unmatched_a"] == 0
    assert [r["depth"] for r in report["tensors"]] == sorted(r["depth"] for r in report["tensors"])
    # the first conv of an int8 graph is close to float; deeper layers drift below 15 dB
    conv1 = next(r for r in report["tensors"] if "Conv1_relu" in r["a_name"])
    assert conv1["sqnr_db"] > 30 and conv1["cosine"] > 0.999
    first = report["first_divergence"]
    assert first is not None and first["sqnr_db"] < 15 and first["depth"] > conv1["depth"]
    below = [r for r in report["tensors"] if r["sqnr_db"] is not None and r["sqnr_db"] < 15]
    assert below[0]["depth"] == first["depth"]
    assert 0 < report["keypoints_px"]["mean"] < 20


def test_model_against_itself_has_no_divergence(tmp_path, capsys):
    out = tmp_path / "self.json"
    assert main(["layers", str(data_file("pose.jpg")), "--a", "lightning-float16", "--b", "lightning-float16",
                 "--frames", "1", "--json", str(out), "--quiet"]) == 0
    document = _strict(out.read_text())
    assert set(document) >= {"a", "b", "frames", "threshold_db", "tensors", "unmatched_a", "unmatched_b",
                             "first_divergence", "keypoints_px"}
    assert document["first_divergence"] is None and document["unmatched_a"] == document["unmatched_b"] == 0
    assert document["frames"] == 1 and document["threshold_db"] == 15.0
    row = document["tensors"][10]
    assert set(row) == {"a_name", "b_name", "op", "shape", "depth", "sqnr_db", "cosine", "rel_rmse", "max_abs"}
    assert all(r["sqnr_db"] is None and r["max_abs"] == 0 and r["a_name"] == r["b_name"] for r in document["tensors"])
    assert document["keypoints_px"]["max"] == 0.0
    assert "no divergence" in capsys.readouterr().out


def _scaled_copy(source, target, layer: str, factor: float) -> str:
    """Copy an ONNX model with the weights of the first Conv whose output names `layer` scaled."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(source))
    inits = {init.name: init for init in model.graph.initializer}
    producers = {out: node for node in model.graph.node for out in node.output}
    conv = next(n for n in model.graph.node if n.op_type == "Conv" and layer in n.output[0].split(";")[0])
    name = conv.input[1]
    while name not in inits:  # float16 weights reach the Conv through a Cast
        name = producers[name].input[0]
    weights = numpy_helper.to_array(inits[name])
    inits[name].CopyFrom(numpy_helper.from_array((weights * factor).astype(weights.dtype), name))
    onnx.save(model, str(target))
    return conv.output[0]


def test_scaled_layer_is_located(tmp_path):
    scaled = tmp_path / "scaled.onnx"
    conv_output = _scaled_copy(FLOAT16_ONNX, scaled, "block_3_expand_relu", 1.5)
    pair = LayerCapturePair(FLOAT16_ONNX, "onnx", scaled, "onnx")
    try:
        import cv2

        image = cv2.cvtColor(cv2.imread(str(data_file("pose.jpg"))), cv2.COLOR_BGR2RGB)
        pair.run(cv2.resize(image, (192, 192), interpolation=cv2.INTER_AREA))
        rows = pair.rows()
    finally:
        pair.close()
    first = first_divergence(rows)
    assert first is not None and first["a_name"] == conv_output
    assert first["sqnr_db"] < 10  # 1.5 x the weights (the bias unchanged): a few dB
    before = [r for r in rows if r["depth"] < first["depth"]]
    assert before and all(r["sqnr_db"] is None for r in before)


def test_tflite_vs_onnx_matches_most_tensors():
    import cv2

    image = cv2.resize(cv2.cvtColor(cv2.imread(str(data_file("pose.jpg"))), cv2.COLOR_BGR2RGB), (192, 192))
    pair = LayerCapturePair(FLOAT16, "tflite", FLOAT16_ONNX, "onnx")
    try:
        pair.run(image)
        rows = pair.rows()
        total_a = len(pair.capture_a.tensors)
    finally:
        pair.close()
    assert len(rows) >= 0.9 * total_a
    assert first_divergence(rows) is None  # same weights, float32 arithmetic on both
    convs = [r for r in rows if r["op"] == "CONV_2D"]
    assert len(convs) >= 40 and all(r["cosine"] > 0.9999 for r in convs)


def test_node_data_loads_in_model_explorer(float16_vs_int8, tmp_path):
    pytest.importorskip("model_explorer")
    from model_explorer.builtin_tflite_flatbuffer_adapter import BuiltinTfliteFlatbufferAdapter
    from movenet_studio.core.layers.report import write_node_data

    path = tmp_path / "nodes.json"
    write_node_data(path, float16_vs_int8["tensors"], 15.0)
    data = _strict(path.read_text())
    graphs = BuiltinTfliteFlatbufferAdapter().convert(str(FLOAT16), {})["graphCollections"][0].graphs
    names = {attr["value"] for graph in graphs for node in graph["nodes"]
             for output in node.get("outputsMetadata", []) for attr in output["attrs"] if attr["key"] == "tensor_name"}
    assert set(data["results"]) <= names and len(data["results"]) >= 50
    assert [t["value"] for t in data["thresholds"]][0] == 15.0


def test_matching_rules():
    assert layer_label("x/model_1/model/block_8_project_BN/FusedBatchNormV3/BiasAdd;x/y") == "block_8_project_BN"
    assert layer_label("StatefulPartitionedCall/Sigmoid") == "Sigmoid"
    assert name_key("a/separable_conv2d/depthwise4") == "a/separable_conv2d/depthwise"
    assert name_key("StatefulPartitionedCall/unstack__121:0") == "StatefulPartitionedCall/unstack"
    assert name_key("x/add;x/fused;Const_7") == "x/add"
    assert layouts_that_fit((1, 48, 48, 24), (1, 24, 48, 48)) == (NCHW_TO_NHWC,)
    assert layouts_that_fit((1, 8, 8, 8), (1, 8, 8, 8))[0] == SAME and len(layouts_that_fit((1, 8, 8, 8), (1, 8, 8, 8))) == 3
    assert layouts_that_fit((1, 48, 48, 24), (1, 48, 48, 17)) == ()


def test_metrics():
    a = np.linspace(-1, 1, 100, dtype=np.float32)
    same = PairSums.of(a, a.copy())
    assert same.as_dict() == {"sqnr_db": None, "cosine": 1.0, "rel_rmse": 0.0, "max_abs": 0.0}
    noisy = PairSums.of(a, a * 1.1)
    assert noisy.sqnr_db == pytest.approx(20.0, abs=1e-3) and noisy.max_abs == pytest.approx(0.1, abs=1e-6)
    zeros = PairSums.of(np.zeros(4, np.float32), np.ones(4, np.float32))
    assert zeros.as_dict()["sqnr_db"] == -200.0 and zeros.cosine == 0.0 and zeros.rel_rmse is None


ZOO = PROJECT_ROOT.parent / "shared" / "models" / "zoo"


def _zoo(name: str):
    path = ZOO / name
    if not path.exists():
        pytest.skip(f"zoo model {name} not found in {ZOO}")
    return path


def test_zoo_heatmap_only_model_is_a_cut_of_the_float32_graph(tmp_path):
    out = tmp_path / "cut.json"
    a, b = _zoo("movenet_singlepose_lightning_float32.tflite"), _zoo("movenet_lightning_heatmaps_192_int8_pc.tflite")
    assert main(["layers", str(data_file("pose.jpg")), "--a", str(a), "--b", str(b), "--frames", "1",
                 "--json", str(out), "--quiet"]) == 0
    document = _strict(out.read_text())
    rows = document["tensors"]
    sigmoid = next(r for r in rows if r["a_name"] == "StatefulPartitionedCall/Sigmoid")  # B's output
    assert len(rows) >= 80 and max(r["depth"] for r in rows) == sigmoid["depth"]  # nothing past the cut
    assert document["unmatched_a"] >= 30  # A's centre head and decode, which B does not have
    assert sigmoid["cosine"] > 0.9 and document["first_divergence"] is not None
    assert document["keypoints_px"]["mean"] is None or document["keypoints_px"]["mean"] >= 0


@pytest.mark.parametrize("name", ["movenet_singlepose_lightning_float32_nchw_f32in.onnx",
                                  "movenet_singlepose_lightning_heads_nchw_f32in.onnx"])
def test_zoo_float32_ports_do_not_diverge(name):
    import cv2

    image = cv2.resize(cv2.cvtColor(cv2.imread(str(data_file("pose.jpg"))), cv2.COLOR_BGR2RGB), (192, 192))
    pair = LayerCapturePair(_zoo("movenet_singlepose_lightning_float32.tflite"), "tflite", _zoo(name), "onnx")
    try:
        pair.run(image)
        rows = pair.rows()
    finally:
        pair.close()
    assert first_divergence(rows) is None and len(rows) >= 80
    heads = [r for r in rows if r["op"] == "CONV_2D" and r["shape"][-1] in (1, 17, 34) and r["shape"][1] == 48]
    assert len(heads) == 4 and all(r["sqnr_db"] is None or r["sqnr_db"] > 60 for r in heads)  # all four heads


def test_multipose_dynamic_input_is_captured_at_the_frame_size():
    import cv2

    from movenet_studio.core.preprocessing.multipose_input import preprocess_multipose

    frame = cv2.cvtColor(cv2.imread(str(data_file("pose.jpg"))), cv2.COLOR_BGR2RGB)
    image, _ = preprocess_multipose(frame, (256, 256))
    pair = LayerCapturePair(MODELS / "movenet_multipose_lightning_float16.tflite", "tflite",
                            MODELS / "movenet_multipose_lightning_float16.onnx", "onnx")
    try:
        pair.run(image)
        rows = pair.rows()
        assert pair.capture_a.signature.size == tuple(image.shape[:2])
    finally:
        pair.close()
    convs = [r for r in rows if r["op"] == "CONV_2D"]
    assert len(convs) >= 40 and all(r["sqnr_db"] is None or r["sqnr_db"] > 60 for r in convs)


def test_a_b_that_is_not_a_movenet_model_is_one_line(tmp_path, capfd):
    from badinputs import not_movenet_models

    for bad in not_movenet_models(tmp_path / "other"):  # (identity.onnx has an image input: it can be compared)
        if bad.path.name != "adder.tflite":
            continue
        out = tmp_path / f"{bad.path.stem}.json"
        assert main(["layers", str(data_file("pose.jpg")), "--a", "lightning", "--b", str(bad.path), "--frames", "1",
                     "--json", str(out), "--quiet"]) == 1
        err = capfd.readouterr().err
        lines = [line for line in err.splitlines() if line.startswith("movenet-studio")]
        assert len(lines) == 1 and "not a MoveNet model" in lines[0] and "internal error" not in err, err
        assert not out.exists()


def test_nan_tensors_of_b_are_the_worst_pairs_in_strict_json(tmp_path, capfd):
    """A MoveNet with corrupted weights (NaN from some layer on): the pairs from there on are
    marked non-finite at the SQNR floor, the JSON stays strict and follows the schema."""
    from badinputs import corrupt_model
    from schemas import validate

    bad = corrupt_model(PROJECT_ROOT / "models" / "movenet_singlepose_lightning_float16.tflite", "weights",
                        tmp_path / "corrupt-weights.tflite")
    out = tmp_path / "l.json"
    assert main(["layers", str(data_file("pose.jpg")), "--a", "lightning", "--b", str(bad), "--frames", "1",
                 "--json", str(out)]) == 0
    printed = capfd.readouterr().out
    def refuse(constant):
        raise AssertionError(f"{constant} in strict JSON")

    document = json.loads(out.read_text(), parse_constant=refuse)  # NaN / Infinity are not JSON
    validate(document, "layers")
    broken = [row for row in document["tensors"] if row.get("non_finite")]
    assert broken and all(row["sqnr_db"] == -200.0 and row["cosine"] is None for row in broken)
    assert document["first_divergence"]["depth"] <= min(row["depth"] for row in broken)
    assert "NaN/Inf" in printed
