"""The common part of the dialogs that run one long job in the background (Benchmark, Evaluate,
Quantize): start a :class:`~..background.BackgroundTask`, show its progress and ETA, cancel it,
and give the Run and Cancel buttons back when it ends."""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QDialog

from ..background import BackgroundTask, Job, format_eta


class JobDialog(QDialog):
    """A non-modal dialog running at most one job at a time.

    A subclass builds ``run_button``, ``cancel_button`` (QPushButton), ``progress``
    (QProgressBar) and ``status_label`` (QLabel), sets ``task = None`` and implements
    ``_on_succeeded(result)``; it may extend ``_on_failed``, ``_on_cancelled`` and ``_on_ended``.

    Attributes:
        task: the running or last :class:`~..background.BackgroundTask`, or None.
    """

    task: BackgroundTask | None

    @property
    def running(self) -> bool:
        """True while the job runs."""
        return self.task is not None and self.task.is_running

    def _launch(self, job: Job, *, name: str, status: str, busy: bool = False,
                cancelled: bool = True) -> BackgroundTask:
        """Start `job` on a new task named `name` (the thread's name), with `status` shown.

        Args:
            busy: show an indeterminate progress bar until the job's first progress report.
            cancelled: connect the task's ``cancelled`` signal to :meth:`_on_cancelled`.
        """
        self.task = task = BackgroundTask(job, name=name, parent=self)
        task.progress.connect(self._on_progress)
        task.succeeded.connect(self._on_succeeded)
        task.failed.connect(self._on_failed)
        if cancelled:
            task.cancelled.connect(self._on_cancelled)
        task.ended.connect(self._on_ended)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0 if busy else 1)
        self.progress.setValue(0)
        self.status_label.setText(status)
        task.start()
        return task

    @Slot()
    def cancel(self) -> None:
        """Ask the running job to stop at its next progress report."""
        if self.running:
            self.task.cancel()
            self.status_label.setText("Cancelling…")

    @Slot(int, int, str, float)
    def _on_progress(self, done: int, total: int, message: str, elapsed: float) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(min(done, total))
        self.status_label.setText(f"{message}\n{format_eta(done, total, elapsed)}")

    def _on_succeeded(self, result: object) -> None:
        raise NotImplementedError

    @Slot(str, str)
    def _on_failed(self, message: str, _details: str) -> None:
        self.status_label.setText(f"⚠ {message}")

    @Slot(str)
    def _on_cancelled(self, message: str) -> None:
        self.status_label.setText(f"Cancelled ({message})")

    @Slot()
    def _on_ended(self) -> None:
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def shutdown(self, timeout: float = 10.0) -> bool:
        """Cancel a running job and wait up to `timeout` s for its thread; True when none is left."""
        return True if self.task is None else self.task.stop(timeout)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        """Closing the dialog cancels a running job."""
        self.cancel()
        super().closeEvent(event)
