"""Draw MoveNet Studio's icon: resources/icon.png (256x256) and resources/icon.ico (Windows).

A stylised MoveNet skeleton (the app's own colours: cyan left side, magenta right side,
yellow across, deep-pink keypoints) over a soft "heatmap" glow on a dark rounded square.
Only numpy and OpenCV, no fonts: the output is the same on every run with the same
OpenCV, so the committed PNG can be regenerated::

    python packaging/make_icon.py            # writes resources/icon.png and resources/icon.ico
    python packaging/make_icon.py --out DIR  # somewhere else

The .ico holds PNG-compressed images at 16..256 px (the format Windows has read since
Vista, and what PyInstaller embeds in the .exe).
"""

from __future__ import annotations

import argparse
import struct
from pathlib import Path

import cv2
import numpy as np

SIZE = 256
SUPERSAMPLE = 4
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)

# Colours in RGB, as the app draws them (core/drawing/render.py, core/decoding/keypoints.py).
LEFT, RIGHT, CENTRE = (0, 255, 255), (255, 0, 255), (255, 230, 0)
KEYPOINT, OUTLINE = (255, 20, 147), (255, 255, 255)
BACKGROUND_TOP, BACKGROUND_BOTTOM = (38, 44, 58), (18, 20, 28)

# A person mid-stride, arms raised, in a 0..1 square (x right, y down), MoveNet's 17 keypoints.
KEYPOINTS = {
    "nose": (0.50, 0.17),
    "left_eye": (0.535, 0.145), "right_eye": (0.465, 0.145),
    "left_ear": (0.575, 0.165), "right_ear": (0.425, 0.165),
    "left_shoulder": (0.62, 0.30), "right_shoulder": (0.38, 0.30),
    "left_elbow": (0.76, 0.22), "right_elbow": (0.25, 0.40),
    "left_wrist": (0.84, 0.10), "right_wrist": (0.17, 0.50),
    "left_hip": (0.585, 0.56), "right_hip": (0.415, 0.56),
    "left_knee": (0.70, 0.71), "right_knee": (0.36, 0.74),
    "left_ankle": (0.76, 0.88), "right_ankle": (0.26, 0.86),
}
EDGES = (
    ("left_shoulder", "left_elbow", LEFT), ("left_elbow", "left_wrist", LEFT),
    ("left_shoulder", "left_hip", LEFT), ("left_hip", "left_knee", LEFT), ("left_knee", "left_ankle", LEFT),
    ("right_shoulder", "right_elbow", RIGHT), ("right_elbow", "right_wrist", RIGHT),
    ("right_shoulder", "right_hip", RIGHT), ("right_hip", "right_knee", RIGHT),
    ("right_knee", "right_ankle", RIGHT),
    ("left_shoulder", "right_shoulder", CENTRE), ("left_hip", "right_hip", CENTRE),
)
FACE = ("nose", "left_eye", "right_eye", "left_ear", "right_ear")


def _bgr(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    return rgb[2], rgb[1], rgb[0]


def draw_icon(size: int = SIZE) -> np.ndarray:
    """The icon as a BGRA uint8 image of `size` x `size` pixels."""
    big = size * SUPERSAMPLE
    shift = 4  # sub-pixel bits for cv2 drawing
    one = 1 << shift

    def pt(name: str) -> tuple[int, int]:
        x, y = KEYPOINTS[name]
        margin = 0.06
        return (int(round((margin + x * (1 - 2 * margin)) * big * one)),
                int(round((margin + y * (1 - 2 * margin)) * big * one)))

    # Background: vertical gradient.
    t = np.linspace(0.0, 1.0, big, dtype=np.float32)[:, None, None]
    top, bottom = np.array(_bgr(BACKGROUND_TOP), np.float32), np.array(_bgr(BACKGROUND_BOTTOM), np.float32)
    bgr = np.broadcast_to(top * (1 - t) + bottom * t, (big, big, 3)).astype(np.float32)

    # A "centre heatmap" glow behind the body: a Gaussian around the hips/torso, warm colours.
    yy, xx = np.mgrid[0:big, 0:big].astype(np.float32) / big
    cx, cy = 0.5, 0.45
    glow = np.exp(-(((xx - cx) / 0.26) ** 2 + ((yy - cy) / 0.34) ** 2))
    heat = cv2.applyColorMap((glow * 255).astype(np.uint8), cv2.COLORMAP_INFERNO).astype(np.float32)
    alpha = (0.75 * glow)[..., None]
    bgr = bgr * (1 - alpha) + heat * alpha
    canvas = np.clip(bgr, 0, 255).astype(np.uint8).copy()

    # Skeleton: a dark halo under each bone, then the bone.
    width = int(big * 0.052)
    for a, b, _colour in EDGES:
        cv2.line(canvas, pt(a), pt(b), (12, 12, 16), width + int(big * 0.02), cv2.LINE_AA, shift)
    for a, b, colour in EDGES:
        cv2.line(canvas, pt(a), pt(b), _bgr(colour), width, cv2.LINE_AA, shift)

    # Keypoints: white-outlined pink dots (smaller on the face).
    for name in KEYPOINTS:
        radius = int(big * (0.017 if name in FACE else 0.03)) * one
        outline = max(2, int(big * (0.006 if name in FACE else 0.009)))
        cv2.circle(canvas, pt(name), radius + outline * one, _bgr(OUTLINE), -1, cv2.LINE_AA, shift)
        cv2.circle(canvas, pt(name), radius, _bgr(KEYPOINT), -1, cv2.LINE_AA, shift)

    # Rounded-square mask (alpha), antialiased by the supersampling.
    mask = np.zeros((big, big), np.uint8)
    r = int(big * 0.18)
    cv2.rectangle(mask, (r, 0), (big - 1 - r, big - 1), 255, -1)
    cv2.rectangle(mask, (0, r), (big - 1, big - 1 - r), 255, -1)
    for cx_, cy_ in ((r, r), (big - 1 - r, r), (r, big - 1 - r), (big - 1 - r, big - 1 - r)):
        cv2.circle(mask, (cx_, cy_), r, 255, -1, cv2.LINE_AA)

    bgra = np.dstack([canvas, mask])
    # Premultiply before downsampling so transparent edges don't pick up colour, then undo.
    premult = bgra.astype(np.float32)
    premult[..., :3] *= premult[..., 3:] / 255.0
    small = cv2.resize(premult, (size, size), interpolation=cv2.INTER_AREA)
    a = small[..., 3:]
    small[..., :3] = np.where(a > 0, small[..., :3] * 255.0 / np.maximum(a, 1e-6), 0)
    return np.clip(np.rint(small), 0, 255).astype(np.uint8)


def ico_bytes(images: list[np.ndarray]) -> bytes:
    """A Windows .ico holding each BGRA image PNG-compressed (sizes up to 256)."""
    pngs = []
    for image in images:
        ok, data = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 9])
        if not ok:
            raise RuntimeError("PNG encoding failed")
        pngs.append((image.shape[1], image.shape[0], data.tobytes()))
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, blobs = b"", b""
    for width, height, data in pngs:
        entries += struct.pack("<BBBBHHII", width % 256, height % 256, 0, 0, 1, 32, len(data), offset)
        blobs += data
        offset += len(data)
    return header + entries + blobs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "resources",
                        help="output folder (default: the project's resources/)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    icon = draw_icon(SIZE)
    png = args.out / "icon.png"
    if not cv2.imwrite(str(png), icon, [cv2.IMWRITE_PNG_COMPRESSION, 9]):
        raise SystemExit(f"could not write {png}")
    sizes = [icon if s == SIZE else draw_icon(s) for s in ICO_SIZES]
    (args.out / "icon.ico").write_bytes(ico_bytes(sizes))
    print(f"wrote {png} and {args.out / 'icon.ico'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
