"""The pixel size an image file declares in its header, read without decoding it.

Used to refuse decompression bombs (a few KB of PNG that declare 40000 x 40000 pixels)
before a decoder allocates for them: see :data:`~.sources.MAX_IMAGE_PIXELS`. PNG (IHDR),
JPEG (the first SOFn segment), GIF (logical screen), BMP (info header) and WebP (VP8, VP8L,
VP8X) are read here; other formats are left to OpenCV's own limit
(``OPENCV_IO_MAX_IMAGE_PIXELS``, set to the same value).
"""

from __future__ import annotations

import struct

#: JPEG start-of-frame markers (SOF0..SOF15 without DHT C4, JPG C8, DAC CC).
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
#: JPEG markers without a length field.
_STANDALONE = frozenset(range(0xD0, 0xDA)) | {0x01}


def declared_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) in pixels that `data` declares, or None for another or a damaged format.

    Only the header is read (the first few bytes; for JPEG, the segments before the first
    frame header).
    """
    head = bytes(data[:32])
    try:
        if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
            return struct.unpack(">II", head[16:24])
        if head.startswith(b"\xff\xd8"):
            return _jpeg_size(data)
        if head[:6] in (b"GIF87a", b"GIF89a"):
            return struct.unpack("<HH", head[6:10])
        if head.startswith(b"BM") and len(head) >= 26:
            width, height = struct.unpack("<ii", head[18:26])
            return abs(width), abs(height)
        if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
            return _webp_size(head)
    except struct.error:
        return None
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos, end = 2, len(data)
    while pos + 4 <= end:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in _STANDALONE:
            pos += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no frame header before
            return None
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if marker in _SOF:
            height, width = struct.unpack(">HH", data[pos + 5:pos + 9])
            return width, height
        pos += 2 + length
    return None


def _webp_size(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8X":
        width = int.from_bytes(head[24:27], "little") + 1
        height = int.from_bytes(head[27:30], "little") + 1
        return width, height
    if chunk == b"VP8L":
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", head[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None
