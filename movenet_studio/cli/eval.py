"""``movenet-studio eval --annotations COCO.json --images DIR``: COCO keypoint AP with pycocotools.

The protocols and the per-keypoint breakdown are defined in :mod:`movenet_studio.core.evaluation`.
"""

from __future__ import annotations

import argparse
from contextlib import ExitStack
from pathlib import Path

from ..core.atomic import write_json_atomic
from ..core.distributed.cluster import dask_client
from ..core.evaluation import DEFAULT_MODELS, PROTOCOLS, evaluate, format_result
from ..core.progress import JobControl
from .options import add_cluster_options, add_preprocess_options, default_backend, profile_from_args, thread_count
from .progress import ProgressBar


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "eval", help="COCO keypoint AP / AR of a model on an annotated image folder",
        description="Score a MoveNet model on COCO person-keypoint annotations with pycocotools: AP, AP50, "
                    "AP75, AR and a per-keypoint breakdown. Protocol single: one square crop per person "
                    "(1.25 x its box), each prediction scored only against its own annotation. Protocol "
                    "multi: MultiPose on whole images, standard COCO matching.")
    parser.add_argument("--annotations", "-a", type=Path, required=True, metavar="COCO.json",
                        help="COCO person-keypoints annotation file")
    parser.add_argument("--images", "-i", type=Path, required=True, metavar="DIR",
                        help="folder with the annotated images")
    parser.add_argument("--model", "-m", default=None, metavar="M",
                        help=f"model key or file (default: {DEFAULT_MODELS['single']} for single, "
                             f"{DEFAULT_MODELS['multi']} for multi)")
    parser.add_argument("--backend", "-b", choices=("tflite", "onnx"), default=None,
                        help="backend: tflite (LiteRT) or onnx (ONNX Runtime) "
                             "(default: tflite, or the model file's format)")
    parser.add_argument("--threads", "-t", type=thread_count, default=2, metavar="N",
                        help="CPU threads for the runtime (default: %(default)s)")
    parser.add_argument("--protocol", choices=PROTOCOLS, default="single",
                        help="single: per-person crops; multi: whole images (default: %(default)s)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the figures to PATH as JSON")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar on stderr")
    add_preprocess_options(parser)
    add_cluster_options(parser, workers_default="no cluster: one process")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    backend = args.backend or default_backend(args.model)
    progress = None if args.quiet else ProgressBar("eval")
    try:
        with ExitStack() as stack:
            client = stack.enter_context(dask_client(args.workers, args.threads_per_worker, args.scheduler)) \
                if args.workers or args.scheduler else None
            result = evaluate(args.annotations, args.images, model=args.model, backend=backend, threads=args.threads,
                              protocol=args.protocol, control=JobControl(progress), client=client,
                              preprocess=profile_from_args(args), input_range=args.input_range)
    finally:
        if progress is not None:
            progress.finish()
    print(format_result(result))
    if args.json:
        write_json_atomic(args.json, result.to_json())
        print(f"figures written to {args.json}")
    return 0
