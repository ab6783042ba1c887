"""``movenet-studio cameras``: the cameras of this machine with the modes they offer."""

from __future__ import annotations

import argparse
import json
import sys


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "cameras", help="list the cameras with their modes (size, frame rate, pixel format)",
        description="List the cameras (camera:N) with their names and the modes they offer: frame size, "
                    "frame rate and pixel format (Linux: /sys/class/video4linux and V4L2). Open one with "
                    "camera:N --camera-size WxH --camera-fps F. Says so when there is none (exit 0).")
    parser.add_argument("--json", dest="as_json", action="store_true", help="print the list as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..core.media import cameras

    found = cameras.list_cameras()
    if args.as_json:
        json.dump([{"source": c.spec, "path": c.path, "name": c.name, "note": c.note or None,
                    "modes": [{"pixel_format": m.pixel_format, "width": m.width, "height": m.height, "fps": m.fps}
                              for m in c.modes]} for c in found], sys.stdout, indent=1)
        print()
        return 0
    for line in cameras.describe_cameras(found):
        print(line)
    return 0
