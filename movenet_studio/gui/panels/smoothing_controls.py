"""The One Euro filter's tunable parameters: min cut-off, beta, derivative cut-off, and a reset
to TF.js's values. Changes apply live (``Engine.set_one_euro``): no model reload, no reset."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QGroupBox, QPushButton, QWidget

from ...core.tracking.smoothing import MOVENET_KEYPOINT_FILTER_CONFIG, OneEuroConfig

_TIP = ("TF.js's One Euro filter runs on keypoints normalised to the frame; the crop region follows "
        "the smoothed keypoints, so the filter also changes the next frame's crop")


class SmoothingControls(QGroupBox):
    """Spin boxes for the One Euro parameters and a *Reset to TF.js defaults* button.

    Args:
        config: the parameters to show first.

    Signals:
        one_euro_changed(OneEuroConfig): the user changed a parameter (route to
            ``Engine.set_one_euro``); the other fields of the config (frequency, thresholded
            low-pass, value scaling) stay TF.js's.
    """

    one_euro_changed = Signal(object)

    def __init__(self, config: OneEuroConfig = MOVENET_KEYPOINT_FILTER_CONFIG, parent: QWidget | None = None):
        super().__init__("Smoothing filter (One Euro)", parent)
        self.setToolTip(_TIP)
        self.min_cutoff = self._spin(0.01, 100.0, 0.1, 2, " Hz",
                                     "Cut-off frequency of a still keypoint: lower smooths more and lags more "
                                     "(TF.js: 2.5 Hz)")
        self.beta = self._spin(0.0, 100_000.0, 10.0, 1, "",
                               "How fast the cut-off grows with the keypoint's speed (in frame heights or "
                               "widths per second): higher follows fast moves with less lag (TF.js: 300)")
        self.d_cutoff = self._spin(0.01, 100.0, 0.1, 2, " Hz",
                                   "Cut-off frequency of the speed estimate (TF.js: 2.5 Hz)")
        self.reset_button = QPushButton("Reset to TF.js defaults")
        self.reset_button.setToolTip("min cut-off 2.5 Hz, beta 300, derivative cut-off 2.5 Hz "
                                     "(tfjs-models pose-detection MoveNet KEYPOINT_FILTER_CONFIG)")
        layout = QFormLayout(self)
        layout.addRow("Min cut-off", self.min_cutoff)
        layout.addRow("Beta", self.beta)
        layout.addRow("Derivative cut-off", self.d_cutoff)
        layout.addRow(self.reset_button)
        self._base = config
        self.show_config(config)
        for spin in (self.min_cutoff, self.beta, self.d_cutoff):
            spin.valueChanged.connect(self._changed)
        self.reset_button.clicked.connect(self.reset_to_tfjs)

    @staticmethod
    def _spin(low: float, high: float, step: float, decimals: int, suffix: str, tip: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(low, high)
        spin.setSingleStep(step)
        spin.setDecimals(decimals)
        spin.setSuffix(suffix)
        spin.setToolTip(tip)
        spin.setKeyboardTracking(False)  # typed values apply on Enter / focus out, not per keystroke
        spin.setAlignment(Qt.AlignmentFlag.AlignRight)
        return spin

    @property
    def config(self) -> OneEuroConfig:
        """The parameters shown, as a full :class:`OneEuroConfig`."""
        return replace(self._base, min_cutoff=self.min_cutoff.value(), beta=self.beta.value(),
                       derivate_cutoff=self.d_cutoff.value())

    def show_config(self, config: OneEuroConfig) -> None:
        """Show `config`'s parameters without emitting :attr:`one_euro_changed`."""
        self._base = config
        for spin, value in ((self.min_cutoff, config.min_cutoff), (self.beta, config.beta),
                            (self.d_cutoff, config.derivate_cutoff)):
            spin.blockSignals(True)
            spin.setValue(value)
            spin.blockSignals(False)
        self.reset_button.setEnabled(config != MOVENET_KEYPOINT_FILTER_CONFIG)

    @Slot()
    def reset_to_tfjs(self) -> None:
        """Show and apply TF.js's parameters."""
        if self.config != MOVENET_KEYPOINT_FILTER_CONFIG:
            self.show_config(MOVENET_KEYPOINT_FILTER_CONFIG)
            self.one_euro_changed.emit(MOVENET_KEYPOINT_FILTER_CONFIG)

    @Slot()
    def _changed(self) -> None:
        config = self.config
        self._base = config
        self.reset_button.setEnabled(config != MOVENET_KEYPOINT_FILTER_CONFIG)
        self.one_euro_changed.emit(config)
