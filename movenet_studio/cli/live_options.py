"""Options of live sources (cameras, network streams) shared by infer, export, compare and layers,
and how a headless run reports a live feed: one stderr line per event (drop, each reconnect
attempt, loss), a summary, and exit code 1 when the feed ended by failure (the frames read
until then are processed and written first)."""

from __future__ import annotations

import argparse
import math
import sys

from ..core.media.cameras import parse_camera_size
from ..core.media.live import (DEFAULT_OPEN_TIMEOUT_S, DEFAULT_RECONNECTS, DEFAULT_STALL_TIMEOUT_S, LiveEvent,
                               LiveOptions, LivePolicy)
from ..core.media.sources import Source
from ..core.output.infer_run import live_summary  # noqa: F401  (compare, export, layers)
from ..core.stream import open_request_source
from ..core.media.urls import DEFAULT_RTSP_TRANSPORT, RTSP_TRANSPORTS
from ..core.text import hide_credentials, printable
from .options import MAX_COUNT, error_line, non_negative_int

#: Help text of SOURCE for commands that take any source.
SOURCE_HELP = ("video, image, folder of images, camera:N, or a stream URL (rtsp://, rtsp+tcp://, http(s):// "
               "MPEG-TS/MJPEG/HLS, udp://, tcp://)")


def display_source(spec: object) -> str:
    """A source as printed and written to JSON: a URL with its credentials hidden."""
    return hide_credentials(str(spec))


def seconds(text: str) -> float:
    """argparse type: a positive number of seconds (at most a day)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {printable(text)}") from None
    if not (math.isfinite(value) and 0 < value <= 86400):
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 86400 s: {printable(text)}")
    return value


def camera_size(text: str) -> tuple[int, int]:
    """argparse type of ``--camera-size WxH``."""
    try:
        return parse_camera_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def camera_fps(text: str) -> float:
    """argparse type of ``--camera-fps F`` (0 < F <= 1000)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a frame rate: {printable(text)}") from None
    if not (math.isfinite(value) and 0 < value <= 1000):
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 1000: {printable(text)}")
    return value


def add_live_options(parser: argparse.ArgumentParser, duration: bool = True) -> None:
    """Add ``--open-timeout``, ``--stall-timeout``, ``--reconnect``, ``--rtsp-transport``,
    ``--camera-size``, ``--camera-fps`` and (with `duration`) ``--duration``."""
    group = parser.add_argument_group("live sources (cameras and streams)")
    group.add_argument("--open-timeout", type=seconds, default=DEFAULT_OPEN_TIMEOUT_S, metavar="S",
                       help="give up opening a stream or camera that has not answered after S seconds "
                            "(default: %(default)g)")
    group.add_argument("--stall-timeout", type=seconds, default=DEFAULT_STALL_TIMEOUT_S, metavar="S",
                       help="a feed that delivers nothing for S seconds has dropped (default: %(default)g)")
    group.add_argument("--reconnect", type=non_negative_int, default=DEFAULT_RECONNECTS, metavar="N",
                       help="reconnect attempts after a feed drops, waiting 0.5, 1, 2, 4, 8, 8 ... s before "
                            "each; 0: none (default: %(default)s)")
    group.add_argument("--rtsp-transport", choices=RTSP_TRANSPORTS, default=None,
                       help=f"RTSP over tcp, udp, or auto (FFmpeg: udp then tcp) (default: {DEFAULT_RTSP_TRANSPORT}; "
                            "rtsp+udp:// and rtsp+tcp:// URLs choose too)")
    group.add_argument("--camera-size", type=camera_size, default=None, metavar="WxH",
                       help="camera:N frame size, e.g. 1280x720 (default: the camera's; modes: movenet-studio cameras)")
    group.add_argument("--camera-fps", type=camera_fps, default=None, metavar="F",
                       help="camera:N frame rate (default: the camera's)")
    if duration:
        group.add_argument("--duration", type=seconds, default=None, metavar="S",
                           help="live sources: stop after S seconds (default: --max-frames, the feed's end, or Ctrl-C)")


def print_event(event: LiveEvent) -> None:
    """One stderr line per live event (drop, reconnect attempt, reconnected, lost, ended)."""
    print(f"movenet-studio: live: {printable(event.message)}", file=sys.stderr, flush=True)


def live_options_from_args(args: argparse.Namespace) -> LiveOptions:
    """The :class:`~movenet_studio.core.media.live.LiveOptions` the options give, printing events."""
    given = vars(args)  # batch tasks reuse infer's code without these options: defaults
    policy = LivePolicy(open_timeout_s=given.get("open_timeout") or DEFAULT_OPEN_TIMEOUT_S,
                        stall_timeout_s=given.get("stall_timeout") or DEFAULT_STALL_TIMEOUT_S,
                        reconnects=min(given.get("reconnect", DEFAULT_RECONNECTS), MAX_COUNT))
    return LiveOptions(policy, given.get("camera_size"), given.get("camera_fps"), given.get("rtsp_transport"),
                       print_event)


def open_run_source(args: argparse.Namespace, max_frames: int | None = None) -> Source:
    """``args.source`` opened for a headless run (:func:`~movenet_studio.core.stream.open_request_source`:
    a live source bounded by ``max_frames`` and ``--duration``).

    Raises:
        SourceError: the source cannot be opened (one line; credentials hidden).
    """
    return open_request_source(args.source, live_options_from_args(args), max_frames, getattr(args, "duration", None))


def finish_live(summary: dict | None) -> int:
    """Print the live summary line (:func:`live_summary`) and, when the feed ended by failure,
    the error line; the exit code: 1 after a failure, else 0 (also for a file: None)."""
    if summary is None:
        return 0
    latency = summary.get("capture_to_result_ms")
    print(f"live         {summary['frames']} frame{'s' if summary['frames'] != 1 else ''}, {summary['dropped']} dropped (newest frame wins), "
          f"{summary['reconnects']} reconnect{'s' if summary['reconnects'] != 1 else ''}"
          + (f", capture-to-result p50 {latency['p50']:.1f} ms, p95 {latency['p95']:.1f} ms" if latency else ""))
    if summary["failure"]:
        kept = f"the {summary['frames']} frames read were kept" if summary["frames"] != 1 else \
            "the frame read was kept"
        print(error_line(f"{summary['failure']} ({kept})"), file=sys.stderr)
        return 1
    return 0
