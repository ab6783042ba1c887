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
"""

from __future__ import annotations

import socket
import threading
import time

import av
import cv2
import numpy as np


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
        self.frames: list[np.ndarray] = []
        if video is not None:
            with av.open(str(video)) as container:
                for frame in container.decode(video=0):
                    self.frames.append(frame.to_ndarray(format="rgb24"))
                    if len(self.frames) >= max_frames:
                        break
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
            stream = out.add_stream("libx264", rate=int(round(self.fps)))
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.options = {"preset": "ultrafast", "tune": "zerolatency", "g": str(int(self.fps))}
            start = time.monotonic()
            for n, rgb in enumerate(self.frames * self.loops):
                if self._stop.is_set():
                    return
                elapsed = time.monotonic() - start
                if self.mode == "stop_after" and elapsed >= self.stop_after_s:
                    return
                self._stop.wait(max(0.0, start + n / self.fps - time.monotonic()))
                frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
                frame.pts = n
                for packet in stream.encode(frame):
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
