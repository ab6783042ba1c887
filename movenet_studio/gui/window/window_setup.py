"""What the main window decides before it builds anything: its name, which path is a model,
and the pipeline configuration it starts with (command-line choices over saved settings)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ...core.backends import default_backend
from ...core.pipeline_config import PipelineConfig
from ...core.preprocessing.profile import PreprocessProfile
from ...core.tracking.smoothing import OneEuroConfig
from ..controls.side_panel import MODEL_EXTENSIONS
from ..settings import StudioSettings

APP_NAME = "MoveNet Studio"


def is_model_path(path: str | Path) -> bool:
    """True when `path` names a model file (.tflite / .onnx) rather than a source."""
    return Path(str(path)).suffix.lower() in MODEL_EXTENSIONS


def _is_missing_file(model: str) -> bool:
    """True when a saved model names a file (not a catalog key) that is not there any more."""
    return is_model_path(model) and not Path(model).expanduser().is_file()


def startup_config(settings: StudioSettings, *, model: str | None, backend: str | None, threads: int,
                   provider: str | None, tracker: str | None, min_pose_score: float | None, crop: bool | None,
                   smoothing: bool | None, one_euro: OneEuroConfig | None, preprocess: PreprocessProfile | None = None,
                   input_range: tuple[float, float] | None = None, first_crop: str | None = None
                   ) -> tuple[PipelineConfig, str]:
    """The configuration the window starts with: each argument given (not None) wins over the
    saved setting (see :class:`~.main_window.MainWindow` for their meaning).

    A saved model file that no longer exists is replaced by the default model. As in the CLI,
    a model file picks its backend by its format unless a backend is named.

    Returns:
        (config, note): `note` says why the saved model was not used, else ``""``.
    """
    saved_model, note = settings.model, ""
    if model is None and _is_missing_file(saved_model):
        note = f"the saved model {saved_model} no longer exists; using {PipelineConfig().model}"
        saved_model = PipelineConfig().model
    chosen = model or saved_model
    backend = backend or (default_backend(chosen) if is_model_path(chosen) else settings.backend)
    config = PipelineConfig(model=chosen, backend=backend, threads=threads)
    config = replace(config, provider=provider or (settings.provider if config.backend == "onnx" else None),
                     tracker=tracker or settings.tracker,
                     min_pose_score=settings.min_pose_score if min_pose_score is None else min_pose_score,
                     crop=crop is not False, first_crop=first_crop or "centre", smoothing=smoothing is not False, one_euro=one_euro or settings.one_euro,
                     preprocess=preprocess or settings.preprocess,
                     input_range=input_range or (settings.input_range_for(chosen) if is_model_path(chosen) else None))
    return config, note
