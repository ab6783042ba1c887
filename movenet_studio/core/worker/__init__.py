"""The inference worker, Qt-free: a thread that owns the pipeline (:mod:`.loop`), the one-slot
mailbox (:mod:`.mailbox`) and what it reports (:mod:`.results`). The window's
:class:`~movenet_studio.gui.engine.Engine` is a thin Qt adapter over it (signals in the GUI
thread, delivery pacing). Threading model:

* Frames arrive through :meth:`InferenceWorker.submit` into a one-slot "latest frame wins"
  :class:`~.mailbox.LatestMailbox`: a newer frame replaces a pending one and the replaced
  frame is counted as dropped. The worker thread takes frames one at a time and runs the model.
* Every frame is tagged with a frame id and a *generation*. The generation is bumped on a
  seek, a source switch or a model switch (:meth:`InferenceWorker.new_generation`); frames
  and results older than the current generation are discarded (counted as stale).
* Results are handed over through a one-slot hand-over (:meth:`InferenceWorker.take_result`,
  newest wins, older ones counted as render-skipped) and a coalesced ``on_result()``
  notification: one notification per hand-over until the result is taken.
* Model switches (:meth:`InferenceWorker.request_model`) are executed on the worker thread,
  before any pending frame; a model that fails to load leaves the previous one running and
  is reported through ``on_model_failed``. A switch of head reading or compare mode alone
  keeps A's pipeline with its crop region, filters and tracks.
* Compare mode: the worker runs a :class:`~movenet_studio.core.analysis.compare.ComparePipeline`
  (A and B) instead of a single pipeline; results then carry :attr:`EngineResult.compare`.
* Per-frame exceptions are caught, reported through ``on_error(message, details)`` (the same
  message at most once per :data:`ERROR_REPEAT_INTERVAL` seconds) and the worker keeps
  serving the next frame.
* Lifecycle: ``on_state`` reports :class:`~.results.EngineState` values: RUNNING after a
  load, FAULTED when no model can run or the loop itself died. :meth:`InferenceWorker.stop`
  is cooperative (a flag + condition) and joins with a timeout.
"""

from .loop import DEFAULT_JOIN_TIMEOUT, ERROR_REPEAT_INTERVAL, InferenceWorker
from .mailbox import LatestMailbox
from .results import EngineResult, EngineState, ModelInfo, describe_loaded

__all__ = ["DEFAULT_JOIN_TIMEOUT", "ERROR_REPEAT_INTERVAL", "EngineResult", "EngineState", "InferenceWorker",
           "LatestMailbox", "ModelInfo", "describe_loaded"]
