"""``infer``'s run (also each source of ``batch``): a :class:`~movenet_studio.core.stream.StreamRequest`
through the stream loop into its sinks (results JSON, heads NPZ, an annotated video, failure
events), with per-stage timings, resident memory, the trajectory's jitter and a live feed's
figures."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..analysis.events import EventDetector, EventOptions, FramePoses
from ..analysis.jitter import jitter_summary_json, measure_jitter
from ..analysis.process_resources import ResourceMonitor
from ..analysis.trajectories import TrajectoryRecorder
from ..drawing.overlay_options import OverlayOptions
from ..errors import StudioError
from ..media.live import BoundedLive
from ..media.sources import ImageFolderSource, ImageSource, Source
from ..pipeline import Pipeline
from ..stream import Stream, StreamRequest
from ..tracking.smoothing import one_euro_values
from .export import export_video
from .heads_npz import HeadsNpzWriter
from .results_json import ResultsWriter

#: The overlays of ``export``'s default video (also a batch run's ``--video``).
DEFAULT_OVERLAYS = "skeleton,keypoints,boxes,ids,classification"


@dataclass(frozen=True, slots=True)
class InferRequest:
    """One ``infer`` run (or one source of a batch).

    Attributes:
        stream: the source, pipeline, frame limits and live options.
        json: write every frame's poses there (the results JSON), or None.
        heads_npz: write every frame's heads there, or None (``stream.config.heads`` must be set).
        video: also write the annotated video there in the same pass (``export``'s default
            overlays); ``max_frames`` and ``loop`` are then ignored.
        events: find failure events with these options, or None.
        display_source: the source as written to the JSON (a URL's credentials hidden).
    """

    stream: StreamRequest
    json: Path | None = None
    heads_npz: Path | None = None
    video: Path | None = None
    events: EventOptions | None = None
    display_source: str | None = None


@dataclass
class InferRun:
    """What :func:`run_infer` did.

    Attributes:
        frames: frames processed.
        timings: per-stage wall times in ms, one list entry per frame (keys of ``timings_ms``).
        skipped: frames the source passed over as undecodable.
        pipeline: the (closed) pipeline: its model and backend describe the run.
        memory: resident memory measured over the run.
        classifier: the classification stage, or None.
        jitter: per-keypoint jitter of the run (:func:`~movenet_studio.core.analysis.jitter.measure_jitter`).
        events: the failure events found (:mod:`~movenet_studio.core.analysis.events`), None
            without ``events``.
        live: a live source's figures (:func:`live_summary`), None for files.
    """

    frames: int
    timings: dict[str, list[float]]
    skipped: int
    pipeline: Pipeline
    memory: ResourceMonitor
    classifier: object | None
    jitter: dict
    events: list | None = None
    live: dict | None = None


def live_summary(source: Source, latencies_ms: list[float] | None = None) -> dict | None:
    """``live`` figures of a run (frames, drops, reconnects, events, failure, capture-to-result
    latency p50/p95/max ms), or None for a file source."""
    import numpy as np

    if not isinstance(source, BoundedLive):
        return None
    summary = source.summary()
    if latencies_ms:
        values = np.asarray(latencies_ms)
        summary["capture_to_result_ms"] = {"p50": round(float(np.percentile(values, 50)), 2),
                                           "p95": round(float(np.percentile(values, 95)), 2),
                                           "max": round(float(values.max()), 2), "frames": len(latencies_ms)}
    return summary


def run_infer(request: InferRequest, on_frame: Callable[[int], None] | None = None) -> InferRun:
    """Run `request`: its stream into the results JSON, heads NPZ, video and event sinks.

    Args:
        request: what to run.
        on_frame: called with the count of frames processed so far after each frame.

    Raises:
        StudioError: the source, the model, the classifier or an output cannot be used (no
            file is left under an output name).
    """
    timings: dict[str, list[float]] = {}
    latencies: list[float] = []  # live sources: capture-to-result, ms
    with Stream(request.stream, limit=request.stream.max_frames if request.video is None else None) as stream:
        source, pipeline, classifier = stream.source, stream.pipeline, stream.classifier
        if request.heads_npz and not pipeline.heads_available:
            raise StudioError(f"{pipeline.model.path.name}: heads are not available for this model "
                              "(no recognisable MoveNet head tensors in its graph)")
        results = ResultsWriter(request.json, source=request.display_source or request.stream.source,
                                model=pipeline.model, backend=pipeline.backend,
                                preprocess=pipeline.config.preprocess.to_json()) if request.json else None
        writers = [w for w in (results, HeadsNpzWriter(request.heads_npz) if request.heads_npz else None)
                   if w is not None]
        memory = ResourceMonitor()
        stills = isinstance(getattr(source, "source", source), (ImageSource, ImageFolderSource))  # photos
        trajectory = TrajectoryRecorder(source.frame_count, source.is_live, pipeline.keypoint_names, stills)
        detector = EventDetector(pipeline.keypoint_names, request.events) if request.events is not None else None
        events: list = []
        detected_generation = [0]

        def add(result) -> None:
            if result.captured_s is not None:
                latencies.append((time.monotonic() - result.captured_s) * 1000.0)
            for key, value in result.timings_ms.items():
                timings.setdefault(key, []).append(value)
            for writer in writers:
                writer.add(result)
            trajectory.add(result, stream.generation)
            if detector is not None:
                if stills or detected_generation[0] != stream.generation:  # photos are independent; a loop restarts
                    detector.restart()
                    detected_generation[0] = stream.generation
                events.extend(detector.push(FramePoses(result.index, [(p.track_id, p.keypoints) for p in result.poses],
                                                       (result.frame.shape[1], result.frame.shape[0]))))
            memory.frame_done(len(timings["total"]))
            if on_frame is not None:
                on_frame(len(timings["total"]))

        if request.video is None:
            stream.run([_FunctionSink(add)])
        else:
            export_video(source, pipeline, request.video, OverlayOptions.from_names(DEFAULT_OVERLAYS), force=True,
                         on_result=add)
        if results is not None and classifier is not None:
            results.set_summary("classification", classifier.summary())
        jitter = measure_jitter(trajectory.snapshot())
        live = live_summary(source, latencies)
        if results is not None and live is not None:
            results.set_summary("live", live)
        if results is not None:
            results.set_summary("smoothing", smoothing_json(pipeline))
            results.set_summary("jitter", jitter_summary_json(jitter))
            if detector is not None:
                results.set_summary("events", [e.to_json() for e in events])
        for writer in writers:
            writer.close()
        stream.pipeline.close()
        skipped = source.skipped_frames
    return InferRun(len(timings.get("total", ())), timings, skipped, pipeline, memory, classifier, jitter,
                    events if detector is not None else None, live)


class _FunctionSink:
    """A sink that calls a function with each result."""

    def __init__(self, add: Callable[[object], None]) -> None:
        self.add = add


def smoothing_json(pipeline: Pipeline) -> dict:
    """``summary.smoothing``: whether the One Euro filter ran and its tunable parameters."""
    return {"enabled": bool(pipeline.config.smoothing), **one_euro_values(pipeline.config.one_euro)}
