"""``movenet-studio layers SOURCE --a SPEC --b SPEC``: where does B start to differ from A?

Runs both configurations on the first N frames with the same model input (as ``compare``),
captures every intermediate tensor of both, matches A's tensors to B's and prints the first
tensor (in A's graph order) whose SQNR falls below the threshold, the worst tensors and the
keypoint error. See :mod:`movenet_studio.core.layers`.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from ..core.atomic import write_json_atomic
from ..core.analysis.compare import config_b_from, config_for, parse_spec
from ..core.layers.report import format_report, node_data, write_node_data
from ..core.layers.runner import DEFAULT_THRESHOLD_DB, LayerComparison
from ..core.errors import ModelError
from ..core.progress import JobControl
from .live_options import SOURCE_HELP, add_live_options, display_source, finish_live, live_summary, open_run_source
from ..core.quantize.model_blocks import format_blocks, layer_blocks
from .options import add_pipeline_options, config_from_args, positive_int
from .progress import ProgressBar


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "layers", help="compare two models layer by layer and find where B starts to differ from A",
        description="Run configuration A and B on the first N frames of SOURCE with the same model input "
                    "(A's crop or letterbox; B gets A's exact input, quantised as B's signature says), capture "
                    "every intermediate tensor of both (a separate, slow runtime instance used only for this), "
                    "match A's tensors to B's by name, shape and graph order, and print per matched tensor "
                    "SQNR, cosine similarity, RMSE relative to A's spread and max |A-B|, the first divergence "
                    "(first tensor in A's graph order below --threshold-db) and B's keypoint error in pixels.")
    parser.add_argument("source", metavar="SOURCE", help=SOURCE_HELP)
    parser.add_argument("--a", required=True, metavar="SPEC", dest="spec_a",
                        help="configuration A, the reference: model[:backend], e.g. lightning-float16")
    parser.add_argument("--b", required=True, metavar="SPEC", dest="spec_b",
                        help="configuration B: model[:backend], e.g. lightning-int8, lightning:onnx, a file")
    parser.add_argument("--frames", type=positive_int, default=10, metavar="N",
                        help="frames to compare (default: %(default)s)")
    parser.add_argument("--threshold-db", type=_finite_float, default=DEFAULT_THRESHOLD_DB, metavar="X",
                        help="a tensor below X dB SQNR has diverged (default: %(default)s)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write every matched tensor's figures to PATH")
    parser.add_argument("--node-data", type=Path, metavar="PATH",
                        help="write per-node SQNR for Google's Model Explorer to PATH "
                             "(needs pip install ai-edge-model-explorer; open with "
                             "model-explorer A_MODEL --node_data_paths=PATH)")
    parser.add_argument("--worst", type=positive_int, default=10, metavar="N",
                        help="list the N tensors with the lowest SQNR (default: %(default)s)")
    parser.add_argument("--blocks", action="store_true",
                        help="also group A's graph into quantize's blocks (backbone stages, FPN levels, heads, "
                             "decode tail) and show the SQNR at each block's end (A must be a float model)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar on stderr")
    add_pipeline_options(parser)
    add_live_options(parser, duration=False)
    parser.set_defaults(run=run)


def _finite_float(text: str) -> float:
    """argparse type: a finite number (no nan / inf: the JSON stays strict)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number: {text}")
    return value


def run(args: argparse.Namespace) -> int:
    if args.node_data:
        node_data([], args.threshold_db)  # fail now, not after the run, when Model Explorer is missing
    base = config_from_args(argparse.Namespace(**vars(args)))
    config_a = config_for(args.spec_a, base)
    config_b = config_b_from(config_a, *parse_spec(args.spec_b, base.backend), provider=base.provider)
    with open_run_source(args, args.frames) as source, LayerComparison(config_a, config_b) as comparison:
        progress = None if args.quiet else ProgressBar(source.name, unit="frame")
        try:
            comparison.run(source, args.frames, JobControl(progress))
        finally:
            if progress is not None:
                progress.finish()
        document = comparison.report(args.threshold_db)
        live = live_summary(source)
    if live is not None:
        document["live"] = live
    document["a"]["spec"], document["b"]["spec"] = args.spec_a, args.spec_b
    document["source"] = display_source(args.source)
    print(format_report(document, args.worst))
    if args.blocks:
        model_a = comparison.pipeline_a.model
        try:
            document["blocks"] = layer_blocks(model_a.path, model_a.format, document["tensors"])
        except ModelError as exc:
            print(f"blocks: not available ({exc})")
        else:
            print()
            print(format_blocks(document["blocks"]))
    if args.json:
        write_json_atomic(args.json, document)
        print(f"figures written to {args.json}")
    if args.node_data:
        write_node_data(args.node_data, document["tensors"], args.threshold_db)
        model = comparison.pipeline_a.model.path
        print(f"node data written to {args.node_data}; view it with: "
              f"model-explorer {model} --node_data_paths={args.node_data}")
    return finish_live(live)
