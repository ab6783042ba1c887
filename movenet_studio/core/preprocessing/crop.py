"""Crop-and-resize of the crop region into the model input, bit-exact to TF.js's CPU kernel:
numba's compiled kernel (:mod:`.crop_kernel`) once loaded, the numpy port (:mod:`.crop_numpy`) before.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from .crop_numpy import crop_into_numpy
from .mapping import CropRegion

log = logging.getLogger(__name__)


class _CompiledCrop:
    """numba's crop kernel, loaded once per process by :func:`load_crop_kernel` (on the calling
    thread or a daemon thread); until then :func:`crop_and_resize` crops with numpy."""

    kernel = None  # crop_kernel.crop_into once compiled or loaded from numba's cache
    loader: threading.Thread | None = None
    lock = threading.Lock()

    @classmethod
    def load(cls) -> None:
        try:
            from .crop_kernel import crop_into, warm_up  # numba is imported only here (start time)

            warm_up()
        except Exception as exc:  # noqa: BLE001 - numba unusable here: the numpy crop (bit-identical) stays
            log.warning("numba's crop kernel could not be loaded (%s: %s); cropping with numpy",
                        type(exc).__name__, exc)
            return
        cls.kernel = crop_into


def load_crop_kernel(*, wait: bool = True) -> None:
    """Import numba and compile the kernel of :func:`crop_and_resize` (or load it from numba's
    on-disk cache), once per process: with the model of a pipeline that will crop many frames,
    instead of on its first crop.

    Importing numba and loading the kernel takes longer than the rest of a start together
    (about 0.5-1 s warm), so a still photo never loads it and the window loads it on a daemon
    thread after its first frames (``wait=False``); until it is ready, crops run in numpy
    (:mod:`.crop_numpy`, bit-identical, about twice the kernel's time per crop).

    Args:
        wait: return once the kernel is ready (True), or start loading it on a daemon thread
            and return at once (False).
    """
    with _CompiledCrop.lock:
        if _CompiledCrop.kernel is None and _CompiledCrop.loader is None:
            _CompiledCrop.loader = threading.Thread(target=_CompiledCrop.load, name="crop-kernel-loader", daemon=True)
            _CompiledCrop.loader.start()
        loader = _CompiledCrop.loader
    if wait and loader is not None:
        loader.join()


def crop_and_resize(frame_rgb: np.ndarray, region: CropRegion, out_h: int, out_w: int) -> np.ndarray:
    """``tf.cast(tf.image.cropAndResize(frame, [region], [0], [out_h, out_w], 'bilinear', 0), 'int32')``.

    Bit-exact port of the tfjs-backend-cpu kernel (``CropAndResize.ts``): output row i
    samples ``y = ymin * (H - 1) + i * ((ymax - ymin) * (H - 1) / (out_h - 1))`` (centre
    ``0.5 * (ymin + ymax) * (H - 1)`` when ``out_h == 1``), likewise for x, with region
    edges rounded to float32 first; samples with y or x outside ``[0, H - 1]`` / ``[0, W - 1]``
    are 0 (black); inside, bilinear ``top + (bottom - top) * y_lerp`` on ``floor``/``ceil``
    neighbours, in float64. The float result is stored as float32, then cast to int32 by TF.js
    (``Int32Array.from``: truncation toward zero, not rounding). A full-frame region can
    lose its last row/column to black through float rounding, exactly as in TF.js. Runs in
    the compiled kernel of :mod:`.crop_kernel` (GIL released; 0.1-0.3 ms for 192 x 192) once
    :func:`load_crop_kernel` has loaded it, in the bit-identical numpy port of
    :mod:`.crop_numpy` before.

    Args:
        frame_rgb: uint8 [H, W, C] frame (C = 3 for RGB).
        region: the crop box normalised to the frame.
        out_h, out_w: output size in pixels (model input size, e.g. 192).

    Returns:
        uint8 [out_h, out_w, C] crop (a new array).

    Raises:
        TypeError: if ``frame_rgb`` is not uint8.
        ValueError: if ``frame_rgb`` is not 3-D or an output size is < 1.
    """
    img = np.asarray(frame_rgb)
    if img.dtype != np.uint8:
        raise TypeError(f"frame_rgb must be uint8, got {img.dtype}")
    if img.ndim != 3 or img.shape[0] < 1 or img.shape[1] < 1:
        raise ValueError(f"frame_rgb must be [H, W, C], got shape {img.shape}")
    if out_h < 1 or out_w < 1:
        raise ValueError(f"output size must be >= 1, got {out_h}x{out_w}")
    out = np.empty((out_h, out_w, img.shape[2]), dtype=np.uint8)
    edges = np.array(region.as_tuple(), dtype=np.float32).tolist()  # boxes are a float32 tensor
    crop_into = _CompiledCrop.kernel or crop_into_numpy  # numba's kernel once load_crop_kernel has loaded it
    crop_into(np.ascontiguousarray(img), *edges, out)
    return out
