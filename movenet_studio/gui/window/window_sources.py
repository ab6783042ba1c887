"""How the main window opens what it is given: a path is a model when it is a .tflite/.onnx
file, else a source (video, image, folder, ``camera:N``, a stream URL); dropped paths and
dropped URL text likewise. File > Open stream… and File > Open camera… ask for one. What the
player then says (opened, the end of a file, a live feed's drop, closed) reaches the status bar,
the title and the settings here.

:class:`WindowSources` is a mixin of :class:`~.main_window.MainWindow`: it uses the window's
``player``, ``engine``, ``settings``, ``reporter``, ``recent``, ``controls``, ``latency_panel``
and its ``_source`` and ``_last_index``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent

from ...core.backends import default_backend
from ...core.media.sources import camera_spec
from ...core.media.urls import display_url, is_url
from ...core.paths import sample_path
from ..dialogs.live_dialogs import OpenCameraDialog, OpenStreamDialog
from ..engine import EngineResult
from ..source_info import SourceInfo
from .window_setup import is_model_path

END_MESSAGE = "End of"  # the status message at the end of a file (cleared when playback leaves the end)


class WindowSources:
    """Source and model requests of the main window, and its drag and drop."""

    @Slot()
    def open_sample(self) -> None:
        """Open and play the bundled sample video (pose_1.mp4, resources/samples)."""
        self.open_source(str(sample_path()))

    # ------------------------------------------------------------------ requests
    @Slot()
    def choose_stream(self) -> None:
        """File > Open stream…: ask for a URL (recent ones offered) and open it."""
        dialog = OpenStreamDialog(self.settings.recent_sources, self)
        if dialog.exec():
            self.open_source(dialog.url)

    @Slot()
    def choose_camera(self) -> None:
        """File > Open camera…: list the cameras and their modes; open the one picked."""
        dialog = OpenCameraDialog(parent=self)
        if dialog.exec():
            self.open_source(dialog.spec)

    @Slot(str)
    def open_path(self, path: str) -> None:
        """Open `path` as a model when it is a .tflite/.onnx file, else as a source."""
        if not is_url(path) and is_model_path(path):
            self.open_model(path)
        else:
            self.open_source(path)

    @Slot(str)
    def open_source(self, spec: str) -> None:
        """Open a video, image, folder, ``camera:N`` or stream URL (answer arrives asynchronously)."""
        self.reporter.info(f"Opening {display_url(spec) if is_url(spec) else spec}…")
        self.player.open(spec)

    @Slot(str)
    def open_model(self, name: str) -> None:
        """Switch to model `name` (catalog key or file path) live; on failure the old one stays."""
        self.reporter.info(f"Loading model {name}…")
        # From the engine's config: keeps the other settings (heads, crop, threads ...) asked for.
        config = replace(self.engine.config, model=str(name),
                         input_range=self.settings.input_range_for(str(name)) if is_model_path(str(name)) else None)
        if is_model_path(str(name)) and default_backend(name) != config.backend:  # the file's format picks the backend
            config = replace(config, backend=default_backend(name), provider=None)
        self.engine.request_model(config)

    def handle_paths(self, paths: list[str]) -> None:
        """Open dropped paths: model files switch the model, the first other path becomes the source."""
        sources = []
        for path in paths:
            if not is_url(path) and is_model_path(path):
                self.open_model(path)
            else:
                sources.append(path)
        if sources:
            self.open_source(sources[0])
            if len(sources) > 1:
                first = display_url(sources[0]) if is_url(sources[0]) else Path(sources[0]).name
                self.reporter.info(f"Opened {first}; {len(sources) - 1} more dropped path(s) ignored")

    # ------------------------------------------------------------------ drag and drop
    @staticmethod
    def _dropped(event) -> list[str]:
        """Local files and folders, stream URLs (a link, or URL text) of a drag."""
        data = event.mimeData()
        found = []
        if data.hasUrls():
            for url in data.urls():
                if url.isLocalFile():
                    found.append(url.toLocalFile())
                elif is_url(url.toString()):
                    found.append(url.toString())
        if not found and data.hasText():
            found = [line.strip() for line in data.text().splitlines() if is_url(line.strip())][:1]
        return found

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt name)
        """Accept local files and folders, and stream URLs (links or text)."""
        if self._dropped(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt name)
        """Open what was dropped: video/image/folder/URL as the source, .tflite/.onnx as the model."""
        paths = self._dropped(event)
        if paths:
            event.acceptProposedAction()
            self.handle_paths(paths)
        else:
            event.ignore()

    # ------------------------------------------------------------------ what the player says
    @Slot(object)
    def _on_result(self, result: EngineResult) -> None:
        index = result.result.index
        self.controls.source.set_position(index)
        if self._last_index is not None and index < self._last_index:
            # stepped or sought back: not at the end any more (results still arriving after the
            # reader's end, of earlier frames, count up and leave the message)
            self.reporter.clear_if_showing(END_MESSAGE)
        self._last_index = index

    @Slot(object)
    def _on_source_opened(self, info: SourceInfo) -> None:
        self._source = info
        self._last_index = None
        self.latency_panel.reset()
        self.settings.last_source = info.spec
        self.recent.add(info.spec)
        if info.kind == "camera":
            self.settings.camera_index = camera_spec(info.spec)[0]
        self.reporter.info(f"Opened {info.name} ({info.details})")
        self._update_title()

    @Slot(object)
    def _on_live_event(self, event) -> None:
        """A live feed dropped, is reconnecting or came back: say so in the status bar (its loss
        arrives as a read failure, with the details dialog)."""
        if event.kind != "lost":
            self.reporter.info(event.message)

    @Slot()
    def _on_source_closed(self) -> None:
        self._source = None
        self.controls.source.set_source(None)
        self._update_title()

    @Slot()
    def _on_finished(self) -> None:
        name = self._source.name if self._source else "source"
        self.reporter.info(f"{END_MESSAGE} {name} (Space plays it again, L loops)")

    @Slot(bool)
    def _on_playing_changed(self, playing: bool) -> None:
        if playing:
            self.reporter.clear_if_showing(END_MESSAGE)  # the end is no longer where playback is
