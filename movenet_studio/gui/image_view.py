"""A pyqtgraph view of one image in image coordinates, as every image panel of the window uses it."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

#: Background behind images (dark, like the theme).
BACKGROUND = "#101214"


class FrameImageItem(pg.ImageItem):
    """A row-major ``ImageItem`` stretched over a rectangle of image pixels.

    :meth:`show` updates the pixels in place (levels fixed, never auto-scaled) and moves
    the item only when the rectangle changes, so overlays drawn in frame pixels stay put
    even when a downscaled copy of a huge frame is shown.
    """

    def __init__(self) -> None:
        super().__init__(axisOrder="row-major")
        self.frame_shape: tuple[int, ...] | None = None

    def show(self, image: np.ndarray, frame_shape: tuple[int, ...] | None = None) -> bool:
        """Draw `image` (uint8 [h, w, 3]) over a rectangle of `frame_shape` (default: its own).

        Returns:
            True when the rectangle changed (first image or a new size): callers then
            reset their view range.
        """
        self.setImage(image, autoLevels=False)
        shape = tuple(frame_shape or image.shape)
        if shape == self.frame_shape:
            return False
        self.frame_shape = shape
        height, width = shape[:2]
        self.setRect(0, 0, width, height)
        return True


def image_view(*, mouse: bool = True, background: str = BACKGROUND
               ) -> tuple[pg.GraphicsLayoutWidget, pg.ViewBox, FrameImageItem]:
    """A graphics widget with one view box (aspect locked, y down, no padding, no menu) holding
    a :class:`FrameImageItem`. Drops pass through to the window.

    Args:
        mouse: allow pan and zoom with the mouse.
        background: widget background colour.
    """
    graphics = pg.GraphicsLayoutWidget()
    graphics.setBackground(background)
    graphics.setAcceptDrops(False)
    graphics.ci.setContentsMargins(0, 0, 0, 0)
    view_box = graphics.addViewBox(lockAspect=True, invertY=True, enableMenu=False, enableMouse=mouse)
    view_box.setDefaultPadding(0.0)
    item = FrameImageItem()
    view_box.addItem(item)
    return graphics, view_box, item
