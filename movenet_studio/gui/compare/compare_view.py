"""Compare mode: configuration B beside the running configuration A, on the same frames.

The worker runs :class:`~movenet_studio.core.analysis.compare.ComparePipeline` (see
:meth:`Engine.request_compare <movenet_studio.gui.engine.Engine.request_compare>`): A drives
the preprocessing and B runs on A's model input (or the same region resized), so every
result carries both (:attr:`EngineResult.compare <movenet_studio.core.worker.EngineResult.compare>`).

Pieces (all GUI thread), split like the overlay code:

* views (this module): :class:`CompareOverlay`, B's skeleton in one colour (:data:`B_COLOUR`,
  dashed) over A's, which is then drawn in :data:`A_COLOUR`, in the main view ("overlay"
  mode); :class:`SideView`, B in a second view beside the first, zoom and pan linked
  ("side by side").
* :mod:`.compare_table`: per keypoint the A-B distance in frame pixels on the newest frame,
  its running mean and max, and both models' scores (newest and running mean), accumulated
  in O(1) time and fixed memory per result by core's
  :class:`~movenet_studio.core.analysis.compare_stats.CompareStats` (the CLI's too), never by
  re-reading the history. The distances are the models' own keypoints before smoothing (see
  :mod:`movenet_studio.core.analysis.compare`).
* :mod:`.compare_controls`: the dock's content: the compare switch, configuration B (model
  with its precision, backend, threads), the view mode, and the table.
* :mod:`.compare_controller`: builds configuration B from the controls and
  :attr:`Engine.config` by core's policy (:func:`movenet_studio.core.analysis.compare.config_b_from`,
  the CLI's too), asks the engine, and routes results to the pieces above.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...core.decoding.pose import Pose
from ..image_view import image_view
from ..overlays.multipose_overlay import PeopleOverlay
from ..overlays.skeleton import SkeletonOverlay, skeleton_geometry
from ..overlay_state import DEFAULT_THRESHOLD

#: In overlay mode A's skeleton is drawn in A_COLOUR and B's in B_COLOUR (dashed), RGB.
A_COLOUR = (0, 190, 255)
B_COLOUR = (255, 140, 0)
#: The two view modes.
OVERLAY, SIDE_BY_SIDE = "overlay", "side"


class CompareOverlay:
    """B's poses drawn in one colour (dashed skeleton, diamond keypoints) over a view.

    Args:
        view: the ViewBox showing the frame.
        colour: RGB of B's skeleton and keypoints.
    """

    def __init__(self, view: pg.ViewBox, colour: tuple[int, int, int] = B_COLOUR):
        self.colour = colour
        self.edges_item = pg.PlotCurveItem(connect="pairs", antialias=True,
                                           pen=pg.mkPen(colour, width=2.5, style=Qt.PenStyle.DashLine,
                                                        cosmetic=True))
        self.edges_item.setZValue(13)
        self.points_item = pg.ScatterPlotItem(size=9, symbol="d", pen=pg.mkPen((20, 20, 20), width=1),
                                              brush=pg.mkBrush(*colour), pxMode=True, antialias=True)
        self.points_item.setZValue(14)
        view.addItem(self.edges_item)
        view.addItem(self.points_item)
        self._poses: tuple[Pose, ...] = ()
        self._threshold = DEFAULT_THRESHOLD
        self.visible_keypoints = 0
        self.visible_edges = 0

    def set_poses(self, poses: Sequence[Pose], threshold: float | None = None) -> None:
        """Draw `poses` (frame pixels) hiding keypoints below `threshold` (default: the last one)."""
        self._poses = tuple(poses)
        if threshold is not None:
            self._threshold = float(threshold)
        geometry = skeleton_geometry(self._poses, self._threshold)
        segments = np.concatenate(geometry.edges) if geometry.edges else np.empty((0, 2))
        self.edges_item.setData(segments[:, 0], segments[:, 1])
        self.points_item.setData(pos=geometry.points)
        self.visible_keypoints = len(geometry.points)
        self.visible_edges = len(segments) // 2

    def set_threshold(self, threshold: float) -> None:
        """Redraw with another keypoint threshold."""
        self.set_poses(self._poses, threshold)

    def clear(self) -> None:
        """Draw nothing."""
        self.set_poses(())


class SideView(QWidget):
    """B in its own view (same frame, B's skeleton and people), zoom/pan linked to A's view.

    Args:
        threshold: initial keypoint threshold.
    """

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, parent: QWidget | None = None):
        super().__init__(parent)
        self.graphics, self.view_box, self.image_item = image_view()
        self.overlay = SkeletonOverlay(self.view_box, threshold)
        self.people = PeopleOverlay(self.view_box, threshold)
        # The title floats over the view (not in the layout), so both views have the same size
        # and the linked ranges line up.
        self.title = QLabel("B", self.graphics)
        self.title.setStyleSheet("color: #%02x%02x%02x; font-weight: bold; background: rgba(16, 18, 20, 170); "
                                 "padding: 2px 4px;" % B_COLOUR)
        self.title.move(4, 4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics, 1)
        self.frames_shown = 0

    def link_to(self, view_box: pg.ViewBox) -> None:
        """Share zoom and pan with `view_box` (A's view)."""
        self.view_box.setXLink(view_box)
        self.view_box.setYLink(view_box)

    def show_result(self, result, title: str = "B") -> None:
        """Draw B's :class:`~movenet_studio.core.frame_result.FrameResult` (frame, poses, input region)."""
        frame = result.frame
        self.image_item.show(frame)
        self.overlay.set_poses(result.poses)
        self.overlay.set_input_rect(result.mapping.frame_rect())
        self.people.set_poses(result.poses)
        if self.title.text() != title:
            self.title.setText(title)
            self.title.adjustSize()
        self.frames_shown += 1

    def set_threshold(self, threshold: float) -> None:
        """Hide keypoints below `threshold` (redraws only when it changes)."""
        if threshold != self.overlay.threshold:
            self.overlay.set_threshold(threshold)
            self.people.set_threshold(threshold)

    def clear(self) -> None:
        """Draw no poses."""
        self.overlay.clear()
        self.people.clear()
