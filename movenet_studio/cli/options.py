"""Options shared by several commands."""

from __future__ import annotations

import argparse


def add_model_options(parser: argparse.ArgumentParser, default_model: str | None = "lightning") -> None:
    """Add ``--model``, ``--backend`` and ``--threads``."""
    parser.add_argument("--model", "-m", default=default_model, metavar="M",
                        help="lightning, thunder, lightning-int8, thunder-float16, multipose ... "
                             "or a path to a MoveNet .tflite/.onnx file (default: %(default)s)")
    parser.add_argument("--backend", "-b", choices=("tflite", "onnx"), default=None,
                        help="runtime (default: tflite, or the model file's format)")
    parser.add_argument("--threads", "-t", type=positive_int, default=None, metavar="N",
                        help="CPU threads for the runtime (default: 2)")


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return value
