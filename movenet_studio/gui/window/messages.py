"""User-visible error and status reporting: the status bar plus one non-modal details dialog.

Every message has its control characters escaped (:func:`~movenet_studio.core.text.printable`):
a file name cannot split a message over lines."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QStatusBar, QWidget

from ...core.text import printable

#: How long status-bar messages stay, in ms.
STATUS_TIMEOUT_MS = 8000


@dataclass(frozen=True, slots=True)
class Report:
    """One message shown to the user."""

    message: str
    details: str
    serious: bool


class ErrorReporter(QObject):
    """Shows messages in the status bar and serious ones also in a details dialog.

    The dialog is non-modal and reused, so a burst of errors never stacks dialogs and never
    blocks the window (or a test) in a nested event loop.

    Args:
        status_bar: where every message goes.
        dialog_parent: parent window of the details dialog.

    Signals:
        reported(str, str, bool): message, details, serious: after each report.
    """

    reported = Signal(str, str, bool)

    def __init__(self, status_bar: QStatusBar, dialog_parent: QWidget):
        super().__init__(dialog_parent)
        self._status = status_bar
        self._parent = dialog_parent
        self._dialog: QMessageBox | None = None
        self.history: list[Report] = []

    @property
    def last(self) -> Report | None:
        """The newest report, or None."""
        return self.history[-1] if self.history else None

    @property
    def dialog(self) -> QMessageBox | None:
        """The details dialog, once a serious error was shown."""
        return self._dialog

    @Slot(str)
    def info(self, message: str) -> None:
        """A plain status message (not recorded as an error)."""
        message = printable(message)
        self._status.showMessage(message, STATUS_TIMEOUT_MS)

    def clear_if_showing(self, *prefixes: str) -> bool:
        """Take a status message that starts with one of `prefixes` off the status bar (its
        state is over: "End of ..." once playback moved on, "Comparing with ..." once B ran);
        any other message stays. Returns True when one was cleared."""
        if self._status.currentMessage().startswith(prefixes):
            self._status.clearMessage()
            return True
        return False

    @Slot(str, str)
    def warn(self, message: str, details: str = "") -> None:
        """A problem worth a status-bar message (e.g. one frame failed)."""
        message = printable(message)
        self._record(message, details, False)
        self._status.showMessage(f"⚠ {message}", STATUS_TIMEOUT_MS * 2)

    @Slot(str, str)
    def serious(self, message: str, details: str = "") -> None:
        """A failed user action (open, load): status bar plus the details dialog."""
        message = printable(message)
        self._record(message, details, True)
        self._status.showMessage(f"⚠ {message}", STATUS_TIMEOUT_MS * 2)
        dialog = self._dialog
        if dialog is None:
            dialog = self._dialog = QMessageBox(self._parent)
            dialog.setIcon(QMessageBox.Icon.Warning)
            dialog.setWindowTitle("MoveNet Studio")
            dialog.setStandardButtons(QMessageBox.StandardButton.Close)
            dialog.setWindowModality(Qt.WindowModality.NonModal)
        dialog.setText(message)
        dialog.setInformativeText("The window stays usable: open another source or model.")
        dialog.setDetailedText(details)
        dialog.show()
        dialog.raise_()

    def _record(self, message: str, details: str, serious: bool) -> None:
        self.history.append(Report(message, details, serious))
        del self.history[:-100]
        self.reported.emit(message, details, serious)
