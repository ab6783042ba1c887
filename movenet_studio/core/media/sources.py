"""Frame sources: video file, image file, folder of images, camera. All yield RGB frames.

Open one with :func:`~.opener.open_source` from a path, a URL or ``camera:N``. Video and image decoding
use OpenCV; images are normalised (grayscale, RGBA, 16-bit, EXIF rotation) to uint8 RGB.

Hostile input: only regular files (and folders) are opened (:mod:`.files`: a FIFO or a
device is refused, never opened); a camera index must be 0..:data:`MAX_CAMERA_INDEX`; an
image declaring more than :data:`MAX_IMAGE_PIXELS` pixels is refused before decoding.
"""

from __future__ import annotations

import logging
import os
import re
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import SourceError
from ..file_kinds import IMAGE_EXTENSIONS, kind_of
from ..files import PathCheckError, check_input_file, read_input_bytes
from .image_header import declared_size
from ..text import printable


log = logging.getLogger(__name__)

#: A video whose decoder fails this many reads in a row before its declared end is given up.
MAX_DECODE_FAILURES = 25
#: Largest image accepted, in pixels (width x height; 100 MP, e.g. 12000 x 8333): a larger
#: declared size is refused before decoding (decompression bombs). OpenCV's own limit
#: (``OPENCV_IO_MAX_IMAGE_PIXELS``) is set to the same value for formats read elsewhere.
MAX_IMAGE_PIXELS = 100_000_000
#: Highest camera index accepted in ``camera:N``.
MAX_CAMERA_INDEX = 99
#: Videos up to this many pixels per frame are decoded on one FFmpeg thread (see :func:`open_capture`).
SINGLE_THREAD_DECODE_PIXELS = 1920 * 1080


def quiet_ffmpeg() -> None:
    """Silence FFmpeg's own messages (a damaged file makes it print a line per bad macroblock);
    decode failures reach the user as :class:`SourceError` instead.

    Sets ``OPENCV_FFMPEG_LOGLEVEL`` unless it is set already (e.g. ``16`` to see FFmpeg's
    errors). OpenCV reads it when it opens its first video in the process.
    """
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")


def open_capture(path: Path) -> cv2.VideoCapture:
    """``cv2.VideoCapture`` of a video file, decoding on one FFmpeg thread when its frames are
    at most :data:`SINGLE_THREAD_DECODE_PIXELS` (OpenCV's default is a frame thread per core).

    A frame then decodes inside ``read()``, on the thread that reads (a reader thread, GIL
    released), while the inference thread crops and decodes keypoints, instead of on FFmpeg's
    threads whenever they get a core, which on two cores preempts the runtime's threads
    mid-inference. Frames are identical either way (H.264 decoding is exact). Larger videos
    keep OpenCV's threads: one thread may not decode them in real time.

    Returns:
        The capture; the caller checks ``isOpened()``.
    """
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened() or capture.getBackendName() != "FFMPEG":
        return capture
    pixels = capture.get(cv2.CAP_PROP_FRAME_WIDTH) * capture.get(cv2.CAP_PROP_FRAME_HEIGHT)
    if not 0 < pixels <= SINGLE_THREAD_DECODE_PIXELS:
        return capture
    single = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, 1])
    if not single.isOpened():
        single.release()
        return capture
    capture.release()
    return single


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame from a source.

    Attributes:
        index: 0-based position in the source (camera: count since opening).
        timestamp_ms: presentation time in ms (video: from the file; camera: capture time
            since opening; images: index x 1000 / 30).
        rgb: uint8 [H, W, 3] RGB, C-contiguous, owned by this frame.
        read_ms: time spent reading and decoding it, in ms.
        still: an independent still image (an image file, or one of a folder of photos):
            the pipeline starts its per-source state (crop region, smoothing, tracks) afresh
            for it, as for the first frame of a video.
        captured_s: live sources: when the frame was captured, on ``time.monotonic()``'s
            clock, in s (the source's own timestamps where it has them, see
            :mod:`.live`); None for files.
    """

    index: int
    timestamp_ms: float
    rgb: np.ndarray
    read_ms: float
    still: bool = False
    captured_s: float | None = None


class Source(ABC):
    """A sequence of frames.

    Attributes:
        name: what to show the user (file name, ``camera 0``).
        is_live: True for cameras (no seeking, no end).
        frame_count: number of frames, or None when unknown (camera).
        fps: nominal frame rate, or None.
        skipped_frames: frames passed over because they could not be decoded (damaged video
            frames, unreadable images in a folder).
    """

    name: str = ""
    is_live: bool = False
    frame_count: int | None = None
    fps: float | None = None
    skipped_frames: int = 0

    @abstractmethod
    def read(self) -> Frame | None:
        """The next frame, or None at the end.

        Raises:
            SourceError: the source failed (corrupt data, camera unplugged).
        """

    def seek(self, index: int) -> None:
        """Make frame `index` the next one :meth:`read` returns (no-op for cameras)."""

    def take_notes(self) -> list[str]:
        """Notes about entries skipped since the last call (one line each; a folder of photos
        skips unreadable and special entries), for the window to show. Default: none."""
        return []

    def close(self) -> None:
        """Release the device or file."""

    def __iter__(self):
        while (frame := self.read()) is not None:
            yield frame

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def decode_image(data: bytes | np.ndarray, name: str = "image") -> np.ndarray:
    """Decode image bytes to uint8 [H, W, 3] RGB.

    Grayscale becomes RGB, alpha is dropped, 16-bit is scaled to 8-bit, CMYK JPEGs are
    converted by libjpeg, and the EXIF orientation is applied.

    Raises:
        SourceError: the bytes are not an image OpenCV can decode.
    """
    image = imdecode_checked(data, name, cv2.IMREAD_COLOR)
    return np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))


def check_image_size(data: bytes | np.ndarray, name: str = "image") -> None:
    """Refuse image bytes whose header declares more than :data:`MAX_IMAGE_PIXELS` pixels.

    Raises:
        SourceError: the declared size is over the limit (nothing was decoded).
    """
    size = declared_size(data.tobytes()[:65536] if isinstance(data, np.ndarray) else data[:65536])
    if size is not None and size[0] * size[1] > MAX_IMAGE_PIXELS:
        raise SourceError(f"{name}: declares {size[0]}x{size[1]} pixels, more than the "
                          f"{MAX_IMAGE_PIXELS // 1_000_000} megapixel limit (not decoded)")


def imdecode_checked(data: bytes | np.ndarray, name: str, flags: int) -> np.ndarray:
    """``cv2.imdecode`` behind the pixel limit (:func:`check_image_size`); BGR(A) as OpenCV gives it.

    Raises:
        SourceError: over the limit, or not an image OpenCV can decode.
    """
    buffer = np.frombuffer(data, dtype=np.uint8) if isinstance(data, (bytes, bytearray)) else data
    if not buffer.size:
        raise SourceError(f"{name}: empty file, not an image")
    check_image_size(buffer, name)
    os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_IMAGE_PIXELS))
    try:
        image = cv2.imdecode(buffer, flags)
    except cv2.error:
        image = None
    if image is None:
        raise SourceError(f"{name}: not an image OpenCV can decode")
    return image


def read_image(path: Path) -> np.ndarray:
    """Read an image file to uint8 [H, W, 3] RGB (see :func:`decode_image`).

    Raises:
        SourceError: missing, unreadable or not an image.
    """
    try:
        data = read_input_bytes(path, what="image")
    except PathCheckError as exc:
        raise SourceError(str(exc)) from None
    return decode_image(data, Path(path).name)


class ImageSource(Source):
    """A single image file: one frame at timestamp 0."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.name = self.path.name
        self._image = read_image(self.path)
        self.frame_count = 1
        self._next = 0

    def read(self) -> Frame | None:
        if self._next >= 1:
            return None
        start = time.perf_counter()
        rgb = self._image.copy()
        self._next += 1
        return Frame(0, 0.0, rgb, (time.perf_counter() - start) * 1000, still=True)

    def seek(self, index: int) -> None:
        self._next = 0 if index <= 0 else 1


class ImageFolderSource(Source):
    """The image files of a folder, in name order, at a nominal 30 frames per second.

    The images are taken as independent photos (:attr:`Frame.still`), not as a sequence.
    An image that cannot be decoded is passed over (logged, counted in
    :attr:`skipped_frames`, named in :attr:`skipped_files`); frame indices stay positions
    in :attr:`files`.

    Raises:
        SourceError: on open, when the folder has no image files; on read, when none of
            them could be decoded.
    """

    fps = 30.0

    def __init__(self, path: Path):
        self.path = Path(path)
        self.name = self.path.name + "/"
        named = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
        self.files = [p for p in named if p.is_file()]
        # Entries named like photos that are not regular files: skipped at once, never opened.
        self._notes = [f"skipped {printable(p.name)}: {_not_a_file(p)}" for p in named if not p.is_file()]
        for note in self._notes:
            log.warning("%s", note)
        if not self.files:
            raise SourceError(f"{path}: no images in this folder ({', '.join(sorted(IMAGE_EXTENSIONS))})")
        self.frame_count = len(self.files)
        self.skipped_files: list[Path] = []
        self._decoded = 0
        self._next = 0

    def read(self) -> Frame | None:
        start = time.perf_counter()
        while self._next < len(self.files):
            index = self._next
            self._next += 1
            try:
                rgb = read_image(self.files[index])
            except SourceError as exc:
                log.warning("skipped %s", exc)
                if self.files[index] not in self.skipped_files:
                    self.skipped_files.append(self.files[index])
                    self.skipped_frames += 1
                    self._notes.append(f"skipped {exc}")
                continue
            self._decoded += 1
            return Frame(index, index * 1000.0 / self.fps, rgb, (time.perf_counter() - start) * 1000, still=True)
        if self._decoded == 0 and len(self.skipped_files) == len(self.files):
            raise SourceError(f"{self.path}: none of its {len(self.files)} image files could be decoded")
        return None

    def seek(self, index: int) -> None:
        self._next = min(max(0, index), len(self.files))

    def take_notes(self) -> list[str]:
        notes, self._notes = self._notes, []
        return notes


def _not_a_file(path: Path) -> str:
    """Why a folder entry named like a photo is not read: what it is."""
    try:
        return f"is {kind_of(os.stat(path).st_mode)}, not an image file"
    except FileNotFoundError:
        return "a symlink to nothing (dangling)"
    except OSError as exc:
        return exc.strerror or str(exc)


class VideoSource(Source):
    """A video file decoded by OpenCV; timestamps come from the container.

    A frame the decoder cannot decode (damaged data) is skipped: reading goes on with the
    next one and :attr:`skipped_frames` counts it; frame indices stay file positions, so
    they jump over skipped frames. When decoding stops for good well before the frame
    count the container declares (more than ``max(2, count // 50)`` frames short, after
    :data:`MAX_DECODE_FAILURES` failed reads in a row), :meth:`read` raises instead of
    reporting a normal end.

    Raises:
        SourceError: on open, when the file is missing or not a video OpenCV can decode;
            on read, when the rest of the file cannot be decoded (corrupt or truncated).
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.name = self.path.name
        try:
            check_input_file(self.path, "video file")
        except PathCheckError as exc:
            raise SourceError(str(exc)) from None
        quiet_ffmpeg()
        self._capture = open_capture(self.path)
        if not self._capture.isOpened():
            self._capture.release()
            raise SourceError(f"{self.name}: not a video OpenCV can open")
        count = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT))
        self.frame_count = count if count > 0 else None
        fps = float(self._capture.get(cv2.CAP_PROP_FPS))
        self.fps = fps if 0 < fps < 1000 else None
        self.skipped_frames = 0
        self._next = 0  # file position of the next frame
        try:
            first = self._decode()
        except SourceError:
            first = None
        if first is None:
            self._capture.release()
            raise SourceError(f"{self.name}: no decodable frame (corrupt or truncated video)")
        self._pending = first

    def _decode(self) -> tuple[int, np.ndarray, float] | None:
        """(file position, RGB, position ms) of the next decodable frame, or None at the end."""
        failures = 0
        count = self.frame_count
        while True:
            ok, bgr = self._capture.read()
            if ok and bgr is not None:
                self.skipped_frames += failures
                index = self._next
                self._next += 1
                position = float(self._capture.get(cv2.CAP_PROP_POS_MSEC))
                return index, np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)), position
            if count is None or self._next >= count or failures + 1 >= MAX_DECODE_FAILURES:
                break
            failures += 1  # a damaged frame: try the next one
            self._next += 1
        stopped = self._next - failures
        if count is not None and count - stopped > max(2, count // 50):
            raise SourceError(f"{self.name}: decoding stopped at frame {stopped} of {count} "
                              "(corrupt or truncated video)")
        self.skipped_frames += failures
        return None

    def read(self) -> Frame | None:
        start = time.perf_counter()
        if self._pending is not None:
            decoded, self._pending = self._pending, None
        else:
            decoded = self._decode()
        if decoded is None:
            return None
        index, rgb, position = decoded
        timestamp = position if position > 0 or index == 0 else index * 1000.0 / (self.fps or 30.0)
        return Frame(index, timestamp, rgb, (time.perf_counter() - start) * 1000)

    def seek(self, index: int) -> None:
        index = max(0, index if self.frame_count is None else min(index, self.frame_count - 1))
        self._pending = None
        self._capture.set(cv2.CAP_PROP_POS_FRAMES, index)
        self._next = index

    def close(self) -> None:
        self._capture.release()


def camera_spec(text: str) -> tuple[int, tuple[int, int] | None, float | None]:
    """(index, size, fps) of ``camera:N``, ``camera:N:WxH`` or ``camera:N:WxH@F`` (N a whole
    number 0..:data:`MAX_CAMERA_INDEX` in ASCII digits; W, H 16..8192 px; F frames per second).

    Raises:
        SourceError: anything else (``camera:-1``, ``camera:1e3``, a 20-digit number, ``camera:0:big`` ...).
    """
    match = re.fullmatch(r"\s*([0-9]{1,6})\s*(?::\s*([0-9]{2,4})[xX]([0-9]{2,4})(?:@([0-9]{1,4}(?:\.[0-9]{1,3})?))?\s*)?",
                         text.split(":", 1)[1])
    if not match or int(match.group(1)) > MAX_CAMERA_INDEX:
        raise SourceError(f"{printable(text)}: the camera index must be a whole number 0..{MAX_CAMERA_INDEX}, "
                          "e.g. camera:0 (or camera:0:1280x720@30 for a mode)")
    index, width, height, fps = match.groups()
    size = (int(width), int(height)) if width else None
    if size is not None and not all(16 <= v <= 8192 for v in size):
        raise SourceError(f"{printable(text)}: a camera frame size is 16..8192 px each way")
    if fps is not None and not 0 < float(fps) <= 1000:
        raise SourceError(f"{printable(text)}: a camera frame rate is more than 0 and at most 1000")
    return int(index), size, float(fps) if fps else None
