"""The Layers dock's background worker: captures A and B on the newest model input, off the GUI
thread and off the engine's playback path.

One plain thread per open dock (started by :meth:`LayerWorker.start`, stopped with the dock
or the window). The GUI hands it the newest model input with :meth:`LayerWorker.submit`
(one-slot mailbox, newest wins: while a capture runs, newer inputs replace each other and
older ones are dropped), so a capture that takes 0.1-0.5 s never queues up work. The
capture runners (:class:`~..core.layers.runner.LayerCapturePair`) are separate runtime
instances built on the worker thread; the engine's own pipelines are never touched, so
opening the dock changes nothing the model sees.

Signals are emitted from the worker thread; connect them to bound slots of GUI-thread
objects (Qt queues them).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from ..core.errors import StudioError
from ..core.layers.runner import LayerCapturePair, LayerFrame


@dataclass(frozen=True, slots=True)
class LayerModels:
    """Which two model files to capture: paths and formats (``tflite`` / ``onnx``) and labels."""

    path_a: Path
    format_a: str
    path_b: Path
    format_b: str
    label_a: str = "A"
    label_b: str = "B"


@dataclass(frozen=True, slots=True)
class LayerUpdate:
    """One capture, as the dock receives it.

    Attributes:
        models: the two models captured.
        pair: the capture pair (its ``pairs``, ``matching``, ``totals`` after this frame,
            ``capture_a.tensors`` ...); read it only in the slot receiving this update.
        frame: this frame's per-pair sums and every captured array of A and B.
        rows_frame: :meth:`~..core.layers.runner.LayerCapturePair.rows` of this frame.
        rows_mean: the rows of the running pool (every frame since the last reset).
        frame_index: the source frame the input came from.
    """

    models: LayerModels
    pair: LayerCapturePair
    frame: LayerFrame
    rows_frame: list[dict]
    rows_mean: list[dict]
    frame_index: int


class LayerWorker(QObject):
    """Captures both models on the newest submitted input, on its own thread.

    Signals:
        updated(object): a :class:`LayerUpdate` after each capture.
        failed(str): the models could not be loaded or a capture failed (one line).
    """

    updated = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._lock = threading.Condition()
        self._models: LayerModels | None = None
        self._pending: tuple[np.ndarray, np.ndarray | None, int] | None = None
        self._reset = False
        self._stop = False
        self._thread: threading.Thread | None = None
        self.captures = 0  #: captures done (tests, status)

    @property
    def is_running(self) -> bool:
        """True while the worker thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread (no-op while it runs)."""
        if self.is_running:
            return
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="movenet-layers", daemon=False)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop the thread after the capture in progress; True when it ended."""
        with self._lock:
            self._stop = True
            self._pending = None
            self._lock.notify_all()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def set_models(self, models: LayerModels | None) -> None:
        """Capture these two models from the next input on (None: nothing to capture)."""
        with self._lock:
            if models != self._models:
                self._models = models
                self._pending = None
            self._lock.notify_all()

    def reset(self) -> None:
        """Restart the running mean with the next capture."""
        with self._lock:
            self._reset = True

    def drop_pending(self) -> None:
        """Forget an input still waiting (the dock was hidden); a capture running finishes."""
        with self._lock:
            self._pending = None

    def submit(self, image_a: np.ndarray, image_b: np.ndarray | None, frame_index: int) -> None:
        """Offer the newest model input (uint8 [H, W, 3]); replaces one still waiting.

        Args:
            image_a: A's model input.
            image_b: B's own model input when the engine made one (compare mode), else
                None (B gets A's, resized to B's input size when that differs).
            frame_index: the frame it came from.
        """
        with self._lock:
            self._pending = (image_a, image_b, frame_index)
            self._lock.notify_all()

    def _run(self) -> None:
        pair: LayerCapturePair | None = None
        loaded: LayerModels | None = None
        try:
            while True:
                with self._lock:
                    while not self._stop and (self._pending is None or self._models is None):
                        self._lock.wait()
                    if self._stop:
                        return
                    models, (image_a, image_b, index) = self._models, self._pending
                    self._pending = None
                    reset, self._reset = self._reset, False
                try:
                    if models != loaded:
                        if pair is not None:
                            pair.close()
                        pair, loaded = None, models
                        pair = LayerCapturePair(models.path_a, models.format_a, models.path_b, models.format_b)
                    if reset:
                        pair.reset()
                    if image_b is not None and tuple(image_b.shape[:2]) != tuple(pair.input_size_b):
                        image_b = None
                    frame = pair.run(image_a, image_b)
                except StudioError as exc:
                    self.failed.emit(str(exc))
                    with self._lock:  # wait for other models rather than failing on every frame
                        while not self._stop and self._models == loaded:
                            self._lock.wait()
                    continue
                except Exception as exc:  # a runtime error on this input: report, keep going
                    self.failed.emit(f"layer capture failed: {type(exc).__name__}: {exc}")
                    continue
                self.captures += 1
                self.updated.emit(LayerUpdate(models, pair, frame, pair.rows(frame.sums), pair.rows(),
                                              index))
        finally:
            if pair is not None:
                pair.close()
