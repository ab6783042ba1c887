"""Carrying per-source state across a pipeline switch in the worker: each side's
:class:`~movenet_studio.core.frame_result.TrackingState` (crop tracker, keypoint filter, MultiPose
tracks) taken from the running pipeline(s) and handed to the new ones, so a switch of model,
runtime, provider, threads or precision does not reset the tracker; and the switch of head
reading or compare mode that keeps A's pipeline itself (:func:`in_place_pipeline`)."""

from __future__ import annotations

import time
from dataclasses import replace

from ..analysis.compare import ComparePipeline
from ..analysis.compare_frame import CompareFrame
from ..media.sources import Frame
from ..frame_result import FrameResult, TrackingState
from ..pipeline_config import PipelineConfig
from .results import ModelInfo, describe_loaded


def close_quietly(pipeline) -> None:
    """Close `pipeline` (None: nothing), ignoring its errors: it is being replaced or the worker
    is ending, and a runtime failing to free itself must not stop either."""
    if pipeline is not None:
        try:
            pipeline.close()
        except Exception:
            pass


def sides_of(pipeline) -> tuple:
    """(A,) or, in compare mode, (A, B)."""
    return (pipeline.a, pipeline.b) if isinstance(pipeline, ComparePipeline) else (pipeline,)


def tracking_states(pipeline) -> tuple:
    """Each side's :class:`TrackingState` now."""
    return tuple(side.tracking_state() for side in sides_of(pipeline))


def adopt_states(pipeline, states: tuple) -> tuple[str, ...]:
    """Let each side of `pipeline` carry on from `states` (A's first); returns what A restarted."""
    sides = sides_of(pipeline)
    fresh = sides[0].adopt(states[0])
    if len(sides) > 1:
        sides[1].adopt(states[1] if len(states) > 1 else TrackingState())
    return fresh


def rerun_switched(pipeline, frame: Frame, before: tuple
                   ) -> tuple[FrameResult, CompareFrame | None, tuple[str, ...]]:
    """Run a freshly switched `pipeline` on a frame the previous one already processed, from
    the state the previous one had just before it (`before`, one :class:`TrackingState` per
    side): A through :meth:`Pipeline.rerun <movenet_studio.core.pipeline.Pipeline.rerun>` (the
    same crop region, at this model's input size), B, in compare mode, on A's new input. A
    switch of runtime, provider, threads or precision on a paused frame so changes only what
    the switch changes (TFLite and ONNX Runtime agree to about 1e-7 on the same input).

    Returns:
        (A's result, the compare frame or None, what A restarted: see :meth:`Pipeline.adopt
        <movenet_studio.core.pipeline.Pipeline.adopt>`).

    Raises:
        BackendError: a runtime failed on this frame.
    """
    sides = sides_of(pipeline)
    result, fresh = sides[0].rerun(frame, before[0])
    if len(sides) > 1:
        sides[1].adopt(before[1] if len(before) > 1 else TrackingState())
    compare = pipeline.compare(frame, result) if isinstance(pipeline, ComparePipeline) else None
    return result, compare, fresh


def reshown(pipeline, frame: Frame, result: FrameResult) -> tuple[FrameResult, CompareFrame | None]:
    """A's `result` of `frame` as it should be shown again after :func:`in_place_pipeline`:
    with heads read when A reads them now (:meth:`Pipeline.with_heads
    <movenet_studio.core.pipeline.Pipeline.with_heads>`, without running A's pipeline again:
    its keypoints, scores, crop and state stay), and B's compare frame in compare mode.

    Raises:
        BackendError: a runtime failed on this frame.
    """
    a = sides_of(pipeline)[0]
    if a.config.heads != (result.heads is not None):
        result = a.with_heads(frame, result)
    compare = pipeline.compare(frame, result) if isinstance(pipeline, ComparePipeline) else None
    return result, compare


def tracker_note(fresh: tuple[str, ...], frame_index: int | None, model_label: str) -> str:
    """The line the window shows when a switch restarted `fresh` (e.g. ``("crop tracker",)``)."""
    what = " and ".join(fresh)
    where = f" at frame {frame_index}" if frame_index is not None else ""
    return (f"{what[0].upper()}{what[1:]} restarted{where}: {model_label} cannot carry on from "
            "the previous configuration's state")


def in_place_pipeline(pipeline, info: ModelInfo | None, config: PipelineConfig,
                      config_b: PipelineConfig | None, factory) -> tuple | None:
    """Switch head reading and/or compare mode keeping A's pipeline itself (worker thread).

    When `config` differs from the running A only in ``heads``, A is kept with its crop
    region, One Euro filters and tracks (:meth:`Pipeline.set_heads
    <movenet_studio.core.pipeline.Pipeline.set_heads>`); B is kept (also when only its heads
    change), built with `factory` or dropped (and closed). Nothing is reset: a visualisation
    must never change what the model sees.

    Args:
        pipeline: the running Pipeline or ComparePipeline.
        info: the running model's description (None: nothing loaded, a rebuild is needed).
        config, config_b: the requested A and B (None: no compare).
        factory: builds a Pipeline from a config (for a new B).

    Returns:
        (the pipeline to run, its :class:`ModelInfo` with ``kept=True``), or None when the
        request needs a full rebuild.

    Raises:
        Exception: whatever building B raised (the caller reports it); A's heads may have
            been switched already, the running pipeline is otherwise unchanged.
    """
    a = pipeline.a if isinstance(pipeline, ComparePipeline) else pipeline
    if info is None or replace(a.config, heads=config.heads) != config:
        return None
    old_b = pipeline.b if isinstance(pipeline, ComparePipeline) else None
    start = time.perf_counter()
    a.set_heads(config.heads)
    b = old_b if old_b is not None and old_b.config == config_b else None
    if (b is None and old_b is not None and config_b is not None
            and replace(old_b.config, heads=config_b.heads) == config_b):
        old_b.set_heads(config_b.heads)  # B's heads for the head-difference overlays: keep B too
        b = old_b
    if config_b is not None and b is None:
        b = factory(config_b)
    new = a if b is None else pipeline if b is old_b else ComparePipeline.from_pipelines(a, b)
    if old_b is not b:
        close_quietly(old_b)
    load_ms = (time.perf_counter() - start) * 1000
    compare = None if b is None else (info.compare if b is old_b else describe_loaded(b, load_ms))
    return new, replace(describe_loaded(a, info.load_ms), compare=compare, kept=True)
