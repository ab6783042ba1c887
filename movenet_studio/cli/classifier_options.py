"""``--classifier FILE --labels FILE [--classifier-order xy|yx] [--count CLASS]`` for infer and export."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.classify.classification import FrameClassifier
from ..core.classify.classifier import COORDINATE_ORDERS, load_classifier
from ..core.stream import attach_classifier, check_keypoint_count  # noqa: F401  (infer, export; tests)


def add_classifier_options(parser: argparse.ArgumentParser, saved_defaults: bool = False) -> None:
    """Add the pose-classifier options (see docs/howto/count-repetitions.md).

    With `saved_defaults` (the window) ``--classifier-order`` not given parses as None: the saved choice.
    """
    group = parser.add_argument_group(
        "pose classification",
        "classify every pose with a classifier in the format of Google's TFLite pose-classification "
        "tutorial: one float32 input [1, 51] = 17 keypoints x (x, y, score) in frame pixels")
    group.add_argument("--classifier", type=Path, metavar="FILE", help="pose classifier (.tflite or .onnx)")
    group.add_argument("--labels", type=Path, metavar="FILE",
                       help="the classifier's class names, one per line in output order")
    group.add_argument("--classifier-order", choices=COORDINATE_ORDERS, default=None if saved_defaults else "xy",
                       help="keypoint rows fed to the classifier: xy = (x, y, score) as the tutorial trains, "
                            "yx = (y, x, score) as Google's Android and Raspberry Pi samples feed "
                            f"(default: {'the saved choice' if saved_defaults else '%(default)s'})")
    group.add_argument("--count", metavar="CLASS",
                       help="count repetitions of CLASS (entries into it, with hysteresis and a minimum dwell)")


def check_classifier_args(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Usage errors (exit 2): --labels without --classifier and the like."""
    if (args.classifier is None) != (args.labels is None):
        parser.error("--classifier and --labels go together")
    if args.count is not None and args.classifier is None:
        parser.error("--count needs --classifier and --labels")


def classifier_from_args(args: argparse.Namespace) -> FrameClassifier | None:
    """The classification stage the options ask for (None without ``--classifier``).

    The classifier file is probed in a child process first (see :mod:`~..core.classifier`).

    Raises:
        ClassifierError: unreadable or wrong files, or ``--count`` names no class of the classifier.
    """
    if args.classifier is None:
        return None
    classifier = load_classifier(args.classifier, args.labels, threads=1)
    return FrameClassifier(classifier, args.classifier_order, args.count)


def summary_line(stage: FrameClassifier) -> str:
    """One line for the terminal: ``classification (xy): standing 46, squat 19 frames; squat repetitions: 3``."""
    summary = stage.summary()
    frames = ", ".join(f"{label} {n}" for label, n in summary["frames"].items())
    line = f"classification ({stage.order}, {stage.classifier.path.name}): {frames} frames"
    if stage.counted is not None:
        line += f"; {stage.counted} repetitions: {summary['repetitions']}"
    return line
