"""How the inference worker words its failures: one line per exception, a model that cannot
be loaded named once, and the same per-frame error reported at most once per interval."""

from __future__ import annotations

import os
import time
import traceback

from ..errors import StudioError
from ..pipeline_config import PipelineConfig

#: The same per-frame error (same exception text, whatever the frame) is reported at most
#: once per this many seconds, so a model failing on every frame does not flood the window.
ERROR_REPEAT_INTERVAL = 2.0


def one_line(exc: BaseException) -> str:
    """One line for `exc`: a :class:`StudioError`'s own text, else the type and the text."""
    return str(exc) if isinstance(exc, StudioError) else f"{type(exc).__name__}: {exc}"


def model_failure(config: PipelineConfig, config_b: PipelineConfig | None, exc: BaseException) -> tuple[str, str]:
    """(message, details) for a model request that failed with `exc` (call it in the ``except``
    block: details are the traceback, empty for a :class:`StudioError`). The message names the
    model(s) once: a file name the error text starts with is not repeated."""
    message = one_line(exc)
    details = "" if isinstance(exc, StudioError) else traceback.format_exc()
    what = config.model if config_b is None else f"{config.model} vs {config_b.model} ({config_b.backend})"
    for model in (config.model, config_b.model if config_b is not None else None):
        name = f"{os.path.basename(model)}: " if model else ""
        if name and message.startswith(name):  # the path is named already: not the file name again
            message = message[len(name):]
    return f"cannot load model {what}: {message}", details


class RepeatFilter:
    """Lets a message through at most once per `interval` seconds (monotonic clock)."""

    def __init__(self, interval: float):
        self.interval = interval
        self._last: tuple[str, float] = ("", 0.0)

    def first(self, key: str) -> bool:
        """True when `key` should be reported now (another key, or the interval has passed)."""
        last, when = self._last
        now = time.monotonic()
        if key == last and now - when < self.interval:
            return False
        self._last = (key, now)
        return True
