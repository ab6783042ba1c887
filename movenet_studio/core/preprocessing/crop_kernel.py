"""The compiled crop-and-resize kernel behind :func:`~.cropping.crop_and_resize` (numba).

A line-by-line port of tfjs-backend-cpu's ``CropAndResize.ts`` (bilinear, extrapolation
value 0) followed by ``Cast.ts``'s float -> int32 truncation, with the same float64
operations in the same order, so the output is bit-identical to TF.js's CPU kernel (and to
the pixel-by-pixel transcription in the tests). Only the order of the work differs:

- the source positions of the output rows and columns are computed once per call;
- each source row an output row needs is gathered at the output columns' left and right
  neighbours (byte copies into two contiguous uint8 rows) and lerped horizontally once into
  a float64 row, which is kept while the next output row uses the same source row (as when
  the crop is enlarged or shrunk by less than 2); the vertical lerp of the two float64 rows
  then runs over contiguous memory. LLVM vectorises both lerps and the conversions.

The kernel releases the GIL (``nogil``), so the window's thread keeps drawing while a crop
runs, and is compiled once per machine into numba's on-disk cache (the package's
``__pycache__``, or numba's per-user cache when that is read-only). Why numba and
not numpy: docs/design.md, "The crop kernel".
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["crop_into", "warm_up"]


def _jit(function):
    """``numba.njit(nogil=True)`` with the on-disk cache where numba can locate one."""
    try:
        return numba.njit(nogil=True, cache=True)(function)
    except RuntimeError:  # "cannot cache function ...: no locator available" (a frozen app)
        return numba.njit(nogil=True)(function)


@_jit
def _axis(lo, hi, in_len, out_len, i0, i1, frac):  # pragma: no cover - runs compiled
    """Fill the floor/ceil source indices and lerp fractions of one axis; -1 outside the image.

    ``lo``/``hi``: the box edges (already rounded to float32), normalised; TF.js's
    ``y1 * (H - 1) + y * heightScale`` with ``heightScale = (y2 - y1) * (H - 1) / (outH - 1)``.
    """
    scale = (hi - lo) * (in_len - 1) / (out_len - 1) if out_len > 1 else 0.0
    for k in range(out_len):
        p = lo * (in_len - 1) + k * scale if out_len > 1 else 0.5 * (lo + hi) * (in_len - 1)
        if p >= 0 and p <= in_len - 1:
            f = math.floor(p)
            i0[k], i1[k], frac[k] = int(f), int(math.ceil(p)), p - f
        else:
            i0[k], i1[k], frac[k] = -1, -1, 0.0


@_jit
def _gather(src, x0, x1, c, left, right):  # pragma: no cover - runs compiled
    """``left[j * c + ch] = src[x0[j] * c + ch]`` and ``right`` likewise from ``x1`` (uint8 copies;
    src: one frame row, [W * c])."""
    if c == 3:  # RGB: a constant channel count lets LLVM unroll the copy
        for j in range(x0.size):
            a, b, k = 3 * x0[j], 3 * x1[j], 3 * j
            left[k], left[k + 1], left[k + 2] = src[a], src[a + 1], src[a + 2]
            right[k], right[k + 1], right[k + 2] = src[b], src[b + 1], src[b + 2]
    else:
        for j in range(x0.size):
            for ch in range(c):
                left[j * c + ch] = src[x0[j] * c + ch]
                right[j * c + ch] = src[x1[j] * c + ch]


@_jit
def _row_lerp(src, x0, x1, c, x_lerp, left, right, out):  # pragma: no cover - runs compiled
    """One frame row sampled at the output columns: ``out = left + (right - left) * x_lerp``
    in float64, TF.js's ``top = topLeft + (topRight - topLeft) * xLerp`` (vectorised: the
    gathers are byte copies, the conversion and the lerp run over contiguous memory)."""
    _gather(src, x0, x1, c, left, right)
    for k in range(out.size):
        a = np.float64(left[k])
        out[k] = a + (np.float64(right[k]) - a) * x_lerp[k]


@_jit
def crop_into(img, ymin, xmin, ymax, xmax, out):  # pragma: no cover - runs compiled
    """Crop `img` into `out` in place, as tfjs-backend-cpu does (see the module docstring).

    Args:
        img: C-contiguous uint8 [H, W, C] frame.
        ymin, xmin, ymax, xmax: box edges normalised to the frame, already rounded to
            float32 (TF.js boxes are a float32 tensor), as Python floats.
        out: C-contiguous uint8 [h, w, C], written in place (rows and columns whose samples
            fall outside the frame become 0).

    Compiled on first call (about 2 s once per machine, then loaded from the on-disk cache;
    :func:`warm_up` does it ahead).
    """
    h, w, c = img.shape
    out_h, out_w = out.shape[0], out.shape[1]
    y0, y1, fy = np.empty(out_h, np.intp), np.empty(out_h, np.intp), np.empty(out_h)
    x0, x1, fx = np.empty(out_w, np.intp), np.empty(out_w, np.intp), np.empty(out_w)
    _axis(ymin, ymax, h, out_h, y0, y1, fy)
    _axis(xmin, xmax, w, out_w, x0, x1, fx)
    n = out_w * c
    x_lerp = np.empty(n)
    first, end = n, 0  # positions are monotonic: the columns inside the frame are one run
    for j in range(out_w):
        for ch in range(c):
            x_lerp[j * c + ch] = fx[j]
        if x0[j] < 0:  # gathered from column 0, then blacked out below
            x0[j] = x1[j] = 0
        else:
            first, end = min(first, j * c), (j + 1) * c
    rows = img.reshape(h, w * c)
    left, right = np.empty(n, np.uint8), np.empty(n, np.uint8)
    top, bottom = np.empty(n), np.empty(n)  # frame rows y0[i] and y1[i], lerped horizontally
    res = out.reshape(out_h, n)
    top_row = bottom_row = -1
    for i in range(out_h):
        row = res[i]
        if y0[i] < 0:
            row[:] = 0
            continue
        if y0[i] != top_row:
            if y0[i] == bottom_row:  # the previous bottom row is this row's top row
                top, bottom = bottom, top
                top_row, bottom_row = bottom_row, top_row
            else:
                _row_lerp(rows[y0[i]], x0, x1, c, x_lerp, left, right, top)
                top_row = y0[i]
        if y1[i] != bottom_row:
            _row_lerp(rows[y1[i]], x0, x1, c, x_lerp, left, right, bottom)
            bottom_row = y1[i]
        y_lerp = fy[i]
        for k in range(n):
            t = top[k]
            # float32 output of the crop, then Int32Array.from (truncation toward zero).
            row[k] = np.uint8(np.int32(np.float32(t + (bottom[k] - t) * y_lerp)))
        row[:first] = 0
        row[end:] = 0

def warm_up() -> None:
    """Compile :func:`crop_into` for the argument types of real crops now (or load it from
    numba's on-disk cache), so that the first frame does not pay for it (about 1.5 s on a fresh
    install, 0.1 s from the cache): uint8 [H, W, C] C-contiguous frame, float edges, uint8 output."""
    crop_into(np.zeros((2, 2, 3), np.uint8), 0.0, 0.0, 1.0, 1.0, np.empty((1, 1, 3), np.uint8))
