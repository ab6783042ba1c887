"""``movenet-studio export SOURCE --out PATH``: annotated video and keypoint files, headless."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.drawing.colormaps import DEFAULT_CENTRE_COLORMAP, DEFAULT_COLORMAP, colormap_names
from ..core.errors import StudioError
from ..core.output.export import VIDEO_CODECS, ExportError, check_output_path
from ..core.output.export_job import ExportRequest, run_export
from ..core.output.infer_run import DEFAULT_OVERLAYS
from ..core.stream import ClassifierFiles
from ..core.decoding.keypoints import KEYPOINT_INDEX, KEYPOINT_NAMES
from ..core.progress import JobControl
from ..core.drawing.overlay_options import (
    DEFAULT_HEATMAP_OPACITY, DEFAULT_KEYPOINT_THRESHOLD, DEFAULT_OFFSET_SCALE, MAX_OFFSET_SCALE, OVERLAY_NAMES,
    OverlayOptions,
)
from ..core.drawing.render_layers import unavailable_overlays
from ..core.text import printable
from .classifier_options import (
    add_classifier_options, check_classifier_args, summary_line,
)
from .options import (MAX_COUNT, add_model_options, add_pipeline_options, config_from_args, profile_from_args,
                      unit_float)
from .live_options import SOURCE_HELP, add_live_options, finish_live, live_options_from_args
from .progress import ProgressBar



def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "export", help="write a video with the overlays drawn, and keypoints as COCO JSON or CSV",
        description="Run MoveNet on SOURCE and write an annotated video (the window's overlays burned in) "
                    "and/or the keypoints of every frame. Files are written under a temporary name and "
                    "renamed when complete; an existing file is replaced only with --force.")
    parser.add_argument("source", metavar="SOURCE", help=SOURCE_HELP)
    parser.add_argument("--out", "-o", type=Path, metavar="PATH",
                        help=f"annotated video to write ({', '.join(VIDEO_CODECS)})")
    parser.add_argument("--keypoints", "-k", type=Path, metavar="PATH",
                        help="keypoints file: .json (COCO keypoint results; image_id = frame index, or the "
                             "COCO image id for numbered COCO image files) or .csv "
                             "(frame, timestamp_ms, person, keypoint, x, y, score)")
    add_model_options(parser)
    add_pipeline_options(parser)
    parser.add_argument("--overlays", default=DEFAULT_OVERLAYS, metavar="LIST",
                        help=f"comma-separated layers to draw, from {', '.join(OVERLAY_NAMES)}, or all "
                             f"(default: %(default)s)")
    parser.add_argument("--frames", type=frame_range, metavar="A:B",
                        help="source frames A to B-1 (A: to the end, :B from the start; default: all)")
    parser.add_argument("--threshold", type=unit_float, default=DEFAULT_KEYPOINT_THRESHOLD, metavar="T",
                        help="keypoint score threshold for drawing (default: %(default)s)")
    parser.add_argument("--heatmap-keypoint", "--joint", dest="heatmap_keypoint", default=None, metavar="NAME",
                        help="keypoint whose heatmap to show, e.g. left_wrist or 9 (default: max over all "
                             "keypoints; --joint is the old name)")
    parser.add_argument("--colormap", default=DEFAULT_COLORMAP, choices=colormap_names(),
                        help="heatmap colour map (default: %(default)s)")
    parser.add_argument("--centre-colormap", default=DEFAULT_CENTRE_COLORMAP, choices=colormap_names(),
                        help="centre heatmap colour map (default: %(default)s)")
    parser.add_argument("--offset-scale", type=float, default=DEFAULT_OFFSET_SCALE, metavar="K",
                        help=f"draw offset arrows K times their length, 1..{MAX_OFFSET_SCALE:g} (offsets are under "
                             "one heatmap cell; default: %(default)s)")
    parser.add_argument("--opacity", type=unit_float, default=DEFAULT_HEATMAP_OPACITY, metavar="F",
                        help="heatmap opacity 0..1 (default: %(default)s)")
    parser.add_argument("--fps", type=float, default=None, metavar="F",
                        help="frame rate of the video (default: the source's)")
    parser.add_argument("--coco-annotations", type=Path, metavar="PATH",
                        help="COCO annotation file whose image ids the JSON keypoints should use")
    parser.add_argument("--per-person", action="store_true",
                        help="with --coco-annotations, SOURCE its image folder and a .json --keypoints: one "
                             "prediction per annotated person from a square crop around its box, exactly as "
                             "eval's single protocol makes them (records carry annotation_id), so "
                             "eval --results on the file reproduces eval --model's AP. The default for a "
                             "single-pose model when those are given without --out (a MultiPose model then "
                             "writes every pose of each image as eval --protocol multi runs it)")
    parser.add_argument("--whole-image", action="store_true",
                        help="with --coco-annotations: run the pipeline on whole images (one record per pose; "
                             "the annotations only give the image ids) instead of --per-person")
    add_classifier_options(parser)
    parser.add_argument("--force", "-f", action="store_true", help="overwrite existing output files")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    add_live_options(parser)
    parser.set_defaults(run=run, parser=parser)


def frame_range(text: str) -> range:
    """argparse type: ``A:B`` (B exclusive), ``A:`` or ``:B`` -> range."""
    start_text, sep, stop_text = text.partition(":")
    try:
        if not sep:
            raise ValueError
        start = int(start_text) if start_text.strip() else 0
        stop = int(stop_text) if stop_text.strip() else sys.maxsize
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected A:B, A: or :B with whole numbers, got {printable(text)!r}") from None
    if start < 0 or stop <= start:
        raise argparse.ArgumentTypeError(f"need 0 <= A < B, got {printable(text)!r}")
    if start > MAX_COUNT or (stop_text.strip() and stop > MAX_COUNT):
        raise argparse.ArgumentTypeError(f"frame numbers must be 0..{MAX_COUNT}, got {printable(text)!r}")
    return range(start, stop)


def _heatmap_keypoint(text: str | None) -> int | None:
    """``--heatmap-keypoint``: a keypoint name or index -> index (ValueError otherwise)."""
    if text is None:
        return None
    if text.isdigit() and int(text) < len(KEYPOINT_NAMES):
        return int(text)
    if text.lower() in KEYPOINT_INDEX:
        return KEYPOINT_INDEX[text.lower()]
    raise ValueError(f"--heatmap-keypoint {text}: not a keypoint; use 0..16 or one of {', '.join(KEYPOINT_NAMES)}")


def run(args: argparse.Namespace) -> int:
    if args.out is None and args.keypoints is None:
        args.parser.error("give --out PATH (video) and/or --keypoints PATH (.json or .csv)")
    check_classifier_args(args, args.parser)
    try:
        options = OverlayOptions.from_names(args.overlays, keypoint_threshold=args.threshold,
                                            heatmap_keypoint=_heatmap_keypoint(args.heatmap_keypoint), colormap=args.colormap,
                                            heatmap_opacity=args.opacity, centre_opacity=args.opacity,
                                            centre_colormap=args.centre_colormap, offset_scale=args.offset_scale)
    except ValueError as exc:
        args.parser.error(f"--overlays: {exc}")
    if args.out is not None and args.out.suffix.lower() not in VIDEO_CODECS:
        raise ExportError(f"{args.out}: unsupported video type; use {', '.join(VIDEO_CODECS)}")
    if args.keypoints is not None and args.keypoints.suffix.lower() not in (".json", ".csv"):
        raise ExportError(f"{args.keypoints}: keypoints file must end in .json (COCO results) or .csv")
    if args.out is not None and args.keypoints is not None and args.out.resolve() == args.keypoints.resolve():
        raise ExportError("--out and --keypoints name the same file")
    for path in (args.out, args.keypoints):  # fail before loading anything
        if path is not None:
            check_output_path(path, args.force)
    if args.fps is not None and not 0 < args.fps <= 1000:
        raise ExportError(f"--fps {args.fps}: must be above 0 and at most 1000")

    if args.per_person and args.whole_image:
        args.parser.error("--per-person and --whole-image exclude each other")
    protocol = "single" if args.per_person else _eval_protocol(args)
    if protocol is not None:
        return _export_as_eval(args, protocol)
    needs_heads = options.needs_heads and args.out is not None
    classifier = ClassifierFiles(args.classifier, args.labels, args.classifier_order, args.count) \
        if args.classifier is not None else None
    request = ExportRequest("video" if args.out is not None else "keypoints", args.source,
                            args.out if args.out is not None else args.keypoints, args.frames,
                            config_from_args(args, heads=needs_heads), options, args.force,
                            keypoints=args.keypoints if args.out is not None else None, fps=args.fps,
                            annotations=args.coco_annotations, live=live_options_from_args(args),
                            duration=getattr(args, "duration", None), classifier_files=classifier)
    bar = _SourceBar(args)
    warned = []

    def check_layers(result) -> None:
        if not warned and args.out is not None:
            warned.append(True)
            # boxes and ids are per pose (MultiPose, trackers), classification needs --classifier:
            # their absence is normal.
            missing = [n for n in unavailable_overlays(result, options)
                       if n not in ("boxes", "ids", "classification")]
            if missing:
                bar.finish()  # end the bar's open line before the note
                print(f"movenet-studio: note: nothing to draw for {', '.join(missing)} "
                      f"with this model and pipeline; skipped", file=sys.stderr)

    try:
        outcome = run_export(request, JobControl(bar), on_result=check_layers, on_source=bar.opened)
    except (StudioError, KeyboardInterrupt):
        bar.finish()
        raise
    summary = outcome.summary
    if args.out is not None:
        w, h = summary.size
        print(f"{args.out}: {summary.frame_count} frames {summary.first_frame}..{summary.last_frame}, "
              f"{w}x{h} at {summary.fps:g} fps ({summary.fourcc}), {summary.seconds:.1f} s")
    if args.keypoints is not None:
        count = outcome.records
        what = ("COCO keypoint results, image_id = " + ("COCO image id" if outcome.image_ids else "frame index")) \
            if args.keypoints.suffix.lower() == ".json" else "CSV, one row per keypoint"
        print(f"{args.keypoints}: {count} {'poses' if args.keypoints.suffix.lower() == '.json' else 'rows'} ({what})")
    if outcome.classifier is not None:
        print(summary_line(outcome.classifier))
    return finish_live(outcome.live)


class _SourceBar:
    """``export``'s progress bar, made at the first report once the source is open (named after
    it; none with --quiet or for a live source without a frame count)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args, self.source, self.bar = args, None, None

    def opened(self, source) -> None:
        self.source = source

    def __call__(self, progress) -> None:
        if self.bar is None:
            args, source = self.args, self.source
            unbounded = source.is_live and (args.frames is None or args.frames.stop == sys.maxsize)
            if args.quiet or unbounded:
                return
            self.bar = ProgressBar(Path(str(source.name)).name or str(args.source), unit="frame")
        self.bar(progress)

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.finish()


def _eval_protocol(args: argparse.Namespace) -> str | None:
    """Annotations, an image folder, a .json keypoints file and no video: write what eval
    scores (eval --results then matches eval --model): ``single`` (per person) for a
    single-pose model, ``multi`` (whole images, eval's still-image settings) for MultiPose;
    None otherwise or with --whole-image."""
    if args.whole_image or args.coco_annotations is None or args.keypoints is None or args.out is not None \
            or args.keypoints.suffix.lower() != ".json" or not Path(args.source).is_dir():
        return None
    from ..core.models.resolve import resolve_model

    config = config_from_args(args)
    return "multi" if resolve_model(config.model, config.backend).is_multipose else "single"


def _export_as_eval(args: argparse.Namespace, protocol: str) -> int:
    """eval's predictions of `protocol` written as a COCO results file (``--per-person`` is ``single``)."""
    from ..core.evaluation.run import image_results, person_results
    from ..core.output.export import write_results_json

    if args.coco_annotations is None or args.keypoints is None or args.out is not None \
            or args.keypoints.suffix.lower() != ".json":
        args.parser.error("--per-person needs --coco-annotations and a .json --keypoints, and no --out")
    folder = Path(args.source)
    if not folder.is_dir():
        raise ExportError(f"{printable(args.source)}: --per-person needs the folder of the annotated images")
    config = config_from_args(args)
    bar = None if args.quiet else ProgressBar(folder.name or str(folder),
                                              unit="person" if protocol == "single" else "image")
    predict = person_results if protocol == "single" else image_results
    try:
        records = predict(args.coco_annotations, folder, model=config.model, backend=config.backend,
                          threads=config.threads, control=JobControl(bar), preprocess=profile_from_args(args),
                          input_range=config.input_range)
    finally:
        if bar:
            bar.finish()
    count = write_results_json(records, args.keypoints, force=args.force)
    what = "one per annotated person, with annotation_id" if protocol == "single" else \
        "every pose of each annotated image, as eval --protocol multi runs them"
    print(f"{args.keypoints}: {count} poses (COCO keypoint results, {what})")
    return 0
