"""Opening a frame source from what the user gave: ``camera:N`` (:mod:`.cameras`), a stream URL
(:mod:`.stream_source`), or a path to a video, an image or a folder of images (:mod:`.sources`).

The one place that knows every kind of source, so the kinds build on :mod:`.sources` and
:mod:`.live` without importing each other.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import SourceError
from ..file_kinds import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS
from ..files import PathCheckError, check_input_file
from ..text import printable
from .cameras import open_camera
from .live import LiveOptions
from .sources import ImageFolderSource, ImageSource, Source, VideoSource, camera_spec
from .stream_source import open_stream
from .urls import is_url


def open_source(spec: str | Path, live: LiveOptions | None = None) -> Source:
    """Open a frame source.

    Args:
        spec: ``camera:N`` for camera N (``camera:N:WxH@F`` in that mode), a stream URL
            (``rtsp://``, ``http://`` ...; never taken as a path, see :mod:`.urls`), or a path
            to a video, an image, or a folder of images.
        live: timeouts, reconnection, camera mode and RTSP transport of a live source
            (default :class:`~.live.LiveOptions`); files ignore it.

    Raises:
        SourceError: missing path, unknown file type, a file that cannot be decoded, a bad
            URL, or a live source whose first connection failed.
    """
    text = str(spec)
    live = live or LiveOptions()
    if text.lower().startswith("camera:"):
        index, size, fps = camera_spec(text)
        return open_camera(index, size or live.camera_size, fps or live.camera_fps, live.policy, live.listener)
    if is_url(text):
        return open_stream(text, live.policy, live.rtsp_transport, live.listener)
    path = Path(text).expanduser()
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise SourceError(f"{printable(path)}: no such file or folder") from None
    except OSError as exc:
        raise SourceError(f"{printable(path)}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        if not os.access(path, os.R_OK | os.X_OK):
            raise SourceError(f"{printable(path)}: permission denied (cannot list the folder)")
        return ImageFolderSource(path)
    try:
        check_input_file(path, "file")
    except PathCheckError as exc:
        raise SourceError(str(exc)) from None
    suffix = path.suffix.lower()
    if suffix in IMAGE_EXTENSIONS:
        return ImageSource(path)
    if suffix in VIDEO_EXTENSIONS:
        return VideoSource(path)
    # Unknown extension: try image first (cheap), then video.
    try:
        return ImageSource(path)
    except SourceError:
        pass
    try:
        return VideoSource(path)
    except SourceError:
        raise SourceError(f"{path.name}: neither an image nor a video OpenCV can read") from None
