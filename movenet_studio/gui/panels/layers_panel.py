"""The Layers dock's contents: SQNR along the graph, a sortable table, and one tensor's channels.

* **Curve** (pyqtgraph): SQNR in dB of every matched tensor against its depth in A's graph,
  for the current frame (thin) and the running mean since the last reset (thick), with the
  threshold as a dashed line and the first divergence of the running mean marked in red.
  Identical tensors (infinite SQNR) are drawn at :data:`PLOT_CAP_DB`. Click a point to
  select its tensor.
* **Table**: one row per matched tensor: depth, op, A's tensor name, SQNR of the frame and of
  the mean, cosine, RMSE relative to A's spread, max |A - B|; click a header to sort.
* **Grids**: the selected tensor's channels for the current frame: A, B (in A's layout) and
  |A - B| (A and B share levels, the difference has its own).

The panel only draws what :class:`~.layers_worker.LayerWorker` computed; it computes nothing.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDoubleSpinBox, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ...core.layers.matching import layer_label, leading_op_path
from ...core.layers.runner import DEFAULT_THRESHOLD_DB, LayerCapturePair, first_divergence
from .readable import MIN_PLOT_HEIGHT, WrappedLabel, rows_height
from .channel_grid import ChannelGrid, channel_maps
from ..layers_worker import LayerUpdate

#: Identical tensors (infinite SQNR) and anything above are drawn at this height.
PLOT_CAP_DB = 80.0
COLUMNS = ("depth", "op", "tensor (A)", "frame dB", "mean dB", "cosine", "rel RMSE", "max |A-B|")
_FRAME_PEN = pg.mkPen((120, 170, 230), width=1)
_MEAN_PEN = pg.mkPen((255, 170, 60), width=2)
_DIVERGENCE = (230, 60, 60)


class _NumberItem(QTableWidgetItem):
    """A table cell that sorts by a number (None, i.e. identical, sorts above every finite value)."""

    def __init__(self, value: float | None, text: str):
        super().__init__(text)
        self.value = np.inf if value is None else float(value)
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        if isinstance(other, _NumberItem):
            return self.value < other.value
        return super().__lt__(other)


def _db_text(value: float | None, non_finite: bool = False) -> str:
    if non_finite:
        return "NaN/Inf"
    return "identical" if value is None else f"{value:.1f}"


def _plot_db(rows: list[dict]) -> np.ndarray:
    return np.asarray([PLOT_CAP_DB if r["sqnr_db"] is None else min(PLOT_CAP_DB, r["sqnr_db"]) for r in rows])


class LayersPanel(QWidget):
    """Plot, table and grids of the newest :class:`~.layers_worker.LayerUpdate`.

    Signals:
        b_requested(str): the user picked configuration B (``model[:backend]``).
        threshold_changed(float): the divergence threshold in dB.
        reset_requested(): restart the running mean.
    """

    b_requested = Signal(str)
    threshold_changed = Signal(float)
    reset_requested = Signal()

    def __init__(self, b_choices: tuple[str, ...], parent: QWidget | None = None):
        super().__init__(parent)
        self._update: LayerUpdate | None = None
        self._selected: int | None = None  # index into the update's pair list
        self._rows_key: tuple | None = None

        self.b_combo = QComboBox()
        self.b_combo.setEditable(True)
        self.b_combo.addItems(list(b_choices))
        self.b_combo.setToolTip("Configuration B: model[:backend] or a model file; in Compare A / B, B of the compare")
        self.b_combo.activated.connect(self._b_picked)
        self.b_combo.lineEdit().returnPressed.connect(self._b_picked)
        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setRange(-50.0, 150.0)
        self.threshold_spin.setDecimals(1)
        self.threshold_spin.setSuffix(" dB")
        self.threshold_spin.setValue(DEFAULT_THRESHOLD_DB)
        self.threshold_spin.setToolTip("A tensor whose SQNR falls below this has diverged")
        self.threshold_spin.valueChanged.connect(self._threshold_edited)
        self.reset_button = QPushButton("Reset mean")
        self.reset_button.clicked.connect(self.reset_requested)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("B:"))
        controls.addWidget(self.b_combo, 1)
        controls.addWidget(QLabel("threshold"))
        controls.addWidget(self.threshold_spin)
        controls.addWidget(self.reset_button)
        self.status = WrappedLabel("Open a source: A is the model running, B the one picked here.", lines=2)
        self.status.setStyleSheet("color: #b8c4d0;")

        self.plot = pg.PlotWidget()
        self.plot.setLabel("bottom", "depth in A's graph (matched tensors)")
        self.plot.setLabel("left", f"SQNR dB (identical: {PLOT_CAP_DB:g})")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setMinimumHeight(MIN_PLOT_HEIGHT + 20)
        self.plot.addLegend(offset=(-10, 10))
        self.frame_curve = self.plot.plot([], [], pen=_FRAME_PEN, name="this frame")
        self.mean_curve = self.plot.plot([], [], pen=_MEAN_PEN, name="mean", symbol="o", symbolSize=4,
                                         symbolBrush=(255, 170, 60), symbolPen=None)
        self.mean_curve.sigPointsClicked.connect(self._point_clicked)
        self.threshold_line = pg.InfiniteLine(DEFAULT_THRESHOLD_DB, angle=0,
                                              pen=pg.mkPen((230, 60, 60), width=1, style=Qt.PenStyle.DashLine))
        self.plot.addItem(self.threshold_line)
        self.divergence_marker = pg.ScatterPlotItem(size=12, symbol="x", pen=pg.mkPen(_DIVERGENCE, width=2),
                                                    brush=pg.mkBrush(_DIVERGENCE))
        self.divergence_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(_DIVERGENCE, width=1))
        self.divergence_label = pg.TextItem("", color=_DIVERGENCE, anchor=(0, 1))
        self.selection_marker = pg.ScatterPlotItem(size=13, symbol="o", pen=pg.mkPen("w", width=2), brush=None)
        for item in (self.divergence_marker, self.divergence_line, self.divergence_label, self.selection_marker):
            self.plot.addItem(item)
        self.divergence_line.hide()

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for column in (0, 1):  # depth and the op's whole name (CONCATENATION, DEPTHWISE_CONV_2D)
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        self.table.setMinimumHeight(rows_height(self.table))
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # shallowest first (Qt's default: descending)
        self.table.itemSelectionChanged.connect(self._table_selected)

        grids = QWidget()
        grid_layout = QHBoxLayout(grids)
        grid_layout.setContentsMargins(0, 0, 0, 0)
        self.grid_a, self.grid_b = ChannelGrid("A"), ChannelGrid("B")
        self.grid_diff = ChannelGrid("|A - B|", colormap="hot")
        for grid in (self.grid_a, self.grid_b, self.grid_diff):
            grid_layout.addWidget(grid)
        self.tensor_label = WrappedLabel("Select a tensor in the table or on the curve.", lines=2)
        self.tensor_label.setStyleSheet("color: gray;")
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.tensor_label)
        lower_layout.addWidget(grids, 1)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        for widget in (self.plot, self.table, lower):
            splitter.addWidget(widget)
        splitter.setSizes([220, 200, 240])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)

    # ------------------------------------------------------------------ inputs
    @property
    def threshold_db(self) -> float:
        """The divergence threshold in dB."""
        return float(self.threshold_spin.value())

    def set_b_spec(self, spec: str, editable: bool = True) -> None:
        """Show `spec` as B (not editable while Compare A / B decides B)."""
        self.b_combo.setEditText(spec)
        self.b_combo.setEnabled(editable)

    def set_status(self, text: str) -> None:
        """One line above the plot."""
        self.status.setText(text)

    @Slot(object)
    def show_update(self, update: LayerUpdate) -> None:
        """Draw a capture: curve, table, first divergence, and the selected tensor's grids."""
        self._update = update
        rows_mean, rows_frame = update.rows_mean, update.rows_frame
        depths = np.asarray([r["depth"] for r in rows_mean], dtype=np.float64)
        self.frame_curve.setData(depths, _plot_db(rows_frame))
        self.mean_curve.setData(depths, _plot_db(rows_mean))
        self._show_divergence(rows_mean)
        self._fill_table(update)
        pair = update.pair
        self.set_status(f"A {update.models.label_a} vs B {update.models.label_b}: {len(rows_mean)} tensors matched "
                        f"(unmatched A {pair.matching.unmatched_a}, B {pair.matching.unmatched_b}); mean of "
                        f"{pair.frames} frame{'s' if pair.frames != 1 else ''}; frame {update.frame_index}; "
                        f"capture {update.frame.capture_ms:.0f} ms")
        if self._selected is None and rows_mean:
            first = first_divergence(rows_mean, self.threshold_db)
            self.select(0 if first is None else next(i for i, r in enumerate(rows_mean)
                                                     if r["depth"] == first["depth"]))
        else:
            self._show_selected()

    # ------------------------------------------------------------------ drawing
    def _show_divergence(self, rows: list[dict]) -> None:
        first = first_divergence(rows, self.threshold_db)
        if first is None:
            self.divergence_marker.setData([], [])
            self.divergence_line.hide()
            self.divergence_label.setText(f"no tensor below {self.threshold_db:g} dB")
            self.divergence_label.setPos(0, self.threshold_db)
            return
        depth = first["depth"]
        self.divergence_marker.setData([depth], [first["sqnr_db"]])
        self.divergence_line.setPos(depth)
        self.divergence_line.show()
        self.divergence_label.setText(f"first divergence: depth {depth}, {first['sqnr_db']:.1f} dB\n"
                                      f"{layer_label(first['a_name'])}")
        self.divergence_label.setPos(depth, max(first["sqnr_db"], self.threshold_db) + 2)

    def _fill_table(self, update: LayerUpdate) -> None:
        rows_mean, rows_frame = update.rows_mean, update.rows_frame
        key = (id(update.pair), len(rows_mean))
        table = self.table
        table.setSortingEnabled(False)
        if key != self._rows_key:
            self._rows_key = key
            table.setRowCount(len(rows_mean))
            for r, row in enumerate(rows_mean):
                depth = _NumberItem(row["depth"], str(row["depth"]))
                depth.setData(Qt.ItemDataRole.UserRole, r)
                table.setItem(r, 0, depth)
                table.setItem(r, 1, QTableWidgetItem(row["op"]))
                name = QTableWidgetItem(leading_op_path(row["a_name"]))
                name.setToolTip(f"A: {row['a_name']}\nB: {row['b_name']}\nshape {row['shape']}")
                table.setItem(r, 2, name)
        for r in range(table.rowCount()):
            index = table.item(r, 0).data(Qt.ItemDataRole.UserRole)
            mean, frame = rows_mean[index], rows_frame[index]
            if mean.get("non_finite"):  # NaN or infinity in a tensor: the worst, whatever the figure
                values = (-np.inf,) * 5
                texts = (_db_text(frame["sqnr_db"], frame.get("non_finite")), "NaN/Inf", "-", "-", "-")
            else:
                values = (frame["sqnr_db"], mean["sqnr_db"], mean["cosine"], mean["rel_rmse"], mean["max_abs"])
                texts = (_db_text(frame["sqnr_db"], frame.get("non_finite")), _db_text(mean["sqnr_db"]),
                         f"{mean['cosine']:.5f}", "-" if mean["rel_rmse"] is None else f"{mean['rel_rmse']:.4f}",
                         f"{mean['max_abs']:.4g}")
            for c, (value, text) in enumerate(zip(values, texts), start=3):
                table.setItem(r, c, _NumberItem(value, text))
        table.setSortingEnabled(True)

    def select(self, index: int) -> None:
        """Select matched tensor `index` (position in the update's rows) and draw its grids."""
        self._selected = index
        for r in range(self.table.rowCount()):
            if self.table.item(r, 0).data(Qt.ItemDataRole.UserRole) == index:
                self.table.blockSignals(True)
                self.table.selectRow(r)
                self.table.blockSignals(False)
                self.table.scrollToItem(self.table.item(r, 0), QAbstractItemView.ScrollHint.PositionAtCenter)
                break
        self._show_selected()

    def _show_selected(self) -> None:
        update, index = self._update, self._selected
        if update is None or index is None or index >= len(update.rows_mean):
            return
        pair = update.pair.pairs[index]
        row = update.rows_mean[index]
        self.selection_marker.setData([row["depth"]], [_plot_db([row])[0]])
        a = update.frame.values_a[pair.a]
        b = LayerCapturePair.b_in_a_layout(update.frame.values_b, pair)
        channels_first = update.models.format_a == "onnx"
        maps_a, maps_b = channel_maps(a, channels_first), channel_maps(b, channels_first)
        low = float(min(maps_a.min(), maps_b.min()))
        high = float(max(maps_a.max(), maps_b.max()))
        diff = np.abs(maps_a - maps_b)
        self.grid_a.show_maps(maps_a, (low, high))
        self.grid_b.show_maps(maps_b, (low, high))
        self.grid_diff.show_maps(diff, (0.0, float(diff.max()) or 1.0))
        frame = update.rows_frame[index]
        self.tensor_label.setText(f"depth {row['depth']} {row['op']} {row['shape']}: "
                                  f"{leading_op_path(row['a_name'])} - frame {update.frame_index}: "
                                  f"SQNR {_db_text(frame['sqnr_db'])} dB, max |A-B| {frame['max_abs']:.4g}")

    # ------------------------------------------------------------------ events
    @Slot()
    def _table_selected(self) -> None:
        items = self.table.selectedItems()
        if items:
            index = self.table.item(items[0].row(), 0).data(Qt.ItemDataRole.UserRole)
            if index is not None and index != self._selected:
                self._selected = index
                self._show_selected()

    @Slot(object, object)
    def _point_clicked(self, _item, points) -> None:
        if self._update is None or not len(points):
            return
        depth = int(round(points[0].pos().x()))
        for index, row in enumerate(self._update.rows_mean):
            if row["depth"] == depth:
                self.select(index)
                return

    @Slot()
    def _b_picked(self) -> None:
        text = self.b_combo.currentText().strip()
        if text:
            self.b_requested.emit(text)

    @Slot(float)
    def _threshold_edited(self, value: float) -> None:
        self.threshold_line.setPos(value)
        if self._update is not None:
            self._show_divergence(self._update.rows_mean)
        self.threshold_changed.emit(value)

    def reset_view(self) -> None:
        """Forget the shown capture (models changed)."""
        self._update, self._selected, self._rows_key = None, None, None
        self.frame_curve.setData([], [])
        self.mean_curve.setData([], [])
        self.divergence_marker.setData([], [])
        self.selection_marker.setData([], [])
        self.divergence_line.hide()
        self.table.setRowCount(0)
        for grid in (self.grid_a, self.grid_b, self.grid_diff):
            grid.clear()
