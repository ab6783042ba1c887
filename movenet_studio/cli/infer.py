"""``movenet-studio infer SOURCE``: run the pipeline headless, print timings, write JSON."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..core.errors import StudioError
from ..core.output.export import export_video
from ..core.output.heads_npz import HeadsNpzWriter
from ..core.analysis.jitter import jitter_summary_json, measure_jitter
from ..core.pipeline import STAGES, Pipeline
from ..core.output.results_json import ResultsWriter
from ..core.media.prefetch import PrefetchSource
from ..core.drawing.overlay_options import OverlayOptions
from ..core.analysis.process_resources import WARM_UP_FRAMES, ResourceMonitor
from ..core.tracking.smoothing import one_euro_values
from ..core.media.sources import ImageFolderSource, ImageSource
from ..core.analysis.trajectories import TrajectoryRecorder
from ..core.analysis.events import EventDetector, FramePoses
from .classifier_options import attach_classifier, check_classifier_args, classifier_from_args, summary_line
from .events import add_event_options, event_options_from_args, format_events
from .export import DEFAULT_OVERLAYS
from .live_options import SOURCE_HELP, display_source, add_live_options, finish_live, live_summary, open_run_source
from .options import add_infer_options, config_from_args, positive_int


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "infer", help="run a model on a source headless and write keypoints as JSON",
        description="Run MoveNet on SOURCE without a window: print a per-stage timing summary "
                    "and optionally write every frame's poses as JSON (format: docs/reference/formats.md).")
    parser.add_argument("source", metavar="SOURCE", help=SOURCE_HELP)
    add_infer_options(parser)
    parser.add_argument("--max-frames", type=positive_int, metavar="N", help="stop after N frames")
    add_live_options(parser)
    parser.add_argument("--json", type=Path, metavar="PATH", help="write poses of every frame to PATH")
    parser.add_argument("--loop", action="store_true",
                        help="start the video or folder again at its end (soak runs; stop with --max-frames or Ctrl-C)")
    parser.add_argument("--heads-npz", type=Path, metavar="PATH",
                        help="write every frame's prediction heads and the model's own output to PATH (.npz; format: docs/reference/formats.md)")
    parser.add_argument("--events", action="store_true",
                        help="find left/right swaps, person switches and keypoints outside the frame per track; "
                             "listed after the run and stored in --json's summary.events")
    add_event_options(parser)
    parser.set_defaults(run=run, parser=parser)


@dataclass
class InferRun:
    """What :func:`infer_source` did.

    Attributes:
        frames: frames processed.
        timings: per-stage wall times in ms, one list entry per frame (keys of ``timings_ms``).
        skipped: frames the source passed over as undecodable.
        pipeline: the (closed) pipeline: its model and backend describe the run.
        memory: resident memory measured over the run.
        classifier: the classification stage, or None.
        jitter: per-keypoint jitter of the run (:func:`~movenet_studio.core.analysis.jitter.measure_jitter`).
        events: the failure events found (:mod:`~movenet_studio.core.analysis.events`), None
            without ``args.events``.
        live: a live source's figures (:func:`~.live_options.live_summary`: drops, reconnects,
            capture-to-result latency, the failure that ended it), None for files.
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


def infer_source(args: argparse.Namespace, video: Path | None = None,
                 on_frame: Callable[[int], None] | None = None) -> InferRun:
    """Run the pipeline over ``args.source`` and write ``args.json`` / ``args.heads_npz``.

    The code path of ``infer``; ``batch`` runs it on every source of a batch. `args` holds
    the options of :func:`~.options.add_infer_options` plus ``source``, ``json``,
    ``heads_npz``, ``loop`` and ``max_frames``.

    Args:
        args: parsed options (usage already checked).
        video: also write the annotated video there in the same pass (``export``'s default
            overlays and writer, :func:`~movenet_studio.core.output.export.export_video`);
            ``loop`` and ``max_frames`` are then ignored.
        on_frame: called with the count of frames processed so far after each frame.

    Raises:
        StudioError: the source, the model, the classifier or an output cannot be used (no
            file is left under an output name).
    """
    timings: dict[str, list[float]] = {}
    latencies: list[float] = []  # live sources: capture-to-result, ms
    classifier = classifier_from_args(args)  # before the source: a bad classifier fails fast
    opened = open_run_source(args, args.max_frames if video is None else None)  # fails before the model loads
    with opened if opened.is_live else PrefetchSource(opened) as source:  # a live source reads on its own thread
        photo = isinstance(getattr(source, "source", source), ImageSource)  # one crop: numba is not worth loading
        pipeline = Pipeline(config_from_args(args, heads=args.heads_npz is not None),  # a live feed's frames
                            crop_kernel="off" if photo else "now")  # meanwhile are dropped (newest wins)
        if args.heads_npz and not pipeline.heads_available:
            pipeline.close()
            raise StudioError(f"{pipeline.model.path.name}: heads are not available for this model "
                              "(no recognisable MoveNet head tensors in its graph)")
        attach_classifier(pipeline, classifier)
        results = ResultsWriter(args.json, source=args.source, model=pipeline.model, backend=pipeline.backend,
                                preprocess=pipeline.config.preprocess.to_json()) if args.json else None
        writers = [w for w in (results, HeadsNpzWriter(args.heads_npz) if args.heads_npz else None) if w is not None]
        memory = ResourceMonitor()
        stills = isinstance(getattr(source, "source", source), (ImageSource, ImageFolderSource))  # photos
        trajectory = TrajectoryRecorder(source.frame_count, source.is_live, pipeline.keypoint_names, stills)
        generation = [0]  # a loop restart resets the pipeline: a new run of the trajectory
        detector = EventDetector(pipeline.keypoint_names, event_options_from_args(args)) \
            if getattr(args, "events", False) else None
        events: list = []
        detected_generation = [0]

        def add(result) -> None:
            if result.captured_s is not None:
                latencies.append((time.monotonic() - result.captured_s) * 1000.0)
            for key, value in result.timings_ms.items():
                timings.setdefault(key, []).append(value)
            for writer in writers:
                writer.add(result)
            trajectory.add(result, generation[0])
            if detector is not None:
                if stills or detected_generation[0] != generation[0]:  # photos are independent; a loop restarts
                    detector.restart()
                    detected_generation[0] = generation[0]
                events.extend(detector.push(FramePoses(result.index, [(p.track_id, p.keypoints) for p in result.poses],
                                                       (result.frame.shape[1], result.frame.shape[0]))))
            memory.frame_done(len(timings["total"]))
            if on_frame is not None:
                on_frame(len(timings["total"]))

        try:
            if video is None:
                _run_frames(args, source, pipeline, add, generation)
            else:
                export_video(source, pipeline, video, OverlayOptions.from_names(DEFAULT_OVERLAYS), force=True,
                             on_result=add)
            if results is not None and classifier is not None:
                results.set_summary("classification", classifier.summary())
            jitter = measure_jitter(trajectory.snapshot())
            live = live_summary(source, latencies)
            if results is not None and live is not None:
                results.set_summary("live", live)
            if results is not None:
                results.set_summary("smoothing", _smoothing_json(pipeline))
                results.set_summary("jitter", jitter_summary_json(jitter))
                if detector is not None:
                    results.set_summary("events", [e.to_json() for e in events])
            for writer in writers:
                writer.close()
        finally:
            pipeline.close()
        skipped = source.skipped_frames
    return InferRun(len(timings.get("total", ())), timings, skipped, pipeline, memory, classifier, jitter,
                    events if detector is not None else None, live)


def _run_frames(args: argparse.Namespace, source, pipeline: Pipeline, add, generation: list[int]) -> None:
    """``infer``'s loop: every frame of `source` through `pipeline` into `add`, with --loop and --max-frames."""
    count = 0
    while True:
        frame = source.read()
        if frame is None:
            if not args.loop or source.is_live or count == 0:
                break
            source.seek(0)
            pipeline.reset()
            generation[0] += 1
            continue
        add(pipeline.process(frame))
        count += 1
        if args.max_frames and count >= args.max_frames:
            break


def run(args: argparse.Namespace) -> int:
    check_classifier_args(args, args.parser)
    done = infer_source(args)
    _print_summary(display_source(args.source), done.pipeline, done.frames, done.timings)
    if done.classifier is not None:
        print(summary_line(done.classifier))
    if done.frames:
        _print_jitter(done.jitter)
    if done.events is not None:
        print(format_events(done.events))
    if done.skipped:
        print(f"movenet-studio: warning: skipped {done.skipped} frame{'s' if done.skipped != 1 else ''} "
              "that could not be decoded (see the log)", file=sys.stderr)
    if args.loop or done.frames >= 2 * WARM_UP_FRAMES:
        print(done.memory.summary())
    return finish_live(done.live)


def _smoothing_json(pipeline: Pipeline) -> dict:
    """``summary.smoothing``: whether the One Euro filter ran and its tunable parameters."""
    return {"enabled": bool(pipeline.config.smoothing), **one_euro_values(pipeline.config.one_euro)}


def _print_jitter(jitter) -> None:
    """One line: median jitter raw -> smoothed over the keypoints and the median filter lag."""
    def median(values):
        values = [v for v in values if v is not None]
        return float(np.median(values)) if values else None
    raw = median(j.raw_px for j in jitter.values())
    smoothed = median(j.smoothed_px for j in jitter.values())
    lag = median(j.lag_ms for j in jitter.values())
    if raw is None or smoothed is None:
        return
    lower = sum(1 for j in jitter.values() if j.raw_px is not None and j.smoothed_px is not None
                and j.smoothed_px < j.raw_px)
    print(f"jitter       raw {raw:.2f} -> smoothed {smoothed:.2f} px/frame^2 at 30 fps (median of "
          f"{len(jitter)} keypoints; lower on {lower}){'' if lag is None else f', filter lag {lag:.1f} ms'}")


def _print_summary(source: str, pipeline: Pipeline, count: int, timings: dict[str, list[float]]) -> None:
    backend = pipeline.backend
    note = backend.note  # ONNX: why the asked-for provider is not the one running
    print(f"{source}: {count} frame{'s' if count != 1 else ''}, model {pipeline.model.key} "
          f"({backend.name}, {backend.device}{'; ' + note if note else ''})")
    if not count:
        return
    print(f"{'stage':<12} {'mean ms':>8} {'p50':>8} {'p95':>8}")
    for key in [*STAGES, *[k for k in timings if k not in STAGES and k != "total"], "total"]:
        if key in timings:
            values = np.asarray(timings[key])
            print(f"{key:<12} {values.mean():8.2f} {np.percentile(values, 50):8.2f} {np.percentile(values, 95):8.2f}")
    total = np.asarray(timings["total"]).mean()
    print(f"throughput   {1000 / total:8.1f} FPS" if total > 0 else "", file=sys.stdout)
