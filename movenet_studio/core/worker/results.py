"""What the inference worker reports: its lifecycle state, the model it runs, each processed frame.

All immutable, handed from the worker thread to whoever displays them (the window's
:class:`~movenet_studio.gui.engine.Engine`). Qt-free.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from ..analysis.compare import ComparePipeline
from ..analysis.compare_frame import CompareFrame
from ..models.catalog import ModelSpec
from ..models.signature import ModelSignature
from ..frame_result import FrameResult
from ..pipeline_config import PipelineConfig
from ..pipeline_description import PipelineDescription


class EngineState(str, enum.Enum):
    """Lifecycle of the inference worker."""

    STOPPED = "stopped"   #: no worker thread
    RUNNING = "running"   #: the worker serves frames with a loaded model
    FAULTED = "faulted"   #: the worker has no usable model, or its loop died; see the error signal


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """The model the worker runs now: the pipeline's description and how it was loaded.

    Attributes:
        description: what the pipeline runs (:meth:`Pipeline.describe
            <movenet_studio.core.pipeline.Pipeline.describe>`); its fields are also readable
            here (``spec`` is its ``model``).
        load_ms: time to build the pipeline, in ms.
        compare: configuration B's model while compare mode is on, else None.
        kept: A's pipeline was kept, with its crop region, filters and tracks: only head
            reading or compare mode changed (:meth:`~movenet_studio.gui.engine.Engine.update_config` with ``heads``,
            :meth:`~movenet_studio.gui.engine.Engine.request_compare`), so nothing was reloaded for A.
    """

    description: PipelineDescription
    load_ms: float
    compare: "ModelInfo | None" = None
    kept: bool = False

    @property
    def spec(self) -> ModelSpec:
        """The resolved model file and what it is."""
        return self.description.model

    @property
    def config(self) -> PipelineConfig:
        """The pipeline configuration it was built with."""
        return self.description.config

    @property
    def device(self) -> str:
        """What runs it, e.g. ``CPU (XNNPACK), 2 threads``."""
        return self.description.device

    @property
    def heads_available(self) -> bool:
        """The pipeline reads heads and found them in this model's graph."""
        return self.description.heads_available

    @property
    def note(self) -> str:
        """The backend's note when it did not run as asked, else ``""``."""
        return self.description.note

    @property
    def runtime_version(self) -> str:
        """Runtime name and version, e.g. ``ai-edge-litert 2.0.2``."""
        return self.description.runtime_version

    @property
    def provider(self) -> str | None:
        """The ONNX Runtime execution provider actually used (None on TFLite)."""
        return self.description.provider

    @property
    def file_size(self) -> int | None:
        """Model file size in bytes (None when unknown)."""
        return self.description.file_size

    @property
    def signature(self) -> ModelSignature | None:
        """The inputs/outputs/precision the file declares (None when unreadable)."""
        return self.description.signature


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
        capture_to_result_ms: live sources: from the frame's capture (the source's own
            timestamps where it has them, :attr:`~..frame_result.FrameResult.captured_s`) to the
            result being ready, in ms; None for files.
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
    capture_to_result_ms: float | None = None


def describe_loaded(pipeline, load_ms: float) -> ModelInfo:
    """The :class:`ModelInfo` of a pipeline just loaded in `load_ms` ms (worker thread: reads
    the model file's signature and size; never raises for a missing signature or file); for a
    ComparePipeline, A's with B's as ``compare``."""
    if isinstance(pipeline, ComparePipeline):
        return replace(describe_loaded(pipeline.a, load_ms), compare=describe_loaded(pipeline.b, load_ms))
    return ModelInfo(pipeline.describe(), load_ms)


def refreshed_model(info: ModelInfo | None, pipeline) -> ModelInfo | None:
    """`info` with the backends' note, device and provider as they are now, or None when
    nothing changed (a backend changes device only on its first run after a load: an ONNX
    provider that failed and was replaced by CPU, with a note).

    Args:
        info: the model as last announced (None: nothing to refresh).
        pipeline: the running :class:`~movenet_studio.core.pipeline.Pipeline` or
            :class:`~movenet_studio.core.analysis.compare.ComparePipeline` (then ``info.compare`` is B's).
    """
    if info is None:
        return None
    compare = isinstance(pipeline, ComparePipeline)
    sides = ((pipeline.a, info), (pipeline.b, info.compare)) if compare else ((pipeline, info),)
    fresh = []
    for side, old in sides:
        backend = side.backend
        if old is not None and (backend.note != old.note or backend.device != old.device):
            old = replace(old, description=replace(old.description, note=backend.note, device=backend.device,
                                                   provider=backend.provider))
        fresh.append(old)
    if all(new is old for new, (_, old) in zip(fresh, sides)):
        return None
    return replace(fresh[0], compare=fresh[1]) if compare else fresh[0]
