"""Live sources (cameras, network streams): paced by arrival, newest frame wins, reconnect.

A :class:`LiveSource` reads its :class:`Feed` on its own thread as fast as frames arrive and
keeps only the newest one: a consumer slower than the feed (inference) gets the latest
frame, and every frame replaced before it was taken counts in :attr:`LiveSource.dropped`.
A finite feed (a recording served over the network: an HLS VOD playlist, a file over HTTP) is
not live: nothing is lost by waiting, so its reader waits for each frame to be taken and every
frame is handed over in order, as from a file (read as fast as the feed decodes, a VOD
playlist of 90 frames gave 8 of them to ``infer --max-frames 30``). FFmpeg skips a segment of
an HLS playlist it cannot fetch, so a jump in a finite feed's timestamps of at least
:data:`MISSING_S` is a part of the recording missing: a ``gap`` event, and the source ends by
failure (:attr:`LiveSource.failure`) once the rest has been read.
When the feed fails (read error, a stall longer than the stall timeout, the sender closing
the connection) the thread reconnects with exponential backoff (:class:`LivePolicy`) and
reports each step as a :class:`LiveEvent`; after the last attempt fails the source is lost
and :meth:`LiveSource.read` raises :class:`~movenet_studio.core.errors.SourceError`.

The feed object is only ever touched by the reader thread (FFmpeg contexts are not
thread-safe): :meth:`LiveSource.close` asks the thread to stop and it closes the feed
itself once its current read returns (bounded by the stall timeout).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol

import numpy as np

from ..errors import SourceError
from ..text import first_line
from .sources import Frame, Source

log = logging.getLogger(__name__)

#: Defaults of :class:`LivePolicy`, documented in docs/howto/live-streams.md.
DEFAULT_OPEN_TIMEOUT_S = 10.0
DEFAULT_STALL_TIMEOUT_S = 5.0
DEFAULT_RECONNECTS = 5
DEFAULT_BACKOFF_S = 0.5
MAX_BACKOFF_S = 8.0
#: A finite feed whose timestamps jump by at least this much (s) lost that part of the recording
#: (an HLS segment that could not be fetched); less is a variable frame rate.
MISSING_S = 0.5


@dataclass(frozen=True, slots=True)
class LivePolicy:
    """Timeouts and reconnection of a live source.

    Attributes:
        open_timeout_s: longest wait for a connection to deliver its stream header, s.
        stall_timeout_s: longest wait for the next frame (or any data) once open, s.
        reconnects: attempts after a feed drops before the source is given up (0: none).
        backoff_s: wait before the first attempt, s; doubled before each next one, up to
            :data:`MAX_BACKOFF_S`.
    """

    open_timeout_s: float = DEFAULT_OPEN_TIMEOUT_S
    stall_timeout_s: float = DEFAULT_STALL_TIMEOUT_S
    reconnects: int = DEFAULT_RECONNECTS
    backoff_s: float = DEFAULT_BACKOFF_S

    def delay(self, attempt: int) -> float:
        """Wait before reconnect `attempt` (1-based), in s."""
        return min(MAX_BACKOFF_S, self.backoff_s * 2 ** (attempt - 1))

    def worst_case_s(self) -> float:
        """Longest time from the last frame to giving up: the stall, then every attempt's wait
        and open timeout, in s."""
        return self.stall_timeout_s + sum(self.delay(a) + self.open_timeout_s for a in range(1, self.reconnects + 1))


@dataclass(frozen=True, slots=True)
class FeedFrame:
    """One decoded frame of a feed.

    Attributes:
        rgb: uint8 [H, W, 3] RGB, owned by the frame.
        pts_ms: the frame's presentation time in the feed's own clock, ms (None: the feed
            has none).
        captured_s: when the frame was captured, on ``time.monotonic()``'s clock, s: the
            device's own timestamp (V4L2 buffer time), or the arrival time when there is none.
    """

    rgb: np.ndarray
    pts_ms: float | None
    captured_s: float


class Feed(Protocol):
    """One connection to a live source, used by one thread only.

    Attributes:
        fps: nominal frame rate, or None.
        finite: True when the feed has a known end (a file served over HTTP, a finished HLS
            playlist): reaching it ends the source normally instead of reconnecting.
    """

    fps: float | None
    finite: bool

    def read(self) -> FeedFrame | None:
        """The next frame; None when the sender ended the stream.

        Raises:
            SourceError: the feed failed (timeout, connection lost, undecodable data).
        """

    def close(self) -> None:
        """Release the connection or device."""


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """Something that happened to a live feed, for the status line, the Timeline and the CLI.

    Attributes:
        kind: ``dropped`` (the feed failed), ``reconnecting`` (an attempt starts after
            `delay_s`), ``reconnected``, ``lost`` (given up), ``gap`` (a finite feed's
            timestamps jumped: frames after `last_index` are missing from the recording) or
            ``ended`` (a finite feed ended).
        message: one line for people (credentials hidden).
        attempt: reconnect attempt number (1-based; 0 for ``dropped``/``ended``).
        attempts: attempts allowed (:attr:`LivePolicy.reconnects`).
        delay_s: wait before this attempt, s.
        time_s: when, on ``time.monotonic()``'s clock.
        last_index: index of the last frame read before the event (-1: none yet).
    """

    kind: str
    message: str
    attempt: int = 0
    attempts: int = 0
    delay_s: float = 0.0
    time_s: float = field(default_factory=time.monotonic)
    last_index: int = -1


class LiveSource(Source):
    """A camera or stream: frames as they arrive, newest wins, reconnect with backoff.

    Args:
        name: shown to people (credentials already hidden).
        kind: ``camera`` or ``stream``.
        connect: opens a new :class:`Feed` (called for the first connection in this
            thread, then on the reader thread for each reconnect).
        policy: timeouts and reconnection.
        listener: called with every :class:`LiveEvent`, on the reader thread.

    Attributes:
        finite: the first connection's :attr:`Feed.finite`: every frame is handed over (none
            dropped), and reaching the end ends the source.
        dropped: frames replaced by a newer one before :meth:`read` took them.
        reconnects: successful reconnections so far.
        events: every :class:`LiveEvent` so far (in order).
        failure: the message of the failure that ended the source, or None.

    Raises:
        SourceError: the first connection fails (bad address, refused, open timeout).
    """

    is_live = True
    frame_count = None

    def __init__(self, name: str, kind: str, connect: Callable[[], Feed], policy: LivePolicy = LivePolicy(),
                 listener: Callable[[LiveEvent], None] | None = None):
        self.name, self.kind, self.policy = name, kind, policy
        self.listeners: list[Callable[[LiveEvent], None]] = [listener] if listener else []
        self._connect = connect
        self._opened_s = time.monotonic()
        feed = connect()
        self.fps, self.finite = feed.fps, feed.finite
        self.dropped = 0
        self.reconnects = 0
        self.events: list[LiveEvent] = []
        self.failure: str | None = None
        self._cond = threading.Condition()
        self._slot: Frame | None = None
        self._ended = False
        self._stop = False
        self._last_index = -1  # of the last frame produced by the reader
        self._feed: Feed | None = feed  # until the reader thread takes it
        self._thread: threading.Thread | None = None

    def _start(self) -> None:
        """Start reading on the first :meth:`read` or :meth:`wait_frame`: the connection is
        checked when the source opens, but frames are read only once someone wants them (a
        command line loads its model in between, and nothing it could not take is dropped)."""
        with self._cond:
            if self._thread is not None or self._feed is None:
                return
            feed, self._feed = self._feed, None
            self._opened_s = time.monotonic()
            self._thread = threading.Thread(target=self._run, args=(feed,), name=f"live {self.name}", daemon=True)
            self._thread.start()

    # -- consumer side -----------------------------------------------------------------
    def wait_frame(self, timeout: float | None) -> bool:
        """Wait up to `timeout` s for a frame (or the end); True when :meth:`read` will not block."""
        self._start()
        with self._cond:
            return self._cond.wait_for(lambda: self._slot is not None or self._ended, timeout)

    def read(self) -> Frame | None:
        """The newest frame not read yet, waiting for it; None when a finite feed ended or the
        source was closed.

        Raises:
            SourceError: the feed dropped and every reconnect attempt failed.
        """
        self._start()
        with self._cond:
            self._cond.wait_for(lambda: self._slot is not None or self._ended)
            frame, self._slot = self._slot, None
            if frame is not None:
                self._cond.notify_all()  # a finite feed's reader waits for the slot to be free
                return frame
            if self.failure is not None:
                raise SourceError(self.failure)
            return None

    def close(self) -> None:
        """Stop the reader thread; it closes the feed when its current read returns (a feed
        never read is closed here)."""
        with self._cond:
            self._stop = True
            self._ended = True
            self._cond.notify_all()
            feed, self._feed = self._feed, None
        if feed is not None:
            feed.close()
        if self._thread is not None:
            self._thread.join(0.2)

    # -- reader thread ------------------------------------------------------------------
    def _emit(self, event: LiveEvent) -> None:
        self.events.append(event)
        log.info("%s: %s", self.name, event.message)
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:  # a listener's bug must not end the feed
                log.exception("live event listener failed")

    def _without_name(self, message: str) -> str:
        """`message` without a leading ``NAME: `` (the events name the source already)."""
        return message[len(self.name) + 2:] if message.startswith(f"{self.name}: ") else message

    def _stopping(self) -> bool:
        with self._cond:
            return self._stop

    def _run(self, feed: Feed) -> None:
        base = 0  # index of this connection's first frame
        first_pts: float | None = None
        offset: float | None = None  # least (arrival - pts) seen on this connection, s
        last_arrival = time.monotonic()
        attempt = 0  # reconnect attempts since the last frame (a feed that opens, then fails at once, counts on)
        missing: list[tuple[int, int]] = []  # frame ranges a finite feed's timestamps jumped over
        try:
            while not self._stopping():
                try:
                    item = feed.read()
                    reason = None if item is not None else "the sender ended the stream"
                except SourceError as exc:
                    item, reason = None, self._without_name(str(exc))
                except Exception as exc:  # a decoder bug must not kill the thread silently
                    item, reason = None, first_line(exc)
                if item is not None:
                    attempt = 0
                    last_arrival = time.monotonic()
                    before = self._last_index
                    index, captured = self._place(item, base, first_pts, offset)
                    if self.finite and self.fps and before >= 0 and index - before - 1 >= MISSING_S * self.fps:
                        missing.append((before + 1, index - 1))
                        self._emit(LiveEvent("gap", f"{self.name}: frames {before + 1}-{index - 1} are missing from "
                                             f"the recording ({(index - before - 1) / self.fps:.1f} s)",
                                             last_index=before))
                    if item.pts_ms is not None:
                        if first_pts is None:
                            first_pts = item.pts_ms
                        seen = item.captured_s - item.pts_ms / 1000
                        offset = seen if offset is None else min(offset, seen)
                    self._deliver(Frame(index, (captured - self._opened_s) * 1000.0, item.rgb, 0.0,
                                        captured_s=captured))
                    continue
                if self._stopping():
                    return
                if feed.finite and reason == "the sender ended the stream":
                    self._emit(LiveEvent("ended", f"{self.name}: the stream ended", last_index=self._last_index))
                    self._finish(self._missing_message(missing) if missing else None)
                    return
                feed.close()
                feed, attempt = self._reconnect(reason, attempt)
                if feed is None:
                    return
                gap_s = time.monotonic() - last_arrival
                base = self._last_index + 1 + (round(gap_s * self.fps) if self.fps else 0)
                first_pts, offset = None, None
        finally:
            if feed is not None:
                feed.close()

    def _missing_message(self, missing: list[tuple[int, int]]) -> str:
        """The failure of a finite feed that ended with the frame ranges `missing`."""
        count = sum(last - first + 1 for first, last in missing)
        ranges = ", ".join(f"{first}-{last}" for first, last in missing)
        return f"{self.name}: the recording ended with {count} frames missing (frames {ranges}: data the server did not give)"

    def _place(self, item: FeedFrame, base: int, first_pts: float | None,
               offset: float | None) -> tuple[int, float]:
        """(index, capture time s) of a new frame: the index follows the feed's clock (a gap in
        its timestamps is a gap in the indices), the capture time its timestamps anchored at
        the least-delayed arrival."""
        if item.pts_ms is None or first_pts is None or not self.fps:
            index = base
        else:
            index = base + round((item.pts_ms - first_pts) * self.fps / 1000)
        index = max(index, self._last_index + 1)
        captured = item.captured_s
        if item.pts_ms is not None and offset is not None:
            captured = min(captured, item.pts_ms / 1000 + offset)
        self._last_index = index
        return index, captured

    def _deliver(self, frame: Frame) -> None:
        with self._cond:
            if self.finite:  # a recording: wait for the frame before to be taken (or a close)
                self._cond.wait_for(lambda: self._slot is None or self._stop)
            if self._slot is not None:
                self.dropped += 1
            self._slot = frame
            self._cond.notify_all()

    def _finish(self, failure: str | None) -> None:
        with self._cond:
            self.failure = failure
            self._ended = True
            self._cond.notify_all()

    def _reconnect(self, reason: str | None, done: int) -> tuple[Feed | None, int]:
        """Reconnect with backoff after `done` attempts since the last frame; (the new feed, or
        None when stopped or given up; the attempts made since the last frame)."""
        attempts = self.policy.reconnects
        self._emit(LiveEvent("dropped", f"{self.name}: feed dropped ({reason})", attempts=attempts,
                             last_index=self._last_index))
        failed = ""
        for attempt in range(done + 1, attempts + 1):
            delay = self.policy.delay(attempt)
            self._emit(LiveEvent("reconnecting", f"{self.name}: reconnecting, attempt {attempt} of {attempts} "
                                 f"in {delay:.1f} s{failed}", attempt, attempts, delay, last_index=self._last_index))
            with self._cond:
                if self._cond.wait_for(lambda: self._stop, delay):
                    return None, attempt
            try:
                feed = self._connect()
            except SourceError as exc:
                reason = self._without_name(str(exc))
                failed = f" (attempt {attempt}: {reason})"
                continue
            if self._stopping():
                feed.close()
                return None, attempt
            self.reconnects += 1
            self._emit(LiveEvent("reconnected", f"{self.name}: reconnected (attempt {attempt} of {attempts})",
                                 attempt, attempts, delay, last_index=self._last_index))
            return feed, attempt
        message = (f"{self.name}: feed lost ({reason}); "
                   + (f"gave up after {attempts} reconnect attempt{'s' if attempts != 1 else ''}" if attempts
                      else "reconnecting is off"))
        self._emit(LiveEvent("lost", message, attempts, attempts, last_index=self._last_index))
        self._finish(message)
        return None, attempts


@dataclass(frozen=True, slots=True)
class LiveOptions:
    """How a live source (camera, stream) is opened.

    Attributes:
        policy: open and stall timeouts and reconnection (:class:`LivePolicy`).
        camera_size: camera frame size (width, height) px, or None: the camera's default.
        camera_fps: camera frame rate, or None: the camera's default.
        rtsp_transport: ``tcp``, ``udp`` or ``auto``; None: the default (:mod:`.urls`).
        listener: called with each :class:`LiveEvent` on the source's reader thread.
    """

    policy: LivePolicy = LivePolicy()
    camera_size: tuple[int, int] | None = None
    camera_fps: float | None = None
    rtsp_transport: str | None = None
    listener: Callable[[LiveEvent], None] | None = None


class BoundedLive(Source):
    """A live source as one headless run reads it: ends after `max_frames` frames or
    `duration_s` seconds, and ends (instead of raising) when the feed is lost, keeping the
    reason in :attr:`failure` so the run can write what it has and then report the failure.

    Args:
        source: the open :class:`LiveSource` (closed by :meth:`close`).
        max_frames: frames to read at most (None: no limit).
        duration_s: seconds to read at most, from the first :meth:`read` (None: no limit).

    Attributes:
        frames: frames read so far.
        failure: why the feed ended by failure (one line), or None.
    """

    is_live = True
    frame_count = None

    def __init__(self, source: LiveSource, max_frames: int | None = None, duration_s: float | None = None):
        self.source, self.max_frames = source, max_frames
        self.name, self.fps = source.name, source.fps
        self.duration_s = duration_s
        self._deadline: float | None = None
        self.frames = 0
        self.failure: str | None = None

    @property
    def dropped(self) -> int:
        """Frames the feed replaced before they were read (:attr:`LiveSource.dropped`)."""
        return self.source.dropped

    def read(self) -> Frame | None:
        if self.max_frames is not None and self.frames >= self.max_frames:
            return None
        if self.duration_s is not None:
            if self._deadline is None:  # counted from the first read: a model loading meanwhile is not in it
                self._deadline = time.monotonic() + self.duration_s
            remaining = self._deadline - time.monotonic()
            if remaining <= 0 or not self.source.wait_frame(remaining):
                return None
        try:
            frame = self.source.read()
        except SourceError as exc:
            self.failure = str(exc)
            return None
        if frame is not None:
            self.frames += 1
        return frame

    def summary(self) -> dict:
        """Frames, drops, reconnects and the failure, for JSON."""
        return {"frames": self.frames, "dropped": self.dropped, "reconnects": self.source.reconnects,
                "events": [{"kind": e.kind, "message": e.message, "after_frame": e.last_index}
                           for e in self.source.events],
                "failure": self.failure}

    def close(self) -> None:
        self.source.close()
