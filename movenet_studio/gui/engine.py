"""The inference worker: one plain thread that owns a :class:`~movenet_studio.core.pipeline.Pipeline`.

Threading model (see also :mod:`.player`):

* Frames arrive through :meth:`Engine.submit` into a one-slot "latest frame wins"
  :class:`LatestMailbox`: a newer frame replaces a pending one and the replaced frame is
  counted as dropped. The worker thread takes frames one at a time and runs the model.
* Every frame is tagged with a frame id and a *generation*. The generation is bumped on a
  seek, a source switch or a model switch (:meth:`Engine.new_generation`); frames and
  results older than the current generation are discarded (counted as stale).
* Results travel to the GUI thread through a second one-slot mailbox plus a coalesced
  notification signal connected to a bound slot of the :class:`Engine` (a QObject living in
  the GUI thread), which re-checks staleness and emits :attr:`Engine.result_ready` in the GUI
  thread. If the GUI falls behind, older results are replaced, never queued. Deliveries are
  paced to at most :data:`MAX_DELIVERY_HZ` (the display's rate): a faster worker's results in
  between replace each other, so the GUI thread draws what a screen can show and leaves the
  CPU to inference (measured at ``--pace max`` with heatmaps on a loaded 2-core machine: about
  15 % more processed frames, a quarter less GUI-thread CPU per frame, event-loop lag p99 halved).
* Model switches (:meth:`Engine.request_model`) are executed on the worker thread; a model
  that fails to load leaves the previous one running and emits :attr:`Engine.model_failed`.
* Compare mode (:meth:`Engine.request_compare`): the worker runs a
  :class:`~movenet_studio.core.compare.ComparePipeline` (A = :attr:`Engine.config`, B = the
  compare config) instead of a single pipeline; results then carry :attr:`EngineResult.compare`.
* Per-frame exceptions are caught, reported through :attr:`Engine.error` (message + details)
  and the worker keeps serving the next frame.
* Lifecycle: :class:`EngineState` STOPPED -> RUNNING (-> FAULTED when no model can run or the
  loop itself died). :meth:`Engine.stop` is cooperative (a flag + condition) and joins with a
  timeout. The GUI thread never runs a model.
"""

from __future__ import annotations

import enum
import itertools
import logging
import threading
import time
import traceback
from dataclasses import dataclass, replace
from typing import Callable, Generic, TypeVar

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from ..core.backends import runtime_version
from ..core.compare import CompareFrame, ComparePipeline
from ..core.errors import StudioError
from ..core.models import ModelSignature, ModelSpec, sniff_signature
from ..core.pipeline import FrameResult, Pipeline, PipelineConfig
from ..core.smoothing import OneEuroConfig
from ..core.sources import Frame

T = TypeVar("T")
log = logging.getLogger(__name__)  # movenet_studio.gui.engine: errors of the worker, with tracebacks

#: How long :meth:`Engine.stop` waits for the worker by default, in seconds.
DEFAULT_JOIN_TIMEOUT = 5.0

#: The same per-frame error (same exception text, whatever the frame) is reported at most
#: once per this many seconds, so a model failing on every frame does not flood the window.
ERROR_REPEAT_INTERVAL = 2.0

#: Results are delivered to the GUI thread at most this often, in Hz (None or 0: on arrival).
MAX_DELIVERY_HZ = 60.0


class LatestMailbox(Generic[T]):
    """A one-slot mailbox where the newest item wins.

    :meth:`put` replaces a pending item (and says so, so the caller can count drops);
    :meth:`take` removes it. Thread-safe; several mailboxes may share one condition so a
    consumer can wait on all of them at once.

    Args:
        condition: the condition guarding the slot (default: a new one with an RLock).
    """

    def __init__(self, condition: threading.Condition | None = None):
        self.condition = condition or threading.Condition(threading.RLock())
        self._item: T | None = None
        self._has_item = False
        self.replaced = 0

    def put(self, item: T) -> bool:
        """Store `item`, replacing any pending one; returns True when one was replaced."""
        with self.condition:
            replaced = self._has_item
            if replaced:
                self.replaced += 1
            self._item, self._has_item = item, True
            self.condition.notify_all()
            return replaced

    def take_nowait(self) -> T | None:
        """Remove and return the pending item, or None when the slot is empty."""
        with self.condition:
            item, self._item, self._has_item = self._item, None, False
            self.condition.notify_all()
            return item

    def take(self, timeout: float | None = None) -> T | None:
        """Wait up to `timeout` seconds for an item and remove it (None on timeout)."""
        with self.condition:
            self.condition.wait_for(lambda: self._has_item, timeout)
            return self.take_nowait()

    def clear(self) -> bool:
        """Drop the pending item without counting it; returns True when there was one."""
        with self.condition:
            had = self._has_item
            self._item, self._has_item = None, False
            self.condition.notify_all()
            return had

    @property
    def pending(self) -> bool:
        """True when an item waits in the slot."""
        with self.condition:
            return self._has_item

    def wait_empty(self, timeout: float | None = None) -> bool:
        """Wait until the slot is empty; returns False on timeout."""
        with self.condition:
            return self.condition.wait_for(lambda: not self._has_item, timeout)


class EngineState(str, enum.Enum):
    """Lifecycle of the inference worker."""

    STOPPED = "stopped"   #: no worker thread
    RUNNING = "running"   #: the worker serves frames with a loaded model
    FAULTED = "faulted"   #: the worker has no usable model, or its loop died; see the error signal


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """The model the worker runs now.

    Attributes:
        spec: the resolved model file and what it is.
        config: the pipeline configuration it was built with.
        device: what runs it, e.g. ``CPU (XNNPACK), 2 threads``.
        load_ms: time to build the pipeline, in ms.
        heads_available: the pipeline reads heads and found them in this model's graph
            (:attr:`Pipeline.heads_available`); False with ``config.heads`` off.
        note: the backend's note when it did not run as asked (an ONNX provider that fell
            back to CPU), else ``""``.
        runtime: runtime name and version, e.g. ``ai-edge-litert 2.0.2``, ``onnxruntime 1.22.0``.
        provider: the ONNX Runtime execution provider actually used (None on TFLite).
        file_size: model file size in bytes (None when unknown).
        signature: the inputs/outputs/precision the file declares (None when unreadable).
        compare: configuration B's model while compare mode is on, else None.
        kept: A's pipeline was kept, with its crop region, filters and tracks: only head
            reading or compare mode changed (:meth:`Engine.update_config` with ``heads``,
            :meth:`Engine.request_compare`), so nothing was reloaded for A.
    """

    spec: ModelSpec
    config: PipelineConfig
    device: str
    load_ms: float
    heads_available: bool = False
    note: str = ""
    runtime: str = ""
    provider: str | None = None
    file_size: int | None = None
    signature: ModelSignature | None = None
    compare: "ModelInfo | None" = None
    kept: bool = False


@dataclass(frozen=True, slots=True)
class EngineResult:
    """One processed frame as the GUI receives it (immutable).

    Attributes:
        result: the pipeline's result (frame, poses, stage timings).
        frame_id: id given to the frame by :meth:`Engine.submit` (monotonic).
        generation: the generation the frame was submitted under.
        processed: frames processed by the worker so far, this one included.
        dropped: frames replaced in the mailbox before the worker took them, so far.
        stale: frames and results discarded as older than the current generation, so far.
        finished_at: ``time.perf_counter()`` when the result was ready.
        latency_ms: from :meth:`Engine.submit` to the result being ready, in ms.
        model: the model that produced it (``model.compare``: B's, in compare mode).
        compare: A and B on this frame in compare mode (``result`` is then ``compare.a``),
            else None.
    """

    result: FrameResult
    frame_id: int
    generation: int
    processed: int
    dropped: int
    stale: int
    finished_at: float
    latency_ms: float
    model: ModelInfo
    compare: CompareFrame | None = None


@dataclass(frozen=True, slots=True)
class _Job:
    frame: Frame
    frame_id: int
    generation: int
    submitted_at: float
    restart: bool = False


@dataclass(frozen=True, slots=True)
class _ModelRequest:
    config: PipelineConfig
    compare: PipelineConfig | None = None


PipelineFactory = Callable[[PipelineConfig], Pipeline]
CompareFactory = Callable[[PipelineConfig, PipelineConfig], ComparePipeline]


def describe_loaded(pipeline, config: PipelineConfig, load_ms: float) -> ModelInfo:
    """The :class:`ModelInfo` of a loaded pipeline (worker thread: reads the model file's
    signature and size). Never raises for a missing signature or file size."""
    spec, backend = pipeline.model, pipeline.backend
    try:
        size = spec.path.stat().st_size
    except (OSError, AttributeError):
        size = None
    try:
        signature = sniff_signature(spec.path)
    except Exception:
        signature = None
    return ModelInfo(spec, config, getattr(backend, "device", ""), load_ms,
                     bool(getattr(pipeline, "heads_available", False)), note=getattr(backend, "note", "") or "",
                     runtime=runtime_version(getattr(backend, "name", config.backend)),
                     provider=getattr(backend, "provider", None), file_size=size, signature=signature)


class Engine(QObject):
    """The inference worker bridge. Create, connect and call it in the GUI thread.

    Args:
        config: the pipeline to build first (on the worker thread, at :meth:`start`).
        parent: Qt parent.
        pipeline_factory: builds a pipeline from a config (tests may pass a fake).
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
    """

    result_ready = Signal(object)
    error = Signal(str, str)
    model_changed = Signal(object)
    model_failed = Signal(str, str)
    state_changed = Signal(str)

    # Worker-thread -> GUI-thread notifications (connected to bound slots of self).
    _result_posted = Signal()
    _model_loaded = Signal(object)
    _model_load_failed = Signal(str, str)
    _frame_failed = Signal(str, str)
    _state_posted = Signal(str)

    def __init__(self, config: PipelineConfig = PipelineConfig(), parent: QObject | None = None, *,
                 pipeline_factory: PipelineFactory = Pipeline, join_timeout: float = DEFAULT_JOIN_TIMEOUT,
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
        self._compare_factory = compare_factory
        self._config = config  # GUI side: the configuration asked for last (see `config`)
        self._factory = pipeline_factory
        self._join_timeout = join_timeout
        self._cond = threading.Condition(threading.RLock())
        self._jobs: LatestMailbox[_Job] = LatestMailbox(self._cond)
        self._model_requests: LatestMailbox[_ModelRequest] = LatestMailbox(self._cond)
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._ids = itertools.count(1)
        self._generation = 0
        self._gen_lock = threading.Lock()
        # Worker-owned state.
        self._pipeline: Pipeline | None = None
        self._model: ModelInfo | None = None
        self._last_frame: Frame | None = None
        self._last_result: tuple[_Job, FrameResult] | None = None  # A's result of _last_frame
        self._classifier = None  # the classification stage A runs (set_classifier)
        self._last_generation = -1
        self._notes_pending = False  # re-read the backends' notes after the next frame (set on loads)
        self._processed = 0
        self._stale_worker = 0  # written by the worker only
        self._stale_gui = 0     # written by the GUI thread only
        self._errors = 0
        self._last_error: tuple[str, float] = ("", 0.0)
        # Result hand-over (worker -> GUI).
        self._result_lock = threading.Lock()
        self._latest: EngineResult | None = None
        self._notify_pending = False
        self._render_skipped = 0
        self._delivered = 0
        self._state = EngineState.STOPPED
        # Tunable filter (set_one_euro) and worker-thread result observers (add_result_observer).
        self._one_euro_pending: OneEuroConfig | None = None
        self._one_euro: OneEuroConfig | None = None  # worker side: the filter last asked for
        self._observers: list[Callable[[FrameResult, int], None]] = []
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
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the worker thread; it builds the initial pipeline before serving frames."""
        if self.is_alive:
            return
        with self._cond:
            self._stopping = False
        self._thread = threading.Thread(target=self._run, name="movenet-engine", daemon=False)
        self._set_state(EngineState.RUNNING)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> bool:
        """Ask the worker to stop, wait up to `timeout` seconds; True when it has ended.

        Pending frames and model requests are discarded; results still in flight are ignored.
        """
        thread = self._thread
        with self._cond:
            self._stopping = True
            self._jobs.clear()
            self._model_requests.clear()
            self._cond.notify_all()
        ended = True
        if thread is not None and thread is not threading.current_thread():
            thread.join(self._join_timeout if timeout is None else timeout)
            ended = not thread.is_alive()
        if ended:
            self._thread = None
        self._set_state(EngineState.STOPPED)
        return ended

    # ------------------------------------------------------------------ inputs
    @property
    def generation(self) -> int:
        """The current generation; frames and results tagged older are discarded."""
        with self._gen_lock:
            return self._generation

    def new_generation(self) -> int:
        """Start a new generation (on a seek or a source switch); returns it. Any thread."""
        with self._gen_lock:
            self._generation += 1
            return self._generation

    def submit(self, frame: Frame, generation: int | None = None, *, restart: bool = False) -> bool:
        """Offer a frame to the worker (any thread). Returns True when it replaced a pending
        frame, which then counts as dropped.

        Args:
            frame: the frame; its ``rgb`` array must not be modified afterwards.
            generation: the generation it belongs to (default: the current one).
            restart: the source started again (a loop wrap): reset the pipeline's per-source
                state (crop tracker, smoother) before this frame, but unlike a new generation
                keep the results still in flight (they are not stale, only earlier).
        """
        job = _Job(frame, next(self._ids), self.generation if generation is None else generation,
                   time.perf_counter(), restart)
        with self._cond:
            if self._stopping:
                return False
            return self._jobs.put(job)

    def wait_slot_free(self, timeout: float | None = None) -> bool:
        """Wait until the worker has taken the pending frame (any thread); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._stopping or not self._jobs.pending, timeout)

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
        if self._thread is None:
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
        with self._cond:
            self._model_requests.put(_ModelRequest(config, self._compare_config))

    @property
    def compare_config(self) -> PipelineConfig | None:
        """Configuration B asked for last (GUI thread), or None when compare mode is off."""
        return self._compare_config

    def request_compare(self, config_b: PipelineConfig | None) -> None:
        """Turn compare mode on with configuration `config_b` beside :attr:`config` (A), or off
        with None (GUI thread). Answered like :meth:`request_model`; on failure the previous
        mode and models stay."""
        self._compare_config = config_b
        if self._thread is None:
            return  # the worker builds it first
        with self._cond:
            self._model_requests.put(_ModelRequest(self._config, config_b))

    def set_one_euro(self, config: OneEuroConfig) -> None:
        """Smooth keypoints with these One Euro parameters from the next frame on (GUI thread).

        Unlike :meth:`update_config` nothing is rebuilt or reset: the worker hands `config` to
        the running pipeline(s) (:meth:`Pipeline.set_one_euro`) before its next frame, so the
        model, the crop tracker and the filter state carry on. :attr:`config` (and B's in
        compare mode) take it too, so a later model switch keeps it.

        Raises:
            ValueError: a cut-off <= 0 or a negative beta.
        """
        from ..core.smoothing import check_one_euro

        check_one_euro(config)
        self._config = replace(self._config, one_euro=config)
        if self._compare_config is not None:
            self._compare_config = replace(self._compare_config, one_euro=config)
        if self._thread is None:
            self._initial_config = self._config
        with self._cond:
            self._one_euro_pending = config

    def add_result_observer(self, observer: Callable[[FrameResult, int], None]) -> None:
        """Call ``observer(result, generation)`` on the worker thread for every frame processed
        under the current generation, also those the display skips (e.g. to record every
        frame's keypoints). It must be quick and thread-safe; its exceptions are logged."""
        self._observers.append(observer)

    def _apply_one_euro(self) -> None:
        """Worker thread: give the running pipeline(s) the filter last asked for by
        :meth:`set_one_euro` (also a pipeline built from a request made before it)."""
        with self._cond:
            pending, self._one_euro_pending = self._one_euro_pending, None
        self._one_euro = pending or self._one_euro
        pipeline, config = self._pipeline, self._one_euro
        if config is None or pipeline is None:
            return
        for side in ((pipeline.a, pipeline.b) if isinstance(pipeline, ComparePipeline) else (pipeline,)):
            if hasattr(side, "set_one_euro") and side.config.one_euro != config:
                side.set_one_euro(config)

    def set_classifier(self, stage) -> None:
        """Run classification stage `stage` (a :class:`~movenet_studio.core.classification.
        FrameClassifier`, or None for none) on A's poses from the next frame on (any thread).

        It is attached to whatever pipeline runs, across model switches, without rebuilding
        anything; the pipeline resets it with its other per-source state (seek, source change).
        """
        self._classifier = stage

    def request_threads(self, threads: int) -> None:
        """Rebuild the current model with `threads` runtime threads."""
        self.update_config(threads=max(1, int(threads)))

    # ------------------------------------------------------------------ statistics
    @property
    def model(self) -> ModelInfo | None:
        """The model in use (None before the first load or when none could be loaded)."""
        return self._model

    @property
    def dropped(self) -> int:
        """Frames replaced in the mailbox before the worker took them."""
        return self._jobs.replaced

    @property
    def processed(self) -> int:
        """Frames the worker has run the model on."""
        return self._processed

    @property
    def stale(self) -> int:
        """Frames and results discarded because their generation was outdated."""
        return self._stale_worker + self._stale_gui

    @property
    def errors(self) -> int:
        """Frames that failed in the pipeline."""
        return self._errors

    @property
    def delivered(self) -> int:
        """Results emitted through :attr:`result_ready`."""
        return self._delivered

    @property
    def render_skipped(self) -> int:
        """Results replaced by a newer one before the GUI thread picked them up."""
        return self._render_skipped

    # ------------------------------------------------------------------ worker thread
    def _run(self) -> None:
        try:
            self._load(_ModelRequest(self._initial_config, self._compare_config), initial=True)
            self._serve()
        except BaseException as exc:  # the loop itself must never die silently
            if self._stopping and isinstance(exc, RuntimeError):  # the window went away mid-frame (closed, SIGTERM)
                return
            log.critical("inference worker stopped: %s", exc, exc_info=True)
            self._state_posted.emit(EngineState.FAULTED.value)
            self._frame_failed.emit(f"inference worker stopped: {exc}", traceback.format_exc())
        finally:
            pipeline, self._pipeline = self._pipeline, None
            if pipeline is not None:
                try:
                    pipeline.close()
                except Exception:
                    pass

    def _serve(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._stopping or self._jobs.pending or self._model_requests.pending)
                if self._stopping:
                    return
                request = self._model_requests.take_nowait()
                job = None if request is not None else self._jobs.take_nowait()
            if request is not None:
                self._load(request, initial=False)
            elif job is not None:
                self._process(job)

    def _load(self, request: _ModelRequest, *, initial: bool) -> None:
        self._apply_one_euro()  # (a heads switch then compares like with like)
        config, config_b = request.config, request.compare
        if not initial and self._switch_in_place(config, config_b):
            return
        start = time.perf_counter()
        try:
            pipeline = self._factory(config) if config_b is None else self._compare_factory(config, config_b)
        except Exception as exc:
            self._load_failed(config, config_b, exc)
            return
        old, self._pipeline = self._pipeline, pipeline
        if old is not None:
            try:
                old.close()
            except Exception:
                pass
        load_ms = (time.perf_counter() - start) * 1000
        if config_b is None:
            self._model = describe_loaded(pipeline, config, load_ms)
        else:
            self._model = replace(describe_loaded(pipeline.a, config, load_ms),
                                  compare=describe_loaded(pipeline.b, config_b, load_ms))
        self._notes_pending = True
        # After a switch, results still in flight from the old model are stale.
        generation = self.generation if initial else self.new_generation()
        self._model_loaded.emit(self._model)
        self._state_posted.emit(EngineState.RUNNING.value)
        # Show the switch at once: rerun the last frame with the new model unless a newer one waits.
        if not initial and self._last_frame is not None and not self._jobs.pending:
            self._process(_Job(self._last_frame, next(self._ids), generation, time.perf_counter()))

    def _switch_in_place(self, config: PipelineConfig, config_b: PipelineConfig | None) -> bool:
        """Switch head reading and/or compare mode without touching A (worker thread).

        When `config` differs from the running A only in ``heads``, A's pipeline is kept with
        its crop region, One Euro filters and tracks (:meth:`Pipeline.set_heads`); B is built,
        kept or dropped; no new generation starts and nothing is reset. The last frame is
        then shown again as it was first shown, now with heads or B (:meth:`_rerun_last`).
        A visualisation must never change what the model sees.

        Returns:
            True when handled here (also when it failed: reported as a model failure, the
            running pipeline unchanged); False when a full rebuild is needed.
        """
        pipeline, info = self._pipeline, self._model
        a = pipeline.a if isinstance(pipeline, ComparePipeline) else pipeline
        if info is None or not hasattr(a, "set_heads") or replace(a.config, heads=config.heads) != config:
            return False
        old_b = pipeline.b if isinstance(pipeline, ComparePipeline) else None
        start = time.perf_counter()
        try:
            a.set_heads(config.heads)
            b = old_b if old_b is not None and old_b.config == config_b else None
            if (b is None and old_b is not None and config_b is not None and hasattr(old_b, "set_heads")
                    and replace(old_b.config, heads=config_b.heads) == config_b):
                old_b.set_heads(config_b.heads)  # B's heads for the head-difference overlays: keep B too
                b = old_b
            if config_b is not None and b is None:
                b = self._factory(config_b)
            new = a if b is None else pipeline if b is old_b else ComparePipeline.from_pipelines(a, b)
        except Exception as exc:
            self._load_failed(config, config_b, exc)
            return True
        if old_b is not None and old_b is not b:
            try:
                old_b.close()
            except Exception:
                pass
        self._pipeline = new
        load_ms = (time.perf_counter() - start) * 1000
        compare = None if b is None else (info.compare if b is old_b else describe_loaded(b, config_b, load_ms))
        self._model = replace(describe_loaded(a, config, info.load_ms), compare=compare, kept=True)
        self._notes_pending = True
        self._model_loaded.emit(self._model)
        self._state_posted.emit(EngineState.RUNNING.value)
        self._rerun_last()
        return True

    def _rerun_last(self) -> None:
        """Deliver the last frame's result again, with heads when A reads them now and with
        B beside it in compare mode, without running A's pipeline again (its state and the
        keypoints, scores and crop of that frame stay as first shown)."""
        last = self._last_result
        if last is None or self._jobs.pending or last[0].generation < self.generation:
            return
        job, result = last
        pipeline = self._pipeline
        a = pipeline.a if isinstance(pipeline, ComparePipeline) else pipeline
        try:
            if a.config.heads != (result.heads is not None):
                result = a.with_heads(job.frame, result)
            compare = pipeline.compare(job.frame, result) if isinstance(pipeline, ComparePipeline) else None
        except Exception as exc:
            self._errors += 1
            message = str(exc) if isinstance(exc, StudioError) else f"{type(exc).__name__}: {exc}"
            self._report_error(f"frame {job.frame.index}: {message}", traceback.format_exc(), key=message)
            return
        self._last_result = (job, result)
        self._post(replace(job, frame_id=next(self._ids), submitted_at=time.perf_counter()), result, compare)

    def _load_failed(self, config: PipelineConfig, config_b: PipelineConfig | None, exc: Exception) -> None:
        message = str(exc) if isinstance(exc, StudioError) else f"{type(exc).__name__}: {exc}"
        details = "" if isinstance(exc, StudioError) else traceback.format_exc()
        what = config.model if config_b is None else f"{config.model} vs {config_b.model} ({config_b.backend})"
        log.warning("cannot load model %s: %s%s", what, message, f"\n{details.rstrip()}" if details else "")
        self._model_load_failed.emit(f"cannot load model {what}: {message}", details)
        if self._pipeline is None:
            self._state_posted.emit(EngineState.FAULTED.value)

    def _process(self, job: _Job) -> None:
        if job.generation < self.generation:
            self._stale_worker += 1
            return
        pipeline = self._pipeline
        self._last_frame = job.frame
        self._last_result = None
        if pipeline is None:
            return
        try:
            self._apply_one_euro()
            a = pipeline.a if isinstance(pipeline, ComparePipeline) else pipeline
            if hasattr(a, "classifier") and a.classifier is not self._classifier:
                a.classifier = self._classifier  # (pipeline fakes in tests have no classifier)
            if job.generation != self._last_generation or job.restart:
                pipeline.reset()
                self._last_generation = job.generation
            compare = pipeline.process(job.frame) if isinstance(pipeline, ComparePipeline) else None
            result = compare.a if compare is not None else pipeline.process(job.frame)
        except Exception as exc:
            self._errors += 1
            message = str(exc) if isinstance(exc, StudioError) else f"{type(exc).__name__}: {exc}"
            self._report_error(f"frame {job.frame.index}: {message}", traceback.format_exc(), key=message)
            return
        self._processed += 1
        self._last_result = (job, result)
        if job.generation >= self.generation:
            for observer in self._observers:
                try:
                    observer(result, job.generation)
                except Exception:
                    log.exception("result observer failed on frame %d", job.frame.index)
        if self._notes_pending:  # a backend changes device only on its first run after a load
            self._notes_pending = False
            self._check_notes(pipeline)
        self._post(job, result, compare)

    def _post(self, job: _Job, result: FrameResult, compare: CompareFrame | None) -> None:
        """Hand `result` to the GUI thread (newest wins) unless a seek or switch made it stale."""
        if job.generation < self.generation:  # a seek/switch happened while it ran
            self._stale_worker += 1
            return
        now = time.perf_counter()
        engine_result = EngineResult(result, job.frame_id, job.generation, self._processed, self.dropped,
                                     self.stale, now, (now - job.submitted_at) * 1000, self._model, compare)
        with self._result_lock:
            if self._latest is not None:
                self._render_skipped += 1
            self._latest = engine_result
            notify = not self._notify_pending
            self._notify_pending = True
        if notify:
            self._result_posted.emit()

    def _check_notes(self, pipeline) -> None:
        """Re-announce the model when a backend changed device while running (an ONNX provider
        that failed on its first run and was replaced by CPU, with a note)."""
        info = self._model
        if info is None:
            return
        compare = isinstance(pipeline, ComparePipeline)
        sides = ((pipeline.a, info), (pipeline.b, info.compare)) if compare else ((pipeline, info),)
        fresh = []
        for side, old in sides:
            note, device = getattr(side.backend, "note", "") or "", getattr(side.backend, "device", "")
            if old is not None and (note != old.note or device != old.device):
                old = replace(old, note=note, device=device, provider=getattr(side.backend, "provider", None))
            fresh.append(old)
        if all(new is old for new, (_, old) in zip(fresh, sides)):
            return
        self._model = replace(fresh[0], compare=fresh[1]) if compare else fresh[0]
        self._model_loaded.emit(self._model)

    def _report_error(self, message: str, details: str, key: str | None = None) -> None:
        """Emit a per-frame error unless the same `key` (default: the message) was reported
        less than :data:`ERROR_REPEAT_INTERVAL` seconds ago."""
        key = message if key is None else key
        last, when = self._last_error
        now = time.monotonic()
        if key == last and now - when < ERROR_REPEAT_INTERVAL:
            return
        self._last_error = (key, now)
        log.error("%s%s", message, f"\n{details.rstrip()}" if details else "")
        self._frame_failed.emit(message, details)

    # ------------------------------------------------------------------ GUI-thread slots
    def _set_state(self, state: EngineState) -> None:
        if state != self._state:
            self._state = state
            self.state_changed.emit(state.value)

    @Slot()
    def _deliver_result(self) -> None:
        wait_s = self._delivered_at + self._min_delivery_s - time.perf_counter()
        if wait_s > 0:  # too soon after the last one: the timer delivers the newest result then
            if not self._delivery_timer.isActive():  # (_notify_pending stays set: no more posts meanwhile)
                self._delivery_timer.start(max(1, round(wait_s * 1000)))
            return
        with self._result_lock:
            result, self._latest = self._latest, None
            self._notify_pending = False
        if result is None or self._state == EngineState.STOPPED:
            return
        if result.generation < self.generation:
            self._stale_gui += 1
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
        model = self._model
        if model is not None and not self._model_requests.pending:
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
