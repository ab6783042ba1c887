"""The numpy crop-and-resize behind :func:`~.cropping.crop_and_resize` until numba's kernel is loaded.

The same float64 operations in the same order as :mod:`.crop_kernel` (a port of
tfjs-backend-cpu's ``CropAndResize.ts``, bilinear, extrapolation value 0, then ``Cast.ts``'s
float -> int32 truncation), vectorised: the output is bit-identical to the compiled kernel and to
TF.js. It needs no compilation and no numba import (numba and its kernel take longer to load
than the whole rest of a start), so a pipeline that was not asked to load the compiled kernel
(a still photo, the window) crops with it; it costs about twice the compiled kernel's time per
crop (four gathers and a pass over memory per float64 operation; README, "Crop-and-resize").
It is the numpy kernel the project used before the compiled one (0.64 ms per 192 x 192 crop on a
quiet 2-core machine), which matched Google's TF.js pipeline on pose_1.mp4 at 0.357 px mean.
"""

from __future__ import annotations

import numpy as np

__all__ = ["crop_into_numpy"]


#: Output rows per block: small temporaries (big numpy temporaries cost page faults per call).
_ROW_BLOCK = 32


def _axis(lo: float, hi: float, in_len: int, out_len: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Floor and ceil source indices, lerp fractions and the inside mask of one axis, as
    tfjs-backend-cpu computes them: ``y1 * (H - 1) + y * heightScale`` with
    ``heightScale = (y2 - y1) * (H - 1) / (outH - 1)`` (the centre when ``outH == 1``)."""
    if out_len > 1:
        scale = (hi - lo) * (in_len - 1) / (out_len - 1)
        pos = lo * (in_len - 1) + np.arange(out_len, dtype=np.float64) * scale
    else:
        pos = np.array([0.5 * (lo + hi) * (in_len - 1)])
    valid = (pos >= 0) & (pos <= in_len - 1)
    pos = np.where(valid, pos, 0.0)
    i0 = np.floor(pos).astype(np.intp)
    i1 = np.ceil(pos).astype(np.intp)
    return i0, i1, pos - i0, valid


def crop_into_numpy(img: np.ndarray, ymin: float, xmin: float, ymax: float, xmax: float, out: np.ndarray) -> None:
    """Crop `img` into `out` in place, bit-identical to :func:`~.crop_kernel.crop_into`.

    Args:
        img: C-contiguous uint8 [H, W, C] frame.
        ymin, xmin, ymax, xmax: box edges normalised to the frame, already rounded to
            float32 (TF.js boxes are a float32 tensor), as Python floats.
        out: uint8 [h, w, C], written in place (rows and columns whose samples fall outside
            the frame become 0).
    """
    h, w, c = img.shape
    out_h, out_w = out.shape[:2]
    y0, y1, fy, vy = _axis(ymin, ymax, h, out_h)
    x0, x1, fx, vx = _axis(xmin, xmax, w, out_w)
    out[...] = 0
    ry, rx = np.flatnonzero(vy), np.flatnonzero(vx)
    if ry.size == 0 or rx.size == 0:
        return
    # Positions are monotonic, so the in-image samples form one block of rows and columns.
    rs, cs = slice(ry[0], ry[-1] + 1), slice(rx[0], rx[-1] + 1)
    flat = img.reshape(h, w * c)
    chan = np.arange(c)
    col0 = (x0[cs, None] * c + chan).ravel()
    col1 = (x1[cs, None] * c + chan).ravel()
    x_lerp = np.repeat(fx[cs], c)
    block = np.empty((ry.size, rx.size * c), dtype=np.uint8)
    for b in range(0, ry.size, _ROW_BLOCK):
        rows = slice(ry[0] + b, min(ry[0] + b + _ROW_BLOCK, ry[-1] + 1))
        r0, r1 = flat[y0[rows]], flat[y1[rows]]
        # Same float64 operation order as the JS kernel (exact integer differences first).
        tl, bl = r0[:, col0], r1[:, col0]
        top = np.subtract(r0[:, col1], tl, dtype=np.float64)
        top *= x_lerp
        top += tl
        bottom = np.subtract(r1[:, col1], bl, dtype=np.float64)
        bottom *= x_lerp
        bottom += bl
        bottom -= top
        bottom *= fy[rows, None]
        bottom += top
        # Round to the kernel's float32 output, then truncate toward zero (Int32Array.from in
        # TF.js's int32 cast). Bilinear weights in [0, 1) keep values inside 0..255.
        block[b:b + bottom.shape[0]] = bottom.astype(np.float32)
    out[rs, cs] = block.reshape(ry.size, rx.size, c)
