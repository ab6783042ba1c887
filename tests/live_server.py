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


class _RtpWriter:
    """PyAV's rtp muxer output: it writes (and flushes) one RTP or RTCP packet at a time; each
    goes out interleaved in the RTSP connection (``$``, channel, length; RFC 2326 10.12) or as
    a UDP datagram to the client's RTP / RTCP port."""

    def __init__(self, conn: socket.socket, lock: threading.Lock, udp: socket.socket | None = None,
                 ports: tuple[int, int] | None = None):
        self.conn, self.lock, self.udp, self.ports = conn, lock, udp, ports

    def write(self, data) -> int:
        packet = bytes(data)
        rtcp = 200 <= packet[1] <= 204  # RTCP packet types; an RTP byte 1 is the payload type 96 (+128 marker)
        if self.udp is not None:
            self.udp.sendto(packet, ("127.0.0.1", self.ports[1] if rtcp else self.ports[0]))
        else:
            with self.lock:
                self.conn.sendall(b"$" + bytes([1 if rtcp else 0]) + len(packet).to_bytes(2, "big") + packet)
        return len(packet)

    def flush(self) -> None:
        pass


class RtspServer:
    """A minimal RTSP server on 127.0.0.1 (port chosen by the OS), enough for FFmpeg's RTSP client:
    OPTIONS, DESCRIBE (a hand-written SDP: H.264, payload type 96), SETUP over TCP (interleaved)
    or UDP (client ports), PLAY, GET_PARAMETER (keep-alive) and TEARDOWN. PLAY starts, for that
    client, a libx264 encoder into PyAV's rtp muxer (RFC 6184 packets; SPS and PPS in-band with
    each keyframe), paced at `fps`.

    Args:
        video: the file to stream (decoded once, up to `max_frames`, looped).
        credentials: ``(user, password)``: DESCRIBE without them gets 401 and a Basic challenge.
        stop_after: frames to send before the server goes away (closes the connection and refuses
            any later one); None: until the client leaves or :meth:`close`.
        fps: pacing (frames per second of wall time).
        max_frames: frames of the video to stream.

    Attributes:
        url: ``rtsp://127.0.0.1:PORT/stream1``.
        transports: the lower transport of each SETUP (``tcp`` or ``udp``).
        authorized: DESCRIBE requests that carried the right credentials.
    """

    def __init__(self, video, credentials: tuple[str, str] | None = None, stop_after: int | None = None,
                 fps: float = 30.0, max_frames: int = 60):
        self.frames = video_frames(video, max_frames)
        self.credentials, self.stop_after, self.fps = credentials, stop_after, fps
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        self.url = f"rtsp://127.0.0.1:{self.port}/stream1"
        self.transports: list[str] = []
        self.authorized = 0
        self.sent = 0
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._thread = threading.Thread(target=self._accept, name="rtsp-server", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self._sockets.append(conn)
            thread = threading.Thread(target=self._session, args=(conn,), name="rtsp-session", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _sdp(self) -> bytes:
        return ("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=test\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\na=control:*\r\n"
                "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\n"
                f"a=framerate:{self.fps:g}\r\na=control:track0\r\n").encode()

    def _session(self, conn: socket.socket) -> None:
        """One client's RTSP connection: requests until it leaves (or the server stops)."""
        lock = threading.Lock()  # replies and interleaved packets share the connection
        ended = threading.Event()
        buffer = b""
        sender: threading.Thread | None = None
        udp: socket.socket | None = None
        ports: tuple[int, int] | None = None
        try:
            while not self._stop.is_set():
                if buffer.startswith(b"$"):  # the client's interleaved RTCP receiver reports: skipped
                    size = 4 + int.from_bytes(buffer[2:4], "big") if len(buffer) >= 4 else None
                    if size is not None and len(buffer) >= size:
                        buffer = buffer[size:]
                        continue
                elif b"\r\n\r\n" in buffer:
                    head, _, buffer = buffer.partition(b"\r\n\r\n")
                    lines = head.decode("latin-1").split("\r\n")
                    method = lines[0].split(" ")[0]
                    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
                    buffer = buffer[int(headers.get("content-length", 0)):]
                    status, reply, body = self._answer(method, headers)
                    if method == "SETUP" and reply[-1].startswith("Transport: RTP/AVP;"):  # UDP: send from a port
                        ports = tuple(int(p) for p in reply[-1].partition("client_port=")[2].split("-"))
                        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                        udp.bind(("127.0.0.1", 0))
                        reply[-1] += f";server_port={udp.getsockname()[1]}-{udp.getsockname()[1] + 1}"
                    reply.insert(0, f"CSeq: {headers.get('cseq', '0')}")
                    if body:
                        reply.append(f"Content-Length: {len(body)}")
                    text = f"RTSP/1.0 {status}\r\n" + "".join(f"{line}\r\n" for line in reply) + "\r\n"
                    with lock:
                        conn.sendall(text.encode() + body)
                    if method == "PLAY" and sender is None:
                        writer = _RtpWriter(conn, lock, udp, ports)
                        sender = threading.Thread(target=self._play, args=(writer, conn, ended), name="rtsp-play",
                                                  daemon=True)
                        sender.start()
                    if method == "TEARDOWN":
                        return
                    continue
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buffer += chunk
        except OSError:  # the connection was closed under us (stop_after, close)
            return
        finally:
            ended.set()
            if sender is not None:
                sender.join(10)
            conn.close()
            if udp is not None:
                udp.close()

    def _answer(self, method: str, headers: dict[str, str]) -> tuple[str, list[str], bytes]:
        """(status, header lines, body) of the answer to one request (a UDP SETUP's Transport
        line names the client's ports)."""
        import base64

        if method == "OPTIONS":
            return "200 OK", ["Public: OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER, TEARDOWN"], b""
        if method == "DESCRIBE":
            if self.credentials:
                if headers.get("authorization") != "Basic " + base64.b64encode(":".join(self.credentials).encode()).decode():
                    return "401 Unauthorized", ['WWW-Authenticate: Basic realm="test"'], b""
                self.authorized += 1
            return "200 OK", ["Content-Type: application/sdp", f"Content-Base: {self.url}/"], self._sdp()
        if method == "SETUP":
            transport = headers.get("transport", "")
            self.transports.append("tcp" if "/TCP" in transport else "udp")
            if "/TCP" in transport:
                return "200 OK", ["Session: 12345678", "Transport: RTP/AVP/TCP;unicast;interleaved=0-1"], b""
            first, _, second = transport.partition("client_port=")[2].partition(";")[0].partition("-")
            return "200 OK", ["Session: 12345678", f"Transport: RTP/AVP;unicast;client_port={first}-{second}"], b""
        if method == "PLAY":
            return "200 OK", ["Session: 12345678", "Range: npt=0.000-"], b""
        if method in ("GET_PARAMETER", "TEARDOWN"):
            return "200 OK", ["Session: 12345678"], b""
        return "405 Method Not Allowed", [], b""

    def _play(self, writer: _RtpWriter, conn: socket.socket, ended: threading.Event) -> None:
        """Encode and send the frames, paced, until the client leaves, the server stops, or
        `stop_after` frames (then the server goes away: its connection is cut, later ones refused)."""
        height, width = self.frames[0].shape[:2]
        try:
            with av.open(writer, "w", format="rtp", options={"packetsize": "1400"}) as out:
                stream = add_h264_stream(out, self.fps, width, height)
                start = time.monotonic()
                n = 0
                while not ended.wait(max(0.0, start + n / self.fps - time.monotonic())) and not self._stop.is_set():
                    if self.stop_after is not None and n >= self.stop_after:
                        self.listener.shutdown(socket.SHUT_RDWR)  # stops listening (and wakes accept())
                        conn.shutdown(socket.SHUT_RDWR)
                        return
                    for packet in encode(stream, self.frames[n % len(self.frames)], n):
                        out.mux(packet)
                    n += 1
                    self.sent = max(self.sent, n)
        except (OSError, av.error.FFmpegError):  # the client went away (PyAV's muxer reports the broken pipe)
            pass

    def close(self) -> None:
        """Stop serving and close every socket (joins the threads)."""
        self._stop.set()
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        for conn in self._sockets:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(10)
        for thread in self._threads:
            thread.join(10)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
