"""Routes the *Preprocessing* group (:mod:`.preprocess_controls`) to the engine and the
settings: a new profile or float input range rebuilds the pipeline and is remembered (the
range per model file); a loaded model's profile and input range are shown."""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot

from ..engine import Engine
from ..controls.preprocess_controls import PreprocessControls
from ..settings import StudioSettings
from .window_setup import is_model_path


class PreprocessController(QObject):
    """Connects `controls` to `engine` (``update_config``, ``model_changed``) and `settings`."""

    def __init__(self, controls: PreprocessControls, engine: Engine, settings: StudioSettings,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.controls, self.engine, self.settings = controls, engine, settings
        controls.profile_changed.connect(self._set_preprocess)
        controls.input_range_changed.connect(self._set_input_range)
        engine.model_changed.connect(self._show_preprocess)

    @Slot(object)
    def _set_preprocess(self, profile) -> None:
        """A new preprocessing profile: remembered, and the pipeline rebuilt with it."""
        self.settings.preprocess = profile
        self.engine.update_config(preprocess=profile)

    @Slot(object)
    def _set_input_range(self, value_range) -> None:
        """A float input range for the running model file: remembered for that file, pipeline rebuilt."""
        model = self.engine.config.model
        if is_model_path(model):
            self.settings.set_input_range_for(model, value_range)
        self.engine.update_config(input_range=tuple(value_range))

    @Slot(object)
    def _show_preprocess(self, info) -> None:
        """Show the running model's profile and, for a float32-input file, its input range."""
        self.controls.show_profile(info.config.preprocess)
        io = getattr(info.spec, "io", None)
        self.controls.show_input(io.input.value_range if io is not None and io.input.dtype == "float32" else None)
