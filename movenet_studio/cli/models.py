"""``movenet-studio models [FILE ...]``: list the bundled models, or describe model files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.errors import ModelError, StudioError
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
    if args.files:
        described, failures = [], 0
        for path in args.files:
            try:  # describing the file reads it again (size, signature): inside the same guard
                described.append(_describe(model_from_file(path)))
            except (StudioError, OSError, ValueError) as exc:  # one line per refused file, on stderr
                message = exc if isinstance(exc, StudioError) else f"{path}: {type(exc).__name__}: {exc}"
                print(error_line(message), file=sys.stderr)
                failures += 1
        for lines in described:
            print("\n".join(lines))
        return 1 if failures else 0
    for key in bundled_keys():
        for fmt in ("tflite", "onnx"):
            try:
                print("\n".join(_describe(bundled_model(key, fmt), details=False)))
            except ModelError:
                continue
    return 0


def _describe(spec, details: bool = True) -> list[str]:
    """One summary line for a model, then (for files, not the catalog) what the file is."""
    signature = sniff_signature(spec.path)
    size_mb = spec.path.stat().st_size / 1e6
    inputs = ", ".join(str(t) for t in signature.inputs)
    outputs = ", ".join(str(t) for t in signature.outputs)
    lines = [f"{printable(spec.key):<20} {spec.format:<7} {spec.precision:<8} {size_mb:6.1f} MB  in {inputs}  "
             f"out {outputs}  {printable(spec.path)}"]
    if details and spec.io is not None:
        lines += [f"    {line}" for line in spec.io.describe()]
    return lines
