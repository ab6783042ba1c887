"""Tools ▸ Benchmark…: run :func:`movenet_studio.core.bench.run_bench` on the open source in the
background and plot the results.

The dialog is non-modal: the benchmark runs on a :class:`~.background.BackgroundTask` (its
own pipelines, built on the worker thread), with progress and Cancel, while the window
stays live. Playback can be paused while it measures (on by default: the window's own
inference would otherwise compete for the same cores and lower the figures).

Plots (:mod:`.bench_plots`, items created once and updated in place):

* **Throughput**: per configuration, raw inference FPS (``Backend.invoke`` alone) and
  pipeline FPS (read + preprocess + inference + decode ...), side by side.
* **Latency**: per configuration, p50 / p95 / p99 of the raw inference and of the
  pipeline's per-frame total, in ms.
* **Per-op profile** (with "per-op profile"): where ONNX Runtime spends the time of the
  configuration chosen beside it, per op type (``bench --per-op``).

"Save JSON…" writes the ``movenet-studio bench --json`` document of the last run.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QGridLayout, QGroupBox, QHBoxLayout, QLabel,
                               QLineEdit, QListWidget, QListWidgetItem, QPlainTextEdit, QProgressBar,
                               QPushButton, QSpinBox, QSplitter, QTabWidget, QVBoxLayout, QWidget)

from ...core.atomic import write_json_atomic
from ...core.bench import OK, BenchConfig, BenchReport, format_report, make_configs, run_bench
from ...core.errors import Cancelled
from ...core.models.catalog import bundled_formats, bundled_keys
from ...core.progress import JobControl
from ..background import BackgroundTask
from .bench_plots import BenchPlots, PerOpPlot
from .job_dialog import JobDialog

#: Backends offered (a configuration a backend cannot run comes back as "skipped").
BACKENDS = ("tflite", "onnx")
def parse_threads(text: str) -> list[int]:
    """``"1, 2,4"`` -> ``[1, 2, 4]`` (unique, in order).

    Raises:
        ValueError: an entry that is not a whole number >= 1, or no entry.
    """
    values: list[int] = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        value = int(part)
        if value < 1:
            raise ValueError(f"threads must be at least 1, got {value}")
        if value not in values:
            values.append(value)
    if not values:
        raise ValueError("give at least one thread count, e.g. 1,2")
    return values


def _bench_job(configs: list[BenchConfig], source: str | None, frames: int, warmup: int, per_op: bool,
               control: JobControl) -> BenchReport:
    """Worker-thread body: run_bench with the task's progress and cancel; a cancelled run
    returns the report of the configurations measured so far (``cancelled`` set)."""
    try:
        return run_bench(configs, source, frames=frames, warmup=warmup, control=control, per_op=per_op)
    except Cancelled as exc:
        return exc.partial


class BenchDialog(JobDialog):
    """Choose models, backends, threads, heads and frame counts; run; plot; save JSON.

    Args:
        window: the main window (``player`` for the source and pausing, ``engine`` for the
            current model, ``reporter`` for messages).

    Signals:
        finished_report(object): the :class:`~movenet_studio.core.bench.BenchReport` of a run
            (also after a cancel: then ``report.cancelled`` is True).
        failed(str, str): the run could not start or failed (message, details).
    """

    finished_report = Signal(object)
    failed = Signal(str, str)

    def __init__(self, window):
        super().__init__(window)
        self._window = window
        self.setWindowTitle("Benchmark")
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.task: BackgroundTask | None = None
        self.report: BenchReport | None = None
        self._resume_playback = False
        self.last_dir = str(Path.home())

        self.source_label = QLabel()
        self.source_label.setWordWrap(True)
        self.models_list = QListWidget()
        self.models_list.setMaximumHeight(130)
        for key in bundled_keys():
            item = QListWidgetItem(key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.models_list.addItem(item)
        self.backend_checks = {name: QCheckBox(name) for name in BACKENDS}
        self.backend_checks["tflite"].setChecked(True)
        for check in self.backend_checks.values():
            check.toggled.connect(self._sync_availability)
        self._sync_availability()
        self.threads_edit = QLineEdit("2")
        self.threads_edit.setToolTip("Thread counts to measure, comma-separated, e.g. 1,2")
        self.heads_check = QCheckBox("also with heads read (heatmap overlays)")
        self.per_op_check = QCheckBox("per-op profile (ONNX Runtime)")
        self.per_op_check.setToolTip("Profile each ONNX Runtime configuration per node and op type after timing it; "
                                     "TFLite's Python runtime exposes no per-op profile")
        self.frames_spin = QSpinBox()
        self.frames_spin.setRange(1, 100_000)
        self.frames_spin.setValue(100)
        self.warmup_spin = QSpinBox()
        self.warmup_spin.setRange(0, 10_000)
        self.warmup_spin.setValue(10)
        self.pause_check = QCheckBox("Pause playback while measuring")
        self.pause_check.setChecked(True)
        self.run_button = QPushButton("Run")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.save_button = QPushButton("Save JSON…")
        self.save_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status_label = QLabel("Pick configurations and press Run.")
        self.status_label.setWordWrap(True)
        self.plots = BenchPlots()
        self.plots.setMinimumSize(560, 420)
        self.per_op_plot = PerOpPlot()
        self.per_op_plot.setMinimumHeight(200)
        self.per_op_choice = QComboBox()
        self.per_op_choice.setToolTip("Configuration whose per-op profile is shown")
        # The text report (what `bench` prints, ~140 columns) has a tab of its own, the dialog's
        # whole width and height: squeezed under the charts it was cut off after a few lines.
        self.table = QPlainTextEdit()
        self.table.setReadOnly(True)
        self.table.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.table.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.table.setPlaceholderText("The figures of the last run, as `movenet-studio bench` prints them.")

        setup = QGroupBox("Configurations")
        grid = QGridLayout(setup)
        grid.addWidget(self.source_label, 0, 0, 1, 2)
        grid.addWidget(QLabel("Models"), 1, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.models_list, 1, 1)
        backends = QHBoxLayout()
        for check in self.backend_checks.values():
            backends.addWidget(check)
        backends.addStretch(1)
        grid.addWidget(QLabel("Backends"), 2, 0)
        grid.addLayout(backends, 2, 1)
        grid.addWidget(QLabel("Threads"), 3, 0)
        grid.addWidget(self.threads_edit, 3, 1)
        grid.addWidget(self.heads_check, 4, 1)
        grid.addWidget(self.per_op_check, 7, 1)
        counts = QHBoxLayout()
        counts.addWidget(self.frames_spin)
        counts.addWidget(QLabel("timed frames, warm-up"))
        counts.addWidget(self.warmup_spin)
        counts.addStretch(1)
        grid.addWidget(QLabel("Frames"), 5, 0)
        grid.addLayout(counts, 5, 1)
        grid.addWidget(self.pause_check, 6, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        left_widget = QWidget()
        left = QVBoxLayout(left_widget)
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(setup)
        left.addLayout(buttons)
        left.addWidget(self.progress)
        left.addWidget(self.status_label)
        left.addStretch(1)
        charts = QWidget()
        right = QVBoxLayout(charts)
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(self.plots, 2)
        right.addWidget(self.per_op_choice)
        right.addWidget(self.per_op_plot, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)  # the setup column can be narrowed
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(left_widget)
        splitter.addWidget(charts)
        splitter.setStretchFactor(1, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(splitter, "Run and charts")
        self.tabs.addTab(self.table, "Text report")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        self.resize(1200, 860)

        self.run_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.save_button.clicked.connect(self.choose_json_file)
        self.per_op_choice.currentIndexChanged.connect(self._show_per_op)
        self.refresh_source()
        self._check_current_model()

    # ------------------------------------------------------------------ setup
    def _source(self) -> tuple[str | None, str]:
        """(spec for run_bench, text to show): the open file source, or synthetic frames."""
        info = self._window.player.info
        if info is None:
            return None, "No source open: synthetic 640×480 frames"
        if info.is_live:
            return None, f"{info.name} is a camera (in use by the window): synthetic 640×480 frames"
        return info.spec, f"Source: <b>{info.name}</b>"

    def refresh_source(self) -> None:
        """Show which source the next run reads."""
        self.source_label.setText(self._source()[1])

    def _check_current_model(self) -> None:
        model = self._window.engine.model
        key = model.spec.key if model is not None and model.spec.bundled else "lightning-float16"
        self.set_selection(models=[key])

    def set_selection(self, *, models: list[str] | None = None, backends: list[str] | None = None,
                      threads: list[int] | None = None, heads: bool | None = None, frames: int | None = None,
                      warmup: int | None = None, per_op: bool | None = None) -> None:
        """Set the dialog's choices (anything left None keeps its value)."""
        if models is not None:
            for row in range(self.models_list.count()):
                item = self.models_list.item(row)
                item.setCheckState(Qt.CheckState.Checked if item.text() in models else Qt.CheckState.Unchecked)
        if backends is not None:
            for name, check in self.backend_checks.items():
                check.setChecked(name in backends)
        if threads is not None:
            self.threads_edit.setText(",".join(str(t) for t in threads))
        if heads is not None:
            self.heads_check.setChecked(heads)
        if frames is not None:
            self.frames_spin.setValue(frames)
        if warmup is not None:
            self.warmup_spin.setValue(warmup)
        if per_op is not None:
            self.per_op_check.setChecked(per_op)

    def configs(self) -> list[BenchConfig]:
        """The configurations chosen (models × backends × threads × heads off[/on]).

        Raises:
            ValueError: no model or backend chosen, or a bad thread list.
        """
        models = [self.models_list.item(r).text() for r in range(self.models_list.count())
                  if self.models_list.item(r).checkState() == Qt.CheckState.Checked]
        backends = [name for name, check in self.backend_checks.items() if check.isChecked()]
        if not models:
            raise ValueError("tick at least one model")
        if not backends:
            raise ValueError("tick at least one backend")
        heads = (False, True) if self.heads_check.isChecked() else (False,)
        configs = make_configs(models, backends, parse_threads(self.threads_edit.text()), heads)
        # A bundled model without a file for a backend (int8 on ONNX Runtime) is not measured there.
        possible = [c for c in configs if c.backend in (bundled_formats(c.model) or (c.backend,))]
        if not possible:
            raise ValueError("none of the ticked models has a file for the ticked backends "
                             "(the int8 models are TFLite only)")
        return possible

    @Slot()
    def _sync_availability(self) -> None:
        """Grey out the models no ticked backend can run (int8 with only ONNX Runtime ticked);
        each such model says why in its tooltip."""
        backends = [name for name, check in self.backend_checks.items() if check.isChecked()]
        for row in range(self.models_list.count()):
            item = self.models_list.item(row)
            formats = bundled_formats(item.text())
            missing = [b for b in backends if formats and b not in formats]
            usable = not backends or len(missing) < len(backends)
            flags = item.flags()
            item.setFlags(flags | Qt.ItemFlag.ItemIsEnabled if usable else flags & ~Qt.ItemFlag.ItemIsEnabled)
            item.setToolTip(f"no {', '.join(missing)} file: measured on {', '.join(formats)} only" if missing else "")

    # ------------------------------------------------------------------ running
    @Slot()
    def start(self) -> BackgroundTask | None:
        """Run the chosen configurations in the background; returns the task (None when the
        choices are invalid or a run is in progress)."""
        if self.running:
            return None
        try:
            configs = self.configs()
        except ValueError as exc:
            self.status_label.setText(f"⚠ {exc}")
            return None
        source, text = self._source()
        self.source_label.setText(text)
        player = self._window.player
        self._resume_playback = bool(self.pause_check.isChecked() and player.is_playing)
        if self._resume_playback:
            player.pause()
        job = partial(_bench_job, configs, source, self.frames_spin.value(), self.warmup_spin.value(),
                      self.per_op_check.isChecked())
        plural = "s" if len(configs) != 1 else ""
        return self._launch(job, name="movenet-bench", status=f"Measuring {len(configs)} configuration{plural}…",
                            cancelled=False)

    @Slot(object)
    def _on_succeeded(self, report: BenchReport) -> None:
        self.report = report
        self.plots.show_report(report)
        self.table.setPlainText(format_report(report))
        self._fill_per_op_choice(report)
        ok = sum(1 for r in report.results if r.status == OK)
        others = [f"{r.config.label}: {r.status} ({r.reason})" for r in report.results if r.status != OK]
        head = "Cancelled: " if report.cancelled else "Done: "
        self.status_label.setText(head + f"{ok} of {len(report.results)} configuration(s) measured"
                                  + ("\n" + "\n".join(others) if others else ""))
        self.save_button.setEnabled(True)
        self.finished_report.emit(report)

    def _fill_per_op_choice(self, report: BenchReport) -> None:
        """List the configurations that ran; pick the first one with a per-op profile."""
        rows = [r for r in report.results if r.status == OK]
        self.per_op_choice.blockSignals(True)
        self.per_op_choice.clear()
        for r in rows:
            self.per_op_choice.addItem(r.config.label + ("" if r.per_op else " (no per-op profile)"), r)
        self.per_op_choice.blockSignals(False)
        profiled = [i for i, r in enumerate(rows) if r.per_op is not None]
        self.per_op_choice.setCurrentIndex(profiled[0] if profiled else 0)
        self._show_per_op()

    @Slot()
    def _show_per_op(self) -> None:
        self.per_op_plot.show_result(self.per_op_choice.currentData())

    @Slot(str, str)
    def _on_failed(self, message: str, details: str) -> None:
        self.status_label.setText(f"⚠ Benchmark failed: {message}")
        self._window.reporter.serious(f"Benchmark failed: {message}", details)
        self.failed.emit(message, details)

    @Slot()
    def _on_ended(self) -> None:
        if self.task is not None:
            self.task.wait(5.0)
        super()._on_ended()
        if self._resume_playback:
            self._resume_playback = False
            self._window.player.play()

    # ------------------------------------------------------------------ saving
    @Slot()
    def choose_json_file(self) -> None:
        """Ask for a file and save the last report as JSON."""
        if self.report is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save benchmark JSON", str(Path(self.last_dir) / "bench.json"),
                                              "JSON (*.json)")
        if path:
            self.save_json(path)

    def save_json(self, path: Path | str) -> bool:
        """Write the last report (the ``bench --json`` document) to `path`; False after
        reporting an error (or when nothing was measured yet)."""
        if self.report is None:
            return False
        try:
            write_json_atomic(path, self.report.to_json())
        except (OSError, ValueError) as exc:
            self.status_label.setText(f"⚠ Could not save {path}: {exc}")
            self._window.reporter.serious(f"Could not save the benchmark to {path}: {exc}")
            return False
        self.last_dir = str(Path(path).parent)
        self.status_label.setText(f"Saved {path}")
        return True
