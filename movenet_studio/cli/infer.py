"""``movenet-studio infer SOURCE``: run the pipeline headless, print timings, write JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ..core.errors import StudioError
from ..core.heads_npz import HeadsNpzWriter
from ..core.jitter import jitter_summary_json, measure_jitter
from ..core.pipeline import STAGES, Pipeline
from ..core.results_json import ResultsWriter
from ..core.prefetch import PrefetchSource
from ..core.resources import WARM_UP_FRAMES, ResourceMonitor
from ..core.smoothing import one_euro_values
from ..core.sources import open_source
from .classifier_options import (
    add_classifier_options, check_classifier_args, check_keypoint_count, classifier_from_args, summary_line,
)
from ..core.trajectories import TrajectoryRecorder
from .options import add_model_options, add_pipeline_options, config_from_args, positive_int


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "infer", help="run a model on a source headless and write keypoints as JSON",
        description="Run MoveNet on SOURCE without a window: print a per-stage timing summary "
                    "and optionally write every frame's poses as JSON (format: see README).")
    parser.add_argument("source", metavar="SOURCE", help="video, image, folder of images, or camera:N")
    add_model_options(parser)
    parser.add_argument("--max-frames", type=positive_int, metavar="N", help="stop after N frames")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write poses of every frame to PATH")
    parser.add_argument("--loop", action="store_true",
                        help="start the video or folder again at its end (soak runs; stop with --max-frames or Ctrl-C)")
    parser.add_argument("--heads-npz", type=Path, metavar="PATH",
                        help="write every frame's prediction heads and the model's own output to PATH (.npz; see README)")
    add_pipeline_options(parser)
    add_classifier_options(parser)
    parser.set_defaults(run=run, parser=parser)


def run(args: argparse.Namespace) -> int:
    timings: dict[str, list[float]] = {}
    count = 0
    check_classifier_args(args, args.parser)
    classifier = classifier_from_args(args)  # before the source: a bad classifier fails fast
    with PrefetchSource(open_source(args.source)) as source:
        pipeline = Pipeline(config_from_args(args, heads=args.heads_npz is not None))
        if args.heads_npz and not pipeline.heads_available:
            pipeline.close()
            raise StudioError(f"{pipeline.model.path.name}: heads are not available for this model "
                              "(no recognisable MoveNet head tensors in its graph)")
        if classifier is not None:
            try:
                check_keypoint_count(pipeline)
            except StudioError:
                pipeline.close()
                raise
            pipeline.classifier = classifier
        results = ResultsWriter(args.json, source=args.source, model=pipeline.model,
                                backend=pipeline.backend) if args.json else None
        writers = [w for w in (results, HeadsNpzWriter(args.heads_npz) if args.heads_npz else None) if w is not None]
        memory = ResourceMonitor()
        trajectory = TrajectoryRecorder(source.frame_count, source.is_live, pipeline.keypoint_names)
        generation = 0  # a loop restart resets the pipeline: a new run of the trajectory
        try:
            while True:
                frame = source.read()
                if frame is None:
                    if not args.loop or source.is_live or count == 0:
                        break
                    source.seek(0)
                    pipeline.reset()
                    generation += 1
                    continue
                result = pipeline.process(frame)
                for key, value in result.timings_ms.items():
                    timings.setdefault(key, []).append(value)
                for writer in writers:
                    writer.add(result)
                trajectory.add(result, generation)
                count += 1
                memory.frame_done(count)
                if args.max_frames and count >= args.max_frames:
                    break
            if results is not None and classifier is not None:
                results.set_summary("classification", classifier.summary())
            jitter = measure_jitter(trajectory.snapshot())
            if results is not None:
                results.set_summary("smoothing", _smoothing_json(pipeline))
                results.set_summary("jitter", jitter_summary_json(jitter))
            for writer in writers:
                writer.close()
        finally:
            pipeline.close()
        skipped = source.skipped_frames
    _print_summary(args.source, pipeline, count, timings)
    if classifier is not None:
        print(summary_line(classifier))
    if count:
        _print_jitter(jitter)
    if skipped:
        print(f"movenet-studio: warning: skipped {skipped} frame{'s' if skipped != 1 else ''} "
              "that could not be decoded (see the log)", file=sys.stderr)
    if args.loop or count >= 2 * WARM_UP_FRAMES:
        print(memory.summary())
    return 0


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
    note = getattr(pipeline.backend, "note", "")  # ONNX: why the asked-for provider is not the one running
    print(f"{source}: {count} frame{'s' if count != 1 else ''}, model {pipeline.model.key} "
          f"({pipeline.backend.name}, {pipeline.backend.device}{'; ' + note if note else ''})")
    if not count:
        return
    print(f"{'stage':<12} {'mean ms':>8} {'p50':>8} {'p95':>8}")
    for key in [*STAGES, *[k for k in timings if k not in STAGES and k != "total"], "total"]:
        if key in timings:
            values = np.asarray(timings[key])
            print(f"{key:<12} {values.mean():8.2f} {np.percentile(values, 50):8.2f} {np.percentile(values, 95):8.2f}")
    total = np.asarray(timings["total"]).mean()
    print(f"throughput   {1000 / total:8.1f} FPS" if total > 0 else "", file=sys.stdout)
