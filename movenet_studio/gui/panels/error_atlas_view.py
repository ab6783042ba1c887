"""The error atlas on screen (what Tools > Evaluate... shows once a run is done).

- **People**: one row per evaluated person (its detection paired with it), sorted by OKS,
  worst first, with its count of each error class; filters by keypoint and class, and by
  one cell of the A -> B matrix. Clicking a row shows the person.
- **Person**: the image around the person with the ground truth (hollow circles), the
  prediction (dots) and a line from each wrong keypoint to where it should be, coloured by
  class, with a legend.
- **AP cost**: bars of the AP each class costs, and per keypoint (pyqtgraph).
- **A -> B**: the transition matrix summed over keypoints (or of one keypoint); a cell
  filters the people to its examples.

Definitions: :mod:`movenet_studio.core.evaluation.error_atlas`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QSplitter, QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from ...core.evaluation.atlas_run import AtlasRun
from ...core.evaluation.error_atlas import CLASSES, ERROR_CLASSES
from ...core.evaluation.transitions import TRANSITION_CLASSES, class_totals
from ..image_view import image_view

#: Colour per class (RGB), used by the person view, its legend and the bars.
CLASS_COLOURS = {
    "good": (46, 170, 90), "jitter": (235, 145, 30), "inversion": (225, 55, 55), "swap": (175, 85, 215),
    "miss": (30, 135, 235), "unlabelled": (140, 140, 140), "unmatched": (110, 110, 110),
    "score": (79, 130, 189), "background_fp": (128, 99, 163), "background_fn": (46, 139, 87),
}
#: The ground truth's colour (hollow circles).
GT_COLOUR = (255, 255, 255)
ALL = "all"


def _html(rgb) -> str:
    return "#%02x%02x%02x" % tuple(rgb)


class ErrorAtlasView(QWidget):
    """The atlas of an :class:`~movenet_studio.core.evaluation.atlas_run.AtlasRun`.

    Signals:
        person_shown(int): the gt id of the person now drawn.
    """

    person_shown = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.run: AtlasRun | None = None
        self._examples: set[tuple[int, int]] | None = None  # (gt id, keypoint row) of a matrix cell
        self._image_cache: dict[int, np.ndarray] = {}

        self.side_combo = QComboBox()
        self.side_combo.setToolTip("Whose predictions the table and the person view show")
        self.keypoint_combo = QComboBox()
        self.keypoint_combo.setToolTip("Count and filter one keypoint only")
        self.class_combo = QComboBox()
        self.class_combo.addItems([ALL, *CLASSES])
        self.class_combo.setToolTip("Show only people with at least one keypoint of this class")
        self.examples_label = QLabel()
        self.clear_examples = QPushButton("Show all")
        self.clear_examples.setVisible(False)
        self.clear_examples.clicked.connect(self.show_all)
        filters = QHBoxLayout()
        for label, widget in (("Predictions", self.side_combo), ("Keypoint", self.keypoint_combo),
                              ("Class", self.class_combo)):
            filters.addWidget(QLabel(label))
            filters.addWidget(widget)
        filters.addWidget(self.examples_label, 1)
        filters.addWidget(self.clear_examples)

        self.table = QTableWidget(0, 4 + len(CLASSES))
        self.table.setHorizontalHeaderLabels(["OKS", "image", "person", "detection", *CLASSES])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.cellClicked.connect(self._row_clicked)
        self.table.currentCellChanged.connect(lambda row, *_: self._row_clicked(row, 0))

        self.graphics, self.view_box, self.image_item = image_view()
        self.gt_item = pg.ScatterPlotItem(symbol="o", size=11, brush=None, pen=pg.mkPen(GT_COLOUR, width=2))
        self.dt_item = pg.ScatterPlotItem(symbol="o", size=7, pen=None)
        self.line_items = {c: pg.PlotDataItem(pen=pg.mkPen(CLASS_COLOURS[c], width=2), connect="pairs")
                           for c in ERROR_CLASSES}
        for item in (*self.line_items.values(), self.gt_item, self.dt_item):
            self.view_box.addItem(item)
        self.person_label = QLabel("Click a person in the table")
        self.legend = QLabel("  ".join(f"<span style='color:{_html(CLASS_COLOURS[c])}'>&#9679; {c}</span>"
                                       for c in CLASSES[:-1])
                             + "  &#9675; ground truth (hollow)"
                               "  lines: from a wrong keypoint to its ground truth")
        self.legend.setWordWrap(True)
        person = QWidget()
        person_layout = QVBoxLayout(person)
        person_layout.setContentsMargins(0, 0, 0, 0)
        person_layout.addWidget(self.person_label)
        person_layout.addWidget(self.graphics, 1)
        person_layout.addWidget(self.legend)

        people = QSplitter(Qt.Orientation.Horizontal)
        people.addWidget(self.table)
        people.addWidget(person)
        people.setSizes([420, 480])
        people_tab = QWidget()
        people_layout = QVBoxLayout(people_tab)
        people_layout.addLayout(filters)
        people_layout.addWidget(people, 1)

        self.cost_plots = pg.GraphicsLayoutWidget()
        self.class_plot = self.cost_plots.addPlot(row=0, col=0, title="AP gained by correcting each class")
        self.keypoint_plot = self.cost_plots.addPlot(row=1, col=0, title="... per keypoint")
        for plot in (self.class_plot, self.keypoint_plot):
            plot.showGrid(y=True, alpha=0.3)
            plot.setLabel("left", "AP")
            plot.setMouseEnabled(x=False, y=False)
        self.keypoint_plot.addLegend(offset=(-10, 10))
        self.class_bars = pg.BarGraphItem(x=[], height=[], width=0.6)
        self.class_plot.addItem(self.class_bars)
        self.keypoint_bars = {}
        for n, c in enumerate(ERROR_CLASSES):
            bars = pg.BarGraphItem(x=[], height=[], width=0.2, brush=CLASS_COLOURS[c], name=c)
            self.keypoint_plot.addItem(bars)
            self.keypoint_bars[c] = bars

        self.matrix_keypoint = QComboBox()
        self.matrix_label = QLabel()
        self.matrix = QTableWidget(len(TRANSITION_CLASSES), len(TRANSITION_CLASSES))
        self.matrix.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.matrix.setHorizontalHeaderLabels(list(TRANSITION_CLASSES))
        self.matrix.setVerticalHeaderLabels(list(TRANSITION_CLASSES))
        self.matrix.cellClicked.connect(self._cell_clicked)
        self.moves_label = QLabel()
        self.moves_label.setWordWrap(True)
        matrix_tab = QWidget()
        matrix_layout = QVBoxLayout(matrix_tab)
        top = QHBoxLayout()
        top.addWidget(QLabel("Keypoint"))
        top.addWidget(self.matrix_keypoint)
        top.addWidget(self.matrix_label, 1)
        matrix_layout.addLayout(top)
        matrix_layout.addWidget(self.matrix, 1)
        matrix_layout.addWidget(self.moves_label)

        self.tabs = QTabWidget()
        self.tabs.addTab(people_tab, "People")
        self.tabs.addTab(self.cost_plots, "AP cost")
        self.tabs.addTab(matrix_tab, "A → B")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

        self.side_combo.currentIndexChanged.connect(self._side_changed)
        self.keypoint_combo.currentIndexChanged.connect(self.refill)
        self.class_combo.currentIndexChanged.connect(self.refill)
        self.matrix_keypoint.currentIndexChanged.connect(self._fill_matrix)

    # -- a run ------------------------------------------------------------------------------

    def show_run(self, run: AtlasRun) -> None:
        """Show `run` (replaces what was shown)."""
        self.run = run
        self._examples = None
        self._image_cache.clear()
        names = run.results[0].errors.keypoint_names
        for combo, items in ((self.side_combo, [f"{'AB'[n]}: {label}" for n, label in enumerate(run.labels)]),
                             (self.keypoint_combo, [ALL, *names]), (self.matrix_keypoint, [ALL, *names])):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(items)
            combo.blockSignals(False)
        self.tabs.setTabEnabled(2, run.transitions is not None)
        self._fill_costs()
        self._fill_matrix()
        self.refill()

    @property
    def atlas(self):
        """The error atlas of the side chosen in the table."""
        if self.run is None:
            return None
        return self.run.results[max(0, self.side_combo.currentIndex())].errors

    @Slot()
    def _side_changed(self) -> None:
        self._fill_costs()
        self.refill()

    @Slot()
    def refill(self) -> None:
        """Refill the people table from the filters, sorted by OKS (worst first)."""
        atlas = self.atlas
        self.table.setRowCount(0)
        if atlas is None:
            return
        k = self.keypoint_combo.currentIndex() - 1  # -1: all keypoints
        wanted = self.class_combo.currentText()
        rows = []
        for i, (pair, err) in enumerate(zip(atlas.pairs, atlas.errors)):
            keypoints = range(len(err.classes)) if k < 0 else [k]
            if self._examples is not None:
                keypoints = [j for j in keypoints if (pair.gt["id"], j) in self._examples]
                if not keypoints:
                    continue
            classes = [err.classes[j] for j in keypoints]
            if wanted != ALL and wanted not in classes:
                continue
            rows.append((atlas.oks[i], i, classes))
        rows.sort(key=lambda r: (r[0], r[1]))
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(rows))
        for row, (oks, i, classes) in enumerate(rows):
            values = [f"{oks:.3f}", str(atlas.image_ids[i]), str(atlas.pairs[i].gt["id"]),
                      str(atlas.detection_ids[i]), *[str(classes.count(c)) for c in CLASSES]]
            for col, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, i)
                if col >= 4 and text != "0":
                    item.setForeground(pg.mkColor(CLASS_COLOURS[CLASSES[col - 4]]))
                self.table.setItem(row, col, item)

    def row_pair(self, row: int) -> int | None:
        """The atlas pair index shown in table row `row`."""
        item = self.table.item(row, 0)
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    @Slot(int, int)
    def _row_clicked(self, row: int, _column: int) -> None:
        index = self.row_pair(row)
        if index is not None:
            self.show_person(index)

    # -- the person view --------------------------------------------------------------------

    def show_person(self, index: int) -> None:
        """Draw pair `index` of the chosen side: image, ground truth, prediction, error lines."""
        atlas = self.atlas
        pair, err = atlas.pairs[index], atlas.errors[index]
        image_id = atlas.image_ids[index]
        image = self._image(image_id)
        changed = self.image_item.show(image)
        k = len(err.classes)
        gt = np.asarray(pair.gt["keypoints"], dtype=np.float64).reshape(k, 3)
        dt = np.asarray(pair.detection["keypoints"], dtype=np.float64).reshape(k, 3)
        labelled = gt[:, 2] > 0
        self.gt_item.setData(gt[labelled, 0], gt[labelled, 1])
        self.dt_item.setData(dt[:, 0], dt[:, 1], brush=[pg.mkBrush(CLASS_COLOURS[c]) for c in err.classes])
        for c, item in self.line_items.items():
            rows = [j for j in range(k) if err.classes[j] == c]
            xs = np.ravel([[dt[j, 0], gt[j, 0]] for j in rows]) if rows else np.zeros(0)
            ys = np.ravel([[dt[j, 1], gt[j, 1]] for j in rows]) if rows else np.zeros(0)
            item.setData(xs, ys)
        x, y, w, h = pair.gt.get("bbox") or (0, 0, image.shape[1], image.shape[0])
        pad = 0.3 * max(w, h, 1)
        self.view_box.setRange(xRange=(x - pad, x + w + pad), yRange=(y - pad, y + h + pad), padding=0)
        counts = ", ".join(f"{err.classes.count(c)} {c}" for c in ERROR_CLASSES if c in err.classes)
        self.person_label.setText(f"image {image_id}, person {pair.gt['id']}, OKS {atlas.oks[index]:.3f}"
                                  + (f": {counts}" if counts else ": all good"))
        del changed
        self.person_shown.emit(int(pair.gt["id"]))

    def lines_drawn(self) -> dict[str, int]:
        """Error lines currently drawn, per class (for tests and the status line)."""
        return {c: len(item.xData) // 2 if item.xData is not None else 0 for c, item in self.line_items.items()}

    def _image(self, image_id: int) -> np.ndarray:
        """The annotated image (uint8 [H, W, 3]), or a dark canvas of its size without an images folder."""
        if image_id in self._image_cache:
            return self._image_cache[image_id]
        from ...core.errors import StudioError
        from ...core.evaluation.coco import read_coco_image

        info = next(im for im in self.run.dataset["images"] if im["id"] == image_id)
        folder = self.run.request.images
        image = None
        if folder is not None:
            try:
                image = read_coco_image(Path(folder) / info["file_name"], (info["height"], info["width"]))
            except StudioError:
                image = None
        if image is None:
            image = np.full((info["height"], info["width"], 3), 32, np.uint8)
        self._image_cache = {image_id: image}  # one image kept: the next click is usually another
        return image

    # -- AP cost bars -----------------------------------------------------------------------

    def _fill_costs(self) -> None:
        atlas = self.atlas
        if atlas is None:
            return
        names = list(atlas.ap_cost)
        self.class_bars.setOpts(x=np.arange(len(names)), height=[atlas.ap_cost[n] for n in names],
                                brushes=[pg.mkBrush(CLASS_COLOURS.get(n, (200, 200, 200))) for n in names])
        self.class_plot.getAxis("bottom").setTicks([list(enumerate(names))])
        keypoints = atlas.keypoint_names
        for n, c in enumerate(ERROR_CLASSES):
            self.keypoint_bars[c].setOpts(x=np.arange(len(keypoints)) + (n - 1.5) * 0.2,
                                          height=[atlas.ap_cost_per_keypoint[k][c] for k in keypoints])
        short = [(i, k.replace("left_", "l ").replace("right_", "r ")) for i, k in enumerate(keypoints)]
        self.keypoint_plot.getAxis("bottom").setTicks([short])

    def bar_heights(self) -> dict[str, float]:
        """The class bars' heights by name (what is drawn)."""
        atlas = self.atlas
        heights = self.class_bars.opts["height"]
        return dict(zip(list(atlas.ap_cost), [float(h) for h in heights]))

    # -- A -> B -----------------------------------------------------------------------------

    @Slot()
    def _fill_matrix(self) -> None:
        run = self.run
        if run is None or run.transitions is None:
            self.matrix_label.setText("Give a model or results file B to see where each keypoint's class moves")
            return
        k = self.matrix_keypoint.currentText()
        matrix = class_totals(run.transitions) if k in ("", ALL) else run.transitions[k]
        for r, a in enumerate(TRANSITION_CLASSES):
            for c, b in enumerate(TRANSITION_CLASSES):
                n = matrix[a][b]
                item = QTableWidgetItem(str(n) if n else "")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if n and a != b:  # tinted by the class moved to, translucent: text stays legible
                    tint = pg.mkColor(CLASS_COLOURS[b])
                    tint.setAlpha(80)
                    item.setBackground(tint)
                self.matrix.setItem(r, c, item)
        self.matrix_label.setText(f"rows: class under A ({run.labels[0]}); columns: under B ({run.labels[1]}); "
                                  "click a cell for its examples")
        self.moves_label.setText("<br>".join(m.describe(run.labels[1]) for m in run.moves) or "no keypoint moved")

    @Slot(int, int)
    def _cell_clicked(self, row: int, column: int) -> None:
        self.open_examples(TRANSITION_CLASSES[row], TRANSITION_CLASSES[column])

    def open_examples(self, source: str, target: str) -> int:
        """Show the people with a keypoint that went from `source` under A to `target` under B
        (the matrix's keypoint choice applies); returns how many keypoints that is."""
        run = self.run
        a, b = run.results[0].errors, run.results[1].errors
        names = a.keypoint_names
        only = self.matrix_keypoint.currentIndex() - 1
        classes_a = {p.gt["id"]: e.classes for p, e in zip(a.pairs, a.errors)}
        classes_b = {p.gt["id"]: e.classes for p, e in zip(b.pairs, b.errors)}
        missing = ["unmatched"] * len(names)
        examples = set()
        for gt_id in classes_a.keys() | classes_b.keys():
            row_a, row_b = classes_a.get(gt_id, missing), classes_b.get(gt_id, missing)
            for j in range(len(names)):
                if (only < 0 or j == only) and row_a[j] == source and row_b[j] == target:
                    examples.add((gt_id, j))
        self._examples = examples
        people = len({g for g, _ in examples})
        self.examples_label.setText(f"{run.labels[0]} → {run.labels[1]}: {source} → {target}, "
                                    f"{len(examples)} keypoint{'s' if len(examples) != 1 else ''} in "
                                    f"{people} {'person' if people == 1 else 'people'}")
        self.clear_examples.setVisible(True)
        self.side_combo.setCurrentIndex(1 if target != "unmatched" else 0)
        self.class_combo.setCurrentIndex(0)
        self.refill()
        self.tabs.setCurrentIndex(0)
        if self.table.rowCount():
            self.table.selectRow(0)
            self._row_clicked(0, 0)
        return len(examples)

    @Slot()
    def show_all(self) -> None:
        """Drop the matrix cell's filter."""
        self._examples = None
        self.examples_label.setText("")
        self.clear_examples.setVisible(False)
        self.refill()
