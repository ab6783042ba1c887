"""Exceptions of the core. Each carries a one-line message meant for the user."""


class StudioError(Exception):
    """Base class: an error whose message is shown to the user as is (one line, no traceback)."""


class ModelError(StudioError):
    """A model file is missing, unreadable, or not a MoveNet model."""


class BackendError(StudioError):
    """A runtime (TFLite, ONNX Runtime) is missing or failed to load or run a model."""


class SourceError(StudioError):
    """A frame source (video, image, folder, camera) cannot be opened or read."""
