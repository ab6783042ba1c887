"""Named dock layouts (View > Layout): where each dock goes for a task, sized for the window.

Each layout is built with Qt's own dock calls (``addDockWidget``, ``splitDockWidget``,
``tabifyDockWidget``, ``resizeDocks``); nothing is laid out by hand. A layout puts docks side by
side only where each gets room for its minimum readable size (plots 120 px high, tables 8 rows,
heads tiles of 64 px at 1920x1080) and tabs them together where they would be squeezed: on a
short window the model input and the heads share a tab group, and the Timeline goes to the right
column instead of under the video.

What a layout never does: turn an overlay on or off, start compare, or show the Layers dock
(its comparison costs a model run per frame); the Heads dock shows while a head layer is on
(:class:`~.overlay_controller.OverlayController`), except in *Inspect heads*, which
shows it (with its empty-state message when no head layer is on).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QScrollArea

from ..layout_names import LAYOUT_KEYS

LEFT, RIGHT, BOTTOM = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea,
                       Qt.DockWidgetArea.BottomDockWidgetArea)
VERTICAL, HORIZONTAL = Qt.Orientation.Vertical, Qt.Orientation.Horizontal

#: Below this window height (px) the model input and heads share a tab group, and the
#: Timeline layout puts the Timeline on the right, not under the video.
TALL_WINDOW_PX = 1000
#: The Heads panel's tiles need this much height (3 rows of 64 px tiles and their titles).
HEADS_MIN_PX = 3 * (64 + 18)
#: The model input preview and its caption.
MODEL_INPUT_MIN_PX = 190




@dataclass(frozen=True)
class Docks:
    """The main window's docks a layout places."""

    controls: QDockWidget
    latency: QDockWidget
    compare: QDockWidget
    model_info: QDockWidget
    classification: QDockWidget
    model_input: QDockWidget
    heads: QDockWidget
    timeline: QDockWidget
    layers: QDockWidget

    @property
    def right_tabs(self) -> tuple[QDockWidget, ...]:
        """The tab group of the right column, Latency first."""
        return self.latency, self.compare, self.model_info, self.classification


def _needed_height(dock: QDockWidget) -> int:
    """The height `dock`'s panel needs for its minimum readable sizes (inside its scroll area)."""
    widget = dock.widget()
    inner = widget.widget() if isinstance(widget, QScrollArea) else widget
    return inner.minimumSizeHint().height() + 24  # the dock's title bar


def _clamp(value: float, low: int, high: int) -> int:
    return int(max(low, min(high, value)))


def _place(window: QMainWindow, area: Qt.DockWidgetArea, docks: tuple[QDockWidget, ...]) -> None:
    """Take `docks` out of wherever they are (tabs, splits, floating) and add them to `area`."""
    for dock in docks:
        visible = not dock.isHidden()
        window.removeDockWidget(dock)  # (hides it)
        dock.setFloating(False)
        window.addDockWidget(area, dock)
        dock.setVisible(visible)


def _tabs(window: QMainWindow, docks: tuple[QDockWidget, ...]) -> None:
    for other in docks[1:]:
        window.tabifyDockWidget(docks[0], other)


def apply_layout(window: QMainWindow, docks: Docks, key: str) -> None:
    """Arrange `docks` in `window` as layout `key` (a :data:`LAYOUT_KEYS` entry), sized for the
    window's current size. Raises KeyError for an unknown key.

    The Layers dock keeps its visibility (it stays at the bottom, tabbed with the Timeline); the
    Timeline shows in the *Timeline* layout only; every other dock but Heads shows.
    """
    if key not in LAYOUT_KEYS:
        raise KeyError(key)
    size = window.size()  # (docks stacked for a moment before they are tabbed may grow the window)
    width, height = max(window.width(), 640), max(window.height(), 480)
    tall = height >= TALL_WINDOW_PX
    everything = (docks.controls, *docks.right_tabs, docks.model_input, docks.heads, docks.timeline, docks.layers)
    for dock in everything:
        if dock not in (docks.heads, docks.layers):
            dock.setVisible(dock is not docks.timeline or key == "timeline")
    if key == "heads":
        docks.heads.setVisible(True)

    column = height - 80  # the right column's height: the window without menu and status bars
    latency_px = _needed_height(docks.latency) + 30  # its tab bar
    heads_px = HEADS_MIN_PX + 60  # its status and readout lines, the tab bar
    # How many rows the right column has room for: Latency tabs / Heads / Model input (3), the
    # Latency tabs over Heads tabbed with the Model input (2), or one tab group (1).
    rows = 3 if column >= latency_px + heads_px + MODEL_INPUT_MIN_PX else 2 if column >= latency_px + heads_px else 1
    timeline_right = key == "timeline" and not tall
    if timeline_right:
        rows = 1  # the Timeline takes the column's whole height, the other panels as tabs

    # The side columns run the window's full height; the bottom area (Timeline, Layers) lies under the video.
    window.setCorner(Qt.Corner.BottomLeftCorner, LEFT)
    window.setCorner(Qt.Corner.BottomRightCorner, RIGHT)
    # Docks added to one area stack top to bottom in that order; tab groups are made after
    # (Qt's splitDockWidget on a tabbed dock would add a tab, not a neighbour).
    # The Timeline on the right of a short window takes the Controls' place too (as a tab): its
    # plots, filter knobs and jitter table need the width.
    _place(window, RIGHT if timeline_right else LEFT, (docks.controls,))
    if key == "heads":
        right = (docks.heads, docks.model_input, *docks.right_tabs)
    else:
        right = (*docks.right_tabs, docks.model_input, docks.heads)
    _place(window, RIGHT, right + ((docks.timeline,) if timeline_right else ()))
    _place(window, BOTTOM, (() if timeline_right else (docks.timeline,)) + (docks.layers,))
    if key == "heads":  # Heads on top, the model input below it with the other panels as tabs
        _tabs(window, (docks.model_input, *docks.right_tabs))
        docks.model_input.raise_()
    else:
        lower = (docks.model_input, docks.heads)
        _tabs(window, docks.right_tabs + ((docks.timeline, docks.controls) if timeline_right else ())
              + (lower if rows == 1 else ()))
        if rows == 2:
            window.tabifyDockWidget(docks.model_input, docks.heads)
        (docks.timeline if timeline_right else docks.compare if key == "compare" else docks.latency).raise_()
        if rows > 1 or key == "heads":
            (docks.model_input if docks.heads.isHidden() else docks.heads).raise_()
    if not timeline_right:
        window.tabifyDockWidget(docks.timeline, docks.layers)
        (docks.layers if docks.timeline.isHidden() else docks.timeline).raise_()

    if window.size() != size:
        window.resize(size)
    controls_width = _clamp(0.2 * width, 270, 340)
    right_share = {"default": 0.3, "heads": 0.42, "compare": 0.4, "timeline": 0.64 if timeline_right else 0.3}[key]
    right_width = _clamp(right_share * width, 380, 900)
    if timeline_right:
        window.resizeDocks([docks.latency], [right_width], HORIZONTAL)
    else:
        window.resizeDocks([docks.controls, docks.latency], [controls_width, right_width], HORIZONTAL)
    if key == "heads":
        window.resizeDocks([docks.heads, docks.model_input], [int(column * 0.68), int(column * 0.32)], VERTICAL)
    elif rows == 3:
        window.resizeDocks([docks.latency, docks.model_input, docks.heads],
                           [latency_px, MODEL_INPUT_MIN_PX, column - latency_px - MODEL_INPUT_MIN_PX], VERTICAL)
    elif rows == 2:
        window.resizeDocks([docks.latency, docks.model_input], [latency_px, column - latency_px], VERTICAL)
    if key == "timeline" and not timeline_right:
        window.resizeDocks([docks.timeline], [int(column * 0.58)], VERTICAL)
    elif docks.layers.isVisible():
        window.resizeDocks([docks.layers], [int(column * 0.45)], VERTICAL)
