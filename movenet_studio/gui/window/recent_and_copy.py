"""File > Open recent (the last :data:`~.settings.RECENT_LIMIT` sources) and Edit > Copy
keypoints (the frame on screen as JSON, in ``infer --json``'s frame format)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QMenu, QWidget

from ...core.media.urls import display_url, is_url
from ...core.output.results_json import frame_to_json
from ..settings import StudioSettings
from .window_setup import is_model_path
from ..video_view import VideoView


class RecentSources(QObject):
    """The *Open recent* menu: sources and model files (marked "(model)"), newest first;
    picking one opens it; one that is gone is listed disabled ("not found"); *Clear* forgets them.

    Args:
        settings: where the list lives (:attr:`StudioSettings.recent_sources`).
        open_source: called with the chosen source or model file (the window's ``open_path``).
        parent: the window (owner of the menu).
    """

    def __init__(self, settings: StudioSettings, open_source: Callable[[str], None], parent: QWidget):
        super().__init__(parent)
        self._settings = settings
        self._open = open_source
        self.menu = QMenu("Open &recent", parent)
        self.menu.aboutToShow.connect(self.rebuild)
        self.rebuild()

    @Slot(str)
    def add(self, spec: str) -> None:
        """Record `spec` as the newest source."""
        self._settings.add_recent_source(spec)
        self.rebuild()

    @Slot()
    def rebuild(self) -> None:
        """Refill the menu from the settings."""
        self.menu.clear()
        recent = self._settings.recent_sources
        for number, spec in enumerate(recent, start=1):
            live = spec.lower().startswith("camera:") or is_url(spec)  # a URL is never a path
            missing = not live and not Path(spec).exists()
            shown = display_url(spec) if is_url(spec) else spec  # credentials hidden
            name = shown if live else Path(spec).name or spec
            kind = "  (model)" if not live and is_model_path(spec) else ""
            action = self.menu.addAction(f"&{number % 10} {name}{kind}" + ("  (not found)" if missing else ""))
            action.setToolTip(shown)
            action.setStatusTip(shown)
            action.setData(spec)
            action.setEnabled(not missing)
            action.triggered.connect(self._picked)
        if not recent:
            self.menu.addAction("No recent sources").setEnabled(False)
        else:
            self.menu.addSeparator()
            self.menu.addAction("&Clear list").triggered.connect(self._clear)

    @Slot()
    def _picked(self) -> None:
        action = self.sender()
        if isinstance(action, QAction) and action.data():
            self._open(str(action.data()))

    @Slot()
    def _clear(self) -> None:
        self._settings.clear_recent_sources()
        self.rebuild()


def copy_keypoints(view: VideoView) -> str | None:
    """Put the frame on screen on the clipboard as JSON (``infer --json``'s frame object:
    index, timestamp_ms, crop, timings_ms, poses with keypoints in frame pixels); returns the
    text, or None when nothing is shown."""
    shown = view.last_result
    if shown is None:
        return None
    text = json.dumps(frame_to_json(shown.result), indent=1)
    QGuiApplication.clipboard().setText(text)
    return text
