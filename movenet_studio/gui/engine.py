"""The inference worker's Qt adapter: :class:`Engine` runs a Qt-free
:class:`~movenet_studio.core.worker.InferenceWorker` (mailbox, generations, model switching,
error throttling; threading model in :mod:`movenet_studio.core.worker`) and turns its reports
into signals delivered in the GUI thread.

* The worker's notifications are emitted as private signals connected to bound slots of the
  :class:`Engine` (a QObject living in the GUI thread), which re-check staleness and the
  lifecycle and emit the public signals there. If the GUI falls behind, older results are
  replaced, never queued.
* Deliveries are paced to at most :data:`MAX_DELIVERY_HZ` (the display's rate): a faster
  worker's results in between replace each other, so the GUI thread draws what a screen can
  show and leaves the CPU to inference (measured at ``--pace max`` with heatmaps on a loaded
  2-core machine: about 15 % more processed frames, a quarter less GUI-thread CPU per frame,
  event-loop lag p99 halved).
* The GUI side keeps the configuration asked for last (:attr:`Engine.config`,
  :attr:`Engine.compare_config`): what runs now or is about to. The GUI thread never runs a model.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from ..core.analysis.compare import ComparePipeline
from ..core.frame_result import FrameResult
from ..core.pipeline import Pipeline
from ..core.pipeline_config import PipelineConfig
from ..core.tracking.smoothing import OneEuroConfig
from ..core.media.sources import Frame
from ..core.worker import DEFAULT_JOIN_TIMEOUT, EngineResult, EngineState, InferenceWorker, LatestMailbox, ModelInfo
from ..core.worker.loop import CompareFactory, PipelineFactory
from .slot_timing import timed

__all__ = ["MAX_DELIVERY_HZ", "MAX_PACE_DELIVERY_HZ", "Engine", "EngineResult", "EngineState", "LatestMailbox", "ModelInfo"]

#: Results are delivered to the GUI thread at most this often, in Hz (None or 0: on arrival).
MAX_DELIVERY_HZ = 60.0
#: The window's delivery rate at ``--pace max``, in Hz: the worker runs as fast as it can and
#: the window shows the newest result this often (a source's own rate, for most videos), so
#: drawing takes a core's fraction that inference can use (the video view costs ~3-6 ms of
#: GUI-thread CPU a shown frame on the 2-core test machine).
MAX_PACE_DELIVERY_HZ = 30.0



def window_pipeline(config: PipelineConfig) -> Pipeline:
    """The window's pipeline: numba's crop kernel loads on a daemon thread while the first frames
    crop with numpy (bit-identical), so the first frame is not held back by numba's import."""
    return Pipeline(config, crop_kernel="background")


class Engine(QObject):
    """The inference worker bridge. Create, connect and call it in the GUI thread.

    Args:
        config: the pipeline to build first (on the worker thread, at :meth:`start`).
        parent: Qt parent.
        pipeline_factory: builds a pipeline from a config (tests may pass a fake; default
            :func:`window_pipeline`).
        join_timeout: default seconds :meth:`stop` waits for the worker.
        compare_factory: builds the compare pipeline from configs A and B.
        max_delivery_hz: emit :attr:`result_ready` at most this often (newest result wins in
            between); None or 0 delivers every result on arrival (coalescing only a backlog).

    Signals (all delivered in the GUI thread):
        result_ready(EngineResult): the newest result of the current generation.
        error(str, str): a frame failed (message, details); the worker carries on.
        model_changed(ModelInfo): a model was loaded (at start or after a switch).
        model_failed(str, str): a requested model could not be loaded (message, details);
            the previous model, if any, stays in use.
        state_changed(str): the :class:`EngineState` value changed.
        tracker_reset(str): a switch restarted the crop tracker or the MultiPose tracks
            (one line for the user; the video shows it).
    """

    result_ready = Signal(object)
    error = Signal(str, str)
    model_changed = Signal(object)
    model_failed = Signal(str, str)
    state_changed = Signal(str)
    tracker_reset = Signal(str)

    # Worker-thread -> GUI-thread notifications (connected to bound slots of self).
    _result_posted = Signal()
    _model_loaded = Signal(object)
    _model_load_failed = Signal(str, str)
    _frame_failed = Signal(str, str)
    _state_posted = Signal(str)

    def __init__(self, config: PipelineConfig = PipelineConfig(), parent: QObject | None = None, *,
                 pipeline_factory: PipelineFactory | None = None, join_timeout: float = DEFAULT_JOIN_TIMEOUT,
                 compare_factory: CompareFactory = ComparePipeline,
                 max_delivery_hz: float | None = MAX_DELIVERY_HZ):
        super().__init__(parent)
        self._min_delivery_s = 1.0 / max_delivery_hz if max_delivery_hz else 0.0
        self._delivered_at = float("-inf")
        self._delivery_timer = QTimer(self)  # delivers a result held back by the rate limit
        self._delivery_timer.setSingleShot(True)
        self._delivery_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._delivery_timer.timeout.connect(self._deliver_result)
        self._initial_config = config
        self._compare_config: PipelineConfig | None = None  # GUI side: B asked for last (see `compare_config`)
        self._config = config  # GUI side: the configuration asked for last (see `config`)
        self._delivered = 0
        self._state = EngineState.STOPPED
        self._worker = InferenceWorker(
            pipeline_factory=pipeline_factory or window_pipeline, compare_factory=compare_factory, join_timeout=join_timeout,
            on_result=self._result_posted.emit, on_model_loaded=self._model_loaded.emit,
            on_model_failed=self._model_load_failed.emit, on_error=self._frame_failed.emit,
            on_state=self._state_posted.emit, on_tracker_reset=self.tracker_reset.emit)
        self._result_posted.connect(self._deliver_result)
        self._model_loaded.connect(self._on_model_loaded)
        self._model_load_failed.connect(self._on_model_load_failed)
        self._frame_failed.connect(self._on_frame_failed)
        self._state_posted.connect(self._on_state)

    # ------------------------------------------------------------------ lifecycle
    @property
    def state(self) -> EngineState:
        """The current lifecycle state (as last seen by the GUI thread)."""
        return self._state

    @property
    def is_alive(self) -> bool:
        """True while the worker thread runs."""
        return self._worker.is_alive

    def start(self) -> None:
        """Start the worker thread; it builds the initial pipeline before serving frames."""
        if self.is_alive:
            return
        self._set_state(EngineState.RUNNING)
        self._worker.start(self._initial_config, self._compare_config)

    def stop(self, timeout: float | None = None) -> bool:
        """Ask the worker to stop, wait up to `timeout` seconds; True when it has ended.

        Pending frames and model requests are discarded; results still in flight are ignored.
        """
        ended = self._worker.stop(timeout)
        self._set_state(EngineState.STOPPED)
        return ended

    # ------------------------------------------------------------------ inputs
    @property
    def generation(self) -> int:
        """The current generation; frames and results tagged older are discarded."""
        return self._worker.generation

    def new_generation(self) -> int:
        """Start a new generation (on a seek or a source switch); returns it. Any thread."""
        return self._worker.new_generation()

    def submit(self, frame: Frame, generation: int | None = None, *, restart: bool = False) -> bool:
        """Offer a frame to the worker (any thread): :meth:`InferenceWorker.submit
        <movenet_studio.core.worker.InferenceWorker.submit>`. True when it replaced a pending
        frame, which then counts as dropped."""
        return self._worker.submit(frame, generation, restart=restart)

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until no model is loading or waiting to load (any thread); False on timeout."""
        return self._worker.wait_ready(timeout)

    def wait_slot_free(self, timeout: float | None = None) -> bool:
        """Wait until the worker has taken the pending frame (any thread); False on timeout."""
        return self._worker.wait_slot_free(timeout)

    @property
    def config(self) -> PipelineConfig:
        """The pipeline configuration asked for last: what runs now or is about to (GUI thread).

        The one source of truth for the configuration on the GUI side: change it only through
        :meth:`update_config` (a few fields) or :meth:`request_model` (a whole config), so that
        one setting (heads, crop, threads ...) never undoes another that is still loading.
        """
        return self._config

    def update_config(self, **changes) -> bool:
        """Rebuild the pipeline with some fields of :attr:`config` changed (GUI thread).

        Before :meth:`start` only the configuration the worker builds first changes.

        Args:
            changes: :class:`PipelineConfig` fields, e.g. ``heads=True``, ``crop=False``.

        Returns:
            True when the configuration changed (a rebuild was requested), False when the
            fields already had these values.

        Raises:
            TypeError: an unknown field name.
        """
        config = replace(self._config, **changes)
        if config == self._config:
            return False
        if not self._worker.started:
            self._initial_config = self._config = config
        else:
            self.request_model(config)
        return True

    def request_model(self, config: PipelineConfig) -> None:
        """Ask the worker to switch to `config` (a newer request replaces a pending one).

        `config` becomes :attr:`config`. The answer arrives as :attr:`model_changed` or
        :attr:`model_failed` (after which :attr:`config` is the running model's again).
        """
        self._config = config
        self._worker.request_model(config, self._compare_config)

    @property
    def compare_config(self) -> PipelineConfig | None:
        """Configuration B asked for last (GUI thread), or None when compare mode is off."""
        return self._compare_config

    def request_compare(self, config_b: PipelineConfig | None) -> None:
        """Turn compare mode on with configuration `config_b` beside :attr:`config` (A), or off
        with None (GUI thread). Answered like :meth:`request_model`; on failure the previous
        mode and models stay."""
        self._compare_config = config_b
        if not self._worker.started:
            return  # the worker builds it first
        self._worker.request_model(self._config, config_b)

    def set_one_euro(self, config: OneEuroConfig) -> None:
        """Smooth keypoints with these One Euro parameters from the next frame on (GUI thread).

        Unlike :meth:`update_config` nothing is rebuilt or reset: the worker hands `config` to
        the running pipeline(s) (:meth:`Pipeline.set_one_euro`) before its next frame, so the
        model, the crop tracker and the filter state carry on. :attr:`config` (and B's in
        compare mode) take it too, so a later model switch keeps it.

        Raises:
            ValueError: a cut-off <= 0 or a negative beta.
        """
        from ..core.tracking.smoothing import check_one_euro

        check_one_euro(config)
        self._config = replace(self._config, one_euro=config)
        if self._compare_config is not None:
            self._compare_config = replace(self._compare_config, one_euro=config)
        if not self._worker.started:
            self._initial_config = self._config
        self._worker.set_one_euro(config)

    def add_result_observer(self, observer: Callable[[FrameResult, int], None]) -> None:
        """Call ``observer(result, generation)`` on the worker thread for every frame processed
        under the current generation, also those the display skips (e.g. to record every
        frame's keypoints). It must be quick and thread-safe; its exceptions are logged."""
        self._worker.add_result_observer(observer)

    def set_classifier(self, stage) -> None:
        """Run classification stage `stage` (a :class:`~movenet_studio.core.classify.classification.
        FrameClassifier`, or None for none) on A's poses from the next frame on (any thread),
        across model switches, without rebuilding anything."""
        self._worker.set_classifier(stage)

    def request_threads(self, threads: int) -> None:
        """Rebuild the current model with `threads` runtime threads."""
        self.update_config(threads=max(1, int(threads)))

    # ------------------------------------------------------------------ statistics
    @property
    def model(self) -> ModelInfo | None:
        """The model in use (None before the first load or when none could be loaded)."""
        return self._worker.model

    @property
    def dropped(self) -> int:
        """Frames replaced in the mailbox before the worker took them."""
        return self._worker.dropped

    @property
    def processed(self) -> int:
        """Frames the worker has run the model on."""
        return self._worker.processed

    @property
    def stale(self) -> int:
        """Frames and results discarded because their generation was outdated."""
        return self._worker.stale

    @property
    def errors(self) -> int:
        """Frames that failed in the pipeline."""
        return self._worker.errors

    @property
    def max_delivery_hz(self) -> float | None:
        """The most results :attr:`result_ready` delivers a second (None: every result on arrival)."""
        return 1.0 / self._min_delivery_s if self._min_delivery_s else None

    @property
    def delivered(self) -> int:
        """Results emitted through :attr:`result_ready`."""
        return self._delivered

    @property
    def render_skipped(self) -> int:
        """Results replaced by a newer one before the GUI thread picked them up."""
        return self._worker.render_skipped

    # ------------------------------------------------------------------ GUI-thread slots
    def _set_state(self, state: EngineState) -> None:
        if state != self._state:
            self._state = state
            self.state_changed.emit(state.value)

    @Slot()
    @timed("engine.deliver (all result slots)")
    def _deliver_result(self) -> None:
        wait_s = self._delivered_at + self._min_delivery_s - time.perf_counter()
        if wait_s > 0:  # too soon after the last one: the timer delivers the newest result then
            if not self._delivery_timer.isActive():  # (_notify_pending stays set: no more posts meanwhile)
                self._delivery_timer.start(max(1, round(wait_s * 1000)))
            return
        result = self._worker.take_result()  # (a notification stays pending until then: no more posts)
        if result is None or self._state == EngineState.STOPPED:
            return
        if result.generation < self.generation:
            self._worker.count_stale()
            return
        self._delivered += 1
        self._delivered_at = time.perf_counter()
        self.result_ready.emit(result)

    @Slot(object)
    def _on_model_loaded(self, info: ModelInfo) -> None:
        if self._state != EngineState.STOPPED:
            self.model_changed.emit(info)

    @Slot(str, str)
    def _on_model_load_failed(self, message: str, details: str) -> None:
        model = self._worker.model
        if model is not None and not self._worker.model_request_pending:
            self._config = model.config  # the previous model stays: so does its configuration
            self._compare_config = model.compare.config if model.compare is not None else None
        if self._state != EngineState.STOPPED:
            self.model_failed.emit(message, details)

    @Slot(str, str)
    def _on_frame_failed(self, message: str, details: str) -> None:
        if self._state != EngineState.STOPPED:
            self.error.emit(message, details)

    @Slot(str)
    def _on_state(self, value: str) -> None:
        if self._state != EngineState.STOPPED:
            self._set_state(EngineState(value))
