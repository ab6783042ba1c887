"""Skeleton and keypoint overlay drawn over the video in image (pixel) coordinates.

The geometry (:func:`skeleton_geometry`) is plain numpy so it is testable without a
display; :class:`SkeletonOverlay` owns a fixed set of pyqtgraph items created once and
updated in place with ``setData`` on every result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from ...core.decoding.keypoint_sets import keypoint_set_for
from ...core.decoding.keypoints import EDGE_COLOURS, NUM_KEYPOINTS, SKELETON_EDGES
from ...core.decoding.pose import Pose
from ..overlay_state import DEFAULT_THRESHOLD
from ...core.drawing.render_style import KEYPOINT_COLOUR

#: The distinct edge colours, in first-seen order (magenta left, cyan right, yellow cross).
EDGE_GROUP_COLOURS: tuple[tuple[int, int, int], ...] = tuple(dict.fromkeys(EDGE_COLOURS))
_EDGES = np.asarray(SKELETON_EDGES, dtype=np.intp)
_EDGE_GROUP = np.asarray([EDGE_GROUP_COLOURS.index(c) for c in EDGE_COLOURS], dtype=np.intp)

#: Outline of the region the model saw (crop region or letterboxed frame).
INPUT_COLOUR = (120, 200, 120)


@dataclass(frozen=True, slots=True)
class OverlayGeometry:
    """What to draw for a set of poses at a score threshold.

    Attributes:
        edges: one float [2N, 2] array of segment end points (x, y) per colour of
            :data:`EDGE_GROUP_COLOURS`, consecutive rows pairing up (pyqtgraph ``connect='pairs'``).
        points: float [M, 2] visible keypoints (x, y).
        scores: float [M] their scores.
        boxes: float [8K, 2] box outlines as segment pairs (MultiPose), empty otherwise.
    """

    edges: tuple[np.ndarray, ...]
    points: np.ndarray
    scores: np.ndarray
    boxes: np.ndarray


def _edges_of(count: int) -> tuple[np.ndarray, np.ndarray]:
    """Edges [E, 2] and their colour group [E] for a pose of `count` keypoints (COCO-17 or ST's 13)."""
    if count == NUM_KEYPOINTS:
        return _EDGES, _EDGE_GROUP
    keypoint_set = keypoint_set_for(count)
    return (np.asarray(keypoint_set.edges, dtype=np.intp),
            np.asarray([EDGE_GROUP_COLOURS.index(c) for c in keypoint_set.edge_colours], dtype=np.intp))


def skeleton_geometry(poses: Sequence[Pose], threshold: float) -> OverlayGeometry:
    """Segments and dots for `poses`, hiding keypoints with score <= `threshold` and the edges
    that touch them."""
    groups: list[list[np.ndarray]] = [[] for _ in EDGE_GROUP_COLOURS]
    points, scores, boxes = [], [], []
    for pose in poses:
        kp = np.asarray(pose.keypoints, dtype=np.float64).reshape(-1, 3)
        edges, edge_group = _edges_of(len(kp))
        visible = (kp[:, 2] > threshold) & np.isfinite(kp[:, :2]).all(axis=1)  # as core.render draws
        points.append(kp[visible, :2])
        scores.append(kp[visible, 2])
        ok = visible[edges[:, 0]] & visible[edges[:, 1]]
        for g in range(len(EDGE_GROUP_COLOURS)):
            sel = edges[ok & (edge_group == g)]
            if len(sel):
                groups[g].append(np.stack([kp[sel[:, 0], :2], kp[sel[:, 1], :2]], axis=1).reshape(-1, 2))
        if pose.box is not None and np.isfinite(pose.box).all():
            x0, y0, x1, y1 = (float(v) for v in pose.box)
            boxes.append(np.array([[x0, y0], [x1, y0], [x1, y0], [x1, y1],
                                   [x1, y1], [x0, y1], [x0, y1], [x0, y0]]))

    def cat(parts: list[np.ndarray], width: int = 2) -> np.ndarray:
        return np.concatenate(parts) if parts else np.empty((0, width))

    return OverlayGeometry(tuple(cat(g) for g in groups), cat(points), cat(scores, 1).reshape(-1), cat(boxes))


class SkeletonOverlay:
    """The pyqtgraph items of the pose overlay, added to a ViewBox once and updated in place.

    Args:
        view: the ViewBox showing the image (image pixel coordinates, y down).
        threshold: initial keypoint score threshold.
    """

    def __init__(self, view: pg.ViewBox, threshold: float = DEFAULT_THRESHOLD):
        self._threshold = float(threshold)
        self._poses: tuple[Pose, ...] = ()
        self.edge_items: list[pg.PlotCurveItem] = []
        for colour in EDGE_GROUP_COLOURS:
            item = pg.PlotCurveItem(connect="pairs", antialias=True,
                                    pen=pg.mkPen(colour, width=3, cosmetic=True))
            item.setZValue(10)
            view.addItem(item)
            self.edge_items.append(item)
        # MultiPose boxes and id labels, in track colours: multipose_overlay.PeopleOverlay.
        self.points_item = pg.ScatterPlotItem(size=9, symbol="o", pen=pg.mkPen("w", width=1.5),
                                              brush=pg.mkBrush(*KEYPOINT_COLOUR), pxMode=True, antialias=True)
        self.points_item.setZValue(11)
        view.addItem(self.points_item)
        self.input_item = pg.PlotCurveItem(connect="all", antialias=False,
                                           pen=pg.mkPen(INPUT_COLOUR, width=1.5, style=Qt.PenStyle.DashLine,
                                                        cosmetic=True))
        self.input_item.setZValue(8)
        view.addItem(self.input_item)
        self._input_rect: tuple[float, float, float, float] | None = None
        self._show_input = True
        self._visible_points = 0
        self._visible_edges = 0
        self._edge_colour: tuple[int, int, int] | None = None

    @property
    def edge_colour(self) -> tuple[int, int, int] | None:
        """The one colour all edges are drawn in, or None for the left/right/cross colours."""
        return self._edge_colour

    def set_edge_colour(self, colour: tuple[int, int, int] | None) -> None:
        """Draw every edge in `colour` (compare mode: A in one colour, B in another), or in
        the usual left/right/cross colours with None."""
        if colour == self._edge_colour:
            return
        self._edge_colour = colour
        for item, group in zip(self.edge_items, EDGE_GROUP_COLOURS):
            item.setPen(pg.mkPen(colour or group, width=3, cosmetic=True))

    @property
    def threshold(self) -> float:
        """The keypoint score threshold in use."""
        return self._threshold

    @property
    def visible_edges(self) -> int:
        """Number of skeleton segments currently drawn."""
        return self._visible_edges

    @property
    def visible_keypoints(self) -> int:
        """Number of keypoint dots currently drawn."""
        return self._visible_points

    def set_poses(self, poses: Sequence[Pose]) -> None:
        """Draw `poses` (keypoints in frame pixels)."""
        self._poses = tuple(poses)
        self._redraw()

    def set_input_rect(self, rect: tuple[float, float, float, float] | None) -> None:
        """Outline the model input's extent (x, y, width, height in frame pixels), or nothing."""
        self._input_rect = rect
        self._draw_input()

    def set_input_visible(self, visible: bool) -> None:
        """Show or hide the model-input outline."""
        self._show_input = bool(visible)
        self._draw_input()

    @property
    def input_visible(self) -> bool:
        """True while the model-input outline is drawn."""
        return self._show_input and self._input_rect is not None

    def _draw_input(self) -> None:
        if self._show_input and self._input_rect is not None:
            x, y, w, h = self._input_rect
            self.input_item.setData([x, x + w, x + w, x, x], [y, y, y + h, y + h, y])
        else:
            self.input_item.setData([], [])

    def set_threshold(self, threshold: float) -> None:
        """Hide keypoints scoring below `threshold` (0..1) and edges touching them."""
        self._threshold = float(threshold)
        self._redraw()

    def clear(self) -> None:
        """Draw nothing."""
        self.set_poses(())
        self.set_input_rect(None)

    def _redraw(self) -> None:
        geometry = skeleton_geometry(self._poses, self._threshold)
        for item, segments in zip(self.edge_items, geometry.edges):
            item.setData(segments[:, 0], segments[:, 1])
        self.points_item.setData(pos=geometry.points)
        self._visible_points = len(geometry.points)
        self._visible_edges = sum(len(segments) // 2 for segments in geometry.edges)
