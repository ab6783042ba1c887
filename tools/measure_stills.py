"""Measure how close single-pose keypoints land to COCO reference keypoints on still photos,
for the three ways a still image can be cropped (issue 25, docs/measured.md):

* ``refined``: no options (the whole image padded to a square, then the crop refined from its
  own keypoints until it stops moving: core/tracking/still_crop.py);
* ``no-crop``: ``--no-crop`` (the whole image letterboxed, one pass);
* ``centre``: what a still got before (TF.js's first-frame square *inside* the image, one pass).

Photos: ../shared/data/coco_mini (4 COCO val2017 photos and their annotations). Around every
annotated person with at least 10 labelled keypoints a portrait (3:5), square and landscape
(5:3) window is cut that holds the person's box with a margin, scaled so the long side is
640 px. Usage (from the project root, a few minutes on 2 cores)::

    PYTHONPATH=$PWD python tools/measure_stills.py [--models lightning thunder]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from movenet_studio.core.media.sources import Frame
from movenet_studio.core.pipeline import Pipeline, PipelineConfig

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ASPECTS = {"portrait": 3 / 5, "square": 1.0, "landscape": 5 / 3}  # width / height
MODES = ("refined", "no-crop", "centre")
#: A window where --no-crop's keypoints are a median of more than this far from the labelled
#: person's is one where the single-pose model follows another person.
OTHER_PERSON_PX = 100


def windows(annotations: dict, min_keypoints: int = 10):
    """Yield (name, rgb, keypoints [17, 3] x, y, v in the window's pixels) for every person and aspect."""
    images = {im["id"]: im for im in annotations["images"]}
    for n, ann in enumerate(annotations["annotations"]):
        if ann["num_keypoints"] < min_keypoints:
            continue
        image = images[ann["image_id"]]
        bgr = cv2.imread(str(DATA / "coco_mini" / image["file_name"]))
        rgb = np.ascontiguousarray(bgr[..., ::-1])
        height, width = rgb.shape[:2]
        x, y, w, h = ann["bbox"]
        kps = np.array(ann["keypoints"], np.float64).reshape(17, 3)
        for aspect_name, aspect in ASPECTS.items():
            win_h = max(h * 1.15, w * 1.15 / aspect)
            win_w = win_h * aspect
            if win_w > width or win_h > height:
                continue  # the person does not fit a window of this shape inside the photo
            x0 = float(np.clip(x + w / 2 - win_w / 2, 0, width - win_w))
            y0 = float(np.clip(y + h / 2 - win_h / 2, 0, height - win_h))
            scale = 640 / max(win_w, win_h)
            out_w, out_h = round(win_w * scale), round(win_h * scale)
            matrix = np.array([[scale, 0, -x0 * scale], [0, scale, -y0 * scale]])
            crop = cv2.warpAffine(rgb, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR)
            ref = kps.copy()
            ref[:, 0] = (kps[:, 0] - x0) * scale
            ref[:, 1] = (kps[:, 1] - y0) * scale
            yield f"{image['file_name']}#{n}:{aspect_name}", crop, ref


def run(pipeline: Pipeline, rgb: np.ndarray, mode: str):
    """(keypoints [17, 3] or None, crop region or None, passes) of one photo."""
    pipeline.reset()
    result = pipeline.process(Frame(0, 0.0, rgb, 0.0, still=mode != "centre"))
    keypoints = result.poses[0].keypoints if result.poses else None
    return keypoints, result.crop_region, len(result.crop_passes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["lightning", "thunder"])
    args = parser.parse_args()
    annotations = json.loads((DATA / "coco_mini" / "test_coco.json").read_text())
    cases = list(windows(annotations))
    print(f"{len(cases)} windows of {len({c[0].split(':')[0] for c in cases})} persons")
    for model in args.models:
        pipelines = {"refined": Pipeline(PipelineConfig(model=model)),
                     "no-crop": Pipeline(PipelineConfig(model=model, crop=False)),
                     "centre": Pipeline(PipelineConfig(model=model))}
        errors = {mode: {aspect: [] for aspect in ASPECTS} for mode in MODES}
        cut_off, passes, worst = {m: 0 for m in MODES}, [], {m: [] for m in MODES}
        other_person = {m: 0 for m in MODES}  # cut off, on windows where --no-crop follows someone else
        medians = {m: [] for m in MODES}
        for name, rgb, ref in cases:
            aspect = name.rsplit(":", 1)[1]
            visible = ref[:, 2] > 0
            h, w = rgb.shape[:2]
            for mode in ("no-crop", "refined", "centre"):  # no-crop first: it tells who the model follows
                keypoints, region, n = run(pipelines[mode], rgb, mode)
                if mode == "refined":
                    passes.append(n)
                if keypoints is None:
                    errors[mode][aspect].append(np.full(visible.sum(), np.inf))
                    continue
                d = np.hypot(*(keypoints[visible, :2] - ref[visible, :2]).T)
                errors[mode][aspect].append(d)
                medians[mode].append(float(np.median(d)))
                worst[mode].append(d.max())
                if region is not None:  # a labelled keypoint inside the photo but outside the final crop
                    x0, y0, x1, y1 = region.to_pixels(h, w)
                    xs, ys = ref[visible, 0], ref[visible, 1]
                    in_photo = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
                    inside = (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)
                    cut = bool((in_photo & ~inside).any())
                    followed_other = medians["no-crop"] and medians["no-crop"][-1] > OTHER_PERSON_PX
                    cut_off[mode] += int(cut and not followed_other)
                    other_person[mode] += int(cut and followed_other)
        print(f"\n{model}: px to the COCO reference over labelled keypoints")
        print("| crop | aspect | mean | median | p90 | > 21 px | worst keypoint |")
        print("|---|---|---|---|---|---|---|")
        for mode in MODES:
            for aspect in (*ASPECTS, "all"):
                parts = (errors[mode][aspect] if aspect != "all"
                         else [d for a in ASPECTS for d in errors[mode][a]])
                d = np.concatenate(parts)
                print(f"| {mode} | {aspect} | {d.mean():.1f} | {np.median(d):.1f} | {np.percentile(d, 90):.1f} | "
                      f"{int((d > 21).sum())} of {d.size} | {d.max():.1f} |")
        print("persons cut off by the final crop: " + ", ".join(f"{m} {cut_off[m]}" for m in MODES)
              + f" (and where the model follows another person, --no-crop median > {OTHER_PERSON_PX} px: "
              + ", ".join(f"{m} {other_person[m]}" for m in MODES) + ")")
        r, n = np.array(medians["refined"]), np.array(medians["no-crop"])
        print(f"windows, refined median vs --no-crop median: {int((r < n - 0.5).sum())} closer, "
              f"{int((r > n + 0.5).sum())} further, {int((abs(r - n) <= 0.5).sum())} within 0.5 px")
        print(f"refinement passes: mean {np.mean(passes):.2f}, max {max(passes)}, histogram "
              f"{np.bincount(passes).tolist()}")
        for p in pipelines.values():
            p.close()


if __name__ == "__main__":
    main()
