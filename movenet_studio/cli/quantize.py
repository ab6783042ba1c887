"""``movenet-studio quantize MODEL --calibration SOURCE... --out OUT``: a deployable int8 MoveNet.

Drives ai-edge-quantizer (TFLite) or ONNX Runtime's quantization (ONNX) with MoveNet's
structure (see :mod:`movenet_studio.core.quantize`): the model is normalised, calibrated on
the frames the model really sees, the in-graph decode stays float, and with ``--target-px``
the blocks that hurt the keypoints most are kept float until the target is met. Writes the
model, ``OUT.recipe.json`` and (``--report``) the JSON report; prints the text report.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from ..core.files import check_outputs
from ..core.progress import JobControl
from ..core.quantize.io_types import IO_TYPES
from ..core.quantize.job import SCHEMES, QuantizeRequest, run_quantize
from ..core.quantize.recipe import read_recipe, request_kwargs
from .options import add_preprocess_options, positive_int, profile_from_args
from .progress import ProgressBar


def _target(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of pixels: {text}")
    return value


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "quantize", help="quantize a float MoveNet with your own frames, repaired by keypoint impact",
        description="Quantize a float MoveNet (.tflite with ai-edge-quantizer, .onnx with ONNX Runtime's "
                    "quantize_static, QDQ) on calibration frames cut by the pipeline itself (crop tracking on "
                    "video). The in-graph decode after the four heads stays float. With --target-px, the blocks "
                    "(backbone stages, FPN levels, heads) whose quantization costs the most keypoint accuracy on "
                    "held-out frames are kept float, greedily, until the mean error to the float model is at most "
                    "the target. Writes OUT, OUT.recipe.json (re-run it with --recipe) and the report.")
    parser.add_argument("model", metavar="MODEL", nargs="?",
                        help="bundled float model (lightning, thunder, multipose) or a float .tflite/.onnx file")
    parser.add_argument("--backend", "-b", choices=("tflite", "onnx"), default="tflite",
                        help="which bundled file: TFLite or ONNX (default: %(default)s; files go by extension)")
    parser.add_argument("--calibration", "-c", nargs="+", metavar="SOURCE", default=[],
                        help="videos, images, folders of images or COCO keypoint annotation files (their images "
                             "beside them; each person cut as eval's single protocol does) to calibrate on")
    parser.add_argument("--out", "-o", type=Path, metavar="OUT", required=True, help="the quantized model file")
    parser.add_argument("--scheme", choices=SCHEMES, default="int8",
                        help="int8 (int8 weights and activations), int16x8 (int16 activations) or dynamic "
                             "(int8 weights only; TFLite) (default: %(default)s)")
    parser.add_argument("--per-tensor", action="store_true", help="one weight scale per tensor, not per channel")
    parser.add_argument("--io", choices=IO_TYPES, default="float",
                        help="input and output types: float keeps the float model's own (uint8 or float pixels in, "
                             "float out; default); int8: int8 input (scale 1, zero point -128: pixel - 128) and int8 "
                             "outputs; uint8: uint8 input (the pixels) and uint8 outputs. Output scales come from "
                             "calibration (keypoints: 0..1, zero point at the lowest value)")
    parser.add_argument("--keep-float", default=None, metavar="auto|none|BLOCK,...",
                        help="blocks to keep float: auto (the repair search; default with --target-px), none "
                             "(default otherwise), or block names such as head_offsets,backbone_s2")
    parser.add_argument("--target-px", type=_target, default=None, metavar="PX",
                        help="mean keypoint distance to the float model to reach on the held-out frames, frame pixels")
    parser.add_argument("--holdout", nargs="+", metavar="SOURCE", default=[],
                        help="sources to measure on (default: the last quarter of each calibration source)")
    parser.add_argument("--frames", type=positive_int, default=200, metavar="N",
                        help="calibration frames, spread over the sources (default: %(default)s)")
    parser.add_argument("--report", type=Path, metavar="REPORT.json", help="write the report as JSON")
    parser.add_argument("--recipe", type=Path, metavar="RECIPE.json",
                        help="rebuild from a recipe written by an earlier run (its model, sources and blocks)")
    parser.add_argument("--force", "-f", action="store_true", help="replace an existing OUT")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar on stderr")
    add_preprocess_options(parser)
    parser.set_defaults(run=run)


def request_from_args(args: argparse.Namespace) -> QuantizeRequest:
    """The request the options describe (a --recipe fixes model, sources, scheme and blocks)."""
    if args.recipe is not None:
        return QuantizeRequest(out=args.out, report=args.report, **request_kwargs(read_recipe(args.recipe)))
    if not args.model:
        raise argparse.ArgumentTypeError("MODEL is required (or --recipe)")
    if not args.calibration:
        raise argparse.ArgumentTypeError("--calibration SOURCE is required (or --recipe)")
    keep = args.keep_float or ("auto" if args.target_px is not None else "none")
    return QuantizeRequest(model=args.model, backend=args.backend, calibration=tuple(args.calibration),
                           out=args.out, scheme=args.scheme, per_tensor=args.per_tensor, keep_float=keep,
                           target_px=args.target_px, holdout=tuple(args.holdout), frames=args.frames, io=args.io,
                           report=args.report, preprocess=profile_from_args(args))


def run(args: argparse.Namespace) -> int:
    from ..core.errors import StudioError

    try:
        request = request_from_args(args)
    except argparse.ArgumentTypeError as exc:
        raise StudioError(str(exc)) from None
    inputs = [Path(s) for s in (*request.calibration, *request.holdout)]
    check_outputs({"--out": request.out, "recipe": request.recipe_path, "--report": request.report},
                  inputs, force={"--out": args.force, "recipe": True, "--report": True})
    progress = None if args.quiet else ProgressBar("quantize")
    try:
        result = run_quantize(request, JobControl(progress))
    finally:
        if progress is not None:
            progress.finish()
    print(result.text)
    print(f"written {request.out} and {request.recipe_path}" + (f" and {request.report}" if request.report else ""))
    return 0
