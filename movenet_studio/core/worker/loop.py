"""The inference worker: one plain thread that owns a :class:`~movenet_studio.core.pipeline.Pipeline`,
fed through one-slot mailboxes (the threading model: :mod:`movenet_studio.core.worker`).

The callbacks run on the worker thread; they must be quick and thread-safe (the window's
Qt adapter, :class:`~movenet_studio.gui.engine.Engine`, emits queued signals from them).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import traceback
from dataclasses import replace
from typing import Callable

from ..analysis.compare import ComparePipeline
from ..analysis.compare_frame import CompareFrame
from ..frame_result import FrameResult
from ..pipeline import Pipeline
from ..pipeline_config import PipelineConfig
from ..tracking.smoothing import OneEuroConfig
from ..media.sources import Frame
from .jobs import Job, ModelRequest
from .mailbox import LatestMailbox
from .failures import ERROR_REPEAT_INTERVAL, RepeatFilter, model_failure, one_line
from .handover import ResultHandOver
from .switching import (adopt_states, close_quietly, in_place_pipeline, rerun_switched, reshown, sides_of, tracker_note,
                        tracking_states)
from .results import EngineResult, EngineState, ModelInfo, describe_loaded, refreshed_model

log = logging.getLogger("movenet_studio.gui.engine")  # (the name the log files and their readers know)

#: How long :meth:`InferenceWorker.stop` waits for the worker by default, in seconds.
DEFAULT_JOIN_TIMEOUT = 5.0


PipelineFactory = Callable[[PipelineConfig], Pipeline]
CompareFactory = Callable[[PipelineConfig, PipelineConfig], ComparePipeline]


def _ignore(*_args) -> None:
    """The default of every callback: nobody listens."""


class InferenceWorker:
    """The worker thread, its mailboxes, generations and counters. Create and control it from
    one thread (the window's GUI thread); :meth:`submit`, :meth:`new_generation` and
    :meth:`generation` are safe from any thread.

    Args:
        pipeline_factory: builds a pipeline from a config (tests may pass a fake).
        compare_factory: builds the compare pipeline from configs A and B.
        join_timeout: default seconds :meth:`stop` waits for the worker.
        on_result: ``()``: a result waits in :meth:`take_result` (coalesced: once until taken).
        on_model_loaded: ``(ModelInfo)``: a model was loaded (at start, after a switch, or its
            backend changed device on its first run).
        on_model_failed: ``(message, details)``: a requested model could not be loaded; the
            previous one, if any, stays in use.
        on_error: ``(message, details)``: a frame failed or the loop died.
        on_state: ``(EngineState value)``: the worker's state changed.
        on_tracker_reset: ``(message)``: a switch could not carry the crop tracker or the
            MultiPose tracks over (e.g. to or from MultiPose, crop tracking switched on); they
            restarted. The window shows it on the video.
    """

    def __init__(self, *, pipeline_factory: PipelineFactory = Pipeline,
                 compare_factory: CompareFactory = ComparePipeline, join_timeout: float = DEFAULT_JOIN_TIMEOUT,
                 on_result: Callable[[], None] = _ignore, on_model_loaded: Callable[[ModelInfo], None] = _ignore,
                 on_model_failed: Callable[[str, str], None] = _ignore,
                 on_error: Callable[[str, str], None] = _ignore, on_state: Callable[[str], None] = _ignore,
                 on_tracker_reset: Callable[[str], None] = _ignore):
        self._factory = pipeline_factory
        self._compare_factory = compare_factory
        self._join_timeout = join_timeout
        self._on_result, self._on_model_loaded, self._on_model_failed = on_result, on_model_loaded, on_model_failed
        self._on_error, self._on_state, self._on_tracker_reset = on_error, on_state, on_tracker_reset
        self._cond = threading.Condition(threading.RLock())
        self._jobs: LatestMailbox[Job] = LatestMailbox(self._cond)
        self._model_requests: LatestMailbox[ModelRequest] = LatestMailbox(self._cond)
        self._loading = True  # until the first model is loaded (or failed to load)
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._ids = itertools.count(1)
        self._generation = 0
        self._gen_lock = threading.Lock()
        self._pipeline = None  # worker thread only: Pipeline or ComparePipeline
        self._model: ModelInfo | None = None
        self._last_frame: Frame | None = None
        self._last_result: tuple[Job, FrameResult] | None = None  # A's result of _last_frame
        self._last_before: tuple | None = None  # each side's TrackingState just before _last_frame
        self._classifier = None  # the classification stage A runs (set_classifier)
        self._last_generation = -1
        self._notes_pending = False  # re-read the backends' notes after the next frame (set on loads)
        self._processed = 0
        self._stale_worker = 0  # written by the worker only
        self._stale_taker = 0   # written by the thread taking results only (count_stale)
        self._errors = 0
        self._repeats = RepeatFilter(ERROR_REPEAT_INTERVAL)
        self._handover = ResultHandOver()  # worker -> taker
        # Tunable filter (set_one_euro) and worker-thread result observers (add_result_observer).
        self._one_euro_pending: OneEuroConfig | None = None
        self._one_euro: OneEuroConfig | None = None  # worker side: the filter last asked for
        self._observers: list[Callable[[FrameResult, int], None]] = []

    # ------------------------------------------------------------------ lifecycle
    @property
    def started(self) -> bool:
        """True from :meth:`start` until a :meth:`stop` that saw the thread end."""
        return self._thread is not None

    @property
    def is_alive(self) -> bool:
        """True while the worker thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, config: PipelineConfig, compare: PipelineConfig | None = None) -> None:
        """Start the worker thread; it builds `config` (beside `compare` as B, in compare mode)
        before serving frames. Does nothing while the thread runs."""
        if self.is_alive:
            return
        with self._cond:
            self._stopping = False
        self._thread = threading.Thread(target=self._run, args=(config, compare), name="movenet-engine",
                                        daemon=False)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> bool:
        """Ask the worker to stop, wait up to `timeout` seconds; True when it has ended.

        Pending frames and model requests are discarded; a result still in the hand-over stays
        (the taker ignores it).
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
        with self._cond:  # (the generation is read under the lock a switch re-tags pending frames under)
            if self._stopping:
                return False
            job = Job(frame, next(self._ids), self.generation if generation is None else generation,
                      time.perf_counter(), restart)
            return self._jobs.put(job)

    def wait_slot_free(self, timeout: float | None = None) -> bool:
        """Wait until the worker has taken the pending frame (any thread); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._stopping or not self._jobs.pending, timeout)

    def request_model(self, config: PipelineConfig, compare: PipelineConfig | None = None) -> None:
        """Ask the worker to run `config` (beside `compare` as B, or alone with None); a newer
        request replaces a pending one. Answered through ``on_model_loaded`` or ``on_model_failed``."""
        with self._cond:
            self._model_requests.put(ModelRequest(config, compare))

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until no model is loading or waiting to load (any thread); False on timeout. A
        file's player waits here, so a load (2.8 s on a first start, numba compiling the crop
        kernel) does not skip the frames it paced meanwhile (84 of ``pose_1.mp4``)."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._stopping or not (self._loading or self._model_requests.pending), timeout)

    @property
    def model_request_pending(self) -> bool:
        """True while a model request waits for the worker."""
        return self._model_requests.pending

    def set_one_euro(self, config: OneEuroConfig) -> None:
        """Hand these (checked) One Euro parameters to the running pipeline(s) before the next
        frame, without rebuilding or resetting anything (any thread)."""
        with self._cond:
            self._one_euro_pending = config

    def set_classifier(self, stage) -> None:
        """Run classification stage `stage` (a :class:`~movenet_studio.core.classify.classification.
        FrameClassifier`, or None for none) on A's poses from the next frame on (any thread).

        It is attached to whatever pipeline runs, across model switches, without rebuilding
        anything; the pipeline resets it with its other per-source state (seek, source change).
        """
        self._classifier = stage

    def add_result_observer(self, observer: Callable[[FrameResult, int], None]) -> None:
        """Call ``observer(result, generation)`` on the worker thread for every frame processed
        under the current generation, also those the display skips (e.g. to record every
        frame's keypoints). It must be quick and thread-safe; its exceptions are logged."""
        self._observers.append(observer)

    # ------------------------------------------------------------------ outputs
    def take_result(self) -> EngineResult | None:
        """Remove and return the newest result (None when there is none); the next result posted
        notifies ``on_result`` again."""
        return self._handover.take()

    def count_stale(self) -> None:
        """Count a result the taker discarded as older than the current generation."""
        self._stale_taker += 1

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
        return self._stale_worker + self._stale_taker

    @property
    def errors(self) -> int:
        """Frames that failed in the pipeline."""
        return self._errors

    @property
    def render_skipped(self) -> int:
        """Results replaced by a newer one before they were taken."""
        return self._handover.replaced

    # ------------------------------------------------------------------ worker thread
    def _run(self, config: PipelineConfig, compare: PipelineConfig | None) -> None:
        try:
            self._load(ModelRequest(config, compare), initial=True)
            self._serve()
        except BaseException as exc:  # the loop itself must never die silently
            if self._stopping and isinstance(exc, RuntimeError):  # the window went away mid-frame (closed, SIGTERM)
                return
            log.critical("inference worker stopped: %s", exc, exc_info=True)
            self._on_state(EngineState.FAULTED.value)
            self._on_error(f"inference worker stopped: {exc}", traceback.format_exc())
        finally:
            pipeline, self._pipeline = self._pipeline, None
            close_quietly(pipeline)

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

    def _load(self, request: ModelRequest, *, initial: bool) -> None:
        with self._cond:
            self._loading = True
        try:
            self._load_now(request, initial=initial)
        finally:
            with self._cond:
                self._loading = False
                self._cond.notify_all()

    def _load_now(self, request: ModelRequest, *, initial: bool) -> None:
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
        carried = tracking_states(old) if old is not None else None  # where a playing video is now
        close_quietly(old)
        self._model = describe_loaded(pipeline, (time.perf_counter() - start) * 1000)
        self._notes_pending = True
        # After a switch, results still in flight from the old model are stale.
        generation = self.generation if initial else self._switch_generation()
        self._on_model_loaded(self._model)
        self._on_state(EngineState.RUNNING.value)
        if initial:
            return
        # The tracker carries on: show the switch at once on the last frame, run from that frame's
        # own crop region and state (a paused frame), unless a newer frame waits (playing).
        if self._last_result is not None and self._last_before is not None and not self._jobs.pending:
            self._rerun_switched(generation)
        else:
            if carried is not None:
                self._tracker_note(adopt_states(pipeline, carried), None)
                self._last_generation = generation
            if self._last_frame is not None and not self._jobs.pending:
                self._process(Job(self._last_frame, next(self._ids), generation, time.perf_counter()))

    def _switch_generation(self) -> int:
        """Start the generation of a switched model (worker thread): results of the old model
        still in flight become stale, but a frame of the current generation waiting in the slot
        (a step, or the frame a pause left behind) is not a seek: it moves to the new
        generation and the new model runs it, rather than being dropped with nothing shown."""
        with self._cond:
            old, generation = self.generation, self.new_generation()
            job = self._jobs.take_nowait()
            if job is not None:
                self._jobs.put(replace(job, generation=generation) if job.generation == old else job)
        return generation

    def _switch_in_place(self, config: PipelineConfig, config_b: PipelineConfig | None) -> bool:
        """Switch head reading and/or compare mode keeping A (:func:`~.switching.in_place_pipeline`),
        then show the last frame again as first shown, now with heads or B (:meth:`_rerun_last`).
        True when handled here (also when it failed: reported as a model failure); False when a
        full rebuild is needed. Worker thread."""
        try:
            switched = in_place_pipeline(self._pipeline, self._model, config, config_b, self._factory)
        except Exception as exc:
            self._load_failed(config, config_b, exc)
            return True
        if switched is None:
            return False
        self._pipeline, self._model = switched
        self._notes_pending = True
        self._on_model_loaded(self._model)
        self._on_state(EngineState.RUNNING.value)
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
        try:
            result, compare = reshown(self._pipeline, job.frame, result)
        except Exception as exc:
            self._frame_failed(job, exc)
            return
        self._last_result = (job, result)
        self._post(replace(job, frame_id=next(self._ids), submitted_at=time.perf_counter()), result, compare)

    def _rerun_switched(self, generation: int) -> None:
        """Run the new pipeline(s) on the last frame from the state the old ones had just before
        it (:func:`~.switching.rerun_switched`), worker thread."""
        job = replace(self._last_result[0], frame_id=next(self._ids), generation=generation,
                      submitted_at=time.perf_counter(), restart=False)
        try:
            self._attach_classifier(sides_of(self._pipeline)[0])
            result, compare, fresh = rerun_switched(self._pipeline, job.frame, self._last_before)
        except Exception as exc:
            self._frame_failed(job, exc)
            return
        self._last_generation = generation
        self._last_result = (job, result)
        self._tracker_note(fresh, job.frame.index)
        self._processed += 1
        self._notes_pending = True
        self._observe(job, result)
        self._post(job, result, compare)

    def _tracker_note(self, fresh: tuple[str, ...], frame_index: int | None) -> None:
        """Tell the user (``on_tracker_reset``) that a switch restarted the crop tracker or the
        MultiPose tracks (nothing when everything carried on)."""
        if fresh:
            label = self._model.spec.label if self._model is not None else "the new model"
            self._on_tracker_reset(tracker_note(fresh, frame_index, label))

    def _attach_classifier(self, a) -> None:
        if a.classifier is not self._classifier:
            a.classifier = self._classifier

    def _load_failed(self, config: PipelineConfig, config_b: PipelineConfig | None, exc: Exception) -> None:
        message, details = model_failure(config, config_b, exc)
        log.warning("%s%s", message, f"\n{details.rstrip()}" if details else "")
        self._on_model_failed(message, details)
        if self._pipeline is None:
            self._on_state(EngineState.FAULTED.value)

    def _process(self, job: Job) -> None:
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
            self._attach_classifier(sides_of(pipeline)[0])
            if job.generation != self._last_generation or job.restart:
                pipeline.reset()
                self._last_generation = job.generation
            self._last_before = tracking_states(pipeline)
            compare = pipeline.process(job.frame) if isinstance(pipeline, ComparePipeline) else None
            result = compare.a if compare is not None else pipeline.process(job.frame)
        except Exception as exc:
            self._frame_failed(job, exc)
            return
        self._processed += 1
        self._last_result = (job, result)
        self._observe(job, result)
        if self._notes_pending:  # a backend changes device only on its first run after a load
            self._notes_pending = False
            fresh = refreshed_model(self._model, pipeline)
            if fresh is not None:
                self._model = fresh
                self._on_model_loaded(fresh)
        self._post(job, result, compare)

    def _observe(self, job: Job, result: FrameResult) -> None:
        if job.generation >= self.generation:
            for observer in self._observers:
                try:
                    observer(result, job.generation)
                except Exception:
                    log.exception("result observer failed on frame %d", job.frame.index)

    def _post(self, job: Job, result: FrameResult, compare: CompareFrame | None) -> None:
        """Hand `result` to the GUI thread (newest wins) unless a seek or switch made it stale."""
        if job.generation < self.generation:  # a seek/switch happened while it ran
            self._stale_worker += 1
            return
        now = time.perf_counter()
        captured = None if result.captured_s is None else (time.monotonic() - result.captured_s) * 1000
        engine_result = EngineResult(result, job.frame_id, job.generation, self._processed, self.dropped,
                                     self.stale, now, (now - job.submitted_at) * 1000, self._model, compare, captured)
        if self._handover.put(engine_result):
            self._on_result()

    def _frame_failed(self, job: Job, exc: Exception) -> None:
        """Count a frame's failure and report it, unless the same message (whatever the frame)
        was reported less than :data:`ERROR_REPEAT_INTERVAL` seconds ago."""
        self._errors += 1
        key = one_line(exc)
        if not self._repeats.first(key):
            return
        message, details = f"frame {job.frame.index}: {key}", traceback.format_exc()
        log.error("%s%s", message, f"\n{details.rstrip()}" if details else "")
        self._on_error(message, details)

    def _apply_one_euro(self) -> None:
        """Worker thread: give the running pipeline(s) the filter last asked for by
        :meth:`set_one_euro` (also a pipeline built from a request made before it)."""
        with self._cond:
            pending, self._one_euro_pending = self._one_euro_pending, None
        self._one_euro = pending or self._one_euro
        pipeline, config = self._pipeline, self._one_euro
        if config is None or pipeline is None:
            return
        for side in sides_of(pipeline):
            if side.config.one_euro != config:
                side.set_one_euro(config)
