"""Compare mode's dock content: the compare switch, configuration B (model with its precision,
backend, threads), the view mode and the distance table (:mod:`.compare_view` for the whole)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QGroupBox, QPushButton, QSpinBox, QVBoxLayout, QWidget

from ...core.errors import StudioError
from ...core.models.catalog import bundled_keys, bundled_model
from ...core.pipeline_config import PipelineConfig
from ..controls.availability import sync_backend_items, sync_model_items
from ..controls.availability import BACKEND_LABELS
from .compare_table import CompareTable
from .compare_view import OVERLAY, SIDE_BY_SIDE
from ..controls.side_panel import model_label


class ComparePanel(QWidget):
    """The compare dock's content: switch, configuration B, view mode, and the distance table.

    Signals:
        changed(): the switch or configuration B changed (the controller then asks the engine).
        view_mode_changed(str): :data:`OVERLAY` or :data:`SIDE_BY_SIDE`.
    """

    changed = Signal()
    view_mode_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        group = QGroupBox("Configuration B")
        self.enable_check = QCheckBox("Compare A with B")
        self.enable_check.setToolTip("Run configuration B on every frame beside the current model (A), "
                                     "on the same model input")
        self.model_combo = QComboBox()
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setMinimumContentsLength(10)
        for key in bundled_keys():
            self.model_combo.addItem(model_label(key), key)
        self.backend_combo = QComboBox()
        self.backend_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.backend_combo.setMinimumContentsLength(10)
        for name, label in BACKEND_LABELS.items():
            self.backend_combo.addItem(label, name)
        self.threads_spin = QSpinBox()
        self.threads_spin.setRange(1, 64)
        self.threads_spin.setValue(2)
        self.threads_spin.setSuffix(" threads")
        self.threads_spin.setKeyboardTracking(False)
        self.mode_combo = QComboBox()
        self.mode_combo.addItem("Overlay", OVERLAY)
        self.mode_combo.addItem("Side by side", SIDE_BY_SIDE)
        self.reset_button = QPushButton("Reset")
        self.model_combo.setToolTip("B's model and weight precision")
        self.backend_combo.setToolTip("B's backend (the int8 models have no ONNX file)")
        self.mode_combo.setToolTip("Draw B over A in the same view, or in a second view beside it (linked zoom)")
        self.reset_button.setToolTip("Start the running mean / max again")
        grid = QGridLayout(group)
        grid.setVerticalSpacing(4)
        grid.addWidget(self.enable_check, 0, 0)
        grid.addWidget(self.reset_button, 0, 1)
        grid.addWidget(self.model_combo, 1, 0)
        grid.addWidget(self.backend_combo, 1, 1)
        grid.addWidget(self.threads_spin, 2, 0)
        grid.addWidget(self.mode_combo, 2, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        self.table = CompareTable()
        self.table.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(group)
        layout.addWidget(self.table)
        layout.addStretch(1)
        self.enable_check.toggled.connect(self._changed)
        self.model_combo.activated.connect(self._changed)
        self.backend_combo.activated.connect(self._changed)
        self.threads_spin.valueChanged.connect(self._changed)
        self.mode_combo.activated.connect(self._mode_picked)
        self.reset_button.clicked.connect(self.table.reset)

    @property
    def enabled(self) -> bool:
        """True while the compare switch is on."""
        return self.enable_check.isChecked()

    @property
    def view_mode(self) -> str:
        """:data:`OVERLAY` or :data:`SIDE_BY_SIDE`."""
        return self.mode_combo.currentData()

    def spec(self) -> tuple[str, str, int]:
        """Configuration B as shown: (model key or path, backend, threads)."""
        return self.model_combo.currentData(), self.backend_combo.currentData(), self.threads_spin.value()

    def show_config(self, enabled: bool, config: PipelineConfig | None) -> None:
        """Show a configuration B and the switch state without emitting."""
        widgets = (self.enable_check, self.model_combo, self.backend_combo, self.threads_spin)
        for widget in widgets:
            widget.blockSignals(True)
        self.enable_check.setChecked(enabled)
        if config is not None:
            self._select_model(config.model)
            self.backend_combo.setCurrentIndex(max(0, self.backend_combo.findData(config.backend)))
            self.threads_spin.setValue(config.threads)
        for widget in widgets:
            widget.blockSignals(False)
        self.table.setVisible(enabled)
        self._sync_availability()

    def _select_model(self, name: str) -> None:
        index = self.model_combo.findData(name)
        if index < 0:
            try:  # an alias such as "lightning-int8" -> itself, "lightning" -> "lightning-float16"
                index = self.model_combo.findData(bundled_model(name).key)
            except StudioError:
                index = -1
        if index < 0:  # a model file
            self.model_combo.addItem(name.replace("\\", "/").rsplit("/", 1)[-1], name)
            index = self.model_combo.count() - 1
            self.model_combo.setItemData(index, name, Qt.ItemDataRole.ToolTipRole)
        self.model_combo.setCurrentIndex(index)

    def set_view_mode(self, mode: str) -> None:
        """Pick a view mode (emits :attr:`view_mode_changed`)."""
        self.mode_combo.setCurrentIndex(max(0, self.mode_combo.findData(mode)))
        self.view_mode_changed.emit(self.view_mode)

    @Slot()
    def _changed(self, *_args) -> None:
        self.table.setVisible(self.enabled)
        self._sync_availability()
        self.changed.emit()

    def _sync_availability(self) -> None:
        """Grey out B's models that B's backend cannot run and backends B's model has no file for."""
        sync_model_items(self.model_combo, self.backend_combo.currentData())
        sync_backend_items(self.backend_combo, self.model_combo.currentData() or "", self.model_combo.currentText())

    @Slot(int)
    def _mode_picked(self, _index: int) -> None:
        self.view_mode_changed.emit(self.view_mode)
