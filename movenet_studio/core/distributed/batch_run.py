"""A batch's tasks on a dask cluster: one task per source, each result recorded in the manifest
as it arrives, progress in frames and cancel through the core's
:class:`~..progress.JobControl` (what ``movenet-studio batch`` runs; naming, resuming and the
manifest's form are in :mod:`.batch`).

Client and workers talk through two dask objects named after the run's id:

- progress: each task logs ``{"source", "frames"}`` events on the topic
  :func:`progress_topic` as it goes (:class:`TaskMonitor`, at most every
  :data:`MONITOR_INTERVAL_S`); the client adds them up into frames done out of the sources'
  estimated frame counts (:func:`~.batch.estimate_frames`), reaching the total only at the end;
- cancel: cancelling the control sets the ``distributed.Event`` :func:`cancel_event`; a task
  looks at it when it starts and with each progress event and then stops with
  :class:`~..errors.Cancelled` (its writers' temporary files are removed), tasks not started
  yet never load anything. The client waits for the tasks to end, removes any temporary
  output left, records the sources not finished as cancelled and raises Cancelled.

Ctrl-C (``KeyboardInterrupt``) cancels the futures at once, records what is left as
interrupted and re-raises, as before.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Callable, Mapping, Sequence

from .batch import entry, estimate_frames, remove_partial_outputs, write_manifest
from ..errors import Cancelled
from ..progress import JobControl

#: Seconds between two progress reports (and looks at the cancel token) while no task finishes.
PROGRESS_REDRAW_S = 0.5
#: Seconds between two progress events (and looks at the cancel event) of a task on a worker.
MONITOR_INTERVAL_S = 0.5
#: Seconds the client waits after a cancel for the running tasks to stop.
CANCEL_WAIT_S = 60.0


def progress_topic(run_id: str) -> str:
    """The dask event topic of run `run_id`'s progress events."""
    return f"movenet-studio-batch-{run_id}"


def cancel_event(run_id: str) -> str:
    """The name of the ``distributed.Event`` set when run `run_id` is cancelled."""
    return f"movenet-studio-batch-cancel-{run_id}"


class TaskMonitor:
    """Worker side of one task: reports its frames and stops it once the run is cancelled.

    Outside a dask worker (a task called directly) it does nothing.

    Args:
        run_id: the run's id (given to each task by :func:`run_tasks`).
        source: the task's source (names its progress events).
    """

    def __init__(self, run_id: str, source: str):
        from dask.distributed import Event, get_worker

        self.source = source
        self._last = 0.0
        try:
            self._worker = get_worker()
        except ValueError:  # not on a worker
            self._worker = None
            return
        self._topic = progress_topic(run_id)
        self._event = Event(cancel_event(run_id))

    def check(self) -> None:
        """Raise :class:`~..errors.Cancelled` when the run was cancelled (asks the scheduler)."""
        if self._worker is not None and self._event.is_set():
            raise Cancelled("batch cancelled")

    def __call__(self, frames: int) -> None:
        """After each frame: every :data:`MONITOR_INTERVAL_S`, log `frames` done and :meth:`check`."""
        now = time.monotonic()
        if self._worker is None or now - self._last < MONITOR_INTERVAL_S:
            return
        self._last = now
        self._worker.log_event(self._topic, {"source": self.source, "frames": int(frames)})
        self.check()


def run_tasks(client, task: Callable[..., dict], todo: Sequence[Path], out_dir: Path,
              names: Mapping[Path, Mapping[str, str]], entries: dict[str, dict], sources: Sequence[Path],
              settings: dict, started: float, task_args: tuple = (), control: JobControl | None = None) -> None:
    """Run ``task(source, outputs, run_id, *task_args) -> manifest entry`` for each source of
    `todo` on `client`'s workers (longest first), recording each entry in `entries` and
    rewriting the manifest as they arrive.

    Args:
        client: a ``dask.distributed.Client`` (:func:`~.cluster.dask_client`).
        task: a function of this package (sent by reference) that never raises for a bad
            source; it gets the source (str), its output names (kind -> file name in
            `out_dir`), the run id (for a :class:`TaskMonitor`) and `task_args`.
        todo: the sources to run. names: each one's output names (:func:`~.batch.output_names`).
        out_dir: the output folder (shared with the workers).
        entries: source (str) -> manifest entry, filled in here (may hold skipped sources).
        sources: every source of the batch, in manifest order. settings: the run's settings.
        started: ``time.perf_counter()`` at the run's start (the manifest's seconds).
        task_args: more arguments for `task` (futures of scattered data allowed).
        control: progress in frames (message ``k/n sources``; 100 % only at the end) and
            cancel (:mod:`..progress`).

    Raises:
        Cancelled: `control` was cancelled; the unfinished sources are recorded with the
            error ``cancelled`` and no temporary output is left.
        KeyboardInterrupt: Ctrl-C; the unfinished sources are recorded as interrupted.
    """
    from dask.distributed import Event, wait

    control = control if control is not None else JobControl()
    run_id = uuid.uuid4().hex
    estimates = {s: estimate_frames(s) for s in todo}
    total = max(1, sum(estimates.values()))
    running: dict[str, int] = {}  # source -> frames done, from the workers' events
    client.subscribe_topic(progress_topic(run_id),
                           lambda event: running.__setitem__(event[1]["source"], event[1]["frames"]))
    futures = {client.submit(task, str(source), dict(names[source]), run_id, *task_args, priority=estimates[source],
                             pure=False): source for source in todo}
    pending = set(futures)
    finished_frames = 0

    def record(done) -> None:
        nonlocal finished_frames
        for future in done:
            source = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # the worker died on it (e.g. a runtime crash), or the cluster went away
                result = entry(source, "error", error=f"{type(exc).__name__}: {exc}")
            entries[str(source)] = result
            running.pop(str(source), None)
            finished_frames += estimates[source]

    def save() -> None:
        write_manifest(out_dir, [entries[str(s)] for s in sources if str(s) in entries],
                       time.perf_counter() - started, settings)

    try:
        control.report(0, total, f"0/{len(todo)} sources")
        while pending:
            try:
                finished, pending = wait(pending, timeout=PROGRESS_REDRAW_S, return_when="FIRST_COMPLETED")
            except TimeoutError:
                finished = set()
            record(finished)
            if finished:
                save()
            counted = sum(min(n, estimates[Path(s)]) for s, n in list(running.items()) if Path(s) in estimates)
            shown = finished_frames + counted if not pending else min(total - 1, finished_frames + counted)
            control.report(shown, total, f"{len(futures) - len(pending)}/{len(todo)} sources")
    except Cancelled:
        Event(cancel_event(run_id), client=client).set()
        try:
            done, _ = wait(list(pending), timeout=CANCEL_WAIT_S)
        except TimeoutError:
            done = {f for f in pending if f.done()}
        client.cancel(list(pending - set(done)))
        record(f for f in done if f.status in ("finished", "error"))
        remove_partial_outputs(out_dir, [n for s in todo for n in names[s].values()])
        for source in todo:
            entries.setdefault(str(source), entry(source, "error", error="cancelled"))
        save()
        raise
    except KeyboardInterrupt:
        client.cancel(list(futures))
        for source in todo:
            entries.setdefault(str(source), entry(source, "error", error="interrupted (Ctrl-C)"))
        save()
        raise
    finally:
        client.unsubscribe_topic(progress_topic(run_id))
