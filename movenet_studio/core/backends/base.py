"""The Backend protocol, and what every backend shares (:class:`SignatureFromFile`).

A *backend* is this package's adapter for one *runtime* (the inference library: LiteRT /
``ai-edge-litert`` or ``tflite-runtime`` for ``tflite``, ONNX Runtime for ``onnx``). A backend
owns one loaded model and runs it: :meth:`Backend.invoke` takes the model-input image and
returns the model's outputs, dequantised but undecoded; :meth:`Backend.heads` reads the four
prediction heads inside the graph after that run. The registry of backends by name is
:mod:`.registry`; this module knows no concrete backend.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Protocol

import numpy as np

from ..decoding.heads import Heads
from ..models.catalog import ModelSpec
from ..models.signature import ModelSignature
from ..models.graph import read_signature


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
        recognisable MoveNet heads, so :meth:`heads` gives them after an :meth:`invoke` (or
        the file outputs its maps itself, and the decoder reads them from the outputs)."""
        ...

    def invoke(self, image: np.ndarray) -> tuple[np.ndarray, ...]:
        """Run the model.

        Args:
            image: uint8 [H, W, 3] RGB at the model input size (the backend quantises and lays
                it out as the file declares and adds the batch axis).

        Returns:
            The model's outputs, undecoded: float32 (dequantised; NCHW maps moved to NHWC), in
            the order of the file's :attr:`ModelIO.outputs <movenet_studio.core.models.model_io.ModelIO.outputs>`
            (bundled files: their one output, [1, 1, 17, 3] or [1, 6, 56]). The pipeline's
            decoder (:func:`~movenet_studio.core.models.model_io.output_decoder`) turns them
            into keypoints.

        Raises:
            BackendError: the runtime failed.
        """
        ...

    def heads(self) -> Heads | None:
        """The four prediction heads inside the graph, of the last :meth:`invoke`.

        Returns:
            :class:`~movenet_studio.core.decoding.heads.Heads`: float32 maps at stride 4 of the
            model input, S = input size / 4 (centre [S, S] and keypoint heatmaps [S, S, K]
            as probabilities 0..1; regression and offsets [S, S, 2K] in heatmap cells), or
            None when the backend was built with ``heads=False``, the graph has no
            recognisable heads, the file outputs its maps itself (``heads`` / ``heatmaps``
            kinds: the decoder reads them from the outputs), or nothing was invoked yet at
            the current input size.

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
        try:
            return read_signature(Path(self.model.path))
        except Exception:  # noqa: BLE001 - an unreadable signature is shown as unknown
            return None
