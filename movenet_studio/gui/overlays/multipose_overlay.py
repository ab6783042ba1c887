"""Per-person boxes and id labels (MultiPose) drawn over the video, in each track's colour.

The look follows the export renderer (:mod:`movenet_studio.core.drawing.render`): a box in
:func:`~movenet_studio.core.drawing.render_style.track_colour` of the pose's track id (white without one)
and, for tracked poses, a ``#<id> <score>`` label (:func:`~movenet_studio.core.drawing.render_style.pose_label`)
on a track-coloured background just above the box's top-left corner. The skeletons
themselves stay with :class:`~.skeleton.SkeletonOverlay`.

:class:`PeopleOverlay` keeps a fixed pool of pyqtgraph items (MoveNet MultiPose returns at
most 6 people) created once and updated in place; unused entries are hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pyqtgraph as pg

from ...core.decoding.pose import Pose
from ...core.drawing.render_style import pose_label, track_colour

#: MoveNet MultiPose outputs at most this many people (output [1, 6, 56]).
MAX_PEOPLE = 6
#: Opacity of the label background (the renderer blends 65 % colour over the frame).
LABEL_ALPHA = 166


@dataclass(frozen=True, slots=True)
class PersonMark:
    """What one pool entry shows (for tests and tools).

    Attributes:
        track_id: the pose's track id, or None.
        colour: (r, g, b) box / label colour.
        box: (x0, y0, x1, y1) in frame pixels, or None when the pose has no box.
        label: the label text, or ``""`` when no label is shown.
    """

    track_id: int | None
    colour: tuple[int, int, int]
    box: tuple[float, float, float, float] | None
    label: str


def label_anchor(pose: Pose, threshold: float) -> tuple[float, float] | None:
    """Where a pose's label sits (its bottom-left corner), in frame pixels: the box's top-left
    corner, or without a box the top-left of the keypoints scoring above `threshold`;
    None when there is nowhere to put it (as the renderer decides)."""
    if pose.box is not None and np.isfinite(pose.box).all():
        return float(pose.box[0]), float(pose.box[1])
    kp = np.asarray(pose.keypoints)
    visible = kp[kp[:, 2] > threshold]
    if not visible.size:
        return None
    return float(visible[:, 0].min()), float(visible[:, 1].min())


class _Slot:
    """One person's items: a box outline and a label."""

    def __init__(self, view: pg.ViewBox):
        self.colour: tuple[int, int, int] | None = None
        self.box = pg.PlotCurveItem(connect="all", antialias=True)
        self.box.setZValue(9)
        self.label = pg.TextItem("", color=(255, 255, 255), anchor=(0, 1))
        self.label.setZValue(12)
        for item in (self.box, self.label):
            item.setVisible(False)
            view.addItem(item)
        self.mark: PersonMark | None = None

    def set_colour(self, colour: tuple[int, int, int]) -> None:
        if colour != self.colour:
            self.colour = colour
            self.box.setPen(pg.mkPen(colour, width=2, cosmetic=True))
            self.label.fill = pg.mkBrush(*colour, LABEL_ALPHA)
            self.label.update()

    def hide(self) -> None:
        self.box.setVisible(False)
        self.label.setVisible(False)
        self.mark = None


class PeopleOverlay:
    """Boxes and ``#id score`` labels of up to :data:`MAX_PEOPLE` people, in track colours.

    Args:
        view: the ViewBox showing the frame (image pixel coordinates, y down).
        threshold: keypoint score threshold (places labels of poses without a box).
        pool: number of people that can be shown at once (extra poses are not drawn).
    """

    def __init__(self, view: pg.ViewBox, threshold: float = 0.3, pool: int = MAX_PEOPLE):
        self._slots = [_Slot(view) for _ in range(pool)]
        self._poses: tuple[Pose, ...] = ()
        self._threshold = float(threshold)
        self._boxes = True
        self._ids = True

    @property
    def pool_size(self) -> int:
        """How many people can be shown at once."""
        return len(self._slots)

    @property
    def boxes_visible(self) -> bool:
        """True while boxes are drawn."""
        return self._boxes

    @property
    def ids_visible(self) -> bool:
        """True while id labels are drawn."""
        return self._ids

    def marks(self) -> list[PersonMark]:
        """What is drawn now, one entry per shown person (pool order)."""
        return [slot.mark for slot in self._slots if slot.mark is not None]

    def set_poses(self, poses: Sequence[Pose]) -> None:
        """Draw the boxes and labels of `poses` (frame pixels); poses beyond the pool are skipped."""
        self._poses = tuple(poses)
        self._redraw()

    def set_threshold(self, threshold: float) -> None:
        """Keypoint threshold used to place labels of poses without a box."""
        self._threshold = float(threshold)
        self._redraw()

    def set_boxes_visible(self, visible: bool) -> None:
        """Show or hide the boxes."""
        self._boxes = bool(visible)
        self._redraw()

    def set_ids_visible(self, visible: bool) -> None:
        """Show or hide the id labels."""
        self._ids = bool(visible)
        self._redraw()

    def clear(self) -> None:
        """Draw nobody."""
        self.set_poses(())

    def _redraw(self) -> None:
        shown = [p for p in self._poses if p.box is not None or p.track_id is not None]
        for i, slot in enumerate(self._slots):
            if i >= len(shown):
                slot.hide()
                continue
            pose = shown[i]
            colour = track_colour(pose.track_id)
            slot.set_colour(colour)
            box = None
            if pose.box is not None and np.isfinite(pose.box).all():
                x0, y0, x1, y1 = (float(v) for v in pose.box)
                box = (x0, y0, x1, y1)
                slot.box.setData([x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0])
            slot.box.setVisible(self._boxes and box is not None)
            anchor = label_anchor(pose, self._threshold) if pose.track_id is not None else None
            text = pose_label(pose) if anchor is not None else ""
            if text and self._ids:
                if slot.mark is None or slot.mark.label != text:
                    slot.label.setText(text)
                slot.label.setPos(*anchor)
                slot.label.setVisible(True)
            else:
                slot.label.setVisible(False)
            slot.mark = PersonMark(pose.track_id, colour, box if self._boxes else None,
                                   text if self._ids else "")
