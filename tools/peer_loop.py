"""bench's pipeline against a plain peer loop, in one run with alternating rounds (issue 30).

The peer is Google's Raspberry Pi MoveNet sample (tensorflow/examples, lite/examples/
pose_estimation/raspberry_pi/ml/movenet.py) reduced to its per-frame work: slice the crop
region out of the frame, pad it with ``cv2.copyMakeBorder``, ``cv2.resize`` it to the model's
input, invoke, map the keypoints back, and determine the next crop region (the same
torso/body-range rule as TF.js). Its frames are decoded before its timed loop. The project's
figures come from ``bench`` (:func:`movenet_studio.core.bench.run_bench`): the raw invoke rate
and the pipeline rate (frames decoded by its reader thread while it runs: decode included).

Usage: ``python tools/peer_loop.py [VIDEO] [--model lightning] [--threads 2] [--frames 150] [--rounds 5]``.
Prints one line per round and the medians of the ratios. Timing only: nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import time

import cv2
import numpy as np

from movenet_studio.core.bench import make_configs, run_bench
from movenet_studio.core.media.opener import open_source
from movenet_studio.core.models.resolve import resolve_model
from movenet_studio.core.runtimes.litert import create_interpreter

# COCO keypoint rows the sample's crop rule reads.
_SHOULDERS, _HIPS = (5, 6), (11, 12)
_MIN_CROP_KEYPOINT_SCORE = 0.2


def _init_crop_region(h: int, w: int) -> dict:
    if w > h:
        box_h = w / h
        return {"y_min": (h / 2 - w / 2) / h, "x_min": 0.0, "y_max": (h / 2 - w / 2) / h + box_h, "x_max": 1.0,
                "height": box_h, "width": 1.0}
    box_w = h / w
    x_min = (w / 2 - h / 2) / w
    return {"y_min": 0.0, "x_min": x_min, "y_max": 1.0, "x_max": x_min + box_w, "height": 1.0, "width": box_w}


def _crop_region(kps: np.ndarray, h: int, w: int) -> dict:
    """The sample's _determine_crop_region: a square around the torso and body ranges."""
    pix = np.column_stack([kps[:, 0] * h, kps[:, 1] * w])
    torso = [*_SHOULDERS, *_HIPS]
    if not (kps[_HIPS, 2] > _MIN_CROP_KEYPOINT_SCORE).any() or not (kps[_SHOULDERS, 2] > _MIN_CROP_KEYPOINT_SCORE).any():
        return _init_crop_region(h, w)
    cy, cx = pix[_HIPS, 0].mean(), pix[_HIPS, 1].mean()
    torso_y = np.abs(cy - pix[torso, 0]).max()
    torso_x = np.abs(cx - pix[torso, 1]).max()
    seen = kps[:, 2] > _MIN_CROP_KEYPOINT_SCORE
    body_y = np.abs(cy - pix[seen, 0]).max() if seen.any() else 0.0
    body_x = np.abs(cx - pix[seen, 1]).max() if seen.any() else 0.0
    half = max(torso_x * 1.9, torso_y * 1.9, body_y * 1.2, body_x * 1.2)
    half = min(half, max(cx, w - cx, cy, h - cy))
    if half > max(w, h) / 2:
        return _init_crop_region(h, w)
    y0, x0 = (cy - half) / h, (cx - half) / w
    return {"y_min": y0, "x_min": x0, "y_max": y0 + 2 * half / h, "x_max": x0 + 2 * half / w,
            "height": 2 * half / h, "width": 2 * half / w}


def _crop_and_resize(image: np.ndarray, r: dict, size: tuple[int, int]) -> np.ndarray:
    """The sample's _crop_and_resize: slice, pad with black, cv2.resize."""
    ih, iw = image.shape[:2]
    top, bottom = int(0 if r["y_min"] < 0 else r["y_min"] * ih), int(ih if r["y_max"] >= 1 else r["y_max"] * ih)
    left, right = int(0 if r["x_min"] < 0 else r["x_min"] * iw), int(iw if r["x_max"] >= 1 else r["x_max"] * iw)
    pads = (int(-r["y_min"] * ih if r["y_min"] < 0 else 0), int((r["y_max"] - 1) * ih if r["y_max"] >= 1 else 0),
            int(-r["x_min"] * iw if r["x_min"] < 0 else 0), int((r["x_max"] - 1) * iw if r["x_max"] >= 1 else 0))
    out = cv2.copyMakeBorder(image[top:bottom, left:right], *pads, cv2.BORDER_CONSTANT)
    return cv2.resize(out, size)


def peer_fps(model_path: str, frames: list[np.ndarray], threads: int) -> float:
    """Frames per second of the sample's loop over `frames` (decoded in advance)."""
    interpreter = create_interpreter(model_path, threads=threads)
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    size = (int(inp["shape"][2]), int(inp["shape"][1]))
    h, w = frames[0].shape[:2]
    region = _init_crop_region(h, w)
    start = time.perf_counter()
    for frame in frames:
        interpreter.set_tensor(inp["index"], _crop_and_resize(frame, region, size)[None].astype(inp["dtype"]))
        interpreter.invoke()
        kps = np.squeeze(interpreter.get_tensor(out["index"])).copy()
        kps[:, 0] = region["y_min"] + region["height"] * kps[:, 0]
        kps[:, 1] = region["x_min"] + region["width"] * kps[:, 1]
        region = _crop_region(kps, h, w)
    return len(frames) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", default="../shared/data/pose_1.mp4")
    parser.add_argument("--model", default="lightning")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with open_source(args.source) as source:
        frames = []
        for frame in source:
            frames.append(frame.rgb)
            if len(frames) == args.frames:
                break
    model = str(resolve_model(args.model, "tflite").path)
    configs = make_configs([args.model], ["tflite"], [args.threads])
    rows = []
    for k in range(args.rounds):
        peer = peer_fps(model, frames, args.threads)
        result = run_bench(configs, args.source, frames=args.frames, warmup=10).results[0]
        rows.append((result.raw_fps, result.pipeline_fps, peer))
        print(f"round {k + 1}: raw {result.raw_fps:.1f} FPS, bench pipeline {result.pipeline_fps:.1f} FPS "
              f"({result.pipeline_fps / result.raw_fps:.2f} x raw), peer loop {peer:.1f} FPS "
              f"({peer / result.raw_fps:.2f} x raw); pipeline / peer {result.pipeline_fps / peer:.2f}", flush=True)
    med = statistics.median
    print(f"median of {args.rounds} rounds: pipeline / raw {med(p / r for r, p, _ in rows):.2f}, "
          f"peer / raw {med(q / r for r, _, q in rows):.2f}, pipeline / peer {med(p / q for _, p, q in rows):.2f}")


if __name__ == "__main__":
    main()
