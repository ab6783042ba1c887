"""``movenet-studio eval``: COCO keypoint AP with pycocotools, of a model run on an annotated
image folder or of a results file made anywhere; ``--errors`` adds the error atlas and
``--b`` (or a second ``--results``) the A -> B transitions.

The protocols and the per-keypoint breakdown are defined in :mod:`movenet_studio.core.evaluation`,
the atlas in :mod:`movenet_studio.core.evaluation.error_atlas`.
"""

from __future__ import annotations

import argparse
from contextlib import ExitStack
from pathlib import Path

from ..core.atomic import write_json_atomic
from ..core.distributed.cluster import dask_client
from ..core.evaluation import DEFAULT_MODELS, PROTOCOLS, evaluate, format_result
from ..core.evaluation.error_report import format_errors, format_moves, format_transition_totals
from ..core.evaluation.run import evaluate_results
from ..core.evaluation.transitions import largest_moves, transitions
from ..core.progress import JobControl
from .options import add_cluster_options, add_preprocess_options, default_backend, profile_from_args, thread_count
from .progress import ProgressBar

#: How many of the largest A -> B moves the report lists.
MOVES_LISTED = 10


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "eval", help="COCO keypoint AP / AR of a model or a results file, with an error atlas",
        description="Score a MoveNet model on COCO person-keypoint annotations with pycocotools: AP, AP50, "
                    "AP75, AR and a per-keypoint breakdown. Protocol single: one square crop per person "
                    "(1.25 x its box), each prediction scored only against its own annotation. Protocol "
                    "multi: MultiPose on whole images, standard COCO matching. --results scores a COCO "
                    "keypoint results file (a phone's, a board's, export --keypoints') without a model. "
                    "--errors classifies every keypoint (good, jitter, inversion, swap, miss; Ronchi & "
                    "Perona, ICCV 2017) and measures the AP each class costs; --b B (or a second --results) "
                    "adds how each keypoint's class moves from A to B.")
    parser.add_argument("--annotations", "-a", type=Path, required=True, metavar="COCO.json",
                        help="COCO person-keypoints annotation file")
    parser.add_argument("--images", "-i", type=Path, default=None, metavar="DIR",
                        help="folder with the annotated images (needed to run a model; not with --results)")
    parser.add_argument("--results", "-r", type=Path, action="append", default=None, metavar="RESULTS.json",
                        help="score this COCO keypoint results file instead of running a model; give it twice "
                             "for A and B (single protocol: predictions are assigned to persons by "
                             "annotation_id, else by best OKS in their image)")
    parser.add_argument("--model", "-m", default=None, metavar="M",
                        help=f"model key or file (default: {DEFAULT_MODELS['single']} for single, "
                             f"{DEFAULT_MODELS['multi']} for multi)")
    parser.add_argument("--b", dest="model_b", default=None, metavar="B",
                        help="a second model, scored the same way; with --errors, adds the A -> B transitions")
    parser.add_argument("--backend", "-b", choices=("tflite", "onnx"), default=None,
                        help="backend: tflite (LiteRT) or onnx (ONNX Runtime) "
                             "(default: tflite, or the model file's format)")
    parser.add_argument("--threads", "-t", type=thread_count, default=2, metavar="N",
                        help="CPU threads for the runtime (default: %(default)s)")
    parser.add_argument("--protocol", choices=PROTOCOLS, default="single",
                        help="single: per-person crops; multi: whole images (default: %(default)s)")
    parser.add_argument("--errors", action="store_true",
                        help="error atlas: every matched keypoint's class and the AP each class costs")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the figures to PATH as JSON")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar on stderr")
    add_preprocess_options(parser)
    add_cluster_options(parser, workers_default="no cluster: one process")
    parser.set_defaults(run=run, parser=parser)


def _check_usage(args: argparse.Namespace) -> None:
    parser = args.parser
    if args.results:
        if len(args.results) > 2:
            parser.error("--results: give one file, or two to compare A and B")
        if args.model or args.model_b:
            parser.error("--results scores predictions already made: leave out --model and --b")
    elif args.images is None:
        parser.error("--images DIR is needed to run a model (or score a results file with --results)")


def run(args: argparse.Namespace) -> int:
    _check_usage(args)
    runs = _runs(args)
    results = []
    for label, job in runs:
        progress = None if args.quiet else ProgressBar(f"eval {label}" if len(runs) > 1 else "eval")
        try:
            results.append(job(JobControl(progress)))
        finally:
            if progress is not None:
                progress.finish()
    for (label, _), result in zip(runs, results):
        if len(runs) > 1:
            print(f"== {label}")
        print(format_result(result))
        if result.errors is not None:
            print()
            print(format_errors(result.errors))
    document = results[0].to_json()
    if len(results) == 2:
        document = {"a": results[0].to_json(), "b": results[1].to_json()}
        if args.errors:
            matrix = transitions(results[0].errors, results[1].errors)
            moves = largest_moves(matrix, MOVES_LISTED)
            print()
            print(format_transition_totals(matrix, runs[0][0], runs[1][0]))
            print()
            print(f"largest moves from {runs[0][0]} (A) to {runs[1][0]} (B):")
            print(format_moves(moves, runs[1][0]))
            document["transitions"] = matrix
            document["largest_moves"] = [m.to_json() for m in moves]
    if args.json:
        write_json_atomic(args.json, document)
        print(f"figures written to {args.json}")
    return 0


def _runs(args: argparse.Namespace) -> list[tuple[str, object]]:
    """(label, job(control) -> EvalResult) for A and, when asked, B."""
    if args.results:
        return [(path.stem, lambda control, path=path: evaluate_results(
            args.annotations, path, protocol=args.protocol, errors=args.errors, control=control))
            for path in args.results]
    models = [args.model or DEFAULT_MODELS[args.protocol]] + ([args.model_b] if args.model_b else [])
    return [(Path(model).stem if Path(model).suffix else model,
             lambda control, model=model: _evaluate_model(args, model, control)) for model in models]


def _evaluate_model(args: argparse.Namespace, model: str, control: JobControl):
    backend = args.backend or default_backend(model)
    with ExitStack() as stack:
        client = stack.enter_context(dask_client(args.workers, args.threads_per_worker, args.scheduler)) \
            if args.workers or args.scheduler else None
        return evaluate(args.annotations, args.images, model=model, backend=backend, threads=args.threads,
                        protocol=args.protocol, control=control, client=client,
                        preprocess=profile_from_args(args), input_range=args.input_range, errors=args.errors)
