"""A panel part that shows a one-line message instead of bare axes while it has nothing to show."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QWidget


class EmptyState(QStackedWidget):
    """Holds `content` (a plot) and a centred grey `message`; :meth:`set_empty` picks which shows.
    Starts empty. Its minimum size is the content's, so the layout does not jump when data arrives."""

    def __init__(self, content: QWidget, message: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.content = content
        self.label = QLabel(message)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setWordWrap(True)
        self.label.setStyleSheet("color: #9aa4b1; background: #101214;")
        self.addWidget(self.label)
        self.addWidget(content)
        self.setMinimumSize(content.minimumSize())
        self.setSizePolicy(content.sizePolicy())

    @property
    def empty(self) -> bool:
        """True while the message shows."""
        return self.currentWidget() is self.label

    def set_empty(self, empty: bool, message: str | None = None) -> None:
        """Show the message (`empty`, with `message` if given) or the content."""
        if message is not None:
            self.label.setText(message)
        self.setCurrentWidget(self.label if empty else self.content)
