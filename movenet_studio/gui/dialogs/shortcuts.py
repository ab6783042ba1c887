"""Help ▸ Keyboard shortcuts: a non-modal table of the window's shortcuts, read from its actions.

The table is built from the window's menus each time it is shown, so shortcuts other
features add to their actions appear without changes here.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView, QMainWindow, QMenu,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

#: Mouse controls of the video view (not actions, so listed by hand).
MOUSE_CONTROLS: tuple[tuple[str, str, str], ...] = (
    ("Video", "Zoom", "Mouse wheel"),
    ("Video", "Pan", "Drag with the left button"),
)


def _clean(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").rstrip(".").strip()


def shortcut_rows(window: QMainWindow) -> list[tuple[str, str, str]]:
    """(menu, action, shortcuts) for every menu action of `window` that has a shortcut, in
    menu order, then the window's other actions with shortcuts, then :data:`MOUSE_CONTROLS`.

    Shortcuts are in the platform's native text, several joined with ``" or "``.
    """
    rows: list[tuple[str, str, str]] = []
    seen: set[int] = set()

    def add(menu: str, action: QAction) -> None:
        keys = [k for k in action.shortcuts() if not k.isEmpty()]
        if id(action) in seen or not keys or action.isSeparator():
            return
        seen.add(id(action))
        text = " or ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in keys)
        rows.append((menu, _clean(action.text()), text))

    def walk(menu: QMenu, title: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu(), f"{title} ▸ {_clean(action.menu().title())}")
            else:
                add(title, action)

    for top in window.menuBar().actions():
        if top.menu() is not None:
            walk(top.menu(), _clean(top.menu().title()))
    for action in window.actions():
        add("Window", action)
    rows.extend(MOUSE_CONTROLS)
    return rows


class ShortcutsDialog(QDialog):
    """A table of the window's keyboard shortcuts (and mouse controls); call :meth:`refresh`
    before showing it again to pick up new actions.

    Args:
        window: the main window whose menus and actions are listed.
        parent: Qt parent (default: `window`).
    """

    def __init__(self, window: QMainWindow, parent: QWidget | None = None):
        super().__init__(parent or window)
        self._window = window
        self.setWindowTitle("Keyboard shortcuts")
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Menu", "Action", "Shortcut"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(520, 520)
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the table from the window's current actions."""
        rows = shortcut_rows(self._window)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))

    def rows(self) -> list[tuple[str, str, str]]:
        """The table's text, row by row (for tests)."""
        return [tuple(self.table.item(r, c).text() for c in range(3)) for r in range(self.table.rowCount())]
