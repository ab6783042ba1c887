"""How the main window opens what it is given: a path is a model when it is a .tflite/.onnx
file, else a source (video, image, folder, ``camera:N``); dropped paths likewise.

:class:`WindowSources` is a mixin of :class:`~.main_window.MainWindow`: it uses the window's
``player``, ``engine``, ``settings`` and ``reporter``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent

from ...core.backends import default_backend
from ...core.paths import sample_path
from .window_setup import is_model_path


class WindowSources:
    """Source and model requests of the main window, and its drag and drop."""

    @Slot()
    def open_sample(self) -> None:
        """Open and play the bundled sample video (pose_1.mp4, resources/samples)."""
        self.open_source(str(sample_path()))

    # ------------------------------------------------------------------ requests
    @Slot(str)
    def open_path(self, path: str) -> None:
        """Open `path` as a model when it is a .tflite/.onnx file, else as a source."""
        if is_model_path(path):
            self.open_model(path)
        else:
            self.open_source(path)

    @Slot(str)
    def open_source(self, spec: str) -> None:
        """Open a video, image, folder or ``camera:N`` (answer arrives asynchronously)."""
        self.reporter.info(f"Opening {spec}…")
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
            if is_model_path(path):
                self.open_model(path)
            else:
                sources.append(path)
        if sources:
            self.open_source(sources[0])
            if len(sources) > 1:
                self.reporter.info(f"Opened {Path(sources[0]).name}; {len(sources) - 1} more dropped path(s) ignored")

    # ------------------------------------------------------------------ drag and drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt name)
        """Accept local files and folders."""
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt name)
        """Open dropped files: video/image/folder as the source, .tflite/.onnx as the model."""
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.handle_paths(paths)
        else:
            event.ignore()
