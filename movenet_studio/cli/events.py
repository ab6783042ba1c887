"""``movenet-studio events INFER.json``: failure events found in an ``infer --json`` file
without ground truth (left/right swaps, person switches, keypoints outside the frame), and
the threshold options ``infer --events`` shares (:mod:`movenet_studio.core.analysis.events`)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..core.analysis.events import EVENT_KINDS, EventOptions, detect_events, frames_from_infer_json
from ..core.atomic import write_json_atomic
from ..core.errors import StudioError
from ..core.evaluation.coco_schema import MAX_ANNOTATION_BYTES, parse_json
from ..core.files import read_input_bytes
from ..core.text import printable
from .options import positive_int, unit_float

DEFAULTS = EventOptions()


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {printable(text)!r}") from None
    if not 0 <= value < 1e6:
        raise argparse.ArgumentTypeError(f"expected a number 0..1e6, got {printable(text)!r}")
    return value


def _size(text: str) -> tuple[int, int]:
    width, sep, height = text.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit() or not 0 < int(width) <= 65535 \
            or not 0 < int(height) <= 65535:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT in pixels, e.g. 576x576, got {printable(text)!r}")
    return int(width), int(height)


def add_event_options(parser: argparse.ArgumentParser) -> None:
    """The event thresholds (:class:`~movenet_studio.core.analysis.events.EventOptions`), with their defaults."""
    group = parser.add_argument_group("event thresholds")
    group.add_argument("--event-min-score", type=unit_float, default=DEFAULTS.min_score, metavar="S",
                       help="a keypoint is confident at this score or above (default: %(default)s)")
    group.add_argument("--swap-gain", type=_positive_float, default=DEFAULTS.swap_gain, metavar="T",
                       help="left_right_swap: exchanging left and right must bring the pose this many torso "
                            "sizes closer to the smoothed previous frames (default: %(default)s)")
    group.add_argument("--swap-ratio", type=unit_float, default=DEFAULTS.swap_ratio, metavar="R",
                       help="left_right_swap: and leave at most this fraction of the distance (default: %(default)s)")
    group.add_argument("--swap-persist", type=positive_int, default=DEFAULTS.swap_persist, metavar="N",
                       help="left_right_swap: after N swapped frames in a row the track follows the new "
                            "orientation (default: %(default)s)")
    group.add_argument("--event-smoothing", type=unit_float, default=DEFAULTS.smoothing, metavar="A",
                       help="weight of the newest frame in the smoothed reference pose (default: %(default)s)")
    group.add_argument("--switch-torso", type=_positive_float, default=DEFAULTS.switch_torso, metavar="T",
                       help="person_switch: the pose jumps more than T torso sizes from the previous frame "
                            "(default: %(default)s)")
    group.add_argument("--outside-margin", type=_positive_float, default=DEFAULTS.margin, metavar="PX",
                       help="outside_frame: pixels a confident keypoint may lie outside the frame "
                            "(default: %(default)s)")


def event_options_from_args(args: argparse.Namespace) -> EventOptions:
    """The :class:`EventOptions` the event options describe."""
    if not 0 < args.event_smoothing:
        raise StudioError("--event-smoothing must be above 0")
    return EventOptions(min_score=args.event_min_score, smoothing=args.event_smoothing, swap_gain=args.swap_gain,
                        swap_ratio=args.swap_ratio, switch_torso=args.switch_torso, margin=args.outside_margin,
                        swap_persist=args.swap_persist)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "events", help="find left/right swaps, person switches and keypoints outside the frame in infer --json output",
        description="Read the poses of an infer --json file and list, per track, the frames where the "
                    "left/right keypoints flip, the pose jumps to another person or object, or confident "
                    "keypoints lie outside the frame. No ground truth is needed. The definitions: "
                    "docs/howto/error-atlas.md.")
    parser.add_argument("infer_json", type=Path, metavar="INFER.json", help="a file written by infer --json")
    parser.add_argument("--json", type=Path, nargs="?", const=Path("-"), metavar="PATH",
                        help="write {\"events\": [...]} to PATH; without PATH, print it on stdout instead of the list")
    parser.add_argument("--size", type=_size, default=None, metavar="WxH",
                        help="frame size for outside_frame when the file does not record it (older files)")
    add_event_options(parser)
    parser.set_defaults(run=run, parser=parser)


def format_events(events) -> str:
    """One line per event, then the count per kind."""
    lines = [f"frame {e.frame:>6}  {e.kind:<16} track {'-' if e.track_id is None else e.track_id:<4} "
             f"magnitude {e.magnitude:7.2f}  {', '.join(e.keypoints)}" for e in events]
    counts = {kind: sum(1 for e in events if e.kind == kind) for kind in EVENT_KINDS}
    lines.append(f"{len(events)} events: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    options = event_options_from_args(args)
    name = printable(args.infer_json.name)
    document = parse_json(read_input_bytes(args.infer_json, MAX_ANNOTATION_BYTES, "infer JSON file"), name)
    try:
        frames, names = frames_from_infer_json(document)
    except ValueError as exc:
        raise StudioError(f"{name}: {exc}") from None
    if args.size is not None:
        frames = [f if f.size is not None else type(f)(f.index, f.poses, args.size) for f in frames]
    events = detect_events(frames, names, options) if names else []
    document = {"events": [e.to_json() for e in events]}
    if args.json == Path("-"):
        print(json.dumps(document))
        return 0
    print(format_events(events))
    if args.json:
        write_json_atomic(args.json, document)
        print(f"events written to {args.json}")
    return 0
