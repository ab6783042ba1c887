"""The model's heads drawn over the video: heatmaps, offsets, regression and decode steps, plus
the hover readout of the head values under the mouse.

Everything is placed in frame pixels through the frame's own
:class:`~movenet_studio.core.preprocessing.letterbox.InputMapping` (letterbox or crop), with the geometry
of :mod:`movenet_studio.core.drawing.overlay_geometry` and the colour tables of
:mod:`movenet_studio.core.drawing.colormaps`, i.e. exactly where and how
:func:`core.render.render_overlays <movenet_studio.core.drawing.render.render_overlays>` draws them
in an export. The heatmaps (keypoints and centre) are not items: the video view composes them
into the frame it shows, off the GUI thread, with the export renderer itself
(:class:`~movenet_studio.gui.video_view.VideoView`), stretched over
:func:`~movenet_studio.core.decoding.heads.heatmap_rect_in_frame` (cell ``i`` covers the frame region
the model saw as input pixels 4i..4i+3).

:class:`HeadOverlays` owns a fixed set of pyqtgraph items for the line and marker layers,
created once and updated in place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, Signal, Slot

from ...core.decoding.heads import HEATMAP_CELL_CENTRE, heatmap_rect_in_frame
from ...core.decoding.keypoint_sets import keypoint_set_for
from ...core.decoding.keypoints import KEYPOINT_NAMES
from ...core.drawing.overlay_geometry import arrow_barbs, decode_geometry, offset_field, scaled_arrows
from ...core.drawing.overlay_options import OverlayOptions
from ...core.drawing.render_style import DECODE_COLOUR, FINAL_COLOUR, OFFSET_COLOUR, REGRESSION_COLOUR, arrow_barb_length

#: Z order of the layers (below the skeleton's 8..11), bottom to top as in core.render (the
#: heatmaps are composed into the frame, below them all); the decoded keypoints' crosses go
#: above the skeleton's dots (Z_FINAL), which would hide them.
Z_REGRESSION, Z_OFFSETS, Z_DECODE, Z_FINAL = 5, 6, 7, 12

_EMPTY = np.empty((0, 2))


def _curve(view: pg.ViewBox, colour, width: float, z: float) -> pg.PlotCurveItem:
    item = pg.PlotCurveItem(connect="pairs", antialias=True, pen=pg.mkPen(colour, width=width, cosmetic=True))
    item.setZValue(z)
    item.setVisible(False)
    view.addItem(item)
    return item


def _scatter(view: pg.ViewBox, z: float, **style) -> pg.ScatterPlotItem:
    item = pg.ScatterPlotItem(pxMode=True, antialias=True, **style)
    item.setZValue(z)
    item.setVisible(False)
    view.addItem(item)
    return item


def _legend_entries(layer: str, options: OverlayOptions) -> list[tuple[str, pg.GraphicsObject]]:
    """(label, sample item) of the head layer `layer`'s legend entries."""
    def line(colour, width=2.0):
        return pg.PlotDataItem(pen=pg.mkPen(colour, width=width))

    def marker(symbol, colour, filled=True, width=1.5):
        # A ScatterPlotItem: pyqtgraph's legend draws a PlotDataItem's symbol from its scatter,
        # whose pen and brush stay the defaults (a filled grey dot) while it holds no data
        return pg.ScatterPlotItem(symbol=symbol, size=11, pen=pg.mkPen(colour, width=width),
                                  brush=pg.mkBrush(*colour) if filled else pg.mkBrush(0, 0, 0, 0))

    if layer == "regression":
        return [("regression: centre → rough keypoint", line(REGRESSION_COLOUR)),
                ("rough keypoint (centre + regression)", marker("o", REGRESSION_COLOUR, filled=False))]
    if layer == "offsets":
        what = "offset field of the keypoint" if options.offset_field else "offset: chosen cell → keypoint"
        if options.offset_scale != 1.0:
            what += f" (drawn ×{options.offset_scale:g})"
        return [(what, line(OFFSET_COLOUR))]
    rough = [] if options.regression else [("rough keypoint (centre + regression)",
                                             marker("o", REGRESSION_COLOUR, filled=False))]
    return [("centre cell", marker("+", DECODE_COLOUR, filled=False, width=2.5)), *rough,
            ("chosen heatmap cell", marker("s", DECODE_COLOUR, filled=False, width=1.2)),
            ("decoded keypoint", marker("x", FINAL_COLOUR))]


class HeadOverlays:
    """The pyqtgraph items of the head layers' lines and markers, added to the video's ViewBox
    once, and which head layers are drawn (the heatmaps by the video view, into the frame).

    Args:
        view: the ViewBox showing the frame (frame pixel coordinates, y down).

    Call :meth:`set_result` with each new :class:`~movenet_studio.core.frame_result.FrameResult`
    and :meth:`set_options` when the overlay choices change; layers whose data the result
    lacks (no heads, MultiPose without a decode) are hidden.
    """

    def __init__(self, view: pg.ViewBox):
        self.regression_item = _curve(view, REGRESSION_COLOUR, 1.5, Z_REGRESSION)
        self.rough_item = _scatter(view, Z_REGRESSION, symbol="o", size=8,
                                   pen=pg.mkPen(REGRESSION_COLOUR, width=1.5), brush=pg.mkBrush(None))
        self.offsets_item = _curve(view, OFFSET_COLOUR, 1.2, Z_OFFSETS)
        self.cells_item = _curve(view, DECODE_COLOUR, 1.2, Z_DECODE)
        self.centre_cross_item = _curve(view, DECODE_COLOUR, 2.5, Z_DECODE)
        self.final_item = _scatter(view, Z_FINAL, symbol="x", size=10, pen=pg.mkPen((0, 0, 0), width=0.8),
                                   brush=pg.mkBrush(*FINAL_COLOUR))
        # A legend of the line and marker layers (bottom left; the crop overlay's is top left).
        self.legend = pg.LegendItem(offset=(8, -8), brush=pg.mkBrush(0, 0, 0, 150), labelTextColor=(230, 230, 230),
                                    labelTextSize="8pt", verSpacing=-6)
        self.legend.setParentItem(view)
        self.legend.setVisible(False)
        self._legend_key: tuple | None = None
        self._items = {
            "regression": (self.regression_item,), "offsets": (self.offsets_item,),
            "decode": (self.cells_item, self.centre_cross_item, self.final_item),
        }
        self._options = OverlayOptions(skeleton=False, keypoints=False)
        self._result = None

    # ------------------------------------------------------------------ inputs
    def set_options(self, options: OverlayOptions) -> None:
        """Draw the head layers `options` switches on (heatmaps, centre, regression, offsets,
        decode), with its keypoint and offsets mode (the heatmaps' keypoint, opacities and colour
        maps are the video view's composition)."""
        self._options = options
        self._update_legend(options)
        self._redraw()

    def _update_legend(self, options: OverlayOptions) -> None:
        """One entry per line or marker the chosen layers draw (regression, offsets, decode steps)."""
        layers = tuple(name for name in ("regression", "offsets", "decode") if getattr(options, name))
        key = layers, options.offset_field, options.offset_scale  # what the entries' text depends on
        if key == self._legend_key:
            return
        self._legend_key = key
        self.legend.clear()
        for name in layers:
            for label, sample in _legend_entries(name, options):
                self.legend.addItem(sample, label)
        self.legend.setVisible(bool(layers))

    @property
    def legend_labels(self) -> list[str]:
        """The legend's entries as shown (for tests and tools)."""
        return [label.text for _sample, label in self.legend.items] if self.legend.isVisible() else []

    def set_result(self, result) -> None:
        """Draw the heads of `result` (a FrameResult, or None for nothing)."""
        self._result = result
        self._redraw()

    def clear(self) -> None:
        """Draw nothing until the next result."""
        self.set_result(None)

    # ------------------------------------------------------------------ state for callers and tests
    @property
    def options(self) -> OverlayOptions:
        """The options in use."""
        return self._options

    def visible_layers(self) -> tuple[str, ...]:
        """Names of the head layers drawn now (switched on and with data), in drawing order."""
        heads = getattr(self._result, "heads", None)
        maps = (("heatmaps",) if self._options.heatmaps else ()) + (
            ("centre",) if self._options.centre and heads is not None and heads.centre is not None else ())
        drawn = tuple(name for name, items in self._items.items() if any(i.isVisible() for i in items))
        return (maps if heads is not None else ()) + drawn

    def heatmap_rect(self) -> tuple[float, float, float, float] | None:
        """Where the heatmaps of the result drawn now are stretched, (x, y, w, h) in frame pixels
        (None without heads)."""
        heads = getattr(self._result, "heads", None)
        if heads is None:
            return None
        return heatmap_rect_in_frame(self._result.mapping, heads.shape)

    # ------------------------------------------------------------------ drawing
    def _hide(self, name: str) -> None:
        for item in self._items[name]:
            item.setVisible(False)

    def _redraw(self) -> None:
        options, result = self._options, self._result
        heads = getattr(result, "heads", None) if result is not None else None
        if heads is None:
            for name in self._items:
                self._hide(name)
            return
        self._draw_decode(result, heads, options)

    def _draw_decode(self, result, heads, options: OverlayOptions) -> None:
        steps = getattr(result, "decode", None)
        geometry = decode_geometry(steps, result.mapping) if steps is not None and (
            options.regression or options.decode or (options.offsets and not options.offset_field)) else None
        barb = arrow_barb_length(result.frame.shape)

        if options.regression and geometry is not None:
            segments = geometry.regression_segments()
            self.regression_item.setData(segments[:, 0], segments[:, 1])
            self.regression_item.setVisible(True)
        else:
            self.regression_item.setVisible(False)
        if (options.regression or options.decode) and geometry is not None:
            self.rough_item.setData(pos=geometry.rough)
            self.rough_item.setVisible(True)
        else:
            self.rough_item.setVisible(False)

        arrows = None
        if options.offsets and options.offset_field:
            arrows = offset_field(heads, result.mapping, options.heatmap_keypoint)
        elif options.offsets and geometry is not None:
            arrows = geometry.cells, geometry.final
        if arrows is not None:
            starts, ends = arrows
            starts, ends = scaled_arrows(starts, ends, options.offset_scale)
            shafts = np.stack([starts, ends], axis=1).reshape(-1, 2) if len(starts) else _EMPTY
            segments = np.concatenate([shafts, arrow_barbs(starts, ends, barb)])
            self.offsets_item.setData(segments[:, 0], segments[:, 1])
            self.offsets_item.setVisible(True)
        else:
            self.offsets_item.setVisible(False)

        if options.decode and geometry is not None:
            squares = geometry.cell_squares()
            cross = geometry.centre_cross()
            self.cells_item.setData(squares[:, 0], squares[:, 1])
            self.centre_cross_item.setData(cross[:, 0], cross[:, 1])
            self.final_item.setData(pos=geometry.final)
            for item in self._items["decode"]:
                item.setVisible(True)
        else:
            self._hide("decode")


# ---------------------------------------------------------------------- hover readout

@dataclass(frozen=True, slots=True)
class HeadsReadout:
    """The head values at one heatmap cell of one frame.

    Attributes:
        x, y: the frame point asked about, in frame pixels.
        cell: (row, column) of the heatmap cell drawn under that point.
        frame_index: index of the frame the heads belong to.
        centre: person-centre probability at the cell.
        heatmaps: float32 [17] keypoint heatmap probabilities at the cell (COCO-17 order): the
            score each keypoint would get if decoded there.
        regression: float32 [17, 2] (y, x) centre -> keypoint displacement at the cell, in cells.
        offsets: float32 [17, 2] (y, x) sub-cell offsets at the cell, in cells.
        keypoint_scores: float32 [17] scores of the best pose's keypoints on this frame (empty
            when no pose).
    """

    x: float
    y: float
    cell: tuple[int, int]
    frame_index: int
    centre: float
    heatmaps: np.ndarray
    regression: np.ndarray
    offsets: np.ndarray
    keypoint_scores: np.ndarray

    def strongest(self, count: int = 3) -> list[tuple[int, float]]:
        """The `count` keypoints with the highest heatmap value here, as (keypoint, value), best first."""
        order = np.argsort(-self.heatmaps, kind="stable")[:count]
        return [(int(k), float(self.heatmaps[k])) for k in order]

    def text(self, keypoint: int | None = None) -> str:
        """One line for the status bar; regression/offset of `keypoint` (None: the strongest here)."""
        k = self.strongest(1)[0][0] if keypoint is None else int(keypoint)
        top = ", ".join(f"{_name(j)} {v:.2f}" for j, v in self.strongest(3))
        dy, dx = (float(v) for v in self.regression[k])
        oy, ox = (float(v) for v in self.offsets[k])
        score = f", keypoint score {float(self.keypoint_scores[k]):.2f}" if len(self.keypoint_scores) else ""
        return (f"cell ({self.cell[0]}, {self.cell[1]})  centre {self.centre:.2f}  heatmaps: {top}  │  "
                f"{_name(k)}: heatmap {float(self.heatmaps[k]):.2f}{score}, regression ({dy:+.1f}, {dx:+.1f}), "
                f"offset ({oy:+.2f}, {ox:+.2f})")


def _name(k: int) -> str:
    return KEYPOINT_NAMES[k].replace("_", " ")


def heads_cell_at(result, x: float, y: float) -> tuple[int, int] | None:
    """The heatmap cell (row, column) drawn under frame point (x, y), or None (no heads, outside).

    Uses the rectangle the heatmap images are drawn over
    (:func:`~movenet_studio.core.decoding.heads.heatmap_rect_in_frame`), so the answer is the cell the
    user sees under the mouse.
    """
    heads = getattr(result, "heads", None)
    if heads is None:
        return None
    sh, sw = heads.shape
    rx, ry, rw, rh = heatmap_rect_in_frame(result.mapping, heads.shape, HEATMAP_CELL_CENTRE)
    if rw <= 0 or rh <= 0:
        return None
    col = math.floor((x - rx) * sw / rw)
    row = math.floor((y - ry) * sh / rh)
    if not (0 <= row < sh and 0 <= col < sw):
        return None
    return row, col


def heads_readout_at(result, x: float, y: float) -> HeadsReadout | None:
    """The head values of `result` (a FrameResult with heads) under frame point (x, y).

    Returns:
        :class:`HeadsReadout`, or None when the result has no heads or the point is outside
        the heatmaps.
    """
    cell = heads_cell_at(result, x, y)
    if cell is None:
        return None
    heads = result.heads
    r, c = cell
    k = heads.keypoint_heatmaps.shape[-1]
    poses = getattr(result, "poses", ())
    scores = (np.asarray(max(poses, key=lambda p: p.score).keypoints[:, 2], dtype=np.float32) if poses
              else np.empty(0, dtype=np.float32))
    slots = list(keypoint_set_for(k).coco_index)  # 13-keypoint files: in their COCO slots, the rest NaN

    def slot(values, width: int) -> np.ndarray:  # [k, width] or None (heatmap-only file) -> [17, width]
        out = np.full((17, width), np.nan, dtype=np.float32)
        if values is not None:
            out[slots] = np.asarray(values, dtype=np.float32).reshape(k, width)
        return out

    def cell(values):
        return None if values is None else values[r, c]

    heatmaps = np.zeros(17, dtype=np.float32)
    heatmaps[slots] = heads.keypoint_heatmaps[r, c]
    if len(scores) == k:
        scores = slot(scores, 1)[:, 0]
    centre = float(heads.centre[r, c]) if heads.centre is not None else float("nan")
    return HeadsReadout(float(x), float(y), (r, c), int(getattr(result, "index", -1)), centre, heatmaps,
                        slot(cell(heads.regression), 2), slot(cell(heads.offsets), 2), scores)


class HoverReadout(QObject):
    """Follows the mouse over the video and reads the heads under it.

    Connects to the view's scene ``sigMouseMoved`` (GUI thread); on each move and on each new
    result (the mouse resting on a playing video) it emits the values under the mouse.

    Args:
        view: the ViewBox showing the frame (frame pixels).
        parent: Qt parent.

    Signals:
        readout_changed(object): a :class:`HeadsReadout`, or None (no heads, outside).
        text_changed(str): the same as one status-bar line ("" for None).
    """

    readout_changed = Signal(object)
    text_changed = Signal(str)

    def __init__(self, view: pg.ViewBox, parent: QObject | None = None):
        super().__init__(parent)
        self._view = view
        self._point: tuple[float, float] | None = None
        self._result = None
        self._keypoint: int | None = None
        self._enabled = True
        self.readout: HeadsReadout | None = None
        view.scene().sigMouseMoved.connect(self._mouse_moved)
        for widget in view.scene().views():  # the mouse leaving the video clears the readout
            widget.viewport().installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt name)
        """Clear the readout (and the heads panel's markers) when the mouse leaves the video."""
        if event.type() == QEvent.Type.Leave:
            self.leave()
        return False

    @Slot()
    def leave(self) -> None:
        """The mouse left the video: no readout until it comes back."""
        self._point = None
        self._update()

    @Slot(object)
    def _mouse_moved(self, scene_pos) -> None:
        if not self._view.sceneBoundingRect().contains(scene_pos):
            self._point = None
        else:
            p = self._view.mapSceneToView(QPointF(scene_pos))
            self._point = (p.x(), p.y())
        self._update()

    def hover(self, x: float, y: float) -> HeadsReadout | None:
        """Read the heads at frame point (x, y) as if the mouse were there; returns the readout."""
        self._point = (float(x), float(y))
        self._update()
        return self.readout

    @Slot(object)
    def add_result(self, engine_result) -> None:
        """Take the newest :class:`~.engine.EngineResult` (re-reads under a resting mouse)."""
        self._result = engine_result.result
        if self._point is not None:
            self._update()

    @Slot(object)
    def set_keypoint(self, keypoint: int | None) -> None:
        """The keypoint whose regression and offset the text shows (None: the strongest at the cell)."""
        self._keypoint = keypoint
        self._update()

    @Slot(bool)
    def set_enabled(self, enabled: bool) -> None:
        """Read only while a head overlay is on."""
        self._enabled = bool(enabled)
        self._update()

    def _update(self) -> None:
        readout = None
        if self._enabled and self._point is not None and self._result is not None:
            readout = heads_readout_at(self._result, *self._point)
        if readout is None and self.readout is None:
            return
        self.readout = readout
        self.readout_changed.emit(readout)
        self.text_changed.emit(readout.text(self._keypoint) if readout is not None else "")
