"""Read-only tables of figures (latency, keypoints, compare): one look, one cheap refresh."""

from __future__ import annotations

from typing import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

#: What an empty figure cell shows.
EMPTY = "–"


def figures_table(rows: int, columns: Sequence[str], sample: str = "0000.0") -> QTableWidget:
    """A read-only table: column 0 holds labels and stretches, the others hold numbers.

    The number columns get a fixed width fitting `sample` (or their header): with
    ResizeToContents Qt re-measures every row on each ``setText`` (~0.13 ms a cell, most of
    a panel refresh on the GUI thread, measured with cProfile). Rows are one text line high.

    Args:
        rows: initial row count (rows can be added later with :func:`fill_row`).
        columns: header labels, the label column first.
        sample: the widest number expected in a cell, e.g. ``"-0000.0"``.
    """
    table = QTableWidget(rows, len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 4)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    header = table.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    digits = table.fontMetrics().horizontalAdvance(sample) + 12
    for col in range(1, len(columns)):
        header.setSectionResizeMode(col, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(col, max(digits, header.sectionSizeHint(col)))
    return table


def fill_row(table: QTableWidget, row: int, label: str, *, bold: bool = False) -> None:
    """Put `label` in column 0 of `row` and an empty right-aligned figure in every other column."""
    name = QTableWidgetItem(label)
    if bold:
        font = name.font()
        font.setBold(True)
        name.setFont(font)
    table.setItem(row, 0, name)
    for col in range(1, table.columnCount()):
        cell = QTableWidgetItem(EMPTY)
        cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        table.setItem(row, col, cell)

