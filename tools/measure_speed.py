"""Issue 30's figures ("drawing three times cheaper, a pipeline ahead of the peers, a start under a
second and a half") in one run, for the README / docs/measured.md.

Usage (from the project folder, on a machine otherwise idle)::

    python tools/measure_speed.py [VIDEO] [--photo PHOTO] [--out DIR]

Prints, with the CPU and the load average:

1. the window at the video's own 30 FPS with every overlay on (``gui VIDEO --model lightning
   --threads 2 --overlays skeleton,heatmaps,centre,offsets,regression,decode,crop --loop
   --exit-after-frames 300 --stats-json``): processed vs displayed frames, GUI-thread CPU ms per
   displayed frame (and its costliest slots and paints), event-loop lag p99;
2. ``--pace max`` with the skeleton and with every head overlay: processed FPS over ``bench``'s
   raw invoke rate, bench run before and after the two windows (the ratio uses their mean);
3. ``bench``'s pipeline / raw and a plain peer loop (Google's Raspberry Pi sample) on the same
   model and frames, 5 alternating rounds (``tools/peer_loop.py``);
4. warm starts (each command once to warm the caches, then the median of 3): the window's
   first processed frame after launch (``--stats-json`` ``first_result_after_launch_s``),
   ``infer PHOTO`` and ``--version`` wall times.

Timing only; nothing is asserted. Every JSON the commands wrote stays in ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALL = "skeleton,heatmaps,centre,offsets,regression,decode,crop"
HEADS = "heatmaps,centre,offsets,regression,decode,crop"
CLI = [sys.executable, "-m", "movenet_studio.cli"]


def run(args: list[str], quiet: bool = True) -> float:
    """Run a command; returns its wall time in seconds (raises on failure)."""
    start = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, stdout=subprocess.PIPE if quiet else None, stderr=subprocess.PIPE,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT),
                                          "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")})
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(args)}\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


def window(video: str, out: Path, name: str, overlays: str, *extra: str) -> dict:
    path = out / f"{name}.json"
    run([*CLI, "gui", video, "--model", "lightning", "--threads", "2", "--overlays", overlays, "--loop",
         "--stats-json", str(path), *extra])
    return json.loads(path.read_text())


def bench_raw(video: str, out: Path, name: str) -> dict:
    path = out / f"{name}.json"
    run([*CLI, "bench", video, "--models", "lightning", "--threads", "2", "-q", "--json", str(path)])
    return json.loads(path.read_text())["configurations"][0]


def machine() -> str:
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        cpu = next((line.split(":", 1)[1].strip() for line in lscpu.splitlines() if line.startswith("Model name")), "?")
    except OSError:
        cpu = "?"
    return f"{cpu}, {os.cpu_count()} CPUs, load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", nargs="?", default="../shared/data/pose_1.mp4")
    parser.add_argument("--photo", default="../shared/data/pose.jpg")
    parser.add_argument("--out", type=Path, default=None, help="folder for the JSON files (default: a temporary one)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="measure_speed_"))
    out.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; JSON in {out}")

    print("\n1. window at 30 FPS, every overlay (gui ... --overlays " + ALL + " --loop --exit-after-frames 300)")
    s = window(args.video, out, "realtime_all", ALL, "--exit-after-frames", "300")
    lag = s["event_loop_lag_ms"]
    print(f"   processed {s['processed_frames']} / displayed {s['displayed_frames']} (undrawn "
          f"{s['processed_frames'] - s['displayed_frames']}); processed / displayed FPS "
          f"{s['processed_fps']} / {s['displayed_fps']}")
    print(f"   GUI thread CPU per displayed frame {s['gui_thread_ms_per_displayed_frame']} ms; event-loop lag "
          f"p50 / p95 / p99 / max {lag.get('p50')} / {lag.get('p95')} / {lag.get('p99')} / {lag.get('max')} ms")
    costly = list(s["gui_slots_ms"].items())[:6]
    print("   costliest GUI-thread parts (CPU ms per displayed frame): "
          + ", ".join(f"{k} {v['cpu_ms_per_frame']}" for k, v in costly))

    print("\n2. --pace max against bench's raw invoke rate (bench, window skeleton, window heads, bench)")
    raw1 = bench_raw(args.video, out, "bench_before")["raw_fps"]
    skel = window(args.video, out, "max_skeleton", "skeleton", "--pace", "max", "--exit-after-frames", "600")
    heads = window(args.video, out, "max_heads", ALL, "--pace", "max", "--exit-after-frames", "600")
    raw2 = bench_raw(args.video, out, "bench_after")["raw_fps"]
    raw = (raw1 + raw2) / 2
    print(f"   bench raw {raw1:.1f} / {raw2:.1f} FPS (mean {raw:.1f})")
    for name, st in (("skeleton", skel), ("every overlay", heads)):
        print(f"   {name}: processed {st['processed_fps']} FPS = {st['processed_fps'] / raw:.2f} x raw; displayed "
              f"{st['displayed_fps']} FPS; GUI CPU {st['gui_thread_ms_per_displayed_frame']} ms per displayed frame; "
              f"lag p99 {st['event_loop_lag_ms'].get('p99')} ms")

    print("\n3. bench pipeline / raw and a plain peer loop (tools/peer_loop.py, 5 alternating rounds)")
    sys.stdout.flush()
    run([sys.executable, str(ROOT / "tools" / "peer_loop.py"), args.video, "--rounds", "5"], quiet=False)

    print("\n4. warm starts (one warm-up run, then the median of 3)")
    firsts = []
    for k in range(4):
        st = window(args.video, out, f"start_{k}", ALL, "--exit-after-frames", "3")
        firsts.append(st["first_result_after_launch_s"])
    infer = [run([*CLI, "infer", args.photo]) for _ in range(4)]
    version = [run([*CLI, "--version"]) for _ in range(4)]
    med = statistics.median
    print(f"   window: first processed frame {med(firsts[1:]):.2f} s after launch (runs: "
          f"{', '.join(f'{v:.2f}' for v in firsts)})")
    print(f"   infer {Path(args.photo).name}: {med(infer[1:]):.2f} s; --version: {med(version[1:]):.2f} s")
    print(f"\nmachine after: {machine()}")


if __name__ == "__main__":
    main()
