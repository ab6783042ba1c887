"""What kind of file a path is: its ``st_mode`` in words, and the extensions read as images and videos.

A leaf: :mod:`.atomic`, :mod:`.files` and :mod:`.media.sources` build on it.
"""

from __future__ import annotations

import stat

#: Still-image file extensions a source or a folder of photos reads (lower case).
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".jp2", ".pgm", ".ppm", ".pbm"})
#: Video file extensions a source reads (lower case).
VIDEO_EXTENSIONS = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".gif"})


def kind_of(mode: int) -> str:
    """What a ``st_mode`` is, for messages: ``a named pipe (FIFO)``, ``a character device`` ..."""
    if stat.S_ISREG(mode):
        return "a regular file"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"
