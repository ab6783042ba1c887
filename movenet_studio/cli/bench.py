"""``movenet-studio bench [SOURCE]``: load time, raw and pipeline latency, FPS ratio, peak RSS.

The method and every figure are defined in :mod:`movenet_studio.core.bench`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .options import add_preprocess_options, error_line, non_negative_int, positive_int, profile_from_args, thread_count


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench", help="benchmark models x backends x threads: latency, FPS, memory",
        description="For each configuration (model x backend x threads [x heads off/on]) measure model "
                    "load time, raw inference latency (the runtime's invoke on a fixed input: p50, p95, "
                    "p99, mean), pipeline latency per stage on SOURCE read as fast as it decodes, pipeline "
                    "FPS (decode included), the ratio pipeline FPS / raw FPS, and peak RSS; with --per-op, "
                    "where ONNX Runtime spends its time per node and op type. Prints a "
                    "table; --json writes every figure and the machine description.")
    parser.add_argument("source", metavar="SOURCE", nargs="?",
                        help="video, image, folder of images or camera:N (default: a synthetic 640x480 frame)")
    parser.add_argument("--models", type=_list(str), default=["lightning"], metavar="LIST",
                        help="comma-separated models: lightning, thunder, lightning-int8, thunder-int8, "
                             "multipose or .tflite/.onnx paths (default: lightning)")
    parser.add_argument("--backends", type=_list(str), default=["tflite"], metavar="LIST",
                        help="comma-separated backends, e.g. tflite,onnx (default: tflite)")
    parser.add_argument("--threads", type=_list(thread_count), default=[2], metavar="LIST",
                        help="comma-separated CPU thread counts, e.g. 1,2,4 (default: 2)")
    parser.add_argument("--frames", type=positive_int, default=100, metavar="N",
                        help="timed invokes and timed pipeline frames per configuration (default: %(default)s)")
    parser.add_argument("--warmup", type=non_negative_int, default=10, metavar="N",
                        help="untimed invokes and frames before timing (default: %(default)s)")
    parser.add_argument("--heads", action="store_true",
                        help="also run every configuration with head reading on, and compare")
    parser.add_argument("--per-op", action="store_true",
                        help="also profile each ONNX Runtime configuration per node (session profiling: mean ms "
                             "and share per node and per op type); TFLite's Python runtime has no per-op profile")
    add_preprocess_options(parser)
    parser.add_argument("--json", type=Path, metavar="PATH", help="write all figures to PATH as JSON")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar on stderr")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..core.atomic import write_json_atomic
    from ..core.bench import OK, format_report, make_configs, run_bench
    from ..core.progress import JobControl
    from .progress import ProgressBar

    configs = make_configs(args.models, args.backends, args.threads, (False, True) if args.heads else (False,))
    options = {"preprocess": profile_from_args(args)}
    if args.input_range is not None:
        options["input_range"] = args.input_range
    progress = None if args.quiet else ProgressBar("bench")
    try:
        report = run_bench(configs, args.source, frames=args.frames, warmup=args.warmup, control=JobControl(progress),
                           per_op=args.per_op, pipeline_options=options)
    finally:
        if progress is not None:
            progress.finish()
    print(format_report(report))
    if args.json:
        write_json_atomic(args.json, report.to_json())
        print(f"figures written to {args.json}")
    if not any(r.status == OK for r in report.results):
        print(error_line("no configuration could be run (see the reasons above)"), file=sys.stderr)
        return 1
    return 0


def _list(item_type):
    def parse(text: str) -> list:
        items = [part.strip() for part in text.split(",") if part.strip()]
        if not items:
            raise argparse.ArgumentTypeError(f"empty list: {text!r}")
        return [item_type(part) for part in items]

    parse.__name__ = "list"
    return parse
