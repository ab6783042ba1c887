"""Video files written with PyAV (FFmpeg): H.264 in MP4/MOV, which browsers and players take.

OpenCV's ``VideoWriter`` in the ``opencv-python-headless`` wheel only has MPEG-4 Part 2
(``mp4v``) for ``.mp4``, which browsers and many players do not play. PyAV's wheels bundle
FFmpeg with libx264, so exports are H.264 (``yuv420p``, CRF 18, ``veryfast`` preset, the
``moov`` atom at the front for streaming); ``.avi`` gets Motion JPEG. Reading stays on
OpenCV (:mod:`.sources`).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import StudioError

#: Output extension -> (container format, encoders to try in order, pixel format).
VIDEO_FORMATS: dict[str, tuple[str, tuple[str, ...], str]] = {
    ".mp4": ("mp4", ("libx264", "libopenh264", "h264"), "yuv420p"),
    ".m4v": ("mp4", ("libx264", "libopenh264", "h264"), "yuv420p"),
    ".mov": ("mov", ("libx264", "libopenh264", "h264"), "yuv420p"),
    ".avi": ("avi", ("mjpeg",), "yuvj420p"),
}
#: Encoder options by encoder name (x264: visually lossless for overlays, fast).
ENCODER_OPTIONS = {"libx264": {"crf": "18", "preset": "veryfast"}}


#: Bytes written (and truncated away) before FFmpeg opens the file: a disk or file-size limit
#: that cannot hold a container header fails here with a plain OSError. (FFmpeg's MP4 muxer
#: whose header write failed crashes the process when the file is closed: PyAV 14, a limit
#: under ~100 bytes.)
HEADER_RESERVE = 64 * 1024


def reserve_header(path: Path) -> None:
    """Write :data:`HEADER_RESERVE` bytes at the start of `path` and truncate them away.

    Raises:
        OSError: the bytes do not fit (ENOSPC: disk full; EFBIG: file-size limit).
    """
    with open(path, "r+b") as handle:
        handle.write(bytes(HEADER_RESERVE))
        handle.flush()
        handle.truncate(0)


class VideoWriterError(StudioError):
    """No encoder for the format, or the encoder failed."""


def _encoder(names: tuple[str, ...]) -> str:
    import av

    for name in names:
        try:
            av.codec.Codec(name, "w")
        except Exception:
            continue
        return name
    raise VideoWriterError(f"this PyAV/FFmpeg build has none of the encoders {', '.join(names)}")


class VideoWriter:
    """Writes uint8 RGB frames of one size to a video file (PyAV).

    Args:
        path: output file; its extension (:data:`VIDEO_FORMATS`) picks the container, even
            after a temporary suffix (``.out.mp4.part.mp4`` is an MP4).
        fps: frame rate (frames per second, > 0; kept as an exact fraction up to 1/1001).
        size: (width, height) in pixels; even for H.264's 4:2:0 chroma.

    Attributes:
        codec: the codec written, e.g. ``h264`` or ``mjpeg``.

    Raises:
        VideoWriterError: an unsupported extension or no working encoder.
        OSError: the file cannot be created.
    """

    def __init__(self, path: Path | str, fps: float, size: tuple[int, int]):
        import av

        path = Path(path)
        try:
            container_format, encoders, pixel_format = VIDEO_FORMATS[path.suffix.lower()]
        except KeyError:
            raise VideoWriterError(f"{path.suffix}: unsupported video type; use {', '.join(VIDEO_FORMATS)}") from None
        encoder = _encoder(encoders)
        if path.exists():
            reserve_header(path)
        options = {"movflags": "+faststart"} if container_format in ("mp4", "mov") else {}
        self._container = av.open(str(path), mode="w", format=container_format, options=options)
        try:
            self._stream = self._container.add_stream(encoder, rate=Fraction(fps).limit_denominator(1001))
            self._stream.width, self._stream.height = int(size[0]), int(size[1])
            self._stream.pix_fmt = pixel_format
            self._stream.options = dict(ENCODER_OPTIONS.get(encoder, {}))
        except Exception as exc:
            self._container.close()
            raise VideoWriterError(f"{encoder}: cannot set up the encoder ({exc})") from None
        self.codec = self._stream.codec_context.codec.canonical_name  # h264 (encoder libx264)
        self.frames = 0

    def write(self, rgb: np.ndarray) -> None:
        """Encode one uint8 [height, width, 3] RGB frame (the writer's size)."""
        import av

        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.frames += 1

    def release(self) -> None:
        """Flush the encoder and close the file (idempotent)."""
        if self._container is None:
            return
        container, self._container = self._container, None
        try:
            for packet in self._stream.encode(None):
                container.mux(packet)
        finally:
            container.close()


def read_video_info(path: Path | str) -> tuple[str, int, tuple[int, int]]:
    """(codec name, decoded frame count, (width, height)) of a video, read back with PyAV.

    Raises:
        VideoWriterError: the file cannot be opened or has no video stream.
    """
    import av

    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            count = sum(1 for _ in container.decode(stream))
            return stream.codec_context.name, count, (stream.codec_context.width, stream.codec_context.height)
    except (av.FFmpegError, IndexError) as exc:
        raise VideoWriterError(f"{Path(path).name}: cannot be read back ({exc})") from None
