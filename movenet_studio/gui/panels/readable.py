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



def keypoint_label(name: str, short: bool = False) -> str:
    """A keypoint's label where space is short: ``left_shoulder`` -> ``L shoulder`` (`short`:
    ``L sho``); a name without a side (``nose``, ``head``) as it is."""
    if "_" not in name:
        return name
    side, part = name.split("_", 1)
    return f"{side[0].upper()} {part[:3] if short else part}"


class WrappedLabel(QLabel):
    """A word-wrapped label `lines` text lines high that does not make its panel's layout
    height-for-width. A scroll area sizes a height-for-width panel to its preferred height for
    the width (the plots' full size hint) instead of its minimum, so the dock scrolled with room
    to spare; QLabel turns height-for-width back on at every ``setText``, hence the override."""

    def __init__(self, text: str = "", lines: int = 2, parent=None):
        super().__init__(text, parent)
        self.setWordWrap(True)
        self._lines = 0
        self.set_lines(lines)

    def set_lines(self, lines: int) -> None:
        """Make room for `lines` text lines (a no-op when it already has)."""
        if lines != self._lines:
            self._lines = lines
            self.setMinimumHeight(lines * self.fontMetrics().lineSpacing() + 2)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt name)
        """Never: the label takes the height its minimum (`lines`) gives."""
        return False
