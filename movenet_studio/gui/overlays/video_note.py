"""A caption over the bottom-left corner of the video for events the user must not miss while
watching it, e.g. a switch that restarted the crop tracker (:attr:`Engine.tracker_reset
<movenet_studio.gui.engine.Engine.tracker_reset>`)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import QLabel, QWidget

#: How long a note stays on the video, in ms (it also goes to the status bar and the log).
NOTE_MS = 6000


class VideoNote(QLabel):
    """One line of text over `parent` (the video's graphics widget), hidden after
    :data:`NOTE_MS` or when a new source opens."""

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setObjectName("videoNote")
        self.setStyleSheet("QLabel#videoNote { color: #ffd27f; background: rgba(0, 0, 0, 170); "
                           "padding: 3px 6px; border-radius: 3px; }")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clear_note)
        self.hide()

    @Slot(str)
    def show_note(self, text: str) -> None:
        """Show `text` at the bottom left of the video for :data:`NOTE_MS`."""
        self.setText(text)
        self.adjustSize()
        parent = self.parentWidget()
        self.move(8, max(8, parent.height() - self.height() - 8))
        self.show()
        self.raise_()
        self._timer.start(NOTE_MS)

    @Slot()
    def clear_note(self) -> None:
        """Hide the note."""
        self._timer.stop()
        self.setText("")
        self.hide()
