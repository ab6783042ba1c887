"""The registry of backends by name (``tflite``, ``onnx``) and what the window and command line
ask of runtimes without loading a model: versions, ONNX Runtime's execution providers, the
default backend for a model file.

Tests may register fakes (:func:`register_backend`), which must implement the whole
:class:`~.base.Backend` protocol.
"""

from __future__ import annotations

from typing import Callable

from ..errors import BackendError
from ..models.catalog import ModelSpec
from ..runtimes import litert, ort
from ..runtimes.ort import normalize_provider
from .base import Backend
from .onnx import OnnxBackend
from .tflite import TFLiteBackend

BackendFactory = Callable[..., Backend]
#: Backend factories by name: `factory(model, threads=..., heads=..., provider=...)`.
BACKENDS: dict[str, BackendFactory] = {"tflite": TFLiteBackend, "onnx": OnnxBackend}
_RUNTIME_VERSIONS = {"tflite": litert.version, "onnx": ort.version}

__all__ = ["BACKENDS", "BackendFactory", "available_backends", "available_providers", "create_backend",
           "default_backend", "normalize_provider", "register_backend", "runtime_version"]


def register_backend(name: str, factory: BackendFactory) -> None:
    """Register `factory(model, threads=..., heads=..., provider=...)` under `name`."""
    BACKENDS[name] = factory


def runtime_version(backend: str) -> str:
    """Name and version of runtime `backend` (``tflite``, ``onnx``), e.g. ``onnxruntime 1.22.0``.

    Returns `backend` itself for other names, and ``none`` when the runtime is not installed;
    never raises (a broken runtime install must not break describing a model).
    """
    version = _RUNTIME_VERSIONS.get(backend)
    if version is None:
        return backend
    try:
        return version()
    except Exception:  # noqa: BLE001 - see the docstring
        return backend


def available_providers() -> tuple[str, ...]:
    """ONNX Runtime execution providers this install lists; empty when onnxruntime is missing.

    Listed is not the same as usable: a provider can still fail to start, and the ONNX
    backend then falls back to CPU with a note.
    """
    try:
        return ort.available_providers()
    except Exception:  # noqa: BLE001 - missing or broken onnxruntime: no providers
        return ()


def available_backends() -> tuple[str, ...]:
    """Names of the registered backends."""
    return tuple(BACKENDS)


def default_backend(model: object) -> str:
    """The runtime for `model` (a catalog key or a model file) when none is named: ``onnx``
    for an ``.onnx`` file, else ``tflite``. The CLI and the window share this rule."""
    return "onnx" if model and str(model).lower().endswith(".onnx") else "tflite"


def create_backend(model: ModelSpec, backend: str | None = None, *, threads: int = 2,
                   heads: bool = False, provider: str | None = None) -> Backend:
    """Load `model` in runtime `backend` (default: the model file's own format).

    Args:
        model: the model to load.
        backend: registry name; must match the model file's format.
        threads: CPU threads for the runtime (>= 1).
        heads: also expose the four prediction-head tensors after each invoke.
        provider: ONNX Runtime execution provider name, or None for the best available.

    Raises:
        BackendError: unknown backend, runtime missing, or the model fails to load.
    """
    name = backend or model.format
    if name not in BACKENDS:
        raise BackendError(f"unknown backend '{name}'; available: {', '.join(BACKENDS)}")
    if model.format != name and name in ("tflite", "onnx"):
        raise BackendError(f"{model.path.name} is a {model.format} file; the {name} backend cannot run it")
    return BACKENDS[name](model, threads=max(1, int(threads)), heads=heads, provider=provider)
