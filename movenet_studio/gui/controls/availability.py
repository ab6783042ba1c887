"""Impossible model / backend combinations (a bundled model without a file for that backend,
such as the int8 models on ONNX Runtime) shown disabled with a tooltip, never offered."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from ...core.models.catalog import bundled_formats

#: What the window calls each backend.
BACKEND_LABELS = {"tflite": "TFLite (LiteRT)", "onnx": "ONNX Runtime"}


def model_formats(name: str, file_format: str | None = None) -> tuple[str, ...]:
    """Backends that can run model `name`: a bundled key's files, else the file's own format."""
    formats = bundled_formats(name)
    if formats:
        return formats
    return (file_format,) if file_format else ("tflite", "onnx")


def unavailable_tip(model_label: str, backend: str) -> str:
    """Tooltip of a disabled choice, e.g. 'Lightning · int8 has no ONNX Runtime file ...'."""
    return (f"{model_label} has no {BACKEND_LABELS.get(backend, backend)} file (the bundled int8 models "
            f"exist for TFLite only); pick another model or backend")


def set_item_available(combo: QComboBox, index: int, available: bool, tip: str = "") -> None:
    """Enable or disable (greyed, not selectable) item `index` of `combo`; `tip` is its tooltip
    while disabled."""
    item = combo.model().item(index)
    if item is None:
        return
    item.setEnabled(available)
    combo.setItemData(index, None if available else tip, Qt.ItemDataRole.ToolTipRole)


def sync_backend_items(combo: QComboBox, model_name: str, model_text: str, file_format: str | None = None) -> None:
    """Disable the backends of a backend `combo` (item data = backend name) that cannot run `model_name`."""
    formats = model_formats(model_name, file_format)
    for index in range(combo.count()):
        backend = combo.itemData(index)
        set_item_available(combo, index, backend in formats, unavailable_tip(model_text, backend))


def sync_model_items(combo: QComboBox, backend: str) -> None:
    """Disable the bundled models of a model `combo` (item data = key or path) that `backend` cannot run."""
    for index in range(combo.count()):
        name = combo.itemData(index)
        formats = bundled_formats(name) if name else ()
        set_item_available(combo, index, not formats or backend in formats,
                           unavailable_tip(combo.itemText(index), backend))
