"""``movenet-studio models [FILE ...]``: list the bundled models, or describe model files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.errors import ModelError
from ..core.text import printable
from .options import error_line
from ..core.models.resolve import model_from_file, sniff_signature
from ..core.models.catalog import bundled_keys, bundled_model


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("models", help="list the bundled models or describe model files",
                                   description="List the bundled MoveNet models, or check whether FILEs are MoveNet models "
                                               "(refused files: one error line each on stderr, exit 1).")
    parser.add_argument("files", nargs="*", type=Path, metavar="FILE", help=".tflite or .onnx files to describe")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    specs = []
    if args.files:
        failures = 0
        for path in args.files:
            try:
                specs.append(model_from_file(path))
            except ModelError as exc:  # one line per refused file, on stderr like every error
                print(error_line(exc), file=sys.stderr)
                failures += 1
        _print(specs)
        return 1 if failures else 0
    for key in bundled_keys():
        for fmt in ("tflite", "onnx"):
            try:
                specs.append(bundled_model(key, fmt))
            except ModelError:
                continue
    _print(specs)
    return 0


def _print(specs) -> None:
    """One summary line per model, then (for files, not the catalog) what the file is."""
    for spec in specs:
        signature = sniff_signature(spec.path)
        size_mb = spec.path.stat().st_size / 1e6
        inputs = ", ".join(str(t) for t in signature.inputs)
        outputs = ", ".join(str(t) for t in signature.outputs)
        print(f"{printable(spec.key):<20} {spec.format:<7} {spec.precision:<8} {size_mb:6.1f} MB  in {inputs}  out {outputs}  {printable(spec.path)}")
        if spec.io is not None:
            for line in spec.io.describe():
                print(f"    {line}")
