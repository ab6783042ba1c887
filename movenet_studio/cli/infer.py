"""``movenet-studio infer SOURCE``: run the pipeline headless, print timings, write JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ..core.output.infer_run import InferRequest, run_infer
from ..core.frame_result import STAGES
from ..core.pipeline import Pipeline
from ..core.analysis.process_resources import WARM_UP_FRAMES
from ..core.stream import ClassifierFiles, StreamRequest
from .classifier_options import check_classifier_args, summary_line
from .events import add_event_options, event_options_from_args, format_events
from .live_options import SOURCE_HELP, display_source, add_live_options, finish_live, live_options_from_args
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


def infer_request(args: argparse.Namespace, video: Path | None = None) -> InferRequest:
    """The typed request of ``infer``'s options (usage already checked)."""
    classifier = ClassifierFiles(args.classifier, args.labels, args.classifier_order, args.count) \
        if args.classifier is not None else None
    stream = StreamRequest(args.source, config_from_args(args, heads=args.heads_npz is not None),
                           max_frames=args.max_frames, duration=getattr(args, "duration", None), loop=args.loop,
                           live=live_options_from_args(args), classifier=classifier)
    events = event_options_from_args(args) if getattr(args, "events", False) else None
    return InferRequest(stream, json=args.json, heads_npz=args.heads_npz, video=video, events=events,
                        display_source=args.source)


def run(args: argparse.Namespace) -> int:
    check_classifier_args(args, args.parser)
    done = run_infer(infer_request(args))
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
