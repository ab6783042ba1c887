"""A grid of one tensor's channels as small images (the Layers dock's A, B and |A - B| views).

Like the Heads dock's mosaic (:mod:`.heads_panel`): one pyqtgraph image holds every tile,
rebuilt in numpy and pushed with one ``setImage``. A tensor of any rank is shown as channel
maps (:func:`channel_maps`): ``[1, H, W, C]`` (TFLite) or ``[1, C, H, W]`` (ONNX) as C maps
of H x W, ``[H, W, C]`` as C maps, ``[N, M]`` as one map, ``[N]`` as one row. At most
:data:`MAX_TILES` channels are drawn (the first ones; the caption says so).
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from ...core.drawing.colormaps import colormap_lut, lut_indices
from ..image_view import image_view

#: Channels drawn at most per grid.
MAX_TILES = 64
_BACKGROUND = np.array([22, 24, 27], dtype=np.uint8)


def channel_maps(values: np.ndarray, channels_first: bool = False) -> np.ndarray:
    """float32 [C, H, W] channel maps of a tensor (see the module docstring).

    Args:
        values: the tensor (any rank >= 0).
        channels_first: a 4-D tensor is ``[1, C, H, W]`` (ONNX) rather than ``[1, H, W, C]``.
    """
    array = np.asarray(values, dtype=np.float32)
    if array.ndim == 4:
        array = array[0] if channels_first else np.moveaxis(array[0], -1, 0)
    elif array.ndim == 3:
        array = np.moveaxis(array, -1, 0)
    elif array.ndim == 2:
        array = array[None]
    else:
        array = array.reshape(1, 1, -1)
    return array


def best_columns(count: int, tile: tuple[int, int], area: tuple[int, int], gap: int = 1) -> int:
    """Tiles per row that let `count` tiles of `tile` = (h, w) cells fill `area` = (width, height)
    pixels with the largest tiles (the Heads dock arranges its 18 maps the same way)."""
    height, width = tile
    area_w, area_h = max(1, area[0]), max(1, area[1])

    def scale(columns: int) -> float:
        rows = math.ceil(count / columns)
        return min(area_w / (columns * (width + gap) + gap), area_h / (rows * (height + gap) + gap))

    return max(range(1, max(1, count) + 1), key=scale)


def mosaic(maps: np.ndarray, lut: np.ndarray, levels: tuple[float, float], columns: int | None = None,
           gap: int = 1) -> np.ndarray:
    """Colour [C, H, W] maps through `lut` (values `levels` -> rows 0..255) and tile them.

    Args:
        maps: float [C, H, W].
        lut: uint8 [256, 3].
        levels: (low, high) values mapped to the first and last LUT row.
        columns: tiles per row (default: about square).
        gap: background pixels between tiles.

    Returns:
        uint8 [rows * (H + gap) + gap, columns * (W + gap) + gap, 3] RGB.
    """
    count, height, width = maps.shape
    columns = columns or max(1, math.ceil(math.sqrt(count * height / max(width, 1))))
    rows = math.ceil(count / columns)
    low, high = levels
    span = (high - low) or 1.0
    colours = lut[lut_indices((maps - low) / span)]
    out = np.empty((rows * (height + gap) + gap, columns * (width + gap) + gap, 3), dtype=np.uint8)
    out[...] = _BACKGROUND
    for index in range(count):
        row, col = divmod(index, columns)
        y, x = gap + row * (height + gap), gap + col * (width + gap)
        out[y:y + height, x:x + width] = colours[index]
    return out


class ChannelGrid(QWidget):
    """A caption over a mosaic of channel maps.

    Args:
        title: what the grid shows (``A``, ``B``, ``|A - B|``).
        colormap: colour map name (:func:`~..core.colormaps.colormap_names`).
    """

    def __init__(self, title: str, colormap: str = "inferno", parent: QWidget | None = None):
        super().__init__(parent)
        self.title = title
        self._lut = colormap_lut(colormap)
        self.caption = QLabel(title)
        self.caption.setStyleSheet("color: #b8c4d0;")
        self.graphics, self.view, self.image_item = image_view(mouse=True, background="#16181b")
        self.graphics.setMinimumSize(120, 100)
        self.graphics.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.caption)
        layout.addWidget(self.graphics, 1)
        self.shown_shape: tuple[int, ...] | None = None
        self._last: tuple | None = None

    def show_maps(self, maps: np.ndarray, levels: tuple[float, float], note: str = "") -> None:
        """Draw [C, H, W] maps with fixed `levels` (the first :data:`MAX_TILES` channels),
        arranged to fill the view (:func:`best_columns`)."""
        count = maps.shape[0]
        shown = maps[:MAX_TILES]
        self._last = (maps, levels, note)
        columns = best_columns(shown.shape[0], shown.shape[1:], (self.graphics.width(), self.graphics.height()))
        image = mosaic(shown, self._lut, levels, columns)
        if self.image_item.show(image):
            self.view.autoRange(padding=0)
        self.shown_shape = tuple(maps.shape)
        more = f", first {MAX_TILES} of {count} channels" if count > MAX_TILES else f", {count} channels"
        self.caption.setText(f"{self.title}: {levels[0]:.3g} .. {levels[1]:.3g}{more}{note}")

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        """Re-arrange the tiles for the new shape."""
        super().resizeEvent(event)
        if self._last is not None:
            self.show_maps(*self._last)

    def clear(self, message: str = "") -> None:
        """Show nothing but the title (and `message`)."""
        self.image_item.clear()
        self.image_item.frame_shape = None
        self.shown_shape = None
        self._last = None
        self.caption.setText(f"{self.title}{': ' + message if message else ''}")
