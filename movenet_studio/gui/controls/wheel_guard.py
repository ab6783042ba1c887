"""The wheel scrolls the Controls panel, not the drop-down or slider that slides under the pointer.

Scrolling a long side panel with the mouse wheel used to change whichever combo box, slider or
spin box passed under the pointer (a heatmap colour map turned grey; one notch over Model loaded
another model). :class:`WheelGuard` gives those widgets the wheel only while they have keyboard
focus (clicked or tabbed to); otherwise the wheel event goes to the panel's scroll bar. Their
focus policy becomes ``StrongFocus`` so that the wheel never gives them focus either.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QScrollArea, QSlider, QWidget

#: The widgets whose value a wheel turn changes.
GUARDED = (QComboBox, QSlider, QAbstractSpinBox)  # (not scroll bars: they scroll what they belong to)


class WheelGuard(QObject):
    """Sends wheel events over unfocused value widgets inside `area` to its vertical scroll bar.

    Args:
        area: the scroll area holding the panel; every combo box, slider and spin box inside
            its widget when the guard is made (or later, with :meth:`guard`) is guarded.
    """

    def __init__(self, area: QScrollArea):
        super().__init__(area)
        self._area = area
        self.guarded: list[QWidget] = []
        self.guard(area.widget())

    def guard(self, root: QWidget) -> None:
        """Guard every combo box, slider and spin box under `root` (not yet guarded)."""
        for widget in root.findChildren(QWidget):
            if isinstance(widget, GUARDED) and widget not in self.guarded:
                if widget.focusPolicy() != Qt.FocusPolicy.NoFocus:
                    widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
                widget.installEventFilter(self)
                self.guarded.append(widget)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        """Wheel over an unfocused guarded widget: scroll the panel instead (the event is consumed)."""
        if event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget) and not watched.hasFocus():
            QApplication.sendEvent(self._area.verticalScrollBar(), event)
            return True
        return super().eventFilter(watched, event)
