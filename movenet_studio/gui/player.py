"""The source player: a reader thread that opens a core Source and feeds frames to the Engine.

Everything that can block on I/O (opening a file or a camera, decoding a large video,
seeking) happens on the reader thread, never on the GUI thread. The GUI thread only queues
commands (:meth:`SourcePlayer.open`, :meth:`play`, :meth:`pause`, :meth:`step`,
:meth:`seek`, ...) and receives signals.

Pacing:

* ``realtime``: files play at their frame rate (30 fps when unknown); when inference is
  slower, the engine's one-slot mailbox drops the frames it could not process.
* ``max``: the reader hands over the next frame as soon as the worker has taken the previous
  one, so the file plays as fast as the model runs and nothing is dropped.

Cameras are read as fast as they deliver; the mailbox keeps only the newest frame.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import deque
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from ..core.errors import StudioError
from ..core.media.live import LiveOptions, LiveSource
from ..core.media.sources import Frame, Source
from ..core.media.opener import open_source
from .engine import Engine
from .source_info import Pace, SourceInfo, source_kind

log = logging.getLogger(__name__)  # movenet_studio.gui.player: sources that fail to open or read

#: Frame rate used to pace sources that declare none (image folders, odd videos).
DEFAULT_FPS = 30.0
#: How far realtime playback may fall behind before the clock is re-anchored, in seconds.
MAX_LAG_S = 0.5
#: Granularity of command checks while waiting for the worker at max pace, in seconds.
_POLL_S = 0.05


def _message(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, StudioError):
        return str(exc), ""
    return f"{type(exc).__name__}: {exc}", traceback.format_exc()


class SourcePlayer(QObject):
    """Reads frames from one source on a reader thread and submits them to an :class:`Engine`.

    Create, connect and command it from the GUI thread; :meth:`start` launches the reader
    thread and :meth:`stop` ends it (cooperatively, join with timeout).

    Args:
        engine: where frames go.
        pace: :class:`Pace` for file sources.
        loop: restart files at their end.
        opener: turns a spec into a Source (tests may pass a fake); default
            :func:`movenet_studio.core.media.opener.open_source`, looked up when a source is opened.
        live: timeouts and reconnection of cameras and streams (None: the defaults).

    Signals (delivered in the GUI thread):
        opened(SourceInfo): a source was opened (the previous one is closed).
        open_failed(str, str): a source could not be opened (message, details); the previous
            source, if any, stays open.
        read_failed(str, str): reading failed (corrupt data, camera unplugged); playback pauses.
            A live source (camera) that fails is closed, and :attr:`closed` follows.
        closed(): the player closed its source by itself (a camera or stream lost for good).
        live_event(LiveEvent): a live source's feed dropped, is reconnecting, reconnected, was
            lost or ended (:class:`~movenet_studio.core.media.live.LiveEvent`).
        playing_changed(bool): playback started or paused.
        finished(): the end of a file was reached with loop off.
        note(str): one line about something skipped while reading (a photo of a folder that
            cannot be decoded, a folder or FIFO named like a photo, a dangling symlink).
    """

    opened = Signal(object)
    open_failed = Signal(str, str)
    read_failed = Signal(str, str)
    playing_changed = Signal(bool)
    finished = Signal()
    closed = Signal()
    live_event = Signal(object)
    note = Signal(str)

    def __init__(self, engine: Engine, *, pace: Pace | str = Pace.REALTIME, loop: bool = False,
                 opener=None, live: LiveOptions | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._live = live
        self._engine = engine
        self._opener = opener
        self._cond = threading.Condition()
        self._commands: deque[tuple[str, object]] = deque()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._pace = Pace(pace)
        self._loop = bool(loop)
        # Reader-thread state.
        self._source: Source | None = None
        self._info: SourceInfo | None = None
        self._playing = False
        self._held: Frame | None = None
        self._restarted = False  # the next submitted frame starts the source again (loop wrap)
        self._anchor: tuple[float, int] | None = None  # (perf_counter, frame index) of the pacing clock
        self._last_index = 0  # index of the last frame read
        self._shown_index = 0  # index of the last frame submitted (the one on screen, or about to be)
        self._at_end = False  # the last read found the end of a file
        self._frames_read = 0

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Start the reader thread."""
        if self._thread is not None and self._thread.is_alive():
            return
        with self._cond:
            self._stopping = False
        self._thread = threading.Thread(target=self._run, name="movenet-reader", daemon=False)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop the reader thread and close the source; True when the thread has ended."""
        with self._cond:
            self._stopping = True
            self._commands.clear()
            self._cond.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                return False
        self._thread = None
        return True

    @property
    def is_alive(self) -> bool:
        """True while the reader thread runs."""
        return self._thread is not None and self._thread.is_alive()

    # ------------------------------------------------------------------ commands (GUI thread)
    @property
    def info(self) -> SourceInfo | None:
        """The open source, or None."""
        return self._info

    @property
    def is_playing(self) -> bool:
        """True while frames are being read continuously."""
        return self._playing

    @property
    def loop(self) -> bool:
        """Whether files restart at their end."""
        return self._loop

    @property
    def pace(self) -> Pace:
        """The pacing of file sources."""
        return self._pace

    @property
    def position(self) -> int:
        """Index of the last frame handed to the engine: the frame on screen, or about to be once
        its result arrives (written by the reader thread, read from any)."""
        return self._shown_index

    @property
    def frames_read(self) -> int:
        """Frames read from sources so far."""
        return self._frames_read

    def open(self, spec: str | Path, autoplay: bool = True) -> None:
        """Open `spec` (a path or ``camera:N``) on the reader thread; answers with
        :attr:`opened` or :attr:`open_failed`. The first frame is shown even when not playing."""
        self._command("open", (str(spec), autoplay), replace_kind=True)

    @Slot()
    def play(self) -> None:
        """Start or resume playback."""
        self._command("play", None)

    @Slot()
    def pause(self) -> None:
        """Pause playback."""
        self._command("pause", None)

    @Slot()
    def toggle(self) -> None:
        """Play when paused, pause when playing."""
        self._command("toggle", None)

    @Slot()
    def step(self) -> None:
        """Pause and show the next frame."""
        self._command("step", None)

    @Slot()
    def step_back(self) -> None:
        """Pause and show the previous frame (files and folders; from the first frame: nothing)."""
        self._command("step_back", None)

    @Slot()
    def seek_first(self) -> None:
        """Show the first frame (Home)."""
        self.seek(0)

    @Slot()
    def seek_last(self) -> None:
        """Show the last frame (End) of a source of known length."""
        self._command("seek_last", None, replace_kind=True)

    @Slot(int)
    def seek(self, index: int) -> None:
        """Show frame `index` (files and folders); playback continues from there if playing."""
        self._command("seek", int(index), replace_kind=True)

    @Slot(bool)
    def set_loop(self, loop: bool) -> None:
        """Restart files at their end (or not)."""
        self._loop = bool(loop)

    def _command(self, kind: str, arg: object, replace_kind: bool = False) -> None:
        with self._cond:
            if replace_kind:  # a newer seek/open replaces a pending one (dragging the slider)
                self._commands = deque(c for c in self._commands if c[0] != kind)
            self._commands.append((kind, arg))
            self._cond.notify_all()

    # ------------------------------------------------------------------ reader thread
    def _run(self) -> None:
        try:
            while True:
                with self._cond:
                    self._cond.wait_for(lambda: self._stopping or self._commands
                                        or (self._playing and self._source is not None))
                    if self._stopping:
                        return
                    commands = list(self._commands)
                    self._commands.clear()
                for kind, arg in commands:
                    self._handle(kind, arg)
                if self._playing and self._source is not None and not self._has_commands():
                    self._play_one()
        except BaseException as exc:
            message, details = _message(exc)
            log.critical("frame reader stopped: %s", message, exc_info=True)
            self.read_failed.emit(f"frame reader stopped: {message}", details or traceback.format_exc())
        finally:
            self._close_source()

    def _has_commands(self) -> bool:
        with self._cond:
            return bool(self._commands) or self._stopping

    def _set_playing(self, playing: bool) -> None:
        if playing != self._playing:
            self._playing = playing
            self._anchor = None
            self.playing_changed.emit(playing)

    def _handle(self, kind: str, arg: object) -> None:
        if kind == "open":
            spec, autoplay = arg
            self._open(spec, autoplay)
        elif self._source is None:
            return
        elif kind == "play":
            self._play()
        elif kind == "pause":
            self._set_playing(False)
        elif kind == "toggle":
            if self._playing:
                self._set_playing(False)
            else:
                self._play()
        elif kind == "step":
            self._set_playing(False)
            frame = self._held or self._read()
            self._held = None
            if frame is not None:
                self._submit(frame)
        elif kind == "step_back":
            self._set_playing(False)
            if self._shown_index > 0:
                self._seek(self._shown_index - 1)
        elif kind == "seek":
            self._seek(int(arg))
        elif kind == "seek_last":
            if self._info.frame_count:
                self._set_playing(False)
                self._seek(self._info.frame_count - 1)

    def _play(self) -> None:
        info = self._info
        if info is not None and info.frame_count == 1 and not info.is_live and not self._loop:
            self._step_single_image()
            return
        if self._at_end and self._held is None:  # Play at the end plays it again from the first frame
            self._seek(0)
        self._set_playing(True)

    def _step_single_image(self) -> None:
        self._restart()
        frame = self._read()
        if frame is not None:
            self._submit(frame)

    def _open(self, spec: str, autoplay: bool) -> None:
        try:
            if self._opener is not None:
                source = self._opener(spec)
            else:
                source = open_source(spec) if self._live is None else open_source(spec, self._live)
        except Exception as exc:
            message, details = _message(exc)
            log.warning("cannot open %s: %s%s", spec, message, f"\n{details.rstrip()}" if details else "")
            self.open_failed.emit(message, details)
            return
        self._set_playing(False)
        self._close_source()
        self._source = source
        self._info = SourceInfo(spec, source.name or spec, source_kind(source), bool(source.is_live),
                                source.frame_count, source.fps)
        self._held = None
        self._engine.new_generation()
        self.opened.emit(self._info)
        if isinstance(source, LiveSource):  # frames come as they arrive (no first read that could block)
            source.listeners.append(self.live_event.emit)
            frame = None
        else:
            frame = self._read()
        if frame is not None:
            self._submit(frame)
            self._anchor = (time.perf_counter(), frame.index)
        # A folder holds independent photos: it opens paused on the first, to be stepped through.
        if (autoplay and self._source is not None and self._info.kind != "folder"
                and (self._info.frame_count != 1 or self._info.is_live or self._loop)):
            self._playing = True
            self.playing_changed.emit(True)

    def _close_source(self) -> None:
        source, self._source = self._source, None
        self._info = None
        self._held = None
        if source is not None:
            try:
                source.close()
            except Exception:
                pass

    def _restart(self) -> None:
        self._source.seek(0)
        self._engine.new_generation()
        self._anchor = None

    def _seek(self, index: int) -> None:
        if self._info is None or self._info.is_live:
            return
        try:
            self._source.seek(index)
        except Exception as exc:
            message, details = _message(exc)
            log.warning("%s: cannot seek to frame %d: %s", self._info.name, index, message)
            self.read_failed.emit(f"{self._info.name}: cannot seek to frame {index}: {message}", details)
            return
        self._held = None
        self._engine.new_generation()
        self._anchor = None
        frame = self._read(wrap=False)
        if frame is not None:
            self._submit(frame)
            self._anchor = (time.perf_counter(), frame.index)

    def _read(self, wrap: bool = True) -> Frame | None:
        """Read the next frame; handles the end (loop or finish) and read errors."""
        try:
            frame = self._source.read()
            if frame is None and wrap and self._loop and not self._info.is_live:
                # A loop wrap: reset the pipeline with the first frame, but keep in-flight
                # results (a new generation would discard them all: with a one-frame source
                # at max pace no result would ever arrive).
                self._source.seek(0)
                self._continue_clock_after_wrap()
                self._restarted = True
                frame = self._source.read()
            for note in self._source.take_notes():  # e.g. photos of a folder that were skipped
                self.note.emit(note)
        except Exception as exc:
            message, details = _message(exc)
            self._set_playing(False)
            live = self._info is not None and self._info.is_live
            if live:  # a camera that stopped (unplugged): release the device rather than retry it
                self._close_source()
                message = f"{message}; closed it"
            log.warning("%s%s", message, f"\n{details.rstrip()}" if details else "")
            self.read_failed.emit(message, details)
            if live:
                self.closed.emit()
            return None
        if frame is None:
            self._at_end = not self._info.is_live
            if self._playing:
                self._set_playing(False)
                self.finished.emit()
            return None
        self._at_end = False
        self._frames_read += 1
        self._last_index = frame.index
        return frame

    def _continue_clock_after_wrap(self) -> None:
        """Frame 0 of the next loop is due one frame period after the last frame (else a
        one-frame source, always "due" at index 0, would be resubmitted as fast as it reads)."""
        if self._anchor is not None:
            start, index = self._anchor
            fps = self._info.fps or DEFAULT_FPS
            self._anchor = (start + (self._last_index + 1 - index) / fps, 0)

    def _play_one(self) -> None:
        if self._held is None and isinstance(self._source, LiveSource) and not self._source.wait_frame(_POLL_S):
            return  # nothing new yet (or reconnecting): back to the command loop, the window stays usable
        frame = self._held or self._read()
        self._held = None
        if frame is None:
            return
        recording = isinstance(self._source, LiveSource) and self._source.finite  # an HLS VOD: played like a file
        if not self._info.is_live or recording:
            if not self._engine.wait_ready(0):  # a model is loading: hold this frame, then pace from it
                self._anchor = None
                while not self._engine.wait_ready(_POLL_S):
                    if self._has_commands():
                        self._held = frame
                        return
            if self._pace == Pace.REALTIME:
                if not self._wait_due(frame):
                    self._held = frame
                    return
            else:
                while not self._engine.wait_slot_free(_POLL_S):
                    if self._has_commands():
                        self._held = frame
                        return
        self._submit(frame)

    def _wait_due(self, frame: Frame) -> bool:
        """Wait until `frame` is due at the source's frame rate; False if a command came first."""
        fps = self._info.fps or DEFAULT_FPS
        now = time.perf_counter()
        if self._anchor is None or frame.index < self._anchor[1]:
            self._anchor = (now, frame.index)
        due = self._anchor[0] + (frame.index - self._anchor[1]) / fps
        if now - due > MAX_LAG_S:  # fell far behind (slow decode): restart the clock here
            self._anchor = (now, frame.index)
            return True
        with self._cond:
            interrupted = self._cond.wait_for(lambda: self._stopping or bool(self._commands),
                                              max(0.0, due - now))
        return not interrupted

    def _submit(self, frame: Frame) -> None:
        self._shown_index = frame.index
        self._engine.submit(frame, restart=self._restarted)
        self._restarted = False
