"""What the inference worker reports: its lifecycle state, the model it runs, each processed frame.

All immutable, handed from the worker thread to whoever displays them (the window's
:class:`~movenet_studio.gui.engine.Engine`). Qt-free.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from ..backends import runtime_version
from ..compare import CompareFrame, ComparePipeline
from ..model_resolve import sniff_signature
from ..models import ModelSignature, ModelSpec
from ..pipeline import FrameResult, PipelineConfig


class EngineState(str, enum.Enum):
    """Lifecycle of the inference worker."""

    STOPPED = "stopped"   #: no worker thread
    RUNNING = "running"   #: the worker serves frames with a loaded model
    FAULTED = "faulted"   #: the worker has no usable model, or its loop died; see the error signal


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """The model the worker runs now.

    Attributes:
        spec: the resolved model file and what it is.
        config: the pipeline configuration it was built with.
        device: what runs it, e.g. ``CPU (XNNPACK), 2 threads``.
        load_ms: time to build the pipeline, in ms.
        heads_available: the pipeline reads heads and found them in this model's graph
            (:attr:`Pipeline.heads_available`); False with ``config.heads`` off.
        note: the backend's note when it did not run as asked (an ONNX provider that fell
            back to CPU), else ``""``.
        runtime: runtime name and version, e.g. ``ai-edge-litert 2.0.2``, ``onnxruntime 1.22.0``.
        provider: the ONNX Runtime execution provider actually used (None on TFLite).
        file_size: model file size in bytes (None when unknown).
        signature: the inputs/outputs/precision the file declares (None when unreadable).
        compare: configuration B's model while compare mode is on, else None.
        kept: A's pipeline was kept, with its crop region, filters and tracks: only head
            reading or compare mode changed (:meth:`~movenet_studio.gui.engine.Engine.update_config` with ``heads``,
            :meth:`~movenet_studio.gui.engine.Engine.request_compare`), so nothing was reloaded for A.
    """

    spec: ModelSpec
    config: PipelineConfig
    device: str
    load_ms: float
    heads_available: bool = False
    note: str = ""
    runtime: str = ""
    provider: str | None = None
    file_size: int | None = None
    signature: ModelSignature | None = None
    compare: "ModelInfo | None" = None
    kept: bool = False


@dataclass(frozen=True, slots=True)
class EngineResult:
    """One processed frame as the GUI receives it (immutable).

    Attributes:
        result: the pipeline's result (frame, poses, stage timings).
        frame_id: id given to the frame by :meth:`InferenceWorker.submit <movenet_studio.core.worker.loop.InferenceWorker.submit>` (monotonic).
        generation: the generation the frame was submitted under.
        processed: frames processed by the worker so far, this one included.
        dropped: frames replaced in the mailbox before the worker took them, so far.
        stale: frames and results discarded as older than the current generation, so far.
        finished_at: ``time.perf_counter()`` when the result was ready.
        latency_ms: from :meth:`InferenceWorker.submit <movenet_studio.core.worker.loop.InferenceWorker.submit>` to the result being ready, in ms.
        model: the model that produced it (``model.compare``: B's, in compare mode).
        compare: A and B on this frame in compare mode (``result`` is then ``compare.a``),
            else None.
    """

    result: FrameResult
    frame_id: int
    generation: int
    processed: int
    dropped: int
    stale: int
    finished_at: float
    latency_ms: float
    model: ModelInfo
    compare: CompareFrame | None = None


def describe_loaded(pipeline, config: PipelineConfig, load_ms: float) -> ModelInfo:
    """The :class:`ModelInfo` of a loaded pipeline (worker thread: reads the model file's
    signature and size). Never raises for a missing signature or file size."""
    spec, backend = pipeline.model, pipeline.backend
    try:
        size = spec.path.stat().st_size
    except (OSError, AttributeError):
        size = None
    try:
        signature = sniff_signature(spec.path)
    except Exception:
        signature = None
    return ModelInfo(spec, config, getattr(backend, "device", ""), load_ms,
                     bool(getattr(pipeline, "heads_available", False)), note=getattr(backend, "note", "") or "",
                     runtime=runtime_version(getattr(backend, "name", config.backend)),
                     provider=getattr(backend, "provider", None), file_size=size, signature=signature)


def refreshed_model(info: ModelInfo | None, pipeline) -> ModelInfo | None:
    """`info` with the backends' note, device and provider as they are now, or None when
    nothing changed (a backend changes device only on its first run after a load: an ONNX
    provider that failed and was replaced by CPU, with a note).

    Args:
        info: the model as last announced (None: nothing to refresh).
        pipeline: the running :class:`~movenet_studio.core.pipeline.Pipeline` or
            :class:`~movenet_studio.core.compare.ComparePipeline` (then ``info.compare`` is B's).
    """
    if info is None:
        return None
    compare = isinstance(pipeline, ComparePipeline)
    sides = ((pipeline.a, info), (pipeline.b, info.compare)) if compare else ((pipeline, info),)
    fresh = []
    for side, old in sides:
        note, device = getattr(side.backend, "note", "") or "", getattr(side.backend, "device", "")
        if old is not None and (note != old.note or device != old.device):
            old = replace(old, note=note, device=device, provider=getattr(side.backend, "provider", None))
        fresh.append(old)
    if all(new is old for new, (_, old) in zip(fresh, sides)):
        return None
    return replace(fresh[0], compare=fresh[1]) if compare else fresh[0]
