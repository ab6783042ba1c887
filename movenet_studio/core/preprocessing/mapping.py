"""The mapping of model-input coordinates back to frame pixels, in one leaf module.

Every way of making the model input (letterbox, a crop region, MultiPose's padded resize)
shows the model a box of the frame. :class:`InputMapping` records that box so keypoints,
heatmap cells and overlays map back to frame pixels the same way; :class:`CropRegion` is the
crop tracker's box (normalised to the frame) and the functions below map through it as TF.js's
detector.ts does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class InputMapping:
    """The box of the frame that the model input shows.

    Attributes:
        box: (ymin, xmin, ymax, xmax) normalised to the frame (0..1 spans the frame; a
            letterbox or a crop near an edge extends beyond it).
        frame_size: (height, width) of the frame in pixels.
        input_size: (height, width) of the model input in pixels.
    """

    box: tuple[float, float, float, float]
    frame_size: tuple[int, int]
    input_size: tuple[int, int]

    def to_frame(self, yx: np.ndarray) -> np.ndarray:
        """Map (y, x) normalised to the model input (0..1) to (x, y) in frame pixels.

        Args:
            yx: float [..., 2] with (y, x) pairs normalised to the model input.

        Returns:
            float32 [..., 2] with (x, y) pairs in frame pixels.
        """
        ymin, xmin, ymax, xmax = self.box
        h, w = self.frame_size
        yx = np.asarray(yx, dtype=np.float64)
        x = (xmin + yx[..., 1] * (xmax - xmin)) * w
        y = (ymin + yx[..., 0] * (ymax - ymin)) * h
        return np.stack([x, y], axis=-1).astype(np.float32)

    def from_frame(self, xy: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`to_frame`: (x, y) frame pixels -> (y, x) normalised to the model input."""
        ymin, xmin, ymax, xmax = self.box
        h, w = self.frame_size
        xy = np.asarray(xy, dtype=np.float64)
        yn = (xy[..., 1] / h - ymin) / (ymax - ymin)
        xn = (xy[..., 0] / w - xmin) / (xmax - xmin)
        return np.stack([yn, xn], axis=-1)

    def frame_rect(self) -> tuple[float, float, float, float]:
        """The model input's extent in frame pixels as (x, y, width, height)."""
        ymin, xmin, ymax, xmax = self.box
        h, w = self.frame_size
        return xmin * w, ymin * h, (xmax - xmin) * w, (ymax - ymin) * h


@dataclass(frozen=True, slots=True)
class CropRegion:
    """A crop box normalised to the frame: y by frame height, x by frame width.

    Attributes:
        ymin, xmin, ymax, xmax: floats; may extend beyond 0..1 (the crop is padded black).
    """

    ymin: float
    xmin: float
    ymax: float
    xmax: float

    @property
    def height(self) -> float:
        """``ymax - ymin`` (normalised to the frame height)."""
        return self.ymax - self.ymin

    @property
    def width(self) -> float:
        """``xmax - xmin`` (normalised to the frame width)."""
        return self.xmax - self.xmin

    def as_tuple(self) -> tuple[float, float, float, float]:
        """(ymin, xmin, ymax, xmax), the order of ``tf.image.cropAndResize`` boxes."""
        return (self.ymin, self.xmin, self.ymax, self.xmax)

    def to_pixels(self, frame_h: int, frame_w: int) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) in frame pixels, for drawing."""
        return (self.xmin * frame_w, self.ymin * frame_h, self.xmax * frame_w, self.ymax * frame_h)


def region_to_frame_normalized(yx_norm: np.ndarray, region: CropRegion) -> np.ndarray:
    """Map (y, x) normalised to the crop to (y, x) normalised to the frame (detector.ts).

    ``y = ymin + y_n * height``, ``x = xmin + x_n * width``.

    Args:
        yx_norm: float [..., 2] (y, x) in 0..1 of the model input.
        region: the region the crop was taken with.

    Returns:
        float64 [..., 2] (y, x) normalised to the frame.
    """
    yx = np.asarray(yx_norm, dtype=np.float64)
    out = np.empty_like(yx)
    out[..., 0] = region.ymin + yx[..., 0] * region.height
    out[..., 1] = region.xmin + yx[..., 1] * region.width
    return out


def region_to_frame(yx_norm: np.ndarray, region: CropRegion, frame_h: int, frame_w: int) -> np.ndarray:
    """Map (y, x) normalised to the crop to **(x, y)** frame pixels, as TF.js reports them.

    Args:
        yx_norm: float [..., 2] (y, x) in 0..1 of the model input.
        region: the region the crop was taken with.
        frame_h, frame_w: frame size in pixels.

    Returns:
        float64 [..., 2] (x, y) in frame pixels (note the swapped order).
    """
    f = region_to_frame_normalized(yx_norm, region)
    return np.stack([f[..., 1] * frame_w, f[..., 0] * frame_h], axis=-1)


def frame_to_region(xy_px: np.ndarray, region: CropRegion, frame_h: int, frame_w: int) -> np.ndarray:
    """Inverse of :func:`region_to_frame`: (x, y) frame pixels -> (y, x) normalised to the crop.

    Args:
        xy_px: float [..., 2] (x, y) in frame pixels.
        region: the crop region (must have non-zero height and width).
        frame_h, frame_w: frame size in pixels.

    Returns:
        float64 [..., 2] (y, x) normalised to the crop.
    """
    xy = np.asarray(xy_px, dtype=np.float64)
    return np.stack([(xy[..., 1] / frame_h - region.ymin) / region.height,
                     (xy[..., 0] / frame_w - region.xmin) / region.width], axis=-1)
