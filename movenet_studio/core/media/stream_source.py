"""Network streams through FFmpeg (PyAV): RTSP (TCP or UDP), HTTP(S) MPEG-TS / MJPEG / HLS,
UDP, TCP, RTMP, SRT.

PyAV rather than OpenCV's FFmpeg backend: the same FFmpeg and the same open-to-first-frame
time (docs/measured.md), but PyAV takes FFmpeg options per stream (``rtsp_transport``,
socket timeouts; OpenCV only reads them from one process-wide environment variable), bounds
both the open and every later read with its interrupt callback (``timeout=(open, read)``),
gives each frame its presentation timestamp, and raises typed errors instead of returning
``False``.

A message never holds the URL as given: FFmpeg errors name the URL they failed on, so the
message is built from the error number's text and the redacted address only.
"""

from __future__ import annotations

import logging
import math
import time

import av
import numpy as np

from ..errors import SourceError
from ..text import first_line, hide_credentials
from .live import Feed, FeedFrame, LivePolicy, LiveSource
from .urls import StreamAddress, parse_stream_url

log = logging.getLogger(__name__)


def _reason(exc: BaseException, timeout_s: float, waited_s: float, address: StreamAddress) -> str:
    """One line of why FFmpeg failed after `waited_s` s, without the URL it names.

    A call that lasted the whole timeout was cut by PyAV's interrupt callback, whatever error the
    demuxer then made of it (FFmpeg's RTSP client reports an interrupted reply as invalid data).
    An HLS playlist's demuxer skips segments it cannot fetch, then finds no data.
    """
    if (waited_s >= timeout_s or isinstance(exc, (av.error.ExitError, TimeoutError, av.error.TimeoutError))
            or "Immediate exit" in str(exc)):
        return f"no answer within {timeout_s:g} s"
    strerror = getattr(exc, "strerror", None)
    if isinstance(exc, av.error.ProtocolNotFoundError):
        return f"PyAV's FFmpeg was built without {address.scheme.partition('+')[0]}:// support"
    if isinstance(exc, av.error.InvalidDataError):
        if address.is_hls:
            return "the HLS playlist gave no video FFmpeg can decode (its segments are missing or invalid)"
        return "not a stream FFmpeg can decode (invalid data)"
    if isinstance(exc, av.error.HTTPError) or "HTTP error" in str(strerror or ""):
        return hide_credentials(str(strerror))
    return hide_credentials(strerror or first_line(exc))


def ffmpeg_options(address: StreamAddress, policy: LivePolicy) -> dict[str, str]:
    """FFmpeg demuxer/protocol options for `address`: RTSP transport and socket timeouts (us).

    ``fflags=nobuffer`` is not set: on a loopback MPEG-TS of pose_1.mp4 it changed the decoded
    frames (mean 3.5 levels off the same stream read without it), which moves keypoints.
    """
    options: dict[str, str] = {}
    if address.is_rtsp:
        if address.rtsp_transport != "auto":
            options["rtsp_transport"] = address.rtsp_transport
        options["timeout"] = str(int(policy.stall_timeout_s * 1e6))  # RTSP socket I/O timeout
    else:
        options["rw_timeout"] = str(int(policy.stall_timeout_s * 1e6))
    return options


class StreamFeed(Feed):
    """One FFmpeg connection to a stream; frames decoded to RGB.

    Raises:
        SourceError: on open: refused, no answer within the open timeout, no video stream,
            undecodable data; on read: as :meth:`Feed.read`.
    """

    def __init__(self, address: StreamAddress, policy: LivePolicy):
        self.address, self.policy = address, policy
        started = time.monotonic()
        try:
            self._container = av.open(address.url, options=ffmpeg_options(address, policy),
                                      timeout=(policy.open_timeout_s, policy.stall_timeout_s))
        except Exception as exc:
            reason = _reason(exc, policy.open_timeout_s, time.monotonic() - started, address)
            raise SourceError(f"{address.shown}: cannot open: {reason}") from None
        videos = self._container.streams.video
        if not videos:
            self._container.close()
            raise SourceError(f"{address.shown}: the stream has no video")
        self._stream = videos[0]
        self._stream.thread_type = "AUTO"
        rate = self._stream.average_rate or self._stream.guessed_rate
        fps = float(rate) if rate else 0.0
        self.fps = fps if 0 < fps < 1000 else None
        duration = self._container.duration  # us; None for a live stream
        self.finite = bool(duration and duration > 0 and math.isfinite(duration))
        self._frames = self._container.decode(self._stream)
        self._closed = False

    def read(self) -> FeedFrame | None:
        started = time.monotonic()
        try:
            frame = next(self._frames)
        except StopIteration:
            return None
        except Exception as exc:
            raise SourceError(_reason(exc, self.policy.stall_timeout_s, time.monotonic() - started,
                                      self.address)) from None
        arrival = time.monotonic()
        rgb = np.ascontiguousarray(frame.to_ndarray(format="rgb24"))
        pts_ms = float(frame.time) * 1000.0 if frame.time is not None else None
        return FeedFrame(rgb, pts_ms, arrival)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                self._container.close()
            except Exception:
                pass


def open_stream(url: str, policy: LivePolicy = LivePolicy(), rtsp_transport: str | None = None,
                listener=None) -> LiveSource:
    """Open a network stream as a :class:`~.live.LiveSource`.

    Args:
        url: see :func:`~.urls.parse_stream_url`.
        policy: open and stall timeouts, reconnection.
        rtsp_transport: RTSP transport (``tcp``, ``udp``, ``auto``), None: the default.
        listener: called with each :class:`~.live.LiveEvent` (reader thread).

    Raises:
        SourceError: bad URL, or the first connection failed (one line, credentials hidden).
    """
    address = parse_stream_url(url, rtsp_transport)
    return LiveSource(address.shown, "stream", lambda: StreamFeed(address, policy), policy, listener)
