"""Carrying per-source state across a pipeline switch in the worker: each side's
:class:`~movenet_studio.core.pipeline.TrackingState` (crop tracker, keypoint filter, MultiPose
tracks) taken from the running pipeline(s) and handed to the new ones, so a switch of model,
runtime, provider, threads or precision does not reset the tracker."""

from __future__ import annotations

from ..analysis.compare import ComparePipeline
from ..analysis.compare_frame import CompareFrame
from ..media.sources import Frame
from ..pipeline import FrameResult, TrackingState


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


def tracker_note(fresh: tuple[str, ...], frame_index: int | None, model_label: str) -> str:
    """The line the window shows when a switch restarted `fresh` (e.g. ``("crop tracker",)``)."""
    what = " and ".join(fresh)
    where = f" at frame {frame_index}" if frame_index is not None else ""
    return (f"{what[0].upper()}{what[1:]} restarted{where}: {model_label} cannot carry on from "
            "the previous configuration's state")
