"""Logging: a rotating log file in the platform's log directory, and stderr with ``--verbose``.

Logging never fails a command and never prints a traceback: the log file is opened only
when it is a regular file (a FIFO or device there is refused without blocking), names with
undecodable bytes are written escaped, and when the file cannot be created or written (a
full disk, a read-only folder) one note goes to stderr and logging continues without the
file (with ``--verbose``, on stderr).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import stat
import sys
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


def _note(text: str) -> None:
    """One line on stderr about the log itself (never raises)."""
    from .core.text import printable

    try:
        print(f"movenet-studio: note: {printable(text)}", file=sys.stderr, flush=True)
    except Exception:  # noqa: BLE001 - stderr closed: nothing left to tell
        pass


class SafeRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating file handler that opens only regular files (O_NONBLOCK, verified with fstat),
    writes undecodable characters escaped, and on its first write error prints one note on
    stderr and removes itself instead of printing a traceback per record."""

    def _open(self):
        try:
            mode = os.stat(self.baseFilename).st_mode
        except OSError:
            mode = None
        if mode is not None and not stat.S_ISREG(mode):
            from .core.file_kinds import kind_of

            raise OSError(0, f"it is {kind_of(mode)}, not a regular file")
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        fd = os.open(self.baseFilename, flags, 0o666)
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            os.close(fd)
            raise OSError(f"{self.baseFilename} is not a regular file")
        os.set_blocking(fd, True)
        return open(fd, "a", encoding="utf-8", errors="backslashreplace")

    def shouldRollover(self, record) -> bool:  # noqa: N802 (logging's name)
        try:
            return bool(super().shouldRollover(record))
        except Exception:  # noqa: BLE001
            return False

    def handleError(self, record) -> None:  # noqa: N802 (logging's name)
        exc = sys.exc_info()[1]
        reason = getattr(exc, "strerror", None) or exc or "unknown error"
        logger = logging.getLogger(LOGGER_NAME)
        logger.removeHandler(self)
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass
        _note(f"cannot write the log file {self.baseFilename} ({reason}); logging without it from now on")


class _EscapingFormatter(logging.Formatter):
    """Escapes control characters and undecodable bytes of the message (not of a traceback) and hides
    URL credentials in both (:func:`~.core.text.hide_credentials`)."""

    def formatMessage(self, record) -> str:  # noqa: N802 (logging's name)
        from .core.text import printable

        record.message = printable(record.message)
        return super().formatMessage(record)

    def formatException(self, ei) -> str:  # noqa: N802 (logging's name)
        from .core.text import hide_credentials

        return hide_credentials(super().formatException(ei))


def configure_logging(verbose: bool = False) -> Path | None:
    """Send the ``movenet_studio`` logger to a rotating file (1 MB x 3) and, if `verbose`, stderr.

    Idempotent: a second call only adjusts the stderr handler. A log folder or file that
    cannot be used is not an error: one note on stderr, and the app runs without a log file.

    Returns:
        The log file's path, or None when it could not be opened.
    """
    logging.raiseExceptions = False  # a failing handler never prints a traceback
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    path = None
    files = [h for h in logger.handlers if isinstance(h, logging.handlers.RotatingFileHandler)]
    if files:
        path = Path(files[0].baseFilename)
    else:
        folder = None
        try:
            folder = log_dir()
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / "movenet-studio.log"
            handler = SafeRotatingFileHandler(path, maxBytes=_MAX_BYTES, backupCount=_BACKUPS, encoding="utf-8",
                                              errors="backslashreplace")
            handler.setFormatter(_EscapingFormatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
            handler.setLevel(logging.INFO)
            logger.addHandler(handler)
        except (OSError, ValueError) as exc:
            _note(f"cannot use the log {'file ' + str(path) if path else 'folder ' + str(folder)} "
                  f"({getattr(exc, 'strerror', None) or exc}); running without a log file")
            path = None
    for handler in [h for h in logger.handlers if getattr(h, "_studio_stderr", False)]:
        logger.removeHandler(handler)
    if verbose:
        stderr = logging.StreamHandler()
        stderr._studio_stderr = True
        stderr.setFormatter(_EscapingFormatter("%(levelname)s %(name)s: %(message)s"))
        stderr.setLevel(logging.DEBUG)
        logger.addHandler(stderr)
    return path
