"""SIGINT, SIGTERM and SIGHUP close the window cleanly (threads stopped, background exports
cancelled so their partial files are removed, settings saved); the run then exits with
128 + the signal, as the CLI does."""

from __future__ import annotations

import signal

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QApplication, QWidget

#: How often the event loop hands control to Python so a signal handler can run, in ms.
WAKE_INTERVAL_MS = 200


class SignalQuit(QObject):
    """Installs the handlers (main thread only) until :meth:`restore`.

    Attributes:
        signum: the signal that ended the run, or None.
    """

    def __init__(self, window: QWidget):
        super().__init__(window)
        self._window = window
        self.signum: int | None = None
        self._previous: dict[int, object] = {}
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            number = getattr(signal, name, None)
            if number is None:
                continue
            try:
                self._previous[number] = signal.signal(number, self._handle)
            except (ValueError, OSError):  # not the main thread
                pass
        self._wake = QTimer(self)
        self._wake.setInterval(WAKE_INTERVAL_MS)
        self._wake.timeout.connect(self._tick)
        self._wake.start()

    @Slot()
    def _tick(self) -> None:
        """Nothing: returning to Python lets a pending signal handler run."""

    def _handle(self, signum, _frame) -> None:
        if self.signum is None:
            self.signum = int(signum)
            QTimer.singleShot(0, self._quit)

    @Slot()
    def _quit(self) -> None:
        self._window.close()
        QApplication.instance().exit(128 + int(self.signum))

    @property
    def name(self) -> str:
        """The signal's name, e.g. ``SIGTERM`` (empty when none came)."""
        return signal.Signals(self.signum).name if self.signum is not None else ""

    def restore(self) -> None:
        """Put the previous handlers back."""
        self._wake.stop()
        for number, handler in self._previous.items():
            signal.signal(number, handler)
