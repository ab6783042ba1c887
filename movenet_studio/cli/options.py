"""Options shared by several commands."""

from __future__ import annotations

import argparse
import re

from ..core.backends import default_backend, normalize_provider
from ..core.errors import StudioError
from ..core.text import printable
from ..core.models.model_io import parse_range
from ..core.pipeline_config import MIN_POSE_SCORE, PipelineConfig
from ..core.preprocessing.profile import CHANNELS, INTERPOLATIONS, RESIZE_MODES, PreprocessProfile
from ..core.tracking.cropping import FIRST_CROPS
from ..core.tracking.smoothing import parse_one_euro
from ..core.tracking.track_ids import TRACKER_KINDS
from .classifier_options import add_classifier_options


def error_line(message: object, kind: str = "error") -> str:
    """``movenet-studio: error: MESSAGE`` with control characters escaped (one line)."""
    return f"movenet-studio: {kind}: {printable(message)}"


def add_model_options(parser: argparse.ArgumentParser, default_model: str | None = "lightning") -> None:
    """Add ``--model``, ``--backend``, ``--threads`` and ``--provider``."""
    parser.add_argument("--model", "-m", default=default_model, metavar="M",
                        help="lightning, thunder, lightning-int8, thunder-float16, multipose ... "
                             "or a path to a MoveNet .tflite/.onnx file (default: %(default)s)")
    parser.add_argument("--backend", "-b", choices=("tflite", "onnx"), default=None,
                        help="backend: tflite (LiteRT) or onnx (ONNX Runtime) "
                             "(default: tflite, or the model file's format)")
    parser.add_argument("--threads", "-t", type=thread_count, default=None, metavar="N",
                        help=f"CPU threads for the runtime, 1..{MAX_THREADS} (default: 2)")
    add_provider_option(parser)


def add_provider_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--provider NAME`` (ONNX Runtime execution provider)."""
    parser.add_argument("--provider", default=None, metavar="NAME",
                        help="ONNX Runtime execution provider, e.g. CUDAExecutionProvider or cuda, cpu, openvino, "
                             "coreml, dml (default: the best available; implies --backend onnx). One that is "
                             "missing or fails to start falls back to CPU with a note")


#: Largest count any whole-number option takes (frames, warm-up, ...): bounded before anything native sees it.
MAX_COUNT = 1_000_000_000
#: Most CPU threads a runtime may be given.
MAX_THREADS = 256


def _whole_number(text: str, minimum: int, maximum: int = MAX_COUNT) -> int:
    if not re.fullmatch(r"\s*\+?[0-9]{1,12}\s*", text):
        raise argparse.ArgumentTypeError(f"not a whole number: {printable(text)}"
                                         if not re.fullmatch(r"\s*[-+]?[0-9]+\s*", text)
                                         else f"must be {minimum}..{maximum}: {printable(text)}")
    value = int(text)
    if not minimum <= value <= maximum:
        raise argparse.ArgumentTypeError(f"must be {minimum}..{maximum}: {printable(text)}")
    return value


def positive_int(text: str) -> int:
    """argparse type: a whole number 1..:data:`MAX_COUNT`."""
    return _whole_number(text, 1)


def non_negative_int(text: str) -> int:
    """argparse type: a whole number 0..:data:`MAX_COUNT`."""
    return _whole_number(text, 0)


def thread_count(text: str) -> int:
    """argparse type: CPU threads, 1..:data:`MAX_THREADS`."""
    return _whole_number(text, 1, MAX_THREADS)


def unit_float(text: str) -> float:
    """argparse type: a number in 0..1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {printable(text)}") from None
    if not 0.0 <= value <= 1.0:  # NaN fails too
        raise argparse.ArgumentTypeError(f"must be between 0 and 1: {printable(text)}")
    return value


def one_euro_params(text: str):
    """argparse type: ``--smoothing`` One Euro parameters, e.g. ``min_cutoff=2.5,beta=300,d_cutoff=2.5``."""
    try:
        return parse_one_euro(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_pipeline_options(parser: argparse.ArgumentParser, saved_defaults: bool = False) -> None:
    """Add ``--no-crop``, ``--first-crop``, ``--no-smoothing``, ``--smoothing``, ``--tracker`` and ``--min-pose-score``.

    With `saved_defaults` (the window) an option not given parses as None: "the saved setting".
    """
    saved = "the saved setting"
    parser.add_argument("--no-crop", dest="crop", action="store_false", default=None if saved_defaults else True,
                        help="letterbox the whole frame instead of TF.js crop-region tracking")
    parser.add_argument("--first-crop", choices=FIRST_CROPS, default=None if saved_defaults else "centre",
                        help="a video's first crop region (and after a tracker reset): centre, TF.js's square "
                             "inside the frame, or pad, the whole frame padded to a square (default: centre). "
                             "A photo always starts from the padded whole image and refines the crop on its own "
                             "keypoints")
    parser.add_argument("--no-smoothing", dest="smoothing", action="store_false",
                        default=None if saved_defaults else True, help="turn off One Euro keypoint smoothing")
    parser.add_argument("--smoothing", dest="one_euro", type=one_euro_params, default=None, metavar="PARAMS",
                        help="One Euro filter parameters, e.g. min_cutoff=2.5,beta=300,d_cutoff=2.5 (cut-offs in Hz; "
                             "unnamed ones keep TF.js's values; default: "
                             f"{saved if saved_defaults else 'TF.js: min_cutoff=2.5,beta=300,d_cutoff=2.5'}). "
                             "The crop region follows the smoothed keypoints, so they also change the next crop")
    parser.add_argument("--tracker", choices=TRACKER_KINDS, default=None if saved_defaults else "boxes",
                        help="MultiPose track ids: none, boxes (IoU) or keypoints (OKS) "
                             f"(default: {saved if saved_defaults else '%(default)s'})")
    parser.add_argument("--min-pose-score", type=unit_float, default=None if saved_defaults else MIN_POSE_SCORE,
                        metavar="S", help="MultiPose: drop people scoring below S, 0..1 "
                                          f"(default: {saved if saved_defaults else '%(default)s'})")
    add_preprocess_options(parser, saved_defaults)


def add_preprocess_options(parser: argparse.ArgumentParser, saved_defaults: bool = False) -> None:
    """Add the preprocessing profile (``--channels``, ``--resize``, ``--interpolation``) and
    ``--input-range``; not given: None (MoveNet's own preprocessing, or the window's saved setting)."""
    default = "the saved setting" if saved_defaults else None
    parser.add_argument("--channels", choices=CHANNELS, default=None,
                        help=f"channel order fed to the model (default: {default or 'rgb'}; NXP's examples feed bgr)")
    parser.add_argument("--resize", choices=RESIZE_MODES, default=None,
                        help=f"how the frame becomes the model input (default: {default or 'letterbox'}); stretch "
                             "and centre-crop turn crop tracking off (ST's model zoo evaluates with stretch)")
    auto = "auto: area when shrinking, bilinear when enlarging"
    parser.add_argument("--interpolation", choices=INTERPOLATIONS, default=None,
                        help=f"resize interpolation (default: {default or auto}; ST evaluates with nearest)")
    parser.add_argument("--input-range", type=input_range, default=None, metavar="LO..HI",
                        help="values a float32-input model file expects for pixels 0..255: 0..255 (default), -1..1 (write "
                             "--input-range=-1..1) "
                             "or 0..1")


def input_range(text: str) -> tuple[float, float]:
    """argparse type of ``--input-range``."""
    try:
        return parse_range(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def profile_from_args(args: argparse.Namespace, saved: PreprocessProfile | None = None) -> PreprocessProfile:
    """The preprocessing profile the options give (options not given keep `saved`'s, or the default)."""
    base = saved or PreprocessProfile()
    return PreprocessProfile(getattr(args, "channels", None) or base.channels,
                             getattr(args, "resize", None) or base.resize,
                             getattr(args, "interpolation", None) or base.interpolation)


def add_infer_options(parser: argparse.ArgumentParser) -> None:
    """Add the options that say how each source is processed: model, runtime, pipeline, classifier.

    ``infer`` and ``batch`` share them (a batch task runs ``infer``'s code on each source), so
    an option added here reaches both. Output options (``--json``, ``--heads-npz``) are not here.
    """
    add_model_options(parser)
    add_pipeline_options(parser)
    add_classifier_options(parser)


def config_from_args(args: argparse.Namespace, **extra) -> PipelineConfig:
    """The pipeline configuration that the model and pipeline options describe."""
    model = getattr(args, "model", None) or "lightning"
    provider = normalize_provider(getattr(args, "provider", None))
    backend = getattr(args, "backend", None) or ("onnx" if provider else default_backend(model))
    if provider and backend != "onnx":
        raise StudioError(f"--provider {provider} needs the onnx backend (got --backend {backend})")
    for name in ("crop", "first_crop", "smoothing", "tracker", "min_pose_score", "one_euro"):
        if getattr(args, name, None) is not None and name not in extra:
            extra[name] = getattr(args, name)
    extra.setdefault("provider", provider)
    extra.setdefault("preprocess", profile_from_args(args))
    if getattr(args, "input_range", None) is not None:
        extra.setdefault("input_range", args.input_range)
    return PipelineConfig(model=model, backend=backend, threads=getattr(args, "threads", None) or 2, **extra)


def add_cluster_options(parser: argparse.ArgumentParser,
                        workers_default: str = "cores / (threads per worker x runtime threads)") -> None:
    """Add ``--workers``, ``--threads-per-worker`` and ``--scheduler`` (dask.distributed)."""
    parser.add_argument("--workers", "-w", type=positive_int, default=None, metavar="N",
                        help=f"run on a local dask cluster of N worker processes (default: {workers_default})")
    parser.add_argument("--threads-per-worker", type=positive_int, default=1, metavar="T",
                        help="tasks each local worker runs at once (default: %(default)s)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run on an existing dask scheduler, e.g. tcp://host:8786, instead of a local "
                             "cluster (its workers need movenet-studio and the same paths to the files)")
