"""The "model input" view: the exact RGB image the model was fed on the newest frame.

Shows :attr:`FrameResult.model_input <movenet_studio.core.frame_result.FrameResult.model_input>`
pixel for pixel (uint8 RGB at the model's input size: the crop square resized, or the
letterboxed frame), in one pyqtgraph ImageItem updated in place, with a caption saying what
it is. Refreshed at most every :data:`~.throttle.REFRESH_INTERVAL_MS` (and never while hidden).
"""

from __future__ import annotations


import numpy as np
from PySide6.QtCore import Slot
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from ..image_view import image_view
from ..throttle import RefreshThrottle
from ..engine import EngineResult
from ..slot_timing import timed

#: The view refreshes at most this often.


def describe_input(result, profile=None) -> str:
    """Caption of a FrameResult's model input, e.g. ``192×192 uint8 RGB · crop (y 0.30–0.80, x 0.25–0.75)``.

    Args:
        result: the FrameResult.
        profile: the :class:`~movenet_studio.core.preprocessing.profile.PreprocessProfile` it
            was made with (None: MoveNet's own), for the channel order, resize mode and
            interpolation.
    """
    image = np.asarray(result.model_input)
    h, w = image.shape[:2]
    channels = profile.channels.upper() if profile is not None else "RGB"
    text = f"{w}×{h} {image.dtype} {channels}"
    interpolation = (f", {profile.interpolation} interpolation"
                     if profile is not None and profile.interpolation != "auto" else "")
    region = getattr(result, "crop_region", None)
    if region is not None:
        ymin, xmin, ymax, xmax = region.as_tuple() if hasattr(region, "as_tuple") else region
        return f"{text} · crop y {ymin:.2f}–{ymax:.2f}, x {xmin:.2f}–{xmax:.2f} of the frame"
    resize = {"stretch": "stretched", "centre-crop": "centre-cropped"}.get(getattr(profile, "resize", ""), "letterboxed")
    return f"{text} · whole frame, {resize}{interpolation}"


class ModelInputView(QWidget):
    """Shows the model input of the newest result (exact pixels, aspect kept, y down).

    Args:
        parent: Qt parent.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._newest: EngineResult | None = None
        self._shown = None
        self.refreshes = 0
        self._throttle = RefreshThrottle(self.refresh, self, while_visible=True)
        self.caption = QLabel("No frame yet.")
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet("color: gray;")
        self.graphics, self.view, self.image_item = image_view(mouse=False)
        self.graphics.setMinimumSize(80, 80)
        self.graphics.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.graphics.setToolTip("The exact RGB tensor the model ran on for this frame")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.caption)

    @property
    def image(self) -> np.ndarray | None:
        """The image on screen (the model input of the last refresh), or None."""
        return self.image_item.image

    @Slot(object)
    @timed("model_input.add_result")
    def add_result(self, result: EngineResult) -> None:
        """Take the newest result (drawn at most every :data:`~.throttle.REFRESH_INTERVAL_MS`)."""
        self._newest = result
        self._throttle.request()

    @Slot()
    @timed("model_input.refresh")
    def refresh(self) -> None:
        """Show the newest result's model input now."""
        self._throttle.refreshed()
        newest = self._newest
        if newest is None or newest.result is self._shown:
            return
        result = newest.result
        self._shown = result
        image = result.model_input
        if self.image_item.show(image):
            h, w = image.shape[:2]
            self.view.setRange(xRange=(0, w), yRange=(0, h), padding=0)
        config = getattr(getattr(newest, "model", None), "config", None)
        self.caption.setText(describe_input(result, getattr(config, "preprocess", None)))
        self.refreshes += 1

    @Slot()
    def clear(self) -> None:
        """Forget the newest result (the image stays until the next one)."""
        self._newest = None
