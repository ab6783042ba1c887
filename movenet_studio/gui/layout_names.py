"""The named window layouts, Qt-free: what the settings, the command line (``gui --layout``) and
View > Layout know of them. How each is built from docks is :mod:`.window.layouts`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Layout:
    """A named layout: `key` (settings, ``--layout``), `title` (the menu), `shortcut`, `tip`."""

    key: str
    title: str
    shortcut: str
    tip: str


#: The layouts, in menu order; the first is the first-start layout.
LAYOUTS: tuple[Layout, ...] = (
    Layout("default", "&Default", "Ctrl+1", "Controls, the video, and the Latency / Model input / Heads column"),
    Layout("heads", "Inspect &heads", "Ctrl+2", "A wide Heads dock (large heatmap tiles) beside the video"),
    Layout("compare", "&Compare", "Ctrl+3", "The Compare A / B table in a wide right column"),
    Layout("timeline", "&Timeline", "Ctrl+4", "The Timeline's plots with room for each"),
)
LAYOUT_KEYS: tuple[str, ...] = tuple(layout.key for layout in LAYOUTS)
DEFAULT_LAYOUT = LAYOUTS[0].key
