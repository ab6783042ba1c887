"""The *Preprocessing* group: channel order, resize mode, interpolation and a float input's range.

Reproduces a board's preprocessing (see :mod:`movenet_studio.core.preprocessing.profile`);
changing it rebuilds the pipeline (it changes what the model sees). The float input range
is offered only for float32-input model files and is remembered per file by the window.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QWidget

from ...core.models.model_io import FLOAT_RANGES, range_name
from ...core.preprocessing.profile import CHANNELS, INTERPOLATIONS, RESIZE_MODES, PreprocessProfile


class PreprocessControls(QGroupBox):
    """Combo boxes for the profile and the float input range.

    Signals:
        profile_changed(PreprocessProfile): the user picked another channel order, resize or
            interpolation (route to ``Engine.update_config(preprocess=...)``).
        input_range_changed(tuple): (lo, hi) for a float32-input file (``update_config(input_range=...)``).
    """

    profile_changed = Signal(object)
    input_range_changed = Signal(object)

    def __init__(self, profile: PreprocessProfile = PreprocessProfile(), parent: QWidget | None = None):
        super().__init__("Preprocessing", parent)
        self.channels = self._combo(CHANNELS, "Channel order fed to the model (NXP's examples feed BGR)")
        self.resize_mode = self._combo(RESIZE_MODES, "How the frame becomes the model input; stretch and centre-crop "
                                                     "turn crop tracking off (ST's model zoo evaluates with stretch)")
        self.interpolation = self._combo(INTERPOLATIONS, "Resize interpolation (auto: area when shrinking, bilinear "
                                                         "when enlarging; ST evaluates with nearest)")
        self.input_range = self._combo(tuple(FLOAT_RANGES), "Values a float32-input model expects for pixels 0..255 "
                                                            "(remembered per model file)")
        layout = QFormLayout(self)
        layout.addRow("Channels", self.channels)
        layout.addRow("Resize", self.resize_mode)
        layout.addRow("Interpolation", self.interpolation)
        layout.addRow("Float input", self.input_range)
        self.show_profile(profile)
        self.show_input(None)
        for combo in (self.channels, self.resize_mode, self.interpolation):
            combo.currentIndexChanged.connect(self._emit_profile)
        self.input_range.currentIndexChanged.connect(
            lambda _i: self.input_range_changed.emit(FLOAT_RANGES[self.input_range.currentText()]))

    @staticmethod
    def _combo(items, tip: str) -> QComboBox:
        combo = QComboBox()
        combo.addItems(list(items))
        combo.setToolTip(tip)
        combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return combo

    @property
    def profile(self) -> PreprocessProfile:
        """The profile the combo boxes show."""
        return PreprocessProfile(self.channels.currentText(), self.resize_mode.currentText(),
                                 self.interpolation.currentText())

    def _emit_profile(self, _index: int) -> None:
        self.profile_changed.emit(self.profile)

    def show_profile(self, profile: PreprocessProfile) -> None:
        """Show `profile` (without emitting)."""
        for combo, value in ((self.channels, profile.channels), (self.resize_mode, profile.resize),
                             (self.interpolation, profile.interpolation)):
            combo.blockSignals(True)
            combo.setCurrentText(value)
            combo.blockSignals(False)

    def show_input(self, value_range: tuple[float, float] | None) -> None:
        """Show the running model's float input range, or disable the box (None: not a float input)."""
        self.input_range.blockSignals(True)
        if value_range is not None and range_name(value_range) in FLOAT_RANGES:
            self.input_range.setCurrentText(range_name(value_range))
        self.input_range.setEnabled(value_range is not None)
        self.input_range.blockSignals(False)
