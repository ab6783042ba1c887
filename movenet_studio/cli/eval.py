"""``movenet-studio eval --annotations COCO.json --images DIR``: COCO keypoint AP with pycocotools.

The protocols and the per-keypoint breakdown are defined in :mod:`movenet_studio.core.evaluation`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..core.bench import write_json_atomic
from ..core.evaluation import DEFAULT_MODELS, PROTOCOLS, evaluate, format_result
from .options import default_backend, positive_int


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
                        help="runtime (default: tflite, or the model file's format)")
    parser.add_argument("--threads", "-t", type=positive_int, default=2, metavar="N",
                        help="CPU threads for the runtime (default: %(default)s)")
    parser.add_argument("--protocol", choices=PROTOCOLS, default="single",
                        help="single: per-person crops; multi: whole images (default: %(default)s)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the figures to PATH as JSON")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar on stderr")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    backend = args.backend or default_backend(args.model)
    progress = None if args.quiet else StderrProgress("eval")
    try:
        result = evaluate(args.annotations, args.images, model=args.model, backend=backend, threads=args.threads,
                          protocol=args.protocol, progress=progress)
    finally:
        if progress is not None:
            progress.finish()
    print(format_result(result))
    if args.json:
        write_json_atomic(args.json, result.to_json())
        print(f"figures written to {args.json}")
    return 0


class StderrProgress:
    """A progress callback ``(done, total, message)`` drawing a bar on stderr.

    On a terminal the bar redraws in place (at most 10 times a second); otherwise one line is
    written per new message and at every 10 % step, so logs stay short.
    """

    def __init__(self, label: str, stream=None, width: int = 30):
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_draw = 0.0
        self._last_message = None
        self._last_decile = -1
        self._drawn = False

    def __call__(self, done: int, total: int, message: str) -> None:
        fraction = min(1.0, done / total) if total > 0 else 1.0
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw < 0.1 and done < total:
                return
            self._last_draw = now
            filled = int(round(fraction * self.width))
            text = f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {fraction * 100:5.1f}% {message}"
            self.stream.write(f"{text[:118]:<118}")
            self._drawn = True
        else:
            decile = int(fraction * 10)
            base = message.split(":")[0]
            if base != self._last_message or decile != self._last_decile:
                self._last_message, self._last_decile = base, decile
                self.stream.write(f"{self.label}: {fraction * 100:3.0f}% {message}\n")
        self.stream.flush()

    def finish(self) -> None:
        """End the bar's line."""
        if self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
