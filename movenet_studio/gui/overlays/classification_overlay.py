"""The top class of each pose and the repetition count drawn over the video.

Same texts, places and colours as the export renderer's ``classification`` layer
(:mod:`movenet_studio.core.drawing.classification_render`): ``<class> <p>`` centred above each pose,
``<class> reps: <n>`` in the frame's top-right corner (orange while in the counted class).
A fixed pool of pyqtgraph TextItems (MultiPose has at most 6 people) is created once and
updated in place.
"""

from __future__ import annotations

import pyqtgraph as pg

from ...core.drawing.classification_render import (
    COUNTER_BACKGROUND, LABEL_BACKGROUND, LABEL_TEXT, caption_anchor, counter_caption, pose_caption,
)
from ...core.drawing.overlay_options import DEFAULT_KEYPOINT_THRESHOLD

#: Most poses labelled (MoveNet MultiPose returns at most 6 people).
MAX_LABELS = 6
#: Label background opacity (the renderer blends 65 % colour over the frame).
ALPHA = 166


class ClassificationOverlay:
    """Pose captions and the counter caption over a ViewBox (frame-pixel coordinates)."""

    def __init__(self, view: pg.ViewBox, threshold: float = DEFAULT_KEYPOINT_THRESHOLD):
        self.threshold = threshold
        self.visible = True
        self.labels: list[pg.TextItem] = []
        for _ in range(MAX_LABELS):
            item = pg.TextItem("", color=LABEL_TEXT, fill=pg.mkBrush(*LABEL_BACKGROUND, ALPHA), anchor=(0.5, 1))
            item.setZValue(13)
            item.setVisible(False)
            view.addItem(item)
            self.labels.append(item)
        self.counter = pg.TextItem("", color=LABEL_TEXT, fill=pg.mkBrush(*LABEL_BACKGROUND, ALPHA), anchor=(1, 0))
        self.counter.setZValue(13)
        self.counter.setVisible(False)
        view.addItem(self.counter)
        self._inside: bool | None = None
        self._last = None

    def set_result(self, result) -> None:
        """Show the captions of a :class:`~movenet_studio.core.frame_result.FrameResult` (hidden when it
        has no classification)."""
        self._last = result
        frame = getattr(result, "classification", None) if self.visible else None
        answers = frame.poses if frame is not None else ()
        for index, item in enumerate(self.labels):
            anchor = None
            if index < len(answers) and index < len(result.poses):
                anchor = caption_anchor(result.poses[index], self.threshold)
            if anchor is None:
                item.setVisible(False)
                continue
            item.setText(pose_caption(answers[index]))
            item.setPos(anchor[0], anchor[1] - 4)
            item.setVisible(True)
        caption = counter_caption(frame) if frame is not None else None
        if caption is None:
            self.counter.setVisible(False)
            return
        if frame.inside != self._inside:
            self._inside = frame.inside
            self.counter.fill = pg.mkBrush(*(COUNTER_BACKGROUND if frame.inside else LABEL_BACKGROUND), ALPHA)
        self.counter.setText(caption)
        self.counter.setPos(float(result.frame.shape[1]), 0.0)
        self.counter.setVisible(True)

    def set_visible(self, visible: bool) -> None:
        """Show or hide the captions (redraws the last result)."""
        self.visible = bool(visible)
        if self._last is not None:
            self.set_result(self._last)
        else:
            self.clear()

    def set_threshold(self, threshold: float) -> None:
        """Keypoints at or below `threshold` do not place captions (as the skeleton hides them)."""
        self.threshold = float(threshold)
        if self._last is not None:
            self.set_result(self._last)

    def clear(self) -> None:
        """Hide everything."""
        self._last = None
        for item in (*self.labels, self.counter):
            item.setVisible(False)

    def texts(self) -> list[str]:
        """The captions shown now (for tests)."""
        return [item.textItem.toPlainText() for item in (*self.labels, self.counter) if item.isVisible()]
