"""The smallest sizes at which a panel's figures stay readable (issue 26): a plot's height, a
table's visible rows. Panels set them as minimum sizes; a dock too short for them scrolls its
panel (:class:`~.scroll_area.VerticalScrollArea`) instead of squeezing it."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTableView

#: A plot is at least this many px high (ticks and axis title legible).
MIN_PLOT_HEIGHT = 120
#: A table shows at least this many rows before it scrolls.
MIN_VISIBLE_ROWS = 8


def rows_height(table: QTableView, rows: int = MIN_VISIBLE_ROWS) -> int:
    """Height in px of `table` showing `rows` rows of its default height, header and frame included."""
    row = table.verticalHeader().defaultSectionSize()
    return table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth() + rows * row


def without_height_for_width(label: QLabel, lines: int = 2) -> QLabel:
    """Let a word-wrapped `label` take `lines` text lines without making its panel's layout
    height-for-width: a scroll area sizes such a panel to its preferred height for the width
    (the plots' full size hint) instead of its minimum, and the dock then scrolls needlessly."""
    policy = label.sizePolicy()
    policy.setHeightForWidth(False)
    label.setSizePolicy(policy)
    label.setMinimumHeight(lines * label.fontMetrics().lineSpacing() + 2)
    return label
