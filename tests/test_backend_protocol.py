"""The Backend protocol is complete on both runtimes, and Pipeline.describe() is the one
description of a loaded pipeline that the Model info panel, the bench rows and the compare
and layers reports show."""

from __future__ import annotations

import inspect
import types
import typing

import numpy as np
import pytest

from movenet_studio.core.backends import Backend, runtime_version
from movenet_studio.core.bench.results import BenchConfig, ConfigResult
from movenet_studio.core.decoding.heads import Heads
from movenet_studio.core.models.resolve import sniff_signature
from movenet_studio.core.models.catalog import bundled_model
from movenet_studio.core.pipeline import Pipeline
from movenet_studio.core.pipeline_config import PipelineConfig
from movenet_studio.core.pipeline_description import PipelineDescription
from movenet_studio.core.worker import ModelInfo

#: (model, backend): Lightning on both runtimes (heads on), MultiPose on ONNX Runtime (heads off).
CASES = (("lightning", "tflite", True), ("lightning", "onnx", True), ("multipose", "onnx", False))
RUNTIMES = {"tflite": ("ai-edge-litert ", "tflite-runtime "), "onnx": ("onnxruntime ",)}


@pytest.fixture(scope="module", params=CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def loaded(request):
    """A pipeline on a bundled model after one frame (a fixed gradient image)."""
    model, backend, heads = request.param
    try:
        bundled_model(model, backend)
    except Exception as exc:  # noqa: BLE001 - the bundled file or runtime is not installed here
        pytest.skip(str(exc))
    pipeline = Pipeline(PipelineConfig(model=model, backend=backend, heads=heads))
    from movenet_studio.core.media.sources import Frame

    yy, xx = np.mgrid[0:240, 0:320]
    rgb = np.stack([xx * 255 // 319, yy * 255 // 239, (xx + yy) % 256], axis=-1).astype(np.uint8)
    result = pipeline.process(Frame(0, 0.0, rgb, 0.0))
    yield pipeline, result
    pipeline.close()


def _members() -> dict[str, object]:
    """Every member the protocol declares, with its declared type (methods: the function)."""
    hints = typing.get_type_hints(Backend)
    members: dict[str, object] = {name: hint for name, hint in hints.items()}
    for name, value in vars(Backend).items():
        if name.startswith("_"):
            continue
        if isinstance(value, property):
            members[name] = typing.get_type_hints(value.fget)["return"]
        elif inspect.isfunction(value):
            members[name] = value
    return members


def _is(value, hint) -> bool:
    if hint is None or hint is type(None):
        return value is None
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return any(_is(value, arg) for arg in typing.get_args(hint))
    return isinstance(value, hint)


def test_the_protocol_names_every_member_the_pipeline_and_the_descriptions_use():
    assert set(_members()) == {"name", "device", "model", "provider", "note", "runtime_version", "signature",
                               "heads_available", "invoke", "heads", "close"}
    for name in _members():  # each documented: attributes in the class docstring, the rest their own
        value = vars(Backend).get(name)
        doc = (value.fget if isinstance(value, property) else value).__doc__ if value is not None else None
        assert (doc or "").strip() if value is not None else f"    {name}: " in Backend.__doc__, name
    assert "float32" in Backend.invoke.__doc__ and "[S, S, 2K]" in Backend.heads.__doc__


def test_each_backend_implements_every_member_with_its_declared_type(loaded):
    pipeline, result = loaded
    backend = pipeline.backend
    for name, hint in _members().items():
        value = getattr(backend, name)  # present on the class or the instance: nothing is probed
        if inspect.isfunction(hint):
            assert callable(value), name
            assert list(inspect.signature(value).parameters) == \
                [p for p in inspect.signature(hint).parameters if p != "self"], name
        else:
            assert _is(value, hint), (name, value, hint)
    model = pipeline.model
    assert backend.model is model and backend.name == model.format and backend.device
    assert backend.runtime_version.startswith(RUNTIMES[backend.name])
    assert (backend.provider is None) == (backend.name == "tflite") and backend.note == ""
    assert backend.signature == sniff_signature(model.path)
    assert backend.heads_available is pipeline.config.heads
    out = result.raw_output
    assert out.dtype == np.float32 and out.shape == ((1, 6, 56) if model.is_multipose else (1, 1, 17, 3))
    heads = backend.heads()
    if not pipeline.config.heads:
        assert heads is None
        return
    assert isinstance(heads, Heads) and heads is result.heads and heads.complete
    side = model.input_size[0] // 4
    assert heads.centre.shape == (side, side) and heads.keypoint_heatmaps.shape == (side, side, 17)
    assert heads.regression.shape == heads.offsets.shape == (side, side, 34)
    assert all(a.dtype == np.float32 for a in (heads.centre, heads.keypoint_heatmaps, heads.regression,
                                                heads.offsets))
    assert 0.0 <= heads.centre.min() and heads.keypoint_heatmaps.max() <= 1.0


def test_describe_is_what_the_window_the_bench_and_the_reports_show(loaded):
    pipeline, _ = loaded
    described = pipeline.describe()
    backend, model = pipeline.backend, pipeline.model
    assert isinstance(described, PipelineDescription)
    assert (described.model, described.config, described.backend, described.device, described.provider,
            described.note) == (model, pipeline.config, backend.name, backend.device, backend.provider, "")
    # The facts the window read itself before (signature, file size, runtime by name).
    assert described.signature == sniff_signature(model.path)
    assert described.file_size == model.path.stat().st_size > 100_000
    assert described.runtime_version == runtime_version(backend.name)
    assert described.heads_available is pipeline.config.heads
    assert pipeline.describe() == described  # a value: nothing changes between calls

    info = ModelInfo(described, 12.5)  # the window's Model info panel reads these
    assert (info.spec, info.config, info.device, info.provider, info.note, info.runtime_version, info.file_size,
            info.signature, info.heads_available) == (model, pipeline.config, backend.device, backend.provider, "",
                                                      described.runtime_version, described.file_size,
                                                      described.signature, described.heads_available)

    row = ConfigResult(BenchConfig(model.key, backend.name, 2), description=described).to_json()
    assert (row["model_key"], row["model_label"], row["device"]) == (model.key, model.label, backend.device)
    assert ConfigResult(BenchConfig("x", "onnx", 2)).to_json()["model_key"] is None  # did not load

    assert described.to_json() == {  # compare --json and layers --json sides
        "model": model.key, "file": model.path.name, "input_size": list(model.input_size),
        "backend": backend.name, "device": backend.device, "provider": backend.provider, "note": "",
    }
