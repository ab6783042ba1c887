"""The heads panel: the person-centre map and the 17 keypoint heatmaps of the newest frame.

One pyqtgraph ImageItem shows a mosaic of 18 tiles (centre first, then the keypoints in COCO
order, :data:`COLUMNS` per row), each tile one heatmap coloured through the same colour map
(levels 0..1) as the video overlay, with the keypoint's name above it. Clicking a keypoint tile
selects that keypoint in the main overlay (:attr:`HeadsPanel.keypoint_clicked`); clicking the
centre tile selects "all keypoints". While the mouse hovers the video, every tile marks the
hovered cell and its label shows the value there; :attr:`HeadsPanel.readout_label` shows the
hover readout line (cell, centre, strongest heatmaps, regression and offset of the keypoint).

The mosaic is rebuilt in numpy from the newest result at most every
:data:`~.throttle.REFRESH_INTERVAL_MS` and pushed with one ``setImage``; items are never recreated.
"""

from __future__ import annotations


import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal, Slot
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from ..image_view import image_view
from ..throttle import RefreshThrottle
from ...core.drawing.colormaps import DEFAULT_CENTRE_COLORMAP, DEFAULT_COLORMAP, colormap_lut, lut_indices
from ...core.decoding.keypoint_sets import COCO17, KEYPOINT_SETS, KeypointSet, coco_maps, coco_slot_names
from ...core.decoding.keypoints import NUM_KEYPOINTS
from ..engine import EngineResult
from ..slot_timing import timed
from .readable import keypoint_label

#: Tiles per row by default; :meth:`HeadsPanel.resizeEvent` picks 3..9 for the panel's shape.
COLUMNS = 6
#: Column counts the panel chooses from (the one giving the largest tiles wins).
COLUMN_CHOICES = range(3, 10)
def tile_titles(keypoint_set: KeypointSet = COCO17, short: bool = False) -> tuple[str, ...]:
    """Tile titles: the centre map, then the 17 COCO slots, each titled with the keypoint
    `keypoint_set` puts there (ST's 13: ``head`` in the nose slot), else the COCO name
    (the slots the set lacks show zeros)."""
    return ("ctr" if short else "centre",) + tuple(keypoint_label(n, short) for n in coco_slot_names(keypoint_set))


#: Tile titles of a COCO-17 model: the centre map, then the keypoints.
TITLES: tuple[str, ...] = tile_titles()
#: Titles for tiles narrower than :data:`SHORT_TITLE_BELOW_PX` on screen (full names in the tooltip).
SHORT_TITLES: tuple[str, ...] = tile_titles(short=True)
SHORT_TITLE_BELOW_PX = 70
#: Screen height (px) of the band holding a row of tile titles (7.5 pt text and a margin).
TITLE_BAND_PX = 15
#: The tile index of the centre map; keypoint k is tile k + 1.
CENTRE_TILE = 0

_BACKGROUND = np.array([22, 24, 27], dtype=np.uint8)
_SELECTED = (255, 255, 255)


class HeadsPanel(QWidget):
    """18 small heatmaps (centre + 17 keypoints) of the newest frame, with keypoint names.

    Args:
        colormap: initial colour map of the keypoint tiles (:func:`~movenet_studio.core.drawing.colormaps.colormap_names`).
        centre_colormap: initial colour map of the centre tile.
        parent: Qt parent.

    Signals:
        keypoint_clicked(object): a tile was clicked: the keypoint 0..16, or None for the centre tile.
    """

    keypoint_clicked = Signal(object)

    def __init__(self, colormap: str = DEFAULT_COLORMAP, centre_colormap: str = DEFAULT_CENTRE_COLORMAP,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self._lut = colormap_lut(colormap)
        self._centre_lut = colormap_lut(centre_colormap)
        self._newest: EngineResult | None = None
        self._shown_result = None
        self._selected: int | None = None
        self._hover_cell: tuple[int, int] | None = None
        self._hover_values: np.ndarray | None = None
        self._message = ""
        self._tile: tuple[int, int] | None = None  # (Sh, Sw) of the current layout
        self._scale = 0.0  # screen px per mosaic px
        self._mosaic: np.ndarray | None = None
        self.columns = COLUMNS
        self._titles = TITLES
        self._keypoint_set = COCO17
        self._short_titles = False
        self.refreshes = 0
        self._throttle = RefreshThrottle(self.refresh, self, while_visible=True)

        self.status = QLabel("Turn on a head overlay to read the heads.")
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: gray;")
        self.readout_label = QLabel("Hover the video to read the heads under the mouse.")
        self.readout_label.setWordWrap(True)
        self.readout_label.setStyleSheet("color: #b8c4d0;")
        self.readout_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.graphics, self.view, self.image_item = image_view(mouse=False, background="#16181b")
        self.graphics.setMinimumHeight(72)  # tiles shrink with a short dock, titles shorten (SHORT_TITLES)
        self.graphics.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.graphics.setToolTip("Click a keypoint to show its heatmap in the video; the centre tile shows all keypoints")
        self.labels: list[pg.TextItem] = []
        for title in TITLES:
            label = pg.TextItem(title, color=(215, 218, 222), anchor=(0, 1))
            font = label.textItem.font()
            font.setPointSizeF(7.5)
            label.setFont(font)
            self.view.addItem(label)
            self.labels.append(label)
        self.selection_item = pg.PlotCurveItem(pen=pg.mkPen(_SELECTED, width=2, cosmetic=True))
        self.selection_item.setZValue(5)
        self.view.addItem(self.selection_item)
        self.hover_item = pg.ScatterPlotItem(symbol="s", size=7, pen=pg.mkPen((0, 255, 255), width=1.2),
                                             brush=pg.mkBrush(None), pxMode=True)
        self.hover_item.setZValue(6)
        self.view.addItem(self.hover_item)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.status)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.readout_label)
        self.graphics.scene().sigMouseClicked.connect(self._clicked)
        self._layout((48, 48))

    # ------------------------------------------------------------------ geometry
    def _best_columns(self, tile: tuple[int, int]) -> int:
        """The column count (:data:`COLUMN_CHOICES`) whose mosaic fills the panel with the largest tiles."""
        width, height = max(1, self.graphics.width()), max(1, self.graphics.height())
        sh, sw = tile
        gap, band = max(2, sw // 16), max(8, round(sh * 0.3))

        def scale(columns: int) -> float:
            rows = -(-len(TITLES) // columns)
            return min(width / (columns * (sw + gap) + gap), height / (rows * (band + sh) + gap))

        return max(COLUMN_CHOICES, key=scale)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        """Re-arrange the tiles for the new shape (thumbnails grow with the dock)."""
        super().resizeEvent(event)
        if self._tile is not None:
            self._layout(self._tile, force=True)
            self._shown_result = None
            self.refresh()

    def _layout(self, tile: tuple[int, int], force: bool = False) -> None:
        """Size the mosaic for tiles of `tile` = (Sh, Sw) cells and place the labels: the band
        above each row of tiles is at least :data:`TITLE_BAND_PX` high on screen, so titles
        never overlap the tile above or below."""
        columns = self._best_columns(tile)
        if tile == self._tile and columns == self.columns and not force:
            return
        self._tile, self.columns = tile, columns
        sh, sw = tile
        self._gap = max(2, sw // 16)
        self._band = max(8, round(sh * 0.3))
        rows = -(-len(TITLES) // columns)
        for _ in range(4):  # the band in cells depends on the scale, which depends on the band
            height = rows * (self._band + sh) + self._gap
            width = columns * (sw + self._gap) + self._gap
            scale = max(1e-6, min(self.graphics.width() / width, self.graphics.height() / height))
            needed = int(np.ceil(TITLE_BAND_PX / scale))
            if self._band >= needed:
                break
            self._band = needed
        height = rows * (self._band + sh) + self._gap  # (the band may have grown in the last round)
        self._scale = max(1e-6, min(self.graphics.width() / width, self.graphics.height() / height))
        scale = self._scale
        self._short_titles = sw * scale < SHORT_TITLE_BELOW_PX
        self._titles = tile_titles(self._keypoint_set, self._short_titles)
        self._mosaic = np.empty((height, width, 3), dtype=np.uint8)
        self._mosaic[...] = _BACKGROUND
        for index, label in enumerate(self.labels):
            x, y = self.tile_origin(index)
            label.setPos(x, y - 1)
        self._show_titles()
        self.image_item.show(self._mosaic)
        self.view.setRange(xRange=(0, width), yRange=(0, height), padding=0)
        self._draw_selection()

    @property
    def tile_px(self) -> float:
        """The tiles' width on screen in px (0 before the first layout)."""
        return self._tile[1] * self._scale if self._tile is not None else 0.0

    def tile_origin(self, index: int) -> tuple[int, int]:
        """Top-left (x, y) of tile `index` (0 = centre, k + 1 = keypoint k) in mosaic pixels."""
        sh, sw = self._tile
        row, col = divmod(index, self.columns)
        return self._gap + col * (sw + self._gap), (row + 1) * self._band + row * sh

    def tile_at(self, x: float, y: float) -> int | None:
        """The tile index under mosaic point (x, y), or None (gaps, labels, outside)."""
        sh, sw = self._tile
        for index in range(len(TITLES)):
            tx, ty = self.tile_origin(index)
            if tx <= x < tx + sw and ty - self._band <= y < ty + sh:
                return index
        return None

    def tile_centre_in_scene(self, index: int) -> QPointF:
        """Scene position of the middle of tile `index` (for clicks in tests)."""
        sh, sw = self._tile
        x, y = self.tile_origin(index)
        return self.view.mapViewToScene(QPointF(x + sw / 2, y + sh / 2))

    # ------------------------------------------------------------------ inputs
    @Slot(object)
    @timed("heads.add_result")
    def add_result(self, result: EngineResult) -> None:
        """Take the newest result (drawn at most every :data:`~.throttle.REFRESH_INTERVAL_MS`)."""
        self._newest = result
        self._throttle.request()

    def set_colormap(self, name: str, centre_name: str = DEFAULT_CENTRE_COLORMAP) -> None:
        """Colour the keypoint tiles through colour map `name`, the centre tile through `centre_name`."""
        self._lut = colormap_lut(name)
        self._centre_lut = colormap_lut(centre_name)
        self._shown_result = None
        self.refresh()

    @Slot(object)
    def set_selected(self, keypoint: int | None) -> None:
        """Outline the tile of `keypoint` (None: the centre tile, i.e. all keypoints)."""
        self._selected = keypoint
        self._draw_selection()

    @property
    def selected(self) -> int | None:
        """The outlined keypoint (None: all / centre)."""
        return self._selected

    def set_message(self, message: str) -> None:
        """Show `message` above the tiles instead of the frame caption ("" for the caption)."""
        self._message = message
        if message and self._mosaic is not None:  # no stale tiles of an earlier model under the message
            self._mosaic[...] = _BACKGROUND
            self.image_item.setImage(self._mosaic, autoLevels=False)
            self._shown_result = None
        self._show_status()

    @Slot(object)
    def show_hover(self, readout) -> None:
        """Mark the hovered cell in every tile and show each head's value there
        (a :class:`~.head_overlays.HeadsReadout`, or None to stop)."""
        if readout is None:
            self._hover_cell, self._hover_values = None, None
            self.hover_item.setData([], [])
            self._show_titles()
            self._show_status()
            return
        self._hover_cell = readout.cell
        self._hover_values = np.concatenate([[readout.centre], readout.heatmaps])
        r, c = readout.cell
        points = [(x + c + 0.5, y + r + 0.5) for x, y in (self.tile_origin(i) for i in range(len(TITLES)))]
        self.hover_item.setData(pos=np.asarray(points, dtype=np.float64))
        values = self._hover_values
        strongest = np.argsort(values[1:])[::-1][:3] + 1
        self.status.setText(f"Cell ({r}, {c}) under the mouse (the square in every tile): centre {values[0]:.2f}; "
                            + ", ".join(f"{self._titles[i]} {values[i]:.2f}" for i in strongest))

    def _show_titles(self) -> None:
        """Tile titles (hover values go to the status line, never into the titles); none when
        even the short titles are wider than a tile and its gap on screen (they would overlap:
        the tooltip and the hover line name the tiles then)."""
        widest = max(QFontMetrics(label.textItem.font()).horizontalAdvance(title)
                     for label, title in zip(self.labels, self._titles))
        room = (self._tile[1] + self._gap) * self._scale if self._tile is not None else 0.0
        fits = widest + 4 <= room
        for label, title in zip(self.labels, self._titles):
            label.setText(title if fits else "")

    # ------------------------------------------------------------------ drawing
    @Slot()
    @timed("heads.refresh")
    def refresh(self) -> None:
        """Draw the newest result now."""
        self._throttle.refreshed()
        newest = self._newest
        result = newest.result if newest is not None else None
        self._show_status()
        heads = getattr(result, "heads", None)
        if heads is None or result is self._shown_result:
            return
        self._shown_result = result
        keypoint_set = KEYPOINT_SETS.get(heads.keypoint_heatmaps.shape[-1], COCO17)
        if keypoint_set is not self._keypoint_set:  # e.g. ST's 13: "head" in the nose slot
            self._keypoint_set = keypoint_set
            self._titles = tile_titles(keypoint_set, self._short_titles)
            self._show_titles()
        self._layout(tuple(heads.shape))
        sh, sw = self._tile
        centre = heads.centre if heads.centre is not None else np.zeros(heads.shape, np.float32)
        maps = np.concatenate([centre[None], np.moveaxis(coco_maps(heads.keypoint_heatmaps), -1, 0)], axis=0)
        colours = self._lut[lut_indices(maps)]  # [18, Sh, Sw, 3]
        colours[0] = self._centre_lut[lut_indices(maps[0])]
        for index in range(len(TITLES)):
            x, y = self.tile_origin(index)
            self._mosaic[y:y + sh, x:x + sw] = colours[index]
        self.image_item.setImage(self._mosaic, autoLevels=False)
        self.refreshes += 1

    def _show_status(self) -> None:
        if self._hover_cell is not None and not self._message:
            return  # the hover caption stays while the mouse is over the video
        if self._message:
            self.status.setText(self._message)
            return
        newest = self._newest
        heads = getattr(newest.result, "heads", None) if newest is not None else None
        if heads is None:
            self.status.setText("No heads for this frame yet.")
            return
        sh, sw = heads.shape
        self.status.setText(f"{newest.model.spec.label}: heads {sh}×{sw}, frame {newest.result.index}")

    def _draw_selection(self) -> None:
        if self._tile is None:
            return
        sh, sw = self._tile
        index = CENTRE_TILE if self._selected is None else self._selected + 1
        x, y = self.tile_origin(index)
        x0, y0, x1, y1 = x - 1, y - 1, x + sw + 1, y + sh + 1
        self.selection_item.setData([x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0])

    @Slot(object)
    def _clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        point = self.view.mapSceneToView(event.scenePos())
        index = self.tile_at(point.x(), point.y())
        if index is None:
            return
        keypoint = None if index == CENTRE_TILE else index - 1
        if keypoint is not None and not 0 <= keypoint < NUM_KEYPOINTS:
            return
        self.set_selected(keypoint)
        self.keypoint_clicked.emit(keypoint)
