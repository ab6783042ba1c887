"""Backend controls: which backend runs the model (TFLite / ONNX Runtime) and, on ONNX Runtime,
which execution provider.

The widget only emits requests (:attr:`BackendControls.backend_requested`); the main window
routes them to :meth:`Engine.update_config <movenet_studio.gui.engine.Engine.update_config>`
(the engine's one config path), and shows what the engine actually runs
(:meth:`BackendControls.show_model`): after a refused switch (e.g. ONNX with an int8 model,
which has no ONNX file) the selectors return to the running configuration, and a provider
that fell back to CPU shows the backend's note.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QWidget

from ...core.backends import available_providers, normalize_provider
from .availability import BACKEND_LABELS, sync_backend_items
from ..engine import ModelInfo

#: The provider entry meaning "the best available" (PipelineConfig.provider None).
AUTO = ""


def provider_label(provider: str | None) -> str:
    """Menu label of an execution provider: ``CUDAExecutionProvider`` -> ``CUDA``; None -> ``Auto``."""
    if not provider:
        return "Auto (best available)"
    name = provider[: -len("ExecutionProvider")] if provider.endswith("ExecutionProvider") else provider
    return name if name.lower() != "cpu" else "CPU"


class BackendControls(QGroupBox):
    """Backend and ONNX execution-provider selectors, plus the backend's fallback note.

    Signals:
        backend_requested(str, object): (backend, provider or None): run the model there.
            Picking a provider implies the ONNX Runtime backend.
    """

    backend_requested = Signal(str, object)

    def __init__(self, backend: str = "tflite", provider: str | None = None, parent: QWidget | None = None):
        super().__init__("Backend", parent)
        self.backend_combo = QComboBox()
        for name, label in BACKEND_LABELS.items():
            self.backend_combo.addItem(label, name)
        self.backend_combo.setToolTip("Backend that runs the model; the bundled int8 models exist for TFLite only")
        self.provider_combo = QComboBox()
        self.provider_combo.setToolTip("ONNX Runtime execution provider; one that is missing or fails "
                                       "falls back to CPU (with a note)")
        self.refresh_providers()
        self.note_label = QLabel()
        self.note_label.setWordWrap(True)
        self.note_label.setStyleSheet("color: #ffb74d;")
        self.note_label.setVisible(False)
        layout = QFormLayout(self)
        layout.addRow("Backend", self.backend_combo)
        layout.addRow("Provider", self.provider_combo)
        layout.addRow(self.note_label)
        self._running: tuple[str, str | None] = (backend, normalize_provider(provider))
        self._show(*self._running)
        self.backend_combo.activated.connect(self._picked)
        self.provider_combo.activated.connect(self._picked)

    @property
    def backend(self) -> str:
        """The backend shown."""
        return self.backend_combo.currentData()

    @property
    def provider(self) -> str | None:
        """The provider shown (None: automatic)."""
        return self.provider_combo.currentData() or None

    @property
    def note(self) -> str:
        """The fallback note shown, or ``""``."""
        return self.note_label.text() if self.note_label.isVisibleTo(self) else ""

    def refresh_providers(self) -> None:
        """Re-read the providers onnxruntime lists (keeps the current choice when still listed)."""
        current = self.provider_combo.currentData()
        self.provider_combo.blockSignals(True)
        self.provider_combo.clear()
        self.provider_combo.addItem(provider_label(None), AUTO)
        for provider in available_providers():
            self.provider_combo.addItem(provider_label(provider), provider)
            self.provider_combo.setItemData(self.provider_combo.count() - 1, provider,
                                              Qt.ItemDataRole.ToolTipRole)
        index = self.provider_combo.findData(current) if current is not None else 0
        self.provider_combo.setCurrentIndex(max(0, index))
        self.provider_combo.blockSignals(False)

    def select(self, backend: str, provider: str | None = None) -> None:
        """Pick `backend` and `provider` as a user would (emits :attr:`backend_requested`)."""
        self._show(backend, provider)
        self._picked()

    @Slot()
    def _picked(self, _index: int = -1) -> None:
        backend, provider = self.backend, self.provider
        if self.sender() is self.provider_combo and provider and backend != "onnx":
            backend = "onnx"  # a provider is an ONNX Runtime setting
            self._show(backend, provider)
        self.provider_combo.setEnabled(backend == "onnx")
        self.backend_requested.emit(backend, provider if backend == "onnx" else None)

    def _show(self, backend: str, provider: str | None) -> None:
        provider = normalize_provider(provider)
        self.backend_combo.blockSignals(True)
        self.provider_combo.blockSignals(True)
        self.backend_combo.setCurrentIndex(max(0, self.backend_combo.findData(backend)))
        index = self.provider_combo.findData(provider or AUTO)
        if index < 0 and provider:  # asked for a provider this build does not list
            self.provider_combo.addItem(provider_label(provider), provider)
            index = self.provider_combo.count() - 1
        self.provider_combo.setCurrentIndex(max(0, index))
        self.provider_combo.setEnabled(backend == "onnx")
        self.backend_combo.blockSignals(False)
        self.provider_combo.blockSignals(False)

    def show_config(self, backend: str, provider: str | None) -> None:
        """Show a configuration (e.g. the one the engine starts with) without emitting."""
        self._running = (backend, normalize_provider(provider))
        self._show(*self._running)

    @Slot(object)
    def show_model(self, info: ModelInfo) -> None:
        """Show what runs: its backend and provider choice, and the backend's note if any."""
        self._running = (info.config.backend, normalize_provider(info.config.provider))
        self._show(*self._running)
        sync_backend_items(self.backend_combo, info.spec.key if info.spec.bundled else str(info.spec.path),
                           info.spec.label, None if info.spec.bundled else info.spec.format)
        note = info.note
        if info.provider and not note and info.config.provider and info.provider != normalize_provider(
                info.config.provider):
            note = f"{info.config.provider} not used; running on {provider_label(info.provider)}"
        self.note_label.setText(f"⚠ {note}" if note else "")
        self.note_label.setVisible(bool(note))
        running = provider_label(info.provider) if info.provider else ""
        self.provider_combo.setToolTip(f"Running on {running}" if running else
                                       "ONNX Runtime execution provider (ONNX backend only)")

    @Slot()
    def revert(self) -> None:
        """Show the running configuration again (after a refused switch)."""
        self._show(*self._running)

