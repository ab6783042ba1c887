"""Colour maps as 256-entry RGB lookup tables, shared by the export renderer and the window.

Both the numpy renderer (:mod:`.render`) and the GUI's pyqtgraph image items colour a
probability map (0..1) through the same table, so an export looks like the screen:

- here: ``lut[index]`` with ``index = clip(floor(value * 256), 0, 255)`` (:func:`apply_colormap`);
- pyqtgraph: ``ImageItem(image, lut=colormap_lut(name), levels=(0.0, 1.0))``, which maps a
  value to the same index (pyqtgraph scales by ``len(lut) / (max - min)``, clips to
  ``len(lut) - 1`` and truncates).

The tables are OpenCV's own colour maps (``cv2.applyColorMap`` on a 0..255 ramp,
converted from BGR to RGB) plus a plain grey ramp; no matplotlib. They are computed on
first use and cached; the arrays returned are read-only.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

#: Colour-map name -> OpenCV COLORMAP_* constant name (None: the grey ramp).
_OPENCV_MAPS: dict[str, str | None] = {
    "inferno": "COLORMAP_INFERNO",
    "viridis": "COLORMAP_VIRIDIS",
    "turbo": "COLORMAP_TURBO",
    "magma": "COLORMAP_MAGMA",
    "plasma": "COLORMAP_PLASMA",
    "cividis": "COLORMAP_CIVIDIS",
    "jet": "COLORMAP_JET",
    "hot": "COLORMAP_HOT",
    "bone": "COLORMAP_BONE",
    "gray": None,
}

#: The colour map of keypoint heatmaps the window and the export use unless told otherwise.
DEFAULT_COLORMAP = "inferno"

#: The colour map of the person-centre heatmap unless told otherwise: blue-green-yellow, told
#: apart at a glance from the keypoint heatmaps' black-red-yellow (:data:`DEFAULT_COLORMAP`).
DEFAULT_CENTRE_COLORMAP = "viridis"


def colormap_names() -> tuple[str, ...]:
    """Names :func:`colormap_lut` accepts that this OpenCV build provides, in menu order."""
    return tuple(name for name, const in _OPENCV_MAPS.items() if const is None or hasattr(cv2, const))


@lru_cache(maxsize=None)
def colormap_lut(name: str) -> np.ndarray:
    """The lookup table of colour map `name`.

    Args:
        name: one of :func:`colormap_names` (case-insensitive), e.g. ``inferno``,
            ``viridis``, ``turbo``, ``gray``.

    Returns:
        uint8 [256, 3] RGB, read-only (copy it before changing it). Row 0 is the colour of
        value 0.0, row 255 the colour of values >= 255/256.

    Raises:
        ValueError: unknown name (the message lists the known ones).
    """
    key = str(name).lower()
    if key != name:
        return colormap_lut(key)
    if key not in colormap_names():
        raise ValueError(f"unknown colour map '{name}'; known: {', '.join(colormap_names())}")
    ramp = np.arange(256, dtype=np.uint8)
    const = _OPENCV_MAPS[key]
    if const is None:
        lut = np.repeat(ramp[:, None], 3, axis=1)
    else:
        bgr = cv2.applyColorMap(ramp.reshape(256, 1), getattr(cv2, const))  # [256, 1, 3] BGR
        lut = np.ascontiguousarray(bgr[:, 0, ::-1])
    lut = lut.astype(np.uint8)
    lut.setflags(write=False)
    return lut


def lut_indices(values: np.ndarray) -> np.ndarray:
    """LUT rows of probability `values`: ``clip(floor(values * 256), 0, 255)``.

    Args:
        values: float array of any shape, nominally 0..1 (NaN maps to row 0).

    Returns:
        uint8 array of the same shape.
    """
    scaled = np.nan_to_num(np.asarray(values, dtype=np.float32) * 256.0, nan=0.0, posinf=255.0, neginf=0.0)
    return np.clip(np.floor(scaled), 0, 255).astype(np.uint8)


def colormap_rgba_lut(name: str) -> np.ndarray:
    """Colour map `name` with an alpha ramp: how heatmaps are drawn over the video.

    Alpha rises with the value (row i has alpha i), so cells near 0 leave the frame visible
    and confident cells cover it; the overlay's opacity scales that alpha. The window
    (pyqtgraph ``ImageItem`` lookup table) and :mod:`.render` use this same table.

    Returns:
        uint8 [256, 4] RGBA, read-only.

    Raises:
        ValueError: unknown name.
    """
    rgba = np.empty((256, 4), dtype=np.uint8)
    rgba[:, :3] = colormap_lut(name)
    rgba[:, 3] = np.arange(256, dtype=np.uint8)
    rgba.flags.writeable = False
    return rgba


def apply_colormap(values: np.ndarray, name: str) -> np.ndarray:
    """Colour a map of probabilities.

    Args:
        values: float [H, W] (or any shape) probabilities, nominally 0..1; values outside
            are clipped (levels fixed at 0..1, never auto-scaled).
        name: colour-map name (:func:`colormap_names`).

    Returns:
        uint8 [..., 3] RGB, shape ``values.shape + (3,)``.

    Raises:
        ValueError: unknown colour map.
    """
    return colormap_lut(name)[lut_indices(values)]


#: ColorBrewer RdBu anchors, negative (blue) -> 0 (near white) -> positive (red).
_DIVERGING_ANCHORS = ((33, 102, 172), (103, 169, 207), (209, 229, 240), (247, 247, 247),
                      (253, 219, 199), (239, 138, 98), (178, 24, 43))


@lru_cache(maxsize=None)
def diverging_lut() -> np.ndarray:
    """A diverging colour map for signed differences (A - B): blue below 0, white at 0, red above.

    Linear interpolation of ColorBrewer's 7-class RdBu (Cynthia Brewer, colorbrewer2.org).
    Use with :func:`diverging_indices`.

    Returns:
        uint8 [256, 3] RGB, read-only; row 128 is the colour of 0.
    """
    anchors = np.asarray(_DIVERGING_ANCHORS, dtype=np.float64)
    stops = np.linspace(0.0, 255.0, len(anchors))
    ramp = np.arange(256, dtype=np.float64)
    lut = np.stack([np.interp(ramp, stops, anchors[:, c]) for c in range(3)], axis=1)
    lut = np.round(lut).astype(np.uint8)
    lut.setflags(write=False)
    return lut


def diverging_indices(values: np.ndarray, limit: float) -> np.ndarray:
    """LUT rows of signed `values` for :func:`diverging_lut`: -limit -> 0, 0 -> 128, +limit -> 255.

    Args:
        values: float array of any shape (NaN maps to 0 difference).
        limit: the magnitude drawn at full colour (> 0); larger values are clipped.

    Returns:
        uint8 array of the same shape.
    """
    scale = 127.5 / float(limit) if limit > 0 else 0.0
    scaled = np.nan_to_num(np.asarray(values, dtype=np.float32) * scale, nan=0.0) + 128.0
    return np.clip(np.floor(scaled), 0, 255).astype(np.uint8)
