"""Pose classification in the window: loads the classifier (off the GUI thread: the file is
probed in a child process), hands the engine its classification stage, and routes results to
the Classification panel and the video overlay. The files, the order, "compare orders" and the
counted class the user picks in the window are remembered in the settings (a classifier given
on the command line is used for that run only, like the other scripted choices).

Changing the order, the compare view or the counted class never reloads a model or resets
tracking: they are settings of the running stage (the counter restarts, since its count
would mix two classifiers' answers). On a paused frame the panel and overlay are refreshed
by classifying the frame on screen again, without counting it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QWidget

from ...core.classify.classification import FrameClassifier
from ...core.classify.classifier import COORDINATE_ORDERS, ClassifierError, load_classifier
from ..background import BackgroundTask
from ..settings import absolute_path
from ..overlays.classification_overlay import ClassificationOverlay
from ..panels.classification_panel import ClassificationPanel
from ..slot_timing import timed

#: Settings keys.
KEYS = {"classifier": "classification/classifier", "labels": "classification/labels",
        "order": "classification/order", "compare": "classification/compare", "count": "classification/count"}
#: Labels file names looked for beside a chosen classifier, in order.
LABEL_NAMES = ("labels.txt", "pose_labels.txt")


@dataclass(frozen=True, slots=True)
class ClassifierRequest:
    """A classifier asked for on the command line (``gui --classifier F --labels F ...``).

    Attributes:
        path, labels: the classifier and labels files.
        order: ``xy`` or ``yx`` (None: the saved choice).
        count: class to count (None: the saved choice).
    """

    path: str
    labels: str
    order: str | None = None
    count: str | None = None


class ClassificationController(QObject):
    """Owns the Classification panel and the video overlay of the pose classifier.

    Args:
        engine: the :class:`~.engine.Engine` (its stage is set with ``set_classifier``).
        video_view: the central :class:`~.video_view.VideoView` (captions go in its ViewBox).
        settings: :class:`~.settings.StudioSettings` (QSettings underneath).
        reporter: :class:`~.messages.ErrorReporter` for status lines and errors.
        parent: the main window (dialog parent).

    Signals:
        loaded(): a classifier was loaded (:attr:`stage` is its stage).
    """

    loaded = Signal()

    def __init__(self, engine, video_view, settings, reporter, parent: QWidget):
        super().__init__(parent)
        self._engine, self._settings, self._reporter, self._window = engine, settings, reporter, parent
        self.panel = ClassificationPanel()
        self.overlay = ClassificationOverlay(video_view.view_box)
        self.stage: FrameClassifier | None = None
        self._task: BackgroundTask | None = None
        self._shown = None  # the last FrameResult delivered
        self._then: Callable[[], None] | None = None  # run once the load ended (either way)
        qs = settings.qsettings
        order = str(qs.value(KEYS["order"]) or "xy")
        self.panel.set_order(order if order in COORDINATE_ORDERS else "xy")
        self.panel.set_compare(str(qs.value(KEYS["compare"])).lower() == "true")
        self.open_action = QAction("Open pose &classifier…", self)
        self.open_action.setStatusTip("Classify poses with a .tflite/.onnx classifier (Google's tutorial format)")
        self.open_action.triggered.connect(self.choose_classifier)
        panel = self.panel
        panel.choose_classifier.connect(self.choose_classifier)
        panel.choose_labels.connect(self.choose_labels)
        panel.order_changed.connect(self.set_order)
        panel.compare_toggled.connect(self.set_compare)
        panel.counted_changed.connect(self.set_counted)
        panel.reset_requested.connect(self.reset_counter)
        engine.result_ready.connect(self.show_result)

    # ------------------------------------------------------------------ loading
    def restore(self, request: ClassifierRequest | None = None, then: Callable[[], None] | None = None) -> None:
        """Load the classifier of `request`, else the one remembered in the settings if its files
        still exist; `then` runs once that load has ended (at once when nothing is loaded)."""
        qs = self._settings.qsettings
        if request is not None:
            self.load(request.path, request.labels, order=request.order,
                      counted=request.count or qs.value(KEYS["count"]) or None, then=then, remember=False)
            return
        path, labels = qs.value(KEYS["classifier"]), qs.value(KEYS["labels"])
        if path and labels and Path(str(path)).is_file() and Path(str(labels)).is_file():
            self.load(str(path), str(labels), counted=qs.value(KEYS["count"]) or None, then=then,
                      remember=False, announce=False)
        elif then is not None:
            then()

    def load(self, path: str, labels: str, *, order: str | None = None, counted: str | None = None,
             compare: bool | None = None, then: Callable[[], None] | None = None, remember: bool = True,
             announce: bool = True) -> None:
        """Load classifier `path` with `labels` in the background; the answer arrives in the panel
        (and as :attr:`loaded` when `announce`), or as an error in the status bar and the panel.
        `then` is called in the GUI thread once the load has ended, either way; `remember`
        stores the files and choices in the settings once loaded."""
        if self._task is not None and self._task.is_running:
            self._reporter.warn("a classifier is still loading; try again in a moment")
            return
        if order is not None:
            self.panel.set_order(order)
        if compare is not None:
            self.panel.set_compare(compare)
        self._wanted = (str(path), str(labels), counted, remember, announce)
        self._then = then
        self.panel.set_note(f"Loading {Path(path).name}…")
        self._task = BackgroundTask(lambda _context: load_classifier(Path(path), Path(labels)),
                                    name="movenet-classifier-load", parent=self)
        self._task.succeeded.connect(self._on_loaded)
        self._task.failed.connect(self._on_failed)
        self._task.start()

    @Slot(object)
    def _on_loaded(self, classifier) -> None:
        path, labels, counted, remember, announce = self._wanted
        counted = counted if counted in classifier.labels else None
        self.stage = FrameClassifier(classifier, self.panel.order, counted,
                                     compare_orders=self.panel.compare_check.isChecked(), strict=False)
        self._engine.set_classifier(self.stage)
        self.panel.set_classes(classifier.labels, classifier.describe(), counted)
        self.panel.set_note("")
        if remember:
            qs = self._settings.qsettings
            qs.setValue(KEYS["classifier"], absolute_path(path))
            qs.setValue(KEYS["labels"], absolute_path(labels))
            self._save_choices()
        self._reporter.info(f"Pose classifier {classifier.describe()}")
        self._reclassify_shown()
        if announce:
            self.loaded.emit()
        self._run_then()

    @Slot(str, str)
    def _on_failed(self, message: str, details: str) -> None:
        self.panel.set_note(message)
        self._reporter.serious(f"cannot load the pose classifier: {message}", details)
        self._run_then()

    def _run_then(self) -> None:
        then, self._then = self._then, None
        if then is not None:
            then()

    @Slot()
    def choose_classifier(self) -> None:
        """Ask for a classifier file (and its labels when none lie beside it), then load it."""
        start = str(self._settings.qsettings.value(KEYS["classifier"]) or "")
        path, _ = QFileDialog.getOpenFileName(self._window, "Open pose classifier", start,
                                              "Pose classifiers (*.tflite *.onnx);;All files (*)")
        if not path:
            return
        labels = next((str(Path(path).with_name(n)) for n in LABEL_NAMES if Path(path).with_name(n).is_file()), None)
        if labels is None:
            labels, _ = QFileDialog.getOpenFileName(self._window, f"Labels of {Path(path).name}", str(Path(path).parent),
                                                    "Labels (*.txt);;All files (*)")
            if not labels:
                return
        self.load(path, labels, counted=self.panel.counted)

    @Slot()
    def choose_labels(self) -> None:
        """Ask for another labels file for the current (or remembered) classifier."""
        qs = self._settings.qsettings
        classifier = self.stage.classifier.path if self.stage is not None else qs.value(KEYS["classifier"])
        if not classifier:
            self.choose_classifier()
            return
        labels, _ = QFileDialog.getOpenFileName(self._window, "Classifier labels", str(Path(str(classifier)).parent),
                                                "Labels (*.txt);;All files (*)")
        if labels:
            self.load(str(classifier), labels, counted=self.panel.counted)

    # ------------------------------------------------------------------ settings of the stage
    @Slot(str)
    def set_order(self, order: str) -> None:
        """Feed `order` (``xy``/``yx``) from now on; restarts the counter."""
        self.panel.set_order(order)
        if self.stage is not None:
            self.stage.set_order(order)
            self._reclassify_shown()
        self._save_choices()

    @Slot(bool)
    def set_compare(self, on: bool) -> None:
        """Show both orders side by side, or only the one in use."""
        self.panel.set_compare(on)
        if self.stage is not None:
            self.stage.set_compare_orders(on)
            self._reclassify_shown()
        self._save_choices()

    @Slot(object)
    def set_counted(self, counted: str | None) -> None:
        """Count repetitions of `counted` (None: nothing); restarts the counter."""
        if self.stage is not None:
            try:
                self.stage.set_counted(counted)
            except ClassifierError as exc:
                self._reporter.warn(str(exc))
                return
            self._reclassify_shown()
        self._save_choices()

    @Slot()
    def reset_counter(self) -> None:
        """Start counting from 0."""
        if self.stage is not None:
            self.stage.reset()
            self._reclassify_shown()

    def _save_choices(self) -> None:
        qs = self._settings.qsettings
        qs.setValue(KEYS["order"], self.panel.order)
        qs.setValue(KEYS["compare"], self.panel.compare_check.isChecked())
        qs.setValue(KEYS["count"], self.panel.counted or "")

    # ------------------------------------------------------------------ results
    @Slot(object)
    @timed("classification.show_result")
    def show_result(self, engine_result) -> None:
        """Route a new result to the overlay and the panel."""
        result = engine_result.result
        self._shown = result
        self.overlay.set_result(result)
        self.panel.add_classification(result.classification)

    def _reclassify_shown(self) -> None:
        """Show the frame on screen classified with the current settings (not counted)."""
        result, stage = self._shown, self.stage
        if result is None or stage is None:
            return
        classification = stage.classify(result.poses, result.timestamp_ms, count=False)
        result = replace(result, classification=classification)
        self._shown = result
        self.overlay.set_result(result)
        self.panel.add_classification(classification)
        self.panel.refresh()

    def clear(self) -> None:
        """The source closed: nothing on screen."""
        self._shown = None
        self.overlay.clear()
        self.panel.add_classification(None)

    def shutdown(self) -> None:
        """Wait for a classifier still loading (its child process has a timeout)."""
        if self._task is not None:
            self._task.stop()
