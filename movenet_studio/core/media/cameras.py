"""Cameras: which exist (names and the modes they offer), and opening one as a live source.

On Linux the devices are read from ``/sys/class/video4linux`` (name) and asked through V4L2
ioctls (``VIDIOC_QUERYCAP``, ``VIDIOC_ENUM_FMT``, ``VIDIOC_ENUM_FRAMESIZES``,
``VIDIOC_ENUM_FRAMEINTERVALS``; Linux UAPI ``videodev2.h``) for their pixel formats, sizes
and frame rates, the same list ``ffmpeg -f v4l2 -list_formats all`` prints. Metadata nodes
(a UVC camera's second ``/dev/videoN``) are left out. Elsewhere no list is available and
``camera:N`` is opened by index.

Frames come through OpenCV (V4L2, DirectShow/MSMF, AVFoundation). On V4L2 a frame's capture
time is the driver's buffer timestamp (``CAP_PROP_POS_MSEC``, on the monotonic clock).
"""

from __future__ import annotations

import errno
import fcntl
import math
import os
import re
import stat
import struct
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from ..errors import SourceError
from ..file_kinds import kind_of
from ..text import printable
from .live import DEFAULT_STALL_TIMEOUT_S, FeedFrame, LivePolicy, LiveSource
from .sources import MAX_CAMERA_INDEX, quiet_ffmpeg

SYS_VIDEO4LINUX = Path("/sys/class/video4linux")


@dataclass(frozen=True, slots=True)
class CameraMode:
    """One capture mode: pixel format, frame size in pixels, frame rate in frames per second
    (None: the driver lists no discrete rate)."""

    pixel_format: str
    width: int
    height: int
    fps: float | None

    def __str__(self) -> str:
        rate = f" @ {self.fps:g} fps" if self.fps else ""
        return f"{self.width}x{self.height}{rate} {self.pixel_format}"


@dataclass(frozen=True, slots=True)
class CameraDevice:
    """A camera: ``camera:index``, its device node, its name and its modes (empty when they
    could not be read, e.g. the device is busy)."""

    index: int
    path: str
    name: str
    modes: tuple[CameraMode, ...]
    note: str = ""

    @property
    def spec(self) -> str:
        """The source to open it: ``camera:N``."""
        return f"camera:{self.index}"


# -- V4L2 ioctls (linux/videodev2.h) ------------------------------------------------------------

def _iowr(nr: int, size: int, direction: int = 3) -> int:
    return (direction << 30) | (size << 16) | (ord("V") << 8) | nr


_CAP = struct.Struct("16s32s32sIII12x")          # v4l2_capability, 104 bytes
_FMT = struct.Struct("III32sII12x")              # v4l2_fmtdesc, 64 bytes
_SIZE = struct.Struct("III6I8x")                 # v4l2_frmsizeenum, 44 bytes
_IVAL = struct.Struct("IIIII6I8x")               # v4l2_frmivalenum, 52 bytes
VIDIOC_QUERYCAP = _iowr(0, _CAP.size, direction=2)
VIDIOC_ENUM_FMT = _iowr(2, _FMT.size)
VIDIOC_ENUM_FRAMESIZES = _iowr(74, _SIZE.size)
VIDIOC_ENUM_FRAMEINTERVALS = _iowr(75, _IVAL.size)
_CAPTURE, _DEVICE_CAPS = 0x1, 0x80000000
_BUF_TYPE_VIDEO_CAPTURE = 1
_DISCRETE = 1
_MAX_ENUM = 64  # bound every enumeration (a driver could answer forever)


def _enum(fd: int, request: int, layout: struct.Struct, head: tuple[int, ...]) -> list[tuple]:
    """Every answer of an enumerating ioctl whose struct starts with ``u32 index`` and the
    u32 fields `head`: index 0, 1, ... until EINVAL (at most :data:`_MAX_ENUM`)."""
    out = []
    for index in range(_MAX_ENUM):
        buffer = bytearray(layout.size)
        struct.pack_into(f"{1 + len(head)}I", buffer, 0, index, *head)
        try:
            fcntl.ioctl(fd, request, buffer)
        except OSError as exc:
            if exc.errno in (errno.EINVAL, errno.ENOTTY):
                break
            raise
        out.append(layout.unpack(bytes(buffer)))
    return out


def _fourcc(code: int) -> str:
    return struct.pack("<I", code).decode("ascii", "replace").strip()


def v4l2_modes(path: str) -> tuple[CameraMode, ...] | None:
    """The capture modes of a V4L2 device node; None when it is not a capture device.

    Raises:
        OSError: the device cannot be opened or asked (busy, permission denied).
    """
    fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
    try:
        buffer = bytearray(_CAP.size)
        fcntl.ioctl(fd, VIDIOC_QUERYCAP, buffer)
        *_, capabilities, device_caps = _CAP.unpack(bytes(buffer))
        caps = device_caps if capabilities & _DEVICE_CAPS else capabilities
        if not caps & _CAPTURE:
            return None
        modes = []
        for fmt in _enum(fd, VIDIOC_ENUM_FMT, _FMT, (_BUF_TYPE_VIDEO_CAPTURE,)):
            code = fmt[4]
            for size in _enum(fd, VIDIOC_ENUM_FRAMESIZES, _SIZE, (code,)):
                if size[2] != _DISCRETE:  # stepwise/continuous: list the largest size
                    width, height = size[4], size[7]
                else:
                    width, height = size[3], size[4]
                rates = [ival[6] / ival[5] for ival in _enum(fd, VIDIOC_ENUM_FRAMEINTERVALS, _IVAL,
                                                                 (code, width, height))
                         if ival[4] == _DISCRETE and ival[5]]
                for rate in sorted(set(rates), reverse=True) or [None]:
                    modes.append(CameraMode(_fourcc(code), width, height, rate))
        return tuple(modes)
    finally:
        os.close(fd)


def list_cameras(sys_root: Path = SYS_VIDEO4LINUX, dev_root: Path = Path("/dev"),
                 modes_of: Callable[[str], tuple[CameraMode, ...] | None] = v4l2_modes) -> list[CameraDevice]:
    """The cameras of this machine, in index order (Linux; elsewhere an empty list).

    Args:
        sys_root: the ``video4linux`` class folder (tests give a fake tree).
        dev_root: where the device nodes are.
        modes_of: reads a node's modes (tests give a fake); None: not a capture node.

    Returns:
        One :class:`CameraDevice` per capture node; a node whose modes cannot be read is
        listed with no modes and a note (busy, permission denied).
    """
    if not sys_root.is_dir():
        return []
    cameras = []
    nodes = sorted((p for p in sys_root.iterdir() if re.fullmatch(r"video[0-9]{1,3}", p.name)),
                   key=lambda p: int(p.name[5:]))
    for node in nodes:
        index = int(node.name[5:])
        if index > MAX_CAMERA_INDEX:
            continue
        try:
            name = (node / "name").read_text(errors="replace").strip() or node.name
        except OSError:
            name = node.name
        path = str(dev_root / node.name)
        note = ""
        try:
            modes = modes_of(path)
        except OSError as exc:
            modes, note = (), f"modes not readable ({exc.strerror or exc})"
        if modes is None:
            continue  # a metadata or output node
        cameras.append(CameraDevice(index, path, printable(name), tuple(modes), note))
    return cameras


def describe_cameras(cameras: list[CameraDevice]) -> list[str]:
    """Lines for people: each camera with its modes (``movenet-studio cameras``)."""
    if not cameras:
        where = "/sys/class/video4linux" if sys.platform.startswith("linux") else "this system's camera list"
        return [f"no camera found (nothing in {where}); a network stream opens by its URL"]
    lines = []
    for camera in cameras:
        lines.append(f"{camera.spec:<10} {camera.name}  ({camera.path}){'  ' + camera.note if camera.note else ''}")
        for mode in camera.modes:
            lines.append(f"    {mode}")
    return lines


# -- opening ---------------------------------------------------------------------------------

def parse_camera_size(text: str) -> tuple[int, int]:
    """``WxH`` -> (width, height), each 16..8192.

    Raises:
        ValueError: anything else.
    """
    match = re.fullmatch(r"\s*([0-9]{2,4})\s*[xX]\s*([0-9]{2,4})\s*", str(text))
    if not match or not all(16 <= int(v) <= 8192 for v in match.groups()):
        raise ValueError(f"not a frame size WxH (16..8192 each), e.g. 1280x720: {printable(text)}")
    return int(match.group(1)), int(match.group(2))


class CameraFeed:
    """One open camera through OpenCV (see :class:`~.live.Feed`).

    Raises:
        SourceError: no such device, cannot open, or the asked size is not given.
    """

    finite = False

    def __init__(self, index: int, size: tuple[int, int] | None = None, fps: float | None = None,
                 stall_timeout_s: float = DEFAULT_STALL_TIMEOUT_S):
        self.index = index
        if sys.platform.startswith("linux"):  # OpenCV's V4L probing can crash on odd indices: ask the OS first
            device = Path(f"/dev/video{index}")
            try:
                mode = device.stat().st_mode
            except OSError:
                raise SourceError(f"camera {index}: no such device ({device} does not exist)") from None
            if not stat.S_ISCHR(mode):
                raise SourceError(f"camera {index}: {device} is {kind_of(mode)}, not a camera")
        quiet_ffmpeg()
        # V4L2: a read that gets no frame gives up after this many seconds (OpenCV's default 10;
        # read once per process, at the first capture), so a stalled camera drops like a stream.
        os.environ.setdefault("OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT", str(max(1, math.ceil(stall_timeout_s))))
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)  # no WARN lines of its probing
        self._capture = cv2.VideoCapture(index)
        if not self._capture.isOpened():
            self._capture.release()
            raise SourceError(f"camera {index}: cannot open (no such device, or it is in use)")
        if size is not None:
            self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, size[0])
            self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, size[1])
        if fps is not None:
            self._capture.set(cv2.CAP_PROP_FPS, fps)
        got = (int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        if size is not None and got != tuple(size):
            self._capture.release()
            raise SourceError(f"camera {index}: does not offer {size[0]}x{size[1]} (it gives {got[0]}x{got[1]}; "
                              "see `movenet-studio cameras` for its modes)")
        rate = float(self._capture.get(cv2.CAP_PROP_FPS))
        self.fps = rate if 0 < rate < 1000 else None
        self._closed = False

    def read(self) -> FeedFrame | None:
        ok, bgr = self._capture.read()
        arrival = time.monotonic()
        if not ok or bgr is None:
            raise SourceError(f"camera {self.index}: stopped delivering frames (unplugged?)")
        stamp = float(self._capture.get(cv2.CAP_PROP_POS_MSEC)) / 1000.0  # V4L2: buffer time, monotonic clock
        captured = stamp if 0 < arrival - stamp < 5.0 else arrival
        return FeedFrame(np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)), None, captured)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._capture.release()


def open_camera(index: int, size: tuple[int, int] | None = None, fps: float | None = None,
                policy: LivePolicy = LivePolicy(), listener=None) -> LiveSource:
    """Camera `index` (0..:data:`~.sources.MAX_CAMERA_INDEX`) as a live source, optionally in
    the mode `size` (width, height) px at `fps` frames per second.

    Raises:
        SourceError: bad index, no such device, cannot open, mode not offered.
    """
    if not isinstance(index, int) or not 0 <= index <= MAX_CAMERA_INDEX:
        raise SourceError(f"camera {printable(index)}: the camera index must be 0..{MAX_CAMERA_INDEX}")
    return LiveSource(f"camera {index}", "camera", lambda: CameraFeed(index, size, fps, policy.stall_timeout_s),
                      policy, listener)
