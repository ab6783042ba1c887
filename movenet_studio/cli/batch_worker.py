"""What a dask worker runs for ``batch``: one source through ``infer``'s run (a typed request; no
command-line options on the worker).

Functions here are sent to the workers by reference, so workers need this package
installed (the same version as the client).
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path

from ..core.distributed.batch import entry
from ..core.distributed.batch_run import TaskMonitor
from ..core.distributed.cluster import local_copy
from ..core.errors import StudioError
from ..core.output.infer_run import InferRequest, run_infer
from ..core.stream import StreamRequest

log = logging.getLogger(__name__)


def run_source(source: str, outputs: dict[str, str], run_id: str, request: StreamRequest, out_dir: str,
               files: dict[str, tuple[str, bytes]] | None = None) -> dict:
    """Run ``infer`` on `source` (:func:`~movenet_studio.core.output.infer_run.run_infer`) and write its
    outputs in `out_dir`; never raises for a bad source.

    The task of :func:`~movenet_studio.core.distributed.batch_run.run_tasks`: it reports its frames and
    stops (recorded as an error ``batch cancelled``) once the run is cancelled
    (:class:`~movenet_studio.core.distributed.batch_run.TaskMonitor`).

    Args:
        source: absolute path of a video, image or image folder.
        outputs: output kind (``json``, and optionally ``video``, ``heads_npz``) -> file name
            in `out_dir`.
        run_id: the batch run's id (its progress topic and cancel event).
        request: the run every source gets (its ``source`` is replaced by `source`): the
            pipeline configuration and the classifier, as the client built them from
            ``infer``'s processing options.
        out_dir: absolute path of the output folder (shared with the client).
        files: ``model``, ``classifier`` or ``labels`` -> (file name, bytes) of the files the
            client sent (a model that is not bundled, a classifier and its labels): each is
            written to this worker's temporary folder and used instead of the client's path.

    Returns:
        The manifest entry (:func:`~movenet_studio.core.distributed.batch.entry`): status ``ok`` with the
        frame count, or ``error`` with the reason; ``seconds`` is this task's wall time.
    """
    start = time.perf_counter()
    folder = Path(out_dir)
    monitor = TaskMonitor(run_id, source)
    try:
        monitor.check()  # a cancelled run's tasks that had not started load nothing
        request = _with_local_files(replace(request, source=source, max_frames=None, loop=False), files or {})
        done = run_infer(InferRequest(
            request, json=folder / outputs["json"],
            heads_npz=folder / outputs["heads_npz"] if outputs.get("heads_npz") else None,
            video=folder / outputs["video"] if outputs.get("video") else None), on_frame=monitor)
    except StudioError as exc:
        return entry(source, "error", frames=0, seconds=time.perf_counter() - start, error=str(exc))
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        return entry(source, "error", seconds=time.perf_counter() - start, error=f"{where}{exc.strerror or exc}")
    except Exception as exc:  # a bug on one source must not stop the others: recorded, logged
        log.exception("batch: unexpected error on %s", source)
        return entry(source, "error", seconds=time.perf_counter() - start,
                     error=f"internal error: {type(exc).__name__}: {exc}")
    return entry(source, "ok", outputs, frames=done.frames, seconds=time.perf_counter() - start)


def _with_local_files(request: StreamRequest, files: dict[str, tuple[str, bytes]]) -> StreamRequest:
    """`request` with the model and classifier files the client sent written here and used."""
    local = {name: local_copy(file_name, data) for name, (file_name, data) in files.items()}
    if "model" in local:
        model = request.config.model
        request = replace(request, config=replace(request.config, model=local["model"] if isinstance(model, Path)
                                                  else str(local["model"])))
    if request.classifier is not None and ("classifier" in local or "labels" in local):
        request = replace(request, classifier=replace(request.classifier,
                                                      path=local.get("classifier", request.classifier.path),
                                                      labels=local.get("labels", request.classifier.labels)))
    return request
