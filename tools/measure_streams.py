"""Measure network streams (issue 32, docs/measured.md#streams): open-to-first-frame time of
PyAV against OpenCV's FFmpeg backend, and how far a loopback stream's keypoints land from the
file's own.

The stream is pose_1.mp4 re-encoded live (libx264, ultrafast, zero-latency, GOP 30) as MPEG-TS
over HTTP on 127.0.0.1 by tests/live_server.py, paced at 30 fps.

* ``open``: rounds of (PyAV, OpenCV) interleaved, each opening a fresh server's stream and
  decoding its first frame to RGB; the ratio within each round is what to read on a loaded
  machine.
* ``agreement``: ``infer URL --max-frames 60 --json`` (default options, and ``--no-crop
  --no-smoothing``) against ``infer pose_1.mp4 --json`` with the same options, per frame
  index (the stream's frame indices come from its timestamps; the server sends the video 8
  times as one stream, so a slow model load still meets it); and the re-encoding error
  alone: the same encoder's frames written to an MP4 file and run through ``infer``.

Usage (from the project root, about two minutes on 2 cores)::

    PYTHONPATH=$PWD python tools/measure_streams.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from live_server import TsServer  # noqa: E402 (the tests' loopback server)

VIDEO = ROOT / "resources" / "samples" / "pose_1.mp4"


def open_pyav(url: str) -> float:
    start = time.monotonic()
    with av.open(url, timeout=(10, 5)) as container:
        next(container.decode(video=0)).to_ndarray(format="rgb24")
        return time.monotonic() - start


def open_opencv(url: str) -> float:
    start = time.monotonic()
    capture = cv2.VideoCapture(url, cv2.CAP_FFMPEG)
    ok, bgr = capture.read()
    cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    elapsed = time.monotonic() - start
    capture.release()
    assert ok
    return elapsed


def cli(*args: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "movenet_studio.cli", *args], capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(done.stderr)


def keypoints(path: Path) -> dict[int, np.ndarray]:
    return {f["index"]: np.array([[k["x"], k["y"]] for k in f["poses"][0]["keypoints"]])
            for f in json.loads(path.read_text())["frames"] if f["poses"]}


def distances(a: dict, b: dict) -> str:
    d = np.concatenate([np.linalg.norm(a[i] - b[i], axis=1) for i in a if i in b])
    return (f"median {np.median(d):.2f}, mean {d.mean():.2f}, p95 {np.percentile(d, 95):.2f}, max {d.max():.2f} px "
            f"({len(d) // 17} frames)")


def reencoded(folder: Path) -> Path:
    """pose_1.mp4 through the loopback server's encoder, into an MP4 file."""
    server = TsServer(VIDEO, fps=1000)
    server.close()
    path = folder / "reencoded.mp4"
    height, width = server.frames[0].shape[:2]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "tune": "zerolatency", "g": "30"}
        for n, rgb in enumerate(server.frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            frame.pts = n
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    ratios, pyav, opencv = [], [], []
    for _ in range(args.rounds):
        with TsServer(VIDEO) as server:
            pyav.append(open_pyav(server.url))
        with TsServer(VIDEO) as server:
            opencv.append(open_opencv(server.url))
        ratios.append(pyav[-1] / opencv[-1])
    print(f"open to first frame: PyAV median {np.median(pyav) * 1000:.0f} ms, OpenCV median "
          f"{np.median(opencv) * 1000:.0f} ms, PyAV/OpenCV per round median {np.median(ratios):.2f} "
          f"({', '.join(f'{r:.2f}' for r in ratios)})")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        copy = reencoded(folder)
        for label, options in (("default options", ()), ("--no-crop --no-smoothing", ("--no-crop", "--no-smoothing"))):
            cli("infer", str(VIDEO), "--json", str(folder / "file.json"), *options)
            cli("infer", str(copy), "--json", str(folder / "copy.json"), *options)
            with TsServer(VIDEO, loops=8) as server:  # one continuous stream: frame n is video frame n % 120
                cli("infer", server.url, "--max-frames", "60", "--json", str(folder / "stream.json"), *options)
            summary = json.loads((folder / "stream.json").read_text())["summary"]["live"]
            file = keypoints(folder / "file.json")
            stream = {i % len(file): v for i, v in keypoints(folder / "stream.json").items()}
            print(f"{label}: stream vs file {distances(stream, file)}; re-encoded file vs file "
                  f"{distances({i: v for i, v in keypoints(folder / 'copy.json').items() if i in stream}, file)}; "
                  f"stream: {summary['dropped']} dropped, capture-to-result p50 "
                  f"{summary['capture_to_result_ms']['p50']:.0f} ms")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
