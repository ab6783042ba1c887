"""Network source addresses: what counts as a URL, which schemes are streams, and how a URL
is shown (credentials hidden, :func:`~movenet_studio.core.text.hide_credentials`).

A source given as ``scheme://...`` is a URL and never a path: no path check, no ``stat``, no
``Path()`` (which would collapse its ``//``). Supported stream schemes go to FFmpeg through
PyAV (:mod:`.stream_source`); any other scheme is refused with one line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import SourceError
from ..text import hide_credentials, printable

#: Schemes opened as network streams (through FFmpeg). ``rtsp+tcp`` / ``rtsp+udp`` are ours:
#: ``rtsp`` with that transport (the scheme FFmpeg is given is ``rtsp``).
STREAM_SCHEMES = ("rtsp", "rtsps", "rtsp+tcp", "rtsp+udp", "rtmp", "rtmps", "http", "https", "udp", "tcp",
                  "srt", "rtp")
#: RTSP transports: ``tcp`` (interleaved in the RTSP connection: no loss, crosses NAT and
#: firewalls), ``udp`` (FFmpeg's first choice, lower latency on a clean LAN), ``auto`` (FFmpeg:
#: UDP, then TCP).
RTSP_TRANSPORTS = ("tcp", "udp", "auto")
#: Default RTSP transport (see :data:`RTSP_TRANSPORTS`): TCP, which works through NAT and loses
#: no packets, so a keyframe is never half-missing.
DEFAULT_RTSP_TRANSPORT = "tcp"

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]{0,15})://")


def url_scheme(text: str) -> str | None:
    """The lower-case scheme of ``scheme://...``, or None when `text` is not written as a URL
    (a path, ``camera:N``, a Windows drive ``C:\\...``)."""
    match = _SCHEME.match(str(text).strip())
    return match.group(1).lower() if match else None


def is_url(text: object) -> bool:
    """True when `text` is written ``scheme://...`` (it is then never taken as a path)."""
    return url_scheme(str(text)) is not None


def display_url(url: str) -> str:
    """`url` for people: credentials hidden (``user:***@``), control characters escaped."""
    return printable(hide_credentials(str(url).strip()))


@dataclass(frozen=True, slots=True)
class StreamAddress:
    """A stream URL as FFmpeg is to get it.

    Attributes:
        url: the URL given to FFmpeg (an ``rtsp+tcp://`` scheme rewritten to ``rtsp://``);
            it may hold credentials: never print it, print :attr:`shown`.
        scheme: the scheme as given, lower case (``rtsp+tcp``, ``http`` ...).
        shown: the URL with credentials hidden (for messages, logs, titles, JSON).
        rtsp_transport: ``tcp``, ``udp`` or ``auto`` for RTSP, else None.
    """

    url: str
    scheme: str
    shown: str
    rtsp_transport: str | None

    @property
    def is_rtsp(self) -> bool:
        """True for RTSP (any transport)."""
        return self.scheme.startswith("rtsp")

    @property
    def is_hls(self) -> bool:
        """True for an HLS playlist: an http(s) URL whose path ends in ``.m3u8`` or ``.m3u``."""
        return self.scheme in ("http", "https") and urlsplit(self.url).path.lower().endswith((".m3u8", ".m3u"))


def parse_stream_url(text: str, rtsp_transport: str | None = None) -> StreamAddress:
    """Check a stream URL and say how to open it.

    Args:
        text: ``rtsp://``, ``rtsp+tcp://``, ``http(s)://`` (MPEG-TS, MJPEG, HLS ``.m3u8``),
            ``udp://``, ``tcp://``, ``rtmp://``, ``srt://`` or ``rtp://`` URL.
        rtsp_transport: for RTSP: ``tcp``, ``udp`` or ``auto``; None: the scheme's
            (``rtsp+udp``) or :data:`DEFAULT_RTSP_TRANSPORT`.

    Raises:
        SourceError: not a URL, an unsupported scheme, no host, or an unknown transport.
    """
    url = str(text).strip()
    scheme = url_scheme(url)
    shown = display_url(url)
    if scheme is None:
        raise SourceError(f"{shown}: not a URL (scheme://host/...)")
    if scheme not in STREAM_SCHEMES:
        raise SourceError(f"{shown}: {scheme}:// is not a stream scheme this app opens "
                          f"({', '.join(s + '://' for s in STREAM_SCHEMES)})")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError as exc:
        raise SourceError(f"{shown}: not a valid URL ({hide_credentials(str(exc))})") from None
    if not parts.hostname and scheme not in ("udp", "rtp"):  # udp://@:1234 listens on a port
        raise SourceError(f"{shown}: no host in the URL")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in url) or " " in url:
        raise SourceError(f"{shown}: a URL cannot hold spaces or control characters (write %20)")
    transport = None
    if scheme.startswith("rtsp"):
        implied = scheme.partition("+")[2] or None
        transport = rtsp_transport or implied or DEFAULT_RTSP_TRANSPORT
        if transport not in RTSP_TRANSPORTS:
            raise SourceError(f"{shown}: unknown RTSP transport {printable(transport)} "
                              f"({', '.join(RTSP_TRANSPORTS)})")
        if "+" in scheme:
            url = "rtsp" + url[len(scheme):]
    return StreamAddress(url, scheme, shown, transport)
