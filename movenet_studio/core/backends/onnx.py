"""ONNX Runtime backend: CPU always, accelerated execution providers when installed."""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import BackendError
from ..models import ModelSpec

CPU = "CPUExecutionProvider"
#: Preference order when no provider is asked for (first available wins; CPU is the fallback).
PREFERRED_PROVIDERS = ("CUDAExecutionProvider", "OpenVINOExecutionProvider", "CoreMLExecutionProvider",
                       "DmlExecutionProvider", CPU)
_ORT_DTYPES = {"tensor(uint8)": np.uint8, "tensor(int32)": np.int32, "tensor(float)": np.float32}


def _ort():
    try:
        import onnxruntime
    except ImportError:
        raise BackendError("ONNX Runtime is not installed: pip install onnxruntime") from None
    return onnxruntime


def available_providers() -> tuple[str, ...]:
    """Execution providers this onnxruntime build lists (CPU always among them).

    Listed is not the same as usable: a provider can still fail to start (no driver, no
    device); :class:`OnnxBackend` then falls back to CPU and says so in :attr:`OnnxBackend.note`.
    """
    ort = _ort()
    return tuple(p for p in ort.get_available_providers() if p != "AzureExecutionProvider")


def runtime_version() -> str:
    """``onnxruntime X.Y.Z``, or ``none``."""
    try:
        return f"onnxruntime {_ort().__version__}"
    except BackendError:
        return "none"


class OnnxBackend:
    """Runs a MoveNet .onnx file with ONNX Runtime.

    Args:
        model: an ONNX MoveNet model (NHWC image input of uint8, int32 or float32).
        threads: ``intra_op_num_threads``.
        heads: also output the four prediction heads (see :meth:`heads`).
        provider: execution provider to use (e.g. ``CUDAExecutionProvider``), or None for
            the first available of :data:`PREFERRED_PROVIDERS`. When it is not available or
            fails to start the session runs on CPU and :attr:`note` explains why.

    Attributes:
        provider: the provider actually running the model.
        note: a user-facing note when the asked-for provider was not used, else ``""``.

    Raises:
        BackendError: onnxruntime missing, or the model fails to load even on CPU.
    """

    name = "onnx"

    def __init__(self, model: ModelSpec, *, threads: int = 2, heads: bool = False, provider: str | None = None):
        ort = _ort()
        self.model = model
        self.threads = threads
        self.heads_enabled = heads
        self.note = ""
        available = available_providers()
        wanted = provider or next(p for p in PREFERRED_PROVIDERS if p in available or p == CPU)
        if wanted not in available:
            self.note = f"{wanted} is not available in this onnxruntime build ({', '.join(available)}); running on CPU"
            wanted = CPU
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        model_bytes = self._model_bytes()
        self._session = None
        for providers in ([wanted, CPU] if wanted != CPU else [CPU], [CPU]):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    self._session = ort.InferenceSession(model_bytes, sess_options=options, providers=providers)
                break
            except Exception as exc:
                if providers == [CPU]:
                    raise BackendError(f"{model.path.name}: ONNX Runtime could not load it ({_first_line(exc)})") from None
                self.note = f"{wanted} failed to start ({_first_line(exc)}); running on CPU"
        self.provider = self._session.get_providers()[0]
        if provider and provider != CPU and self.provider != provider and not self.note:
            self.note = f"{provider} could not run this model; running on {self.provider}"
        image = self._session.get_inputs()[0]
        if image.type not in _ORT_DTYPES:
            raise BackendError(f"{model.path.name}: unsupported input type {image.type}")
        self._input_name = image.name
        self._input_dtype = _ORT_DTYPES[image.type]
        self._output_name = self._session.get_outputs()[0].name
        self.device = f"{self.provider}, {threads} thread{'s' if threads > 1 else ''}"

    def _model_bytes(self) -> bytes:
        return self.model.path.read_bytes()

    def invoke(self, image: np.ndarray) -> np.ndarray:
        """See :meth:`~movenet_studio.core.backends.base.Backend.invoke`."""
        tensor = image[np.newaxis].astype(self._input_dtype, copy=False)
        try:
            outputs = self._session.run([self._output_name], {self._input_name: tensor})
        except Exception as exc:
            raise BackendError(f"ONNX Runtime run failed: {_first_line(exc)}") from None
        return outputs[0].astype(np.float32, copy=False)

    def close(self) -> None:
        """Drop the session."""
        self._session = None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
