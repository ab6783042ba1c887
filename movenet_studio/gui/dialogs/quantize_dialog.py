"""Tools ▸ Quantize…: quantize a float MoveNet on the open source, in the background.

The dialog runs :func:`movenet_studio.core.quantize.job.run_quantize` (what ``movenet-studio
quantize`` runs) on a :class:`~..background.BackgroundTask`, with progress and Cancel (a
cancelled run writes nothing). Model: the open model when it is a float one, else
Lightning; backend TFLite or ONNX; calibration sources: the open source preselected, more
can be added; scheme and I/O types; target (0: no repair, the full-int8 model); frames;
the output file.

When it is done, the quantized file opens as Compare B and in the Layers dock, the text
report shows, and the block-impact chart (:mod:`.quantize_plots`) plots per block the
keypoint pixels saved by keeping it float beside its SQNR. The choices are remembered.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFileDialog, QGridLayout, QHBoxLayout, QLabel,
                               QLineEdit, QListWidget, QPlainTextEdit, QProgressBar, QPushButton, QSpinBox,
                               QSplitter, QVBoxLayout, QWidget)

from ...core.progress import JobControl
from ...core.quantize.io_types import IO_TYPES
from ...core.quantize.job import SCHEMES, QuantizeRequest, run_quantize
from ..background import BackgroundTask
from .job_dialog import JobDialog
from .quantize_plots import BlockImpactPlot

MODELS = ("lightning", "thunder", "multipose")
SETTINGS = "quantize/"


def _quantize_job(request: QuantizeRequest, control: JobControl):
    return run_quantize(request, control)


class QuantizeDialog(JobDialog):
    """The Quantize dialog of `window` (a :class:`~..window.main_window.MainWindow`).

    Attributes:
        task: the running or last :class:`~..background.BackgroundTask`, or None.
        result: the last finished :class:`~movenet_studio.core.quantize.job.QuantizeResult`.
    """

    def __init__(self, window):
        super().__init__(window)
        self._window = window
        self.setWindowTitle("Quantize")
        self.task: BackgroundTask | None = None
        self.result = None
        self.model_combo = QComboBox()
        self.model_combo.setEditable(True)
        self.model_combo.addItems(MODELS)
        self.model_combo.setToolTip("A bundled float model, or the path of a float .tflite / .onnx file")
        self.backend_combo = QComboBox()
        self.backend_combo.addItems(("tflite", "onnx"))
        self.sources = QListWidget()
        self.sources.setMaximumHeight(80)
        add, remove = QPushButton("Add…"), QPushButton("Remove")
        add.clicked.connect(self._add_source)
        remove.clicked.connect(self._remove_source)
        self.scheme_combo = QComboBox()
        self.scheme_combo.addItems(SCHEMES)
        self.io_combo = QComboBox()
        self.io_combo.addItems(IO_TYPES)
        self.io_combo.setToolTip("Input and output types of the quantized file: float keeps the float model's own; "
                                 "int8 = int8 input (pixel - 128) and int8 outputs; uint8 = uint8 input and outputs")
        self.target_spin = QDoubleSpinBox()
        self.target_spin.setRange(0.0, 100.0)
        self.target_spin.setDecimals(2)
        self.target_spin.setSuffix(" px")
        self.target_spin.setSpecialValueText("none (full int8)")
        self.target_spin.setToolTip("Mean keypoint distance to float to reach on held-out frames; blocks are kept "
                                    "float until it is met")
        self.frames_spin = QSpinBox()
        self.frames_spin.setRange(1, 5000)
        self.frames_spin.setValue(200)
        self.out_edit = QLineEdit()
        browse = QPushButton("…")
        browse.clicked.connect(self._choose_out)
        self.run_button = QPushButton("Quantize")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.run_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        self.report_text = QPlainTextEdit()
        self.report_text.setReadOnly(True)
        self.report_text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.plot = BlockImpactPlot()

        grid = QGridLayout()
        grid.addWidget(QLabel("Model"), 0, 0)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model_combo, 1)
        model_row.addWidget(self.backend_combo)
        grid.addLayout(model_row, 0, 1)
        grid.addWidget(QLabel("Calibration"), 1, 0)
        source_row = QHBoxLayout()
        source_row.addWidget(self.sources, 1)
        buttons = QVBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        source_row.addLayout(buttons)
        grid.addLayout(source_row, 1, 1)
        grid.addWidget(QLabel("Scheme"), 2, 0)
        scheme_row = QHBoxLayout()
        scheme_row.addWidget(self.scheme_combo, 1)
        scheme_row.addWidget(QLabel("I/O"))
        scheme_row.addWidget(self.io_combo)
        grid.addLayout(scheme_row, 2, 1)
        grid.addWidget(QLabel("Target"), 3, 0)
        grid.addWidget(self.target_spin, 3, 1)
        grid.addWidget(QLabel("Frames"), 4, 0)
        grid.addWidget(self.frames_spin, 4, 1)
        grid.addWidget(QLabel("Output"), 5, 0)
        out_row = QHBoxLayout()
        out_row.addWidget(self.out_edit, 1)
        out_row.addWidget(browse)
        grid.addLayout(out_row, 5, 1)
        run_row = QHBoxLayout()
        run_row.addWidget(self.progress, 1)
        run_row.addWidget(self.run_button)
        run_row.addWidget(self.cancel_button)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.addLayout(grid)
        top_layout.addLayout(run_row)
        top_layout.addWidget(self.status_label)
        splitter = QSplitter()
        splitter.addWidget(self.report_text)
        splitter.addWidget(self.plot)
        layout = QVBoxLayout(self)
        layout.addWidget(top)
        layout.addWidget(splitter, 1)
        self.resize(980, 720)
        self._restore()

    # ------------------------------------------------------------------ choices
    def _restore(self) -> None:
        qs = self._window.settings.qsettings
        for key, setter in (("model", self.model_combo.setCurrentText), ("backend", self.backend_combo.setCurrentText),
                            ("scheme", self.scheme_combo.setCurrentText), ("io", self.io_combo.setCurrentText),
                            ("out", self.out_edit.setText)):
            value = qs.value(SETTINGS + key)
            if isinstance(value, str) and value:
                setter(value)
        for key, spin, kind in (("target", self.target_spin, float), ("frames", self.frames_spin, int)):
            try:
                spin.setValue(kind(qs.value(SETTINGS + key)))
            except (TypeError, ValueError):
                pass

    def _remember(self) -> None:
        qs = self._window.settings.qsettings
        qs.setValue(SETTINGS + "model", self.model_combo.currentText())
        qs.setValue(SETTINGS + "backend", self.backend_combo.currentText())
        qs.setValue(SETTINGS + "scheme", self.scheme_combo.currentText())
        qs.setValue(SETTINGS + "io", self.io_combo.currentText())
        qs.setValue(SETTINGS + "out", self.out_edit.text())
        qs.setValue(SETTINGS + "target", float(self.target_spin.value()))
        qs.setValue(SETTINGS + "frames", int(self.frames_spin.value()))

    def refresh(self) -> None:
        """Preselect the open source (a file, not a camera) and the open model when it is a float one."""
        info = self._window.player.info
        if info is not None and not info.is_live and not self.sources.findItems(info.spec, _exact()):
            self.sources.clear()
            self.sources.addItem(str(info.spec))
        model = self._window.engine.model
        if model is not None and model.spec.precision != "int8":
            spec = model.spec
            self.model_combo.setCurrentText(spec.variant if spec.bundled else str(spec.path))
            self.backend_combo.setCurrentText(spec.format)
        if not self.out_edit.text():
            self.out_edit.setText(str(Path.home() / self._default_name()))

    def _default_name(self) -> str:
        stem = Path(self.model_combo.currentText()).stem or "model"
        ext = ".onnx" if self.backend_combo.currentText() == "onnx" or stem.endswith(".onnx") else ".tflite"
        return f"{stem}_{self.scheme_combo.currentText()}{ext}"

    @Slot()
    def _add_source(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Calibration sources")
        for path in paths:
            self.sources.addItem(path)

    @Slot()
    def _remove_source(self) -> None:
        for item in self.sources.selectedItems():
            self.sources.takeItem(self.sources.row(item))

    @Slot()
    def _choose_out(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Quantized model", self.out_edit.text() or self._default_name(),
                                              "Models (*.tflite *.onnx)")
        if path:
            self.out_edit.setText(path)

    def request(self) -> QuantizeRequest:
        """The request the choices describe.

        Raises:
            ValueError: no source or no output file.
        """
        sources = tuple(self.sources.item(i).text() for i in range(self.sources.count()))
        if not sources:
            raise ValueError("add a calibration source (a video, image or folder)")
        out = self.out_edit.text().strip()
        if not out:
            raise ValueError("choose the output file")
        target = float(self.target_spin.value()) or None
        return QuantizeRequest(model=self.model_combo.currentText().strip(), backend=self.backend_combo.currentText(),
                               calibration=sources, out=Path(out).expanduser(), scheme=self.scheme_combo.currentText(),
                               keep_float="auto" if target is not None else "none", target_px=target,
                               frames=int(self.frames_spin.value()), io=self.io_combo.currentText())

    # ------------------------------------------------------------------ run
    def start(self) -> BackgroundTask | None:
        """Quantize in the background; returns the task (None when the choices are invalid or a run is going on)."""
        if self.running:
            return None
        try:
            request = self.request()
        except ValueError as exc:
            self.status_label.setText(f"⚠ {exc}")
            return None
        self._remember()
        return self._launch(partial(_quantize_job, request), name="movenet-quantize",
                            status=f"Quantizing {request.model} ({request.backend}, {request.scheme})…")

    @Slot(object)
    def _on_succeeded(self, result) -> None:
        self.result = result
        self.report_text.setPlainText(result.text)
        self.plot.show_report(result.report)
        out = str(result.report["model_out"])
        self.status_label.setText(f"Written {out}: opened as Compare B and in the Layers dock")
        window = self._window
        window.compare.start(out)
        window.layers.set_b(out)
        window.layers.show()

    @Slot(str, str)
    def _on_failed(self, message: str, details: str) -> None:
        self.status_label.setText(f"⚠ {message}")
        if details:
            self._window.reporter.serious(f"Quantize failed: {message}", details)

    @Slot(str)
    def _on_cancelled(self, _message: str) -> None:
        self.status_label.setText("Cancelled: nothing was written")


def _exact():
    from PySide6.QtCore import Qt

    return Qt.MatchFlag.MatchExactly
