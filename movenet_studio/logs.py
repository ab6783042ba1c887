"""Logging: a rotating log file in the platform's log directory, and stderr with ``--verbose``."""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

LOGGER_NAME = "movenet_studio"
_MAX_BYTES = 1_000_000
_BACKUPS = 3


def log_dir() -> Path:
    """The platform's log folder for MoveNet Studio (``MOVENET_STUDIO_LOG_DIR`` overrides it).

    Linux: ``~/.local/state/movenet-studio/log``; macOS: ``~/Library/Logs/movenet-studio``;
    Windows: ``%LOCALAPPDATA%\\movenet-studio\\Logs`` (platformdirs).
    """
    override = os.environ.get("MOVENET_STUDIO_LOG_DIR")
    if override:
        return Path(override)
    from platformdirs import user_log_dir

    return Path(user_log_dir("movenet-studio", appauthor=False))


def configure_logging(verbose: bool = False) -> Path | None:
    """Send the ``movenet_studio`` logger to a rotating file (1 MB x 3) and, if `verbose`, stderr.

    Idempotent: a second call only adjusts the stderr handler. A log folder that cannot be
    created is not an error (the app runs without a log file).

    Returns:
        The log file's path, or None when it could not be opened.
    """
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    path = None
    files = [h for h in logger.handlers if isinstance(h, logging.handlers.RotatingFileHandler)]
    if files:
        path = Path(files[0].baseFilename)
    else:
        try:
            folder = log_dir()
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / "movenet-studio.log"
            handler = logging.handlers.RotatingFileHandler(path, maxBytes=_MAX_BYTES, backupCount=_BACKUPS,
                                                           encoding="utf-8")
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
            handler.setLevel(logging.INFO)
            logger.addHandler(handler)
        except OSError:
            path = None
    for handler in [h for h in logger.handlers if getattr(h, "_studio_stderr", False)]:
        logger.removeHandler(handler)
    if verbose:
        stderr = logging.StreamHandler()
        stderr._studio_stderr = True
        stderr.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        stderr.setLevel(logging.DEBUG)
        logger.addHandler(stderr)
    return path
