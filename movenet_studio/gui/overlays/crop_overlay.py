"""The crop-tracking overlay: the square the model saw this frame, and what the tracker measured.

Drawn from :func:`~movenet_studio.core.drawing.overlay_geometry.crop_geometry` of each
:class:`~movenet_studio.core.frame_result.FrameResult`, in the colours, dash patterns and places
of the export renderer's ``crop`` layer (:mod:`movenet_studio.core.drawing.render`):

* the crop square (``FrameResult.crop_region``), solid orange;
* a cross at the measured centre (hip midpoint, ``FrameResult.crop_measurement.centre_yx``);
* the torso range (dashed) and body range (dotted) as rectangles centre ± range;
* a small legend, and a red "tracker reset" badge on frames where the pose scored too low
  (``FrameResult.tracker_reset``: the next frame starts again from the centred square).

The items are created once and updated in place.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from ...core.drawing.overlay_geometry import crop_geometry, dash_pattern, dashed_rect, rect_segments
from ...core.drawing.render_style import BODY_RANGE_COLOUR, CROP_COLOUR, TORSO_RANGE_COLOUR, keypoint_radius, line_width

#: Z order (above the heatmaps, below the decode layers and the skeleton).
Z_CROP = 3

_EMPTY = np.empty((0, 2))

LEGEND = (
    ("crop square (this frame)", CROP_COLOUR, Qt.PenStyle.SolidLine),
    ("torso range (measured)", TORSO_RANGE_COLOUR, Qt.PenStyle.DashLine),
    ("body range (measured)", BODY_RANGE_COLOUR, Qt.PenStyle.DotLine),
    ("centre (hip midpoint)", CROP_COLOUR, None),  # drawn as a cross: a "+" marker
)
LEGEND_TIP = ("Crop tracking (TF.js): the model sees the square; on this frame's keypoints the tracker "
              "measured the centre (hip midpoint), the torso range and the body range; the next square's "
              "half side is max(1.9 x torso, 1.2 x body), low-pass filtered")


class CropOverlay:
    """The pyqtgraph items of the crop layer, added to the video's ViewBox once.

    Args:
        view: the ViewBox showing the frame (frame pixels, y down).
    """

    def __init__(self, view: pg.ViewBox):
        def curve(colour, width, connect="pairs"):
            item = pg.PlotCurveItem(connect=connect, antialias=True, pen=pg.mkPen(colour, width=width, cosmetic=True))
            item.setZValue(Z_CROP)
            item.setVisible(False)
            view.addItem(item)
            return item

        self.square_item = curve(CROP_COLOUR, 2.5)
        self.torso_item = curve(TORSO_RANGE_COLOUR, 1.5)
        self.body_item = curve(BODY_RANGE_COLOUR, 1.5)
        self.centre_item = curve(CROP_COLOUR, 2.5)
        self.badge = pg.TextItem("tracker reset", color=(255, 255, 255), fill=pg.mkBrush(200, 40, 40, 220),
                                 anchor=(1, 0))
        self.badge.setZValue(20)
        self.badge.setToolTip("The pose scored below 0.25: the crop tracker and the smoother reset, no pose is "
                              "reported, and the next frame starts from the centred square")
        self.badge.setVisible(False)
        view.addItem(self.badge, ignoreBounds=True)
        self.legend = pg.LegendItem(offset=(8, 8), brush=pg.mkBrush(0, 0, 0, 150), labelTextColor=(230, 230, 230),
                                    labelTextSize="8pt", verSpacing=-6)
        self.legend.setParentItem(view)
        self._legend_samples = []
        for label, colour, style in LEGEND:
            sample = (pg.ScatterPlotItem(symbol="+", size=12, pen=pg.mkPen(colour, width=2.5), brush=pg.mkBrush(colour))
                      if style is None else pg.PlotDataItem(pen=pg.mkPen(colour, width=2, style=style)))
            self._legend_samples.append(sample)
            self.legend.addItem(sample, label)
        self.legend.setToolTip(LEGEND_TIP)
        self.legend.setVisible(False)
        self._parts = {"square": self.square_item, "torso": self.torso_item, "body": self.body_item,
                       "centre": self.centre_item}
        self._visible = False
        self._result = None

    def set_visible(self, visible: bool) -> None:
        """Show or hide the whole crop layer (the overlay option ``crop``)."""
        self._visible = bool(visible)
        self._redraw()

    @property
    def visible(self) -> bool:
        """True while the crop layer is switched on."""
        return self._visible

    def set_result(self, result) -> None:
        """Draw the crop of `result` (a FrameResult, or None for nothing)."""
        self._result = result
        self._redraw()

    def clear(self) -> None:
        """Draw nothing until the next result."""
        self.set_result(None)

    def visible_parts(self) -> tuple[str, ...]:
        """Parts drawn now: ``square``, ``torso``, ``body``, ``centre``, and ``reset`` (badge)."""
        parts = tuple(name for name, item in self._parts.items() if item.isVisible())
        return parts + (("reset",) if self.badge.isVisible() else ())

    def _redraw(self) -> None:
        result = self._result
        geometry = crop_geometry(result) if (self._visible and result is not None) else None
        self.legend.setVisible(geometry is not None and geometry.square is not None)
        if geometry is None or geometry.square is None:
            for item in self._parts.values():
                item.setVisible(False)
            self.badge.setVisible(bool(geometry is not None and geometry.reset))
            return
        shape = result.frame.shape
        thin = max(1, line_width(shape) // 2)
        self._set(self.square_item, rect_segments(np.array([geometry.square])))
        self._set(self.torso_item, dashed_rect(geometry.torso, *dash_pattern(thin, "dash"))
                  if geometry.torso is not None else None)
        self._set(self.body_item, dashed_rect(geometry.body, *dash_pattern(thin, "dot"))
                  if geometry.body is not None else None)
        if geometry.centre is not None:
            cx, cy = geometry.centre
            arm = 2 * keypoint_radius(shape)
            self._set(self.centre_item, np.array([[cx - arm, cy], [cx + arm, cy], [cx, cy - arm], [cx, cy + arm]]))
        else:
            self._set(self.centre_item, None)
        self.badge.setPos(float(shape[1]), 0.0)
        self.badge.setVisible(geometry.reset)

    @staticmethod
    def _set(item: pg.PlotCurveItem, segments: np.ndarray | None) -> None:
        if segments is None or not len(segments):
            item.setVisible(False)
            return
        item.setData(segments[:, 0], segments[:, 1])
        item.setVisible(True)
