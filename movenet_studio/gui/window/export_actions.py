"""Save frame, Export video… and Export keypoints…: the window's export actions.

* **Save frame** (Ctrl+S) writes the frame on screen with its overlays at the source's
  resolution: :func:`~movenet_studio.core.output.export_job.annotated_frame` of the result on screen
  with :meth:`VideoView.overlay_options` (what the view draws), so the file matches the
  screen and ``movenet-studio export``. PNG or JPEG by extension; optionally the raw frame
  beside it (raw | annotated).
* **Export video…** and **Export keypoints…** run the core's export job
  (:func:`~movenet_studio.core.output.export_job.run_export`) over the whole source or a frame range
  on a :class:`~.background.BackgroundTask`: the job opens its own reader on the source and
  builds its own pipeline *on the worker thread* from the configuration the window's engine
  runs now (heads added when the overlays need them), so the window, its playback and its
  inference carry on. A non-modal progress dialog (:mod:`.export_dialogs`) shows the rate and
  ETA and cancels. A cancelled or failed export leaves no file; an existing target is
  replaced only after the user said so.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QWidget

from ...core.output.export import ExportError
from ...core.output.export_job import ExportOutcome, ExportRequest, annotated_frame, export_config, run_export, write_image
from ...core.frame_result import FrameResult
from ..background import BackgroundTask
from ..dialogs.export_dialogs import ExportDialog, ExportProgress

IMAGE_FILTER = "PNG image (*.png);;JPEG image (*.jpg *.jpeg)"


class ExportController(QObject):
    """The export actions of the window and the background exports they start.

    Args:
        window: the main window: parent of the dialogs; the actions are added to it.
        view: the video view (``last_result``: the result on screen; ``overlay_options()``:
            what it draws).
        player: the source player (``info``: the open source, or None).
        engine: the engine (``model``: None until one is loaded; ``config``: what runs).
        reporter: the status bar reporter (``info``, ``serious``).
        classification: has ``stage``, the classification stage the window runs (or None);
            None: exports carry no class captions.

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

    def __init__(self, window: QWidget, *, view, player, engine, reporter, classification=None):
        super().__init__(window)
        self._window = window
        self._view, self._player, self._engine, self._reporter = view, player, engine, reporter
        self._classification = classification
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
        shown = self._view.last_result
        return None if shown is None else shown.result

    def _stem(self) -> str:
        info = self._player.info
        if info is None or info.kind in ("camera", "stream"):  # a URL's path or query may hold a token
            return info.kind if info is not None else "movenet"
        return Path(info.spec).stem or "movenet"

    @Slot()
    def choose_frame_file(self) -> None:
        """Ask for a PNG/JPEG file and save the frame on screen to it."""
        result = self._shown_result()
        if result is None:
            self._reporter.info("Nothing to save yet: open a source first")
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
            self._reporter.info("Nothing to save yet: open a source first")
            return None
        beside = self.raw_beside_action.isChecked() if raw_beside is None else raw_beside
        try:
            image = annotated_frame(result, self._view.overlay_options(), beside)
            written = write_image(path, image, force=True)
        except ExportError as exc:
            self._reporter.serious(f"Could not save the frame: {exc}")
            return None
        self.last_dir = str(written.parent)
        self._reporter.info(f"Saved frame {result.index} to {written}")
        self.frame_saved.emit(str(written))
        return written

    # ------------------------------------------------------------------ export dialogs
    def _can_export(self) -> bool:
        if self.busy:
            self._reporter.info("An export is running; wait for it or cancel it first")
            if self.progress_dialog is not None:
                self.progress_dialog.raise_()
            return False
        info = self._player.info
        if info is None:
            self._reporter.info("Nothing to export yet: open a video, image or folder first")
            return False
        if info.is_live:
            self._reporter.serious("A camera cannot be exported: record it to a file first, then open that")
            return False
        if self._engine.model is None:
            self._reporter.info("No model loaded yet")
            return False
        return True

    def _dialog(self, kind: str, extension: str) -> ExportDialog:
        info = self._player.info
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
        options = self._view.overlay_options()
        config = export_config(self._engine.config, options, kind)  # the window's one config
        stage = None if self._classification is None else self._classification.stage
        request = ExportRequest(kind, self._player.info.spec, path, frames, config, options, force,
                                stage.spec() if stage is not None else None)
        self.task = task = BackgroundTask(partial(run_export, request), name=f"movenet-export-{kind}", parent=self)
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
        self._reporter.info(title + "…")
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
        self._reporter.info(f"Exported {what} to {outcome.request.path} in {s.seconds:.1f} s")
        self.export_finished.emit(outcome)

    @Slot(str, str)
    def _on_failed(self, message: str, details: str) -> None:
        self._reporter.serious(f"Export failed: {message}", details)
        self.export_failed.emit(message, details)

    @Slot(str)
    def _on_cancelled(self, message: str) -> None:
        self._reporter.info("Export cancelled; no file was written")
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
