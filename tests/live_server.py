"""Loopback stream servers for the live-source tests (no system FFmpeg needed).

:class:`TsServer` serves a video as a live MPEG-TS over HTTP on 127.0.0.1: PyAV encodes it
(libx264, zero-latency) frame by frame into the socket of each client, paced at the frame
rate. PyAV's output containers open their URL with ``avio_open`` without options, so FFmpeg's
own ``listen`` server cannot be reached from PyAV 18: the HTTP answer is written here and PyAV
writes the MPEG-TS body into the socket through a file object.

Behaviours (``mode``): ``stream`` (serve the video, then close), ``mjpeg`` (the same as
MJPEG, ``multipart/x-mixed-replace`` as IP cameras and phone apps send it), ``stop_after``
(close after `stop_after_s` and refuse any later connection), ``silent`` (accept, never
answer), ``garbage`` (answer 200 and send random bytes).

:class:`UdpTsSender` pushes the same MPEG-TS as UDP datagrams to a port on 127.0.0.1, where
the reader (``udp://127.0.0.1:PORT``) binds.
"""

from __future__ import annotations

import socket
import threading
import time

import av
import cv2
import numpy as np


def video_frames(video, max_frames: int) -> list[np.ndarray]:
    """The first `max_frames` frames of `video` as uint8 [H, W, 3] RGB."""
    frames: list[np.ndarray] = []
    with av.open(str(video)) as container:
        for frame in container.decode(video=0):
            frames.append(frame.to_ndarray(format="rgb24"))
            if len(frames) >= max_frames:
                break
    return frames


def add_h264_stream(out, fps: float, width: int, height: int):
    """A zero-latency libx264 stream in `out` (a keyframe every second, SPS/PPS in-band)."""
    stream = out.add_stream("libx264", rate=int(round(fps)))
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.options = {"preset": "ultrafast", "tune": "zerolatency", "g": str(int(fps))}
    return stream


def encode(stream, rgb: np.ndarray, pts: int):
    """The packets of one RGB frame at `pts` (in frames)."""
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
    frame.pts = pts
    return stream.encode(frame)


class _SocketWriter:
    """A write-only file object over a socket, for PyAV's output container."""

    def __init__(self, conn: socket.socket):
        self.conn = conn

    def write(self, data) -> int:
        self.conn.sendall(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


class TsServer:
    """A one-client-at-a-time HTTP server on 127.0.0.1 (port chosen by the OS).

    Args:
        video: the file to serve (decoded once, up to `max_frames`).
        mode: see the module docstring.
        stop_after_s: ``stop_after``: seconds of stream before the server goes away.
        fps: pacing (frames per second of wall time).
        max_frames: frames of the video to serve.
        loops: times the frames are served, one continuous stream (frame n of the stream is
            frame ``n % len(frames)`` of the video): long enough for a client loading a model.
        path: the URL path.
    """

    def __init__(self, video=None, mode: str = "stream", stop_after_s: float = 2.0, fps: float = 30.0,
                 max_frames: int = 120, loops: int = 1, path: str = "/live.ts"):
        self.mode, self.stop_after_s, self.fps, self.loops = mode, stop_after_s, fps, loops
        self.frames = video_frames(video, max_frames) if video is not None else []
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}{path}"
        self.connections = 0
        self.served = 0
        self._stop = threading.Event()
        self._open: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, name="ts-server", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            self._open.append(conn)
            try:
                self._handle(conn)
            except Exception:  # the client went away (PyAV reports a failed write as its own error)
                pass
            finally:
                if self.mode != "silent":
                    conn.close()
            if self.mode == "stop_after":
                self.listener.close()  # gone for good: later connections are refused
                return

    def _handle(self, conn: socket.socket) -> None:
        if self.mode == "silent":
            return  # keep it open, never answer
        conn.settimeout(5)
        request = b""
        while b"\r\n\r\n" not in request and len(request) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                return
            request += chunk
        if self.mode == "mjpeg":
            self._send_mjpeg(conn)
            return
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: video/mp2t\r\nCache-Control: no-cache\r\n\r\n")
        if self.mode == "garbage":
            rng = np.random.default_rng(0)
            for _ in range(64):
                conn.sendall(rng.integers(0, 256, 16384, dtype=np.uint8).tobytes())
            return
        self._send_ts(conn)

    def _send_mjpeg(self, conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=frame\r\n\r\n")
        start = time.monotonic()
        for n, rgb in enumerate(self.frames * self.loops):
            if self._stop.wait(max(0.0, start + n / self.fps - time.monotonic())):
                return
            jpeg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))[1].tobytes()
            conn.sendall(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(jpeg)
                         + jpeg + b"\r\n")
            self.served = n + 1

    def _send_ts(self, conn: socket.socket) -> None:
        height, width = self.frames[0].shape[:2]
        with av.open(_SocketWriter(conn), "w", format="mpegts") as out:
            stream = add_h264_stream(out, self.fps, width, height)
            start = time.monotonic()
            for n, rgb in enumerate(self.frames * self.loops):
                if self._stop.is_set():
                    return
                elapsed = time.monotonic() - start
                if self.mode == "stop_after" and elapsed >= self.stop_after_s:
                    return
                self._stop.wait(max(0.0, start + n / self.fps - time.monotonic()))
                for packet in encode(stream, rgb, n):
                    out.mux(packet)
                self.served = n + 1
            for packet in stream.encode():
                out.mux(packet)

    def close(self) -> None:
        """Stop serving and close every socket (joins the thread)."""
        self._stop.set()
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes a blocked accept()
        except OSError:
            pass
        try:
            self.listener.close()
        except OSError:
            pass
        for conn in self._open:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()
        self._thread.join(10)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def free_udp_port() -> int:
    """A UDP port of 127.0.0.1 that nothing is bound to now (the OS's pick, released again)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _DatagramWriter:
    """MPEG-TS bytes out as UDP datagrams of 7 TS packets (1316 bytes, as FFmpeg sends them) over
    a connected socket. A datagram sent while nothing is bound to the port comes back as ICMP
    port unreachable, which the next send reports as ``ConnectionRefusedError``: :attr:`refused`
    says the reader was not there yet."""

    def __init__(self, conn: socket.socket):
        self.conn, self.pending, self.refused = conn, b"", False

    def write(self, data) -> int:
        self.pending += bytes(data)
        while len(self.pending) >= 1316:
            chunk, self.pending = self.pending[:1316], self.pending[1316:]
            try:
                self.conn.send(chunk)
            except ConnectionRefusedError:
                self.refused = True
        return len(data)

    def flush(self) -> None:
        pass


class UdpTsSender:
    """Pushes a video as live MPEG-TS over UDP to ``udp://127.0.0.1:PORT``, paced at `fps`, the
    video's frames over and over until closed.

    Not racy against the reader binding its port: the sender sends from the start (frames sent
    before the reader is bound are lost, as on a real network) and knows when the reader is
    there, because a datagram to a port nothing is bound to is refused (ICMP port unreachable,
    loopback is never rate-limited). :attr:`received` counts frames sent since the last refusal.

    Args:
        video: the file to send (decoded once, up to `max_frames`).
        port: the reader's port (default: :func:`free_udp_port`).
        stop_after: stop sending for good once this many frames were sent with the reader bound
            (a sender that goes away); None: until :meth:`close`.
        fps: pacing (frames per second of wall time).
        max_frames: frames of the video to send (looped).
    """

    def __init__(self, video, port: int | None = None, stop_after: int | None = None, fps: float = 30.0,
                 max_frames: int = 60):
        self.frames = video_frames(video, max_frames)
        self.port = port or free_udp_port()
        self.url = f"udp://127.0.0.1:{self.port}"
        self.stop_after, self.fps = stop_after, fps
        self.sent = 0
        self.received = 0
        self.stopped = threading.Event()  # set when the sender has stopped for good
        self._stop = threading.Event()
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.connect(("127.0.0.1", self.port))
        self._thread = threading.Thread(target=self._send, name="udp-sender", daemon=True)
        self._thread.start()

    def _send(self) -> None:
        writer = _DatagramWriter(self._socket)
        height, width = self.frames[0].shape[:2]
        try:
            with av.open(writer, "w", format="mpegts", options={"flush_packets": "1"}) as out:
                stream = add_h264_stream(out, self.fps, width, height)
                start = time.monotonic()
                while not self._stop.wait(max(0.0, start + self.sent / self.fps - time.monotonic())):
                    for packet in encode(stream, self.frames[self.sent % len(self.frames)], self.sent):
                        out.mux(packet)
                    self.sent += 1
                    self.received = 0 if writer.refused else self.received + 1
                    writer.refused = False
                    if self.stop_after is not None and self.received >= self.stop_after:
                        return
        finally:
            self.stopped.set()

    def close(self) -> None:
        """Stop sending (joins the thread) and close the socket."""
        self._stop.set()
        self._thread.join(10)
        self._socket.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_hls(video, folder, max_frames: int = 90, segment_s: float = 1.0, fps: float = 30.0,
              name: str = "x.m3u8") -> list[str]:
    """Write the first `max_frames` frames of `video` as an HLS VOD (H.264 in MPEG-TS segments
    of `segment_s` s, a playlist ending in ``#EXT-X-ENDLIST``) into `folder` with PyAV's hls
    muxer; the segment file names, in playlist order."""
    frames = video_frames(video, max_frames)
    height, width = frames[0].shape[:2]
    playlist = folder / name
    options = {"hls_time": f"{segment_s:g}", "hls_list_size": "0", "hls_playlist_type": "vod"}
    with av.open(str(playlist), "w", format="hls", options=options) as out:
        stream = add_h264_stream(out, fps, width, height)
        for n, rgb in enumerate(frames):
            for packet in encode(stream, rgb, n):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return [line for line in playlist.read_text().splitlines() if line and not line.startswith("#")]


class FolderServer:
    """http.server serving `folder` on 127.0.0.1 (port chosen by the OS) in a thread; a missing
    file answers 404."""

    def __init__(self, folder):
        import functools
        from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

        class Quiet(SimpleHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="folder-server", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop serving (joins the thread) and close the socket."""
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(10)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
