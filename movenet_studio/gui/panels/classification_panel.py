"""The Classification dock: classifier and labels files, the coordinate-order switch, live class
probability bars (both orders side by side in "compare orders"), and the repetition counter.

The panel only shows and asks; :class:`~.classification_controller.ClassificationController`
loads files and talks to the engine.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QButtonGroup, QCheckBox, QComboBox, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QProgressBar,
    QPushButton, QRadioButton, QVBoxLayout, QWidget,
)

from ...core.classify.classification import Classification, FrameClassification
from ...core.drawing.classification_render import COUNTER_BACKGROUND, LABEL_BACKGROUND
from ...core.classify.classifier import COORDINATE_ORDERS
from ..throttle import RefreshThrottle

#: Order switch captions.
ORDER_TEXT = {"xy": "x, y, score (tutorial)", "yx": "y, x, score (Android, RPi samples)"}
#: Column titles of the bars.
ORDER_SHORT = {"xy": "x, y", "yx": "y, x"}
#: Bars run 0..BAR_STEPS.
BAR_STEPS = 1000
NO_CLASSIFIER = "No classifier: choose a .tflite/.onnx pose classifier (Google's tutorial format) and its labels."


def _bar_style(colour: tuple[int, int, int]) -> str:
    return (f"QProgressBar {{ border: 1px solid #3a3f45; border-radius: 2px; background: #1b1e21; height: 14px; }}"
            f" QProgressBar::chunk {{ background: rgb{colour}; }}")


_TOP = _bar_style(COUNTER_BACKGROUND)
_OTHER = _bar_style(LABEL_BACKGROUND)


class ClassBars(QWidget):
    """Class names with one probability bar per shown order (the top class's bar in orange).

    Rows are rebuilt by :meth:`set_labels`; :meth:`show_classification` updates values in place.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._labels: tuple[str, ...] = ()
        self._orders: tuple[str, ...] = ()
        self.bars: dict[tuple[str, str], QProgressBar] = {}   # (order, label) -> bar
        self.values: dict[tuple[str, str], QLabel] = {}
        self._tops: dict[str, str | None] = {}
        self._headers: list[QLabel] = []

    def set_labels(self, labels: tuple[str, ...], orders: tuple[str, ...]) -> None:
        """One row per class, one bar column per order (the first is the order in use)."""
        if (labels, orders) == (self._labels, self._orders):
            return
        while self._grid.count():
            item = self._grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.bars.clear()
        self.values.clear()
        self._tops = {}
        self._labels, self._orders = labels, orders
        for column, order in enumerate(orders):
            title = QLabel(f"<b>{ORDER_SHORT[order]}</b>{' (in use)' if column == 0 and len(orders) > 1 else ''}")
            self._grid.addWidget(title, 0, 1 + 2 * column, 1, 2)
        for row, label in enumerate(labels, start=1):
            self._grid.addWidget(QLabel(label), row, 0)
            for column, order in enumerate(orders):
                bar = QProgressBar()
                bar.setMinimumWidth(30)
                bar.setRange(0, BAR_STEPS)
                bar.setTextVisible(False)
                bar.setStyleSheet(_OTHER)
                value = QLabel("–")
                value.setMinimumWidth(value.fontMetrics().horizontalAdvance("0.00") + 4)
                value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self._grid.addWidget(bar, row, 1 + 2 * column)
                self._grid.addWidget(value, row, 2 + 2 * column)
                self.bars[order, label], self.values[order, label] = bar, value
        for column in range(len(orders)):
            self._grid.setColumnStretch(1 + 2 * column, 1)

    def show_classification(self, answer: Classification | None, order: str) -> None:
        """Show `answer` in the column of `order` (None: empty bars)."""
        top = answer.label if answer is not None else None
        for index, label in enumerate(self._labels):
            bar, value = self.bars.get((order, label)), self.values.get((order, label))
            if bar is None:
                continue
            p = float(answer.scores[index]) if answer is not None else float("nan")
            finite = p == p
            bar.setValue(round(p * BAR_STEPS) if finite else 0)
            value.setText(f"{p:.2f}" if finite else "–")
        if self._tops.get(order, "") != top:
            for label in self._labels:
                bar = self.bars.get((order, label))
                if bar is not None:
                    bar.setStyleSheet(_TOP if label == top else _OTHER)
            self._tops[order] = top


class ClassificationPanel(QGroupBox):
    """The dock's widget. Signals carry the user's requests to the controller.

    Signals:
        choose_classifier(): the Classifier… button.
        choose_labels(): the Labels… button.
        order_changed(str): ``xy`` or ``yx`` picked.
        compare_toggled(bool): "Compare orders" switched.
        counted_changed(object): class to count (str) or None.
        reset_requested(): the counter's Reset button.
    """

    choose_classifier = Signal()
    choose_labels = Signal()
    order_changed = Signal(str)
    compare_toggled = Signal(bool)
    counted_changed = Signal(object)
    reset_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Pose classification", parent)
        self._newest: FrameClassification | None = None
        self._labels: tuple[str, ...] = ()
        self._frame_note = False  # the note shows a frame's problem (not a loading error)
        self._throttle = RefreshThrottle(self.refresh, self)
        self.classifier_button = QPushButton("Classifier…")
        self.classifier_button.setToolTip("A .tflite or .onnx pose classifier: one float32 input [1, 51] = "
                                          "17 keypoints x (x, y, score) in frame pixels")
        self.labels_button = QPushButton("Labels…")
        self.labels_button.setToolTip("The class names, one per line in the classifier's output order")
        self.classifier_button.clicked.connect(self.choose_classifier)
        self.labels_button.clicked.connect(self.choose_labels)
        self.file_label = QLabel(NO_CLASSIFIER)
        self.file_label.setWordWrap(True)
        self.order_buttons = QButtonGroup(self)
        order_box = QVBoxLayout()
        for order in COORDINATE_ORDERS:
            button = QRadioButton(ORDER_TEXT[order])
            button.setProperty("order", order)
            button.setToolTip("The keypoint row fed to the classifier. Google's tutorial trains on (x, y, score); "
                              "its Android PoseClassifier.kt and Raspberry Pi classifier.py feed (y, x, score).")
            self.order_buttons.addButton(button)
            order_box.addWidget(button)
        self.order_buttons.buttons()[0].setChecked(True)
        self.order_buttons.buttonClicked.connect(self._order_clicked)
        self.compare_check = QCheckBox("Compare orders (both side by side)")
        self.compare_check.toggled.connect(self.compare_toggled)
        self.bars = ClassBars()
        self.top_label = QLabel("")
        self.top_label.setStyleSheet("font-size: 14pt; font-weight: bold;")
        self.other_label = QLabel("")  # compare orders: the other order's answer
        self.other_label.setWordWrap(True)
        self.count_combo = QComboBox()
        self.count_combo.setMinimumContentsLength(8)
        self.count_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.count_combo.addItem("Count: nothing", None)
        self.count_combo.setToolTip("Count repetitions: entries into this class (in at p >= 0.6, out at p <= 0.4, "
                                    "each change held for 200 ms); reset on seek or source change")
        self.count_combo.activated.connect(self._count_picked)
        self.reps_label = QLabel("")
        self.reps_label.setStyleSheet("font-size: 16pt; font-weight: bold;")
        self.reset_button = QPushButton("Reset")
        self.reset_button.clicked.connect(self.reset_requested)
        self.note_label = QLabel("")
        self.note_label.setWordWrap(True)
        self.note_label.setStyleSheet("color: #ffb74d;")

        files = QHBoxLayout()
        files.addWidget(self.classifier_button)
        files.addWidget(self.labels_button)
        files.addStretch(1)
        counter = QHBoxLayout()
        counter.addWidget(self.count_combo, 1)
        counter.addWidget(self.reps_label)
        counter.addWidget(self.reset_button)
        layout = QVBoxLayout(self)
        layout.addLayout(files)
        layout.addWidget(self.file_label)
        layout.addWidget(QLabel("Keypoint rows fed to the classifier:"))
        layout.addLayout(order_box)
        layout.addWidget(self.compare_check)
        layout.addWidget(self.top_label)
        layout.addWidget(self.other_label)
        layout.addWidget(self.bars)
        layout.addLayout(counter)
        layout.addWidget(self.note_label)
        layout.addStretch(1)
        self.set_classes(())

    # ------------------------------------------------------------------ controller -> panel
    def set_classes(self, labels: tuple[str, ...], description: str = "", counted: str | None = None) -> None:
        """Show a loaded classifier's classes (() when none is loaded)."""
        self.file_label.setText(description or NO_CLASSIFIER)
        self.count_combo.clear()
        self.count_combo.addItem("Count: nothing", None)
        for label in labels:
            self.count_combo.addItem(f"Count: {label}", label)
        self.count_combo.setCurrentIndex(max(0, self.count_combo.findData(counted)) if counted else 0)
        for widget in (self.count_combo, self.reset_button, self.compare_check):
            widget.setEnabled(bool(labels))
        self._labels = labels
        self._newest = None
        self._layout_bars()
        self.refresh()

    def set_order(self, order: str) -> None:
        """Check the radio button of `order` (no signal)."""
        for button in self.order_buttons.buttons():
            button.setChecked(button.property("order") == order)
        self._layout_bars()

    def set_compare(self, on: bool) -> None:
        """Set "Compare orders" (no signal)."""
        self.compare_check.blockSignals(True)
        self.compare_check.setChecked(on)
        self.compare_check.blockSignals(False)
        self._layout_bars()

    def set_note(self, text: str) -> None:
        """A warning line under the bars (e.g. a 13-keypoint model); "" clears it."""
        self.note_label.setText(text)

    @property
    def order(self) -> str:
        """The order checked."""
        button = self.order_buttons.checkedButton()
        return button.property("order") if button is not None else COORDINATE_ORDERS[0]

    @property
    def counted(self) -> str | None:
        """The class chosen for counting, or None."""
        return self.count_combo.currentData()

    def _layout_bars(self) -> None:
        order = self.order
        orders = (order, *(o for o in COORDINATE_ORDERS if o != order)) if self.compare_check.isChecked() else (order,)
        self.bars.set_labels(self._labels, orders)

    @Slot(object)
    def add_classification(self, classification: FrameClassification | None) -> None:
        """Take the newest frame's classification (refreshes at most every 100 ms)."""
        self._newest = classification
        self._throttle.request()

    @Slot()
    def refresh(self) -> None:
        """Show the newest classification now."""
        self._throttle.refreshed()
        frame = self._newest
        best = frame.best if frame is not None else None
        order = frame.order if frame is not None else self.order
        self.bars.show_classification(best, order)
        other = None
        if frame is not None and best is not None and frame.other:
            other = frame.other[frame.counted_pose]
            self.bars.show_classification(other, other.order)
        elif self.compare_check.isChecked():
            self.bars.show_classification(None, next(o for o in COORDINATE_ORDERS if o != order))
        top = best.label if best is not None else None
        # A frame the classifier cannot take (e.g. a 13-keypoint model) has poses all the same:
        # not "no pose", and no repetition count.
        inapplicable = frame is not None and bool(frame.note) and top is None
        self.top_label.setText(f"{top}  {best.score:.2f}" if top is not None else
                               "classifier does not apply" if inapplicable else ("no pose" if frame is not None else ""))
        self.other_label.setText(f"fed ({ORDER_SHORT[other.order]}, score): {other.label} {other.score:.2f}"
                                 if other is not None and other.label is not None else "")
        counted = frame.counted if frame is not None else None
        self.reps_label.setText(f"reps: {frame.repetitions}" if counted is not None and frame.repetitions is not None
                                and not inapplicable else "")
        self.reps_label.setVisible(bool(self.reps_label.text()))
        if frame is not None and frame.note:  # e.g. a 13-keypoint model: until a frame classifies again
            self.note_label.setText(frame.note)
            self._frame_note = True
        elif self._frame_note and frame is not None:
            self.note_label.setText("")
            self._frame_note = False

    # ------------------------------------------------------------------ user -> controller
    @Slot(object)
    def _order_clicked(self, button) -> None:
        self._layout_bars()
        self.order_changed.emit(button.property("order"))

    @Slot(int)
    def _count_picked(self, _index: int) -> None:
        self.counted_changed.emit(self.counted)
