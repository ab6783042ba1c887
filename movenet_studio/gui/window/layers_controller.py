"""Tools > Compare layers...: the Layers dock, its background worker and what it captures.

A is the model the engine runs; B is configuration B of Compare A / B while compare mode is
on (and then B's own model input is used), else the configuration picked in the dock
(default: the other precision of A, or A on the other backend). While the dock is visible,
every result the window receives offers its model input to the
:class:`~.layers_worker.LayerWorker` (newest wins); hidden, nothing is captured. The
engine and its pipelines are never touched: playback, tracking and the model's input stay
exactly as they were.
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget

from ...core.analysis.compare import parse_spec
from ...core.errors import StudioError
from ...core.models.resolve import resolve_model
from ...core.models.catalog import ModelSpec, bundled_keys
from ..engine import EngineResult
from ..panels.layers_panel import LayersPanel
from ..settings import absolute_path
from ..layers_worker import LayerModels, LayerUpdate, LayerWorker


#: Settings keys of the dock's configuration B (absent: :func:`default_b`) and threshold in dB.
B_KEY, THRESHOLD_KEY = "layers/b", "layers/threshold_db"


def b_choices() -> tuple[str, ...]:
    """The B configurations offered in the dock: every bundled model, and ``:onnx`` variants."""
    keys = tuple(k for k in bundled_keys() if k not in ("lightning", "thunder"))
    return keys + tuple(f"{k}:onnx" for k in keys if not k.endswith("-int8"))


def default_b(spec: ModelSpec) -> str:
    """B for A = `spec`: int8 <-> float16 of the same bundled model, else A on the other backend."""
    key = spec.key
    if spec.bundled and key.endswith("-int8"):
        return key.replace("-int8", "-float16")
    if spec.bundled and key.endswith("-float16") and key.replace("-float16", "-int8") in bundled_keys():
        return key.replace("-float16", "-int8")
    other = "tflite" if spec.format == "onnx" else "onnx"
    return f"{key if spec.bundled else spec.path}:{other}"


def _label(spec: ModelSpec) -> str:
    return f"{spec.key} ({spec.format})"


class LayersController(QObject):
    """Owns the Layers dock of `window` (a :class:`~.main_window.MainWindow`).

    Attributes:
        panel: the :class:`~.layers_panel.LayersPanel` in :attr:`dock`.
        dock: the dock widget (hidden until Tools > Compare layers...).
        action: the Tools menu action (Ctrl+Shift+L).
        worker: the background :class:`~.layers_worker.LayerWorker`.
    """

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.panel = LayersPanel(b_choices())
        self.dock = window._dock("Layers", "layersDock", self.panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.dock.hide()
        self.action = QAction("Compare &layers…", window)
        self.action.setShortcut(QKeySequence("Ctrl+Shift+L"))
        self.action.setStatusTip("Capture every tensor of A and B on the current frame and find where B diverges")
        self.action.triggered.connect(self.show)
        window.addAction(self.action)
        self.worker = LayerWorker(self)
        self._b_spec: str | None = None  # None: default_b(A)
        self._restore()
        self._b_cache: dict[str, tuple[Path, str, str] | str] = {}
        self._last: EngineResult | None = None
        self._models: LayerModels | None = None
        self.worker.updated.connect(self._updated)
        self.worker.failed.connect(self._failed)
        self.panel.b_requested.connect(self.set_b)
        self.panel.threshold_changed.connect(self._threshold_changed)
        self.panel.reset_requested.connect(self.worker.reset)
        window.player.opened.connect(self._source_opened)  # the running mean covers one video
        self.dock.visibilityChanged.connect(self._visibility_changed)
        window.engine.result_ready.connect(self.on_result)

    @Slot(object)
    def _source_opened(self, _info) -> None:
        """A new source: its frames start a new running mean (an input of the old one still
        waiting is dropped)."""
        self.worker.drop_pending()
        self.worker.reset()

    @Slot()
    def show(self) -> None:
        """Show and raise the dock (captures start with the current frame); it shares the
        window's bottom area as a tab with another dock there (e.g. the Timeline)."""
        window = self.window
        if not self.dock.isVisible() and not self.dock.isFloating():
            area = window.dockWidgetArea(self.dock)
            others = [d for d in window.findChildren(QDockWidget) if d is not self.dock and d.isVisible()
                      and not d.isFloating() and window.dockWidgetArea(d) == area]
            if others and self.dock not in window.tabifiedDockWidgets(others[0]):
                window.tabifyDockWidget(others[0], self.dock)
        was_visible = self.dock.isVisible()
        self.dock.show()
        self.dock.raise_()
        if not was_visible and not self.dock.isFloating():  # room for the plot, 8 rows and the grids
            window.resizeDocks([self.dock], [int(window.height() * 0.45)], Qt.Orientation.Vertical)

    def _restore(self) -> None:
        """B and the threshold remembered in the settings (an unreadable threshold: the default)."""
        qs = self.window.settings.qsettings
        b = qs.value(B_KEY)
        self._b_spec = b.strip() if isinstance(b, str) and b.strip() else None
        try:
            threshold = float(qs.value(THRESHOLD_KEY))
        except (TypeError, ValueError):
            return
        if math.isfinite(threshold):
            self.panel.threshold_spin.setValue(threshold)

    @Slot(float)
    def _threshold_changed(self, value: float) -> None:
        self.window.settings.qsettings.setValue(THRESHOLD_KEY, float(value))

    @Slot(str)
    def set_b(self, spec: str) -> None:
        """Use configuration B = `spec` (``model[:backend]`` or a file; remembered in the
        settings, a file path made absolute) when compare mode is off."""
        spec = spec if spec in b_choices() else absolute_path(spec)
        self._b_spec = spec
        self.window.settings.qsettings.setValue(B_KEY, spec)
        if self._last is not None:
            self.on_result(self._last)

    @Slot(object)
    def on_result(self, result: EngineResult) -> None:
        """Offer the result's model input to the worker while the dock is visible."""
        self._last = result
        if not self.dock.isVisible() or result.result.model_input is None:
            return
        models = self._models_for(result)
        if models is None:
            return
        if models != self._models:
            self._models = models
            self.panel.reset_view()
            self.panel.set_status(f"capturing A {models.label_a} and B {models.label_b}…")
        self.worker.set_models(models)
        image_b = result.compare.b.model_input if result.compare is not None else None
        self.worker.submit(result.result.model_input, image_b, result.result.index)

    def _models_for(self, result: EngineResult) -> LayerModels | None:
        spec_a = result.model.spec
        if result.compare is not None and result.model.compare is not None:
            spec_b = result.model.compare.spec
            self.panel.set_b_spec(f"{_label(spec_b)}: B of Compare A / B", editable=False)
        else:
            text = self._b_spec or default_b(spec_a)
            self.panel.set_b_spec(text)
            resolved = self._resolve(text)
            if isinstance(resolved, str):
                self.panel.set_status(resolved)
                return None
            return LayerModels(spec_a.path, spec_a.format, *resolved[:2], _label(spec_a), resolved[2])
        return LayerModels(spec_a.path, spec_a.format, spec_b.path, spec_b.format, _label(spec_a), _label(spec_b))

    def _resolve(self, text: str) -> tuple[Path, str, str] | str:
        """(path, format, label) of B for `text`, or a one-line error (cached: a file is probed
        once). A model file the pipeline refuses (e.g. a heatmap-only zoo file) is still
        captured, as the ``layers`` command does: only its path and format matter here."""
        if text not in self._b_cache:
            try:
                model, backend = parse_spec(text)
                spec = resolve_model(model, backend)
                self._b_cache[text] = (spec.path, spec.format, _label(spec))
            except StudioError as exc:
                path = Path(text.strip()).expanduser()
                if path.is_file() and path.suffix.lower() in (".tflite", ".onnx"):
                    fmt = path.suffix.lower()[1:]
                    self._b_cache[text] = (path, fmt, f"{path.name} ({fmt})")
                else:
                    self._b_cache[text] = f"B: {exc}"
        return self._b_cache[text]

    @Slot(bool)
    def _visibility_changed(self, visible: bool) -> None:
        if visible:
            self.worker.start()
            if self._last is not None:
                self.on_result(self._last)
        else:
            self.worker.drop_pending()

    @Slot(object)
    def _updated(self, update: LayerUpdate) -> None:
        if update.models == self._models and self.dock.isVisible():
            self.panel.show_update(update)

    @Slot(str)
    def _failed(self, message: str) -> None:
        self.panel.set_status(message)

    def shutdown(self) -> bool:
        """Stop the worker thread (window closing); True when it ended."""
        return self.worker.stop()
