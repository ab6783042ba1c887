"""What a loaded pipeline runs, in one immutable value (:meth:`.pipeline.Pipeline.describe`).

The one description behind the window's Model info panel (through
:class:`~movenet_studio.core.worker.results.ModelInfo`), the ``compare`` and ``layers``
reports (:meth:`PipelineDescription.to_json`) and the benchmark rows
(:class:`~movenet_studio.core.bench.results.ConfigResult`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .models.catalog import ModelSpec
from .models.signature import ModelSignature
from .pipeline_config import PipelineConfig


@dataclass(frozen=True, slots=True)
class PipelineDescription:
    """One loaded pipeline: its model file, configuration and what runs it.

    Attributes:
        model: the resolved model file and what it is (key, label, path, input size in pixels).
        config: the pipeline configuration as the pipeline runs it now.
        backend: registry name of the backend (``tflite``, ``onnx``).
        device: what runs it, e.g. ``CPU (XNNPACK), 2 threads`` (:attr:`Backend.device`).
        provider: the ONNX Runtime execution provider actually used; None on TFLite.
        note: the backend's one-line note when it did not run as asked (an ONNX provider
            that fell back to CPU), else ``""``.
        runtime_version: runtime name and version, e.g. ``ai-edge-litert 2.0.2``,
            ``onnxruntime 1.22.0``.
        heads_available: the pipeline reads heads and found them in this model's graph;
            False with ``config.heads`` off.
        file_size: model file size in bytes (None when the file cannot be read).
        signature: the inputs, outputs, precision and ops the file declares (None when
            unreadable).
    """

    model: ModelSpec
    config: PipelineConfig
    backend: str
    device: str
    provider: str | None
    note: str
    runtime_version: str
    heads_available: bool
    file_size: int | None
    signature: ModelSignature | None

    def to_json(self) -> dict:
        """The report form (``compare --json`` and ``layers --json`` sides): ``model`` (key),
        ``file`` (name), ``input_size`` ([height, width] pixels), ``backend``, ``device``,
        ``provider`` (None on TFLite) and ``note``."""
        return {
            "model": self.model.key, "file": self.model.path.name, "input_size": list(self.model.input_size),
            "backend": self.backend, "device": self.device, "provider": self.provider, "note": self.note,
        }


def file_size(model: ModelSpec) -> int | None:
    """Size of `model`'s file in bytes; None when it cannot be read."""
    try:
        return model.path.stat().st_size
    except OSError:
        return None
