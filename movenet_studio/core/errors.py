"""Exceptions of the core. Each carries a one-line message meant for the user."""


class StudioError(Exception):
    """Base class: an error whose message is shown to the user as is (one line, no traceback)."""


class ModelError(StudioError):
    """A model file is missing, unreadable, or not a MoveNet model."""


class BackendError(StudioError):
    """A runtime (TFLite, ONNX Runtime) is missing or failed to load or run a model."""


class SourceError(StudioError):
    """A frame source (video, image, folder, camera) cannot be opened or read."""


class Cancelled(StudioError):
    """A long job stopped because its caller cancelled it (:mod:`movenet_studio.core.progress`);
    nothing partial was left on disk.

    Attributes:
        partial: what the job had finished before it stopped, when that is useful on its own
            (bench: the :class:`~.bench.results.BenchReport` of the configurations measured,
            with ``cancelled=True``); None otherwise.
    """

    def __init__(self, message: str = "cancelled", partial: object = None):
        super().__init__(message)
        self.partial = partial
