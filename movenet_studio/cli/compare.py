"""``movenet-studio compare SOURCE --a SPEC --b SPEC``: two configurations on the same frames.

SPEC is ``model[:backend]`` (``thunder-int8``, ``lightning-float16:onnx``, a model file
path). Both run on every frame on the same model input (A's crop region; see
:mod:`movenet_studio.core.analysis.compare`); the command prints per-keypoint distances (frame
pixels, before smoothing) and scores, and inference timing for both.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from typing import TYPE_CHECKING

from ..core.errors import StudioError
from .live_options import SOURCE_HELP, add_live_options, display_source, finish_live, live_summary, open_run_source
from .options import add_pipeline_options, add_provider_option, config_from_args, positive_int, thread_count

if TYPE_CHECKING:
    from ..core.analysis.compare_stats import CompareStats
    from ..core.pipeline_config import PipelineConfig


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "compare", help="run two model configurations on the same frames and measure how far apart they are",
        description="Run configuration A and B on every frame of SOURCE with the same preprocessing "
                    "(A's crop region; B gets A's exact model input when the input sizes match, otherwise "
                    "the same frame region resized to B's input) and print per-keypoint mean/max distance "
                    "in frame pixels (model keypoints before smoothing), mean scores, and timing of both.")
    parser.add_argument("source", metavar="SOURCE", help=SOURCE_HELP)
    parser.add_argument("--a", required=True, metavar="SPEC", dest="spec_a",
                        help="configuration A: model[:backend], e.g. thunder-int8, lightning-float16:onnx")
    parser.add_argument("--b", required=True, metavar="SPEC", dest="spec_b",
                        help="configuration B: model[:backend]")
    parser.add_argument("--threads", "-t", type=thread_count, default=None, metavar="N",
                        help="CPU threads for each runtime (default: 2)")
    add_provider_option(parser)
    parser.add_argument("--max-frames", type=positive_int, metavar="N", help="stop after N frames")
    parser.add_argument("--json", type=Path, metavar="PATH",
                        help="write both configurations, the summary and every frame's distances to PATH")
    add_pipeline_options(parser)
    add_live_options(parser)
    parser.set_defaults(run=run)


def configs_from_args(args: argparse.Namespace) -> tuple[PipelineConfig, PipelineConfig]:
    """Configurations A and B of a ``compare`` command line: A from ``--a`` and the pipeline
    options, B from ``--b`` beside A (:func:`~movenet_studio.core.analysis.compare.config_b_from`, the
    window's policy too); ``--provider`` applies to the ONNX side(s).

    Raises:
        StudioError: ``--provider`` without an ONNX side, or an empty SPEC.
    """
    from ..core.analysis.compare import config_b_from, config_for, parse_spec

    base = config_from_args(argparse.Namespace(**{k: v for k, v in vars(args).items() if k != "provider"}))
    config_a = config_for(args.spec_a, base)
    model_b, backend_b = parse_spec(args.spec_b, base.backend)
    if args.provider and "onnx" not in (config_a.backend, backend_b):
        raise StudioError(f"--provider {args.provider} needs an onnx side, e.g. --b {model_b}:onnx")
    if args.provider and config_a.backend == "onnx":
        config_a = replace(config_a, provider=args.provider)
    return config_a, config_b_from(config_a, model_b, backend_b, provider=args.provider)


def run(args: argparse.Namespace) -> int:
    from ..core.atomic import atomic_output
    from ..core.analysis.compare import ComparePipeline
    from ..core.analysis.compare_stats import CompareStats
    from ..core.stream import stream_results

    config_a, config_b = configs_from_args(args)
    stats = CompareStats()
    per_frame: list[dict] = []
    with open_run_source(args, args.max_frames) as source, ComparePipeline(config_a, config_b) as pipeline:
        desc_a, desc_b = pipeline.a.describe().to_json(), pipeline.b.describe().to_json()
        for result in stream_results(source, pipeline, limit=args.max_frames):  # the headless stream loop
            stats.add(result)
            if args.json:
                per_frame.append({
                    "index": result.a.index, "timestamp_ms": round(float(result.a.timestamp_ms), 3),
                    "shared_input": result.shared_input,
                    "crop": None if result.a.crop_region is None else [round(float(v), 6) for v in
                                                                        result.a.crop_region.as_tuple()],
                    "distances_px": [[round(float(d), 3) for d in pair] for pair in result.distances_px],
                    "scores_a": [[round(float(s), 5) for s in pair] for pair in result.scores_a],
                    "scores_b": [[round(float(s), 5) for s in pair] for pair in result.scores_b],
                    "unmatched_a": result.unmatched_a, "unmatched_b": result.unmatched_b,
                    "inference_ms": {"a": round(float(result.a.timings_ms["inference"]), 3),
                                     "b": round(float(result.b.timings_ms["inference"]), 3)},
                })
        live = live_summary(source)
    desc_a["spec"], desc_b["spec"] = args.spec_a, args.spec_b
    print(format_report(display_source(args.source), desc_a, desc_b, stats))
    if args.json:
        document = {
            "source": display_source(args.source), "a": desc_a, "b": desc_b,
            "options": {"crop": config_a.crop, "smoothing": config_a.smoothing, "threads": config_a.threads,
                        "min_pose_score": config_a.min_pose_score},
            "distances": "model keypoints in frame pixels before smoothing/tracking, on the same model input",
            "summary": stats.summary(), "frames": per_frame,
        }
        if live is not None:
            document["live"] = live
        with atomic_output(args.json) as handle:
            json.dump(document, handle, separators=(",", ":"), allow_nan=False)
    return finish_live(live)


def _side(label: str, desc: dict) -> str:
    note = f"; {desc['note']}" if desc.get("note") else ""
    return f"{label} = {desc['model']} ({desc['backend']}, {desc['device']}{note})"


def _num(value: float | None, width: int, digits: int = 2) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:{width}.{digits}f}"


def format_report(source: str, desc_a: dict, desc_b: dict, stats: CompareStats) -> str:
    """The human-readable report: who ran, the per-keypoint table, overall figures, timing."""
    size = f" ({stats.frame_size[1]}x{stats.frame_size[0]} px)" if stats.frame_size else ""
    lines = [f"{source}: {stats.frames} frame{'s' if stats.frames != 1 else ''}{size}",
             _side("A", desc_a), _side("B", desc_b)]
    if not stats.frames:
        return "\n".join(lines)
    size_a, size_b = tuple(desc_a["input_size"]), tuple(desc_b["input_size"])
    how = ("A's exact model input" if stats.shared_frames == stats.frames else
           f"A's frame region resized to {size_b[0]}x{size_b[1]}" if stats.shared_frames == 0 else
           f"A's exact model input on {stats.shared_frames} frames, A's region resized on the rest")
    lines.append(f"B ran on {how}; distances: model keypoints in frame pixels, before smoothing"
                 + ("" if size_a == size_b or stats.shared_frames else f" (A {size_a[0]}x{size_a[1]})"))
    if stats.unmatched_a or stats.unmatched_b:
        lines.append(f"MultiPose: {stats.pairs} pose pairs compared; unpaired instances: "
                     f"A {stats.unmatched_a}, B {stats.unmatched_b}")
    lines.append("")
    lines.append(f"{'keypoint':<16} {'mean px':>8} {'max px':>8} {'score A':>8} {'score B':>8}")
    for row in stats.keypoint_rows():
        lines.append(f"{row['name']:<16} {_num(row['mean_px'], 8)} {_num(row['max_px'], 8)} "
                     f"{_num(row['mean_score_a'], 8, 3)} {_num(row['mean_score_b'], 8, 3)}")
    overall = stats.overall()
    lines.append(f"{'all':<16} {_num(overall['mean_px'], 8)} {_num(overall['max_px'], 8)}")
    if overall["mean_px"] is not None:
        lines.append(f"(median {overall['median_px']:.2f} px, p95 {overall['p95_px']:.2f} px)")
    lines.append("")
    lines.append(f"{'timing':<8} {'infer p50 ms':>12} {'p95 ms':>8} {'FPS':>8} {'total p50 ms':>13}")
    timing = stats.timing()
    for label in ("a", "b"):
        inf, total = timing[label]["inference"], timing[label]["total"]
        lines.append(f"{label.upper():<8} {_num(inf['p50_ms'], 12)} {_num(inf['p95_ms'], 8)} "
                     f"{_num(inf['fps'], 8, 1)} {_num(total['p50_ms'], 13)}")
    lines.append("(FPS = 1000 / mean inference ms; the two models alternate on the same CPU)")
    return "\n".join(lines)
