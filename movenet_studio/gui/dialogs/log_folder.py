"""Help ▸ Open log folder: shows the folder of the rotating log file in the file manager."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QAction, QDesktopServices

from ...logs import log_dir


def open_log_folder() -> tuple[bool, Path]:
    """Create the log folder if needed and ask the desktop to open it.

    Returns:
        (opened, folder): whether the desktop accepted the request, and the folder
        (:func:`movenet_studio.logs.log_dir`).
    """
    folder = log_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False, folder
    return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))), folder


class LogFolderAction(QObject):
    """The "Open log folder" menu action; says where the folder is when it cannot be opened.

    Args:
        reporter: an :class:`~.messages.ErrorReporter` (status-bar messages).
        parent: the window (owns the action).

    Attributes:
        action: the QAction to put in a menu.
    """

    def __init__(self, reporter, parent: QObject):
        super().__init__(parent)
        self._reporter = reporter
        self.action = QAction("Open &log folder", parent)
        self.action.setStatusTip("Show the folder of MoveNet Studio's log file (errors with details)")
        self.action.triggered.connect(self.open)

    @Slot()
    def open(self) -> bool:
        """Open the log folder; True when the desktop accepted it."""
        opened, folder = open_log_folder()
        if opened:
            self._reporter.info(f"Log folder: {folder}")
        else:
            self._reporter.warn(f"could not open the log folder {folder}")
        return opened
