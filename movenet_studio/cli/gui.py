"""``movenet-studio gui [SOURCE]``: open the window (the default command)."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from .classifier_options import add_classifier_options, check_classifier_args
from .live_options import SOURCE_HELP, add_live_options, live_options_from_args
from .options import add_model_options, add_pipeline_options, positive_int


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("gui", help="open the window (default)",
                                   description="Open the MoveNet Studio window, optionally on SOURCE.")
    parser.add_argument("source", nargs="?", metavar="SOURCE",
                        help=f"{SOURCE_HELP} (default: the last source; on a first start the bundled sample video)")
    add_model_options(parser, default_model=None)
    add_pipeline_options(parser, saved_defaults=True)  # not given: None, the window's saved setting
    add_live_options(parser, duration=False)
    parser.add_argument("--compare", metavar="SPEC", default=None,
                        help="open in compare mode with configuration B = model[:backend] beside the model (A), "
                             "e.g. lightning-int8, thunder, lightning:onnx")
    parser.add_argument("--overlays", type=_overlay_list, default=None, metavar="NAMES",
                        help="initial overlays, comma-separated: skeleton, heatmaps, centre, offsets, regression, "
                             "decode, crop (the export's names; all) (default: the saved choices)")
    parser.add_argument("--pace", choices=("realtime", "max"), default=None,
                        help="play files at their frame rate (realtime, default) or as fast as inference runs (max)")
    parser.add_argument("--loop", action="store_true",
                        help="loop files (soak runs; not saved); at exit print resident memory and thread "
                             "counts (also in --stats-json)")
    parser.add_argument("--exit-after-frames", type=positive_int, metavar="N",
                        help="quit after N processed frames (for tests, docs and benchmarks)")
    parser.add_argument("--screenshot", type=Path, metavar="PNG",
                        help="with --exit-after-frames: save a screenshot of the window before quitting")
    parser.add_argument("--stats-json", type=Path, metavar="PATH",
                        help="at exit, write the run's figures as JSON: processed and displayed FPS, dropped "
                             "frames, stage p50/p95, event-loop lag p50/p99 (with --exit-after-frames for benchmarks)")
    parser.add_argument("--layout", metavar="NAME", default=None,
                        help="named dock layout: default, heads, compare or timeline (View > Layout; "
                             "default: the saved one)")
    parser.add_argument("--window-size", type=_size, metavar="WxH", default=None,
                        help="window size in pixels, e.g. 1280x720 (default: the saved size; 1400x900 with "
                             "--exit-after-frames)")
    add_classifier_options(parser, saved_defaults=True)
    parser.set_defaults(run=run, parser=parser)


def _overlay_list(text: str) -> str:
    """argparse type: a comma-separated list of overlay names (core.render.OVERLAY_NAMES)."""
    from ..core.drawing.overlay_options import OverlayOptions

    try:
        OverlayOptions.from_names(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _size(text: str) -> tuple[int, int]:
    """argparse type: ``WIDTHxHEIGHT`` in pixels, each 200..16384."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not WIDTHxHEIGHT, e.g. 1280x720") from None
    if not (200 <= width <= 16384 and 200 <= height <= 16384):
        raise argparse.ArgumentTypeError(f"'{text}': width and height must be 200..16384 pixels")
    return width, height


def _profile(args: argparse.Namespace):
    """The profile the options give, or None (the window's saved one) when none was given."""
    if not any(getattr(args, k, None) for k in ("channels", "resize", "interpolation")):
        return None
    from .options import profile_from_args

    return profile_from_args(args)


def _classifier_request(args: argparse.Namespace):
    if args.classifier is None:
        return None
    from ..gui.window.classification_controller import ClassifierRequest

    return ClassifierRequest(str(args.classifier.expanduser().resolve()), str(args.labels.expanduser().resolve()),
                             args.classifier_order, args.count)


def run(args: argparse.Namespace) -> int:
    if args.screenshot and not args.exit_after_frames:
        raise SystemExit("movenet-studio gui: --screenshot needs --exit-after-frames")
    from ..core.backends import normalize_provider
    from ..gui.app import GuiOptions, run as run_gui

    check_classifier_args(args, args.parser)
    provider = normalize_provider(args.provider)
    backend = args.backend or ("onnx" if provider else None)
    if provider and backend != "onnx":
        raise SystemExit(f"movenet-studio gui: --provider {provider} needs the onnx backend (got --backend {backend})")
    options = GuiOptions(source=args.source, model=args.model, backend=backend, threads=args.threads,
                         provider=provider, tracker=args.tracker, min_pose_score=args.min_pose_score,
                         compare=args.compare,
                         exit_after_frames=args.exit_after_frames, screenshot=args.screenshot, pace=args.pace or "realtime",
                         stats_json=args.stats_json, loop=args.loop, overlays=args.overlays,
                         crop=getattr(args, "crop", None), first_crop=getattr(args, "first_crop", None), smoothing=getattr(args, "smoothing", None),
                         one_euro=getattr(args, "one_euro", None), preprocess=_profile(args),
                         input_range=getattr(args, "input_range", None),
                         classifier=_classifier_request(args), layout=args.layout, window_size=args.window_size,
                         live=replace(live_options_from_args(args), listener=None))  # events go to the status bar
    return run_gui(options)
