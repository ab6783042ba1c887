"""ONNX Runtime: the one place that imports ``onnxruntime``.

Import with a clear error, version, execution providers (listing, short names, preference
order), session options and session creation. The ONNX backend, the pose classifier's
runner, layer capture and bench's per-op profile build their sessions here.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import BackendError

CPU = "CPUExecutionProvider"
#: Preference order when no provider is asked for (first available wins; CPU is the fallback).
PREFERRED_PROVIDERS = ("CUDAExecutionProvider", "OpenVINOExecutionProvider", "CoreMLExecutionProvider",
                       "DmlExecutionProvider", CPU)
#: Short names accepted by :func:`normalize_provider` (case-insensitive).
PROVIDER_ALIASES = {
    "cpu": CPU, "cuda": "CUDAExecutionProvider", "tensorrt": "TensorrtExecutionProvider",
    "trt": "TensorrtExecutionProvider", "openvino": "OpenVINOExecutionProvider",
    "coreml": "CoreMLExecutionProvider", "dml": "DmlExecutionProvider", "directml": "DmlExecutionProvider",
    "rocm": "ROCMExecutionProvider", "migraphx": "MIGraphXExecutionProvider", "qnn": "QNNExecutionProvider",
    "xnnpack": "XnnpackExecutionProvider", "webgpu": "WebGpuExecutionProvider",
}
#: numpy dtype of each ONNX tensor element type a MoveNet image input may have.
INPUT_DTYPES = {"tensor(uint8)": np.uint8, "tensor(int8)": np.int8, "tensor(int32)": np.int32,
                "tensor(float)": np.float32}
#: numpy dtype name of each ONNX tensor element type.
DTYPE_NAMES = {"tensor(float)": "float32", "tensor(float16)": "float16", "tensor(double)": "float64",
               "tensor(uint8)": "uint8", "tensor(int8)": "int8", "tensor(int32)": "int32", "tensor(int64)": "int64"}


def onnxruntime():
    """The ``onnxruntime`` module.

    Raises:
        BackendError: ONNX Runtime is not installed.
    """
    try:
        import onnxruntime as ort
    except ImportError:
        raise BackendError("ONNX Runtime is not installed: pip install onnxruntime") from None
    return ort


def version() -> str:
    """``onnxruntime X.Y.Z``, or ``none`` when it is not installed."""
    try:
        return f"onnxruntime {onnxruntime().__version__}"
    except BackendError:
        return "none"


def available_providers() -> tuple[str, ...]:
    """Execution providers this onnxruntime build lists (CPU always among them).

    Listed is not the same as usable: a provider can still fail to start (no driver, no
    device); the ONNX backend then falls back to CPU and says so in its note.

    Raises:
        BackendError: ONNX Runtime is not installed.
    """
    return tuple(p for p in onnxruntime().get_available_providers() if p != "AzureExecutionProvider")


def normalize_provider(name: str | None) -> str | None:
    """The ONNX Runtime provider name for `name`: ``cuda`` -> ``CUDAExecutionProvider``.

    Full names pass through unchanged; short names (:data:`PROVIDER_ALIASES`, also with an
    ``ExecutionProvider`` suffix in any case) are expanded. None and ``""`` give None (auto).
    """
    if not name:
        return None
    key = name.strip().lower()
    if key.endswith("executionprovider"):
        key = key[: -len("executionprovider")]
    return PROVIDER_ALIASES.get(key, name.strip())


def session_options(threads: int, *, optimize: bool = True, profile_prefix: str | None = None):
    """``SessionOptions`` as every session here uses them: `threads` intra-op threads, one
    inter-op thread, warnings and below not logged. `optimize` False turns off every graph
    optimisation (layer capture must see each node's own output, not a fused one); with
    `profile_prefix`, ONNX Runtime's profiler writes its trace under that prefix.

    Raises:
        BackendError: ONNX Runtime is not installed.
    """
    ort = onnxruntime()
    options = ort.SessionOptions()
    if not optimize:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    if profile_prefix is not None:
        options.enable_profiling = True
        options.profile_file_prefix = profile_prefix
    return options


def create_session(model: bytes | str, options, providers: list[str]):
    """An ``InferenceSession`` for `model` (a path or the model's bytes) on `providers`, in order;
    ONNX Runtime's own warnings are silenced.

    Raises:
        BackendError: ONNX Runtime is not installed.
        Exception: whatever ONNX Runtime raises for a model or provider it cannot load.
    """
    ort = onnxruntime()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ort.InferenceSession(model, sess_options=options, providers=providers)
