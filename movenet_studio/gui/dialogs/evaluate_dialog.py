"""Tools > Evaluate...: the error atlas of model A (or a results file) and optionally B on
COCO annotations, run in the background with progress and Cancel, shown in an
:class:`~..panels.error_atlas_view.ErrorAtlasView`.

The run is :func:`movenet_studio.core.evaluation.atlas_run.run_atlas` on a
:class:`~..background.BackgroundTask` (its own backends on the worker thread): the window's
playback, models and tracking are not touched. Paths and models are remembered.
"""

from __future__ import annotations

import os
import stat
from functools import partial
from pathlib import Path

from PySide6.QtCore import QSettings, Signal, Slot
from PySide6.QtWidgets import (QComboBox, QFileDialog, QGridLayout, QHBoxLayout, QLabel, QLineEdit,
                               QProgressBar, QPushButton, QVBoxLayout, QWidget)

from ...core.evaluation import DEFAULT_MODELS, PROTOCOLS
from ...core.evaluation.atlas_run import AtlasRequest, AtlasRun, run_atlas
from ...core.models.catalog import bundled_keys
from ..background import BackgroundTask
from ..panels.error_atlas_view import ErrorAtlasView
from .job_dialog import JobDialog

#: Model B's "no model" entry.
NO_MODEL = "(none)"
#: Settings keys (remembered between runs).
SETTING_KEYS = ("annotations", "images", "results_a", "results_b", "model_a", "model_b", "protocol")


def dropped_kind(path: Path) -> str | None:
    """What a dropped path is for the dialog: ``images`` (a folder), ``annotations`` (a JSON
    object), ``results`` (a JSON list), or None. Only regular files are opened (a FIFO never)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISDIR(mode):
        return "images"
    if not stat.S_ISREG(mode) or path.suffix.lower() != ".json":
        return None
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return None
    return {b"{"[0]: "annotations", b"["[0]: "results"}.get(head[0]) if head else None


def _path_row(line: QLineEdit, pick) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(line, 1)
    button = QPushButton("Browse…")
    button.clicked.connect(pick)
    layout.addWidget(button)
    return row


class EvaluateDialog(JobDialog):
    """The Evaluate dialog (non-modal).

    Signals:
        finished_run(object): an :class:`AtlasRun` was shown.
    """

    finished_run = Signal(object)

    def __init__(self, parent=None, settings: QSettings | None = None):
        super().__init__(parent)
        self.setWindowTitle("Evaluate: error atlas")
        self.resize(1100, 720)
        self._settings = settings
        self.task: BackgroundTask | None = None
        self.last_run: AtlasRun | None = None

        self.annotations = QLineEdit()
        self.annotations.setPlaceholderText("COCO person-keypoints JSON, e.g. person_keypoints_val2017.json")
        self.images = QLineEdit()
        self.images.setPlaceholderText("folder of the annotated images (needed to run a model)")
        self.results_a = QLineEdit()
        self.results_a.setPlaceholderText("optional: a COCO results file instead of model A (a phone's output)")
        self.results_b = QLineEdit()
        self.results_b.setPlaceholderText("optional: a COCO results file instead of model B")
        self.model_a = QComboBox()
        self.model_a.setEditable(True)
        self.model_a.addItems(list(dict.fromkeys([DEFAULT_MODELS["single"], DEFAULT_MODELS["multi"],
                                                  *bundled_keys()])))
        self.model_b = QComboBox()
        self.model_b.setEditable(True)
        self.model_b.addItems([NO_MODEL, *bundled_keys()])
        self.protocol = QComboBox()
        self.protocol.addItems(PROTOCOLS)
        self.protocol.currentTextChanged.connect(self._protocol_changed)
        self.protocol.setToolTip("single: one crop per person, each prediction scored against its own person; "
                                 "multi: whole images, standard COCO matching (MultiPose)")
        form = QGridLayout()
        rows = [("Annotations", _path_row(self.annotations, partial(self._pick_file, self.annotations))),
                ("Images", _path_row(self.images, self._pick_folder)),
                ("Model A", self.model_a),
                ("or results A", _path_row(self.results_a, partial(self._pick_file, self.results_a))),
                ("Model B", self.model_b),
                ("or results B", _path_row(self.results_b, partial(self._pick_file, self.results_b))),
                ("Protocol", self.protocol)]
        for r, (label, widget) in enumerate(rows):
            form.addWidget(QLabel(label), r, 0)
            form.addWidget(widget, r, 1)

        self.run_button = QPushButton("Evaluate")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status_label = QLabel("Choose the annotations and a model or results file, then Evaluate")
        self.status_label.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.progress, 1)

        self.setAcceptDrops(True)
        self.view = ErrorAtlasView()
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status_label)
        layout.addWidget(self.view, 1)
        self._restore()

    @Slot(str)
    def _protocol_changed(self, protocol: str) -> None:
        """Model A follows the protocol while it is the other protocol's default (lightning <-> multipose)."""
        if self.model_a.currentText() in DEFAULT_MODELS.values():
            self.model_a.setCurrentText(DEFAULT_MODELS[protocol])

    # -- inputs -----------------------------------------------------------------------------

    def _pick_file(self, line: QLineEdit) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a JSON file", line.text(), "JSON (*.json);;All files (*)")
        if path:
            line.setText(path)

    def _pick_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose the images folder", self.images.text())
        if path:
            self.images.setText(path)

    def request(self) -> AtlasRequest:
        """The request the fields describe.

        Raises:
            ValueError: no annotations, or a model without images.
        """
        annotations = self.annotations.text().strip()
        if not annotations:
            raise ValueError("choose the annotation file")
        images = self.images.text().strip() or None
        results_a = self.results_a.text().strip() or None
        results_b = self.results_b.text().strip() or None
        model_a = None if results_a else (self.model_a.currentText().strip() or None)
        model_b = self.model_b.currentText().strip()
        model_b = None if results_b or model_b in ("", NO_MODEL) else model_b
        if (model_a or model_b) and images is None:
            raise ValueError("running a model needs the images folder (or give results files)")
        if not model_a and not results_a:
            raise ValueError("choose model A or a results file A")
        return AtlasRequest(Path(annotations), Path(images) if images else None, model_a, model_b,
                            Path(results_a) if results_a else None, Path(results_b) if results_b else None,
                            self.protocol.currentText())

    def _restore(self) -> None:
        if self._settings is None:
            return
        for key in SETTING_KEYS:
            value = self._settings.value(f"evaluate/{key}", "")
            if not isinstance(value, str) or not value:
                continue
            widget = getattr(self, key)
            if isinstance(widget, QLineEdit):
                widget.setText(value)
            else:
                widget.setCurrentText(value)

    def _remember(self) -> None:
        if self._settings is None:
            return
        for key in SETTING_KEYS:
            widget = getattr(self, key)
            value = widget.text() if isinstance(widget, QLineEdit) else widget.currentText()
            self._settings.setValue(f"evaluate/{key}", value)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt)
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 (Qt)
        """Dropped files fill the fields: a folder the images, a JSON object the annotations,
        a JSON list results A (or B once A is set)."""
        self.drop_paths([Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()])
        event.acceptProposedAction()

    def drop_paths(self, paths: list[Path]) -> None:
        """Fill the fields from `paths` (see :meth:`dropEvent`); unusable ones are named in the status line."""
        skipped = []
        for path in paths:
            kind = dropped_kind(path)
            if kind == "results":
                (self.results_b if self.results_a.text().strip() else self.results_a).setText(str(path))
            elif kind is not None:
                getattr(self, kind).setText(str(path))
            else:
                skipped.append(path.name)
        if skipped:
            self.status_label.setText(f"⚠ not an annotation file, results file or folder: {', '.join(skipped)}")

    # -- running ----------------------------------------------------------------------------

    @Slot()
    def start(self) -> BackgroundTask | None:
        """Evaluate in the background; returns the task (None when the fields are invalid or a run is on)."""
        if self.running:
            return None
        try:
            request = self.request()
        except ValueError as exc:
            self.status_label.setText(f"⚠ {exc}")
            return None
        self._remember()
        return self._launch(partial(run_atlas, request), name="movenet-evaluate", status="Evaluating…", busy=True)

    @Slot(object)
    def _on_succeeded(self, run: AtlasRun) -> None:
        self.last_run = run
        self.view.show_run(run)
        parts = [f"{'AB'[n]} {label}: AP {r.ap:.3f} over {r.persons} persons" if r.ap is not None
                 else f"{'AB'[n]} {label}: no AP" for n, (label, r) in enumerate(zip(run.labels, run.results))]
        self.status_label.setText("Done. " + "; ".join(parts))
        self.finished_run.emit(run)

    @Slot()
    def _on_ended(self) -> None:
        super()._on_ended()
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if self.task is not None and self.task.outcome == "succeeded" else 0)
