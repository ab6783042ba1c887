"""Save frame, Export video… and Export keypoints…: the window's export actions.

* **Save frame** (Ctrl+S) writes the frame on screen with its overlays at the source's
  resolution: :func:`~movenet_studio.core.render.render_overlays` of the result on screen
  with :meth:`VideoView.overlay_options` (what the view draws), so the file matches the
  screen and ``movenet-studio export``. PNG or JPEG by extension; optionally the raw frame
  beside it (raw | annotated).
* **Export video…** and **Export keypoints…** run :func:`~movenet_studio.core.export.export_video`
  over the whole source or a frame range on a :class:`~.background.BackgroundTask`: the job
  opens its own reader on the source and builds its own
  :class:`~movenet_studio.core.pipeline.Pipeline` *on the worker thread* from the
  configuration the window's engine runs now (heads added when the overlays need them), so
  the window, its playback and its inference carry on. A non-modal progress dialog shows
  the rate and ETA and cancels. The core writes beside the target and renames at the end,
  so a cancelled or failed export leaves no file; an existing target is replaced only after
  the user said so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QButtonGroup, QDialog, QDialogButtonBox, QFileDialog, QGridLayout,
                               QHBoxLayout, QLabel, QLineEdit, QMessageBox, QProgressDialog, QPushButton,
                               QRadioButton, QSpinBox, QWidget)

from ..core.atomic import atomic_output
from ..core.files import check_outputs
from ..core.export import (ExportCancelled, ExportError, ExportSummary, check_output_path, coco_image_ids,
                           export_video, write_keypoints)
from ..core.classification import ClassifierSpec
from ..core.pipeline import FrameResult, Pipeline, PipelineConfig
from ..core.render import OverlayOptions, render_overlays
from ..core.sources import open_source
from .background import BackgroundTask, TaskContext, format_eta

#: Overlay layers that need the model's heads (the export pipeline then reads them).
HEAD_LAYERS = frozenset({"heatmaps", "centre", "regression", "offsets", "decode"})
#: Image types of Save frame, by extension.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
#: JPEG quality of Save frame.
JPEG_QUALITY = 95
VIDEO_FILTER = "MP4 video (*.mp4);;QuickTime (*.mov);;AVI (*.avi)"
KEYPOINTS_FILTER = "COCO keypoint results (*.json);;CSV, one row per keypoint (*.csv)"
IMAGE_FILTER = "PNG image (*.png);;JPEG image (*.jpg *.jpeg)"


# --- save frame (pure functions, testable without a window) -----------------------------------

def annotated_frame(result: FrameResult, options: OverlayOptions, raw_beside: bool = False) -> np.ndarray:
    """The frame of `result` with `options`' overlays at its own resolution.

    Args:
        result: the pipeline result (its ``frame`` is drawn on, not modified).
        options: the overlays (normally :meth:`VideoView.overlay_options`).
        raw_beside: put the raw frame on the left: ``[raw | annotated]``, twice as wide.

    Returns:
        uint8 [H, W, 3] RGB (or [H, 2W, 3] with `raw_beside`), a new array.
    """
    image = render_overlays(result.frame, result, options)
    if raw_beside:
        image = np.concatenate([np.asarray(result.frame, dtype=np.uint8), image], axis=1)
    return image


def write_image(path: Path | str, rgb: np.ndarray, *, force: bool = True) -> Path:
    """Write uint8 RGB `rgb` as PNG or JPEG (by `path`'s extension), atomically.

    Raises:
        ExportError: another extension, `path` exists without `force`, the folder is not
            writable, or encoding failed. Nothing is left under `path` on failure.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in IMAGE_EXTENSIONS:
        raise ExportError(f"{path.name}: save the frame as .png or .jpg")
    check_output_path(path, force)
    params = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY] if suffix != ".png" else []
    ok, data = cv2.imencode(".png" if suffix == ".png" else ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params)
    if not ok:
        raise ExportError(f"{path.name}: could not encode the image")
    try:
        with atomic_output(path, "wb") as handle:
            handle.write(data.tobytes())
    except OSError as exc:
        raise ExportError(f"{path}: cannot write in folder {path.parent} ({exc.strerror or exc})") from None
    return path


# --- background export -----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ExportRequest:
    """One export to run in the background.

    Attributes:
        kind: ``video`` or ``keypoints``.
        source: the source spec to read (a path; cameras cannot be exported).
        path: the output file (.mp4/.mov/.avi for video; .json/.csv for keypoints).
        frames: source frame indices (step 1), or None for the whole source.
        config: the pipeline configuration to build (on the worker thread).
        options: overlays drawn on the video.
        force: replace an existing `path`.
        classifier: the window's pose classifier and its settings (a twin stage is built for
            the export, so the video carries the class captions), or None.
    """

    kind: str
    source: str
    path: Path
    frames: range | None
    config: PipelineConfig
    options: OverlayOptions
    force: bool = False
    classifier: ClassifierSpec | None = None


@dataclass(frozen=True, slots=True)
class ExportOutcome:
    """What a finished export wrote.

    Attributes:
        request: what was asked.
        summary: the core's summary (frames, size, fps, seconds).
        records: pose records (JSON) or rows (CSV) written for a keypoints export, else 0.
    """

    request: ExportRequest
    summary: ExportSummary
    records: int = 0


def export_config(config: PipelineConfig, options: OverlayOptions, kind: str) -> PipelineConfig:
    """The pipeline to export with: the window's `config`, with heads read only when the
    video's overlays draw them (keypoint files never need them)."""
    needs_heads = kind == "video" and bool(HEAD_LAYERS & set(options.enabled()))
    return replace(config, heads=needs_heads)


def run_export(request: ExportRequest, context: TaskContext | None = None) -> ExportOutcome:
    """Run `request` in the calling thread (the worker thread of a :class:`BackgroundTask`).

    Opens the source, builds the pipeline, runs :func:`~movenet_studio.core.export.export_video`
    (writing the video, or only collecting poses for a keypoints file) and writes the
    keypoints file. Progress goes to ``context.report``; returning False there cancels.

    Raises:
        ExportCancelled: cancelled; nothing was written.
        ExportError, SourceError, ModelError, BackendError: with a one-line reason.
    """
    progress = None
    if context is not None:
        def progress(done: int, total: int) -> bool:
            return context.report(done, total, "frames")

    # Fail before loading anything; never over the source (or a file of its folder) or the model.
    check_outputs({"": request.path}, [request.source, request.config.model], force=bool(request.force))
    with open_source(request.source) as source:
        image_ids = coco_image_ids(source) if request.kind == "keypoints" and \
            request.path.suffix.lower() == ".json" else None
        pipeline = Pipeline(request.config)
        try:
            if request.classifier is not None:
                pipeline.classifier = request.classifier.build(strict=False)
            if context is not None and context.cancelled():
                raise ExportCancelled("export cancelled before the first frame; nothing was written")
            video = request.path if request.kind == "video" else None
            summary = export_video(source, pipeline, video, request.options, request.frames, progress,
                                   request.force)
        finally:
            pipeline.close()
    records = 0
    if request.kind == "keypoints":
        records = write_keypoints(summary.frames, request.path, image_ids, force=request.force)
    return ExportOutcome(request, summary, records)


# --- dialogs -----------------------------------------------------------------------------------

class ExportDialog(QDialog):
    """Asks for the output file and the frame range of an export.

    Frame numbers are shown 1-based and inclusive, as the position label shows them;
    :attr:`frames` converts them to 0-based source indices.

    Args:
        kind: ``video`` or ``keypoints``.
        suggested: the initial output path.
        frame_count: frames of the source (None: unknown, whole-source only).
        current: 0-based index of the frame on screen (for "from here").
        parent: parent window.
    """

    def __init__(self, kind: str, suggested: Path, frame_count: int | None, current: int = 0,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.kind = kind
        self.setWindowTitle("Export video" if kind == "video" else "Export keypoints")
        self.path_edit = QLineEdit(str(suggested))
        self.browse_button = QPushButton("Browse…")
        self.whole_radio = QRadioButton("Whole source" + (f" ({frame_count} frames)" if frame_count else ""))
        self.range_radio = QRadioButton("Frames (from 0)")
        self.range_group = QButtonGroup(self)
        self.range_group.addButton(self.whole_radio)
        self.range_group.addButton(self.range_radio)
        self.whole_radio.setChecked(True)
        count = max(1, frame_count or 1)
        self.first_spin = QSpinBox()  # frame indices, numbered from 0 as everywhere in the app
        self.first_spin.setRange(0, count - 1)
        self.first_spin.setValue(min(count - 1, current))
        self.last_spin = QSpinBox()
        self.last_spin.setRange(0, count - 1)
        self.last_spin.setValue(count - 1)
        self.range_radio.setEnabled(bool(frame_count) and frame_count > 1)
        hint = ("MP4 (H.264), the overlays shown in the window burned in" if kind == "video" else
                ".json: COCO keypoint results (image_id = frame index); .csv: frame, timestamp_ms, person, "
                "keypoint, x, y, score")
        self.hint_label = QLabel(hint)
        self.hint_label.setWordWrap(True)
        self.hint_label.setStyleSheet("color: gray;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        grid = QGridLayout(self)
        grid.addWidget(QLabel("File"), 0, 0)
        grid.addWidget(self.path_edit, 0, 1, 1, 3)
        grid.addWidget(self.browse_button, 0, 4)
        grid.addWidget(self.whole_radio, 1, 1, 1, 4)
        row = QHBoxLayout()
        row.addWidget(self.range_radio)
        row.addWidget(self.first_spin)
        row.addWidget(QLabel("to"))
        row.addWidget(self.last_spin)
        row.addStretch(1)
        grid.addLayout(row, 2, 1, 1, 4)
        grid.addWidget(self.hint_label, 3, 0, 1, 5)
        grid.addWidget(buttons, 4, 0, 1, 5)
        self.setMinimumWidth(520)
        self.browse_button.clicked.connect(self._browse)
        self.first_spin.valueChanged.connect(self._pick_range)
        self.last_spin.valueChanged.connect(self._pick_range)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

    @property
    def path(self) -> Path:
        """The output file."""
        return Path(self.path_edit.text().strip()).expanduser()

    @property
    def frames(self) -> range | None:
        """0-based source frame indices, or None for the whole source."""
        if not self.range_radio.isChecked():
            return None
        first, last = sorted((self.first_spin.value(), self.last_spin.value()))
        return range(first, last + 1)

    def set_range(self, frames: range | None) -> None:
        """Select the whole source (None) or 0-based `frames`."""
        if frames is None:
            self.whole_radio.setChecked(True)
            return
        self.first_spin.setValue(frames.start)
        self.last_spin.setValue(frames.stop - 1)
        self.range_radio.setChecked(True)

    @Slot()
    def _pick_range(self) -> None:
        if self.range_radio.isEnabled():
            self.range_radio.setChecked(True)

    @Slot()
    def _browse(self) -> None:
        title = "Export video" if self.kind == "video" else "Export keypoints"
        filters = VIDEO_FILTER if self.kind == "video" else KEYPOINTS_FILTER
        # The overwrite question comes once, from the window, when the export starts.
        path, _ = QFileDialog.getSaveFileName(self, title, str(self.path), filters,
                                              options=QFileDialog.Option.DontConfirmOverwrite)
        if path:
            self.path_edit.setText(path)


class ExportProgress(QProgressDialog):
    """Non-modal progress of one background export: frames, rate, ETA and a Cancel button."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(title, "Cancel", 0, 1, parent)
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.setAutoClose(False)
        self.setAutoReset(False)
        self.setMinimumDuration(0)
        self.setMinimumWidth(420)
        self._title = title

    @Slot(int, int, str, float)
    def show_progress(self, done: int, total: int, _message: str, elapsed_s: float) -> None:
        """Show `done` of `total` frames with the rate and the time left."""
        self.setMaximum(max(1, total))
        self.setValue(min(done, max(1, total)))
        self.setLabelText(f"{self._title}\n{format_eta(done, total, elapsed_s)}")


# --- the controller --------------------------------------------------------------------------

class ExportController(QObject):
    """The export actions of the window and the background exports they start.

    Args:
        window: the main window (parent of dialogs; must have ``video_view``, ``engine``,
            ``player`` and ``reporter``).

    Attributes:
        save_frame_action: File ▸ Save frame… (Ctrl+S).
        raw_beside_action: checkable: Save frame puts the raw frame beside the annotated one.
        export_video_action, export_keypoints_action: open the export dialogs.
        last_dir: folder offered by the next file dialog.

    Signals:
        frame_saved(str): a frame was saved to this path.
        export_finished(object): an :class:`ExportOutcome` (GUI thread).
        export_failed(str, str): message, details (also reported to the user).
        export_cancelled(str): an export was cancelled (no file was left).
    """

    frame_saved = Signal(str)
    export_finished = Signal(object)
    export_failed = Signal(str, str)
    export_cancelled = Signal(str)

    def __init__(self, window):
        super().__init__(window)
        self._window = window
        self.last_dir = str(Path.home())
        self.task: BackgroundTask | None = None
        self.progress_dialog: ExportProgress | None = None
        self.save_frame_action = QAction("&Save frame…", window)
        self.save_frame_action.setShortcut(QKeySequence.StandardKey.Save)
        self.save_frame_action.setStatusTip("Save the frame on screen with its overlays (PNG or JPEG)")
        self.save_frame_action.triggered.connect(self.choose_frame_file)
        self.raw_beside_action = QAction("Raw frame &beside saved frames", window)
        self.raw_beside_action.setCheckable(True)
        self.raw_beside_action.setStatusTip("Save frame writes raw | annotated side by side")
        self.export_video_action = QAction("Export &video…", window)
        self.export_video_action.setShortcut(QKeySequence("Ctrl+E"))
        self.export_video_action.setStatusTip("Write an MP4 with the overlays burned in (whole source or a range)")
        self.export_video_action.triggered.connect(self.open_video_dialog)
        self.export_keypoints_action = QAction("Export &keypoints…", window)
        self.export_keypoints_action.setShortcut(QKeySequence("Ctrl+Shift+E"))
        self.export_keypoints_action.setStatusTip("Write keypoints as COCO results JSON or CSV")
        self.export_keypoints_action.triggered.connect(self.open_keypoints_dialog)
        for action in self.actions():
            window.addAction(action)

    def actions(self) -> tuple[QAction, ...]:
        """The actions, in menu order."""
        return (self.save_frame_action, self.raw_beside_action, self.export_video_action,
                self.export_keypoints_action)

    @property
    def busy(self) -> bool:
        """True while a background export runs."""
        return self.task is not None and self.task.is_running

    # ------------------------------------------------------------------ save frame
    def _shown_result(self) -> FrameResult | None:
        shown = self._window.video_view.last_result
        return None if shown is None else shown.result

    def _stem(self) -> str:
        info = self._window.player.info
        if info is None or info.kind == "camera":
            return "camera" if info is not None else "movenet"
        return Path(info.spec).stem or "movenet"

    @Slot()
    def choose_frame_file(self) -> None:
        """Ask for a PNG/JPEG file and save the frame on screen to it."""
        result = self._shown_result()
        if result is None:
            self._window.reporter.info("Nothing to save yet: open a source first")
            return
        suggested = Path(self.last_dir) / f"{self._stem()}_frame{result.index:05d}.png"
        path, _ = QFileDialog.getSaveFileName(self._window, "Save frame", str(suggested), IMAGE_FILTER)
        if path:
            if not Path(path).suffix:
                path += ".png"
            self.save_frame(path)

    def save_frame(self, path: Path | str, raw_beside: bool | None = None) -> Path | None:
        """Save the frame on screen with its overlays to `path` (PNG/JPEG; replaces a file:
        the file dialog has asked). Returns the path, or None after reporting an error."""
        result = self._shown_result()
        if result is None:
            self._window.reporter.info("Nothing to save yet: open a source first")
            return None
        beside = self.raw_beside_action.isChecked() if raw_beside is None else raw_beside
        try:
            image = annotated_frame(result, self._window.video_view.overlay_options(), beside)
            written = write_image(path, image, force=True)
        except ExportError as exc:
            self._window.reporter.serious(f"Could not save the frame: {exc}")
            return None
        self.last_dir = str(written.parent)
        self._window.reporter.info(f"Saved frame {result.index} to {written}")
        self.frame_saved.emit(str(written))
        return written

    # ------------------------------------------------------------------ export dialogs
    def _can_export(self) -> bool:
        if self.busy:
            self._window.reporter.info("An export is running; wait for it or cancel it first")
            if self.progress_dialog is not None:
                self.progress_dialog.raise_()
            return False
        info = self._window.player.info
        if info is None:
            self._window.reporter.info("Nothing to export yet: open a video, image or folder first")
            return False
        if info.is_live:
            self._window.reporter.serious("A camera cannot be exported: record it to a file first, then open that")
            return False
        if self._window.engine.model is None:
            self._window.reporter.info("No model loaded yet")
            return False
        return True

    def _dialog(self, kind: str, extension: str) -> ExportDialog:
        info = self._window.player.info
        shown = self._shown_result()
        suffix = "_annotated" if kind == "video" else "_keypoints"
        suggested = Path(self.last_dir) / f"{self._stem()}{suffix}{extension}"
        return ExportDialog(kind, suggested, info.frame_count, shown.index if shown else 0, self._window)

    @Slot()
    def open_video_dialog(self) -> None:
        """Ask for the video file and range, then export in the background."""
        if self._can_export():
            self._run_dialog(self._dialog("video", ".mp4"))

    @Slot()
    def open_keypoints_dialog(self) -> None:
        """Ask for the keypoints file (.json/.csv) and range, then export in the background."""
        if self._can_export():
            self._run_dialog(self._dialog("keypoints", ".json"))

    def _run_dialog(self, dialog: ExportDialog) -> None:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        path = dialog.path
        force = False
        if path.exists() and not path.is_dir():
            answer = QMessageBox.question(self._window, "Replace file?",
                                          f"{path.name} already exists in {path.parent}.\nReplace it?",
                                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                          QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                return
            force = True
        self.start_export(dialog.kind, path, dialog.frames, force=force)

    # ------------------------------------------------------------------ background export
    def start_export(self, kind: str, path: Path | str, frames: range | None = None, *,
                     force: bool = False) -> BackgroundTask | None:
        """Export `kind` (``video`` or ``keypoints``) of the open source to `path` in the background.

        Uses the pipeline configuration the window runs now and the overlays it draws now.
        Returns the running task, or None when nothing could start (reported to the user).
        """
        if kind not in ("video", "keypoints"):
            raise ValueError(f"unknown export kind {kind!r}")
        if not self._can_export():
            return None
        path = Path(path)
        options = self._window.video_view.overlay_options()
        config = export_config(self._window.engine.config, options, kind)  # the window's one config
        stage = getattr(getattr(self._window, "classification", None), "stage", None)
        request = ExportRequest(kind, self._window.player.info.spec, path, frames, config, options, force,
                                stage.spec() if stage is not None else None)
        self.task = task = BackgroundTask(partial(run_export, request), name=f"movenet-export-{kind}",
                                          cancel_exceptions=(ExportCancelled,), parent=self)
        title = f"Exporting {'video' if kind == 'video' else 'keypoints'} to {path.name}"
        dialog = self.progress_dialog = ExportProgress(title, self._window)
        task.progress.connect(dialog.show_progress)
        task.succeeded.connect(self._on_succeeded)
        task.failed.connect(self._on_failed)
        task.cancelled.connect(self._on_cancelled)
        task.ended.connect(self._on_ended)
        dialog.canceled.connect(self.cancel)
        self.last_dir = str(path.parent)
        for action in (self.export_video_action, self.export_keypoints_action):
            action.setEnabled(False)
        dialog.show()
        task.start()
        self._window.reporter.info(title + "…")
        return task

    @Slot()
    def cancel(self) -> None:
        """Cancel the running export (its partial file is removed)."""
        if self.task is not None:
            self.task.cancel()
            if self.progress_dialog is not None:
                self.progress_dialog.setLabelText("Cancelling…")

    @Slot(object)
    def _on_succeeded(self, outcome: ExportOutcome) -> None:
        s = outcome.summary
        span = f"frames {s.first_frame}–{s.last_frame}" if s.frame_count > 1 else f"frame {s.first_frame}"
        if outcome.request.kind == "video":
            what = f"{s.frame_count} frames ({span}), {s.size[0]}×{s.size[1]} at {s.fps:g} fps"
        else:
            unit = "poses" if outcome.request.path.suffix.lower() == ".json" else "rows"
            what = f"{outcome.records} {unit} from {s.frame_count} frames ({span})"
        self._window.reporter.info(f"Exported {what} to {outcome.request.path} in {s.seconds:.1f} s")
        self.export_finished.emit(outcome)

    @Slot(str, str)
    def _on_failed(self, message: str, details: str) -> None:
        self._window.reporter.serious(f"Export failed: {message}", details)
        self.export_failed.emit(message, details)

    @Slot(str)
    def _on_cancelled(self, message: str) -> None:
        self._window.reporter.info("Export cancelled; no file was written")
        self.export_cancelled.emit(message)

    @Slot()
    def _on_ended(self) -> None:
        task, dialog = self.task, self.progress_dialog
        if task is not None:
            task.wait(5.0)  # the thread only has to return after emitting ended
        if dialog is not None:
            dialog.canceled.disconnect(self.cancel)
            dialog.close()
            dialog.deleteLater()
            self.progress_dialog = None
        for action in (self.export_video_action, self.export_keypoints_action):
            action.setEnabled(True)

    def shutdown(self, timeout: float = 10.0) -> bool:
        """Cancel a running export and wait for its thread; True when no thread is left."""
        if self.task is None:
            return True
        return self.task.stop(timeout)
