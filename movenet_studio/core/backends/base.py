"""The Backend protocol and the registry of backends.

A *backend* is this package's adapter for one *runtime* (the inference library: LiteRT /
``ai-edge-litert`` or ``tflite-runtime`` for ``tflite``, ONNX Runtime for ``onnx``). A backend
owns one loaded model and runs it: :meth:`Backend.invoke` takes the model-input image and
returns the model's raw output; :meth:`Backend.heads` reads the four prediction heads of that
run. Backends register a factory under a name (``tflite``, ``onnx``); tests may register fakes,
which must implement the whole protocol.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from ..errors import BackendError
from ..decoding.heads import Heads
from ..models.catalog import ModelSignature, ModelSpec


class Backend(Protocol):
    """One model loaded in one runtime (every member is required; nothing is probed).

    Attributes:
        name: registry name of the backend (``tflite``, ``onnx``).
        device: what actually runs it, e.g. ``CPU (XNNPACK), 2 threads`` or
            ``CPUExecutionProvider, 2 threads``. May change after the first :meth:`invoke`
            (an ONNX provider that fails on its first run is replaced by CPU).
        model: the model this backend runs.
        provider: the ONNX Runtime execution provider actually running the model (e.g.
            ``CPUExecutionProvider``); None for runtimes without execution providers (TFLite).
        note: one user-facing line when the backend does not run as asked (an ONNX provider
            that is not available or fell back to CPU), else ``""``.
    """

    name: str
    device: str
    model: ModelSpec
    provider: str | None
    note: str

    @property
    def runtime_version(self) -> str:
        """Name and version of the runtime library, e.g. ``ai-edge-litert 2.0.2`` or
        ``onnxruntime 1.22.0`` (``?`` for an unknown version)."""
        ...

    @property
    def signature(self) -> ModelSignature | None:
        """What the loaded file declares: inputs and outputs (names, shapes, dtypes,
        quantisation scale and zero point), weight precision, op counts and custom ops.
        Read from the file once, on first use; None when it cannot be parsed (never raises)."""
        ...

    @property
    def heads_available(self) -> bool:
        """True when the backend was built with ``heads=True`` and this graph has
        recognisable MoveNet heads (or the file outputs its maps itself), so :meth:`heads`
        gives them after an :meth:`invoke`."""
        ...

    def invoke(self, image: np.ndarray) -> np.ndarray:
        """Run the model.

        Args:
            image: uint8 [H, W, 3] RGB at the model input size (the backend casts to the
                model's input dtype and adds the batch axis).

        Returns:
            float32 raw output: [1, 1, K, 3] (single-pose; K = 17 or 13; (y, x, score),
            y and x normalised to the model input) or [1, 6, 56] (MultiPose).

        Raises:
            BackendError: the runtime failed.
        """
        ...

    def heads(self) -> Heads | None:
        """The four prediction heads of the last :meth:`invoke`.

        Returns:
            :class:`~movenet_studio.core.decoding.heads.Heads`: float32 maps at stride 4 of the
            model input, S = input size / 4 (centre [S, S] and keypoint heatmaps [S, S, K]
            as probabilities 0..1; regression and offsets [S, S, 2K] in heatmap cells;
            heatmap-only files have no centre, regression or offsets), or None when the
            backend was built with ``heads=False``, the graph has no recognisable heads, or
            nothing was invoked yet at the current input size.

        Raises:
            BackendError: reading the head tensors failed.
        """
        ...

    def close(self) -> None:
        """Release the runtime's resources."""
        ...


class SignatureFromFile:
    """What both backends share: :attr:`Backend.signature` read from ``self.model``'s file once,
    on first use (not at load: a bench's peak-memory figure must not include the parse)."""

    model: ModelSpec

    @cached_property
    def signature(self) -> ModelSignature | None:
        """The signature the model file declares (:func:`~movenet_studio.core.models.graph.read_signature`;
        the one already read when the file was resolved, if any); None when the file cannot be
        parsed. Never raises: a description must not fail on it."""
        if self.model.io is not None:
            return self.model.io.signature
        from ..models.graph import read_signature

        try:
            return read_signature(Path(self.model.path))
        except Exception:  # noqa: BLE001 - an unreadable signature is shown as unknown
            return None


BackendFactory = Callable[..., Backend]
BACKENDS: dict[str, BackendFactory] = {}


def register_backend(name: str, factory: BackendFactory) -> None:
    """Register `factory(model, threads=..., heads=..., provider=...)` under `name`."""
    BACKENDS[name] = factory


def _ensure_builtin() -> None:
    if "tflite" not in BACKENDS:
        from . import tflite

        register_backend("tflite", tflite.TFLiteBackend)
    if "onnx" not in BACKENDS:
        from . import onnx

        register_backend("onnx", onnx.OnnxBackend)


def runtime_version(backend: str) -> str:
    """Name and version of runtime `backend` (``tflite``, ``onnx``), e.g. ``onnxruntime 1.22.0``.

    Returns `backend` itself for other names, and ``none`` when the runtime is not installed;
    never raises (a broken runtime install must not break describing a model).
    """
    try:
        if backend == "onnx":
            from .onnx import runtime_version as version
        elif backend == "tflite":
            from .tflite import runtime_version as version
        else:
            return backend
        return version()
    except Exception:
        return backend


def available_providers() -> tuple[str, ...]:
    """ONNX Runtime execution providers this install lists; empty when onnxruntime is missing.

    Listed is not the same as usable: a provider can still fail to start, and the ONNX
    backend then falls back to CPU with a note.
    """
    try:
        from .onnx import available_providers as listed

        return listed()
    except Exception:
        return ()


def normalize_provider(name: str | None) -> str | None:
    """The ONNX Runtime provider name for `name` (``cuda`` -> ``CUDAExecutionProvider``);
    None and ``""`` give None (the best available). See :func:`.onnx.normalize_provider`."""
    from .onnx import normalize_provider as normalize

    return normalize(name)


def available_backends() -> tuple[str, ...]:
    """Names of the registered backends."""
    _ensure_builtin()
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
    _ensure_builtin()
    name = backend or model.format
    if name not in BACKENDS:
        raise BackendError(f"unknown backend '{name}'; available: {', '.join(BACKENDS)}")
    if model.format != name and name in ("tflite", "onnx"):
        raise BackendError(f"{model.path.name} is a {model.format} file; the {name} backend cannot run it")
    return BACKENDS[name](model, threads=max(1, int(threads)), heads=heads, provider=provider)
