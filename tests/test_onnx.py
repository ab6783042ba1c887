"""ONNX Runtime backend: parity with TFLite on the bundled float16 models, heads, provider fallback."""

from __future__ import annotations

import json

import numpy as np
import pytest

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

from badinputs import headless_movenet_onnx  # noqa: E402
from conftest import data_file  # noqa: E402

from movenet_studio.cli import main  # noqa: E402
from movenet_studio.core.backends.onnx import OnnxBackend  # noqa: E402
from movenet_studio.core.backends.onnx_heads import locate_onnx_heads  # noqa: E402
from movenet_studio.core.backends.tflite import TFLiteBackend  # noqa: E402
from movenet_studio.core.decoding.decode import decode_singlepose  # noqa: E402
from movenet_studio.core.decoding.heads import HEAD_NAMES, head_scope  # noqa: E402
from movenet_studio.core.models.catalog import ModelSpec, bundled_model  # noqa: E402
from movenet_studio.core.pipeline import Pipeline  # noqa: E402
from movenet_studio.core.pipeline_config import PipelineConfig
from movenet_studio.core.runtimes.ort import CPU, normalize_provider  # noqa: E402
from movenet_studio.core.preprocessing.letterbox import letterbox  # noqa: E402
from movenet_studio.core.media.opener import open_source  # noqa: E402

CUDA = "CUDAExecutionProvider"


def _frames(name: str, step: int = 4, count: int = 30):
    frames = []
    with open_source(data_file(name)) as source:
        for frame in source:
            if frame.index % step == 0:
                frames.append(frame)
                if len(frames) == count:
                    break
    return frames


def _model_inputs(key: str, frames):
    """The model inputs the TFLite pipeline made (crop tracking and smoothing on): realistic crops."""
    pipeline = Pipeline(PipelineConfig(model=key))
    try:
        return [pipeline.process(frame).model_input for frame in frames]
    finally:
        pipeline.close()


# --- keypoint parity ----------------------------------------------------------------------


@pytest.mark.parametrize("key", ["lightning-float16", "thunder-float16"])
def test_keypoints_match_tflite_on_the_same_input(key):
    frames = _frames("pose_1.mp4")
    inputs = _model_inputs(key, frames)
    tflite = TFLiteBackend(bundled_model(key, "tflite"))
    ort_backend = OnnxBackend(bundled_model(key, "onnx"))
    try:
        diffs = [np.abs(tflite.invoke(image)[0] - ort_backend.invoke(image)[0]).reshape(17, 3) for image in inputs]
    finally:
        tflite.close()
        ort_backend.close()
    worst = np.max(diffs, axis=0)
    # Measured: <= 2.4e-7 for y, x and score (the graphs compute the same float32 arithmetic).
    assert worst[:, :2].max() <= 1e-3, f"max |dy|,|dx| {worst[:, :2].max():.2e} (normalised)"
    assert worst[:, 2].max() <= 1e-3, f"max |dscore| {worst[:, 2].max():.2e}"


def test_multipose_matches_tflite_on_the_same_input():
    frame = _frames("pose_1.mp4", count=1)[0]
    image, _ = letterbox(frame.rgb, (256, 256))
    tflite = TFLiteBackend(bundled_model("multipose", "tflite"))
    ort_backend = OnnxBackend(bundled_model("multipose", "onnx"))
    try:
        a, b = tflite.invoke(image)[0], ort_backend.invoke(image)[0]
    finally:
        tflite.close()
        ort_backend.close()
    assert a.shape == b.shape == (1, 6, 56)
    assert np.abs(a - b).max() <= 1e-3


def test_infer_cli_onnx_matches_tflite_without_crop_feedback(tmp_path):
    """Through the whole pipeline (letterbox + One Euro smoothing): within 1 px on every keypoint.

    With crop tracking on the loop is chaotic: the next crop region follows the keypoints, so
    any difference (even one float32 ULP in the model output, which TFLite vs TFLite + 1 ULP
    shows as well) changes uint8 pixels of the next crop and grows to cell flips at
    low-confidence keypoints. Model parity is therefore checked on identical inputs above.
    """
    video = str(data_file("pose_1.mp4"))
    out = {}
    for backend in ("tflite", "onnx"):
        path = tmp_path / f"{backend}.json"
        assert main(["infer", video, "--backend", backend, "--no-crop", "--max-frames", "40", "--json", str(path)]) == 0
        out[backend] = json.loads(path.read_text())
    assert out["onnx"]["backend"]["name"] == "onnx"
    worst = 0.0
    for fa, fb in zip(out["tflite"]["frames"], out["onnx"]["frames"], strict=True):
        assert len(fa["poses"]) == len(fb["poses"])
        for pa, pb in zip(fa["poses"], fb["poses"]):
            for ka, kb in zip(pa["keypoints"], pb["keypoints"]):
                worst = max(worst, abs(ka["x"] - kb["x"]), abs(ka["y"] - kb["y"]))
    assert worst <= 1.0, f"max keypoint difference {worst:.3f} px"


# --- heads ----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["lightning-float16", "thunder-float16", "multipose-float16"])
def test_onnx_heads_are_found_by_scope_and_shape(key):
    spec = bundled_model(key, "onnx")
    proto = onnx.load(str(spec.path))
    located = locate_onnx_heads(proto, spec.input_size)
    assert located is not None
    s = spec.input_size[0] // 4
    producers = {out: node.op_type for node in proto.graph.node for out in node.output}
    for name in HEAD_NAMES:
        ref = getattr(located.tensors, name)
        value = located.values[ref.index]
        assert head_scope(value) == name
        assert ref.shape[:3] == (1, s, s)
        # The head convolutions themselves (NCHW in the graph), not a transposed copy
        # or tf2onnx's relabelled post-sigmoid tensor.
        assert producers[value] == "Conv" and located.layouts[ref.index] == "NCHW"
    offsets = located.values[located.tensors.offsets.index]
    assert offsets.startswith("StatefulPartitionedCall/kpt_offset_0/") and "kpt_regress_0" in offsets
    # The graph's own sigmoids, found by topology (their names do not say which head).
    for sigmoid, logits in ((located.tensors.centre_sigmoid, located.tensors.centre),
                            (located.tensors.heatmap_sigmoid, located.tensors.keypoint_heatmaps)):
        assert sigmoid is not None
        node = next(n for n in proto.graph.node if located.values[sigmoid.index] in n.output)
        assert node.op_type == "Sigmoid" and list(node.input) == [located.values[logits.index]]


@pytest.mark.parametrize("key", ["lightning-float16", "thunder-float16", "multipose-float16"])
def test_heads_match_tflite(key):
    frame = _frames("pose_1.mp4", count=1)[0]
    size = bundled_model(key).input_size
    image, _ = letterbox(frame.rgb, size)
    tflite = TFLiteBackend(bundled_model(key, "tflite"), heads=True)
    ort_backend = OnnxBackend(bundled_model(key, "onnx"), heads=True)
    try:
        assert ort_backend.heads_available and ort_backend.heads() is None  # nothing invoked yet
        (raw,) = ort_backend.invoke(image)
        tflite.invoke(image)
        a, b = tflite.heads(), ort_backend.heads()
    finally:
        tflite.close()
        ort_backend.close()
    assert b is not None and b.input_size == size and b.size == size[0] // 4
    diff = {name: float(np.abs(getattr(a, name) - getattr(b, name)).max()) for name in HEAD_NAMES}
    for name in HEAD_NAMES:
        assert getattr(b, name).dtype == np.float32 and getattr(b, name).shape == getattr(a, name).shape
    # Measured: centre/heatmaps <= 4.1e-6 (probabilities), regression <= 4.5e-4, offsets <= 1.7e-4 (cells).
    assert diff["centre"] <= 1e-4 and diff["keypoint_heatmaps"] <= 1e-4, diff
    assert diff["regression"] <= 5e-3 and diff["offsets"] <= 5e-3, diff
    assert 0.0 <= b.centre.min() and b.centre.max() <= 1.0
    if key != "multipose-float16":  # the ONNX heads reproduce the ONNX model's own output
        steps = decode_singlepose(b)
        assert np.abs(steps.keypoints - raw.reshape(17, 3)).max() <= 1e-3


def test_heads_off_and_pipeline_heads_on_onnx():
    frame = _frames("pose_1.mp4", count=1)[0]
    off = OnnxBackend(bundled_model("lightning", "onnx"))
    try:
        off.invoke(letterbox(frame.rgb, (192, 192))[0])
        assert not off.heads_available and off.heads() is None and off.head_tensors is None
    finally:
        off.close()
    pipeline = Pipeline(PipelineConfig(model="lightning", backend="onnx", heads=True))
    try:
        assert pipeline.heads_available
        result = pipeline.process(frame)
    finally:
        pipeline.close()
    assert result.heads is not None and result.decode is not None and "heads" in result.timings_ms
    assert np.abs(result.decode.keypoints - result.raw_output.reshape(17, 3)).max() <= 1e-3


def test_graph_without_heads_still_runs(tmp_path):
    path = headless_movenet_onnx(tmp_path / "no_heads.onnx")
    spec = ModelSpec("no_heads.onnx", path, "onnx", "singlepose", "custom", "float32", (192, 192), "uint8", False)
    backend = OnnxBackend(spec, heads=True)
    try:
        assert not backend.heads_available
        assert backend.invoke(np.zeros((192, 192, 3), np.uint8))[0].shape == (1, 1, 17, 3)
        assert backend.heads() is None
    finally:
        backend.close()


# --- provider fallback ----------------------------------------------------------------------


def test_normalize_provider():
    assert normalize_provider(None) is None and normalize_provider("") is None
    assert normalize_provider("cuda") == CUDA
    assert normalize_provider("CUDA") == CUDA
    assert normalize_provider("CPUExecutionProvider") == CPU
    assert normalize_provider("openvinoexecutionprovider") == "OpenVINOExecutionProvider"
    assert normalize_provider("SomethingElse") == "SomethingElse"


@pytest.fixture
def failing_cuda(monkeypatch):
    """onnxruntime lists CUDA, but any session asked to use it fails to start."""
    real_session = ort.InferenceSession
    calls = []

    def fake_session(model, sess_options=None, providers=None, **kwargs):
        calls.append(list(providers or []))
        if providers and providers[0] == CUDA:
            raise RuntimeError("CUDA failure 100: no CUDA-capable device is detected\nmore detail")
        return real_session(model, sess_options=sess_options, providers=providers, **kwargs)

    monkeypatch.setattr(ort, "get_available_providers", lambda: [CUDA, CPU])
    monkeypatch.setattr(ort, "InferenceSession", fake_session)
    return calls


@pytest.mark.parametrize("asked", [None, "cuda", CUDA])
def test_listed_provider_that_fails_to_start_falls_back_to_cpu(failing_cuda, asked):
    backend = OnnxBackend(bundled_model("lightning", "onnx"), provider=asked)
    try:
        assert failing_cuda[0][0] == CUDA  # CUDA was tried first (also when chosen automatically)
        assert backend.provider == CPU and backend.requested_provider == CUDA
        assert "CUDAExecutionProvider failed to start" in backend.note and "no CUDA-capable device" in backend.note
        assert "\n" not in backend.note and "running on CPU" in backend.note
        assert backend.device.startswith(CPU)
        assert backend.invoke(np.zeros((192, 192, 3), np.uint8))[0].shape == (1, 1, 17, 3)
    finally:
        backend.close()


def test_provider_not_in_this_build_runs_on_cpu_with_a_note():
    backend = OnnxBackend(bundled_model("lightning", "onnx"), provider="TensorrtExecutionProvider")
    try:
        assert backend.provider == CPU
        assert "TensorrtExecutionProvider is not available" in backend.note
    finally:
        backend.close()


def test_provider_silently_dropped_by_onnxruntime_gets_a_note(monkeypatch):
    real_session = ort.InferenceSession
    monkeypatch.setattr(ort, "get_available_providers", lambda: [CUDA, CPU])
    monkeypatch.setattr(ort, "InferenceSession", lambda model, sess_options=None, providers=None, **kw:
                        real_session(model, sess_options=sess_options, providers=[CPU]))
    backend = OnnxBackend(bundled_model("lightning", "onnx"), provider="cuda")
    try:
        assert backend.provider == CPU and "CUDAExecutionProvider could not run this model" in backend.note
    finally:
        backend.close()


def test_provider_failing_on_the_first_run_is_replaced_by_cpu(monkeypatch):
    real_session = ort.InferenceSession

    class CudaLike:
        """A session that claims CUDA and fails when run."""

        def __init__(self, inner):
            self._inner = inner

        def get_providers(self):
            return [CUDA, CPU]

        def run(self, *args, **kwargs):
            raise RuntimeError("CUDNN_STATUS_NOT_INITIALIZED")

        def __getattr__(self, name):
            return getattr(self._inner, name)

    def fake_session(model, sess_options=None, providers=None, **kwargs):
        inner = real_session(model, sess_options=sess_options, providers=[CPU])
        return CudaLike(inner) if providers and providers[0] == CUDA else inner

    monkeypatch.setattr(ort, "get_available_providers", lambda: [CUDA, CPU])
    monkeypatch.setattr(ort, "InferenceSession", fake_session)
    backend = OnnxBackend(bundled_model("lightning", "onnx"), provider=CUDA, heads=True)
    try:
        assert backend.provider == CUDA and backend.note == ""
        (out,) = backend.invoke(np.zeros((192, 192, 3), np.uint8))
        assert out.shape == (1, 1, 17, 3) and backend.provider == CPU
        assert "failed on the first run" in backend.note and "CUDNN_STATUS_NOT_INITIALIZED" in backend.note
        assert backend.heads() is not None
    finally:
        backend.close()


def test_infer_cli_shows_provider_and_fallback_note(failing_cuda, capsys):
    image = str(data_file("pose.jpg"))
    assert main(["infer", image, "--provider", "cuda"]) == 0  # --provider implies --backend onnx
    first = capsys.readouterr().out.splitlines()[0]
    assert "(onnx, CPUExecutionProvider" in first and "CUDAExecutionProvider failed to start" in first


def test_provider_needs_the_onnx_backend(capsys):
    assert main(["infer", str(data_file("pose.jpg")), "--backend", "tflite", "--provider", "cuda"]) == 1
    assert "needs the onnx backend" in capsys.readouterr().err


def test_provider_option_on_gui_parser():
    from movenet_studio.cli import build_parser

    args = build_parser().parse_args(["gui", "--provider", "cuda", "--backend", "onnx"])
    assert args.provider == "cuda"
